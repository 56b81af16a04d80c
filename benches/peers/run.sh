#!/usr/bin/env bash
# Sluice beside the sandboxes agents use today, on the same workloads in one sitting
# (`make bench-peers`): prints the table and writes it to target/bench/peers.md.
#
# The peers' harness is not part of this repository: it is read from $PEERS_DIR
# (default ../shared/peers beside the checkout; see its README) and run where its
# scripts expect it, /tmp/peers. Its setup.sh installs the npm and PyPI peers once
# (isolated-vm compiles from source: minutes); this script builds the Sluice side
# (benches/peers, this checkout's library) and installs it there as
# bin/sluice-peer-bench, which run_all.sh calls. A whole run takes a few minutes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
WORK=/tmp/peers
[ -f "$PEERS_DIR/run_all.sh" ] || { echo "no peer harness at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
mkdir -p "$WORK/bin"
# Adds what is missing and overwrites nothing: others may be using /tmp/peers too.
cp -rn "$PEERS_DIR"/. "$WORK"/
if [ ! -d "$WORK/npm/node_modules/isolated-vm" ] || [ ! -x "$WORK/venv/bin/python" ]; then
  bash "$WORK/setup.sh"
fi
[ -f "$WORK/data/issues.json" ] || python3 "$WORK/data/gen.py"
cd "$ROOT"
cargo build --release -p sluice-peer-bench
cargo build --release --bin sluice
install -m 0755 target/release/sluice-peer-bench "$WORK/bin/sluice-peer-bench"
mkdir -p target/bench
# A compiled-code cache of this checkout's own: another checkout's Sluice may use the
# harness's default one, and entries of another format would be rewritten back and forth.
export SLUICE_CACHE_DIR="$ROOT/target/bench/peers-cache"
{
  echo "# Sluice and its peers, one sitting ($(date -u +%Y-%m-%d), $(nproc) cores)"
  echo
  bash "$WORK/run_all.sh"
  # Not peer workloads: issue 12's other targets (runs per second under load, 10,000
  # programs parked, a cold `sluice run`), and W1 in a server whose pool slots have held large runs.
  echo
  {
    for mode in throughput "park 10000" w1-after-w2; do
      echo ">> sluice-peer-bench $mode" >&2
      # shellcheck disable=SC2086 # the mode's words are its arguments
      PEERS_TMP="$WORK" "$WORK/bin/sluice-peer-bench" $mode | sed -n 's/^RESULT //p'
    done
    # The issue's cold target: a whole `sluice run` of a one-line program, CLI included.
    echo 'console.log(JSON.stringify({a: 1}))' > "$WORK/tmp/sluice-run.js"
    echo ">> sluice run, cold" >&2
    python3 "$WORK/common/cold.py" "sluice run" 20 "$ROOT/target/release/sluice" run "$WORK/tmp/sluice-run.js" |
      sed -n 's/^RESULT //p'
  } > target/bench/peers-extra.jsonl
  python3 benches/peers/targets.py "$WORK/results/results.jsonl" target/bench/peers-extra.jsonl
} | tee target/bench/peers.md
