#!/usr/bin/env python3
"""Writes the resource-limit models of test/Frontend/limits.test.

  gen-limits.py chain N out.json     N relu/add nodes in one dependency chain
                                     (each node takes the previous one)
  gen-limits.py wide N out.json      N nodes that all read the input, summed
                                     pairwise into one output
  gen-limits.py perm N out.json      a transpose whose "perm" has N entries
  gen-limits.py rank N out.json      an input of rank N (all dims 1)
  gen-limits.py nest N out.json      a "format" value nested N lists deep
  gen-limits.py constant N out.json  a constant with N elements

The nodes are written in reverse order for "chain", so the importer's
topological sort has to walk the whole chain from the output down.
"""
import json
import sys


def model(inputs, nodes, outputs):
    return {"format": "dlc-model", "version": 1, "inputs": inputs,
            "nodes": nodes, "outputs": outputs}


def main():
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x = [{"name": "x", "shape": [2, 3]}]
    if kind == "chain":
        nodes = [{"name": "n0", "op": "relu", "inputs": ["x"]}]
        for i in range(1, n):
            op = "relu" if i % 2 else "add"
            ins = [f"n{i-1}"] if op == "relu" else [f"n{i-1}", "x"]
            nodes.append({"name": f"n{i}", "op": op, "inputs": ins})
        m = model(x, nodes[::-1], [f"n{n-1}"])
    elif kind == "wide":
        nodes = [{"name": f"e{i}", "op": "exp", "inputs": ["x"]}
                 for i in range(n)]
        level = [f"e{i}" for i in range(n)]
        k = 0
        while len(level) > 1:
            nxt = []
            for a, b in zip(level[0::2], level[1::2]):
                nodes.append({"name": f"s{k}", "op": "add", "inputs": [a, b]})
                nxt.append(f"s{k}")
                k += 1
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        m = model(x, nodes, level)
    elif kind == "perm":
        m = model(x, [{"name": "t", "op": "transpose", "inputs": ["x"],
                       "attributes": {"perm": list(range(n))}}], ["t"])
    elif kind == "rank":
        m = model([{"name": "x", "shape": [1] * n}],
                  [{"name": "y", "op": "relu", "inputs": ["x"]}], ["y"])
    elif kind == "nest":
        text = json.dumps(model(x, [{"name": "y", "op": "relu",
                                     "inputs": ["x"]}], ["y"]))
        text = text.replace('"dlc-model"', "[" * n + "]" * n, 1)
        with open(out, "w") as f:
            f.write(text)
        return
    elif kind == "constant":
        m = model(x, [{"name": "c", "op": "constant",
                       "attributes": {"value": [0.5] * n}}], ["c"])
    else:
        sys.exit(f"unknown kind {kind}")
    # One value per line where lists are long, so an error's source line
    # (which dlc prints under the message) stays short.
    with open(out, "w") as f:
        json.dump(m, f, indent=None if kind in ("chain", "wide") else 1,
                  separators=(",", ":"))


if __name__ == "__main__":
    main()
