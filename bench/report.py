#!/usr/bin/env python3
"""Merges one benchmark run (docs/bench.md) into bench/results/<date>-<gpu>.json
and a markdown table beside it (.md), and prints the table.

    python3 bench/report.py --index bench/build/index.json --torch torch.json \
        --dlc DIR_OF_DLC_BENCH_JSONS [--copy dlc-copy.json] [--out bench/results]

Per graph: dlc's median time (CUDA graph replay), PyTorch eager and
torch.compile medians, the achieved rate (GB/s of the graph's minimum bytes
for memory-bound graphs, TFLOP/s for compute-bound ones), the percentage of
the ceiling (the measured copy bandwidth; cuBLAS bf16 at the same size for
GEMMs), and the speed-ups eager/dlc and compile/dlc (> 1: dlc is faster).
With --kernel-reports, the roofline estimate of dlc's kernels (the sum of
docs/kernel-report.md's per-kernel bounds at the target's reference part)
and the measured time's distance to it (% of roofline = estimate / measured).
Then the issue's targets, each met or not.
"""
import argparse
import datetime
import glob
import json
import os
import re


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--torch", required=True)
    ap.add_argument("--dlc", required=True, help="directory of dlc-bench --json files")
    ap.add_argument("--copy", help="dlc-bench --copy JSON (a second bandwidth figure)")
    ap.add_argument("--meta", help="JSON of extra facts to record (commit, nvidia-smi, ...)")
    ap.add_argument("--autotune", help="bench/autotune.py's autotune.json: GEMM graphs were "
                                       "measured with the tuned schedule")
    ap.add_argument("--kernel-reports", help="bench/build/<target>: each graph's "
                                            "kernel-report.json (dlc --kernel-report=json), whose "
                                            "roofline estimate is printed next to the measured time")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    a = ap.parse_args()

    index = json.load(open(a.index))
    torch_r = json.load(open(a.torch)) if os.path.exists(a.torch) else {"graphs": {}}
    dlc = {}
    for f in glob.glob(os.path.join(a.dlc, "*.json")):
        r = json.load(open(f))
        dlc[r.get("name", os.path.basename(f)[:-5])] = r
    copy = json.load(open(a.copy)) if a.copy and os.path.exists(a.copy) else None
    ceil = torch_r.get("ceilings", {})
    bw = ceil.get("copy", {}).get("GBps")
    dlc_bw = (copy["io_bytes"] / (copy["time_us"]["median"] * 1e3)) if copy else None
    bw = bw or dlc_bw  # torch's figure when there is one, else dlc-bench's copy
    gpu = torch_r.get("device_name") or next(
        (r.get("device_name") for r in dlc.values() if r.get("device_name")), "unknown")

    tuned = {}
    if a.autotune and os.path.exists(a.autotune):
        tuned = json.load(open(a.autotune)).get("graphs", {})
    rows, targets = [], []
    for g in index["graphs"]:
        name, kind = g["name"], g["kind"]
        d = dlc.get(name, {})
        t = torch_r["graphs"].get(name, {})
        dt = d.get("time_us", {}).get("median")
        et = t.get("eager", {}).get("median")
        ct = t.get("compile", {}).get("median")
        row = {"name": name, "kind": kind, "dlc_us": dt, "eager_us": et,
               "compile_us": ct, "dlc_kernels": d.get("kernels_count"),
               "dlc_error": d.get("error"), "torch_error": t.get("error"),
               "note": g.get("note", "")}
        if kind == "memory" and dt:
            row["rate"] = g["bytes"] / (dt * 1e3)
            row["unit"] = "GB/s"
            row["pct_ceiling"] = 100 * row["rate"] / bw if bw else None
        elif dt and g.get("flops"):
            row["rate"] = g["flops"] / (dt * 1e6)
            row["unit"] = "TFLOP/s"
            if "mnk" in g:
                cb = ceil.get("gemm_bf16", {}).get(str(g["mnk"][0]), {}).get("TFLOPs")
                row["pct_ceiling"] = 100 * row["rate"] / cb if cb else None
        kr = os.path.join(a.kernel_reports or "", name, "kernel-report.json")
        if a.kernel_reports and os.path.exists(kr):
            ks = json.load(open(kr))["kernels"]
            row["roofline_us"] = sum(k["predicted_us"] for k in ks)
            row["pct_roofline"] = 100 * row["roofline_us"] / dt if dt else None
        if name in tuned:
            t_ = tuned[name]
            row["autotuned"] = t_
            row["note"] += (f"; autotuned: candidate {t_['best']} of {len(t_['candidates'])}, "
                            f"{t_['default_us']:.1f} us with the default schedule")
        row["eager_over_dlc"] = et / dt if dt and et else None
        row["compile_over_dlc"] = ct / dt if dt and ct else None
        rows.append(row)
        # The issue's targets.
        if kind == "memory":
            targets.append((f"{name}: >= 85% of copy bandwidth",
                            row.get("pct_ceiling"), lambda r: r >= 85, "%"))
        if name == "gemm_bf16_4096":
            targets.append(("gemm_bf16_4096: >= 60% of cuBLAS", row.get("pct_ceiling"),
                            lambda r: r >= 60, "%"))
        if name in ("transformer_block", "transformer_block_train", "seed_cnn_train"):
            targets.append((f"{name}: faster than torch.compile",
                            row["compile_over_dlc"], lambda r: r > 1, "x"))
    for name, why in index.get("pending", {}).items():
        targets.append((f"{name}: pending ({why})", None, None, ""))

    stamp = datetime.datetime.now(datetime.timezone.utc)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", gpu).strip("-").lower()
    base = os.path.join(a.out, f"{stamp:%Y-%m-%d}-{slug}")
    os.makedirs(a.out, exist_ok=True)

    md = [f"# dlc vs PyTorch on {gpu} ({stamp:%Y-%m-%d %H:%M} UTC)", ""]
    cp = [f"copy {bw:.0f} GB/s (torch D2D, read+write)" if bw else "copy: not measured"]
    if dlc_bw:
        cp.append(f"{dlc_bw:.0f} GB/s (dlc-bench float4 copy kernel)")
    gemm = ceil.get("gemm_bf16", {})
    if gemm:
        cp.append("cuBLAS bf16 " + ", ".join(f"{k}^3 {v['TFLOPs']:.0f}" for k, v in gemm.items())
                  + " TFLOP/s")
    md += ["Ceilings: " + "; ".join(cp) + f". torch {torch_r.get('torch', '?')}, "
           f"torch.compile mode '{next((t.get('compile_mode') for t in torch_r['graphs'].values() if t.get('compile_mode')), '?')}'.",
           "", "| graph | kind | dlc us | roofline us | % of roofline | eager us | compile us | dlc rate | % ceiling | eager/dlc | compile/dlc |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rate = f"{r['rate']:.4g} {r['unit']}" if r.get("rate") else "-"
        err = " (dlc: failed)" if r["dlc_error"] else ""
        err += " (tuned)" if r.get("autotuned") else ""
        md.append(f"| {r['name']}{err} | {r['kind']} | {fmt(r['dlc_us'], '.1f')} | "
                  f"{fmt(r.get('roofline_us'), '.1f')} | {fmt(r.get('pct_roofline'), '.0f')} | "
                  f"{fmt(r['eager_us'], '.1f')} | {fmt(r['compile_us'], '.1f')} | {rate} | "
                  f"{fmt(r.get('pct_ceiling'), '.0f')} | {fmt(r['eager_over_dlc'], '.2f')} | "
                  f"{fmt(r['compile_over_dlc'], '.2f')} |")
    if tuned:
        md += ["", "Autotuned (bench/autotune.py): " + "; ".join(
            f"{k}: {v['default_us']:.1f} -> {v['best_us']:.1f} us (candidate {v['best']}, "
            f"{sum(1 for c in v['candidates'] if 'rejected' in c)} rejected)" for k, v in tuned.items())]
    md += ["", "Targets (docs/bench.md):", ""]
    for what, v, ok, unit in targets:
        if ok is None:
            md.append(f"- {what}")
        elif v is None:
            md.append(f"- [ ] {what}: not measured")
        else:
            md.append(f"- [{'x' if ok(v) else ' '}] {what}: {v:.2f}{unit}")
    errs = [r for r in rows if r["dlc_error"] or r["torch_error"]]
    if errs:
        md += ["", "Errors:", ""]
        for r in errs:
            for side in ("dlc", "torch"):
                if r[f"{side}_error"]:
                    md.append(f"- {r['name']} ({side}): {r[side + '_error'][:300]}")
    md.append("")
    meta = json.load(open(a.meta)) if a.meta and os.path.exists(a.meta) else {}
    with open(base + ".json", "w") as f:
        json.dump({"date": stamp.isoformat(), "gpu": gpu, "meta": meta, "ceilings": ceil,
                   "dlc_copy": copy, "rows": rows, "dlc": dlc, "torch": torch_r}, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))
    print(f"wrote {base}.json and {base}.md")


if __name__ == "__main__":
    main()
