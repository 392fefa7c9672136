//===- OnnxTensor.cpp - ONNX TensorProto <-> HostTensor -------------------===//
#include "frontend/OnnxTensor.h"

#include <cstring>
#include <fstream>

namespace dlc {

using onnx::TensorProto;

std::optional<DType> dtypeOfOnnx(int onnxType) {
  switch (onnxType) {
  case TensorProto::FLOAT: return DType::F32;
  case TensorProto::DOUBLE: return DType::F64;
  case TensorProto::FLOAT16: return DType::F16;
  case TensorProto::BFLOAT16: return DType::BF16;
  case TensorProto::BOOL: return DType::I1;
  case TensorProto::INT32: return DType::I32;
  case TensorProto::INT64: return DType::I64;
  default: return std::nullopt;
  }
}

std::string onnxTypeName(int onnxType) {
  if (TensorProto::DataType_IsValid(onnxType))
    return TensorProto::DataType_Name(TensorProto::DataType(onnxType));
  return "type " + std::to_string(onnxType);
}

bool tensorFromProto(const TensorProto &t, HostTensor &out, std::string &err) {
  auto dtype = dtypeOfOnnx(t.data_type());
  if (!dtype) {
    err = "unsupported element type " + onnxTypeName(t.data_type());
    return false;
  }
  std::vector<int64_t> shape(t.dims().begin(), t.dims().end());
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      err = "negative dim " + std::to_string(d) + " in shape " +
            formatShape(shape);
      return false;
    }
    if (d != 0 && numel > kMaxOnnxElements / d) {
      err = "shape " + formatShape(shape) + " is too large";
      return false;
    }
    numel *= d;
  }
  if (numel > kMaxOnnxElements) {
    err = "shape " + formatShape(shape) + " is too large";
    return false;
  }
  if (t.data_location() == TensorProto::EXTERNAL) {
    err = "external tensor data is not supported";
    return false;
  }
  size_t elem = dtypeSize(*dtype);
  out.dtype = *dtype;
  out.shape = shape;
  out.bytes.assign(size_t(numel) * elem, 0);
  auto mismatch = [&](int64_t got) {
    err = "shape " + formatShape(shape) + " needs " + std::to_string(numel) +
          " values, the tensor holds " + std::to_string(got);
    return false;
  };
  // An empty tensor has null data pointers, which memcpy must not get.
  auto copy = [&](const void *from) {
    if (!out.bytes.empty())
      std::memcpy(out.bytes.data(), from, out.bytes.size());
    return true;
  };
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    if (raw.size() != out.bytes.size())
      return mismatch(int64_t(raw.size() / elem));
    return copy(raw.data());
  }
  uint8_t *p = out.bytes.data();
  switch (*dtype) {
  case DType::F32:
    if (t.float_data_size() != numel)
      return mismatch(t.float_data_size());
    return copy(t.float_data().data());
  case DType::F64:
    if (t.double_data_size() != numel)
      return mismatch(t.double_data_size());
    return copy(t.double_data().data());
  case DType::I64:
    if (t.int64_data_size() != numel)
      return mismatch(t.int64_data_size());
    return copy(t.int64_data().data());
  default:
    // int32_data holds i32, bool and the bits of f16/bf16.
    if (t.int32_data_size() != numel)
      return mismatch(t.int32_data_size());
    for (int64_t i = 0; i < numel; ++i) {
      int32_t v = t.int32_data(i);
      if (*dtype == DType::I32)
        std::memcpy(p + 4 * i, &v, 4);
      else if (*dtype == DType::I1)
        p[i] = v != 0;
      else {
        uint16_t bits = uint16_t(v);
        std::memcpy(p + 2 * i, &bits, 2);
      }
    }
    return true;
  }
}

bool readTensorProtoFile(const std::string &path, HostTensor &out,
                         std::string &name, std::string &err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = path + ": cannot open";
    return false;
  }
  TensorProto t;
  if (!t.ParseFromIstream(&in)) {
    err = path + ": not a valid ONNX TensorProto";
    return false;
  }
  name = t.name();
  if (!tensorFromProto(t, out, err)) {
    err = path + ": " + err;
    return false;
  }
  return true;
}

bool readOnnxModel(const std::string &path, onnx::ModelProto &model,
                   std::string &err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot read model file '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (!model.ParseFromIstream(&in)) {
    err = "not a valid ONNX model (the protobuf does not parse: truncated "
          "or corrupt file?)";
    return false;
  }
  return true;
}

} // namespace dlc
