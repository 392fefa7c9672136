#!/usr/bin/env python3
"""Writes the first N Fashion-MNIST test images as an NCHW float32 .npy
(pixels scaled to [0, 1]) and, optionally, their labels as int64.

Reads Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
"""
import argparse
import gzip
import sys

import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist"


def read_idx(path, magic, header_ints):
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        sys.exit(f"{path}: cannot read: {e}")
    head = np.frombuffer(data[: 4 * (1 + header_ints)], dtype=">i4")
    if head[0] != magic:
        sys.exit(f"{path}: not an IDX file (magic {head[0]:#x}, expected {magic:#x})")
    return head[1:], data[4 * (1 + header_ints):]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--labels", help="also write the labels here")
    ap.add_argument("--split", default="t10k", choices=["t10k", "train"])
    args = ap.parse_args()
    dims, pixels = read_idx(f"{ROOT}/{args.split}-images-idx3-ubyte.gz", 0x803, 3)
    n = min(args.count, int(dims[0]))
    images = np.frombuffer(pixels, dtype=np.uint8)[: n * 784].reshape(n, 1, 28, 28)
    np.save(args.output, images.astype(np.float32) / 255.0)
    if args.labels:
        _, raw = read_idx(f"{ROOT}/{args.split}-labels-idx1-ubyte.gz", 0x801, 1)
        np.save(args.labels, np.frombuffer(raw, dtype=np.uint8)[:n].astype(np.int64))


if __name__ == "__main__":
    main()
