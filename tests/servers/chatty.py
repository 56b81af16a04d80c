"""A test MCP server (the official Python SDK) whose one tool logs while it runs, for tests/all/run_output.rs.

`echo(text)` sends two log notifications (info, then warning) naming `text`, waits half a second (the
client's SDK hands notifications to its handler on tasks of their own, so a line sent in the instant
before the result can be handled after it), then returns `text`.
"""
import anyio
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("chatty")


@server.tool()
async def echo(text: str, ctx: Context) -> str:
    """Logs twice, then returns `text`."""
    await ctx.info(f"echoing {text}")
    await ctx.warning(f"{text} was echoed")
    await anyio.sleep(0.5)
    return text


if __name__ == "__main__":
    server.run()
