"""Reads a .safetensors file (dlc's checkpoints and --dump-gradients) into
numpy arrays, independently of dlc's own reader. Shared by the gradient
and mixed-precision comparison scripts next to it."""
import json
import struct

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    """name -> numpy array (read-only view of the file's bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end],
                                  DTYPES[info["dtype"]]).reshape(info["shape"])
    return out
