"""A .npy reader/writer and comparer without numpy, for the run-cpu tests.

  npytool.py random OUT.npy DTYPE SHAPE [--seed N] [--low L --high H]
      DTYPE f32|f64|i64|i32; SHAPE like 8,1,28,28; uniform values in
      [low, high) (integers: [low, high))
  npytool.py compare A.npy B.npy [--rtol R] [--atol A]
      exit 1 (with the worst element) unless |a - b| <= atol + rtol * |b|
      everywhere, shapes and dtypes match, and A has no NaN that B lacks
"""
import argparse, ast, math, random, struct, sys

CODES = {"f32": ("<f4", "f", 4), "f64": ("<f8", "d", 8),
         "i64": ("<i8", "q", 8), "i32": ("<i4", "i", 4)}
BY_DESCR = {v[0]: (v[1], v[2]) for v in CODES.values()}
BY_DESCR["<f2"] = ("e", 2)


def write(path, dtype, shape, values):
    descr, fmt, _ = CODES[dtype]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d," % d for d in shape) if len(shape) != 1
        else "%d," % shape[0])
    header = header.ljust(118 - len(header) % 64 + len(header) % 64) if False else header
    pad = 64 - (10 + len(header) + 1) % 64
    header += " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path + ": not a .npy file"
    major = data[6]
    if major == 1:
        (hlen,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (hlen,), start = struct.unpack("<I", data[8:12]), 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    fmt, size = BY_DESCR[header["descr"]]
    shape = tuple(header["shape"])
    n = math.prod(shape)
    body = data[start + hlen:]
    return header["descr"], shape, list(struct.unpack("<%d%s" % (n, fmt),
                                                       body[:n * size]))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("random")
    r.add_argument("out"), r.add_argument("dtype"), r.add_argument("shape")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--low", type=float, default=-1.0)
    r.add_argument("--high", type=float, default=1.0)
    c = sub.add_parser("compare")
    c.add_argument("a"), c.add_argument("b")
    c.add_argument("--rtol", type=float, default=1e-4)
    c.add_argument("--atol", type=float, default=1e-5)
    args = p.parse_args()
    if args.cmd == "random":
        shape = [int(d) for d in args.shape.split(",") if d]
        rng = random.Random(args.seed)
        n = math.prod(shape)
        if args.dtype.startswith("i"):
            vals = [rng.randrange(int(args.low), int(args.high)) for _ in range(n)]
        else:
            vals = [rng.uniform(args.low, args.high) for _ in range(n)]
        write(args.out, args.dtype, shape, vals)
        return 0
    da, sa, a = read(args.a)
    db, sb, b = read(args.b)
    if (da, sa) != (db, sb):
        print("mismatch: %s is %s %s, %s is %s %s" % (args.a, da, sa, args.b, db, sb))
        return 1
    worst, where = -1.0, None
    for i, (x, y) in enumerate(zip(a, b)):
        if math.isnan(x) or math.isnan(y):
            if math.isnan(x) and math.isnan(y):
                continue
            print("element %d: %r vs %r" % (i, x, y))
            return 1
        excess = abs(x - y) - (args.atol + args.rtol * abs(y))
        if excess > worst:
            worst, where = excess, i
    if worst > 0:
        print("element %d: %r vs %r exceeds atol %g + rtol %g" %
              (where, a[where], b[where], args.atol, args.rtol))
        return 1
    print("ok: %d elements within rtol %g, atol %g" % (len(a), args.rtol, args.atol))
    return 0


if __name__ == "__main__":
    sys.exit(main())
