"""A test MCP server (the official Python SDK) whose tool names have dots and dashes, as MCP allows ([A-Za-z0-9_.-]).

Run by tests/all/mcp_servers.rs with the test venv's python; real third-party servers have no such names.
"""
import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("dotted")


@server.tool(name="inventory.count-items")
def count_items(kind: str) -> dict:
    """Counts items of a kind."""
    return {"kind": kind, "count": len(kind)}


@server.tool(name="inventory.count_items")
def count_items_exact(kind: str) -> str:
    """A name that collides with the alias of the one above."""
    return "exact"


@server.tool(name="stock.check-up")
def check_up(sku: str) -> dict:
    """Checks that an item is in stock."""
    return {"sku": sku, "in_stock": True}


@server.tool(name="wait.forever")
async def wait_forever(marker: str) -> str:
    """Waits until the call is cancelled (notifications/cancelled), then writes `marker`."""
    try:
        await anyio.sleep(3600)
    finally:
        with open(marker, "w") as f:
            f.write("cancelled")
    return "never"


if __name__ == "__main__":
    server.run()
