"""Checks dlc.sin and dlc.cos end to end against PyTorch autograd (float64):
the loss and every gradient of one training step of Inputs/sin_cos_mlp.json
(dlc train --dump-gradients, on the reference interpreter or compiled for
the CPU device), on the same weights and batch.

usage: sin_cos_vs_torch.py grads.safetensors
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "Driver", "Inputs"))
from safetensors_np import read_safetensors  # noqa: E402

t = read_safetensors(sys.argv[1])
p = {k[len("param/"):]: torch.tensor(v.astype(np.float64), requires_grad=True)
     for k, v in t.items() if k.startswith("param/")}
x = torch.tensor(t["x"].astype(np.float64)).reshape(16, 784)
labels = torch.tensor(t["labels"])
z = F.linear(x, p["fc1.weight"], p["fc1.bias"])
h = torch.sin(z) * torch.cos(z) + torch.cos(z)
loss = F.cross_entropy(F.linear(h, p["fc2.weight"], p["fc2.bias"]), labels)
loss.backward()
print(f"loss: dlc {float(t['loss']):.6f} torch {loss.item():.6f}")
ok = abs(float(t["loss"]) - loss.item()) <= 1e-5 * max(1.0, abs(loss.item()))
for name, param in sorted(p.items()):
    want = param.grad.numpy()
    got = t["grad/" + name].astype(np.float64)
    err = np.abs(got - want).max() / (np.abs(want).max() + 1e-12)
    good = err < 1e-4
    ok = ok and good
    print(f"grad {name}: max error / max |grad| = {err:.2e} "
          f"{'ok' if good else 'MISMATCH'}")
print("sin/cos gradients match torch" if ok else "sin/cos gradients DIFFER")
sys.exit(0 if ok else 1)
