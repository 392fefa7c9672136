"""Checks that a checkpoint's params equal the params of a gradient dump bit
for bit, and that its optimizer state is all zeros (no update was applied).

usage: params_unchanged.py checkpoint.safetensors dump.safetensors
"""
import json
import struct
import sys


def tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    return {name: data[8 + n + info["data_offsets"][0]:8 + n + info["data_offsets"][1]]
            for name, info in header.items() if name != "__metadata__"}


ckpt, dump = tensors(sys.argv[1]), tensors(sys.argv[2])
params = sorted(k for k in dump if k.startswith("param/"))
if not params:
    sys.exit("no params in " + sys.argv[2])
for k in params:
    if ckpt.get(k) != dump[k]:
        sys.exit(k + " changed")
state = [k for k in ckpt if k.startswith("state/")]
for k in state:
    if any(ckpt[k]):
        sys.exit(k + " is not all zeros")
print("ok: %d params unchanged bit for bit, %d state tensors zero"
      % (len(params), len(state)))
