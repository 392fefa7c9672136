"""Compares the gradients of dlc's training step for examples/lstm_fashion.json
(dlc train --dump-gradients) with PyTorch autograd of torch.nn.LSTM on the
same weights and batch. dlc.lstm keeps ONNX's gate order (i, o, f, c),
torch's is (i, f, g, o): the blocks are permuted both ways.

usage: lstm_grads_vs_torch.py grads.safetensors
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from safetensors_np import read_safetensors  # same directory


t = read_safetensors(sys.argv[1])
p = {k[len("param/"):]: v.astype(np.float64) for k, v in t.items()
     if k.startswith("param/")}
H = p["lstm.recurrence"].shape[2]
ONNX_TO_TORCH = [0, 2, 3, 1]  # torch block k is ONNX block ONNX_TO_TORCH[k]


def to_torch(a):  # [4H, ...] in ONNX order -> torch order
    return np.concatenate([a[k * H:(k + 1) * H] for k in ONNX_TO_TORCH])


def to_onnx(a):  # the inverse permutation
    blocks = {ONNX_TO_TORCH[k]: a[k * H:(k + 1) * H] for k in range(4)}
    return np.concatenate([blocks[k] for k in range(4)])


lstm = torch.nn.LSTM(p["lstm.weight"].shape[2], H).double()
with torch.no_grad():
    lstm.weight_ih_l0.copy_(torch.tensor(to_torch(p["lstm.weight"][0])))
    lstm.weight_hh_l0.copy_(torch.tensor(to_torch(p["lstm.recurrence"][0])))
    lstm.bias_ih_l0.copy_(torch.tensor(to_torch(p["lstm.bias"][0, :4 * H])))
    lstm.bias_hh_l0.copy_(torch.tensor(to_torch(p["lstm.bias"][0, 4 * H:])))
fc_w = torch.tensor(p["fc.weight"], requires_grad=True)
fc_b = torch.tensor(p["fc.bias"], requires_grad=True)
x = torch.tensor(t["x"].astype(np.float64))
seq = x.reshape(x.shape[0], 28, 28).transpose(0, 1)
out, _ = lstm(seq)
loss = F.cross_entropy(F.linear(out[-1], fc_w, fc_b), torch.tensor(t["labels"]))
loss.backward()

want = {
    "lstm.weight": to_onnx(lstm.weight_ih_l0.grad.numpy())[None],
    "lstm.recurrence": to_onnx(lstm.weight_hh_l0.grad.numpy())[None],
    "lstm.bias": np.concatenate([to_onnx(lstm.bias_ih_l0.grad.numpy()),
                                 to_onnx(lstm.bias_hh_l0.grad.numpy())])[None],
    "fc.weight": fc_w.grad.numpy(),
    "fc.bias": fc_b.grad.numpy(),
}
print(f"loss: dlc {float(t['loss']):.6f} torch {loss.item():.6f}")
ok = abs(float(t["loss"]) - loss.item()) <= 1e-4 * max(1.0, abs(loss.item()))
for name in sorted(want):
    got = t["grad/" + name].astype(np.float64)
    scale = np.abs(want[name]).max() + 1e-12
    err = np.abs(got - want[name]).max() / scale
    good = got.shape == want[name].shape and err < 1e-4
    ok = ok and good
    print(f"grad {name}: max error / max |grad| = {err:.2e} {'ok' if good else 'MISMATCH'}")
print("gradients match torch" if ok else "gradients DIFFER from torch")
sys.exit(0 if ok else 1)
