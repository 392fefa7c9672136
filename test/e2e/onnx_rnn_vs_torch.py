#!/usr/bin/env python3
"""Exports torch.nn.LSTM and torch.nn.GRU models (2 layers, bidirectional)
to ONNX, runs each file through `dlc run model.onnx` and checks that the
output matches PyTorch's on the same weights and input.

The exporter writes one LSTM/GRU node per layer (ONNX gate order, the GRU
with linear_before_reset = 1, zero initial states as constants) with
Squeeze/Transpose/Reshape between layers. Each model's output depends on
every result of its last layer (y, and the last h and c), so y_h and y_c
are checked too.

Tolerance: float32 throughout, within rtol 1e-4 and atol 1e-5 of
PyTorch's float32 (only summation order differs).
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
SEQ, BATCH, FEATURES, HIDDEN = 5, 3, 8, 16


class Lstm(nn.Module):
    def __init__(self, layers, bidirectional):
        super().__init__()
        self.rnn = nn.LSTM(FEATURES, HIDDEN, num_layers=layers,
                           bidirectional=bidirectional)

    def forward(self, x):
        y, (h, c) = self.rnn(x)
        last = torch.cat([h[-1], c[-1]], dim=-1)  # [B, 2H]
        return y[..., :HIDDEN] + last[:, :HIDDEN] * last[:, HIDDEN:]


class Gru(nn.Module):
    def __init__(self, layers, bidirectional):
        super().__init__()
        self.rnn = nn.GRU(FEATURES, HIDDEN, num_layers=layers,
                          bidirectional=bidirectional)

    def forward(self, x):
        y, h = self.rnn(x)
        return y[..., :HIDDEN] * h[-1]


MODELS = {
    "lstm_2layers": lambda: Lstm(2, False),
    "lstm_bidirectional": lambda: Lstm(1, True),
    "gru_2layers": lambda: Gru(2, False),
    "gru_bidirectional_2layers": lambda: Gru(2, True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--device", default="reference")
    ap.add_argument("--opset", type=int, default=14)
    ap.add_argument("models", nargs="*", default=list(MODELS))
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        for name in args.models:
            torch.manual_seed(len(name))
            model = MODELS[name]().eval()
            x = torch.randn(SEQ, BATCH, FEATURES)
            path = os.path.join(work, f"{name}.onnx")
            torch.onnx.export(model, x, path, opset_version=args.opset,
                              input_names=["x"], output_names=["y"])
            with torch.no_grad():
                want = model(x).numpy()
            np.save(os.path.join(work, "x.npy"), x.numpy())
            out = os.path.join(work, "y.npy")
            run = subprocess.run(
                [args.dlc, "run", path, f"--device={args.device}",
                 "--input", f"x={work}/x.npy", "-o", out],
                capture_output=True, text=True, env=env)
            label = f"{name} opset {args.opset} {args.device}"
            if run.returncode != 0:
                print(f"FAIL: {label}: dlc exited {run.returncode}: "
                      f"{run.stderr.strip()}")
                failures += 1
                continue
            got = np.load(out)
            err = np.max(np.abs(got - want) / (ATOL + RTOL * np.abs(want)))
            if got.shape != want.shape or not np.isfinite(err) or err > 1:
                print(f"FAIL: {label}: shape {got.shape} vs {want.shape}, "
                      f"max |got-want|/(atol+rtol|want|) = {err:.3g}")
                failures += 1
            else:
                print(f"PASS: {label} (max error {err:.3g} of tolerance)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
