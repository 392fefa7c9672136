#!/usr/bin/env python3
"""Attention through --dlc-fuse-attention, forward and backward, on the cpu
device against the reference interpreter in f64 (training_graphs.py's run:
the loss and the gradients of q, k and v, same tolerances), with the edge
cases of the flash_attention kernels: T = 1, odd T, several tiles, Tq !=
Tk, Dv != D, D in {16, 24, 64}, a causal mask (a constant lower-triangular
where with -1e9), an additive padding mask input (-inf on some keys), both.

    attention_graphs.py --dlc build/bin/dlc --dlc-opt build/bin/dlc-opt
                        [--keep DIR]

Each graph must become one dlc.attention and one dlc.attention_backward
(checked in its train.mlir), else it fails.
"""
import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import training_graphs as tg  # noqa: E402

# name, B, H, Tq, Tk, D, Dv, causal, padding mask
CASES = [
    ("t1", 1, 2, 1, 1, 16, 16, False, False),
    ("odd13_d24", 2, 3, 13, 13, 24, 24, False, False),
    ("causal37_d64", 1, 2, 37, 37, 64, 64, True, False),
    ("mask_7x19_dv8", 2, 2, 7, 19, 16, 8, False, True),
    ("causal_mask40", 1, 2, 40, 40, 16, 16, True, True),
    ("tiles70_d24", 1, 1, 70, 70, 24, 24, False, False),
    ("t1_causal", 2, 1, 1, 1, 24, 16, True, False),
]


def case(name, b, h, tq, tk, d, dv, causal, mask, rng):
    inputs = [{"name": "q", "shape": [b, h, tq, d]},
              {"name": "k", "shape": [b, h, tk, d]},
              {"name": "v", "shape": [b, h, tk, dv]}]
    arrays = {i["name"]: rng.normal(size=i["shape"]).astype(np.float32)
              for i in inputs}
    nodes = [
        {"name": "k_t", "op": "transpose", "inputs": ["k"],
         "attributes": {"perm": [0, 1, 3, 2]}},
        {"name": "scores", "op": "matmul", "inputs": ["q", "k_t"]},
        {"name": "scale", "op": "constant",
         "attributes": {"value": 1.0 / d ** 0.5, "dtype": "f32"}},
        {"name": "scaled", "op": "mul", "inputs": ["scores", "scale"]},
    ]
    s = "scaled"
    if mask:
        # Key padding: the last keys of each batch row are -inf (never all).
        m = np.zeros([b, 1, 1, tk], np.float32)
        for bi in range(b):
            m[bi, 0, 0, tk - bi * (tk // 3):] = -np.inf if bi else 0
        inputs.append({"name": "mask", "shape": [b, 1, 1, tk]})
        arrays["mask"] = m
        nodes.append({"name": "masked", "op": "add",
                      "inputs": ["scaled", "mask"]})
        s = "masked"
    if causal:
        tril = [[j <= i for j in range(tk)] for i in range(tq)]
        nodes += [
            {"name": "tril", "op": "constant",
             "attributes": {"value": tril, "dtype": "i1"}},
            {"name": "ninf", "op": "constant",
             "attributes": {"value": -1e9, "dtype": "f32"}},
            {"name": "causal", "op": "where", "inputs": ["tril", s, "ninf"]},
        ]
        s = "causal"
    nodes += [
        {"name": "probs", "op": "softmax", "inputs": [s],
         "attributes": {"axis": -1}},
        {"name": "context", "op": "matmul", "inputs": ["probs", "v"]},
    ]
    model = {"format": "dlc-model", "version": 1, "name": name,
             "inputs": inputs, "parameters": [], "nodes": nodes,
             "outputs": ["context"]}
    model = tg.with_mse_loss(model, "context", [b, h, tq, dv], rng, arrays)
    ins = {i["name"]: arrays[i["name"]] for i in model["inputs"]}
    biggest = max(int(np.prod(a.shape)) for a in ins.values()) * 8
    return name, model, ins, {}, biggest


def check(args, root, c):
    err = tg.run(args, *c, root)
    if err:
        return err
    with open(os.path.join(root, c[0], "train.mlir")) as f:
        text = f.read()
    if text.count("dlc.attention ") != 1 or \
            text.count("dlc.attention_backward") != 1 or "dlc.softmax" in text:
        return "not one dlc.attention and one dlc.attention_backward"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", required=True)
    ap.add_argument("--dlc-opt", dest="dlc_opt", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep")
    args = ap.parse_args()
    args.precision = "f32"  # training_graphs.run's device precision
    args.dlc = os.path.abspath(shutil.which(args.dlc) or args.dlc)
    args.dlc_opt = os.path.abspath(shutil.which(args.dlc_opt) or args.dlc_opt)
    rng = np.random.default_rng(3)
    cases = [case(*c, rng) for c in CASES]
    root = args.keep or tempfile.mkdtemp(prefix="dlc-attn-")
    os.makedirs(root, exist_ok=True)
    failures = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futs = [(c[0], pool.submit(check, args, root, c)) for c in cases]
        for name, fut in futs:
            err = fut.result()
            if err:
                failures += 1
                print(f"FAIL {name}: {err}")
                print(f"FAIL {name}: {err}", file=sys.stderr)
            else:
                print(f"ok   {name}")
    print(f"summary: {len(cases) - failures} of {len(cases)} attention "
          "graphs pass")
    if not args.keep and failures == 0:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
