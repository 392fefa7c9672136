#!/usr/bin/env python3
"""An embedding model exported from PyTorch matches PyTorch through
`dlc run model.onnx`: token ids (an int64 input, so the ONNX Gather's
indices are computed at run time) through nn.Embedding, plus a position
embedding indexed by torch.arange (indices known at import), tanh, a
Linear head. Exported at opsets 13 and 17; passes when the relative L2
error ||got - want|| / ||want|| is at most 1e-4 (float32 throughout).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

MAX_REL_L2 = 1e-4
VOCAB, SEQ, DIM, CLASSES = 50, 12, 16, 7


class EmbeddingHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, DIM)
        self.pos = nn.Embedding(SEQ, DIM)
        self.head = nn.Linear(DIM, CLASSES)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])
        h = torch.tanh(self.tok(ids) + self.pos(pos))
        return self.head(h)


def compare(args, work, env, opset):
    torch.manual_seed(opset)
    model = EmbeddingHead().eval()
    nn.init.normal_(model.head.weight)  # outputs far from constant
    ids = torch.randint(0, VOCAB, (3, SEQ))
    path = os.path.join(work, f"embedding_{opset}.onnx")
    torch.onnx.export(model, ids, path, opset_version=opset,
                      input_names=["ids"], output_names=["y"])
    with torch.no_grad():
        want = model(ids).numpy()
    np.save(os.path.join(work, "ids.npy"), ids.numpy())
    out = os.path.join(work, "y.npy")
    run = subprocess.run(
        [args.dlc, "run", path, f"--device={args.device}",
         "--input", f"ids={work}/ids.npy", "-o", out],
        capture_output=True, text=True, env=env)
    label = f"embedding opset {opset} {args.device}"
    if run.returncode != 0:
        print(f"FAIL: {label}: dlc exited {run.returncode}: "
              f"{run.stderr.strip()}")
        return False
    got = np.load(out)
    if got.shape != want.shape:
        print(f"FAIL: {label}: shape {got.shape} vs {want.shape}")
        return False
    rel = np.linalg.norm(got - want) / np.linalg.norm(want)
    if not np.isfinite(rel) or rel > MAX_REL_L2:
        print(f"FAIL: {label}: relative L2 error {rel:.3g}")
        return False
    print(f"PASS: {label} (relative L2 error {rel:.2g})")
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        for opset in (13, 17):
            failures += not compare(args, work, env, opset)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
