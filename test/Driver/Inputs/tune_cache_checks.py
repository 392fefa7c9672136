"""Checks that a `dlc tune` cache has the documented format (docs/schedule.md:
version 1; entries with target, signature and a schedule of tunable keys
only) and prints FileCheck lines that the `--dump-ir=dlc-tile` output of the
same model must match: each tuned fusion's schedule as the cache says.

    python3 tune_cache_checks.py tune.json > expected.txt
"""
import json
import re
import sys

ALLOWED = {"tiled_gemm": {"tile", "warps", "stages", "mma"},
           "row_reduce": {"threads_per_row", "rows_per_block"}}

cache = json.load(open(sys.argv[1]))
assert cache["version"] == 1, cache
assert cache["entries"], "no entries"
for e in cache["entries"]:
    assert set(e) == {"target", "signature", "schedule"}, e
    assert e["target"] in ("sm_80", "sm_90"), e
    keys = set(e["schedule"])
    kind = "tiled_gemm" if "tile" in keys else "row_reduce"
    assert keys == ALLOWED[kind], e
    s = e["schedule"]
    # FileCheck reads [[...]] as a variable: brackets as regexes.
    sig = re.sub(r"[][]", lambda m: "{{\\" + m.group() + "}}", e["signature"])
    print("CHECK: dlc.fusion")
    if kind == "tiled_gemm":
        # The dictionary prints its keys sorted: mma, ..., signature, stages,
        # strategy, target, tile, ..., warps.
        print(f'CHECK-SAME: mma = "{s["mma"]}"')
        print(f'CHECK-SAME: signature = "{sig}", stages = {s["stages"]} : i64, '
              f'strategy = "tiled_gemm", target = "{e["target"]}", '
              f'tile = array<i64: {", ".join(map(str, s["tile"]))}>')
        print(f'CHECK-SAME: warps = array<i64: {", ".join(map(str, s["warps"]))}>')
    else:
        print(f'CHECK-SAME: rows_per_block = {s["rows_per_block"]} : i64')
        print(f'CHECK-SAME: signature = "{sig}", strategy = "row_reduce", '
              f'target = "{e["target"]}", threads_per_row = {s["threads_per_row"]} : i64')
