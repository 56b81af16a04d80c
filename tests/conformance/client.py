#!/usr/bin/env python3
"""Sluice as the client under test of the MCP conformance suite (tests/conformance/run.sh).

The suite runs `client.py <server-url>` with MCP_CONFORMANCE_SCENARIO set. This does what a
user would: writes a one-server configuration whose `url` is the scenario's URL exactly, and
runs `sluice run` on a program that uses the server's tools, as an agent's program would.
"""
import json
import os
import subprocess
import sys
import tempfile

SLUICE = os.environ.get("SLUICE_BIN", "sluice")

# What the program does per scenario: every scenario's server offers a tool to call, except
# `initialize`, whose server only needs to be met (a search lists its tools).
PROGRAMS = {
    "initialize": "console.log(JSON.stringify(await sluice.search('test tool')));",
    "tools_call": "console.log(JSON.stringify(await tools.server.add_numbers({ a: 2, b: 3 })));",
    "elicitation-sep1034-client-defaults":
        "console.log(JSON.stringify(await tools.server.test_client_elicitation_defaults({})));",
    "sse-retry": "console.log(JSON.stringify(await tools.server.test_reconnection({})));",
}
# The auth scenarios' servers each offer one tool, `test-tool`.
DEFAULT_PROGRAM = "console.log(JSON.stringify(await tools.server['test-tool']({})));"


def main() -> int:
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    program = PROGRAMS.get(scenario, DEFAULT_PROGRAM)
    with tempfile.TemporaryDirectory(prefix="sluice-conformance-") as work:
        config = os.path.join(work, "sluice.json")
        with open(config, "w") as f:
            json.dump({"mcpServers": {"server": {"url": url}}}, f)
        source = os.path.join(work, "program.js")
        with open(source, "w") as f:
            f.write(program + "\n")
        command = [SLUICE, "run", "--config", config]
        if scenario.startswith("elicitation"):
            command += ["--elicitation", "accept-defaults"]
        command.append(source)
        return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
