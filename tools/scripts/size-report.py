#!/usr/bin/env python3
"""Lines per top-level folder, files over a line limit and functions over a
length limit in the compiler and runtime sources.

    tools/scripts/size-report.py [--file-limit 1000] [--function-limit 150]

A function is a brace block whose opening line ends a definition at
namespace level (not a class, struct, enum or namespace); its length counts
the lines from the signature's first line to the closing brace. Exit code 1
when any file or function is over its limit, so CI and reviewers can use it.
"""
import argparse
import os
import re
import sys

FOLDERS = ["frontend", "ir", "passes", "codegen", "runtime", "tools", "train",
           "tune"]
EXTS = (".cpp", ".h")
NOT_FUNCTION = re.compile(r"^\s*(namespace|class|struct|enum|union|extern)\b|=\s*\{?$")


def functions(lines):
    """Yields (name, first line, length) of the namespace-level functions."""
    depth = 0
    stack = []  # (depth before the '{', is_function, start line, name)
    sig_start = None
    for i, line in enumerate(lines):
        code = re.sub(r'//.*$|"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', "", line)
        stripped = code.strip()
        in_function = any(f for _, f, _, _ in stack)
        if not in_function and stripped and sig_start is None and \
                not stripped.startswith(("#", "}", "//")):
            sig_start = i
        for ch in code:
            if ch == "{":
                is_fn = False
                name = ""
                if not in_function and sig_start is not None:
                    head = " ".join(l.strip() for l in lines[sig_start:i + 1])
                    if "(" in head and not NOT_FUNCTION.search(head.split("(")[0]) \
                            and not re.match(r"^\s*(namespace|class|struct|enum|union)\b", head):
                        is_fn = True
                        m = re.search(r"([\w:~<>]+)\s*\(", head)
                        name = m.group(1) if m else head[:40]
                stack.append((depth, is_fn, sig_start if is_fn else i, name))
                depth += 1
                in_function = in_function or is_fn
            elif ch == "}":
                depth -= 1
                if stack:
                    _, is_fn, start, name = stack.pop()
                    if is_fn:
                        yield name, start + 1, i - start + 1
                        sig_start = None
                        in_function = False
        if not in_function and (stripped.endswith((";", "}", "{")) or
                                stripped.startswith("#") or not stripped):
            sig_start = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file-limit", type=int, default=1000)
    ap.add_argument("--function-limit", type=int, default=150)
    ap.add_argument("--quiet", action="store_true",
                    help="print only what is over a limit")
    args = ap.parse_args()
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    os.chdir(root)
    over = 0
    for folder in FOLDERS:
        total = 0
        for dirpath, _, names in os.walk(folder):
            for n in sorted(names):
                if not n.endswith(EXTS):
                    continue
                path = os.path.join(dirpath, n)
                lines = open(path, encoding="utf-8").read().split("\n")
                total += len(lines)
                if len(lines) > args.file_limit:
                    print(f"file over {args.file_limit} lines: {path} ({len(lines)})")
                    over += 1
                for name, start, length in functions(lines):
                    if length > args.function_limit:
                        print(f"function over {args.function_limit} lines: "
                              f"{path}:{start} {name} ({length})")
                        over += 1
        if not args.quiet and os.path.isdir(folder):
            print(f"{folder}/ {total} lines")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
