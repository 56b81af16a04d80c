"""A test MCP server (the official Python SDK) with one slow tool, for tests/all/serve.rs.

`python slow.py RECORD` appends one line per event to the file RECORD, so a test can see from outside what
the server lived through: `pid N` when the server starts, `started` when a `wait` call begins, `finished`
when one runs to its end, and `cancelled` when its handler is cancelled (the client sent
notifications/cancelled, or the connection went away).
"""
import os
import sys

import anyio
from mcp.server.mcpserver import MCPServer

RECORD = sys.argv[1]
server = MCPServer("slow")


def record(event: str) -> None:
    with open(RECORD, "a") as f:
        f.write(event + "\n")


@server.tool()
async def wait(seconds: float) -> str:
    """Waits `seconds`, then says so."""
    record("started")
    try:
        await anyio.sleep(seconds)
    except anyio.get_cancelled_exc_class():
        record("cancelled")
        raise
    record("finished")
    return f"waited {seconds} s"


if __name__ == "__main__":
    record(f"pid {os.getpid()}")
    server.run()
