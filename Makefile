# The README's two commands. Both install what they need first (.ci/setup).
GUEST_TARGET_DIR := target/guests
GUEST_BUILD := cargo build --release --target wasm32-wasip1 --target-dir $(GUEST_TARGET_DIR) --manifest-path

.PHONY: example test conformance bench bench-peers bench-search bench-tokens setup

setup:
	@bash .ci/setup

## Runs the main example: a JavaScript program using three real MCP servers (examples/servers.json).
example: setup
	cargo run --release -- run --config examples/servers.json examples/codebase.js

## Runs the whole test suite (formatting, lints, unit, integration, doc tests, guest builds).
test: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	cargo test --manifest-path guest-sdk/Cargo.toml --target-dir target/guest-sdk
	cargo test --workspace --benches --no-run
	bash tests/conformance/run.sh

## Runs the MCP project's conformance suite both ways (Sluice as client and as server)
## against tests/conformance/baseline.yml; writes target/conformance/.
conformance: setup
	bash tests/conformance/run.sh

## Runs the benchmarks and writes target/bench/*.md.
bench: setup
	cargo bench --bench run_latency
	cargo bench --bench serve
	cargo bench --bench scale_out
	cargo bench --bench retrieval

## Sluice beside the sandboxes agents use today (isolated-vm, node:vm, Deno, quickjs-emscripten,
## pydantic-monty, wasmtime-py), same workloads, one sitting; the harness is $(PEERS_DIR)
## (default ../shared/peers); writes target/bench/peers.md. First run installs the peers (minutes).
bench-peers: setup
	bash benches/peers/run.sh

## Measures how well search finds the right tool (recall@1/3/5, MRR) on real servers; writes target/bench/search.md.
bench-search: setup
	cargo bench --bench retrieval

## Measures the tokens of direct tool calls against code mode on GitHub's real MCP server
## (benches/tokens; binds 127.0.0.2:80, so run as root) and writes the published report.
bench-tokens: setup
	cargo run --release -p sluice-bench-tokens -- --scenario-file benches/tokens/scenarios/example.json \
		--json docs/token-savings.json --svg docs/token-savings.svg --markdown target/bench/tokens.md
