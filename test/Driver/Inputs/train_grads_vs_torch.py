"""Compares the gradients of dlc's training step (dlc train --dump-gradients)
with PyTorch autograd on the same weights and batch (the seed CNN).

usage: train_grads_vs_torch.py grads.safetensors
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from safetensors_np import read_safetensors  # same directory


t = read_safetensors(sys.argv[1])
p = {k[len("param/"):]: torch.tensor(v.astype(np.float64), requires_grad=True)
     for k, v in t.items() if k.startswith("param/")}
x = torch.tensor(t["x"].astype(np.float64))
labels = torch.tensor(t["labels"])
h = F.max_pool2d(F.relu(F.conv2d(x, p["conv1.weight"], p["conv1.bias"])), 2)
h = F.max_pool2d(F.relu(F.conv2d(h, p["conv2.weight"], p["conv2.bias"])), 2)
logits = F.linear(h.flatten(1), p["fc.weight"], p["fc.bias"])
loss = F.cross_entropy(logits, labels)
loss.backward()
print(f"loss: dlc {float(t['loss']):.6f} torch {loss.item():.6f}")
ok = abs(float(t["loss"]) - loss.item()) <= 1e-4 * max(1.0, abs(loss.item()))
for name, param in sorted(p.items()):
    want = param.grad.numpy()
    got = t["grad/" + name].astype(np.float64)
    scale = np.abs(want).max() + 1e-12
    err = np.abs(got - want).max() / scale
    good = err < 1e-4
    ok = ok and good
    print(f"grad {name}: max error / max |grad| = {err:.2e} {'ok' if good else 'MISMATCH'}")
print("gradients match torch" if ok else "gradients DIFFER from torch")
sys.exit(0 if ok else 1)
