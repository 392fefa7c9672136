#!/usr/bin/env python3
"""Autotuning the GEMM graphs on a GPU that has only dlc's runtime
(docs/bench.md, "Autotuning"). `dlc tune --device=cuda` needs the compiler
on the GPU machine; the lent GPU machines have no LLVM, so the work is split:

    python3 bench/autotune.py prepare DLC [--target sm_90] [--max-candidates N]
        where dlc builds: for each GEMM graph of bench/graphs, `dlc tune
        --list-candidates` (the default, then the candidates of
        passes/Schedule.h's scheduleCandidates), each compiled through its
        one-entry tuning cache into bench/build/tune/<target>/<graph>/c<i>/
        (kernels.cu, manifest.json, entry.json).

    python3 bench/autotune.py run BENCH [--graphs g ...] [--out DIR]
        on the GPU: every candidate through dlc-bench (CUDA graph replay,
        median of CUDA events), its outputs (--outputs) compared with the
        default's (c0); a candidate that differs is rejected and listed,
        never chosen. Writes DIR/tuning-<target>.json (the --tuning-cache
        format: the fastest schedule per signature) and DIR/autotune.json
        (every time), and prints one line per candidate.

    python3 bench/autotune.py run BENCH --device cpu --build DIR ...
        the same on the CPU (bench/check_cpu.sh): proves the pipeline;
        CPU times say nothing about a GPU.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Two schedules of one computation differ by the order of f32 sums, then
# one rounding of the stored type (as `dlc tune`'s check).
TOL = {"F32": 1e-5, "F64": 1e-12, "F16": 4e-3, "BF16": 2e-2}


def gemm_graphs(index):
    return [g for g in index["graphs"] if g["name"].startswith("gemm_")]


def prepare(a):
    graphs = a.graphs_dir
    with open(os.path.join(graphs, "index.json")) as f:
        index = json.load(f)
    root = os.path.join(a.build, "tune", a.target)
    shutil.rmtree(root, ignore_errors=True)
    for g in gemm_graphs(index):
        model = os.path.join(graphs, g.get("file", g["name"] + ".json"))
        out = subprocess.run([a.dlc, "tune", model, "--list-candidates", f"--target={a.target}",
                              f"--max-candidates={a.max_candidates}"],
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"autotune.py: dlc tune --list-candidates {model}: {out.stderr}")
        entries = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        if not entries:
            sys.exit(f"autotune.py: dlc tune --list-candidates {model} listed no schedule "
                     "(no GEMM or row reduction in the graph?)")
        for i, e in enumerate(entries):
            d = os.path.join(root, g["name"], f"c{i}")
            os.makedirs(d)
            cache = os.path.join(d, "entry.json")
            with open(cache, "w") as f:
                json.dump({"version": 1, "entries": [e]}, f)
            r = subprocess.run([a.dlc, model, f"--target={a.target}", f"--tuning-cache={cache}",
                                f"--nvrtc={'true' if a.nvrtc else 'false'}", "-o", d],
                               capture_output=True, text=True)
            if r.returncode:
                # Candidates are valid by construction: this is a compiler bug.
                sys.exit(f"autotune.py: {g['name']} candidate {i} {e['schedule']} does not "
                         f"compile:\n{r.stdout}{r.stderr}")
        print(f"autotune.py: {g['name']}: {len(entries) - 1} candidate(s) besides the default "
              f"in {os.path.join(root, g['name'])}", file=sys.stderr)


def read_safetensors(path):
    """name -> (dtype, shape, bytes)."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    return {k: (v["dtype"], v["shape"], data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}


def as_float(dtype, raw):
    import numpy as np
    if dtype == "BF16":
        return (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, dtype={"F32": np.float32, "F64": np.float64, "F16": np.float16}[dtype])


def differs(got, ref):
    """Why `got`'s outputs are not `ref`'s, or None."""
    import numpy as np
    for k, (dt, shape, raw) in ref.items():
        if k not in got:
            return f"no output '{k}'"
        if dt not in TOL:
            if got[k][2] != raw:
                return f"output '{k}' differs"
            continue
        x, y = as_float(dt, got[k][2]).astype(np.float64), as_float(dt, raw).astype(np.float64)
        scale = max(np.abs(y).max(), 1e-30)
        err = np.abs(x - y).max() / scale
        if not err <= TOL[dt]:  # NaN too
            return f"output '{k}' differs from the default's by {err:.3g} of its scale"
    return None


def run(a):
    build = a.build
    target = a.target
    root = os.path.join(build, "tune", target)
    if not os.path.isdir(root):
        sys.exit(f"autotune.py: no {root}: run `bench/autotune.py prepare` (bench/prepare.sh "
                 "--autotune) where dlc builds")
    names = a.graphs or sorted(os.listdir(root))
    work = os.path.join(a.work, "autotune")
    os.makedirs(work, exist_ok=True)
    entries, summary = [], {"target": target, "device": a.device, "graphs": {}}
    for name in names:
        cands = sorted((d for d in os.listdir(os.path.join(root, name)) if d.startswith("c")),
                       key=lambda d: int(d[1:]))
        rows, ref, best = [], None, None
        for c in cands:
            d = os.path.join(root, name, c)
            with open(os.path.join(d, "entry.json")) as f:
                entry = json.load(f)["entries"][0]
            js, outs = os.path.join(work, f"{name}-{c}.json"), os.path.join(work, f"{name}-{c}.out")
            r = subprocess.run([a.bench, d, f"--device={a.device}", f"--warmup={a.warmup}",
                                f"--iters={a.iters}", f"--json={js}", f"--outputs={outs}",
                                f"--name={name}/{c}"], capture_output=True, text=True)
            row = {"candidate": c, "schedule": entry["schedule"]}
            if r.returncode:
                row["rejected"] = "dlc-bench failed: " + r.stderr.strip()[-500:]
            else:
                with open(js) as f:
                    row["us"] = json.load(f)["time_us"]["median"]
                got = read_safetensors(outs)
                if ref is None:
                    ref = got  # c0, the default, is the reference
                else:
                    why = differs(got, ref)
                    if why:
                        row["rejected"] = why
                os.remove(outs)
            if c == "c0" and "rejected" in row:
                print(f"autotune.py: {name}: the default schedule failed: {row['rejected']}")
                break
            if "rejected" not in row and (best is None or row["us"] < best[0]["us"]):
                best = (row, entry)
            rows.append(row)
            status = row.get("rejected", f"{row.get('us', 0):10.1f} us")
            print(f"tune {name:18s} {c:4s} {json.dumps(entry['schedule']):80s} {status}", flush=True)
        if best:
            default_us = rows[0].get("us")
            print(f"tune {name:18s} best {json.dumps(best[1]['schedule'])}: {best[0]['us']:.1f} us"
                  + (f" ({default_us / best[0]['us']:.2f}x the default)" if default_us else ""),
                  flush=True)
            entries.append(best[1])
            summary["graphs"][name] = {"best": best[0]["candidate"], "default_us": default_us,
                                       "best_us": best[0]["us"], "candidates": rows}
    os.makedirs(a.out, exist_ok=True)
    cache = os.path.join(a.out, f"tuning-{target}.json")
    with open(cache, "w") as f:
        json.dump({"version": 1, "entries": entries}, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.out, "autotune.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"autotune.py: wrote {cache} ({len(entries)} entries) and autotune.json", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dlc")
    p.add_argument("--graphs-dir", default=os.path.join(HERE, "graphs"))
    p.add_argument("--build", default=os.path.join(HERE, "build"))
    p.add_argument("--target", default="sm_90")
    p.add_argument("--max-candidates", type=int, default=16)
    p.add_argument("--nvrtc", action="store_true", help="also compile each with NVRTC here")
    r = sub.add_parser("run")
    r.add_argument("bench", help="path to dlc-bench")
    r.add_argument("--graphs", nargs="*")
    r.add_argument("--build", default=os.path.join(HERE, "build"))
    r.add_argument("--work", default=os.path.join(HERE, "build-gpu"))
    r.add_argument("--out", default=os.path.join(HERE, "results"))
    r.add_argument("--target", default="sm_90")
    r.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    r.add_argument("--warmup", type=int, default=5)
    r.add_argument("--iters", type=int, default=30)
    a = ap.parse_args()
    prepare(a) if a.cmd == "prepare" else run(a)


if __name__ == "__main__":
    main()
