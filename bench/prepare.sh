#!/usr/bin/env bash
# Compiles every benchmark graph where LLVM/MLIR is (docs/bench.md), so the
# GPU machine needs no compiler: bench/build/<target>/<graph>/{kernels.cu,
# manifest.json, kernel-report.json} for sm_90 and sm_80, plus the header-only and header files
# the runtime's CMake wants (nlohmann/json, zlib.h) under bench/build/deps,
# in case the GPU machine lacks their -dev packages. No binaries: dlc-bench
# is built there by bench/run.sh. Also writes bench/graphs-small/ and
# compiles it (bench/build/small/, for the CPU check).
#
#   bash bench/prepare.sh [--autotune] [path/to/dlc]
#                                 (default: build-bench/bin/dlc, else build/bin/dlc)
#
# --autotune: also compiles every GEMM graph's schedule candidates for sm_90
# (bench/autotune.py prepare: bench/build/tune/sm_90/<graph>/c<i>/) for
# `bench/run.sh --autotune`. bench/tuning/<target>.json, when present (a
# cache an earlier --autotune run wrote), is passed to every compile as
# --tuning-cache: tuned results persist.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
AUTOTUNE=0
if [ "${1:-}" = --autotune ]; then AUTOTUNE=1; shift; fi
DLC="${1:-}"
if [ -z "$DLC" ]; then
  for c in build-bench/bin/dlc build/bin/dlc; do
    [ -x "$c" ] && { DLC="$c"; break; }
  done
fi
[ -n "$DLC" ] && [ -x "$DLC" ] || { echo "prepare.sh: no dlc binary (build it, or pass its path)" >&2; exit 1; }

python3 bench/make_graphs.py
python3 bench/make_graphs.py --small
rm -rf bench/build
mkdir -p bench/build
# name<TAB>file<TAB>dlc flags (--train-step, ...), one graph a line
graphs() { python3 -c "
import json, sys
for g in json.load(open(sys.argv[1]))['graphs']:
    print(g['name'], g.get('file', g['name'] + '.json'), ' '.join(g.get('dlc_flags', [])), sep='\t')" "$1/index.json"; }
fail=0
for target in sm_90 sm_80; do
  while IFS=$'\t' read -r g file flags; do
    # shellcheck disable=SC2086
    cache=(); [ -f "bench/tuning/$target.json" ] && cache=(--tuning-cache="bench/tuning/$target.json")
    if ! "$DLC" "bench/graphs/$file" $flags "${cache[@]}" --target=$target -o "bench/build/$target/$g" > "bench/build/$target-$g.log" 2>&1; then
      echo "prepare.sh: $g ($target) failed to compile:" >&2; cat "bench/build/$target-$g.log" >&2; fail=1
    # The static kernel report (docs/kernel-report.md): its roofline estimate
    # goes next to the measured time in bench/report.py's table.
    elif ! "$DLC" "bench/graphs/$file" $flags "${cache[@]}" --target=$target --nvrtc=false --kernel-report=json \
        > "bench/build/$target/$g/kernel-report.json" 2>> "bench/build/$target-$g.log"; then
      echo "prepare.sh: $g ($target): no kernel report (see bench/build/$target-$g.log)" >&2
      rm -f "bench/build/$target/$g/kernel-report.json"
    fi
  done < <(graphs bench/graphs)
done
while IFS=$'\t' read -r g file flags; do
  # shellcheck disable=SC2086
  "$DLC" "bench/graphs-small/$file" $flags --target=sm_90 -o "bench/build/small/$g" > "bench/build/small-$g.log" 2>&1 \
    || { echo "prepare.sh: small $g failed:" >&2; cat "bench/build/small-$g.log" >&2; fail=1; }
done < <(graphs bench/graphs-small)
if [ $AUTOTUNE = 1 ]; then
  python3 bench/autotune.py prepare "$DLC" --target sm_90 --max-candidates 16 || fail=1
fi
cp bench/graphs/index.json bench/build/index.json
"$DLC" --version > bench/build/dlc-version.txt 2>&1 || true
git rev-parse HEAD > bench/build/commit.txt 2>/dev/null || true
git status --porcelain -- codegen passes ir frontend > bench/build/dirty.txt 2>/dev/null || true

# Build dependencies the GPU machine may lack (headers only; libz.so.1 is
# found there at run time by bench/run.sh).
mkdir -p bench/build/deps/include
if [ -d /usr/include/nlohmann ]; then cp -r /usr/include/nlohmann bench/build/deps/include/; fi
for h in zlib.h zconf.h; do [ -f /usr/include/$h ] && cp /usr/include/$h bench/build/deps/include/; done
mkdir -p bench/build/deps/cmake/nlohmann_json
cat > bench/build/deps/cmake/nlohmann_json/nlohmann_jsonConfig.cmake <<'CFG'
# A stand-in for nlohmann_json's CMake package: the header copied by bench/prepare.sh.
if(NOT TARGET nlohmann_json::nlohmann_json)
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
  set_target_properties(nlohmann_json::nlohmann_json PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_LIST_DIR}/../../include")
endif()
CFG
cat > bench/build/deps/cmake/nlohmann_json/nlohmann_jsonConfigVersion.cmake <<'CFG'
set(PACKAGE_VERSION "3.11.0")
set(PACKAGE_VERSION_COMPATIBLE TRUE)
CFG

du -sh bench/build | sed 's/^/prepare.sh: bench\/build is /' >&2
[ $fail = 0 ] || { echo "prepare.sh: some graphs failed (above)" >&2; exit 1; }
echo "prepare.sh: ok; on a GPU machine: bash bench/run.sh (carry bench/build)" >&2
