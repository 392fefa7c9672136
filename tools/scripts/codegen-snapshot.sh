#!/usr/bin/env bash
# Writes the CUDA and manifest dlc emits for every example model, every bench
# graph and every ONNX backend-suite model into <out-dir>, one folder per
# (model, flags) pair, with the exit code and stderr of models dlc rejects.
# Two snapshots from two builds compare with `diff -r`: a restructuring that
# claims "no behaviour change" must leave them byte-identical.
#
#   tools/scripts/codegen-snapshot.sh <build-dir> <out-dir>
#   diff -r before/ after/ && echo identical
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$1" && pwd)/bin
out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"

# emit <name> <model> [flags...]: compile without NVRTC (the CUDA text is
# what is compared) into $out/<name>.
emit() {
  local name=$1 model=$2
  shift 2
  local dir="$out/$name"
  mkdir -p "$dir"
  "$bin/dlc" "$model" --nvrtc=false -o "$dir" "$@" >/dev/null 2>"$dir/stderr"
  echo $? >"$dir/rc"
  # The summary's timings vary from run to run; the error text does not.
  sed -i "s|$root/||g" "$dir/stderr"
}

for m in examples/*.json test/Driver/Inputs/*.json test/Codegen/Inputs/*.json; do
  n=$(basename "$m" .json)
  for target in sm_90 sm_80; do
    emit "$n-$target" "$m" --target=$target
    emit "$n-$target-bf16" "$m" --target=$target --precision=bf16
  done
  emit "$n-fp16" "$m" --precision=fp16
  if grep -q '"training"' "$m"; then
    emit "$n-train" "$m" --train-step
    emit "$n-train-sm_80" "$m" --train-step --target=sm_80
    emit "$n-train-fp16" "$m" --train-step --precision=fp16
    emit "$n-grads" "$m" --train-step --gradients-only
  fi
done
emit tune_gemm-cache test/Driver/Inputs/tune_gemm.json \
  --tuning-cache=test/Transforms/Inputs/tile-cache.json

for set in graphs graphs-small; do
  for m in bench/$set/*.json bench/$set/*.mlir; do
    n=$(basename "$m"); n=${n%.*}
    [ "$n" = index ] && continue
    emit "$set-$n" "$m"
    emit "$set-$n-sm_80" "$m" --target=sm_80
  done
done

for m in /usr/share/libonnx-testdata/data/*/*/model.onnx; do
  c=$(basename "$(dirname "$m")")
  s=$(basename "$(dirname "$(dirname "$m")")")
  emit "onnx-$s-$c" "$m"
done
echo "snapshot: $(ls "$out" | wc -l) compilations in $out"
