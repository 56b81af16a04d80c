"""An OAuth-protected MCP server (the official Python SDK's auth), for tests/all/oauth.rs.

`python oauth.py RECORD` serves Streamable HTTP at http://127.0.0.1:PORT/mcp with its own
authorization server on the same origin (metadata, dynamic registration, /authorize that
approves at once by redirecting with a code, /token, refresh), and appends to the file RECORD
one line per event, so a test can see from outside what happened: `port N` once listening,
`registered`, `authorized`, `token <access token>` for each token issued (by code or by
refresh), `refreshed`, and `call <access token>` for each call of its one tool, `whoami`.

The first access token is issued already expired (`expires_in` 0), so the first run after a
login must refresh it; refreshed tokens last an hour. Every token is random: a test can look
for it in what Sluice printed.
"""
import secrets
import socket
import sys
import time

import anyio
import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, AuthorizationCode, RefreshToken, construct_redirect_uri
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthToken
from mcp.shared.exceptions import MCPError

RECORD = sys.argv[1]


def record(event: str) -> None:
    with open(RECORD, "a") as f:
        f.write(event + "\n")


class Provider:
    """Approves every authorization at once; keeps everything in memory."""

    def __init__(self):
        self.clients = {}
        self.codes = {}
        self.refresh_tokens = {}
        self.access_tokens = {}
        self.issued = 0

    async def get_client(self, client_id):
        return self.clients.get(client_id)

    async def register_client(self, client_info):
        self.clients[client_info.client_id] = client_info
        record("registered")

    async def authorize(self, client, params):
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or ["mcp"],
            expires_at=time.time() + 300,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
        )
        record("authorized")
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(self, client, authorization_code):
        return self.codes.get(authorization_code)

    def issue(self, client_id, scopes, resource):
        # The first token is born expired, so the next run refreshes it.
        lifetime = 0 if self.issued == 0 else 3600
        self.issued += 1
        access = "at-" + secrets.token_urlsafe(24)
        refresh = "rt-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = AccessToken(
            token=access, client_id=client_id, scopes=scopes, expires_at=int(time.time()) + 3600, resource=resource
        )
        self.refresh_tokens[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource)
        record(f"token {access}")
        return OAuthToken(
            access_token=access, token_type="Bearer", expires_in=lifetime, refresh_token=refresh, scope=" ".join(scopes)
        )

    async def exchange_authorization_code(self, client, authorization_code):
        del self.codes[authorization_code.code]
        return self.issue(client.client_id, authorization_code.scopes, authorization_code.resource)

    async def load_refresh_token(self, client, refresh_token):
        return self.refresh_tokens.get(refresh_token)

    async def exchange_refresh_token(self, client, refresh_token, scopes):
        del self.refresh_tokens[refresh_token.token]
        record("refreshed")
        return self.issue(client.client_id, scopes or refresh_token.scopes, refresh_token.resource)

    async def load_access_token(self, token):
        return self.access_tokens.get(token)

    async def revoke_token(self, token):
        self.access_tokens.pop(getattr(token, "token", None), None)


async def main() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = MCPServer(
        "secure",
        auth_server_provider=Provider(),
        auth=AuthSettings(
            issuer_url=base,
            resource_server_url=f"{base}/mcp",
            required_scopes=["mcp"],
            client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=["mcp"], default_scopes=["mcp"]),
        ),
    )

    @server.tool()
    def whoami() -> str:
        """Says hello to whoever called."""
        record(f"call {get_access_token().token}")
        return "hello, signed-in caller"

    @server.tool()
    def refuse() -> str:
        """Fails with a protocol error that quotes the caller's token (a careless server)."""
        raise MCPError(-32000, f"token {get_access_token().token} may not do this")

    app = server.streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(app, log_level="warning")
    # Listening before the port is told (see sessions.py).
    sock.listen(128)
    record(f"port {port}")
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    anyio.run(main)
