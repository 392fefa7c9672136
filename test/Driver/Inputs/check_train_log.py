"""Checks a `dlc train` log: in every epoch the running loss of the last
batches is below that of the first ones, and the last epoch's test accuracy
is above the given minimum.

usage: check_train_log.py log.txt min_test_accuracy
"""
import re
import sys

pat = re.compile(r"epoch (\d+)/\d+: train loss ([\d.]+) acc ([\d.]+) \(first "
                 r"([\d.]+) last ([\d.]+) over \d+ batches\) \| test loss "
                 r"([\d.naN]+) acc ([\d.naN]+)")
epochs = [m for m in map(pat.search, open(sys.argv[1])) if m]
if not epochs:
    sys.exit("no epoch lines in " + sys.argv[1])
for m in epochs:
    first, last = float(m.group(4)), float(m.group(5))
    if not last < first:
        sys.exit(f"epoch {m.group(1)}: the loss did not fall ({first} -> {last})")
acc = float(epochs[-1].group(7))
if not acc > float(sys.argv[2]):
    sys.exit(f"test accuracy {acc} is not above {sys.argv[2]}")
print(f"ok: loss {first} -> {last}, test accuracy {acc}")
