"""A test MCP server (the official Python SDK) that misbehaves on request, for tests/all/hostile_servers.rs.

Its tools show what a server can see of the host (its environment), flood the client's log, answer with a
result nested deeper than a JSON parser allows, and leave behind a process that escaped their process group
with setsid(). It counts the tools/list requests it receives (tool `list_requests`); with `--endless-pages`
every page of tools/list points to another.
"""
import os
import subprocess
import sys
import warnings

from mcp import MCPDeprecationWarning
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, LoggingMessageNotification, LoggingMessageNotificationParams, TextContent

ENDLESS_PAGES = "--endless-pages" in sys.argv
# Logging is deprecated in 2026-07-28, which is the point: older servers still log.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning)


class Hostile(MCPServer):
    list_requests = 0

    async def _handle_list_tools(self, ctx, params):
        Hostile.list_requests += 1
        result = await super()._handle_list_tools(ctx, params)
        if ENDLESS_PAGES:
            page = int(params.cursor) if params is not None and params.cursor else 0
            result.tools = [tool.model_copy(update={"name": f"page{page}.{tool.name}"}) for tool in result.tools]
            result.next_cursor = str(page + 1)
        return result


server = Hostile("hostile")


@server.tool()
def environment() -> dict:
    """The server's environment variables."""
    return dict(os.environ)


@server.tool()
def list_requests() -> int:
    """How many tools/list requests the server has received."""
    return Hostile.list_requests


@server.tool()
def nested(depth: int) -> CallToolResult:
    """A result whose structuredContent is `depth` arrays deep."""
    value = 0
    for _ in range(depth):
        value = [value]
    return CallToolResult(content=[TextContent(type="text", text="deep")], structured_content={"value": value})


@server.tool()
async def flood_log(count: int, size: int, ctx: Context) -> str:
    """Sends `count` log notifications of about `size` bytes, each with a terminal escape (OSC 52), whether or
    not the client asked for them (on 2026-07-28 it must ask; a hostile server does not care)."""
    session = ctx.request_context.session
    for i in range(count):
        params = LoggingMessageNotificationParams(level="info", data=f"flood {i} \x1b]52;c;aGk=\x07 " + "x" * size)
        await session.send_notification(LoggingMessageNotification(params=params))
    return "flooded"


@server.tool()
def leave_process(pid_file: str) -> str:
    """Starts a `sleep` in a session of its own (setsid) and writes its pid to `pid_file`."""
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    with open(pid_file, "w") as f:
        f.write(str(child.pid))
    return "left"


if __name__ == "__main__":
    if "--http" in sys.argv:
        server.run("streamable-http", port=int(sys.argv[sys.argv.index("--http") + 1]))
    else:
        server.run()
