#!/usr/bin/env bash
# Fills DIR with the seeds of dlc-fuzz-onnx: the models test/e2e/
# onnx_make_models.py writes for the ONNX import tests (when a python3 with
# the onnx package is found), the ONNX test-data models dlc imports
# (test/e2e/onnx-passing.txt), and every 8th of the others, which exercise
# the error paths. Models over 16 KiB are skipped (the fuzzer's -max_len).
# Usage: tools/fuzz/onnx-seeds.sh DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out=${1:?usage: onnx-seeds.sh DIR}
mkdir -p "$out"
data=/usr/share/libonnx-testdata/data

for py in /usr/bin/python3 python3; do
  if "$py" -c 'import onnx, numpy' 2>/dev/null; then
    gen=$(mktemp -d)
    "$py" "$root/test/e2e/onnx_make_models.py" "$gen"
    for f in "$gen"/*.onnx; do cp "$f" "$out/made_$(basename "$f")"; done
    rm -rf "$gen"
    break
  fi
done

if [ -d "$data" ]; then
  i=0
  # Sorted, so the sample is the same on every machine.
  while read -r m; do
    rel=${m#"$data"/}
    name=${rel%/model.onnx}
    i=$((i + 1))
    if ! grep -qx "$name" "$root/test/e2e/onnx-passing.txt" && [ $((i % 8)) -ne 0 ]; then
      continue
    fi
    [ "$(stat -c %s "$m")" -le 16384 ] || continue
    cp "$m" "$out/${name//\//_}.onnx"
  done < <(find "$data" -name model.onnx | LC_ALL=C sort)
fi
echo "onnx-seeds: $(ls "$out" | wc -l) seeds in $out"
