//===- Schema.cpp - ONNX op schema facts from libonnx ---------------------===//
#include "frontend/onnx/Schema.h"

#include "onnx/defs/schema.h"

namespace dlc::onnx_import {

std::optional<OnnxArity> onnxArity(const std::string &opType, int opset) {
  const onnx::OpSchema *s = onnx::OpSchemaRegistry::Schema(opType, opset, "");
  if (!s)
    return std::nullopt;
  return OnnxArity{s->min_input(), s->max_input(), s->min_output(),
                   s->max_output()};
}

} // namespace dlc::onnx_import
