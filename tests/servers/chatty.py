"""A test MCP server (the official Python SDK) whose one tool logs while it runs, for tests/all/run_output.rs.

`echo(text)` sends two log notifications (info, then warning) naming `text` and returns `text` at once:
the lines arrive in the instant before the result, which is where a client that handles notifications
out of order loses them.
"""
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("chatty")


@server.tool()
async def echo(text: str, ctx: Context) -> str:
    """Logs twice, then returns `text`."""
    await ctx.info(f"echoing {text}")
    await ctx.warning(f"{text} was echoed")
    return text


if __name__ == "__main__":
    server.run()
