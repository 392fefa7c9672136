#!/usr/bin/env python3
"""Attention as PyTorch exports it to ONNX, through --dlc-fuse-attention:
a hand-written scaled dot-product attention (q, k, v from one Linear,
view + transpose into heads, q @ k^T / sqrt(d), softmax, @ v), the same with
a causal mask applied by masked_fill of a registered upper-triangular
buffer (Where(mask, -inf, s)), and nn.MultiheadAttention (its [B*H, T, D]
bmm layout). Each must import to exactly one dlc.attention (checked in
`dlc --dump-ir=dlc-fuse`), and its output must match PyTorch's through
`dlc run` (onnx_vs_torch.py's compare: rtol 1e-4, atol 1e-5).

    onnx_attention_vs_torch.py --dlc build/bin/dlc [--device cpu]
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_vs_torch import compare  # noqa: E402

T, E, H = 7, 48, 2  # odd T; head dim 24


class Sdpa(nn.Module):
    def __init__(self, causal=False):
        super().__init__()
        self.qkv, self.out = nn.Linear(E, 3 * E), nn.Linear(E, E)
        self.causal = causal
        self.register_buffer("drop", torch.triu(torch.ones(T, T).bool(), 1))

    def forward(self, x):
        b, t, e = x.shape
        q, k, v = (z.view(b, t, H, e // H).transpose(1, 2)
                   for z in self.qkv(x).split(e, dim=-1))
        s = q @ k.transpose(-2, -1) / math.sqrt(e // H)
        if self.causal:
            s = s.masked_fill(self.drop, float("-inf"))
        y = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, e)
        return self.out(y)


class Mha(nn.Module):
    def __init__(self):
        super().__init__()
        self.m = nn.MultiheadAttention(E, H, batch_first=True)

    def forward(self, x):
        return self.m(x, x, x, need_weights=False)[0]


MODELS = {"sdpa": lambda: Sdpa(), "sdpa_causal": lambda: Sdpa(causal=True),
          "mha": Mha}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        for name, make in MODELS.items():
            torch.manual_seed(1)
            model = make().eval()
            x = torch.randn(3, T, E)
            failures += not compare(args, work, env, name, model, x, 14)
            ir = subprocess.run(
                [args.dlc, os.path.join(work, f"{name}_14.onnx"),
                 "--dump-ir=dlc-fuse"], capture_output=True, text=True,
                env=env).stdout
            n = ir.count("dlc.attention ")
            causal = "causal = true" in ir
            ok = n == 1 and "dlc.softmax" not in ir and \
                causal == name.endswith("causal")
            print(f"{'PASS' if ok else 'FAIL'}: {name}: {n} dlc.attention"
                  f"{', causal' if causal else ''}")
            failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
