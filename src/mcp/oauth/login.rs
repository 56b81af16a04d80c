//! `sluice login SERVER`: the OAuth authorization-code flow with PKCE, once,
//! through the user's browser and a loopback redirect listener.
//!
//! The listener is on 127.0.0.1 at a port the system picks, answers only
//! `GET /callback` carrying this login's `state` (anything else gets an error
//! page and is otherwise ignored, so a stray or forged request cannot end or
//! hijack the login), reads at most [`MAX_REQUEST_BYTES`] of a request, and
//! gives up after [`LoginOptions::timeout`]. The browser is `$BROWSER` when
//! set, else `xdg-open` (`open` on macOS); the URL is always printed, so a
//! headless machine (or a test) can open it some other way. What the login
//! needs to know about the authorization server comes from rmcp's discovery,
//! seeded by the server's own `401` challenge (or by the `403` step-up a run
//! noted); an authorization server endpoint on `http://` is refused unless
//! both it and the MCP server are on loopback.

use std::path::PathBuf;
use std::time::Duration;

use rmcp::transport::auth::{AuthError, AuthorizationManager, AuthorizationRequest, AuthorizationSession};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::store::{CredentialsError, CredentialsFile, FileStore};
use super::{endpoint_allowed, is_loopback};
use crate::config::{MissingVariable, OAuthGrant, ServerConfig, Transport};
use crate::mcp::redact::Redactor;
use crate::terminal::escape_controls;

/// The most bytes of one request to the redirect listener that are read.
const MAX_REQUEST_BYTES: usize = 8 << 10;
/// How long one connection to the listener may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `WWW-Authenticate` header kept from the probe.
const MAX_CHALLENGE_BYTES: usize = 8 << 10;
/// The most characters of an authorization server's error shown.
const MAX_ERROR_CHARS: usize = 300;
/// The path the authorization server redirects to.
const CALLBACK_PATH: &str = "/callback";

/// How a login runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoginOptions {
    /// Where the token is stored (see [`super::default_credentials_dir`]).
    pub credentials_dir: PathBuf,
    /// How long to wait for the browser to come back. Default: 5 minutes.
    pub timeout: Duration,
    /// The program that opens the URL; `None` prints it only. Default:
    /// `$BROWSER`, else the desktop's opener.
    pub browser: Option<String>,
}

impl LoginOptions {
    /// Defaults, storing in `credentials_dir`.
    pub fn new(credentials_dir: PathBuf) -> LoginOptions {
        let browser = std::env::var("BROWSER")
            .ok()
            .filter(|b| !b.trim().is_empty())
            .or_else(|| Some(if cfg!(target_os = "macos") { "open" } else { "xdg-open" }.to_owned()));
        LoginOptions { credentials_dir, timeout: Duration::from_secs(300), browser }
    }
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The server is not a remote one.
    #[error("server {0:?} is a stdio server; only remote (url) servers sign in")]
    NotRemote(String),
    /// The server authenticates without a person.
    #[error("server {0:?} uses the client_credentials grant: runs get tokens themselves, no login is needed")]
    NoLoginNeeded(String),
    /// The server has a static token.
    #[error("server {0:?} has an Authorization header; remove it to sign in with OAuth instead")]
    StaticHeader(String),
    /// A `${env:NAME}` in its OAuth settings is not set.
    #[error(transparent)]
    Variable(#[from] MissingVariable),
    /// The stored credentials cannot be read or written.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The redirect listener could not be opened.
    #[error("cannot listen on loopback for the browser's redirect")]
    Listener(#[source] std::io::Error),
    /// Discovery, registration or the token exchange failed (rmcp's error).
    #[error("{what}")]
    OAuth {
        /// Which step.
        what: String,
        /// rmcp's error.
        #[source]
        source: Box<AuthError>,
    },
    /// The authorization server names an endpoint Sluice will not send a code or secret to.
    #[error("the authorization server's {what} endpoint is not https:// ({url})")]
    Insecure {
        /// Which endpoint.
        what: &'static str,
        /// Its URL.
        url: String,
    },
    /// The authorization server (or the person) refused.
    #[error("the authorization server refused: {0}")]
    Refused(String),
    /// Nobody came back in time.
    #[error("no answer from the browser within {}", humantime::format_duration(*.0))]
    TimedOut(Duration),
}

fn oauth(what: impl Into<String>) -> impl FnOnce(AuthError) -> LoginError {
    let what = what.into();
    move |source| LoginError::OAuth { what, source: Box::new(source) }
}

/// Signs in to `server` (configured as `config`): discovers its authorization
/// server, registers or identifies the client, has the person approve in a
/// browser, exchanges the code, and stores the tokens. `say` prints progress
/// (the URL to open among it).
pub async fn login(
    server: &str,
    config: &ServerConfig,
    options: &LoginOptions,
    say: impl Fn(&str),
) -> Result<PathBuf, LoginError> {
    let Transport::Http { url, headers, oauth: settings } = &config.transport else {
        return Err(LoginError::NotRemote(server.to_owned()));
    };
    if headers.keys().any(|key| key.eq_ignore_ascii_case("authorization")) {
        return Err(LoginError::StaticHeader(server.to_owned()));
    }
    let settings = settings.clone().unwrap_or_default();
    if matches!(settings.grant, OAuthGrant::ClientCredentials | OAuthGrant::Enterprise) {
        return Err(LoginError::NoLoginNeeded(server.to_owned()));
    }
    let secret = settings.client_secret.as_ref().map(|s| s.expand(|name| std::env::var(name).ok())).transpose()?;
    let file = CredentialsFile::new(&options.credentials_dir, url);
    let step_up = file.load()?.and_then(|entry| entry.step_up);

    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(LoginError::Listener)?;
    let port = listener.local_addr().map_err(LoginError::Listener)?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");

    // The server's own challenge says where its metadata is and what scope it wants.
    let challenge = match step_up {
        Some(challenge) => Some(challenge),
        None => probe(url).await,
    };
    let mut manager = AuthorizationManager::new(url.as_str()).await.map_err(oauth("bad server URL"))?;
    let metadata = super::discover::metadata(&manager, url, challenge.as_deref())
        .await
        .map_err(oauth(format!("cannot discover how server {server:?} is authorized")))?;
    let loopback = is_loopback(url);
    check_endpoint("authorization", &metadata.authorization_endpoint, loopback)?;
    check_endpoint("token", &metadata.token_endpoint, loopback)?;
    let supports_cimd =
        metadata.additional_fields.get("client_id_metadata_document_supported").and_then(|v| v.as_bool()) == Some(true);
    let registration = metadata.registration_endpoint.clone();
    manager.set_metadata(metadata);

    let mut request =
        AuthorizationRequest::new(redirect_uri.clone()).with_client_name("Sluice").with_initial_scope_selection();
    if !settings.scopes.is_empty() {
        request = request.with_scopes(settings.scopes.iter().cloned());
    }
    let mut registered_secret = None;
    if let Some(client_id) = &settings.client_id {
        request = request.with_preregistered_client(client_id.clone());
        if let Some(secret) = secret {
            request = request.with_client_secret(secret);
        }
    } else if let Some(document) = settings.client_metadata_url.as_ref().filter(|_| supports_cimd) {
        request = request.with_client_metadata_url(document.clone());
    } else {
        // Dynamic registration, done here rather than inside rmcp's session so
        // that a confidential client's secret can be kept for refreshes.
        if let Some(endpoint) = &registration {
            check_endpoint("registration", endpoint, loopback)?;
        }
        let scopes =
            if settings.scopes.is_empty() { manager.select_initial_scopes(&[]).await } else { settings.scopes.clone() };
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let client = manager.register_client("Sluice", &redirect_uri, &scopes).await.map_err(oauth(
            "the authorization server did not register Sluice (set oauth.clientId for a client registered beforehand)",
        ))?;
        request = request.with_preregistered_client(client.client_id);
        if let Some(secret) = &client.client_secret {
            request = request.with_client_secret(secret.clone());
        }
        registered_secret = client.client_secret;
    }
    manager.set_credential_store(FileStore {
        file: file.clone(),
        client_secret: registered_secret,
        login: true,
        redactor: Redactor::default(),
    });
    let session = AuthorizationSession::new(manager, request)
        .await
        .map_err(|(_, error)| oauth("cannot start the authorization")(error))?;
    let authorize = session.get_authorization_url().to_owned();
    let state = url::Url::parse(&authorize)
        .ok()
        .and_then(|parsed| parsed.query_pairs().find(|(key, _)| key == "state").map(|(_, value)| value.into_owned()))
        .ok_or_else(|| LoginError::Refused("rmcp built an authorization URL without a state".to_owned()))?;

    say(&format!("to sign in to {server}, open this URL in a browser:\n  {authorize}"));
    if let Some(browser) = &options.browser {
        open_browser(browser, &authorize);
    }
    let callback = tokio::time::timeout(options.timeout, wait_for_callback(&listener, &state))
        .await
        .map_err(|_| LoginError::TimedOut(options.timeout))??;
    session
        .handle_callback_with_issuer(&callback.code, &state, callback.issuer.as_deref())
        .await
        .map_err(oauth("the token exchange failed"))?;
    Ok(file.path().to_owned())
}

/// Forgets `server`'s stored sign-in (the token is not revoked at the
/// authorization server); `Ok(false)` if there was none.
pub fn logout(server: &str, config: &ServerConfig, credentials_dir: &std::path::Path) -> Result<bool, LoginError> {
    let Transport::Http { url, .. } = &config.transport else {
        return Err(LoginError::NotRemote(server.to_owned()));
    };
    let file = CredentialsFile::new(credentials_dir, url);
    let existed = file.path().exists();
    file.remove()?;
    Ok(existed)
}

/// The `WWW-Authenticate` of the server's answer to an unauthenticated
/// `initialize`, when it is a 401 or 403.
async fn probe(url: &str) -> Option<String> {
    let client = super::single_request_client()?;
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": { "name": "sluice", "version": env!("CARGO_PKG_VERSION") }
        }
    });
    let response = client
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .ok()?;
    if !matches!(response.status().as_u16(), 401 | 403) {
        return None;
    }
    let header = response.headers().get(reqwest::header::WWW_AUTHENTICATE)?.to_str().ok()?;
    (header.len() <= MAX_CHALLENGE_BYTES).then(|| header.to_owned())
}

/// Refuses an `http://` endpoint unless it and the MCP server are both on loopback.
fn check_endpoint(what: &'static str, endpoint: &str, server_is_loopback: bool) -> Result<(), LoginError> {
    if endpoint_allowed(endpoint, server_is_loopback) {
        return Ok(());
    }
    Err(LoginError::Insecure { what, url: escape_controls(endpoint).into_owned() })
}

/// Starts the browser on `url`, without waiting for it; a failure is only
/// reported (the URL was printed). `browser` is read as `$BROWSER` is by
/// convention: the first of a `:`-separated list, a command with arguments,
/// `%s` standing for the URL (else the URL is the last argument). No shell.
fn open_browser(browser: &str, url: &str) {
    let Some((program, args)) = browser_command(browser, url) else { return };
    let spawned = tokio::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn();
    if let Err(error) = spawned {
        tracing::warn!("could not start the browser {}: {error}", escape_controls(&program));
    }
}

/// The program and arguments that open `url` with `browser`.
fn browser_command(browser: &str, url: &str) -> Option<(String, Vec<String>)> {
    let first = browser.split(':').map(str::trim).find(|entry| !entry.is_empty())?;
    let mut words = first.split_whitespace().map(str::to_owned);
    let program = words.next()?;
    let mut args: Vec<String> = words.collect();
    if args.iter().any(|arg| arg.contains("%s")) {
        args.iter_mut().for_each(|arg| *arg = arg.replace("%s", url));
    } else {
        args.push(url.to_owned());
    }
    Some((program, args))
}

/// What the browser brought back.
struct Callback {
    code: String,
    issuer: Option<String>,
}

/// Serves the listener until a request brings this login's `state`.
async fn wait_for_callback(listener: &TcpListener, state: &str) -> Result<Callback, LoginError> {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            // Out of descriptors, say: try again shortly rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(Some(target)) = tokio::time::timeout(REQUEST_TIMEOUT, read_target(&mut stream)).await else {
            continue;
        };
        let (status, page, outcome) = answer(&target, state);
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
             cache-control: no-store\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = tokio::time::timeout(REQUEST_TIMEOUT, stream.write_all(response.as_bytes())).await;
        let _ = stream.shutdown().await;
        if let Some(outcome) = outcome {
            return outcome;
        }
    }
}

/// The request target of a `GET`, reading at most [`MAX_REQUEST_BYTES`].
async fn read_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() + read > MAX_REQUEST_BYTES {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let line = buffer.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_owned()),
        _ => None,
    }
}

/// The status, page and (for this login's redirect) outcome of a request for `target`.
fn answer(target: &str, state: &str) -> (&'static str, &'static str, Option<Result<Callback, LoginError>>) {
    const DONE: &str = "<!doctype html><title>Sluice</title><p>Signed in. You can close this window.";
    const FAILED: &str = "<!doctype html><title>Sluice</title><p>Sign-in failed; see the terminal.";
    const UNKNOWN: &str = "<!doctype html><title>Sluice</title><p>This is not the sign-in Sluice is waiting for.";
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CALLBACK_PATH {
        return ("404 Not Found", UNKNOWN, None);
    }
    let mut code = None;
    let mut issuer = None;
    let mut error = None;
    let mut description = None;
    let mut given_state = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(value.into_owned()),
            "iss" => issuer = Some(value.into_owned()),
            "state" => given_state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    // Without this login's state the request is not the redirect (CSRF): ignored.
    if given_state.as_deref() != Some(state) {
        return ("400 Bad Request", UNKNOWN, None);
    }
    match (code, error) {
        (Some(code), None) => ("200 OK", DONE, Some(Ok(Callback { code, issuer }))),
        (_, error) => {
            let mut text = error.unwrap_or_else(|| "no code".to_owned());
            if let Some(description) = description {
                text = format!("{text}: {description}");
            }
            let text: String = escape_controls(&text).chars().take(MAX_ERROR_CHARS).collect();
            ("400 Bad Request", FAILED, Some(Err(LoginError::Refused(text))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_callback_path_with_this_logins_state_is_an_answer() {
        let state = "s3cr3t-state";
        assert!(answer("/callback?code=c&state=s3cr3t-state", state).2.is_some_and(|r| r.is_ok()));
        assert!(answer("/callback?code=c&state=other", state).2.is_none());
        assert!(answer("/callback?code=c", state).2.is_none());
        assert!(answer("/other?code=c&state=s3cr3t-state", state).2.is_none());
        assert!(answer("/callback/?code=c&state=s3cr3t-state", state).2.is_none());
        let Some(Err(LoginError::Refused(why))) =
            answer("/callback?error=access_denied&error_description=no%1b&state=s3cr3t-state", state).2
        else {
            panic!("a refusal with the right state ends the login");
        };
        assert_eq!(why, "access_denied: no\\u{1b}");
    }

    #[test]
    fn browser_is_read_as_the_convention_says() {
        let url = "https://as.example/authorize?x=1";
        let command = |browser| browser_command(browser, url).unwrap();
        assert_eq!(command("/tmp/open.py"), ("/tmp/open.py".to_owned(), vec![url.to_owned()]));
        assert_eq!(
            command("firefox --new-window"),
            ("firefox".to_owned(), vec!["--new-window".to_owned(), url.to_owned()])
        );
        assert_eq!(command("lynx -dump %s:w3m"), ("lynx".to_owned(), vec!["-dump".to_owned(), url.to_owned()]));
        assert_eq!(browser_command(" : ", url), None);
    }

    #[test]
    fn http_endpoints_are_refused_unless_all_is_loopback() {
        assert!(check_endpoint("token", "https://as.example/token", false).is_ok());
        assert!(check_endpoint("token", "http://as.example/token", false).is_err());
        assert!(check_endpoint("token", "http://127.0.0.1:9/token", false).is_err());
        assert!(check_endpoint("token", "http://127.0.0.1:9/token", true).is_ok());
        assert!(check_endpoint("token", "http://localhost:9/token", true).is_ok());
        assert!(check_endpoint("token", "http://as.example/token", true).is_err());
        assert!(check_endpoint("token", "ftp://127.0.0.1/token", true).is_err());
    }
}
