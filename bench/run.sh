#!/usr/bin/env bash
# The GPU benchmark, one invocation (docs/bench.md). Run ON THE GPU MACHINE
# from the repository root, after bench/prepare.sh ran where LLVM is and
# bench/build travelled along:
#
#   bash bench/run.sh [--quick] [--autotune] [graph ...]
#
# 1. builds the runtime and dlc-bench (-DDLC_ENABLE_COMPILER=OFF, no tests)
#    in bench/build-gpu, using bench/build/deps when the machine lacks the
#    nlohmann_json or zlib headers;
# 2. ceilings: copy bandwidth (torch D2D copy, and dlc-bench's float4 copy
#    kernel through NVRTC) and cuBLAS bf16 GEMM rates (torch.matmul);
# 3. every graph of bench/build/index.json: dlc's kernels for the GPU's
#    target (bench/build/sm_90 on Hopper, else sm_80) through dlc-bench
#    (CUDA graph replay, rotating inputs, median of CUDA-event times), then
#    PyTorch eager and torch.compile (bench/torch_bench.py);
# 4. bench/results/<date>-<gpu>.{json,md} (bench/report.py), copied to $OUT
#    when that is set, and the table printed last.
#
# --quick: 3 warm-ups and 20 timed runs instead of 10 and 100. --autotune
# (after `bash bench/prepare.sh --autotune`): first times every GEMM
# graph's schedule candidates (bench/autotune.py run: rejects those whose
# outputs differ from the default's), writes the tuning cache
# tuning-<target>.json (to $OUT too; commit it as bench/tuning/), and
# measures each GEMM graph with its fastest candidate. Environment:
# DLC_BENCH_COMPILE_MODE (torch.compile mode, default 'default'),
# DLC_BENCH_TARGET (sm_90/sm_80 override).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
WARMUP=10 ITERS=100
AUTOTUNE=0
ONLY=()
for a in "$@"; do
  case "$a" in
    --quick) WARMUP=3 ITERS=20 ;;
    --autotune) AUTOTUNE=1 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 1 ;;
    *) ONLY+=("$a") ;;
  esac
done
[ -f bench/build/index.json ] || { echo "run.sh: no bench/build/index.json: run bench/prepare.sh where dlc builds, and carry bench/build" >&2; exit 1; }
export PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
WORK="$ROOT/bench/build-gpu"
mkdir -p "$WORK/dlc"
rm -f "$WORK"/dlc/*.json

echo "== device"
nvidia-smi --query-gpu=name,driver_version,compute_cap,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv 2>&1 | tee "$WORK/nvidia-smi.txt"
nvcc --version 2>/dev/null | tail -n 2

echo "== build dlc-bench"
CMAKE_ARGS=(-G Ninja -S . -B "$WORK/cmake" -DCMAKE_BUILD_TYPE=Release -DDLC_ENABLE_COMPILER=OFF -DDLC_ENABLE_TESTS=OFF)
if ! cmake "${CMAKE_ARGS[@]}" > "$WORK/cmake.log" 2>&1; then
  echo "(plain configure failed; retrying with bench/build/deps)"
  ZLIB_SO="$(ldconfig -p 2>/dev/null | awk '/libz\.so(\.1)? .*x86-64/ {print $NF; exit}')"
  [ -n "$ZLIB_SO" ] || ZLIB_SO="$(ls /usr/lib/x86_64-linux-gnu/libz.so* /lib/x86_64-linux-gnu/libz.so* 2>/dev/null | head -n 1)"
  rm -rf "$WORK/cmake"
  cmake "${CMAKE_ARGS[@]}" -Dnlohmann_json_DIR="$ROOT/bench/build/deps/cmake/nlohmann_json" \
      -DZLIB_INCLUDE_DIR="$ROOT/bench/build/deps/include" -DZLIB_LIBRARY="$ZLIB_SO" > "$WORK/cmake.log" 2>&1 \
    || { cat "$WORK/cmake.log"; echo "run.sh: cmake failed" >&2; exit 1; }
fi
ninja -C "$WORK/cmake" dlc-bench > "$WORK/build.log" 2>&1 || { tail -n 50 "$WORK/build.log"; echo "run.sh: build failed" >&2; exit 1; }
BENCH="$WORK/cmake/bin/dlc-bench"

CC="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1)"
TARGET="${DLC_BENCH_TARGET:-$([ "${CC%%.*}" -ge 9 ] 2>/dev/null && echo sm_90 || echo sm_80)}"
echo "== target $TARGET (compute capability $CC)"
GRAPHS=("${ONLY[@]}")
[ ${#GRAPHS[@]} -gt 0 ] || mapfile -t GRAPHS < <($PY -c "import json; print('\n'.join(g['name'] for g in json.load(open('bench/build/index.json'))['graphs']))")

# The directory dlc-bench times for graph $1: its tuned candidate when
# --autotune found a faster one.
declare -A TUNED_DIR=()
if [ $AUTOTUNE = 1 ]; then
  echo "== autotune (bench/autotune.py, GEMM graphs)"
  rm -rf "$WORK/tuned"
  TG=()
  for g in "${GRAPHS[@]}"; do [ -d "bench/build/tune/$TARGET/$g" ] && TG+=("$g"); done
  if [ ${#TG[@]} -eq 0 ]; then
    echo "run.sh: --autotune: no bench/build/tune/$TARGET/<gemm graph>: run bench/prepare.sh --autotune"
  elif $PY bench/autotune.py run "$BENCH" --target "$TARGET" --graphs "${TG[@]}" --work "$WORK" \
       --out "$WORK/tuned" --warmup 3 --iters 30; then
    while IFS=$'\t' read -r g best; do
      TUNED_DIR[$g]="bench/build/tune/$TARGET/$g/$best"
    done < <($PY -c "import json,sys; [print(k, v['best'], sep='\t') for k, v in json.load(open(sys.argv[1]))['graphs'].items()]" "$WORK/tuned/autotune.json")
  else
    echo "run.sh: autotune failed (the default schedules are measured)"
  fi
fi

echo "== dlc (dlc-bench, CUDA graph replay)"
"$BENCH" --copy=1024 --warmup=$WARMUP --iters=$ITERS --json="$WORK/copy.json" || echo "run.sh: the copy kernel failed"
for g in "${GRAPHS[@]}"; do
  if ! "$BENCH" "${TUNED_DIR[$g]:-bench/build/$TARGET/$g}" --name="$g" --warmup=$WARMUP --iters=$ITERS --json="$WORK/dlc/$g.json" 2> "$WORK/dlc-$g.err"; then
    cat "$WORK/dlc-$g.err" >&2
    $PY -c "import json,sys; json.dump({'name': sys.argv[1], 'error': open(sys.argv[2]).read()[-2000:]}, open(sys.argv[3], 'w'))" \
      "$g" "$WORK/dlc-$g.err" "$WORK/dlc/$g.json"
  fi
done

echo "== PyTorch (eager, torch.compile) and ceilings"
$PY bench/torch_bench.py --graphs bench/graphs --only "${GRAPHS[@]}" --warmup $WARMUP --iters $ITERS \
    --compile-mode "${DLC_BENCH_COMPILE_MODE:-default}" --json "$WORK/torch.json" 2>&1 | grep -v "^W[0-9]" \
  || echo "run.sh: torch_bench.py failed (the table has dlc's side only)"

$PY - "$WORK/meta.json" <<'PYEOF'
import json, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception as e: return str(e)
json.dump({"commit_run": sh("git rev-parse HEAD"), "commit_prepared": sh("cat bench/build/commit.txt"),
           "dlc_version": sh("cat bench/build/dlc-version.txt"), "nvidia_smi": sh("cat bench/build-gpu/nvidia-smi.txt"),
           "nvcc": sh("nvcc --version | tail -n 1")}, open(sys.argv[1], "w"), indent=1)
PYEOF
echo "== report"
$PY bench/report.py --index bench/build/index.json --torch "$WORK/torch.json" --dlc "$WORK/dlc" \
    --copy "$WORK/copy.json" --meta "$WORK/meta.json" --out bench/results \
    --kernel-reports "bench/build/$TARGET" \
    $([ -f "$WORK/tuned/autotune.json" ] && echo --autotune "$WORK/tuned/autotune.json")
if [ -n "${OUT:-}" ]; then
  LAST="$(ls -t bench/results/*.md 2>/dev/null | head -n 1)"
  mkdir -p "$OUT" && [ -n "$LAST" ] && cp "$LAST" "${LAST%.md}.json" "$OUT"/
  [ -f "$WORK/tuned/tuning-$TARGET.json" ] && cp "$WORK/tuned/tuning-$TARGET.json" "$WORK/tuned/autotune.json" "$OUT"/
  tar czf "$OUT/bench-logs.tgz" -C "$WORK" dlc copy.json torch.json meta.json cmake.log build.log $(cd "$WORK" && ls dlc-*.err 2>/dev/null) 2>/dev/null
fi
