//! OAuth 2.1 for remote (Streamable HTTP) servers, on rmcp's `auth` feature.
//!
//! rmcp does the protocol: protected-resource metadata (RFC 9728, from
//! `WWW-Authenticate` or the well-known paths), authorization-server metadata
//! and its fallbacks, PKCE, dynamic client registration, client ID metadata
//! documents, scope selection, the token endpoint's authentication methods,
//! refresh, and the client-credentials grant (secret or `private_key_jwt`).
//! Sluice adds what a command-line host needs around it:
//!
//! - `login.rs`: `sluice login SERVER`, the browser flow once, through a
//!   loopback redirect listener;
//! - `store.rs`: the tokens, in a private file per server URL;
//! - `client.rs`: a connection's HTTP client, adding the token;
//! - `discover.rs`: rmcp's metadata discovery, allowing a 2025-03-26 server's
//!   own metadata whose issuer is a path of its origin (RFC 8414's issuer
//!   check refuses it; nothing else is relaxed).
//!
//! **Invariant:** tokens and secrets stay on the host, in this module and the
//! credentials directory: no program sees them (errors name the kind of
//! failure only), and nothing here logs a URL that carries a code or a token.

mod client;
mod discover;
mod login;
mod store;

use std::path::{Path, PathBuf};

use rmcp::transport::auth::{ClientCredentialsConfig, JwtSigningAlgorithm};

pub(crate) use client::HttpClient;
use client::{EnterpriseExchange, TokenSource};
pub use login::{LoginError, LoginOptions, login, logout};
pub use store::CredentialsError;
use store::CredentialsFile;

use super::redact::Redactor;
use crate::config::{MissingVariable, OAuthConfig, OAuthGrant};

/// The largest private key file read for `private_key_jwt`.
const MAX_KEY_BYTES: u64 = 64 << 10;

/// Where tokens are kept by default: `$SLUICE_CREDENTIALS_DIR`, else
/// `$XDG_CONFIG_HOME/sluice/credentials`, else `~/.config/sluice/credentials`.
/// Not the cache directory: removing a cache must not sign a user out.
pub fn default_credentials_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("SLUICE_CREDENTIALS_DIR")
        .or_else(|| var("XDG_CONFIG_HOME").map(|d| d.join("sluice").join("credentials")))
        .or_else(|| var("HOME").map(|d| d.join(".config").join("sluice").join("credentials")))
}

/// Why a remote server's OAuth client could not be set up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SetupError {
    #[error(transparent)]
    Variable(#[from] MissingVariable),
    #[error("its stored sign-in cannot be used")]
    Credentials(#[from] CredentialsError),
    #[error("cannot read its private key {}", path.display())]
    Key {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The HTTP client for server `url`: with its stored token (a login's), with
/// the client-credentials grant, or plain when it has neither (a 401 then asks
/// for `sluice login`).
pub(crate) fn http_client(
    url: &str,
    oauth: Option<&OAuthConfig>,
    credentials: Option<&Path>,
    lookup: impl Fn(&str) -> Option<String>,
    redactor: &Redactor,
) -> Result<HttpClient, SetupError> {
    let default = OAuthConfig::default();
    let oauth = oauth.unwrap_or(&default);
    let secret = oauth.client_secret.as_ref().map(|secret| secret.expand(&lookup)).transpose()?;
    if oauth.grant == OAuthGrant::ClientCredentials {
        let client_id = oauth.client_id.clone().unwrap_or_default();
        let config = match (&oauth.private_key_file, secret) {
            (Some(path), _) => ClientCredentialsConfig::PrivateKeyJwt {
                client_id,
                signing_key: read_key(path)?,
                signing_algorithm: match oauth.signing_algorithm.as_deref() {
                    Some("ES384") => JwtSigningAlgorithm::ES384,
                    Some("RS256") => JwtSigningAlgorithm::RS256,
                    Some("RS384") => JwtSigningAlgorithm::RS384,
                    Some("RS512") => JwtSigningAlgorithm::RS512,
                    // The configuration admits only these names; ES256 is the default.
                    _ => JwtSigningAlgorithm::ES256,
                },
                token_endpoint_audience: None,
                scopes: oauth.scopes.clone(),
                resource: Some(url.to_owned()),
            },
            (None, secret) => ClientCredentialsConfig::ClientSecret {
                client_id,
                client_secret: secret.unwrap_or_default(),
                scopes: oauth.scopes.clone(),
                resource: Some(url.to_owned()),
            },
        };
        return Ok(HttpClient::authorized(url, TokenSource::ClientCredentials(config), redactor.clone()));
    }
    if let (OAuthGrant::Enterprise, Some(idp)) = (oauth.grant, &oauth.idp) {
        let exchange = EnterpriseExchange {
            client_id: oauth.client_id.clone().unwrap_or_default(),
            client_secret: secret,
            idp_issuer: idp.issuer.clone(),
            idp_token_endpoint: idp.token_endpoint.clone(),
            idp_client_id: idp.client_id.clone(),
            idp_client_secret: idp.client_secret.as_ref().map(|secret| secret.expand(&lookup)).transpose()?,
            id_token: idp.id_token.expand(&lookup)?,
            scopes: oauth.scopes.clone(),
        };
        return Ok(HttpClient::authorized(url, TokenSource::Enterprise(Box::new(exchange)), redactor.clone()));
    }
    let Some(dir) = credentials else { return Ok(HttpClient::plain()) };
    let file = CredentialsFile::new(dir, url);
    match file.load()? {
        Some(entry) => {
            let client_id = entry.credentials.client_id.clone();
            let source = TokenSource::Stored { file, client_id, client_secret: secret };
            Ok(HttpClient::authorized(url, source, redactor.clone()))
        }
        None => Ok(HttpClient::plain()),
    }
}

/// A client for one request Sluice makes on its own (the 401 probe, legacy
/// metadata): no redirects followed, at most 30 s.
pub(super) fn single_request_client() -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()
}

/// Whether `url`'s host is loopback.
pub(super) fn is_loopback(url: &str) -> bool {
    match url::Url::parse(url).ok().and_then(|url| url.host().map(|host| host.to_owned())) {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether an authorization server endpoint may receive a code, a secret or a
/// token: `https://`, or `http://` when it and the MCP server are both on loopback.
pub(super) fn endpoint_allowed(endpoint: &str, server_is_loopback: bool) -> bool {
    endpoint.starts_with("https://") || (server_is_loopback && endpoint.starts_with("http://") && is_loopback(endpoint))
}

/// A PEM private key, at most [`MAX_KEY_BYTES`].
fn read_key(path: &Path) -> Result<Vec<u8>, SetupError> {
    use std::io::Read;
    let key = |source| SetupError::Key { path: path.to_owned(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|file| file.take(MAX_KEY_BYTES + 1).read_to_end(&mut bytes)).map_err(key)?;
    if bytes.len() as u64 > MAX_KEY_BYTES {
        return Err(key(std::io::Error::new(std::io::ErrorKind::InvalidData, "it is too large for a key")));
    }
    Ok(bytes)
}
