//! The authorization server's metadata for a remote server: rmcp's discovery,
//! with one allowance for servers of the 2025-03-26 revision.
//!
//! That revision had no protected-resource metadata: a client took the MCP
//! server's origin as the authorization server and read
//! `/.well-known/oauth-authorization-server` there. Servers of that time often
//! publish an `issuer` under a path of that same origin (`https://host/oauth`),
//! which RFC 8414's check (the issuer must be the URL the metadata was read
//! under) refuses, so such a server could never be signed in to. The check
//! guards against mix-ups between authorization servers; a metadata document
//! the MCP server's own origin serves at its root, whose issuer and every
//! endpoint are on that same origin, names no other party. Only that case is
//! allowed; any other mismatch (another origin, a path-based issuer a
//! protected-resource document named) stays refused.

use rmcp::transport::auth::{AuthError, AuthorizationManager, AuthorizationMetadata};
use url::Url;

/// The largest metadata document read here.
const MAX_METADATA_BYTES: usize = 64 << 10;

/// The metadata `manager` discovers for server `url` (seeded with the server's
/// `challenge`, if any), or the 2025-03-26 allowance's.
pub(super) async fn metadata(
    manager: &AuthorizationManager,
    url: &str,
    challenge: Option<&str>,
) -> Result<AuthorizationMetadata, AuthError> {
    let error = match manager.resolve_metadata_from_challenge(challenge).await {
        Ok(resolution) => return Ok(resolution.metadata),
        Err(error) => error,
    };
    let AuthError::AuthorizationServerMismatch { expected_issuer, received_issuer } = &error else {
        return Err(error);
    };
    match same_origin_metadata(url, expected_issuer, received_issuer).await {
        Some(metadata) => {
            tracing::info!(
                issuer = received_issuer.as_str(),
                "accepting the server's own authorization metadata (2025-03-26): its issuer is a path of its origin"
            );
            Ok(metadata)
        }
        None => Err(error),
    }
}

/// The metadata at the root of `server`'s origin, if the mismatch was between
/// that origin's root (`expected`) and an issuer on the same origin
/// (`received`), and the document names that issuer and endpoints on that
/// origin only.
async fn same_origin_metadata(server: &str, expected: &str, received: &str) -> Option<AuthorizationMetadata> {
    let (server, expected, received) =
        (Url::parse(server).ok()?, Url::parse(expected).ok()?, Url::parse(received).ok()?);
    let at_root = matches!(expected.path(), "" | "/");
    if !(at_root && same_origin(&server, &expected) && same_origin(&server, &received)) {
        return None;
    }
    let document = server.join("/.well-known/oauth-authorization-server").ok()?;
    let metadata: AuthorizationMetadata = serde_json::from_slice(&fetch(document).await?).ok()?;
    if metadata.issuer.as_deref().and_then(|issuer| Url::parse(issuer).ok()) != Some(received) {
        return None;
    }
    let endpoints = [Some(&metadata.authorization_endpoint), Some(&metadata.token_endpoint)]
        .into_iter()
        .chain([metadata.registration_endpoint.as_ref()])
        .flatten();
    let on_origin = endpoints
        .map(|endpoint| Url::parse(endpoint).ok())
        .all(|endpoint| endpoint.is_some_and(|endpoint| same_origin(&server, &endpoint)));
    on_origin.then_some(metadata)
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// The body of a `GET` of `url`, if it answers 200 within the size cap (and
/// [`super::single_request_client`]'s time, without redirects).
async fn fetch(url: Url) -> Option<Vec<u8>> {
    let client = super::single_request_client()?;
    let mut response = client.get(url).header(reqwest::header::ACCEPT, "application/json").send().await.ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_METADATA_BYTES {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_a_mismatch_within_the_servers_own_origin_at_its_root_is_looked_at() {
        // Each of these is refused before anything is fetched (nothing listens on these hosts).
        let server = "https://mcp.example.com/mcp";
        for (expected, received) in [
            ("https://mcp.example.com/", "https://evil.example.net/oauth"),
            ("https://auth.example.com/", "https://auth.example.com/oauth"),
            ("https://mcp.example.com/tenant", "https://mcp.example.com/other"),
            ("http://mcp.example.com/", "http://mcp.example.com/oauth"),
        ] {
            assert!(same_origin_metadata(server, expected, received).await.is_none(), "{expected} vs {received}");
        }
    }
}
