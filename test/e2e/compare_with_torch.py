#!/usr/bin/env python3
"""Runs a dlc JSON model through `dlc run --device=reference` and through
PyTorch (torch_reference.py) on the same random weights and inputs, and
checks that every output (and the training loss, if any) agrees.

Tolerances: float64 interpreter vs float64 PyTorch within rtol 1e-9, atol
1e-11 (only summation order differs); float32 interpreter vs float64
PyTorch within rtol 2e-4, atol 2e-5 (float32 rounding in deep sums).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference  # noqa: E402

TOLERANCES = {"f64": (1e-9, 1e-11), "f32": (2e-4, 2e-5)}


def random_parameters(model, rng, workdir):
    """Writes each parameter as a .npy of random values and points the
    model's init at it; returns name -> array."""
    params = {}
    for i, p in enumerate(model.get("parameters", [])):
        shape = p["shape"]
        fan_in = math.prod(shape[1:]) if len(shape) > 1 else shape[0]
        value = rng.normal(0.0, 1.0 / math.sqrt(max(fan_in, 1)), size=shape)
        if p["name"].endswith(("scale", "gamma")):
            value = 1.0 + 0.1 * value
        dtype = np.float64 if p.get("dtype", "f32") == "f64" else np.float32
        value = value.astype(dtype)
        path = os.path.join(workdir, f"param{i}.npy")
        np.save(path, value)
        p["init"] = {"file": os.path.basename(path)}
        params[p["name"]] = value
    return params


def label_classes(model, name, inputs, params):
    """The class count C for an integer input used as labels: the last dim of
    the logits of the softmax_cross_entropy node that consumes it."""
    probe = {k: torch.from_numpy(v) for k, v in {**inputs, **params}.items()}
    for inp in model["inputs"]:
        if inp["name"] not in probe:
            probe[inp["name"]] = torch.zeros(inp["shape"], dtype=torch.int64)
    env = torch_reference.run_model(model, probe)
    for node in model["nodes"]:
        if node["op"] == "softmax_cross_entropy" and node["inputs"][1] == name:
            return env[node["inputs"][0]].shape[-1]
    raise ValueError(f"integer input '{name}' is not used as labels")


def random_inputs(model, rng, params):
    inputs = {}
    for inp in model["inputs"]:
        if inp.get("dtype", "f32") in ("f32", "f64"):
            dtype = np.float64 if inp.get("dtype") == "f64" else np.float32
            inputs[inp["name"]] = rng.normal(size=inp["shape"]).astype(dtype)
    for inp in model["inputs"]:
        if inp["name"] not in inputs:
            classes = label_classes(model, inp["name"], inputs, params)
            dtype = np.int32 if inp.get("dtype") == "i32" else np.int64
            inputs[inp["name"]] = rng.integers(0, classes, size=inp["shape"]).astype(dtype)
    return inputs


def run_dlc(dlc, model_path, inputs, outputs, precision, workdir):
    args = [dlc, "run", model_path, "--device=reference",
            f"--precision={precision}"]
    for name, value in inputs.items():
        path = os.path.join(workdir, f"in_{name}.npy")
        np.save(path, value)
        args.append(f"--input={name}={path}")
    outdir = os.path.join(workdir, f"out_{precision}")
    if len(outputs) == 1:
        args += ["-o", os.path.join(workdir, f"{outputs[0]}.{precision}.npy")]
    else:
        os.makedirs(outdir, exist_ok=True)
        args += ["-o", outdir]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"dlc run failed ({result.returncode}):\n{result.stderr}")
    if len(outputs) == 1:
        return {outputs[0]: np.load(os.path.join(
            workdir, f"{outputs[0]}.{precision}.npy"))}
    return {o: np.load(os.path.join(outdir, f"{o}.npy")) for o in outputs}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dlc", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("model")
    args = ap.parse_args()
    with open(args.model) as f:
        model = json.load(f)
    rng = np.random.default_rng(args.seed)
    outputs = list(model["outputs"])
    loss = model.get("training", {}).get("loss")
    if loss and loss not in outputs:
        outputs.append(loss)
    model["outputs"] = outputs
    failures = 0
    with tempfile.TemporaryDirectory() as workdir:
        params = random_parameters(model, rng, workdir)
        inputs = random_inputs(model, rng, params)
        model_path = os.path.join(workdir, "model.json")
        with open(model_path, "w") as f:
            json.dump(model, f)
        env = torch_reference.run_model(
            model, {k: torch.from_numpy(v) for k, v in {**inputs, **params}.items()})
        for precision, (rtol, atol) in TOLERANCES.items():
            got = run_dlc(args.dlc, model_path, inputs, outputs, precision, workdir)
            for name in outputs:
                want = env[name].double().numpy()
                have = got[name].astype(np.float64)
                ok = have.shape == want.shape and np.allclose(have, want, rtol=rtol, atol=atol)
                err = np.max(np.abs(have - want)) if have.shape == want.shape else float("nan")
                print(f"{'PASS' if ok else 'FAIL'}: {os.path.basename(args.model)} "
                      f"{name} {precision} shape={list(have.shape)} max|diff|={err:.3g}")
                failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
