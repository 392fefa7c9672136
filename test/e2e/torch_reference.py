"""Runs a dlc JSON model in PyTorch: an oracle written independently of the
C++ interpreter, straight from docs/model-format.md, on torch.nn.functional.
"""
import math

import torch
import torch.nn.functional as F

DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32,
          "f64": torch.float64, "i1": torch.bool, "i32": torch.int32,
          "i64": torch.int64}


def _pair(v, default):
    if v is None:
        return list(default)
    return [v, v] if isinstance(v, int) else list(v)


def _pads(v):
    """padding: int, [h, w] or [top, left, bottom, right] -> 4 entries."""
    if v is None:
        return [0, 0, 0, 0]
    if isinstance(v, int):
        return [v] * 4
    return list(v) * 2 if len(v) == 2 else list(v)


def _pad_nchw(x, p, value):
    top, left, bottom, right = p
    return F.pad(x, (left, right, top, bottom), value=value)


def _axes(a, rank):
    axes = a.get("axes", [])
    return list(range(rank)) if not axes else [d % rank for d in axes]


def _conv2d(args, a):
    x, w = args[0], args[1]
    b = args[2] if len(args) > 2 else None
    x = _pad_nchw(x, _pads(a.get("padding")), 0.0)
    return F.conv2d(x, w, b, stride=_pair(a.get("stride"), (1, 1)),
                    dilation=_pair(a.get("dilation"), (1, 1)),
                    groups=a.get("groups", 1))


def _max_pool2d(args, a):
    k = _pair(a["kernel_size"], None)
    x = _pad_nchw(args[0], _pads(a.get("padding")), -math.inf)
    return F.max_pool2d(x, k, stride=_pair(a.get("stride"), k),
                        dilation=_pair(a.get("dilation"), (1, 1)))


def _avg_pool2d(args, a):
    k = _pair(a["kernel_size"], None)
    p = _pads(a.get("padding"))
    stride = _pair(a.get("stride"), k)
    x = _pad_nchw(args[0], p, 0.0)
    total = F.avg_pool2d(x, k, stride=stride) * (k[0] * k[1])
    if a.get("count_include_pad", False):
        return total / (k[0] * k[1])
    ones = _pad_nchw(torch.ones_like(args[0][:1, :1]), p, 0.0)
    count = F.avg_pool2d(ones, k, stride=stride) * (k[0] * k[1])
    return total / count


def _slice(args, a):
    x = args[0]
    starts, ends = a["starts"], a["ends"]
    axes = a.get("axes") or list(range(len(starts)))
    steps = a.get("steps") or [1] * len(starts)
    index = [slice(None)] * x.dim()
    for s, e, ax, st in zip(starts, ends, axes, steps):
        index[ax] = slice(s, e, st)
    return x[tuple(index)]


def _reduce(fn):
    def run(args, a):
        x = args[0]
        axes = _axes(a, x.dim())
        keep = a.get("keepdims", False)
        if fn == "max":
            out = x
            for d in sorted(axes, reverse=True):
                out = out.amax(dim=d, keepdim=keep)
            return out
        return getattr(torch, fn)(x, dim=axes, keepdim=keep)
    return run


def _layer_norm(args, a):
    x = args[0]
    axis = a.get("axis", -1) % x.dim()
    return F.layer_norm(x, x.shape[axis:], args[1], args[2],
                        eps=a.get("epsilon", 1e-5))


def _batch_norm(args, a):
    x, scale, bias, mean, var = args
    return F.batch_norm(x, mean, var, scale, bias, training=False,
                        eps=a.get("epsilon", 1e-5))


def _compare(args, a):
    op = {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le,
          "gt": torch.gt, "ge": torch.ge}[a["predicate"]]
    return op(args[0], args[1])


def _cast(args, a):
    x = args[0]
    to = DTYPES[a["to"]]
    if to == torch.bool:
        return x != 0
    if not to.is_floating_point and x.is_floating_point():
        return torch.trunc(x).to(to)
    return x.to(to)


def _constant(a, dtype):
    """Float constants are computed in `dtype`, like every float value."""
    declared = DTYPES[a.get("dtype", "f32")]
    return torch.tensor(a["value"],
                        dtype=dtype if declared.is_floating_point else declared)


OPS = {
    "add": lambda t, a: t[0] + t[1],
    "sub": lambda t, a: t[0] - t[1],
    "mul": lambda t, a: t[0] * t[1],
    "div": lambda t, a: t[0] / t[1],
    "pow": lambda t, a: torch.pow(t[0], t[1]),
    "maximum": lambda t, a: torch.maximum(t[0], t[1]),
    "minimum": lambda t, a: torch.minimum(t[0], t[1]),
    "neg": lambda t, a: -t[0],
    "exp": lambda t, a: torch.exp(t[0]),
    "log": lambda t, a: torch.log(t[0]),
    "sqrt": lambda t, a: torch.sqrt(t[0]),
    "rsqrt": lambda t, a: torch.rsqrt(t[0]),
    "tanh": lambda t, a: torch.tanh(t[0]),
    "sigmoid": lambda t, a: torch.sigmoid(t[0]),
    "relu": lambda t, a: torch.relu(t[0]),
    "erf": lambda t, a: torch.erf(t[0]),
    "gelu": lambda t, a: F.gelu(t[0], approximate=a.get("approximate", "none")),
    "compare": _compare,
    "where": lambda t, a: torch.where(t[0], t[1], t[2]),
    "cast": _cast,
    "reduce_sum": _reduce("sum"),
    "reduce_mean": _reduce("mean"),
    "reduce_max": _reduce("max"),
    "softmax": lambda t, a: torch.softmax(t[0], dim=a.get("axis", -1)),
    "log_softmax": lambda t, a: torch.log_softmax(t[0], dim=a.get("axis", -1)),
    "layer_norm": _layer_norm,
    "batch_norm": _batch_norm,
    "matmul": lambda t, a: torch.matmul(t[0], t[1]),
    "batch_matmul": lambda t, a: torch.bmm(t[0], t[1]),
    "dense": lambda t, a: F.linear(t[0], t[1], t[2] if len(t) > 2 else None),
    "conv2d": _conv2d,
    "max_pool2d": _max_pool2d,
    "avg_pool2d": _avg_pool2d,
    "reshape": lambda t, a: t[0].reshape(a["shape"]),
    "flatten": lambda t, a: t[0].reshape(
        (math.prod(t[0].shape[:a.get("axis", 1) % (t[0].dim() + 1)]), -1)),
    "transpose": lambda t, a: t[0].permute(a["perm"]),
    "concat": lambda t, a: torch.cat(t, dim=a["axis"]),
    "slice": _slice,
    "broadcast": lambda t, a: t[0].expand(a["shape"]),
    "softmax_cross_entropy": lambda t, a: F.cross_entropy(t[0], t[1].long()),
    "mse_loss": lambda t, a: F.mse_loss(t[0], t[1]),
}


def run_model(model, values, dtype=torch.float64):
    """Evaluates every node of `model` (a parsed JSON dict) given `values`, a
    dict from input/parameter name to tensor; returns the dict of all values.
    Floating tensors are computed in `dtype`."""
    env = {k: (v.to(dtype) if v.is_floating_point() else v)
           for k, v in values.items()}
    pending = list(model["nodes"])
    while pending:
        progressed = False
        for node in list(pending):
            inputs = node.get("inputs", [])
            if all(i in env for i in inputs):
                args = [env[i] for i in inputs]
                attrs = node.get("attributes", {})
                if node["op"] == "constant":
                    out = _constant(attrs, dtype)
                else:
                    out = OPS[node["op"]](args, attrs)
                env[node["name"]] = out
                pending.remove(node)
                progressed = True
        if not progressed:
            raise ValueError("model has a cycle or a missing input")
    return env
