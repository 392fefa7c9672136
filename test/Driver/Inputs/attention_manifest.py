"""Prints what test/Driver/attention.test checks in a manifest.json: the
nodes of its kernels (in order), the 4-D buffers shaped [.., T, T] for the
sequence length T given, and the grid and block of each kernel computing
the `context` node alone (attention)."""
import json
import sys

m = json.load(open(sys.argv[1]))
t = int(sys.argv[2])
print("nodes:", " ".join(n for k in m["kernels"] for n in k["nodes"]))
tt = [b["name"] for b in m["buffers"]
      if len(b["shape"]) == 4 and b["shape"][-2:] == [t, t]]
print("[T, T] buffers:", " ".join(tt) if tt else "none")
attn = [k for k in m["kernels"] if k["nodes"] == ["context"]]
for k in attn:
    print(f"context kernel: grid {k['grid'][0]} block {k['block'][0]}")
print("context kernels:", len(attn))
