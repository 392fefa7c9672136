#!/usr/bin/env python3
"""Differential test of compiled training graphs: models run through
`--dlc-autodiff`, then compiled and run on a device (`dlc run
--device=cpu`), every gradient (and the loss) checked against the
reference interpreter in float64.

    training_graphs.py --dlc build/bin/dlc --dlc-opt build/bin/dlc-opt
                       [--examples DIR] [--seed 1 --start 0 --count 48]
                       [--device cpu] [--jobs 2] [--keep DIR]

Graphs:
  examples   examples/seed_cnn.json, examples/mlp.json (their own training
             section: softmax_cross_entropy) and examples/transformer_block.json
             (given one here: mse_loss of y against a new input `target`)
  random     random_graphs.py's families (not half, half_gemm,
             half_gemm_chain: autodiff's f16 graphs are out of scope
             here) and, every 8th graph,
             backward_ops (a strided slice, a grouped strided dilated conv,
             padded max and avg pools: every backward op with odd sizes),
             each output turned into a
             loss: a 0-d float output is the loss as is; otherwise
             mse_loss(output, target) with a new input `target`.

For each: `dlc model.json --dump-ir=import --mlir-print-debuginfo |
dlc-opt --dlc-fuse-attention --dlc-autodiff` gives train.mlir (its results: the model's outputs,
the loss, `grad:<param>` for every parameter and, for the random graphs,
`grad:<input>` for every f32 input but the target: `--dlc-autodiff=
wrt-inputs=...`); `dlc run train.mlir` runs it
on --device and on the reference (--precision=f64), into poisoned buffers.

Tolerance per output (device f32 vs reference f64): |got - want| <=
rtol * |want| + atol * S with rtol = atol = 2e-4 * s, s = max(1,
sqrt(K / 64)), K the largest tensor of the graph (a gradient reduction is
over up to that many terms: conv2d_backward_weight sums over N*OH*OW, a
broadcast's unbroadcast over the whole operand) and S = max|want| of the
output (for a gradient at least 1e-3 times the largest max|want| of all
gradients, as one that cancels to ~0, e.g. a key bias before softmax, is
rounding noise of its terms' size): the bound is relative to the
gradient's scale, as gradients are often far below 1. A non-finite value passes only where the reference has the same.
"""
import argparse
import concurrent.futures
import copy
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import random_graphs as rg  # noqa: E402

SKIP_FAMILIES = {"half", "half_gemm", "half_gemm_chain"}
FAMILIES = [f for f in rg.FAMILIES if f not in SKIP_FAMILIES]


# --precision bf16/fp16 (the device runs the graph through
# --dlc-mixed-precision: contractions, conv gradients included, on the
# tensor-core path): the f32 bound scaled to the type's rounding (bf16 keeps
# 8 significant bits, fp16 11; products round once per operand).
LOW_TOL = {"bf16": 2e-2, "fp16": 3e-3}


def sh(args, cwd, log, stdin=None):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                       input=stdin)
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(a) for a in args) + "\n")
        f.write(r.stdout[-3000:] + r.stderr[-3000:] + f"[exit {r.returncode}]\n")
    return r


def last_line(r):
    return (r.stderr.strip().splitlines() or ["(no message)"])[-1]


# -- the graphs ---------------------------------------------------------------
def with_mse_loss(model, output, shape, rng, arrays):
    """Adds input `target` and node `loss` = mse_loss(output, target)."""
    model = copy.deepcopy(model)
    model["inputs"].append({"name": "target", "shape": list(shape),
                            "dtype": "f32"})
    arrays["target"] = rng.normal(size=shape).astype(np.float32)
    model["nodes"].append({"name": "loss", "op": "mse_loss",
                           "inputs": [output, "target"]})
    model["outputs"] = list(model["outputs"]) + ["loss"]
    model["training"] = {"loss": "loss",
                         "optimizer": {"name": "sgd", "lr": 0.01}}
    return model


def fam_backward_ops(g):
    """Every backward op with odd sizes and non-default windows: a strided
    slice (negative start), a grouped strided dilated padded conv, a max
    pool (padding, dilation) and an avg pool (either divisor)."""
    x = g.input([2, 4, 13, 12])
    start = -int(g.rng.integers(10, 13))
    v = g.node("slice", [x], [2, 4, len(range(13 + start, 13, 2)), 12],
               starts=[start], ends=[13], axes=[2], steps=[2])
    v = g.conv(v, 6, [3, 2], stride=g.choice([1, 2, [2, 1]]),
               pad=[1, 0, 0, 1], dil=g.choice([1, [2, 1]]),
               groups=g.choice([1, 2]))
    v = g.node("tanh", [v], g.shape[v])
    a = g.pool(v, "max_pool2d", 3, stride=g.choice([1, 2]), pad=1,
               dil=g.choice([1, 2]) if min(g.shape[v][2:]) >= 5 else 1)
    b = g.pool(v, "avg_pool2d", 2, stride=1, pad=1,
               include_pad=g.chance(0.5))
    a = g.node("reduce_sum", [a], [2, 6], axes=[2, 3])
    b = g.node("reduce_mean", [b], [2, 6], axes=[2, 3])
    return [g.node("mul", [a, b], [2, 6])]


def fam_conv_grads(g):
    """The conv gradients as GEMMs and direct kernels: a batch of 8 with
    odd sizes (K = N*OH*OW long enough for --dlc-split-k at stride 1), and
    a plain, grouped or depthwise (groups == C == O) conv with random
    kernel, stride, dilation and (asymmetric) padding."""
    c = g.choice([4, 6])
    x = g.input([8, c, g.choice([19, 20]), g.choice([17, 18])])
    kind = g.choice(["plain", "grouped", "depthwise"])
    groups = {"plain": 1, "grouped": 2, "depthwise": c}[kind]
    o = c if kind == "depthwise" else g.choice([5, 8, 13]) * groups // \
        (2 if kind == "grouped" and g.chance(0.5) else 1)
    if o % groups:
        o = groups * 3
    v = g.conv(x, o, g.choice([3, [3, 2], 1, 5]),
               stride=1 if kind == "depthwise" else g.choice([1, 1, 2, [1, 2]]),
               pad=g.choice([0, 1, [1, 0], [0, 2, 1, 0]]),
               dil=g.choice([1, 1, 2]), groups=groups, bias=g.chance(0.7))
    v = g.node("tanh", [v], g.shape[v])
    return [g.node("reduce_mean", [v], [8, o], axes=[2, 3])]


def random_case(seed, index):
    family = FAMILIES[index % len(FAMILIES)]
    if index % 8 == 7:
        rng = np.random.default_rng([seed, index])
        g = rg.Graph(rng, f"g{index}_backward_ops")
        family, model = "backward_ops", g.model(fam_backward_ops(g))
    elif index % 8 == 3:
        rng = np.random.default_rng([seed, index])
        g = rg.Graph(rng, f"g{index}_conv_grads")
        family, model = "conv_grads", g.model(fam_conv_grads(g))
    else:
        family, g, model = rg.generate(seed, index, family)
    arrays = dict(g.arrays)
    out = model["outputs"][0]
    if g.shape[out] == [] and g.dtype[out] == "f32":
        model["training"] = {"loss": out,
                             "optimizer": {"name": "sgd", "lr": 0.01}}
    else:
        rng = np.random.default_rng([seed, index, 7])
        model = with_mse_loss(model, out, g.shape[out], rng, arrays)
    biggest = max([g.max_k] + [math.prod(s) for s in g.shape.values()])
    inputs = {i["name"]: arrays[i["name"]] for i in model["inputs"]}
    params = {p["name"]: arrays[p["name"]] for p in model["parameters"]}
    return f"g{index}_{family}", model, inputs, params, biggest


def example_cases(examples):
    rng = np.random.default_rng(5)
    cases = []
    for name in ["seed_cnn", "mlp", "transformer_block"]:
        path = os.path.join(examples, name + ".json")
        with open(path) as f:
            model = json.load(f)
        arrays = {}
        for i in model["inputs"]:
            shape, dtype = i["shape"], i.get("dtype", "f32")
            if dtype in ("i32", "i64"):
                arrays[i["name"]] = rng.integers(0, 10, size=shape).astype(
                    np.int32 if dtype == "i32" else np.int64)
            else:
                arrays[i["name"]] = rng.normal(size=shape).astype(np.float32)
        if "training" not in model:
            out = model["outputs"][0]
            shape = model["inputs"][0]["shape"]  # the block keeps x's shape
            model = with_mse_loss(model, out, shape, rng, arrays)
        # The loss must be an output to be checked too.
        biggest = max(math.prod(i["shape"]) for i in model["inputs"])
        for p in model.get("parameters", []):
            biggest = max(biggest, math.prod(p["shape"]))
        inputs = {i["name"]: arrays[i["name"]] for i in model["inputs"]}
        cases.append((name, model, inputs, None, biggest * 8))
    return cases


# -- running ------------------------------------------------------------------
def run(args, name, model, inputs, params, biggest, root):
    params_only = params is None  # the examples: gradients of the params
    params = params or {}
    workdir = os.path.join(root, name)
    os.makedirs(workdir, exist_ok=True)
    log = os.path.join(workdir, "log.txt")
    with open(os.path.join(workdir, "model.json"), "w") as f:
        json.dump(model, f, indent=1)
    for n, a in params.items():
        np.save(os.path.join(workdir, f"{n}.npy"), a)
    for n, a in inputs.items():
        np.save(os.path.join(workdir, f"in_{n}.npy"), a)
    r = sh([args.dlc, "model.json", "--dump-ir=import",
            "--mlir-print-debuginfo"], workdir, log)
    if r.returncode != 0:
        return f"import exited {r.returncode}: {last_line(r)}"
    wrt = [i["name"] for i in model["inputs"]
           if i.get("dtype", "f32") == "f32" and i["name"] != "target"
           and not i["name"].startswith("mask")]  # attention: no mask grad
    autodiff = "--dlc-autodiff" + \
        (f"=wrt-inputs={','.join(wrt)}" if wrt and not params_only else "")
    # Attention becomes dlc.attention first, as in dlc's own pipeline, so
    # the backward graph has attention_backward.
    r = sh([args.dlc_opt, "--dlc-fuse-attention", autodiff, "--canonicalize",
            "--cse",
            "--mlir-print-debuginfo"], workdir, log, stdin=r.stdout)
    if r.returncode != 0:
        return f"dlc-opt --dlc-autodiff exited {r.returncode}: {last_line(r)}"
    with open(os.path.join(workdir, "train.mlir"), "w") as f:
        f.write(r.stdout)
    results = {}
    for tag, dev in [("ref", ["--device=reference", "--precision=f64"]),
                     ("dev", [f"--device={args.device}"] +
                      ([f"--precision={args.precision}"]
                       if args.precision != "f32" else []))]:
        outdir = os.path.join(workdir, f"out_{tag}")
        shutil.rmtree(outdir, ignore_errors=True)
        os.makedirs(outdir)
        cmd = [args.dlc, "run", "train.mlir"] + dev + \
            [f"--input={n}=in_{n}.npy" for n in inputs] + ["-o", outdir + "/"]
        r = sh(cmd, workdir, log)
        if r.returncode != 0:
            return f"dlc run {' '.join(dev)} exited {r.returncode}: " + \
                last_line(r)
        results[tag] = {f[:-4]: np.load(os.path.join(outdir, f))
                        for f in os.listdir(outdir) if f.endswith(".npy")}
    want, got = results["ref"], results["dev"]
    grads = [k for k in want if k.startswith("grad:")]
    if not grads:
        return "no grad: outputs"
    s = max(1.0, math.sqrt(biggest / 64))
    tol = 2e-4 * s if args.precision == "f32" else LOW_TOL[args.precision] * s
    gscale = max(float(np.max(np.abs(want[k][np.isfinite(want[k])]),
                              initial=0)) for k in grads)
    for k in sorted(want):
        if k not in got:
            return f"{k}: missing on the device"
        w = want[k].astype(np.float64)
        d = got[k].astype(np.float64)
        if w.shape != d.shape:
            return f"{k}: shape {d.shape}, want {w.shape}"
        fin = np.isfinite(w)
        if not np.array_equal(fin, np.isfinite(d)) or \
                not np.array_equal(w[~fin], d[~fin]) and \
                not np.all(np.isnan(w[~fin]) & np.isnan(d[~fin])):
            return f"{k}: non-finite values differ"
        if not fin.any():
            continue
        scale = np.max(np.abs(w[fin]))
        if k.startswith("grad:"):
            # A gradient that cancels to ~0 (a bias before softmax) is
            # measured against the largest gradient's scale.
            scale = max(scale, 1e-3 * gscale)
        err = np.abs(d[fin] - w[fin])
        bound = tol * np.abs(w[fin]) + tol * scale
        if np.any(err > bound):
            i = int(np.argmax(err - bound))
            return (f"{k}: |got - want| {err[i]:.3g} > bound {bound[i]:.3g} "
                    f"(want {w[fin][i]:.6g}, got {d[fin][i]:.6g}, max|want| "
                    f"{scale:.3g})")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", required=True)
    ap.add_argument("--dlc-opt", dest="dlc_opt", required=True)
    ap.add_argument("--examples")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="f32",
                    choices=["f32", "bf16", "fp16"])
    ap.add_argument("--families", default="",
                    help="comma-separated: only these examples and the "
                         "random graphs of these families")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep")
    args = ap.parse_args()
    args.dlc = os.path.abspath(shutil.which(args.dlc) or args.dlc)
    args.dlc_opt = os.path.abspath(shutil.which(args.dlc_opt) or args.dlc_opt)

    cases = example_cases(args.examples) if args.examples else []
    cases += [random_case(args.seed, i)
              for i in range(args.start, args.start + args.count)]
    if args.families:
        keep = args.families.split(",")
        cases = [c for c in cases
                 if c[0] in keep or c[0].split("_", 1)[-1] in keep]
    root = args.keep or tempfile.mkdtemp(prefix="dlc-train-")
    os.makedirs(root, exist_ok=True)
    failures = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futs = [(c[0], pool.submit(run, args, *c, root)) for c in cases]
        for name, fut in futs:
            err = fut.result()
            if err:
                failures += 1
                print(f"FAIL {name}: {err}")
                # stderr too: lit shows it whole, FileCheck's dump of stdout
                # may elide the line.
                print(f"FAIL {name}: {err}", file=sys.stderr)
            else:
                print(f"ok   {name}")
    n = len(cases)
    print(f"summary: {n - failures} of {n} training graphs pass")
    if not args.keep and failures == 0:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
