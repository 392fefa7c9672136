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


def build(model, device):
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
    outputs = list(model["outputs"])

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


def set_bytes(values):
    return sum(v.numel() * v.element_size() for v in values.values())


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
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU: build and run every graph once eagerly, time nothing")
    a = ap.parse_args()

    with open(os.path.join(a.graphs, "index.json")) as f:
        index = json.load(f)
    names = a.only or [g["name"] for g in index["graphs"]]
    result = {"torch": torch.__version__, "graphs": {}}

    if a.dry_run:
        gen = torch.Generator().manual_seed(0)
        for name in names:
            with open(os.path.join(a.graphs, name + ".json")) as f:
                m = json.load(f)
            outs = build(m, "cpu")(random_values(m, "cpu", gen))
            bad = [o for o, t in zip(m["outputs"], outs)
                   if t.is_floating_point() and not torch.isfinite(t.float()).all()]
            if bad:
                sys.exit(f"torch_bench: {name}: non-finite output {bad}")
            shapes = ", ".join(f"{tuple(t.shape)} {str(t.dtype)[6:]}" for t in outs)
            print(f"{name:24s} ok  {shapes}")
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
    for name in names:
        with open(os.path.join(a.graphs, name + ".json")) as f:
            m = json.load(f)
        r, sets = {}, None
        try:
            fwd = build(m, dev)
            first = random_values(m, dev, gen)
            k = max(1, min(8, (256 << 20) // max(1, set_bytes(first)) + 1))
            sets = [first] + [random_values(m, dev, gen) for _ in range(k - 1)]
            r["rotate"] = k
            with torch.no_grad():
                r["eager"] = time_cuda(fwd, sets, a.warmup, a.iters)
                if not a.no_compile:
                    t0 = time.time()
                    cf = torch.compile(fwd, mode=a.compile_mode)
                    cf(sets[0])
                    torch.cuda.synchronize()
                    r["compile_s"] = time.time() - t0
                    r["compile"] = time_cuda(cf, sets, a.warmup, a.iters)
                    r["compile_mode"] = a.compile_mode
        except Exception as e:  # one graph's failure must not lose the others
            r["error"] = f"{type(e).__name__}: {e}"[:2000]
        result["graphs"][name] = r
        msg = " ".join(f"{k2} {r[k2]['median']:.1f} us" for k2 in ("eager", "compile") if k2 in r)
        print(f"torch {name:24s} {msg} {r.get('error', '')}", flush=True)
        del sets
        torch.cuda.empty_cache()
        torch._dynamo.reset()

    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
