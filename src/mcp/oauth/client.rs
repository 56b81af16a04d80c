//! The HTTP client of a remote server's connection: plain, or with rmcp's
//! [`AuthClient`] adding the server's OAuth token to every request.
//!
//! The token comes from the server's credentials file (written by `sluice
//! login`), refreshed by rmcp when it is about to expire, or, with the
//! `client_credentials` grant, from the authorization server at the first
//! request. The authorization manager is set up on the first request, not when
//! the transport is opened, so opening stays synchronous and sends nothing.
//! A 403 `insufficient_scope` is noted in the credentials file, so the next
//! login asks for what the server wanted (step-up).

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use oauth2::ClientSecret;
use oauth2::basic::BasicTokenType;
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::auth::enterprise::{
    EmaAccessToken, EmaAuthorizationServer, EmaClientAuthentication, EmaError, EmaExchangeRequest,
};
use rmcp::transport::auth::{
    AuthClient, AuthError, AuthorizationManager, AuthorizationMetadata, ClientCredentialsConfig, CredentialStore,
    InMemoryCredentialStore, OAuthClientConfig, OAuthTokenResponse, StoredCredentials, VendorExtraTokenFields,
    default_oauth_http_client,
};
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse, StreamableHttpResponseLimits,
};
use sse_stream::Sse;

use super::store::{CredentialsFile, FileStore, hide_tokens};
use super::{endpoint_allowed, is_loopback};
use crate::mcp::redact::Redactor;

/// The most redirects one request follows.
const MAX_REDIRECTS: usize = 10;

type Error = StreamableHttpError<reqwest::Error>;

/// A connection's HTTP client.
#[derive(Clone)]
pub(crate) struct HttpClient {
    plain: reqwest::Client,
    auth: Option<Arc<Authorizer>>,
}

/// Where a connection's tokens come from.
pub(super) enum TokenSource {
    /// A login's credentials file; `client_secret` is a pre-registered
    /// client's, from the configuration.
    Stored { file: CredentialsFile, client_id: String, client_secret: Option<String> },
    /// The client authenticates itself at the token endpoint.
    ClientCredentials(ClientCredentialsConfig),
    /// An enterprise ID token, exchanged at each connection (SEP-990).
    Enterprise(Box<EnterpriseExchange>),
}

/// What the enterprise grant exchanges, and with whom.
pub(crate) struct EnterpriseExchange {
    /// This client at the MCP server's authorization server, and its secret.
    pub(super) client_id: String,
    pub(super) client_secret: Option<String>,
    /// The identity provider, this client there, and its secret if confidential.
    pub(super) idp_issuer: String,
    pub(super) idp_token_endpoint: String,
    pub(super) idp_client_id: String,
    pub(super) idp_client_secret: Option<String>,
    /// The person's ID token from the identity provider.
    pub(super) id_token: String,
    pub(super) scopes: Vec<String>,
}

impl EnterpriseExchange {
    /// The MCP server's access token: the ID token exchanged at the identity
    /// provider for an identity assertion (ID-JAG), redeemed at `metadata`'s
    /// token endpoint. rmcp checks the assertion's bindings and refuses
    /// endpoints that are not https (or http on loopback).
    async fn access_token(&self, url: &str, metadata: &AuthorizationMetadata) -> Result<EmaAccessToken, AuthError> {
        let failed =
            |error: EmaError| AuthError::AuthorizationFailed(format!("the enterprise token exchange failed: {error}"));
        let issuer = metadata.issuer.clone().ok_or_else(|| {
            AuthError::AuthorizationFailed("the authorization server's metadata names no issuer".to_owned())
        })?;
        let authentication = |secret: &Option<String>| match secret {
            Some(secret) => EmaClientAuthentication::ClientSecretBasic(ClientSecret::new(secret.clone())),
            None => EmaClientAuthentication::None,
        };
        let idp = EmaAuthorizationServer::new(&self.idp_issuer, &self.idp_token_endpoint, &self.idp_client_id)
            .with_client_authentication(authentication(&self.idp_client_secret));
        let resource_as = EmaAuthorizationServer::new(issuer, &metadata.token_endpoint, &self.client_id)
            .with_client_authentication(authentication(&self.client_secret));
        let http = default_oauth_http_client()?;
        EmaExchangeRequest::new_with_id_token(idp, resource_as, url, &self.id_token)
            .with_scopes(self.scopes.iter().cloned())
            .exchange(&http, &http)
            .await
            .map_err(failed)
    }
}

/// Sets up rmcp's authorization manager once, on first use.
struct Authorizer {
    url: String,
    source: TokenSource,
    /// The server's redactor, which learns each token (a server quoting one
    /// back in an error must not show it to the program).
    redactor: Redactor,
    client: tokio::sync::OnceCell<AuthClient<reqwest::Client>>,
}

impl HttpClient {
    /// A client that sends no token.
    pub(crate) fn plain() -> HttpClient {
        HttpClient { plain: base_client(), auth: None }
    }

    /// A client that sends `url`'s token from `source`, teaching `redactor` each token.
    pub(super) fn authorized(url: &str, source: TokenSource, redactor: Redactor) -> HttpClient {
        let auth = Authorizer { url: url.to_owned(), source, redactor, client: tokio::sync::OnceCell::new() };
        HttpClient { plain: base_client(), auth: Some(Arc::new(auth)) }
    }
}

/// The reqwest client under every connection: no idle pooling (as rmcp's own
/// default, against delayed-ACK stalls) and only same-origin 307/308 redirects
/// followed (they keep the method and body; any other redirect, and one to
/// another origin, which must not receive the session or the token, is
/// returned as the answer).
fn base_client() -> reqwest::Client {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let keeps_body = matches!(
            attempt.status(),
            reqwest::StatusCode::TEMPORARY_REDIRECT | reqwest::StatusCode::PERMANENT_REDIRECT
        );
        let same_origin = attempt.previous().first().is_some_and(|first| first.origin() == attempt.url().origin());
        if !keeps_body || !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(policy)
        .build()
        .expect("a reqwest client with no TLS settings of its own builds")
}

impl Authorizer {
    async fn client(self: &Arc<Self>) -> Result<&AuthClient<reqwest::Client>, Error> {
        let this = self.clone();
        // rmcp's `private_key_jwt` exchange is not `Send` (it holds a form
        // serializer across an await), so the set-up runs on a blocking thread
        // of its own, driven by the runtime's handle.
        let set_up = || async move {
            tokio::task::spawn_blocking(move || tokio::runtime::Handle::current().block_on(this.set_up()))
                .await
                .map_err(|error| AuthError::InternalError(format!("the OAuth set-up stopped: {error}")))?
        };
        Ok(self.client.get_or_try_init(set_up).await?)
    }

    async fn set_up(&self) -> Result<AuthClient<reqwest::Client>, AuthError> {
        // `new` lets discovered metadata name loopback or private hosts only when
        // the server's own URL is one of that class (no SSRF from a public server).
        let mut manager = AuthorizationManager::new(self.url.as_str()).await?;
        // Discovery runs afresh at each connection; a token or secret goes only to
        // endpoints a login would accept.
        let metadata = super::discover::metadata(&manager, &self.url, None).await?;
        let loopback = is_loopback(&self.url);
        if !endpoint_allowed(&metadata.token_endpoint, loopback) {
            return Err(AuthError::AuthorizationFailed(format!(
                "the authorization server's token endpoint is not https:// ({})",
                metadata.token_endpoint
            )));
        }
        manager.set_metadata(metadata.clone());
        match &self.source {
            TokenSource::Stored { file, client_id, client_secret } => {
                let secret = file.load().ok().flatten().and_then(|entry| entry.client_secret);
                manager.set_credential_store(FileStore {
                    file: file.clone(),
                    client_secret: secret.clone(),
                    login: false,
                    redactor: self.redactor.clone(),
                });
                if !manager.initialize_from_store().await? {
                    return Err(AuthError::AuthorizationRequired);
                }
                // A confidential client refreshes with its secret: the configured
                // one, or the one its registration gave.
                if let Some(secret) = client_secret.clone().or(secret) {
                    let config = OAuthClientConfig::new(client_id.clone(), self.url.clone()).with_client_secret(secret);
                    manager.configure_client(config)?;
                }
            }
            TokenSource::ClientCredentials(config) => {
                manager.validate_client_credentials_metadata(config)?;
                manager.configure_client_credentials(config)?;
                let token = manager.exchange_client_credentials(config).await?;
                hide_tokens(&self.redactor, &token);
            }
            TokenSource::Enterprise(exchange) => {
                let secrets =
                    [Some(&exchange.id_token), exchange.client_secret.as_ref(), exchange.idp_client_secret.as_ref()];
                for secret in secrets.into_iter().flatten() {
                    self.redactor.add_secret(secret);
                }
                let token = exchange.access_token(&self.url, &metadata).await?;
                self.redactor.add_secret(token.access_token.secret());
                let mut response = OAuthTokenResponse::new(
                    token.access_token,
                    BasicTokenType::Bearer,
                    VendorExtraTokenFields::default(),
                );
                response.set_expires_in(token.expires_in.as_ref());
                let scopes = token.scopes.into_iter().collect();
                let credentials =
                    StoredCredentials::new(exchange.client_id.clone(), Some(response), scopes, Some(unix_now()));
                let store = InMemoryCredentialStore::new();
                store.save(credentials).await?;
                manager.set_credential_store(store);
                if !manager.initialize_from_store().await? {
                    return Err(AuthError::AuthorizationRequired);
                }
            }
        }
        Ok(AuthClient::new(base_client(), manager))
    }

    /// Notes a step-up challenge for the next login.
    fn note<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        if let (Err(StreamableHttpError::InsufficientScope(challenge)), TokenSource::Stored { file, .. }) =
            (&result, &self.source)
        {
            file.note_step_up(&challenge.www_authenticate_header);
        }
        result
    }
}

/// Seconds since the Unix epoch, as rmcp stores when a token was received.
fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// Sends through the plain client, or through rmcp's [`AuthClient`] (set up on
/// first use), noting a step-up challenge.
macro_rules! delegate {
    ($self:ident, $method:ident($($arg:ident),*)) => {
        match &$self.auth {
            None => $self.plain.$method($($arg),*).await,
            Some(auth) => auth.note(auth.client().await?.$method($($arg),*).await),
        }
    };
}

impl StreamableHttpClient for HttpClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Error> {
        delegate!(self, post_message(uri, message, session_id, auth_header, custom_headers))
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max: usize,
    ) -> Result<StreamableHttpPostResponse, Error> {
        delegate!(
            self,
            post_message_with_max_sse_event_size(uri, message, session_id, auth_header, custom_headers, max)
        )
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, Error> {
        delegate!(
            self,
            post_message_with_response_limits(uri, message, session_id, auth_header, custom_headers, limits)
        )
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Error> {
        delegate!(self, delete_session(uri, session_id, auth_header, custom_headers))
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Error> {
        delegate!(self, get_stream(uri, session_id, last_event_id, auth_header, custom_headers))
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Error> {
        delegate!(
            self,
            get_stream_with_max_sse_event_size(uri, session_id, last_event_id, auth_header, custom_headers, max)
        )
    }
}
