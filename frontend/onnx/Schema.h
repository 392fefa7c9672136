//===- Schema.h - ONNX op schema facts the importer checks ------*- C++ -*-===//
//
// What libonnx's op schemas say about a node's arity, behind a small
// interface so that libonnx's headers (and their ONNX_ML switch) stay in
// Schema.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_ONNX_SCHEMA_H
#define DLC_FRONTEND_ONNX_SCHEMA_H

#include <optional>
#include <string>

namespace dlc::onnx_import {

/// Input and output counts an op allows; max is INT_MAX when unbounded.
struct OnnxArity {
  int minInputs, maxInputs, minOutputs, maxOutputs;
};

/// The arity of the default-domain op `opType` at `opset`; nullopt when
/// ONNX defines no such op there.
std::optional<OnnxArity> onnxArity(const std::string &opType, int opset);

} // namespace dlc::onnx_import

#endif // DLC_FRONTEND_ONNX_SCHEMA_H
