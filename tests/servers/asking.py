"""A test MCP server (the official Python SDK) whose tools ask for input while they run, for the
elicitation tests in tests/all/serve.rs and tests/all/cli.rs.

`book(flight)` asks for a seat (required, no default) and a meal (default "vegetarian"), then returns
what the answer was: `accept seat=… meal=…`, `decline` or `cancel`. `confirm(what)` asks a form whose
every field has a default. A 2025-11-25 client is asked with `elicitation/create` during the call; a
2026-07-28 client, which takes no server-to-client requests, gets an `input_required` result (MRTR,
SEP-2322) and calls again with its answer.
"""
from typing import Any, Callable

from mcp_types import ElicitRequest, ElicitRequestFormParams, InputRequiredResult
from pydantic import BaseModel, Field

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("asking")


class Booking(BaseModel):
    seat: str = Field(description="Which seat")
    meal: str = Field(default="vegetarian", description="Which meal")


class Confirmation(BaseModel):
    ok: bool = Field(default=True, description="Book it?")


async def ask(
    ctx: Context, message: str, schema: type[BaseModel], accepted: Callable[[Any], str]
) -> str | InputRequiredResult:
    """What the answer was (`accepted(data)`, `decline` or `cancel`), asked in whichever way the client's
    era asks, or the `input_required` result that asks it."""
    if ctx.protocol_version is not None and ctx.protocol_version >= "2026-07-28":
        answer = (ctx.input_responses or {}).get("answer")
        if answer is None:
            params = ElicitRequestFormParams(message=message, requestedSchema=schema.model_json_schema())
            return InputRequiredResult(inputRequests={"answer": ElicitRequest(params=params)})
        answer = answer if isinstance(answer, dict) else answer.model_dump(by_alias=True, exclude_none=True)
        action, content = answer["action"], answer.get("content")
        data = schema.model_validate(content) if content is not None else None
    else:
        elicited = await ctx.elicit(message, schema)
        action, data = elicited.action, elicited.data
    return accepted(data) if action == "accept" else action


@server.tool()
async def book(flight: str, ctx: Context) -> str | InputRequiredResult:
    """Asks which seat and meal, then says what the answer was."""
    return await ask(ctx, f"Booking {flight}: which seat?", Booking, lambda d: f"accept seat={d.seat} meal={d.meal}")


@server.tool()
async def confirm(what: str, ctx: Context) -> str | InputRequiredResult:
    """Asks whether to go ahead; every field has a default."""
    return await ask(ctx, f"Go ahead with {what}?", Confirmation, lambda d: f"accept ok={d.ok}")


if __name__ == "__main__":
    server.run()
