#!/usr/bin/env bash
# The benchmark harness end to end without a GPU (docs/bench.md; ctest
# bench-cpu-dry-run): compiles bench/graphs-small with dlc, runs each with
# dlc-bench --device=cpu (one timed run; outputs poisoned first, so an
# unwritten element fails), and, when a python3 with torch is there, runs
# bench/torch_bench.py --dry-run on the same graphs.
#
#   bash bench/check_cpu.sh path/to/dlc path/to/dlc-bench
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DLC="$1" BENCH="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
python3 "$ROOT/bench/make_graphs.py" --small --out "$TMP/graphs" 2>/dev/null
names=$(python3 -c "import json,sys; print(' '.join(g['name'] for g in json.load(open(sys.argv[1]))['graphs']))" "$TMP/graphs/index.json")
for g in $names; do
  "$DLC" "$TMP/graphs/$g.json" --target=sm_90 --nvrtc=false -o "$TMP/build/$g" > "$TMP/$g.log" 2>&1 \
    || { cat "$TMP/$g.log"; echo "check_cpu.sh: dlc failed on $g" >&2; exit 1; }
  "$BENCH" "$TMP/build/$g" --device=cpu --warmup=0 --iters=1 --json="$TMP/$g.bench.json"
done
for py in "${DLC_TORCH_PYTHON:-/usr/bin/python3}" python3; do
  if "$py" -c "import torch" 2>/dev/null; then
    "$py" "$ROOT/bench/torch_bench.py" --graphs "$TMP/graphs" --dry-run
    break
  fi
done
echo "check_cpu.sh: ok"
