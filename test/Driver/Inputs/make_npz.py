"""Writes the .npz datasets of train-npz.test into DIR."""
import sys

import numpy as np

d = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.standard_normal((10, 3))  # f64: dlc converts to the model's f32
y = rng.integers(0, 5, 10)
np.savez(f"{d}/train.npz", x=x, y=y)
np.savez_compressed(f"{d}/val.npz", x=x[:8].astype(np.float32), y=y[:8])
np.savez(f"{d}/noy.npz", x=x)
np.savez(f"{d}/wide.npz", x=np.zeros((10, 4)), y=y)
np.savez(f"{d}/badlabel.npz", x=x, y=np.full(10, 7))
np.savez(f"{d}/floaty.npz", x=x, y=y.astype(np.float32))
np.savez(f"{d}/fewer.npz", x=x, y=y[:9])
with open(f"{d}/notzip.npz", "wb") as f:
    f.write(b"not a zip file at all, just some bytes")
np.savez(f"{d}/reg.npz", x=x.astype(np.float32),
         y=rng.standard_normal((10, 5)).astype(np.float32))
