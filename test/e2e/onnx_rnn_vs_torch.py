#!/usr/bin/env python3
"""Exports torch.nn.LSTM and torch.nn.GRU models (2 layers, bidirectional)
to ONNX, runs each file through `dlc run model.onnx` and checks that the
output matches PyTorch's on the same weights and input.

The exporter writes one LSTM/GRU node per layer (ONNX gate order, the GRU
with linear_before_reset = 1, zero initial states as constants) with
Squeeze/Transpose/Reshape between layers. Each model's output depends on
every result of its last layer (y, and the last h and c), so y_h and y_c
are checked too.

Tolerance: float32 throughout, within rtol 1e-4 and atol 1e-5 of
PyTorch's float32 (only summation order differs).
"""
import argparse
import os
import sys
import tempfile

import torch
import torch.nn as nn

from onnx_vs_torch import compare  # same directory; same tolerances
SEQ, BATCH, FEATURES, HIDDEN = 5, 3, 8, 16


class Lstm(nn.Module):
    def __init__(self, layers, bidirectional):
        super().__init__()
        self.rnn = nn.LSTM(FEATURES, HIDDEN, num_layers=layers,
                           bidirectional=bidirectional)

    def forward(self, x):
        y, (h, c) = self.rnn(x)
        last = torch.cat([h[-1], c[-1]], dim=-1)  # [B, 2H]
        return y[..., :HIDDEN] + last[:, :HIDDEN] * last[:, HIDDEN:]


class Gru(nn.Module):
    def __init__(self, layers, bidirectional):
        super().__init__()
        self.rnn = nn.GRU(FEATURES, HIDDEN, num_layers=layers,
                          bidirectional=bidirectional)

    def forward(self, x):
        y, h = self.rnn(x)
        return y[..., :HIDDEN] * h[-1]


MODELS = {
    "lstm_2layers": lambda: Lstm(2, False),
    "lstm_bidirectional": lambda: Lstm(1, True),
    "gru_2layers": lambda: Gru(2, False),
    "gru_bidirectional_2layers": lambda: Gru(2, True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlc", default="dlc")
    ap.add_argument("--device", default="reference")
    ap.add_argument("--opset", type=int, default=14)
    ap.add_argument("models", nargs="*", default=list(MODELS))
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        for name in args.models:
            torch.manual_seed(len(name))
            model = MODELS[name]().eval()
            x = torch.randn(SEQ, BATCH, FEATURES)
            failures += not compare(args, work, env, name, model, x,
                                    args.opset)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
