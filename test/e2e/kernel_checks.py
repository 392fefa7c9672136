#!/usr/bin/env python3
"""Static kernel-quality checks from `dlc --kernel-report=json` (no GPU).

Compiles models for a target, reads each kernel's ptxas facts and SASS counts,
and asserts what GPU-grade kernels must show (docs/kernel-report.md):
  - no kernel spills registers;
  - a tensor-core GEMM/conv (mma_sync_f16/bf16/tf32) has HMMA, on its
    16-bit modes LDSM (ldmatrix), and LDGSTS (cp.async) whenever the kernel's
    text says an operand takes the cp.async path (a plain array of the MMA
    type with 16-byte rows; gathers and fused f32 casts are staged through
    registers, so their mainloops have no LDGSTS by design);
  - a wgmma GEMM has HGMMA;
  - with --expect-conv-mma, every convolution kernel (forward, data and
    weight gradient; depthwise excepted) runs on tensor cores;
  - with --expect-mode MODE (--expect-strategy S), at least one kernel uses
    that mma mode (strategy);
  - with --no-square N, no buffer of the program is [B, H, N, N] (flash
    attention keeps the scores on chip).
Prints one line per kernel and per rule; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

CONV_ANCHORS = ("dlc.conv2d", "dlc.conv2d_backward_input",
                "dlc.conv2d_backward_weight")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", required=True)
    ap.add_argument("model")
    ap.add_argument("--target", default="sm_80")
    ap.add_argument("--expect-conv-mma", action="store_true")
    ap.add_argument("--expect-mode", action="append", default=[])
    ap.add_argument("--expect-strategy", action="append", default=[])
    ap.add_argument("--no-square", type=int, default=0)
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    a.dlc_args = extra  # after --: flags for dlc
    with tempfile.TemporaryDirectory() as out:
        cmd = [a.dlc, a.model, "--target=" + a.target, "--nvrtc=false",
               "--kernel-report=json", "-o", out] + a.dlc_args
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print("FAIL: " + " ".join(cmd) + "\n" + run.stderr, file=sys.stderr)
            return 1
        report = json.loads(run.stdout)
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
        with open(os.path.join(out, "kernels.cu")) as f:
            source = f.read()
    # The operand paths the mma.sync mainloop states in each kernel's text
    # ("A: cp.async, k-major, B: vectors, n-major").
    paths, kernel = {}, None
    for line in source.splitlines():
        m = re.search(r"__global__ void (\w+)\(", line)
        if m:
            kernel = m.group(1)
        m = re.search(r"A: ([\w.]+), \w+-major, B: ([\w.]+), \w+-major", line)
        if m and kernel:
            paths[kernel] = (m.group(1), m.group(2))
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    if report["cuobjdump"] is None:
        print("FAIL: no cuobjdump: SASS cannot be checked", file=sys.stderr)
        return 1
    modes, strategies = set(), set()
    for k in report["kernels"]:
        s, name, mma = k["sass"], k["name"], k["mma"]
        modes.add(mma)
        strategies.add(k["strategy"])
        print(f"{name}: {k['strategy']}/{mma} anchor={k['anchor'] or '-'} "
              f"regs={k['registers']} spills={k['spill_stores']}+"
              f"{k['spill_loads']} smem={k['static_shared']}+"
              f"{k['dynamic_shared']} hmma={s['hmma']} hgmma={s['hgmma']} "
              f"ldgsts={s['ldgsts']} ldsm={s['ldsm']} ldg128={s['ldg128']}"
              + (f" A={paths[name][0]} B={paths[name][1]}" if name in paths else ""))
        check(k["spill_stores"] + k["spill_loads"] == 0, f"{name} spills")
        if mma.startswith("mma_sync"):
            check(s["hmma"] > 0, f"{name} ({mma}) has no HMMA")
            if mma != "mma_sync_tf32":
                check(s["ldsm"] > 0, f"{name} ({mma}) has no LDSM")
                if "cp.async" in paths.get(name, ()):
                    check(s["ldgsts"] > 0, f"{name} ({mma}) has no LDGSTS")
                check(name in paths, f"{name} ({mma}) names no operand paths")
        if mma.startswith("wgmma"):
            check(s["hgmma"] > 0, f"{name} ({mma}) has no HGMMA")
        if a.expect_conv_mma and k["anchor"] in CONV_ANCHORS and \
                k["strategy"] != "depthwise":
            check(s["hmma"] + s["hgmma"] > 0,
                  f"{name} ({k['anchor']}) is not on tensor cores")
    for strategy in a.expect_strategy:
        check(strategy in strategies, f"no kernel uses strategy {strategy}")
    for mode in a.expect_mode:
        check(mode in modes, f"no kernel uses mma mode {mode}")
    if a.no_square:
        for b in manifest["buffers"]:
            shape = b["shape"]
            check(not (len(shape) >= 4 and shape[-1] == a.no_square and
                       shape[-2] == a.no_square),
                  f"buffer {b['name']} {shape} holds [B, H, T, T] scores")
    for f in failures:
        print("FAIL: " + f)
    print(f"{len(report['kernels'])} kernels, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
