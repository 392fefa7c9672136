"""Compares a bf16/fp16 run with the float32 reference within a bound in
units of the low type's unit roundoff u (bf16 2^-8, fp16 2^-11).

  mixed_precision_compare.py LOW REF --type bf16|fp16 --ulps N

LOW and REF are .npy files, directories of them (same names), or
.safetensors files from `dlc train --dump-gradients` (compared: the loss and
every "grad/<param>"). For each
tensor, err = max|low - ref| / max|ref| (the error relative to the tensor's
scale, so that entries near zero, where cancellation makes relative error
meaningless, are judged against the layer's magnitude). Fails unless
err <= N * u, and also when err == 0 for a tensor of more than one element,
which would mean the low precision was never applied.
"""
import argparse
import os
import sys

import numpy as np

from safetensors_np import read_safetensors  # same directory

UNIT_ROUNDOFF = {"bf16": 2.0 ** -8, "fp16": 2.0 ** -11}


def pairs(low, ref):
    if ref.endswith(".safetensors"):
        a, b = read_safetensors(low), read_safetensors(ref)
        for name in sorted(b):
            if name == "loss" or name.startswith("grad/"):
                yield name, a[name], b[name]
    elif os.path.isdir(ref):
        for name in sorted(os.listdir(ref)):
            yield name, np.load(os.path.join(low, name)), np.load(os.path.join(ref, name))
    else:
        yield os.path.basename(ref), np.load(low), np.load(ref)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("low"), p.add_argument("ref")
    p.add_argument("--type", choices=sorted(UNIT_ROUNDOFF), required=True)
    p.add_argument("--ulps", type=float, required=True)
    args = p.parse_args()
    u = UNIT_ROUNDOFF[args.type]
    ok = True
    for name, a, b in pairs(args.low, args.ref):
        a, b = a.astype(np.float64), b.astype(np.float64)
        if a.shape != b.shape or not np.all(np.isfinite(a)):
            print("%s: shape %s vs %s, or non-finite values" % (name, a.shape, b.shape))
            ok = False
            continue
        scale = max(np.max(np.abs(b)), 1e-30)
        err = np.max(np.abs(a - b)) / scale
        bound = args.ulps * u
        verdict = "ok"
        if err > bound:
            verdict, ok = "FAIL: above the bound", False
        elif err == 0 and a.size > 1:
            verdict, ok = "FAIL: equal to float32 (no low precision?)", False
        print("%s: error %.3g u (%.3g of max|ref|), bound %g u: %s"
              % (name, err / u, err, args.ulps, verdict))
    sys.exit(0 if ok else 1)


main()
