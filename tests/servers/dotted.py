"""A test MCP server (the official Python SDK) whose tool names have dots and dashes, as MCP allows ([A-Za-z0-9_.-]).

Run by tests/all/mcp_servers.rs with the test venv's python; real third-party servers have no such names.
"""
import anyio
from mcp.server.mcpserver import Context, MCPServer

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


@server.tool(name="stock.add-tool")
async def add_tool(name: str, ctx: Context) -> str:
    """Adds a tool called `name` and says so with notifications/tools/list_changed."""

    def added() -> str:
        return f"{name} works"

    server.add_tool(added, name=name, description="Added at run time.")
    await ctx.notify_tools_changed()
    return "added"


if __name__ == "__main__":
    server.run()
