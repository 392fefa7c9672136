#!/usr/bin/env python3
"""dlc's CPU device against PyTorch on the same CPU threads (docs/bench.md,
CPU section). One run, both sides, one table:

    python3 bench/cpu_vs_torch.py [--dlc build/bin/dlc] [--bench build/bin/dlc-bench]
                                  [--threads N] [--warmup W] [--iters I] [--only NAME ...]

Workloads: the seed CNN's training step (forward, backward, Adam) at batch
64 and 256, its forward at batch 256, examples/transformer_block.json's
forward, and a 1024^3 f32 GEMM. dlc: `dlc MODEL [--train-step] -o DIR`,
then `dlc-bench DIR --device=cpu` with DLC_CPU_THREADS=N (the median of
--iters runs after --warmup). PyTorch: the same JSON through
torch_bench.py's Workload (the op table of test/e2e/torch_reference.py;
train steps are loss.backward() + torch.optim.Adam.step()), eager, with
torch.set_num_threads(N), the median of --iters calls. Also printed: dlc's
fiber switches per run (CpuDevice::stats). Needs a python3 that imports
torch (Debian's /usr/bin/python3 here).
"""
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch_bench as tb  # noqa: E402


def load_example(name):
    with open(os.path.join(ROOT, "examples", name)) as f:
        return json.load(f)


def with_batch(model, b):
    m = copy.deepcopy(model)
    for t in m["inputs"]:
        t["shape"][0] = b
    return m


def cnn_forward(b):
    m = with_batch(load_example("seed_cnn.json"), b)
    m["nodes"] = [n for n in m["nodes"] if n["op"] != "softmax_cross_entropy"]
    m["inputs"] = [t for t in m["inputs"] if t["name"] != "labels"]
    m["outputs"] = [o for o in m["outputs"] if o != "loss"] or ["probs"]
    m.pop("training", None)
    return m


def gemm(n):
    return {"format": "dlc-model", "version": 1, "name": f"gemm_f32_{n}",
            "inputs": [{"name": "a", "shape": [n, n], "dtype": "f32"}],
            "parameters": [{"name": "b", "shape": [n, n], "init": {"scheme": "normal"}}],
            "nodes": [{"name": "c", "op": "matmul", "inputs": ["a", "b"]}],
            "outputs": ["c"]}


def workloads():
    """(name, model, torch_bench meta 'train', dlc flags, note)."""
    cnn = load_example("seed_cnn.json")
    for b in (64, 256):
        yield (f"seed_cnn_train_b{b}", with_batch(cnn, b), "step",
               ["--train-step"], "forward + backward + Adam")
    yield ("seed_cnn_fwd_b256", cnn_forward(256), None, [], "inference")
    yield ("transformer_block_fwd", load_example("transformer_block.json"), None,
           [], "examples/transformer_block.json as is")
    yield ("gemm_f32_1024", gemm(1024), None, [], "1024^3 f32 matmul")


def run(cmd, env=None):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit(f"cpu_vs_torch: {' '.join(cmd)} failed (exit {p.returncode}):\n{p.stdout}")
    return p.stdout


def time_dlc(a, name, model, flags, work):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        json.dump(model, f)
    out = os.path.join(work, name)
    run([a.dlc, path, *flags, "--nvrtc=false", "-o", out])
    env = dict(os.environ, DLC_CPU_THREADS=str(a.threads))
    res = os.path.join(work, name + ".bench.json")
    run([a.bench, out, "--device=cpu", f"--warmup={a.warmup}",
         f"--iters={a.iters}", f"--json={res}", f"--name={name}"], env)
    with open(res) as f:
        r = json.load(f)
    if r.get("nan_outputs"):
        sys.exit(f"cpu_vs_torch: {name}: dlc left {r['nan_outputs']} outputs unwritten")
    return r["time_us"]["median"] / 1000.0, r.get("fiber_switches_per_run", 0)


def time_torch(a, name, model, train, work):
    path = os.path.join(work, name + ".json")
    meta = {"name": name, "file": name + ".json"}
    if train:
        meta["train"] = train
    w = tb.Workload(meta, work, "cpu", torch.Generator().manual_seed(0))
    fn = w.eager
    times = []
    with w.grad_mode():
        for i in range(a.warmup + a.iters):
            st = w.sets[i % len(w.sets)]
            t0 = time.perf_counter()
            fn(st)
            t1 = time.perf_counter()
            if i >= a.warmup:
                times.append((t1 - t0) * 1000.0)
    assert os.path.exists(path)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.path.join(ROOT, "build", "bin", "dlc"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "bin", "dlc-bench"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=7)
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--json", help="also write the rows here")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlc-cpu-vs-torch-") as work:
        for name, model, train, flags, note in workloads():
            if a.only and name not in a.only:
                continue
            d, switches = time_dlc(a, name, model, flags, work)
            t = time_torch(a, name, model, train, work)
            rows.append({"name": name, "dlc_ms": d, "torch_ms": t, "ratio": d / t,
                         "fiber_switches_per_run": switches, "note": note})
            print(f"  {name}: dlc {d:.2f} ms, torch {t:.2f} ms", file=sys.stderr, flush=True)
    print(f"threads {a.threads} (DLC_CPU_THREADS, torch.set_num_threads), torch {torch.__version__}, "
          f"median of {a.iters} runs after {a.warmup} warm-up")
    print("| workload | dlc ms | torch ms | dlc / torch | dlc fiber switches / run |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {r['dlc_ms']:.2f} | {r['torch_ms']:.2f} | "
              f"{r['ratio']:.1f}x | {r['fiber_switches_per_run']} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
