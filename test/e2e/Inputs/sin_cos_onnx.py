"""Exports y = sin(x) * cos(2x) + cos(sin(x)) from PyTorch to ONNX, runs it
with `dlc run` on the reference interpreter and the CPU device, and compares
with PyTorch in float64.

usage: sin_cos_onnx.py <dlc> <scratch-dir>
"""
import os
import subprocess
import sys

import numpy as np
import torch


class SinCos(torch.nn.Module):
    def forward(self, x):
        return torch.sin(x) * torch.cos(2 * x) + torch.cos(torch.sin(x))


dlc, tmp = sys.argv[1], sys.argv[2]
model = os.path.join(tmp, "sin_cos.onnx")
x = np.random.default_rng(3).uniform(-6.0, 6.0, (4, 37)).astype(np.float32)
torch.onnx.export(SinCos(), (torch.from_numpy(x),), model, input_names=["x"],
                  output_names=["y"], opset_version=17)
np.save(os.path.join(tmp, "x.npy"), x)
want = SinCos()(torch.from_numpy(x).double()).numpy()
ok = True
for device in ("reference", "cpu"):
    out = os.path.join(tmp, f"y_{device}.npy")
    subprocess.run([dlc, "run", model, f"--device={device}", "--input",
                    "x=" + os.path.join(tmp, "x.npy"), "--output", "y",
                    "-o", out], check=True, stdout=subprocess.DEVNULL)
    err = float(np.abs(np.load(out).astype(np.float64) - want).max())
    good = err < 1e-5
    ok = ok and good
    print(f"{device}: max error {err:.2e} {'ok' if good else 'MISMATCH'}")
sys.exit(0 if ok else 1)
