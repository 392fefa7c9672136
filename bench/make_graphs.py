#!/usr/bin/env python3
"""Writes the benchmark graphs (docs/bench.md) as dlc JSON models under
bench/graphs/, plus bench/graphs/index.json: per graph its kind
(memory-bound or compute-bound), the bytes and FLOPs one run must move and
do at least (the figures the table divides by), and the ceiling it is
compared with. Plain Python, no dependencies.

    python3 bench/make_graphs.py            # full sizes (the benchmark)
    python3 bench/make_graphs.py --small    # tiny sizes, same graphs (CPU checks)
                    [--out DIR]             # default bench/graphs (small: bench/graphs-small)
"""
import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DSIZE = {"f16": 2, "bf16": 2, "f32": 4, "f64": 8, "i1": 1, "i32": 4, "i64": 8}


def model(name, inputs, params, nodes, outputs, training=None):
    m = {"format": "dlc-model", "version": 1, "name": name, "seed": 7,
         "inputs": inputs, "parameters": params, "nodes": nodes,
         "outputs": outputs}
    if training:
        m["training"] = training
    return m


def tensor(name, shape, dtype="f32"):
    return {"name": name, "shape": list(shape), "dtype": dtype}


def param(name, shape, dtype="f32", scheme="normal", **kw):
    init = {"scheme": scheme}
    if scheme == "normal":
        init["std"] = kw.get("std", 0.02)
    return {"name": name, "shape": list(shape), "dtype": dtype, "init": init}


def node(name, op, inputs=(), **attrs):
    n = {"name": name, "op": op, "inputs": list(inputs)}
    if attrs:
        n["attributes"] = attrs
    return n


def nbytes(shape, dtype):
    return math.prod(shape) * DSIZE[dtype]


def graphs(small):
    """Yields (name, model, meta)."""
    # --- memory-bound fusions: >= 64 MB tensors at full size -----------------
    r, c = (64, 96) if small else (4096, 4096)  # 16 Mi f32 = 64 MiB a tensor
    s = [r, c]
    yield ("ew_chain", model(
        "ew_chain", [tensor("x", s), tensor("y", s)], [],
        [node("xy", "mul", ["x", "y"]),
         node("xy_x", "add", ["xy", "x"]),
         node("t", "tanh", ["xy_x"]),
         node("ty", "mul", ["t", "y"]),
         node("z", "sub", ["ty", "x"])],
        ["z"]), {"kind": "memory", "bytes": 3 * nbytes(s, "f32"),
                 "note": "z = tanh(x*y + x)*y - x: 5 ops, one pass"})

    rows, cols = (64, 96) if small else (8192, 4096)  # 128 MiB f32
    s = [rows, cols]
    yield ("bias_gelu", model(
        "bias_gelu", [tensor("x", s)], [param("b", [cols])],
        [node("xb", "add", ["x", "b"]), node("y", "gelu", ["xb"])], ["y"]),
        {"kind": "memory", "bytes": 2 * nbytes(s, "f32") + nbytes([cols], "f32"),
         "note": "gelu(x + b), erf form"})

    yield ("bias_gelu_bf16", model(
        "bias_gelu_bf16", [tensor("x", s, "bf16")], [param("b", [cols], "bf16")],
        [node("xb", "add", ["x", "b"]), node("y", "gelu", ["xb"])], ["y"]),
        {"kind": "memory", "bytes": 2 * nbytes(s, "bf16") + nbytes([cols], "bf16"),
         "note": "gelu(x + b) in bf16"})

    yield ("softmax_rows", model(
        "softmax_rows", [tensor("x", s)], [],
        [node("y", "softmax", ["x"], axis=-1)], ["y"]),
        {"kind": "memory", "bytes": 2 * nbytes(s, "f32"),
         "note": f"softmax over the last axis of [{rows}, {cols}]"})

    yield ("layer_norm_rows", model(
        "layer_norm_rows", [tensor("x", s)],
        [param("g", [cols], scheme="ones"), param("b", [cols], scheme="zeros")],
        [node("y", "layer_norm", ["x", "g", "b"], epsilon=1e-5)], ["y"]),
        {"kind": "memory", "bytes": 2 * nbytes(s, "f32") + 2 * nbytes([cols], "f32"),
         "note": f"layer_norm over the last axis of [{rows}, {cols}]"})

    # --- bf16 GEMM with a bias + GELU epilogue ------------------------------
    for n in ([32, 48] if small else [1024, 2048, 4096, 8192]):
        name = f"gemm_bf16_{n}" if not small else f"gemm_bf16_{n}"
        yield (name, model(
            name, [tensor("x", [n, n], "bf16")],
            [param("w", [n, n], "bf16"), param("b", [n], "bf16")],
            [node("xw", "dense", ["x", "w", "b"]),
             node("y", "gelu", ["xw"])], ["y"]),
            {"kind": "compute", "flops": 2 * n ** 3, "mnk": [n, n, n],
             "bytes": 3 * nbytes([n, n], "bf16"),
             "note": f"gelu(x @ w^T + b), {n}^3 bf16, f32 accumulation"})

    # --- the seed CNN (examples/seed_cnn.json) at batch 256 -----------------
    b = 4 if small else 256
    yield ("cnn_conv1", model(
        "cnn_conv1", [tensor("x", [b, 1, 28, 28])],
        [param("w", [32, 1, 3, 3], scheme="he_normal"), param("bias", [32], scheme="zeros")],
        [node("conv1", "conv2d", ["x", "w", "bias"], stride=[1, 1], padding=0),
         node("relu1", "relu", ["conv1"])], ["relu1"]),
        {"kind": "compute", "flops": 2 * b * 32 * 26 * 26 * 9,
         "bytes": nbytes([b, 1, 28, 28], "f32") + nbytes([b, 32, 26, 26], "f32"),
         "note": "seed CNN conv1+relu: [b,1,28,28] * [32,1,3,3]"})
    yield ("cnn_conv2", model(
        "cnn_conv2", [tensor("x", [b, 32, 13, 13])],
        [param("w", [64, 32, 3, 3], scheme="he_normal"), param("bias", [64], scheme="zeros")],
        [node("conv2", "conv2d", ["x", "w", "bias"], stride=[1, 1], padding=0),
         node("relu2", "relu", ["conv2"])], ["relu2"]),
        {"kind": "compute", "flops": 2 * b * 64 * 11 * 11 * 32 * 9,
         "bytes": nbytes([b, 32, 13, 13], "f32") + nbytes([b, 64, 11, 11], "f32"),
         "note": "seed CNN conv2+relu: [b,32,13,13] * [64,32,3,3]"})

    with open(os.path.join(HERE, "..", "examples", "seed_cnn.json")) as f:
        cnn = json.load(f)
    cnn["name"] = "seed_cnn_fwd"
    for t in cnn["inputs"]:
        t["shape"][0] = b
    cnn["nodes"] = [n for n in cnn["nodes"] if n["op"] != "softmax_cross_entropy"]
    cnn["inputs"] = [t for t in cnn["inputs"] if t["name"] != "labels"]
    cnn.pop("training", None)
    fwd_flops = 2 * b * (32 * 26 * 26 * 9 + 64 * 11 * 11 * 32 * 9 + 10 * 1600)
    yield ("seed_cnn_fwd", cnn, {
        "kind": "compute", "flops": fwd_flops,
        "note": "seed CNN forward (conv-relu-pool x2, dense, softmax)"})

    # --- the seed CNN train step at batch 256: forward, backward, Adam -------
    with open(os.path.join(HERE, "..", "examples", "seed_cnn.json")) as f:
        train = json.load(f)
    train["name"] = "seed_cnn_train"
    for t in train["inputs"]:
        t["shape"][0] = b
    yield ("seed_cnn_train", train, {
        "kind": "compute", "flops": 3 * fwd_flops, "train": "step",
        "dlc_flags": ["--train-step"],
        "note": "seed CNN train step: forward, backward, Adam update of every "
                "param (dlc --train-step; torch: loss.backward(), "
                "torch.optim.Adam.step()); FLOPs counted as 3x the forward"})

    # --- the Adam update alone: ~100M f32 params at full size ---------------
    shapes = ([[64, 48], [64], [32, 16], [32]] if small
              else [[4096, 3072], [4096]] * 8)
    numel = sum(math.prod(sh) for sh in shapes)
    yield ("adam_update", adam_mlir(shapes), {
        "kind": "memory", "bytes": 7 * 4 * numel, "train": "adam",
        "params": shapes,
        "note": f"Adam over {len(shapes)} f32 params, {numel} values: read "
                "param, grad, m, v; write param, m, v (torch: "
                "torch.optim.Adam, foreach and fused)"})

    # --- transformer block forward: d=1024, seq 1024, batch 8, bf16 ----------
    B, S, D, H = (2, 16, 64, 4) if small else (8, 1024, 1024, 16)
    block_flops = 2 * B * S * (4 * D * D + 2 * D * 4 * D) + 4 * B * S * S * D
    yield ("transformer_block", transformer(B, S, D, H), {
        "kind": "compute", "flops": block_flops,
        "note": f"pre-norm block, batch {B}, seq {S}, d {D}, {H} heads, MLP 4d, bf16"})

    # --- and its forward + backward: the gradients of an MSE loss -----------
    tb = transformer(B, S, D, H)
    tb["name"] = "transformer_block_train"
    tb["inputs"].append(tensor("target", [B, S, D], "bf16"))
    tb["nodes"].append(node("loss", "mse_loss", ["y", "target"]))
    tb["training"] = {"loss": "loss", "optimizer": {"name": "adam", "lr": 1e-3}}
    yield ("transformer_block_train", tb, {
        "kind": "compute", "flops": 3 * block_flops, "train": "grads",
        "dlc_flags": ["--train-step", "--gradients-only"],
        "note": f"the block's forward + backward (loss = mse(y, target); every "
                f"param's gradient), bf16; FLOPs counted as 3x the forward"})


def transformer(B, S, D, H, dt="bf16"):
    hd = D // H
    p = [param("ln1.scale", [D], dt, "ones"), param("ln1.bias", [D], dt, "zeros")]
    for w in "qkvo":
        p += [param(f"attn.w{w}", [D, D], dt), param(f"attn.b{w}", [D], dt, "zeros")]
    p += [param("ln2.scale", [D], dt, "ones"), param("ln2.bias", [D], dt, "zeros"),
          param("mlp.w1", [4 * D, D], dt), param("mlp.b1", [4 * D], dt, "zeros"),
          param("mlp.w2", [D, 4 * D], dt), param("mlp.b2", [D], dt, "zeros")]
    n = [node("ln1", "layer_norm", ["x", "ln1.scale", "ln1.bias"], epsilon=1e-5)]
    for w in "qkv":
        n.append(node(w, "dense", ["ln1", f"attn.w{w}", f"attn.b{w}"]))
        n.append(node(f"{w}_heads", "reshape", [w], shape=[-1, S, H, hd]))
    n += [node("q_t", "transpose", ["q_heads"], perm=[0, 2, 1, 3]),
          node("k_t", "transpose", ["k_heads"], perm=[0, 2, 3, 1]),
          node("v_t", "transpose", ["v_heads"], perm=[0, 2, 1, 3]),
          node("scores", "matmul", ["q_t", "k_t"]),
          node("scale", "constant", value=1.0 / math.sqrt(hd), dtype=dt),
          node("scaled", "mul", ["scores", "scale"]),
          node("attn", "softmax", ["scaled"], axis=-1),
          node("context", "matmul", ["attn", "v_t"]),
          node("context_t", "transpose", ["context"], perm=[0, 2, 1, 3]),
          node("context_flat", "reshape", ["context_t"], shape=[-1, S, D]),
          node("attn_out", "dense", ["context_flat", "attn.wo", "attn.bo"]),
          node("res1", "add", ["x", "attn_out"]),
          node("ln2", "layer_norm", ["res1", "ln2.scale", "ln2.bias"], epsilon=1e-5),
          node("h", "dense", ["ln2", "mlp.w1", "mlp.b1"]),
          node("h_act", "gelu", ["h"]),
          node("mlp_out", "dense", ["h_act", "mlp.w2", "mlp.b2"]),
          node("y", "add", ["res1", "mlp_out"])]
    return model("transformer_block", [tensor("x", [B, S, D], dt)], p, n, ["y"])


PENDING = {}


def adam_mlir(shapes, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """The Adam update of params of these shapes (f32) as a dlc .mlir module:
    one dlc.adam_update per param, the step's argument and result names of
    passes/TrainingStep.h. (The JSON format has no update ops: they are built
    for training, so this graph is written in the dialect.)"""
    args, body, results, rtypes = [], [], [], []
    arg = lambda t, attr: args.append(f"%a{len(args)}: {t} {{{attr}}}") or f"%a{len(args) - 1}"
    step = arg("tensor<f32>", 'dlc.input = "opt.step"')
    rate = arg("tensor<f32>", 'dlc.input = "opt.lr"')
    for i, shape in enumerate(shapes):
        t = "tensor<" + "x".join(map(str, shape)) + "xf32>"
        name = f"p{i}"
        p = arg(t, f'dlc.param = "{name}"')
        g = arg(t, f'dlc.input = "grad:{name}"')
        m = arg(t, f'dlc.input = "state/exp_avg/{name}"')
        v = arg(t, f'dlc.input = "state/exp_avg_sq/{name}"')
        body.append(f'    %u{i}:3 = dlc.adam_update {p}, {g}, {m}, {v}, {step}, {rate} '
                    f'{{beta1 = {b1:.17e} : f64, beta2 = {b2:.17e} : f64, eps = {eps:.17e} : f64, '
                    f'weight_decay = 0.0 : f64}} : ({t}, {t}, {t}, {t}, tensor<f32>, tensor<f32>) '
                    f'-> ({t}, {t}, {t})')
        for j, what in enumerate(["param", "state/exp_avg", "state/exp_avg_sq"]):
            results.append(f"%u{i}#{j}")
            rtypes.append(f'{t} {{dlc.output = "new/{what}/{name}"}}')
    return ('module attributes {dlc.model = "adam_update"} {\n'
            f'  func.func @forward({", ".join(args)}) -> ({", ".join(rtypes)}) {{\n'
            + "\n".join(body) + "\n"
            f'    return {", ".join(results)} : {", ".join(r.split(" {")[0] for r in rtypes)}\n'
            "  }\n}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    out = a.out or os.path.join(HERE, "graphs-small" if a.small else "graphs")
    os.makedirs(out, exist_ok=True)
    index = {"graphs": [], "pending": PENDING}
    for name, m, meta in graphs(a.small):
        # A model as JSON, or as dlc MLIR text (a str) where JSON cannot say it.
        file = name + (".mlir" if isinstance(m, str) else ".json")
        with open(os.path.join(out, file), "w") as f:
            if isinstance(m, str):
                f.write(m)
            else:
                json.dump(m, f, indent=1)
                f.write("\n")
        index["graphs"].append(dict(name=name, file=file, **meta))
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"wrote {len(index['graphs'])} graphs to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
