//===- HostTensor.h - a tensor in host memory, MLIR-free --------*- C++ -*-===//
//
// The currency between files (.npy, .safetensors), weight initializers, the
// reference interpreter and the runtime: element type, shape, and the raw
// little-endian bytes, row-major.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CORE_HOSTTENSOR_H
#define DLC_RUNTIME_CORE_HOSTTENSOR_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc {

enum class DType { F16, BF16, F32, F64, I1, I32, I64 };

/// Bytes per element (i1 is stored as one byte, 0 or 1).
size_t dtypeSize(DType t);
/// The spelling used in model files and MLIR: "f16", "bf16", "f32", ...
std::string_view dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
inline bool isFloat(DType t) {
  return t == DType::F16 || t == DType::BF16 || t == DType::F32 ||
         t == DType::F64;
}

struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numel() const;
  /// A zero-filled tensor; the caller has checked that the size is sane.
  static HostTensor zeros(DType dtype, std::vector<int64_t> shape);
};

/// The number of elements of `shape`, or nullopt if a dim is negative or the
/// product overflows int64.
std::optional<int64_t> checkedNumel(const std::vector<int64_t> &shape);

/// "[2, 3, 4]"
std::string formatShape(const std::vector<int64_t> &shape);

/// "512 B", "1.5 MB", "4.0 TB" (powers of 1000, one decimal).
std::string formatBytes(uint64_t bytes);

/// Whether `bytes` of host memory can be allocated now. False, with `why`
/// ("the host has 134.7 GB of memory"), when they exceed
/// physical memory or the address-space limit (RLIMIT_AS), or malloc
/// refuses them. Callers check before allocating what a model's shapes ask
/// for, so that an impossible allocation is a user error naming the tensor
/// instead of an abort ("LLVM ERROR: out of memory").
bool checkHostMemory(uint64_t bytes, std::string &why);

} // namespace dlc

#endif // DLC_RUNTIME_CORE_HOSTTENSOR_H
