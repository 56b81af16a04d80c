"""A real MCP client (the official Python SDK, `mcp` 2.3.0) that tests/all/serve.rs steers one command at a time.

Run with the test venv's python. It reads commands, one JSON object per line, on stdin, and answers each with
one JSON object per line on stdout; the Rust tests state the scenario and check the answers. Commands:

  {"op": "connect", "era": "2025"|"2026", "transport": "stdio", "command": ..., "args": [...], "env": {...}, "cwd": ...}
  {"op": "connect", "era": ..., "transport": "http", "url": ..., "headers": {...}}
      Opens the transport and a `ClientSession`: `initialize()` for 2025-11-25, `discover()` for 2026-07-28.
      "extensions": {"io.modelcontextprotocol/tasks": {}} declares client extensions (per request in 2026).
      "elicitation": ElicitResult answers every `elicitation/create` with it (declaring the capability) and
      keeps each request's params, which {"op": "elicited"} -> {"requests": [...]} returns.
      Every `notifications/message` received is kept; {"op": "logged"} -> {"messages": [...]} returns them.
      Answers {"protocolVersion", "capabilities", "serverInfo", "instructions"} as the SDK parsed them.
  {"op": "list_tools"}                                   -> {"tools": [...]} (`ClientSession.list_tools`)
  {"op": "call_tool", "name", "arguments", "progress": bool}
      -> {"result": CallToolResult, "progress": [{"progress", "total", "message"}...]} (`ClientSession.call_tool`;
         with "progress" a progress callback, so the request carries a progressToken)
  {"op": "request", "method", "params", "validate": "TypeName"?, "raw": bool?}
      -> {"result": {...}} or {"error": {"code", "message"}}. Sent through `ClientSession.send_request`, which
         stamps the era's headers and `_meta` and checks the result against the SDK's schema for the method; with
         "raw" the SDK's schema check is skipped (for answers the SDK refuses, such as a CreateTaskResult to
         tools/call). "validate" also parses the result as that `mcp.types` model and fails if it does not fit.
  {"op": "close"}                                        -> {"closed": true}; ends the session and the transport.

Any command may carry "background": NAME: it is answered {"started": NAME} at once and runs on; a later
{"op": "join", "name": NAME} answers with its reply, and {"op": "cancel", "name": NAME} abandons it (the SDK
then cancels the request: notifications/cancelled, or on HTTP it drops the request's connection) and answers
{"cancelled": true}. Every command has a deadline ("timeout", default 60 s) after which it answers
{"exception": "timed out ..."}: a broken server fails a test, it never hangs it.
With MCP_CLIENT_DEBUG set, the SDK logs every message and HTTP exchange on stderr.
"""
import contextlib
import copy
import json
import logging
import os
import sys
from typing import Any

import anyio
import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import MCP_NAME_HEADER, encode_header_value
from pydantic import TypeAdapter

ANY_RESULT = TypeAdapter(dict[str, Any])
OPS = ("connect", "list_tools", "call_tool", "request", "elicited", "logged", "close")


class TaskRequest(types.Request[dict[str, Any], str]):
    """A tasks/* request: SEP-2663 has its task id mirrored in the `Mcp-Name` header, as `name_param` does."""

    name_param = "taskId"


def describe(error: BaseException) -> str:
    """An exception as one line, with the leaves of an exception group (a task group's failures)."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in error.exceptions)
    if isinstance(error, MCPError):
        return f"MCPError {error.code}: {error.message}"
    return f"{type(error).__name__}: {error}"


def dump(model: Any) -> Any:
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


class Driver:
    def __init__(self, task_group: anyio.abc.TaskGroup) -> None:
        self.task_group = task_group
        self.session: ClientSession | None = None
        self.closing = anyio.Event()
        self.closed = anyio.Event()
        self.background: dict[str, tuple[anyio.Event, anyio.CancelScope]] = {}
        self.replies: dict[str, Any] = {}
        self.elicitations: list[Any] = []
        self.messages: list[Any] = []

    async def connect(self, command: dict) -> Any:
        # The transport and session live on a task of their own, so their scopes nest properly whatever
        # deadline the connect command has.
        if self.session is not None:
            raise RuntimeError("already connected: close first")
        ready = anyio.Event()
        self.closing, self.closed = anyio.Event(), anyio.Event()
        outcome: dict[str, Any] = {}

        async def hold() -> None:
            try:
                async with contextlib.AsyncExitStack() as stack:
                    session = await self.open(stack, command)
                    outcome["reply"] = await self.handshake(session, command["era"])
                    self.session = session
                    ready.set()
                    await self.closing.wait()
                    self.session = None
            except Exception as error:  # noqa: BLE001: reported as the answer to connect
                outcome["error"] = error
            finally:
                ready.set()
                self.closed.set()

        self.task_group.start_soon(hold)
        await ready.wait()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["reply"]

    async def open(self, stack: contextlib.AsyncExitStack, command: dict) -> ClientSession:
        if command["transport"] == "stdio":
            params = StdioServerParameters(
                command=command["command"],
                args=command.get("args", []),
                env=command.get("env"),
                cwd=command.get("cwd"),
            )
            read, write = await stack.enter_async_context(stdio_client(params))
        else:
            http = await stack.enter_async_context(create_mcp_http_client(headers=command.get("headers")))
            read, write = await stack.enter_async_context(streamable_http_client(command["url"], http_client=http))
        answer = command.get("elicitation")
        self.elicitations = []
        self.messages = []

        async def log(params: types.LoggingMessageNotificationParams) -> None:
            self.messages.append(dump(params))

        async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
            self.elicitations.append(dump(params))
            return types.ElicitResult.model_validate(answer)

        return await stack.enter_async_context(
            ClientSession(
                read,
                write,
                extensions=command.get("extensions"),
                elicitation_callback=elicit if answer is not None else None,
                logging_callback=log,
            )
        )

    async def elicited(self, command: dict) -> Any:
        return {"requests": self.elicitations}

    async def logged(self, command: dict) -> Any:
        return {"messages": self.messages}

    async def handshake(self, session: ClientSession, era: str) -> Any:
        if era == "2025":
            await session.initialize()
        else:
            await session.discover()
        return {
            "protocolVersion": session.protocol_version,
            "capabilities": dump(session.server_capabilities),
            "serverInfo": dump(session.server_info) if session.server_info else None,
            "instructions": session.instructions,
        }

    async def list_tools(self, command: dict) -> Any:
        listed = await self.session.list_tools()
        return {"tools": [dump(tool) for tool in listed.tools]}

    async def call_tool(self, command: dict) -> Any:
        progress: list[dict] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append({"progress": value, "total": total, "message": message})

        result = await self.session.call_tool(
            command["name"],
            command.get("arguments", {}),
            progress_callback=on_progress if command.get("progress") else None,
        )
        return {"result": dump(result), "progress": progress}

    async def request(self, command: dict) -> Any:
        method, params = command["method"], copy.deepcopy(command.get("params"))
        if command.get("raw"):
            # The session's own stamping (headers, per-request `_meta`), without its result schema check.
            data: dict[str, Any] = {"method": method}
            if params is not None:
                data["params"] = params
            opts: dict[str, Any] = {}
            self.session._stamp(data, opts)
            if method.startswith("tasks/") and isinstance(task_id := (params or {}).get("taskId"), str):
                opts.setdefault("headers", {})[MCP_NAME_HEADER] = encode_header_value(task_id)
            result = await self.session._dispatcher.send_raw_request(method, data.get("params"), opts)
        else:
            if method.startswith("tasks/") and "taskId" in (params or {}):
                request = TaskRequest(method=method, params=params)
            else:
                request = types.Request[dict[str, Any] | None, str](method=method, params=params)
            result = await self.session.send_request(request, ANY_RESULT)
        if "validate" in command:
            getattr(types, command["validate"]).model_validate(result, by_name=False)
        return {"result": result}

    async def close(self, command: dict) -> Any:
        self.closing.set()
        await self.closed.wait()
        return {"closed": True}

    async def run(self, command: dict) -> Any:
        if command["op"] not in OPS:
            return {"exception": f"unknown op {command['op']!r}"}
        handler = getattr(self, command["op"])
        try:
            with anyio.fail_after(command.get("timeout", 60)):
                return await handler(command)
        except MCPError as error:
            return {"error": {"code": error.code, "message": error.message, "data": error.data}}
        except TimeoutError:
            return {"exception": f"timed out after {command.get('timeout', 60)} s: {command['op']}"}
        except Exception as error:  # noqa: BLE001: every failure is an answer the test reads
            return {"exception": describe(error)}

    async def start(self, name: str, command: dict) -> None:
        done = anyio.Event()
        scope = anyio.CancelScope()
        self.background[name] = (done, scope)

        async def work() -> None:
            with scope:
                self.replies[name] = await self.run(command)
            if scope.cancelled_caught:
                self.replies[name] = {"cancelled": True}
            done.set()

        self.task_group.start_soon(work)

    async def join(self, name: str, cancel: bool) -> Any:
        if name not in self.background:
            return {"exception": f"nothing runs as {name!r}"}
        done, scope = self.background.pop(name)
        if cancel:
            scope.cancel()
        await done.wait()
        return self.replies.pop(name)


async def main() -> None:
    stdin = anyio.wrap_file(sys.stdin)
    async with anyio.create_task_group() as task_group:
        driver = Driver(task_group)
        async for line in stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            if "background" in command:
                await driver.start(command["background"], command)
                reply = {"started": command["background"]}
            elif command["op"] in ("join", "cancel"):
                with anyio.fail_after(command.get("timeout", 60)):
                    reply = await driver.join(command["name"], cancel=command["op"] == "cancel")
            else:
                reply = await driver.run(command)
            print(json.dumps(reply), flush=True)
        if driver.session is not None:
            with anyio.move_on_after(10):
                await driver.close({})
        task_group.cancel_scope.cancel()


if __name__ == "__main__":
    if os.environ.get("MCP_CLIENT_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    anyio.run(main)
