"""A test MCP server (the official Python SDK) that keeps 2025-era sessions over Streamable HTTP, and can
forget them, for tests/all/mcp_servers.rs.

It answers `server/discover` with "method not found", as servers of the 2025-11-25 era do, so a client falls
back to `initialize` and gets an `Mcp-Session-Id`. After `forget_sessions()`, the next request ends every
session first, as a server restart or an idle timeout would; it and each later request naming one get 404,
after which the client has to initialize a new session. Prints `port N` to the record file given as its argument once listening, and
`session N` each time a session starts.

    python sessions.py RECORD
"""
import json
import socket
import sys

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer

RECORD = sys.argv[1]


def record(line: str) -> None:
    with open(RECORD, "a") as f:
        f.write(line + "\n")


server = MCPServer("sessions")
sessions_started = 0
forget = False


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


@server.tool()
def forget_sessions() -> str:
    """Ends every session before the next request (they answer 404 from then on)."""
    global forget
    forget = True
    return "forgotten"


async def end_sessions() -> None:
    for transport in list(server.session_manager._server_instances.values()):
        await transport.terminate()


def refusing_discover(app):
    """Answers `server/discover` as a 2025-era server does: the method is not found."""

    async def wrapped(scope, receive, send):
        global forget
        if scope["type"] != "http" or scope["method"] != "POST":
            return await app(scope, receive, send)
        if forget:
            forget = False
            await end_sessions()
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if isinstance(request, dict) and request.get("method") == "server/discover":
            answer = json.dumps({"jsonrpc": "2.0", "id": request.get("id"),
                                 "error": {"code": -32601, "message": "Method not found"}}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": answer})
            return
        if isinstance(request, dict) and request.get("method") == "initialize":
            global sessions_started
            sessions_started += 1
            record(f"session {sessions_started}")
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await app(scope, replay, send)

    return wrapped


async def main() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = refusing_discover(server.streamable_http_app(host="127.0.0.1"))
    config = uvicorn.Config(app, log_level="warning")
    # Listening before the port is told: a client that connects while uvicorn still
    # starts waits in the backlog instead of being refused.
    sock.listen(128)
    record(f"port {port}")
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    anyio.run(main)
