#!/usr/bin/env python3
"""Exports the seed CNN and an MLP from PyTorch to ONNX (torch.onnx.export at
a fixed opset), runs each file through `dlc run model.onnx` and checks that
the outputs match PyTorch's on the same weights and input.

The CNN is the seed model: Conv 32 3x3 + ReLU, MaxPool 2, Conv 64 3x3 +
ReLU, MaxPool 2, Flatten, Linear 10 + softmax on 1x28x28. A second CNN
flattens with x.view(x.size(0), -1), which the exporter writes as
Shape -> Gather -> Unsqueeze -> Concat -> Reshape; the importer must fold it
to a static reshape. The MLP is Linear 784-128 + ReLU, Linear 128-64 + Tanh,
Linear 64-10 + log_softmax.

Tolerance: float32 throughout (the reference interpreter, or the compiled
kernels with --device=cpu), within rtol 1e-4 and atol 1e-5 of PyTorch's
float32 (only summation order differs).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

RTOL, ATOL = 1e-4, 1e-5


class SeedCnn(nn.Module):
    def __init__(self, view_flatten=False):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc = nn.Linear(64 * 5 * 5, 10)
        self.view_flatten = view_flatten

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1) if self.view_flatten else torch.flatten(x, 1)
        return torch.softmax(self.fc(x), dim=1)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.tanh(self.fc2(torch.relu(self.fc1(x))))
        return torch.log_softmax(self.fc3(x), dim=-1)


MODELS = {
    "cnn": (lambda: SeedCnn(), (4, 1, 28, 28)),
    "cnn_view": (lambda: SeedCnn(view_flatten=True), (4, 1, 28, 28)),
    "mlp": (Mlp, (8, 784)),
}


def compare(args, work, env, name, model, x, opset):
    """Exports `model` at `opset`, runs it through `dlc run` on
    args.device with input `x`, prints PASS/FAIL against PyTorch's output;
    returns whether it passed. (onnx_rnn_vs_torch.py uses it too.)"""
    path = os.path.join(work, f"{name}_{opset}.onnx")
    torch.onnx.export(model, x, path, opset_version=opset,
                      input_names=["x"], output_names=["y"])
    with torch.no_grad():
        want = model(x).numpy()
    np.save(os.path.join(work, "x.npy"), x.numpy())
    out = os.path.join(work, "y.npy")
    run = subprocess.run(
        [args.dlc, "run", path, f"--device={args.device}",
         "--input", f"x={work}/x.npy", "-o", out],
        capture_output=True, text=True, env=env)
    label = f"{name} opset {opset} {args.device}"
    if run.returncode != 0:
        print(f"FAIL: {label}: dlc exited {run.returncode}: "
              f"{run.stderr.strip()}")
        return False
    got = np.load(out)
    err = np.max(np.abs(got - want) / (ATOL + RTOL * np.abs(want)))
    if got.shape != want.shape or not np.isfinite(err) or err > 1:
        print(f"FAIL: {label}: shape {got.shape} vs {want.shape}, "
              f"max |got-want|/(atol+rtol|want|) = {err:.3g}")
        return False
    print(f"PASS: {label} (max error {err:.3g} of tolerance)")
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--device", default="reference")
    ap.add_argument("--opset", type=int, action="append")
    ap.add_argument("models", nargs="*", default=list(MODELS))
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        for name in args.models:
            make, shape = MODELS[name]
            for opset in args.opset or [13, 17]:
                torch.manual_seed(opset)
                model = make().eval()
                x = torch.randn(*shape)
                failures += not compare(args, work, env, name, model, x, opset)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
