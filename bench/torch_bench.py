#!/usr/bin/env python3
"""PyTorch side of the benchmark (docs/bench.md): the same graphs as dlc,
built from their JSON with test/e2e/torch_reference.py's op table, timed in
eager mode and under torch.compile; plus the device's ceilings (copy
bandwidth, cuBLAS bf16 GEMM rate).

    python3 bench/torch_bench.py --graphs bench/graphs --json torch.json
    python3 bench/torch_bench.py --graphs bench/graphs-small --dry-run   # CPU: parse + run each once

Timing matches dlc-bench: native dtypes, random inputs in [-1, 1) (never
zeros), several input sets cycled so that together they exceed 256 MiB (the
L2 cannot hold them), warm-up, then each call between two CUDA events; the
median is the figure.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))

import torch  # noqa: E402
import torch_reference as tr  # noqa: E402


def order_nodes(model):
    """The nodes in an order where each comes after its inputs."""
    known = {t["name"] for t in model["inputs"]}
    known |= {p["name"] for p in model.get("parameters", [])}
    pending, out = list(model["nodes"]), []
    while pending:
        ready = [n for n in pending if all(i in known for i in n.get("inputs", []))]
        if not ready:
            raise ValueError(f"{model.get('name')}: a cycle or a missing input")
        for n in ready:
            out.append(n)
            known.add(n["name"])
            pending.remove(n)
    return out


def build(model, device, outputs=None):
    """A function of (dict name -> tensor) returning the model's outputs, in
    the tensors' own dtypes (torch_reference.run_model computes in one
    dtype; a benchmark must not)."""
    nodes = order_nodes(model)
    consts = {}
    for n in nodes:
        if n["op"] == "constant":
            a = n.get("attributes", {})
            declared = tr.DTYPES[a.get("dtype", "f32")]
            consts[n["name"]] = tr._constant(a, declared).to(device)
    outputs = list(outputs or model["outputs"])

    def forward(values):
        env = dict(values)
        env.update(consts)
        for n in nodes:
            if n["op"] == "constant":
                continue
            env[n["name"]] = tr.OPS[n["op"]]([env[i] for i in n.get("inputs", [])],
                                             n.get("attributes", {}))
        return [env[o] for o in outputs]

    return forward


def random_values(model, device, gen):
    vals = {}
    for t in model["inputs"] + model.get("parameters", []):
        dt = tr.DTYPES[t.get("dtype", "f32")]
        shape = t["shape"]
        if dt.is_floating_point:
            v = torch.rand(shape, generator=gen, device=device, dtype=torch.float32) * 2 - 1
            vals[t["name"]] = v.to(dt)
        elif dt == torch.bool:
            vals[t["name"]] = torch.randint(0, 2, shape, generator=gen, device=device).bool()
        else:  # labels: 0/1 are valid for any loss of >= 2 classes
            vals[t["name"]] = torch.randint(0, 2, shape, generator=gen, device=device, dtype=dt)
    return vals


# --- the CPU check: dlc's outputs against PyTorch in float64 ----------------

ST_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16,
             "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
             "BOOL": torch.bool, "U8": torch.uint8}


def read_safetensors(path):
    """name -> tensor of a .safetensors file (dlc-bench --dump)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = bytearray(data[8 + n + b:8 + n + e])
        dt = ST_DTYPES[info["dtype"]]
        t = torch.frombuffer(raw, dtype=dt) if raw else torch.empty(0, dtype=dt)
        out[name] = t.reshape(info["shape"])
    return out


def adam_reference(params, grads, state, step, lr, opt):
    """torch.optim.Adam's step on float64 copies, from the given state (its
    step counter at step - 1, so the step taken is `step`)."""
    ps = [p.detach().clone().requires_grad_(True) for p in params]
    o = torch.optim.Adam(ps, lr=lr, betas=(opt.get("beta1", 0.9), opt.get("beta2", 0.999)),
                         eps=opt.get("eps", 1e-8), weight_decay=opt.get("weight_decay", 0.0))
    for p, g, (m, v) in zip(ps, grads, state):
        p.grad = g.clone()
        o.state[p] = {"step": torch.tensor(float(step - 1)), "exp_avg": m.clone(),
                      "exp_avg_sq": v.clone()}
    o.step()
    return [(p.detach(), o.state[p]["exp_avg"], o.state[p]["exp_avg_sq"]) for p in ps]


def check_reference(meta, model, d):
    """The values dlc's program returns, computed by PyTorch in float64 from
    the inputs and params in `d` (dlc-bench --dump)."""
    f64 = {k: (v.double() if v.is_floating_point() else v) for k, v in d.items()}
    train = meta.get("train")
    ref = {}
    if train == "adam":
        names = [f"p{i}" for i in range(len(meta["params"]))]
        params = [f64[n] for n in names]
        grads = [f64["grad:" + n] for n in names]
        opt = {}
    else:
        params_n = [p["name"] for p in model.get("parameters", [])]
        leaves = {n: f64[n].clone().requires_grad_(train is not None) for n in params_n}
        env = tr.run_model(model, {**{t["name"]: f64[t["name"]] for t in model["inputs"]}, **leaves})
        outs = list(model["outputs"]) + ([model["training"]["loss"]] if train else [])
        for o in outs:
            ref[o] = env[o].detach()
        if not train:
            return ref
        env[model["training"]["loss"]].backward()
        names, params = params_n, [leaves[n].detach() for n in params_n]
        grads = [leaves[n].grad for n in params_n]
        for n, g in zip(names, grads):
            ref["grad:" + n] = g
        if train == "grads":
            return ref
        opt = model["training"]["optimizer"]
    state = [(f64["state/exp_avg/" + n], f64["state/exp_avg_sq/" + n]) for n in names]
    new = adam_reference(params, grads, state, float(d["opt.step"]), float(d["opt.lr"]), opt)
    for n, (p, m, v) in zip(names, new):
        ref["new/param/" + n] = p
        ref["new/state/exp_avg/" + n] = m
        ref["new/state/exp_avg_sq/" + n] = v
    return ref


# Largest error allowed, relative to the largest magnitude of the reference
# tensor: a few roundings of the element type compounded over the graph.
CHECK_TOL = {torch.float32: 1e-4, torch.float64: 1e-10, torch.float16: 2e-2,
             torch.bfloat16: 5e-2}


def check(index, graphs_dir, dump_dir, names):
    """Compares every graph's dump with the PyTorch reference; returns the
    failures (printing one line per graph)."""
    failed = []
    for g in (g for g in index["graphs"] if g["name"] in names):
        name = g["name"]
        model = None
        if g.get("file", name + ".json").endswith(".json"):
            with open(os.path.join(graphs_dir, g.get("file", name + ".json"))) as f:
                model = json.load(f)
        d = read_safetensors(os.path.join(dump_dir, name + ".safetensors"))
        ref = check_reference(g, model, d)
        worst, where = 0.0, ""
        # A gradient that is exactly zero in theory (attention's key bias:
        # softmax ignores a per-row constant) has no scale of its own; its
        # rounding noise is measured against its kind's scale (the largest
        # of all grad:, new/param/, ... tensors).
        kind = lambda k: k.split(":")[0] if ":" in k else k.rsplit("/", 1)[0]
        kind_scale = {}
        for k, r in ref.items():
            kind_scale[kind(k)] = max(kind_scale.get(kind(k), 0.0), r.abs().max().item())
        for k, r in ref.items():
            if k not in d:
                failed.append(f"{name}: dlc returned no '{k}'")
                continue
            got = d[k]
            scale = r.abs().max().item()
            if scale <= 1e-6 * kind_scale[kind(k)]:  # zero but for rounding
                scale = kind_scale[kind(k)]
            scale = max(scale, 1e-30)
            err = (got.double() - r.double()).abs().max().item() / scale
            tol = CHECK_TOL[got.dtype]
            if not err <= tol:  # NaN fails too
                failed.append(f"{name}: '{k}' ({str(got.dtype)[6:]}) differs from "
                              f"PyTorch by {err:.3g} of its scale (tolerance {tol:g})")
            if not err <= worst:
                worst, where = err, k
        print(f"check {name:24s} {len(ref)} tensors, worst {worst:.2e} of scale ({where})")
    return failed


def set_bytes(values):
    return sum(v.numel() * v.element_size() for v in values.values())


class Workload:
    """One graph's PyTorch side: `sets` of inputs (rotated so that together
    they exceed 256 MiB), `eager(set)` and `compiled(mode)` doing the graph's
    work on a set. Forward graphs run under no_grad; training graphs
    (index.json "train"): "step" = forward, loss.backward() and
    torch.optim.Adam.step() (foreach); "grads" = forward and backward;
    "adam" = the optimizer step alone on given gradients (eager: foreach;
    the compile column: fused=True, PyTorch's single-kernel Adam)."""

    def __init__(self, meta, graphs_dir, dev, gen):
        self.meta, self.train, self.dev = meta, meta.get("train"), dev
        file = meta.get("file", meta["name"] + ".json")
        self.model = None
        if file.endswith(".json"):
            with open(os.path.join(graphs_dir, file)) as f:
                self.model = json.load(f)
        first = self.make_set(gen)
        k = max(1, min(8, (256 << 20) // max(1, set_bytes(first["values"])) + 1))
        self.sets = [first] + [self.make_set(gen) for _ in range(k - 1)]

    def make_set(self, gen):
        if self.train == "adam":
            vals, params = {}, []
            for i, shape in enumerate(self.meta["params"]):
                p = (torch.rand(shape, generator=gen, device=self.dev) * 2 - 1).requires_grad_(True)
                p.grad = torch.rand(shape, generator=gen, device=self.dev) * 2 - 1
                vals[f"p{i}"], vals[f"grad:p{i}"] = p, p.grad
                params.append(p)
            return {"values": vals, "params": params}
        vals = random_values(self.model, self.dev, gen)
        if self.dev == "cpu" and self.train:  # PyTorch 1.13 CPU: no bf16 mse_loss
            vals = {k: v.float() if v.dtype in (torch.bfloat16, torch.float16) else v
                    for k, v in vals.items()}
        st = {"values": vals}
        if self.train:
            st["params"] = [vals[p["name"]].requires_grad_(True)
                            for p in self.model.get("parameters", [])]
        return st

    def grad_mode(self):
        return torch.enable_grad() if self.train else torch.no_grad()

    def _optimizers(self, **kw):
        opt = (self.model or {}).get("training", {}).get("optimizer", {})
        for st in self.sets:
            st["opt"] = torch.optim.Adam(
                st["params"], lr=opt.get("lr", 1e-3),
                betas=(opt.get("beta1", 0.9), opt.get("beta2", 0.999)),
                eps=opt.get("eps", 1e-8), weight_decay=opt.get("weight_decay", 0.0), **kw)

    def _fn(self, forward):
        loss = (self.model or {}).get("training", {}).get("loss")
        if self.train is None:
            return forward
        if self.train == "adam":
            def adam(st):
                st["opt"].step()
            return adam

        def step(st):
            for p in st["params"]:
                p.grad = None
            forward(st["values"])[-1].backward()
            if self.train == "step":
                st["opt"].step()
        return step

    def _forward(self):
        if self.model is None:
            return None
        extra = [self.model["training"]["loss"]] if self.train else []
        return build(self.model, self.dev, list(self.model["outputs"]) + extra)

    @property
    def eager(self):
        if not hasattr(self, "_eager"):
            if self.train in ("step", "adam"):
                self._optimizers(**({"foreach": True} if self.dev == "cuda" else {}))
            fwd = self._forward()
            f = self._fn(fwd)
            self._eager = (lambda st: f(st["values"])) if self.train is None else f
        return self._eager

    def compiled(self, mode):
        """(fn, what) for the compile column; (None, why) when there is none."""
        if self.train == "adam":
            try:
                self._optimizers(fused=True)
            except (TypeError, RuntimeError) as e:  # torch < 2.0: no fused Adam
                return None, str(e)
            return self._fn(None), "fused Adam"
        if self.train == "step":
            self._optimizers(foreach=True)
        cf = torch.compile(self._forward(), mode=mode)
        f = self._fn(cf)
        return ((lambda st: f(st["values"])) if self.train is None else f), mode


def time_cuda(fn, args_list, warmup, iters):
    """Median/min/p90 microseconds of fn(args) with args cycling; CUDA events."""
    for i in range(warmup):
        fn(args_list[i % len(args_list)])
    torch.cuda.synchronize()
    ev = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
          for _ in range(iters)]
    for i, (s, e) in enumerate(ev):
        a = args_list[i % len(args_list)]
        s.record()
        fn(a)
        e.record()
    torch.cuda.synchronize()
    t = sorted(s.elapsed_time(e) * 1000.0 for s, e in ev)
    return {"median": statistics.median(t), "min": t[0], "mean": sum(t) / len(t),
            "p10": t[int(0.1 * (len(t) - 1) + 0.5)], "p90": t[int(0.9 * (len(t) - 1) + 0.5)]}


def ceilings(warmup, iters, gemm_sizes):
    """Copy bandwidth (bytes read + written per second) and cuBLAS bf16 GEMM
    rate at each size, on random data."""
    dev = "cuda"
    n = 256 << 20  # 1 GiB of f32
    xs = [torch.rand(n, device=dev) for _ in range(2)]
    y = torch.empty(n, device=dev)
    t = time_cuda(lambda x: y.copy_(x), xs, warmup, iters)
    copy = {"bytes": 2 * 4 * n, "time_us": t,
            "GBps": 2 * 4 * n / (t["median"] * 1e3)}
    del xs, y
    gemm = {}
    for s in gemm_sizes:
        k = max(1, min(8, (256 << 20) // (2 * 2 * s * s) + 1))
        ab = [(torch.rand(s, s, device=dev, dtype=torch.bfloat16) * 2 - 1,
               torch.rand(s, s, device=dev, dtype=torch.bfloat16) * 2 - 1) for _ in range(k)]
        t = time_cuda(lambda p: torch.matmul(p[0], p[1]), ab, warmup, iters)
        gemm[str(s)] = {"time_us": t, "TFLOPs": 2 * s ** 3 / (t["median"] * 1e6)}
        del ab
    torch.cuda.empty_cache()
    return {"copy": copy, "gemm_bf16": gemm}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graphs", default=os.path.join(HERE, "graphs"))
    ap.add_argument("--only", nargs="*", help="graph names (default: all in index.json)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--compile-mode", default="default",
                    help="torch.compile mode (default: 'default'; "
                         "'max-autotune-no-cudagraphs' autotunes GEMMs, slowly)")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--no-ceilings", action="store_true")
    ap.add_argument("--check", metavar="DIR",
                    help="CPU: compare dlc-bench --dump files DIR/<graph>.safetensors "
                         "with PyTorch in float64; exit 1 on a mismatch")
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU: build and run every graph once eagerly, time nothing")
    a = ap.parse_args()

    with open(os.path.join(a.graphs, "index.json")) as f:
        index = json.load(f)
    names = a.only or [g["name"] for g in index["graphs"]]
    result = {"torch": torch.__version__, "graphs": {}}

    if a.check:
        failed = check(index, a.graphs, a.check, set(names))
        if failed:
            sys.exit("torch_bench: dlc differs from PyTorch:\n  " + "\n  ".join(failed))
        return

    if a.dry_run:
        gen = torch.Generator().manual_seed(0)
        metas = {g["name"]: g for g in index["graphs"]}
        for name in names:
            w = Workload(metas[name], a.graphs, "cpu", gen)
            st = w.sets[0]
            with w.grad_mode():
                outs = w.eager(st)
            if w.train:  # what a step leaves: the params and their gradients
                outs = [t.detach() for p in st["params"] for t in (p, p.grad)]
            bad = [i for i, t in enumerate(outs)
                   if t.is_floating_point() and not torch.isfinite(t.float()).all()]
            if bad:
                sys.exit(f"torch_bench: {name}: non-finite output(s) {bad}")
            shapes = ", ".join(f"{tuple(t.shape)} {str(t.dtype)[6:]}" for t in outs[:4])
            print(f"{name:24s} ok  {shapes}{' ...' if len(outs) > 4 else ''}")
            result["graphs"][name] = {"dry_run": True}
        if a.json:
            with open(a.json, "w") as f:
                json.dump(result, f, indent=1)
        return

    if not torch.cuda.is_available():
        sys.exit("torch_bench: no CUDA device (use --dry-run on the CPU)")
    dev = "cuda"
    props = torch.cuda.get_device_properties(0)
    result["device_name"] = props.name
    result["sm_count"] = props.multi_processor_count
    result["capability"] = f"{props.major}.{props.minor}"
    torch.backends.cuda.matmul.allow_tf32 = False
    if not a.no_ceilings:
        sizes = sorted({g["mnk"][0] for g in index["graphs"] if "mnk" in g} | {4096, 8192})
        result["ceilings"] = ceilings(a.warmup, a.iters, sizes)
        c = result["ceilings"]
        print(f"ceiling: copy {c['copy']['GBps']:.0f} GB/s; cuBLAS bf16 " +
              ", ".join(f"{k}^3 {v['TFLOPs']:.0f}" for k, v in c["gemm_bf16"].items()) +
              " TFLOP/s", flush=True)

    gen = torch.Generator(device=dev).manual_seed(0)
    metas = {g["name"]: g for g in index["graphs"]}
    for name in names:
        r, w = {}, None
        try:
            w = Workload(metas[name], a.graphs, dev, gen)
            r["rotate"] = len(w.sets)
            with w.grad_mode():
                r["eager"] = time_cuda(w.eager, w.sets, a.warmup, a.iters)
                if not a.no_compile:
                    t0 = time.time()
                    cf, mode = w.compiled(a.compile_mode)
                    if cf is not None:
                        cf(w.sets[0])
                        torch.cuda.synchronize()
                        r["compile_s"] = time.time() - t0
                        r["compile"] = time_cuda(cf, w.sets, a.warmup, a.iters)
                        r["compile_mode"] = mode
        except Exception as e:  # one graph's failure must not lose the others
            r["error"] = f"{type(e).__name__}: {e}"[:2000]
        result["graphs"][name] = r
        msg = " ".join(f"{k2} {r[k2]['median']:.1f} us" for k2 in ("eager", "compile") if k2 in r)
        print(f"torch {name:24s} {msg} {r.get('error', '')}", flush=True)
        del w
        torch.cuda.empty_cache()
        torch._dynamo.reset()

    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
