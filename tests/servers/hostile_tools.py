"""A test MCP server (the official Python SDK, low level) that lists the hostile tools of hostile_tools.json verbatim.

Names, titles, descriptions, enum values, property names and defaults hold line breaks, comment
terminators, quotes, backslashes, control characters and `include_str!("/etc/passwd")`: what a
malicious server could send. Run by tests/all/hostile_tool_lists.rs with the test venv's python.
"""
import json
import pathlib

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

TOOLS = json.loads((pathlib.Path(__file__).parent / "hostile_tools.json").read_text())


async def list_tools(ctx, params):
    return types.ListToolsResult(tools=[types.Tool.model_validate(tool) for tool in TOOLS])


async def call_tool(ctx, params):
    return types.CallToolResult(content=[types.TextContent(type="text", text="called")])


server = Server("hostile", on_list_tools=list_tools, on_call_tool=call_tool)


async def main():
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


anyio.run(main)
