#!/usr/bin/env python3
"""Compiled gradients of recurrent layers on the cpu device vs the reference
interpreter in float64: small LSTM and GRU models (bidirectional,
initial states, both GRU forms), each with an mse_loss against a `target`
input, go through `dlc-opt --dlc-unroll-recurrent --dlc-autodiff`; `dlc run`
runs the training graph on the cpu device (f32 kernels) and on the
reference (f64); the loss and every gradient must agree within 1e-4 of the
output's scale (a few f32 roundings over short sums).

usage: rnn_training_graphs.py --dlc dlc --dlc-opt dlc-opt
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

SEQ, BATCH, FEATURES, HIDDEN = 4, 3, 5, 6
TOL = 1e-4


def model(op, direction, extra_attrs, with_state):
    dirs = 2 if direction == "bidirectional" else 1
    gates = 4 if op == "lstm" else 3
    uni = {"scheme": "uniform", "low": -0.4, "high": 0.4}
    params = [
        {"name": "w", "shape": [dirs, gates * HIDDEN, FEATURES], "init": uni},
        {"name": "r", "shape": [dirs, gates * HIDDEN, HIDDEN], "init": uni},
        {"name": "b", "shape": [dirs, 2 * gates * HIDDEN], "init": uni},
    ]
    inputs = ["x", "w", "r", "b"]
    if with_state:
        params.append({"name": "h0", "shape": [dirs, BATCH, HIDDEN], "init": uni})
        inputs.append("h0")
        if op == "lstm":
            params.append({"name": "c0", "shape": [dirs, BATCH, HIDDEN], "init": uni})
            inputs.append("c0")
    return {
        "format": "dlc-model", "version": 1, "name": f"{op}_{direction}",
        "inputs": [
            {"name": "x", "shape": [SEQ, BATCH, FEATURES]},
            {"name": "target", "shape": [SEQ, dirs, BATCH, HIDDEN]},
        ],
        "parameters": params,
        "nodes": [
            {"name": "rnn", "op": op, "inputs": inputs,
             "attributes": dict({"hidden_size": HIDDEN, "direction": direction},
                                **extra_attrs)},
            {"name": "loss", "op": "mse_loss", "inputs": ["rnn", "target"]},
        ],
        "outputs": ["rnn"],
        "training": {"loss": "loss", "optimizer": {"name": "sgd", "lr": 0.1}},
    }


CASES = [
    ("lstm", "bidirectional", {}, True),
    ("gru", "bidirectional", {}, True),
    ("gru", "forward", {"linear_before_reset": True}, True),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--dlc-opt", default="dlc-opt")
    args = ap.parse_args()
    failures = 0
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        for op, direction, extra, state in CASES:
            spec = model(op, direction, extra, state)
            name = spec["name"] + ("_lbr" if extra else "")
            d = os.path.join(work, name)
            os.makedirs(d)
            with open(os.path.join(d, "model.json"), "w") as f:
                json.dump(spec, f)
            imported = subprocess.run(
                [args.dlc, os.path.join(d, "model.json"), "--dump-ir=import",
                 "--mlir-print-debuginfo"], capture_output=True, text=True)
            train = subprocess.run(
                [args.dlc_opt, "--dlc-unroll-recurrent", "--dlc-autodiff"],
                input=imported.stdout, capture_output=True, text=True)
            if imported.returncode or train.returncode:
                print(f"FAIL {name}: {imported.stderr}{train.stderr}")
                failures += 1
                continue
            with open(os.path.join(d, "train.mlir"), "w") as f:
                f.write(train.stdout)
            feeds = []
            for inp in spec["inputs"]:
                path = os.path.join(d, inp["name"] + ".npy")
                np.save(path, rng.uniform(-1, 1, inp["shape"]).astype(np.float32))
                feeds += ["--input", f"{inp['name']}={path}"]
            outs = {}
            for device, extra_args in (("cpu", []), ("reference", ["--precision=f64"])):
                out = os.path.join(d, device)
                run = subprocess.run(
                    [args.dlc, "run", os.path.join(d, "train.mlir"),
                     f"--device={device}", "-o", out + "/"] + feeds + extra_args,
                    capture_output=True, text=True, env=env)
                if run.returncode:
                    print(f"FAIL {name} {device}: {run.stderr.strip()}")
                    break
                outs[device] = {f[:-4]: np.load(os.path.join(out, f)).astype(np.float64)
                                for f in os.listdir(out) if f.endswith(".npy")}
            if len(outs) != 2:
                failures += 1
                continue
            worst, bad = 0.0, []
            for key, want in sorted(outs["reference"].items()):
                got = outs["cpu"].get(key)
                scale = max(np.abs(want).max(), 1e-6)
                err = np.inf if got is None or got.shape != want.shape else \
                    np.abs(got - want).max() / scale
                worst = max(worst, err)
                if not err <= TOL:
                    bad.append(f"{key} ({err:.2e})")
            grads = sum(k.startswith("grad") for k in outs["reference"])
            if bad:
                print(f"FAIL {name}: {', '.join(bad)}")
                failures += 1
            else:
                print(f"ok   {name}: loss and {grads} gradients, worst error "
                      f"{worst:.1e} of scale")
    print(f"summary: {len(CASES) - failures} of {len(CASES)} recurrent training graphs pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
