#!/usr/bin/env python3
"""Sluice as the client under test of the MCP conformance suite (tests/conformance/run.sh).

The suite runs `client.py <server-url>` with MCP_CONFORMANCE_SCENARIO set. This does what a
user would: writes a one-server configuration whose `url` is the scenario's URL exactly, and
runs `sluice run` on a program that uses the server's tools, as an agent's program would.

The `auth/*` scenarios' servers want OAuth. As a user would, this first signs in with
`sluice login server`, its browser (`$BROWSER`) a script that fetches the authorization URL
and follows the redirects back to Sluice's loopback listener (the suite's authorization
server approves at once), then runs. A run told to sign in again for a wider scope (a 403
step-up) does so, at most twice more. The scenario's MCP_CONFORMANCE_CONTEXT (a
pre-registered client, client credentials, a private key) becomes the server's `oauth`
settings, the secret passed through the environment as a user would.
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


# The browser of `sluice login`: fetches the URL, following redirects to the loopback listener.
BROWSER = """#!/usr/bin/env python3
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=20).read()
"""
# The suite's client ID metadata document (auth/basic-cimd expects this URL as client_id).
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"


def oauth_settings(work: str, env: dict) -> dict:
    """The server's `oauth` settings from the scenario's context, if it gives one."""
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    oauth = {"clientMetadataUrl": CLIENT_METADATA_URL}
    if "client_id" in context:
        oauth["clientId"] = context["client_id"]
    if "client_secret" in context:
        env["CONFORMANCE_CLIENT_SECRET"] = context["client_secret"]
        oauth["clientSecret"] = "${env:CONFORMANCE_CLIENT_SECRET}"
    if "private_key_pem" in context:
        key = os.path.join(work, "key.pem")
        with open(key, "w") as f:
            f.write(context["private_key_pem"])
        oauth["privateKeyFile"] = key
    if os.environ.get("MCP_CONFORMANCE_SCENARIO", "").startswith("auth/client-credentials"):
        oauth["grant"] = "client_credentials"
    if "idp_id_token" in context:
        # Enterprise-managed authorization (SEP-990): the ID token an enterprise sign-in left.
        env["CONFORMANCE_ID_TOKEN"] = context["idp_id_token"]
        oauth["grant"] = "enterprise"
        del oauth["clientMetadataUrl"]
        oauth["idp"] = {
            "issuer": context["idp_issuer"],
            "tokenEndpoint": context["idp_token_endpoint"],
            "clientId": context["idp_client_id"],
            "idToken": "${env:CONFORMANCE_ID_TOKEN}",
        }
    return oauth


def main() -> int:
    url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    program = PROGRAMS.get(scenario, DEFAULT_PROGRAM)
    with tempfile.TemporaryDirectory(prefix="sluice-conformance-") as work:
        env = dict(os.environ, SLUICE_CREDENTIALS_DIR=os.path.join(work, "credentials"))
        server = {"url": url}
        if scenario.startswith("auth/"):
            server["oauth"] = oauth_settings(work, env)
        config = os.path.join(work, "sluice.json")
        with open(config, "w") as f:
            json.dump({"mcpServers": {"server": server}}, f)
        source = os.path.join(work, "program.js")
        with open(source, "w") as f:
            f.write(program + "\n")
        command = [SLUICE, "run", "--config", config]
        if scenario.startswith("elicitation"):
            command += ["--elicitation", "accept-defaults"]
        command.append(source)
        if not scenario.startswith("auth/") or server["oauth"].get("grant") in ("client_credentials", "enterprise"):
            return subprocess.run(command, env=env).returncode

        browser = os.path.join(work, "browser.py")
        with open(browser, "w") as f:
            f.write(BROWSER)
        os.chmod(browser, 0o700)
        login = [SLUICE, "login", "server", "--config", config, "--timeout", "20s"]
        for _ in range(3):
            signed_in = subprocess.run(login, env=dict(env, BROWSER=browser))
            if signed_in.returncode != 0:
                return signed_in.returncode
            run = subprocess.run(command, env=env, capture_output=True, text=True)
            sys.stdout.write(run.stdout)
            sys.stderr.write(run.stderr)
            if run.returncode == 0 or "sign in again with `sluice login" not in run.stdout + run.stderr:
                return run.returncode
        return run.returncode


if __name__ == "__main__":
    sys.exit(main())
