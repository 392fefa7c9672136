#!/usr/bin/env python3
"""Writes small ONNX models for test/Frontend/onnx-*.test into a directory:
broken files (truncated, random bytes, absurd dims, missing data), models
the importer must refuse with a named node (unsupported op, attribute,
opset, schema arity, a value name defined twice), and PyTorch's flatten pattern (Shape -> Gather -> Unsqueeze ->
Concat -> Reshape) that must fold to a static reshape."""
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def main(out):
    os.makedirs(out, exist_ok=True)
    save = lambda m, n: onnx.save(m, os.path.join(out, n))
    x, y = vi("x", [2, 3, 4]), vi("y", [2, 12])

    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as PyTorch exports
    # x.view(x.size(0), -1).
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Constant", [], ["i0"], name="c0",
                         value=numpy_helper.from_array(np.array(0, np.int64))),
        helper.make_node("Gather", ["s", "i0"], ["n"], name="gather", axis=0),
        helper.make_node("Constant", [], ["ax"], name="c1",
                         value=numpy_helper.from_array(np.array([0], np.int64))),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="unsqueeze"),
        helper.make_node("Constant", [], ["m1"], name="c2",
                         value=numpy_helper.from_array(np.array([-1], np.int64))),
        helper.make_node("Concat", ["n1", "m1"], ["shape2"], name="concat",
                         axis=0),
        helper.make_node("Reshape", ["x", "shape2"], ["y"], name="reshape"),
    ]
    save(model(nodes, [x], [y]), "flatten_pattern.onnx")

    # Gemm with a float initializer (a parameter) and leaky relu.
    w = numpy_helper.from_array(np.ones((5, 12), np.float32), "fc.weight")
    save(model([helper.make_node("Flatten", ["x"], ["f"], name="flat"),
                helper.make_node("Gemm", ["f", "fc.weight"], ["g"], name="fc",
                                 transB=1),
                helper.make_node("LeakyRelu", ["g"], ["y"], name="act",
                                 alpha=0.1)],
               [x], [vi("y", [2, 5])], [w]), "gemm_param.onnx")

    conv_t = helper.make_node("ConvTranspose", ["x", "w"], ["y"],
                              name="Conv_3")
    save(model([conv_t], [vi("x", [1, 1, 4, 4]), vi("w", [1, 1, 3, 3])],
               [vi("y", [1, 1, 6, 6])]), "convtranspose.onnx")
    save(model([helper.make_node("Det", ["x"], ["y"], name="Det_3")],
               [vi("x", [3, 3])], [vi("y", [])]), "unmapped_op.onnx")
    save(model([helper.make_node("LeakyRelu", ["x"], ["y"], name="act",
                                 beta=2.0)], [x], [vi("y", [2, 3, 4])]),
         "bad_attr.onnx")
    save(model([helper.make_node("Relu", ["x"], ["y"])], [x],
               [vi("y", [2, 3, 4])], opset=18), "opset18.onnx")
    # Arity against the ONNX schema, and value names defined twice.
    x34 = vi("x", [3, 4])
    save(model([helper.make_node("Relu", ["x", "x", "x"], ["y"], name="r")],
               [x34], [vi("y", [3, 4])]), "relu_three_inputs.onnx")
    save(model([helper.make_node("Gemm", ["x", "x", "x", "x"], ["y"],
                                 name="fc", transB=1)],
               [x34], [vi("y", [3, 3])]), "gemm_four_inputs.onnx")
    save(model([helper.make_node("Relu", ["x"], ["y", "z"], name="r")],
               [x34], [vi("y", [3, 4])]), "relu_two_outputs.onnx")
    save(model([helper.make_node("Relu", ["x"], ["y"], name="r1"),
                helper.make_node("Neg", ["x"], ["y"], name="n2")],
               [x34], [vi("y", [3, 4])]), "duplicate_output.onnx")
    save(model([helper.make_node("Relu", ["x"], ["x"], name="r")],
               [x34], [vi("x", [3, 4])]), "shadow_input.onnx")
    b = numpy_helper.from_array(np.ones((3, 4), np.float32), "b")
    save(model([helper.make_node("Relu", ["x"], ["b"], name="r"),
                helper.make_node("Add", ["x", "b"], ["y"], name="add")],
               [x34], [vi("y", [3, 4])], [b]), "shadow_initializer.onnx")

    # Gather with indices given at run time (dlc.gather).
    save(model([helper.make_node("Gather", ["data", "idx"], ["y"], name="g",
                                 axis=0)],
               [vi("data", [5, 2]), vi("idx", [4], TensorProto.INT64)],
               [vi("y", [4, 2])]), "gather_runtime.onnx")

    def raw_tensor(dims):  # no size check, unlike helper.make_tensor
        t = TensorProto(name="w", data_type=TensorProto.FLOAT)
        t.dims.extend(dims)
        return t
    huge = raw_tensor([1 << 40, 1 << 40])
    save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x],
               [vi("y", [2, 3, 4])], [huge]), "huge_dims.onnx")
    empty = raw_tensor([3, 4])
    save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [x],
               [vi("y", [2, 3, 4])], [empty]), "missing_data.onnx")

    good = model([helper.make_node("Relu", ["x"], ["y"])], [x],
                 [vi("y", [2, 3, 4])]).SerializeToString()
    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(good[: len(good) // 2])
    rng = random.Random(0)
    with open(os.path.join(out, "random.onnx"), "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(512)))


if __name__ == "__main__":
    main(sys.argv[1])
