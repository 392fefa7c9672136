#!/usr/bin/env bash
# The benchmark harness end to end without a GPU (docs/bench.md; ctest
# bench-cpu-dry-run): compiles bench/graphs-small with dlc (each graph with
# its index.json dlc_flags, e.g. --train-step), runs each with dlc-bench
# --device=cpu (one timed run; outputs poisoned first, so an unwritten
# element fails; every input and output dumped), and, when a python3 with
# torch is there, checks every dump against PyTorch in float64
# (torch_bench.py --check), runs torch_bench.py --dry-run and the autotune
# step (bench/autotune.py) on one small GEMM.
#
#   bash bench/check_cpu.sh path/to/dlc path/to/dlc-bench
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DLC="$1" BENCH="$2"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/dump"
python3 "$ROOT/bench/make_graphs.py" --small --out "$TMP/graphs" 2>/dev/null
# name<TAB>file<TAB>flags, one graph a line
python3 -c "
import json, sys
for g in json.load(open(sys.argv[1]))['graphs']:
    print(g['name'], g.get('file', g['name'] + '.json'), ' '.join(g.get('dlc_flags', [])), sep='\t')" \
  "$TMP/graphs/index.json" > "$TMP/list"
while IFS=$'\t' read -r g file flags; do
  # shellcheck disable=SC2086
  "$DLC" "$TMP/graphs/$file" $flags --target=sm_90 --nvrtc=false -o "$TMP/build/$g" > "$TMP/$g.log" 2>&1 \
    || { cat "$TMP/$g.log"; echo "check_cpu.sh: dlc failed on $g" >&2; exit 1; }
  "$BENCH" "$TMP/build/$g" --device=cpu --warmup=0 --iters=1 --json="$TMP/$g.bench.json" \
    --dump="$TMP/dump/$g.safetensors"
done < "$TMP/list"
for py in "${DLC_TORCH_PYTHON:-/usr/bin/python3}" python3; do
  if "$py" -c "import torch" 2>/dev/null; then
    "$py" "$ROOT/bench/torch_bench.py" --graphs "$TMP/graphs" --check "$TMP/dump"
    "$py" "$ROOT/bench/torch_bench.py" --graphs "$TMP/graphs" --dry-run
    # The GPU autotune step (bench/autotune.py), on one small GEMM with two
    # candidates: compiled here, timed and compared on the CPU device.
    "$py" "$ROOT/bench/autotune.py" prepare "$DLC" --graphs-dir "$TMP/graphs" \
      --build "$TMP/build" --max-candidates 2
    "$py" "$ROOT/bench/autotune.py" run "$BENCH" --device cpu --build "$TMP/build" \
      --work "$TMP" --out "$TMP/tuned" --graphs gemm_bf16_32 --warmup 0 --iters 1
    "$DLC" "$TMP/graphs/gemm_bf16_32.json" --tuning-cache="$TMP/tuned/tuning-sm_90.json" \
      --nvrtc=false > /dev/null
    break
  fi
done
echo "check_cpu.sh: ok"
