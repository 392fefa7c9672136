#!/usr/bin/env python3
"""Writes tools/fuzz/onnx.dict, the libFuzzer dictionary of dlc-fuzz-onnx:
the protobuf field keys of the ONNX messages the importer reads, varints at
the edges of the integer ranges, and the op types the importer maps
(scraped from the converters in frontend/onnx/) and attribute names, each bare and
as a whole length-delimited field (NodeProto.op_type, AttributeProto.name),
so one mutation swaps one op or attribute for another.
Usage: tools/fuzz/gen-onnx-dict.py (from anywhere; rewrites the file)."""
import os
import re

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
onnx_dir = os.path.join(root, "frontend", "onnx")
src = "".join(open(os.path.join(onnx_dir, f)).read()
              for f in sorted(os.listdir(onnx_dir)) if f.endswith(".cpp"))
ops = sorted(set(re.findall(r'"([A-Z][A-Za-z]+)"', src)) - {"NOTSET", "VALID"})
attrs = ("allowzero alpha auto_pad axes axis beta bias broadcast ceil_mode "
         "count_include_pad detect_negative detect_positive dilations end ends "
         "epsilon gamma group indices is_test keepdims kernel_shape lambd mode "
         "momentum noop_with_empty_axes pads perm ratio seed spatial split "
         "stash_type start starts steps storage_order strides to training_mode "
         "value value_float value_floats value_int value_ints value_string "
         "value_strings value_tensor").split()
# (field number, wire type) per onnx.proto.
keys = {
    "model_ir_version": (1, 0), "model_producer": (2, 2),
    "model_graph": (7, 2), "model_opset_import": (8, 2),
    "opset_domain": (1, 2), "opset_version": (2, 0),
    "graph_node": (1, 2), "graph_name": (2, 2), "graph_initializer": (5, 2),
    "graph_input": (11, 2), "graph_output": (12, 2),
    "graph_value_info": (13, 2),
    "node_input": (1, 2), "node_output": (2, 2), "node_name": (3, 2),
    "node_op_type": (4, 2), "node_attribute": (5, 2), "node_domain": (7, 2),
    "attr_name": (1, 2), "attr_f": (2, 5), "attr_i": (3, 0), "attr_s": (4, 2),
    "attr_t": (5, 2), "attr_g": (6, 2), "attr_floats": (7, 2),
    "attr_ints": (8, 2), "attr_strings": (9, 2), "attr_type": (20, 0),
    "tensor_dims": (1, 2), "tensor_dim": (1, 0), "tensor_data_type": (2, 0),
    "tensor_float_data": (4, 2), "tensor_int32_data": (5, 2),
    "tensor_string_data": (6, 2), "tensor_int64_data": (7, 2),
    "tensor_name": (8, 2), "tensor_raw_data": (9, 2),
    "tensor_double_data": (10, 2), "tensor_external_data": (13, 2),
    "tensor_data_location": (14, 0),
    "valueinfo_type": (2, 2), "type_tensor_type": (1, 2),
    "tensortype_elem_type": (1, 0), "tensortype_shape": (2, 2),
    "shape_dim": (1, 2), "dim_value": (1, 0), "dim_param": (2, 2),
}


def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def esc(b):
    return "".join(chr(c) if 32 <= c < 127 and chr(c) not in '"\\'
                   else "\\x%02x" % c for c in b)


lines = ["# libFuzzer dictionary for dlc-fuzz-onnx, written by",
         "# tools/fuzz/gen-onnx-dict.py (rerun it when ops are added)."]
add = lambda name, b: lines.append('%s="%s"' % (name, esc(b)))
for k, (num, wire) in keys.items():
    add(k, varint((num << 3) | wire))
for n in [0, 1, 2, 3, 4, 6, 7, 9, 10, 11, 13, 16, 17, 18, 127, 128, 255,
          1 << 31, (1 << 31) - 1, 1 << 32, 1 << 40, (1 << 63) - 1, -1, -2,
          -(1 << 63)]:
    add("varint_%s" % str(n).replace("-", "m"), varint(n))
add("float_nan", b"\x00\x00\xc0\x7f")
add("float_inf", b"\x00\x00\x80\x7f")
add("float_one", b"\x00\x00\x80\x3f")
for o in ops:
    add("op_" + o, o.encode())
    add("op_field_" + o, b"\x22" + varint(len(o)) + o.encode())
for a in attrs:
    add("attr_" + a, a.encode())
    add("attr_field_" + a, b"\x0a" + varint(len(a)) + a.encode())
for s in ["ai.onnx", "ai.onnx.ml", "com.microsoft", "NOTSET", "SAME_UPPER",
          "SAME_LOWER", "VALID", "constant", "reflect", "edge", "N", "batch"]:
    add("str_" + re.sub(r"\W", "_", s), s.encode())
with open(os.path.join(root, "tools", "fuzz", "onnx.dict"), "w") as f:
    f.write("\n".join(lines) + "\n")
