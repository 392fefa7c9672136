//===- OnnxTensor.h - ONNX TensorProto <-> HostTensor -----------*- C++ -*-===//
//
// Shared by the ONNX importer (initializers, Constant nodes) and the
// conformance runner (input_*.pb / output_*.pb). Only the element types dlc
// has (f16 bf16 f32 f64 bool i32 i64) convert; the rest are reported as
// unsupported by name.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_ONNXTENSOR_H
#define DLC_FRONTEND_ONNXTENSOR_H

#include "runtime/core/HostTensor.h"

// Debian's generated header, without onnx_pb.h's ONNX_ML switch: ONNX_API
// marks symbols for a DLL build and is empty here.
#ifndef ONNX_API
#define ONNX_API
#endif
#include "onnx/onnx-ml.pb.h"

#include <optional>
#include <string>

namespace dlc {

/// The dlc element type of an ONNX TensorProto::DataType, if dlc has one.
std::optional<DType> dtypeOfOnnx(int onnxType);
/// "FLOAT", "UINT8", ... (or "type <n>").
std::string onnxTypeName(int onnxType);

/// The elements an imported tensor may have (2^31: a model file is at most
/// 2 GiB anyway), so that a corrupt file cannot ask for an absurd buffer.
inline constexpr int64_t kMaxOnnxElements = int64_t(1) << 31;

/// Converts `t` (raw_data or the typed fields). False with `err` (one line,
/// no prefix) for an unsupported element type, negative or absurd dims,
/// external or missing data, or a data size that does not match the dims.
bool tensorFromProto(const onnx::TensorProto &t, HostTensor &out,
                     std::string &err);

/// Reads a serialized TensorProto (.pb file of the ONNX backend tests);
/// `name` gets the tensor's name.
bool readTensorProtoFile(const std::string &path, HostTensor &out,
                         std::string &name, std::string &err);

/// Parses a serialized ModelProto; false with `err` for a file that cannot
/// be read or is not a valid ModelProto (truncated, random bytes).
bool readOnnxModel(const std::string &path, onnx::ModelProto &model,
                   std::string &err);

} // namespace dlc

#endif // DLC_FRONTEND_ONNXTENSOR_H
