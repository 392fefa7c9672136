#!/usr/bin/env python3
"""The differential suite: random dlc JSON models, compiled and run on a
device (`dlc run --device=cpu`), checked against the reference interpreter
in float64 (`dlc run --device=reference --precision=f64`).

    random_graphs.py --dlc build/bin/dlc --count 300 --seed 1 [--start 0]
                     [--device cpu] [--jobs 2] [--keep DIR]
                     [--require-coverage] [--only FAMILY]

Graph i is generated from (seed, i) alone, so a failure is reproduced with
`--start i --count 1 --keep DIR` (DIR/g<i>/ then holds model.json, the
weights and inputs, and the commands run). Families rotate with i, so every
window of 24 consecutive graphs covers every family:

  eltwise_v4/v2/v1  elementwise chains with numpy broadcasts (innermost dim
                    divisible by 4, by 2 only, odd) -> pointwise, vw 4/2/1
  movement          transpose, reshape, flatten, slice (steps), concat,
                    broadcast mixed with elementwise ops
  softmax, layer_norm, reduce   row_reduce, short rows (one warp per row)
                    and rows longer than 1024 (a block per row)
  loss              softmax_cross_entropy (i32/i64 labels), mse_loss
  dense, matmul, batch_matmul, conv, conv_grouped   contractions with
                    epilogues (tiled_gemm; grouped convs take the direct form)
  conv_pool, pool   direct_pool: conv + epilogue + pool, and lone pools
  half              f16/bf16 inside the graph (cast in, compute, cast out)
  half_gemm         f16/bf16 dense, matmul, batch_matmul, conv2d with odd
                    sizes (M 37, N 19, K 45, ...) and epilogues: the
                    tensor-core (mma_sync_f16/bf16, mma.sync) tiled_gemm
                    path
  half_gemm_chain   f16/bf16 GEMMs whose A is another GEMM's output in
                    memory, each graph hitting the three operand paths of
                    the tensor-core mainloop: cp.async (16-byte aligned
                    rows), vector loads into registers (misaligned rows;
                    fused casts too), per-element gathers (a conv's
                    im2col)
  mixed             small MLP / CNN / attention-like chains

Sizes are small, odd and prime where possible (3, 5, 7, 13, 31, 1031, ...).
Every output is computed by the device into host buffers poisoned (NaN) by
the runtime before the run, so an element a kernel never writes fails.

Tolerances (device in f32 vs reference in f64): |got - want| <= atol +
rtol * |want| with rtol = 1e-4 * s, atol = 1e-5 * s, where s = max(1,
sqrt(K / 64)) and K is the longest reduction or contraction in the graph
(f32 summation error grows like sqrt(K)). Graphs computing in f16/bf16:
rtol = atol = 2e-2 * s (f16) or 6e-2 * s (bf16), as they are rounded after
every op. Non-finite values never pass (the generator keeps values finite).

With --require-coverage the script compiles each model with
`dlc model.json --compile-to=cuda --dump-ir=dlc-tile --target=sm_80 -o
cuda_sm_80` (and sm_90), counts the schedule strategies and variants (and,
from the sm_90 kernels.cu, how the tensor-core mainloop reads each
operand: cp.async or registers), prints the counts, and fails if a
variant in REQUIRED_VARIANTS was never hit. That compile, and a second one
for sm_90, also put every emitted kernel through NVRTC with warnings as
errors (dlc exits non-zero otherwise; without NVRTC it says so and goes on).
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

# Schedule variants the suite must hit (see docs/schedule.md).
REQUIRED_VARIANTS = [
    "pointwise vw=1", "pointwise vw=2", "pointwise vw=4",
    "row_reduce warp", "row_reduce block",
    "tiled_gemm", "tiled_gemm mma_sync_f16", "tiled_gemm mma_sync_bf16",
    "mma operand cp.async", "mma operand vectors", "mma operand registers",
    "direct_pool after contraction", "direct_pool lone pool",
    "fusion elementwise", "fusion reduction", "fusion contraction",
]

ODD = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 23, 29, 31, 37]
EVEN2 = [2, 6, 10, 14, 18, 22, 26, 30, 34]  # divisible by 2, not by 4
EVEN4 = [4, 8, 12, 16, 20, 24, 28, 32, 36, 64]
SMALL = [1, 2, 3, 4, 5, 6, 7, 8, 11, 13, 16]
LONG_ROWS = [1031, 1283, 2053, 1536, 4099]  # > 1024: a block per row

FAMILIES = [
    "eltwise_v4", "softmax", "dense", "movement", "eltwise_v2", "reduce",
    "conv", "pool", "eltwise_v1", "layer_norm", "matmul", "conv_pool",
    "loss", "batch_matmul", "conv_grouped", "half", "mixed", "eltwise_v4",
    "reduce", "half_gemm", "movement", "softmax", "conv_pool", "mixed",
    "half_gemm_chain",
]

UNARY = ["neg", "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "relu",
         "erf", "gelu", "gelu_tanh"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]


class Graph:
    """A model under construction; tracks shapes, dtypes, value ranges."""

    def __init__(self, rng, name):
        self.rng = rng
        self.name = name
        self.inputs, self.params, self.nodes = [], [], []
        self.shape, self.dtype = {}, {}
        self.positive = set()   # values known > 0 (bounded away from 0)
        self.bounded = set()    # values known to lie in [-4, 4]
        self.arrays = {}        # parameter and input values
        self.max_k = 1          # longest reduction / contraction
        self.compute = "f32"    # f16/bf16 when the graph computes in them
        self.count = 0

    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def chance(self, p):
        return self.rng.random() < p

    # -- leaves ------------------------------------------------------------
    def input(self, shape, dtype="f32", low=None, high=None):
        name = f"x{len(self.inputs)}"
        self.inputs.append({"name": name, "shape": list(shape), "dtype": dtype})
        self.shape[name], self.dtype[name] = list(shape), dtype
        if dtype in ("i32", "i64"):
            self.arrays[name] = self.rng.integers(low, high, size=shape).astype(
                np.int32 if dtype == "i32" else np.int64)
        else:
            self.arrays[name] = self.rng.normal(size=shape).astype(np.float32)
            self.bounded.add(name)
        return name

    def param(self, shape, kind="weight", fan_in=None):
        name = f"w{len(self.params)}"
        self.params.append({"name": name, "shape": list(shape),
                            "init": {"file": f"{name}.npy"}})
        self.shape[name], self.dtype[name] = list(shape), "f32"
        fan = fan_in or (math.prod(shape[1:]) if len(shape) > 1 else
                         shape[0] if shape else 1)
        v = self.rng.normal(0, 1 / math.sqrt(max(fan, 1)), size=shape)
        if kind == "scale":
            v = 1 + 0.1 * v
        elif kind == "positive":
            v = 0.5 + self.rng.random(size=shape)
            self.positive.add(name)
        self.arrays[name] = v.astype(np.float32)
        self.bounded.add(name)
        return name

    def node(self, op, inputs, out_shape, out_dtype=None, **attrs):
        name = f"n{self.count}_{op}"
        self.count += 1
        n = {"name": name, "op": op, "inputs": list(inputs)}
        if attrs:
            n["attributes"] = attrs
        self.nodes.append(n)
        self.shape[name] = list(out_shape)
        self.dtype[name] = out_dtype or self.dtype[inputs[0]]
        return name

    # -- elementwise ---------------------------------------------------------
    def squash(self, v):
        """tanh(v): bounded, so that chains stay finite."""
        out = self.node("tanh", [v], self.shape[v])
        self.bounded.add(out)
        return out

    def make_positive(self, v):
        """sigmoid(v) + c (c a broadcast parameter > 0): in (c, c + 1)."""
        s = self.node("sigmoid", [v], self.shape[v])
        c = self.broadcast_operand(self.shape[v], kind="positive")
        out = self.node("add", [s, c], self.shape[v])
        self.positive.add(out)
        self.bounded.add(out)
        return out

    def broadcast_shape(self, shape):
        """A shape that broadcasts to `shape`: leading dims dropped, some 1."""
        rank = len(shape)
        drop = int(self.rng.integers(0, rank + 1)) if rank else 0
        t = list(shape[drop:])
        for i in range(len(t)):
            if self.chance(0.4):
                t[i] = 1
        return t

    def broadcast_operand(self, shape, kind="weight"):
        """An input, parameter or constant that broadcasts to `shape`."""
        if self.compute != "f32":
            return self.cast(self.param(self.broadcast_shape(shape), kind),
                             self.compute)
        r = self.rng.random()
        if kind == "positive" or r < 0.45:
            return self.param(self.broadcast_shape(shape), kind)
        if r < 0.9:
            return self.input(self.broadcast_shape(shape))
        return self.node("constant", [], [], out_dtype="f32",
                         value=round(float(self.rng.uniform(0.25, 2)), 3))

    def cast(self, v, to):
        if self.dtype[v] == to:
            return v
        out = self.node("cast", [v], self.shape[v], out_dtype=to, to=to)
        for s in (self.positive, self.bounded):
            if v in s:
                s.add(out)
        return out

    def unary(self, v, op=None):
        op = op or self.choice(UNARY)
        shape = self.shape[v]
        if op in ("log", "sqrt", "rsqrt") and v not in self.positive:
            v = self.make_positive(v)
        if op == "exp" and v not in self.bounded:
            v = self.squash(v)
        if op == "gelu_tanh":
            out = self.node("gelu", [v], shape, approximate="tanh")
        elif op == "gelu":
            out = self.node("gelu", [v], shape, approximate="none")
        else:
            out = self.node(op, [v], shape)
        if op in ("tanh", "sigmoid", "erf"):
            self.bounded.add(out)
        if op in ("exp", "sqrt") or (op == "rsqrt" and v in self.bounded):
            self.positive.add(out)
        if op in ("exp", "relu", "gelu", "gelu_tanh", "neg") and v in self.bounded:
            self.bounded.add(out)  # exp of [-4, 4] is below 55: fine
        return out

    def binary(self, v, op=None):
        op = op or self.choice(BINARY)
        shape = self.shape[v]
        other = self.broadcast_operand(shape, "positive" if op in ("div", "pow")
                                       else "weight")
        if op == "div" and other not in self.positive:
            other = self.make_positive(other)
        if op == "pow":
            if v not in self.positive:
                v = self.make_positive(v)
            other = self.squash(other)  # exponent in (-1, 1)
        if not v in self.bounded and op in ("mul", "pow"):
            v = self.squash(v)
        args = [v, other] if self.chance(0.7) else [other, v]
        if op == "pow":
            args = [v, other]
        out = self.node(op, args, shape)
        if v in self.bounded and other in self.bounded and op != "div":
            self.bounded.add(out)
        if op in ("maximum",) and v in self.positive:
            self.positive.add(out)
        return out

    def select(self, v):
        other = self.broadcast_operand(self.shape[v])
        cond = self.node("compare", [v, other], self.shape[v], out_dtype="i1",
                         predicate=self.choice(["eq", "ne", "lt", "le", "gt",
                                                "ge"]))
        other2 = self.broadcast_operand(self.shape[v])
        out = self.node("where", [cond, v, other2], self.shape[v])
        if v in self.bounded:
            self.bounded.add(out)
        return out

    def chain(self, v, length):
        for _ in range(length):
            r = self.rng.random()
            if r < 0.45:
                v = self.unary(v)
            elif r < 0.9:
                v = self.binary(v)
            else:
                v = self.select(v)
        return v

    # -- reductions ------------------------------------------------------------
    def note_k(self, k):
        self.max_k = max(self.max_k, int(k))

    def softmax(self, v, axis=-1, log=False):
        self.note_k(self.shape[v][axis])
        if v not in self.bounded:
            v = self.squash(v)
        return self.node("log_softmax" if log else "softmax", [v],
                         self.shape[v], axis=axis)

    def layer_norm(self, v, axis=-1):
        shape = self.shape[v]
        a = axis % len(shape)
        norm = shape[a:]
        self.note_k(math.prod(norm))
        scale = self.param(norm, "scale")
        bias = self.param(norm, "weight")
        return self.node("layer_norm", [v, scale, bias], shape, axis=axis,
                         epsilon=1e-5)

    def reduce(self, v, op, axes, keepdims):
        shape = self.shape[v]
        axes_n = sorted({a % len(shape) for a in axes}) if axes else \
            list(range(len(shape)))
        self.note_k(math.prod(shape[a] for a in axes_n))
        out = [1 if i in axes_n else d for i, d in enumerate(shape)] \
            if keepdims else [d for i, d in enumerate(shape) if i not in axes_n]
        return self.node(op, [v], out, axes=list(axes), keepdims=keepdims)

    # -- contractions ------------------------------------------------------------
    def dense(self, v, n, bias=True):
        k = self.shape[v][-1]
        self.note_k(k)
        w = self.param([n, k])
        b = [self.param([n])] if bias else []
        if self.compute != "f32":
            w = self.cast(w, self.compute)
            b = [self.cast(x, self.compute) for x in b]
        return self.node("dense", [v, w] + b, self.shape[v][:-1] + [n])

    def conv(self, v, o, k, stride=1, pad=0, dil=1, groups=1, bias=True):
        n, c, h, w = self.shape[v]
        kh, kw = k if isinstance(k, list) else (k, k)
        sh, sw = stride if isinstance(stride, list) else (stride, stride)
        dh, dw = dil if isinstance(dil, list) else (dil, dil)
        pads = pad if isinstance(pad, list) and len(pad) == 4 else \
            ([pad] * 4 if not isinstance(pad, list) else [pad[0], pad[1]] * 2)
        oh = (h + pads[0] + pads[2] - dh * (kh - 1) - 1) // sh + 1
        ow = (w + pads[1] + pads[3] - dw * (kw - 1) - 1) // sw + 1
        assert oh >= 1 and ow >= 1, (h, w, k, stride, pad, dil)
        self.note_k(c // groups * kh * kw)
        wt = self.param([o, c // groups, kh, kw])
        args = [v, wt] + ([self.param([o])] if bias else [])
        if self.compute != "f32":
            args = [args[0]] + [self.cast(a, self.compute) for a in args[1:]]
        attrs = {"stride": [sh, sw], "padding": pads, "dilation": [dh, dw]}
        if groups != 1:
            attrs["groups"] = groups
        return self.node("conv2d", args, [n, o, oh, ow], **attrs)

    def pool(self, v, kind, k, stride=None, pad=0, dil=1, include_pad=False):
        n, c, h, w = self.shape[v]
        stride = stride or k
        eff = dil * (k - 1) + 1
        oh = (h + 2 * pad - eff) // stride + 1
        ow = (w + 2 * pad - eff) // stride + 1
        assert oh >= 1 and ow >= 1
        self.note_k(k * k)
        attrs = {"kernel_size": k, "stride": stride, "padding": pad}
        if kind == "max_pool2d":
            if dil != 1:
                attrs["dilation"] = dil
        elif include_pad:
            attrs["count_include_pad"] = True
        return self.node(kind, [v], [n, c, oh, ow], **attrs)

    def epilogue(self, v, max_len=3):
        for _ in range(int(self.rng.integers(0, max_len + 1))):
            r = self.rng.random()
            if r < 0.4:
                v = self.unary(v, self.choice(["relu", "gelu", "sigmoid",
                                               "tanh", "gelu_tanh", "neg"]))
            else:
                v = self.binary(v, self.choice(["add", "mul", "sub",
                                                "maximum"]))
        return v

    def model(self, outputs):
        return {"format": "dlc-model", "version": 1, "name": self.name,
                "inputs": self.inputs, "parameters": self.params,
                "nodes": self.nodes, "outputs": outputs}


# -- families --------------------------------------------------------------
def shape_with_last(g, last, rank=None):
    rank = rank or int(g.rng.integers(1, 5))
    return [g.choice(SMALL) for _ in range(rank - 1)] + [last]


def fam_eltwise(g, pool):
    x = g.input(shape_with_last(g, g.choice(pool)))
    return [g.chain(x, int(g.rng.integers(2, 7)))]


def fam_movement(g):
    rank = int(g.rng.integers(2, 5))
    shape = [g.choice(SMALL + ODD[:6]) for _ in range(rank)]
    v = g.chain(g.input(shape), int(g.rng.integers(0, 3)))
    for _ in range(int(g.rng.integers(1, 4))):
        s = g.shape[v]
        r = g.rng.random()
        if r < 0.2:
            perm = list(g.rng.permutation(len(s)))
            v = g.node("transpose", [v], [s[p] for p in perm],
                       perm=[int(p) for p in perm])
        elif r < 0.35 and len(s) >= 2:
            new = [s[0], -1] if g.chance(0.5) else [-1, s[-1]]
            out = [s[0], math.prod(s[1:])] if new[1] == -1 else \
                [math.prod(s[:-1]), s[-1]]
            v = g.node("reshape", [v], out, shape=new)
        elif r < 0.45 and len(s) >= 2:
            ax = int(g.rng.integers(0, len(s)))
            v = g.node("flatten", [v], [math.prod(s[:ax]), math.prod(s[ax:])],
                       axis=ax)
        elif r < 0.65:
            ax = int(g.rng.integers(0, len(s)))
            d = s[ax]
            st = int(g.rng.integers(0, d)) if d > 1 else 0
            en = int(g.rng.integers(st + 1, d + 1))
            step = g.choice([1, 1, 2, 3])
            out = list(s)
            out[ax] = len(range(st, en, step))
            v = g.node("slice", [v], out, starts=[st], ends=[en], axes=[ax],
                       steps=[step])
        elif r < 0.85:
            ax = int(g.rng.integers(0, len(s)))
            other_shape = list(s)
            other_shape[ax] = g.choice([1, 2, 3, 5])
            other = g.chain(g.input(other_shape), int(g.rng.integers(0, 2)))
            out = list(s)
            out[ax] += other_shape[ax]
            args = [v, other] if g.chance(0.5) else [other, v]
            v = g.node("concat", args, out, axis=ax)
        else:
            out = [g.choice([2, 3])] + list(s)
            v = g.node("broadcast", [v], out, shape=out)
        if g.chance(0.5):
            v = g.chain(v, 1)
    return [v]


def fam_softmax(g):
    long = g.chance(0.25)
    rank = int(g.rng.integers(1, 4)) if not long else int(g.rng.integers(1, 3))
    shape = [g.choice([1, 2, 3, 5, 7]) for _ in range(rank - 1)] + [
        g.choice(LONG_ROWS) if long else g.choice(ODD + EVEN2 + EVEN4)]
    v = g.chain(g.input(shape), int(g.rng.integers(0, 3)))
    axis = -1 if g.chance(0.7) or long else int(g.rng.integers(0, rank))
    v = g.softmax(v, axis, log=g.chance(0.4))
    return [g.epilogue(v, 2)]


def fam_layer_norm(g):
    long = g.chance(0.25)
    rank = int(g.rng.integers(2, 4))
    shape = [g.choice([1, 2, 3, 5, 7]) for _ in range(rank - 1)] + [
        g.choice(LONG_ROWS) if long else g.choice(ODD + EVEN2 + EVEN4)]
    v = g.chain(g.input(shape), int(g.rng.integers(0, 3)))
    axis = -1 if g.chance(0.7) or long else -2
    v = g.layer_norm(v, axis)
    return [g.epilogue(v, 2)]


def fam_reduce(g):
    long = g.chance(0.25)
    rank = int(g.rng.integers(1, 4))
    shape = [g.choice([1, 2, 3, 5, 7, 13]) for _ in range(rank - 1)] + [
        g.choice(LONG_ROWS) if long else g.choice(ODD + EVEN2 + EVEN4)]
    v = g.chain(g.input(shape), int(g.rng.integers(0, 3)))
    op = g.choice(["reduce_sum", "reduce_mean", "reduce_max"])
    r = g.rng.random()
    if r < 0.5 or rank == 1:
        axes = [-1]
    elif r < 0.7:
        axes = []
    elif r < 0.85:
        axes = [int(g.rng.integers(0, rank - 1))]  # a middle/outer axis
    else:
        axes = sorted(set(int(a) for a in g.rng.integers(0, rank, size=2)))
    v = g.reduce(v, op, axes, g.chance(0.4))
    return [g.epilogue(v, 2)]


def fam_loss(g):
    n, c = g.choice([1, 3, 5, 8, 13]), g.choice([2, 7, 10, 33, 1031])
    if g.chance(0.6):
        logits = g.chain(g.input([n, c]), int(g.rng.integers(0, 2)))
        if logits not in g.bounded:
            logits = g.squash(logits)
        labels = g.input([n], g.choice(["i32", "i64"]), 0, c)
        g.note_k(c)
        return [g.node("softmax_cross_entropy", [logits, labels], [])]
    shape = shape_with_last(g, g.choice(ODD + EVEN4))
    a = g.chain(g.input(shape), int(g.rng.integers(0, 3)))
    b = g.input(shape)
    g.note_k(math.prod(shape))
    return [g.node("mse_loss", [a, b], [])]


def fam_dense(g):
    k = g.choice(ODD[1:] + EVEN4 + [127, 257])
    x = g.input(shape_with_last(g, k, int(g.rng.integers(2, 4))))
    v = g.dense(x, g.choice(ODD[1:] + EVEN2 + EVEN4), bias=g.chance(0.7))
    return [g.epilogue(v)]


def fam_matmul(g):
    m, k, n = (g.choice(ODD + EVEN4 + [67]) for _ in range(3))
    batch = [g.choice([2, 3])] if g.chance(0.4) else []
    a = g.input(batch + [m, k])
    b = g.param(batch + [k, n]) if g.chance(0.5) else g.input(batch + [k, n])
    g.note_k(k)
    v = g.node("matmul", [a, b], batch + [m, n])
    return [g.epilogue(v)]


def fam_batch_matmul(g):
    bs, m, k, n = g.choice([1, 2, 3, 5]), *(g.choice(ODD + EVEN4) for _ in
                                             range(3))
    a = g.chain(g.input([bs, m, k]), int(g.rng.integers(0, 2)))
    b = g.input([bs, k, n])
    g.note_k(k)
    v = g.node("batch_matmul", [a, b], [bs, m, n])
    if g.chance(0.3):
        v = g.softmax(v)
    return [g.epilogue(v)]


def conv_input(g, min_hw=3):
    n, c = g.choice([1, 2, 3]), g.choice([1, 2, 3, 4, 6])
    h, w = g.choice([min_hw, 5, 7, 8, 11, 13]), g.choice([min_hw, 5, 6, 9, 13])
    return g.input([n, c, h, w])


def random_conv(g, x, groups=1):
    k = g.choice([1, 2, 3, 3, 5, [3, 1], [1, 3]])
    kh, kw = k if isinstance(k, list) else (k, k)
    h, w = g.shape[x][2:]
    for _ in range(20):
        stride = g.choice([1, 1, 2, 3, [1, 2]])
        dil = g.choice([1, 1, 2])
        pad = g.choice([0, 0, 1, 2, [1, 0], [0, 1, 1, 0]])
        pads = pad if isinstance(pad, list) and len(pad) == 4 else \
            ([pad] * 4 if not isinstance(pad, list) else [pad[0], pad[1]] * 2)
        if h + pads[0] + pads[2] >= dil * (kh - 1) + 1 and \
                w + pads[1] + pads[3] >= dil * (kw - 1) + 1:
            break
    else:
        stride, dil, pad = 1, 1, max(kh, kw)
    c = g.shape[x][1]
    o = groups * g.choice([1, 2, 3, 5]) if groups > 1 else \
        g.choice([1, 3, 4, 8, 13])
    return g.conv(x, o, k, stride, pad, dil, groups, bias=g.chance(0.7))


def fam_conv(g):
    x = conv_input(g)
    v = random_conv(g, x)
    return [g.epilogue(v)]


def depthwise_conv(g, x):
    """groups == C == O: a direct kernel (fwd, dgrad, wgrad), not a GEMM."""
    c = g.shape[x][1]
    side = min(g.shape[x][2:])
    k = g.choice([3, [3, 1]] if side < 5 else [3, [3, 1], 5])
    # Dilation 2 only where the dilated window fits unpadded.
    span = 2 * ((k if isinstance(k, int) else max(k)) - 1) + 1
    return g.conv(x, c, k, stride=g.choice([1, 2]),
                  pad=g.choice([0, 1, [1, 0, 0, 2]]),
                  dil=g.choice([1, 2]) if span <= side else 1, groups=c,
                  bias=g.chance(0.7))


def fam_conv_grouped(g):
    """A grouped conv (the group is the GEMM's batch) or, one time in three,
    a depthwise one."""
    groups = g.choice([2, 3])
    n = g.choice([1, 2])
    x = g.input([n, groups * g.choice([1, 2]), g.choice([5, 7, 8]),
                 g.choice([5, 6, 9])])
    v = depthwise_conv(g, x) if g.chance(0.33) else \
        random_conv(g, x, groups)
    return [g.epilogue(v)]


def random_pool(g, v):
    h, w = g.shape[v][2:]
    kind = g.choice(["max_pool2d", "avg_pool2d"])
    for _ in range(20):
        k = g.choice([2, 2, 3])
        stride = g.choice([None, 1, 2])
        pad = g.choice([0, 0, 1]) if k >= 2 else 0
        pad = min(pad, k // 2)
        dil = g.choice([1, 1, 2]) if kind == "max_pool2d" else 1
        eff = dil * (k - 1) + 1
        if h + 2 * pad >= eff and w + 2 * pad >= eff:
            return g.pool(v, kind, k, stride, pad, dil, g.chance(0.5))
    return g.pool(v, "max_pool2d", 1)


def fam_conv_pool(g):
    x = conv_input(g, min_hw=5)
    v = g.conv(x, g.choice([2, 3, 5, 8]), g.choice([1, 3]),
               pad=g.choice([0, 1]), bias=g.chance(0.7))
    v = g.epilogue(v, 2)
    return [random_pool(g, v)]


def fam_pool(g):
    x = conv_input(g, min_hw=4)
    v = g.chain(x, int(g.rng.integers(0, 2)))
    v = random_pool(g, v)
    return [g.epilogue(v, 1)]


def fam_half(g):
    g.compute = g.choice(["f16", "bf16"])
    kind = g.choice(["eltwise", "dense", "softmax"])
    if kind == "dense":
        x = g.input(shape_with_last(g, g.choice([8, 16, 24, 13]), 2))
        v = g.cast(x, g.compute)
        v = g.dense(v, g.choice([8, 16, 6, 5]))
    else:
        x = g.input(shape_with_last(g, g.choice(EVEN4 + ODD)))
        v = g.cast(g.squash(x), g.compute)
        v = g.chain(v, int(g.rng.integers(1, 4)))
        if kind == "softmax":
            v = g.softmax(v)
    return [g.cast(v, "f32")]


def fam_half_gemm(g):
    g.compute = g.choice(["f16", "bf16"])
    kind = g.choice(["dense", "matmul", "batch_matmul", "conv"])
    if kind == "dense":
        x = g.input(shape_with_last(g, g.choice([45, 13, 32, 67]),
                                    int(g.rng.integers(2, 4))))
        v = g.dense(g.cast(x, g.compute), g.choice([19, 8, 33, 5]),
                    bias=g.chance(0.7))
    elif kind == "conv":
        # Plain, grouped (the GEMM's batch) or depthwise.
        x = conv_input(g)
        c = g.shape[x][1]
        groups = g.choice([1, 1, 2, c]) if c % 2 == 0 else 1
        x = g.cast(x, g.compute)
        v = depthwise_conv(g, x) if groups == c and c > 1 else \
            random_conv(g, x, groups)
    else:
        m, k, n = (g.choice([37, 5, 16, 67]), g.choice([45, 13, 32]),
                   g.choice([19, 8, 33]))
        batch = [g.choice([2, 3])] if kind == "batch_matmul" or \
            g.chance(0.3) else []
        a = g.cast(g.input(batch + [m, k]), g.compute)
        b = g.param(batch + [k, n]) if g.chance(0.5) else \
            g.input(batch + [k, n])
        g.note_k(k)
        v = g.node("batch_matmul" if kind == "batch_matmul" else "matmul",
                   [a, g.cast(b, g.compute)], batch + [m, n])
    return [g.cast(g.epilogue(v), "f32")]


def fam_half_gemm_chain(g):
    g.compute = g.choice(["f16", "bf16"])
    m, k1 = g.choice([37, 16, 67, 8]), g.choice([24, 45, 32])
    x = g.cast(g.input([m, k1]), g.compute)
    outs = []
    # A is a GEMM's output in memory: rows 16-byte aligned (cp.async), then
    # not (vector loads into registers).
    for n1 in (g.choice([16, 40, 64]), g.choice([19, 45])):
        h = g.dense(x, n1, bias=g.chance(0.5))
        outs.append(g.dense(h, g.choice([24, 33, 8, 19]), bias=g.chance(0.5)))
    # A gathered element by element: a conv's im2col.
    outs.append(g.conv(g.cast(conv_input(g), g.compute), g.choice([5, 8]), 3,
                       pad=1))
    return [g.cast(g.epilogue(v, max_len=1), "f32") for v in outs]


def fam_mixed(g):
    r = g.rng.random()
    if r < 0.35:  # MLP
        v = g.input([g.choice([1, 3, 8]), g.choice([13, 16, 31])])
        for _ in range(int(g.rng.integers(1, 3))):
            v = g.unary(g.dense(v, g.choice([7, 16, 20])), "relu")
        v = g.dense(v, g.choice([3, 10]))
        return [g.softmax(v, log=g.chance(0.5))]
    if r < 0.7:  # CNN
        v = conv_input(g, min_hw=6)
        v = g.unary(g.conv(v, g.choice([4, 6]), 3, pad=1), "relu")
        v = g.pool(v, "max_pool2d", 2)
        shape = g.shape[v]
        v = g.node("flatten", [v], [shape[0], math.prod(shape[1:])])
        v = g.dense(v, g.choice([5, 10]))
        return [g.softmax(v)]
    # attention-like
    t, d = g.choice([3, 5, 8]), g.choice([8, 12, 16])
    x = g.input([t, d])
    h = g.layer_norm(x)
    q, k = g.dense(h, d), g.dense(h, d)
    kt = g.node("transpose", [k], [d, t], perm=[1, 0])
    s = g.node("matmul", [q, kt], [t, t])
    g.note_k(d)
    p = g.softmax(s)
    o = g.node("matmul", [p, h], [t, d])
    return [g.node("add", [o, x], [t, d])]


GENERATORS = {
    "eltwise_v4": lambda g: fam_eltwise(g, EVEN4),
    "eltwise_v2": lambda g: fam_eltwise(g, EVEN2),
    "eltwise_v1": lambda g: fam_eltwise(g, ODD),
    "movement": fam_movement, "softmax": fam_softmax,
    "layer_norm": fam_layer_norm, "reduce": fam_reduce, "loss": fam_loss,
    "dense": fam_dense, "matmul": fam_matmul,
    "batch_matmul": fam_batch_matmul, "conv": fam_conv,
    "conv_grouped": fam_conv_grouped, "conv_pool": fam_conv_pool,
    "pool": fam_pool, "half": fam_half, "half_gemm": fam_half_gemm,
    "half_gemm_chain": fam_half_gemm_chain,
    "mixed": fam_mixed,
}


def generate(seed, index, family=None):
    family = family or FAMILIES[index % len(FAMILIES)]
    rng = np.random.default_rng([seed, index])
    g = Graph(rng, f"g{index}_{family}")
    outputs = GENERATORS[family](g)
    return family, g, g.model(outputs)


def tolerance(g):
    s = max(1.0, math.sqrt(g.max_k / 64))
    if g.compute == "f16":
        return 2e-2 * s, 2e-2 * s
    if g.compute == "bf16":
        return 6e-2 * s, 6e-2 * s
    return 1e-4 * s, 1e-5 * s


# -- running ------------------------------------------------------------------
def sh(args, cwd, log):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    with open(log, "a") as f:
        f.write("$ " + " ".join(shlex.quote(a) for a in args) + "\n")
        f.write(r.stdout[-4000:] + r.stderr[-4000:] + f"[exit {r.returncode}]\n")
    return r


def run_dlc(dlc, workdir, g, model, device_args, tag, log):
    args = [dlc, "run", "model.json"] + device_args
    for inp in g.inputs:
        args.append(f"--input={inp['name']}=in_{inp['name']}.npy")
    outdir = os.path.join(workdir, f"out_{tag}")
    os.makedirs(outdir, exist_ok=True)
    args += ["-o", outdir + "/"]
    r = sh(args, workdir, log)
    if r.returncode != 0:
        return None, f"dlc run {' '.join(device_args)} exited {r.returncode}: " \
            + (r.stderr.strip().splitlines() or ["(no message)"])[-1]
    return {o: np.load(os.path.join(outdir, f"{o}.npy")) for o in
            model["outputs"]}, None


STRATEGY_RE = re.compile(r'dlc\.fusion (\w+) "([^"]*)"')
SCHEDULE_RE = re.compile(r"schedule = \{([^}]*)\}")


def variants(ir):
    """The schedule variants in `--dump-ir=dlc-tile` output."""
    found = []
    for kind, body in zip(STRATEGY_RE.findall(ir), SCHEDULE_RE.findall(ir)):
        kind = kind[0]
        found.append(f"fusion {kind}")
        strat = re.search(r'strategy = "(\w+)"', body).group(1)
        vw = int(re.search(r"vector_width = (\d+)", body).group(1))
        if strat == "pointwise":
            found.append(f"pointwise vw={vw}")
        elif strat == "row_reduce":
            tpr = int(re.search(r"threads_per_row = (\d+)", body).group(1))
            found.append("row_reduce warp" if tpr == 32 else "row_reduce block")
        elif strat == "tiled_gemm":
            found.append("tiled_gemm")
            mma = re.search(r'mma = "(\w+)"', body)
            if mma and mma.group(1) != "none":
                found.append(f"tiled_gemm {mma.group(1)}")
        elif strat == "direct_pool":
            found.append("direct_pool after contraction" if kind ==
                         "contraction" else "direct_pool lone pool")
        else:
            found.append(strat)
    # How the tensor-core mainloop reads each operand (the emitted comment).
    for paths in re.findall(r"-stage pipeline, A: ([\w.]+), \S+ B: ([\w.]+),",
                            ir):
        found += [f"mma operand {p}" for p in paths]
    return found


def run_one(args, index, root):
    try:
        return check_one(args, index, root)
    except Exception as e:  # a generator bug: report it, go on
        import traceback
        where = traceback.extract_tb(e.__traceback__)[-1]
        return index, "?", [], False, \
            f"exception: {type(e).__name__}: {e} (line {where.lineno})"


def check_one(args, index, root):
    family, g, model = generate(args.seed, index, args.only)
    workdir = os.path.join(root, f"g{index}")
    os.makedirs(workdir, exist_ok=True)
    log = os.path.join(workdir, "log.txt")
    with open(os.path.join(workdir, "model.json"), "w") as f:
        json.dump(model, f, indent=1)
    for name, arr in g.arrays.items():
        prefix = "" if name.startswith("w") else "in_"
        np.save(os.path.join(workdir, f"{prefix}{name}.npy"), arr)
    found = []
    if args.require_coverage:
        for target in ("sm_80", "sm_90"):
            r = sh([args.dlc, "model.json", "--compile-to=cuda",
                    "--dump-ir=dlc-tile", "--target=" + target, "-o",
                    "cuda_" + target], workdir, log)
            if r.returncode != 0:
                return index, family, found, False, \
                    f"compile for {target} exited {r.returncode}: " + \
                    (r.stderr.strip().splitlines() or [""])[-1]
        with open(os.path.join(workdir, "cuda_sm_90", "kernels.cu")) as f:
            found = variants(r.stdout + r.stderr + f.read())
    want, err = run_dlc(args.dlc, workdir, g, model,
                        ["--device=reference", "--precision=f64"], "ref", log)
    if err:
        return index, family, found, False, "reference: " + err
    for name, w in want.items():
        if not np.all(np.isfinite(w)):
            return index, family, found, False, \
                f"generator bug: reference output {name} is not finite"
    dev = ["--device=" + args.device]
    if args.device == "reference":
        dev.append("--precision=f32")
    got, err = run_dlc(args.dlc, workdir, g, model, dev, args.device, log)
    if err:
        return index, family, found, False, err
    rtol, atol = tolerance(g)
    for name in model["outputs"]:
        w = want[name].astype(np.float64)
        h = got[name].astype(np.float64)
        if h.shape != w.shape:
            return index, family, found, False, \
                f"output {name}: shape {list(h.shape)}, want {list(w.shape)}"
        bad = ~(np.abs(h - w) <= atol + rtol * np.abs(w))
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            return index, family, found, False, (
                f"output {name}: {int(bad.sum())} of {w.size} elements differ "
                f"(first at {list(first)}: got {h[first]!r}, want "
                f"{w[first]!r}; rtol {rtol:.2g} atol {atol:.2g})")
    return index, family, found, True, \
        f"{len(model['nodes'])} nodes, max K {g.max_k}"


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dlc", required=True, help="the dlc binary")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--start", type=int, default=0, help="first graph index")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cpu",
                    help="device under test: cpu (default), cuda, or "
                         "reference (f32 interpreter; checks the generator)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", help="write the graphs here and keep them")
    ap.add_argument("--only", choices=sorted(GENERATORS),
                    help="generate only this family")
    ap.add_argument("--require-coverage", action="store_true",
                    help="compile each graph, count schedule variants, fail "
                         "if one in REQUIRED_VARIANTS is missed")
    args = ap.parse_args()
    args.dlc = os.path.abspath(args.dlc) if os.sep in args.dlc else args.dlc

    start = time.time()
    if args.keep:
        root = os.path.abspath(args.keep)
        os.makedirs(root, exist_ok=True)
    else:
        root = tempfile.mkdtemp(prefix="dlc-differential-")
    results = []
    indices = range(args.start, args.start + args.count)
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futures = [ex.submit(run_one, args, i, root) for i in indices]
        for fut in futures:
            try:
                idx, family, found, ok, msg = fut.result()
            except Exception as e:  # a generator bug: report, go on
                idx, family, found, ok = -1, "?", [], False
                msg = f"exception: {type(e).__name__}: {e}"
            results.append((idx, family, found, ok))
            print(f"{'PASS' if ok else 'FAIL'}: g{idx} {family}: {msg}",
                  flush=True)

    passed = sum(ok for *_, ok in results)
    print(f"\nsummary: {passed} of {len(results)} graphs pass "
          f"(device {args.device}, seed {args.seed}, graphs "
          f"{args.start}..{args.start + args.count - 1}, "
          f"{time.time() - start:.0f} s)")
    fams = {}
    for _, family, _, ok in results:
        p, t = fams.get(family, (0, 0))
        fams[family] = (p + ok, t + 1)
    print("by family: " + ", ".join(f"{f} {p}/{t}" for f, (p, t) in
                                   sorted(fams.items())))
    failed = passed != len(results)
    if args.require_coverage:
        counts = {}
        for _, _, found, ok in results:
            for v in set(found):
                p, t = counts.get(v, (0, 0))
                counts[v] = (p + ok, t + 1)
        print("coverage (graphs passing / graphs with the variant):")
        for v in sorted(set(counts) | set(REQUIRED_VARIANTS)):
            p, t = counts.get(v, (0, 0))
            print(f"  {v}: {p}/{t}")
        missing = [v for v in REQUIRED_VARIANTS if v not in counts]
        if missing:
            print("coverage: MISSING " + ", ".join(missing))
            failed = True
        else:
            print("coverage: every required variant hit")
    if not args.keep and not failed:
        shutil.rmtree(root, ignore_errors=True)
    elif not args.keep:
        print(f"graphs kept in {root}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
