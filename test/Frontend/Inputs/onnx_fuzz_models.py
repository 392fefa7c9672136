#!/usr/bin/env python3
"""Writes the ONNX models behind the crashes dlc-fuzz-onnx found
(docs/hardening.md), one per bug, into a directory, for
test/Frontend/onnx-fuzz-regressions.test. Each used to crash the importer
(UBSan report, assertion or LLVM fatal error); each must now import or
fail with an error naming the node."""
import os
import sys

import onnx
from onnx import TensorProto, helper


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def ints(name, values):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def save(out, name, nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(m, os.path.join(out, name + ".onnx"))


def main(out):
    os.makedirs(out, exist_ok=True)
    x = vi("x", [2, 3])
    # Reshape: the product of the shape entries overflowed int64.
    save(out, "reshape_overflow",
         [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
         [x], [vi("y", [6])], [ints("s", [3, 5504915475376984579, -1])])
    # Reshape: a negative entry other than -1.
    save(out, "reshape_negative",
         [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
         [x], [vi("y", [6])], [ints("s", [-2, -3])])
    # Conv: a weight of rank 1 (dropping 2 dims of it asserted).
    save(out, "conv_weight_rank",
         [helper.make_node("Conv", ["x", "w"], ["y"], name="c")],
         [vi("x", [1, 1, 4, 4]), vi("w", [3])], [vi("y", [1, 1, 2, 2])])
    # Tile: a huge repeat (an LLVM fatal error growing a SmallVector).
    save(out, "tile_huge",
         [helper.make_node("Tile", ["x", "r"], ["y"], name="t")],
         [x], [vi("y", [2, 3])], [ints("r", [1, 274877906947])])
    # Tile: fewer repeats than dims (read past the list).
    save(out, "tile_rank",
         [helper.make_node("Tile", ["x", "r"], ["y"], name="t")],
         [x], [vi("y", [2, 3])], [ints("r", [2])])
    # A required input left empty: a null value dereferenced.
    save(out, "missing_input",
         [helper.make_node("Pow", ["x", ""], ["y"], name="p")],
         [x], [vi("y", [2, 3])])
    save(out, "missing_first_input",
         [helper.make_node("Transpose", [""], ["y"], name="t")],
         [x], [vi("y", [3, 2])])
    # Split with no outputs: a division by zero (found after 555,416 runs).
    save(out, "split_no_outputs",
         [helper.make_node("Split", ["x"], [], name="s", axis=1)],
         [x], [vi("y", [2, 3])], opset=11)
    # Split sizes past the dim.
    save(out, "split_sizes",
         [helper.make_node("Split", ["x"], ["a", "b"], name="s", axis=1,
                           split=[2, 2])],
         [x], [vi("a", [2, 2])], opset=11)
    # A float initializer with no elements and no data: memcpy from the
    # empty repeated field's null data (found after 116,815 runs). Valid:
    # concatenating it changes nothing.
    empty = TensorProto(name="e", data_type=TensorProto.FLOAT)
    empty.dims.extend([0])
    save(out, "empty_initializer",
         [helper.make_node("Concat", ["v", "e"], ["y"], name="c", axis=0)],
         [vi("v", [3])], [vi("y", [3])], [empty])
    # Shape with an empty slice: memcpy from an empty vector's null data.
    # Valid: y is x itself, the empty shape only feeds nothing.
    save(out, "shape_empty",
         [helper.make_node("Shape", ["x"], ["s"], name="s", start=1, end=1),
          helper.make_node("Identity", ["x"], ["y"], name="i")],
         [x], [vi("y", [2, 3])])


if __name__ == "__main__":
    main(sys.argv[1])
