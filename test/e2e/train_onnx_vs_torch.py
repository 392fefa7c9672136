"""dlc train on ONNX models exported from PyTorch, against torch.optim.

A small MLP and a small CNN are exported at opset 13 and 17. Each is trained
for 5 steps by `dlc train model.onnx --data train.npz --loss cross_entropy
--optimizer sgd --lr 0.1 --no-shuffle` and by PyTorch (the same initial
weights, batches in file order, F.cross_entropy with mean reduction,
torch.optim.SGD); the params in dlc's checkpoint after the epoch must match
PyTorch's: relative L2 error <= 1e-4 (f32), and the --metrics log has
PyTorch's loss and accuracy for each step. Then, on the first device, an
MLP with each other --loss (nll, mse, bce_with_logits) and with the other
optimizer flags (sgd with momentum and weight decay, adam, adamw). Prints one line per case and a
summary; exit 1 on any mismatch.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

BATCH, STEPS, CLASSES, LR, TOL = 8, 5, 5, 0.1, 1e-4


def mlp():
    return torch.nn.Sequential(
        torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, CLASSES)
    ), (20,)


def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, CLASSES)
    ), (1, 8, 8)


def mlp_logsoftmax():
    m, shape = mlp()
    return torch.nn.Sequential(m, torch.nn.LogSoftmax(dim=1)), shape


# The other losses and optimizers through the same flags: (model, --loss,
# target maker, torch loss, optimizer flags, torch optimizer).
LOSSES = {
    "nll": (mlp_logsoftmax, lambda n: torch.randint(0, CLASSES, (n,)),
            F.nll_loss),
    "mse": (mlp, lambda n: torch.randn(n, CLASSES), F.mse_loss),
    "bce_with_logits": (mlp, lambda n: torch.rand(n, CLASSES),
                        F.binary_cross_entropy_with_logits),
}
OPTIMIZERS = {
    "sgd_momentum": (["--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9",
                      "--weight-decay", "0.01"],
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9,
                                               weight_decay=0.01)),
    "adamw": (["--optimizer", "adamw", "--lr", "0.01"],
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01)),
    "adam": (["--optimizer", "adam", "--lr", "0.01", "--weight-decay", "0.1"],
             lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1)),
}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtypes[v["dtype"]]).reshape(v["shape"])
    return out


def run_case(name, build, opset, device, dlc, work, loss="cross_entropy",
             target=lambda n: torch.randint(0, CLASSES, (n,)),
             loss_fn=F.cross_entropy, opt_flags=None,
             make_opt=lambda p: torch.optim.SGD(p, lr=LR)):
    torch.manual_seed(7)
    model, shape = build()
    x = torch.randn(BATCH * STEPS, *shape)
    y = target(BATCH * STEPS)
    onnx_path = os.path.join(work, f"{name}{opset}.onnx")
    torch.onnx.export(model, x[:BATCH], onnx_path, opset_version=opset,
                      input_names=["x"], output_names=["logits"])
    data = os.path.join(work, f"{name}{opset}.npz")
    np.savez(data, x=x.numpy(), y=y.numpy())
    ckpt = os.path.join(work, f"{name}{opset}-{device}")
    opt_flags = opt_flags or ["--optimizer", "sgd", "--lr", str(LR)]
    cmd = [dlc, "train", onnx_path, "--data", data, "--loss", loss] + \
        opt_flags + ["--no-shuffle", "--metrics", ckpt + ".jsonl",
           "--epochs", "1", "--device=" + device, "--checkpoint-dir", ckpt]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL {name} opset {opset} {device}: dlc exit {r.returncode}\n"
              f"{' '.join(cmd)}\n{r.stdout}{r.stderr}")
        return False
    got = read_safetensors(os.path.join(ckpt, "epoch-0001.safetensors"))

    opt = make_opt(model.parameters())
    for s in range(STEPS):
        opt.zero_grad()
        loss_fn(model(x[s * BATCH:(s + 1) * BATCH]),
                        y[s * BATCH:(s + 1) * BATCH]).backward()
        opt.step()
    worst, ok = 0.0, True
    params = dict(model.named_parameters())
    dlc_names = sorted(k[len("param/"):] for k in got if k.startswith("param/"))
    if sorted(params) != dlc_names:
        print(f"FAIL {name} opset {opset} {device}: params {dlc_names}, "
              f"torch has {sorted(params)}")
        return False
    for pname, p in params.items():
        want = p.detach().numpy().astype(np.float64)
        have = got["param/" + pname].astype(np.float64)
        err = np.linalg.norm(have - want) / max(np.linalg.norm(want), 1e-30)
        worst = max(worst, err)
        if not err <= TOL:
            ok = False
            print(f"  {pname}: relative L2 {err:.3g} > {TOL}")
    print(f"{'ok  ' if ok else 'FAIL'} {name} opset {opset} {device}: "
          f"{len(params)} params after {STEPS} steps, worst relative L2 "
          f"{worst:.2e}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--devices", default="reference,cpu")
    ap.add_argument("--keep", help="keep the files in this directory")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="dlc-train-onnx-")
    os.makedirs(work, exist_ok=True)
    cases = [(n, b, o, d) for n, b in (("mlp", mlp), ("cnn", cnn))
             for o in (13, 17) for d in args.devices.split(",")]
    passed = sum(run_case(n, b, o, d, args.dlc, work) for n, b, o, d in cases)
    device = args.devices.split(",")[0]
    for loss, (build, target, fn) in LOSSES.items():
        cases.append(loss)
        passed += run_case("mlp-" + loss, build, 17, device, args.dlc, work,
                           loss, target, fn)
    for opt, (flags, make) in OPTIMIZERS.items():
        cases.append(opt)
        passed += run_case("mlp-" + opt, mlp, 17, device, args.dlc, work,
                           opt_flags=flags, make_opt=make)
    print(f"summary: {passed} of {len(cases)} match torch.optim")
    return 0 if passed == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
