#!/usr/bin/env python3
"""The multi-tensor optimizer kernel against torch.optim.

    optimizer_step.py --dlc build/bin/dlc [--device cpu] [--keep DIR]

For each case (SGD with momentum, nesterov and weight decay; plain SGD;
Adam with L2 decay; AdamW; each with dynamic loss scaling: grad_scale, and
skip = 1 in a second run) this writes a step function of optimizer updates
over params of odd sizes (1, 7, 15, 66 and 2115 elements: one param spans
several blocks of the kernel and ends in a partial vector), compiles it with
`dlc` (one kernel must do every update; NVRTC checks it for sm_80 and sm_90
where available) and runs it with `dlc run` on --device and on the
reference interpreter (f64). Both are compared with torch.optim in float64
on the same tensors: the optimizer's state is preloaded as after step t-1,
and the gradient is grad * grad_scale (skip: nothing may change).

Tolerance: |got - want| <= 1e-6 * (|want| + 1) on the device (f32 math: a
few ulps, 1.3e-7 seen), 1e-12 on the reference; skip: bit-exact copies.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch

SHAPES = [(3, 5), (7,), (1,), (2, 3, 11), (45, 47)]
STEP = 3  # the update count t (Adam's bias correction uses it)
LR = float(np.float32(0.05))  # as the f32 opt.lr input holds it
GRAD_SCALE = 0.125

CASES = {
    # name: (op, attrs for the MLIR op, torch optimizer factory)
    "sgd_nesterov": ("sgd_update",
                     {"momentum": 0.9, "weight_decay": 0.01,
                      "nesterov": True},
                     lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.9,
                                                weight_decay=0.01,
                                                nesterov=True)),
    "sgd_momentum": ("sgd_update", {"momentum": 0.8},
                     lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.8)),
    "sgd_plain": ("sgd_update", {"weight_decay": 0.02},
                  lambda ps: torch.optim.SGD(ps, lr=LR, weight_decay=0.02)),
    "adam": ("adam_update", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                             "weight_decay": 0.01},
             lambda ps: torch.optim.Adam(ps, lr=LR, betas=(0.8, 0.99),
                                         eps=1e-6, weight_decay=0.01)),
    "adamw": ("adamw_update", {"weight_decay": 0.1},
              lambda ps: torch.optim.AdamW(ps, lr=LR, weight_decay=0.1)),
}


def states_of(op):
    return ["momentum_buffer"] if op == "sgd_update" else ["exp_avg",
                                                           "exp_avg_sq"]


def mlir_attr(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{float(v):e} : f64"


def step_mlir(op, attrs):
    """A function of every update: inputs p<i>, g<i>, <state><i>, opt.*;
    outputs new_p<i>, new_<state><i>."""
    kinds = states_of(op)
    args, results, rets, body = [], [], [], []
    scalar = "tensor<f32>"
    for name in ["opt.step", "opt.lr", "opt.grad_scale", "opt.skip"]:
        args.append(f'%{name.replace(".", "_")}: {scalar} '
                    f'{{dlc.input = "{name}"}}')
    attr = ", ".join(f"{k} = {mlir_attr(v)}" for k, v in attrs.items())
    for i, shape in enumerate(SHAPES):
        t = "tensor<" + "x".join(map(str, shape)) + "xf32>"
        ins = [f"p{i}", f"g{i}"] + [f"{k}{i}" for k in kinds]
        for n in ins:
            args.append(f'%{n}: {t} {{dlc.input = "{n}"}}')
        outs = [f"new_p{i}"] + [f"new_{k}{i}" for k in kinds]
        types = ", ".join([t] * len(ins) + [scalar] * 4)
        body.append(
            f"  %u{i}:{len(outs)} = dlc.{op} "
            + ", ".join(f"%{n}" for n in ins)
            + ", %opt_step, %opt_lr grad_scale %opt_grad_scale skip %opt_skip"
            + f" {{{attr}}} : ({types}) -> ({', '.join([t] * len(outs))})")
        for j, n in enumerate(outs):
            results.append(f'{t} {{dlc.output = "{n}"}}')
            rets.append((f"%u{i}#{j}", t))
    return ('module attributes {dlc.model = "optimizer_step"} {\n'
            "func.func @forward(" + ",\n    ".join(args) + ")\n    -> ("
            + ", ".join(results) + ") {\n" + "\n".join(body) + "\n  return "
            + ", ".join(r for r, _ in rets) + " : "
            + ", ".join(t for _, t in rets) + "\n}\n}\n")


def inputs_for(op, rng):
    arrays = {}
    for i, shape in enumerate(SHAPES):
        arrays[f"p{i}"] = rng.standard_normal(shape)
        arrays[f"g{i}"] = rng.standard_normal(shape) * 4
        if op == "sgd_update":
            arrays[f"momentum_buffer{i}"] = rng.standard_normal(shape) * 0.5
        else:
            arrays[f"exp_avg{i}"] = rng.standard_normal(shape) * 0.3
            arrays[f"exp_avg_sq{i}"] = rng.uniform(0.01, 1.0, shape)
    return {k: v.astype(np.float32) for k, v in arrays.items()}


def torch_step(op, attrs, factory, arrays, skip):
    """The expected outputs: torch.optim in float64 from the same state.
    SGD without momentum keeps no buffer in torch; dlc's is then the
    decayed gradient (buf = 0 * buf + g, docs/training.md)."""
    kinds = states_of(op)
    want = {}
    params = [torch.tensor(arrays[f"p{i}"], dtype=torch.float64,
                           requires_grad=True) for i in range(len(SHAPES))]
    opt = factory(params)
    for i, p in enumerate(params):
        p.grad = torch.tensor(arrays[f"g{i}"], dtype=torch.float64) * \
            GRAD_SCALE
        st = {k: torch.tensor(arrays[f"{k}{i}"], dtype=torch.float64)
              for k in kinds}
        if op != "sgd_update":
            st["step"] = torch.tensor(float(STEP - 1))
        opt.state[p] = st
    if not skip:
        opt.step()
    for i, p in enumerate(params):
        want[f"new_p{i}"] = p.detach().numpy()
        for k in kinds:
            want[f"new_{k}{i}"] = opt.state[p][k].numpy() if not skip else \
                arrays[f"{k}{i}"].astype(np.float64)
        if op == "sgd_update" and not attrs.get("momentum") and not skip:
            want[f"new_momentum_buffer{i}"] = \
                arrays[f"g{i}"].astype(np.float64) * GRAD_SCALE + \
                attrs.get("weight_decay", 0) * arrays[f"p{i}"].astype(
                    np.float64)
    return want


def sh(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}:\n"
                           f"{r.stdout}{r.stderr}")
    return r.stdout


def run_case(args, name, root):
    op, attrs, factory = CASES[name]
    work = os.path.join(root, name)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "step.mlir"), "w") as f:
        f.write(step_mlir(op, attrs))
    # One kernel for every update, and NVRTC accepts it for both targets.
    for target in ["sm_80", "sm_90"]:
        out = os.path.join(work, f"cuda_{target}")
        sh([args.dlc, "step.mlir", f"--target={target}", "-o", out], work)
        with open(os.path.join(out, "kernels.cu")) as f:
            kernels = re.findall(r"__global__ void (\w+)", f.read())
        if kernels != ["optimizer_" + op]:
            return f"{target}: kernels {kernels}, want one multi-tensor kernel"
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = inputs_for(op, rng)
    for n, a in arrays.items():
        np.save(os.path.join(work, f"{n}.npy"), a)
    np.save(os.path.join(work, "opt.step.npy"), np.float32(STEP))
    np.save(os.path.join(work, "opt.lr.npy"), np.float32(LR))
    np.save(os.path.join(work, "opt.grad_scale.npy"), np.float32(GRAD_SCALE))
    for skip in [0, 1]:
        np.save(os.path.join(work, "opt.skip.npy"), np.float32(skip))
        want = torch_step(op, attrs, factory, arrays, skip)
        names = list(arrays) + ["opt.step", "opt.lr", "opt.grad_scale",
                                "opt.skip"]
        for tag, dev, tol in [
                ("ref", ["--device=reference", "--precision=f64"], 1e-12),
                ("dev", [f"--device={args.device}"], 1e-6)]:
            outdir = os.path.join(work, f"out_{tag}_{skip}")
            shutil.rmtree(outdir, ignore_errors=True)
            sh([args.dlc, "run", "step.mlir"] + dev +
               [f"--input={n}={n}.npy" for n in names] + ["-o", outdir + "/"],
               work)
            for k, w in want.items():
                got = np.load(os.path.join(outdir, f"{k}.npy")).astype(
                    np.float64)
                if got.shape != w.shape:
                    return f"{tag} skip={skip} {k}: shape {got.shape}"
                err = np.abs(got - w)
                bound = tol * (np.abs(w) + 1)
                if skip and tag == "dev":
                    bound = np.zeros_like(w)  # a copy: bit-exact
                if not np.all(err <= bound):
                    i = int(np.argmax(err - bound))
                    return (f"{tag} skip={skip} {k}[{i}]: got "
                            f"{got.flat[i]:.9g}, torch {w.flat[i]:.9g}")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--keep")
    args = ap.parse_args()
    args.dlc = os.path.abspath(shutil.which(args.dlc) or args.dlc)
    root = args.keep or tempfile.mkdtemp(prefix="dlc-opt-step-")
    failures = 0
    for name in CASES:
        try:
            err = run_case(args, name, root)
        except RuntimeError as e:
            err = str(e)
        failures += err is not None
        print(f"FAIL {name}: {err}" if err else f"ok   {name}")
    print(f"summary: {len(CASES) - failures} of {len(CASES)} optimizers "
          "match torch.optim")
    if not args.keep and not failures:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
