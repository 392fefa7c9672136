//===- TensorFile.h - .npy and .safetensors files, MLIR-free ----*- C++ -*-===//
//
// Reads and writes tensors as NumPy .npy files (format v1/v2/v3, C order,
// little-endian f2 f4 f8 b1 i4 i8) and .safetensors files (F16 BF16 F32 F64
// BOOL I32 I64). The header-only readers give dtype and shape without
// reading the data, so the frontend can check a weight file cheaply; they
// still check that the file is long enough to hold the data.
//
// Every function returns false on failure and sets `err` to one line that
// names the file and says what is wrong ("w.npy: truncated: ..."). Writers
// write `<path>.tmp-<pid>` and rename it over `path`, so a failed or
// interrupted write never leaves a half-written output.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_IO_TENSORFILE_H
#define DLC_RUNTIME_IO_TENSORFILE_H

#include "runtime/core/HostTensor.h"

#include <map>
#include <string>
#include <vector>

namespace dlc {

/// What a header says: element type and shape.
struct TensorInfo {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// The most elements a file's tensor may have (2^40), so that a corrupt
/// header cannot ask for an absurd allocation.
inline constexpr int64_t kMaxFileElements = int64_t(1) << 40;

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

bool readNpy(const std::string &path, HostTensor &out, std::string &err);
/// An .npy file's contents already in memory (an .npz member); errors name
/// `name`.
bool readNpyBytes(const std::string &name, const std::string &bytes,
                  HostTensor &out, std::string &err);
bool readNpyHeader(const std::string &path, TensorInfo &out, std::string &err);
/// Fails for bf16, which has no .npy dtype.
bool writeNpy(const std::string &path, const HostTensor &t, std::string &err);

//===----------------------------------------------------------------------===//
// .safetensors
//===----------------------------------------------------------------------===//

bool readSafetensors(const std::string &path,
                     std::map<std::string, HostTensor> &out, std::string &err);
bool readSafetensorsHeader(const std::string &path,
                           std::map<std::string, TensorInfo> &out,
                           std::string &err);
/// Tensors are stored in key order; the header is padded to 8 bytes.
bool writeSafetensors(const std::string &path,
                      const std::map<std::string, HostTensor> &tensors,
                      std::string &err);

//===----------------------------------------------------------------------===//
// Either format, by extension (.npy or .safetensors)
//===----------------------------------------------------------------------===//

/// True when `path` ends in .npy or .safetensors.
bool isTensorFile(const std::string &path);
/// One tensor: the whole .npy file, or `key` of a .safetensors file (`key`
/// must be empty for .npy and may be empty for a .safetensors file that
/// holds exactly one tensor).
bool readTensorFile(const std::string &path, const std::string &key,
                    HostTensor &out, std::string &err);
bool readTensorFileHeader(const std::string &path, const std::string &key,
                          TensorInfo &out, std::string &err);

} // namespace dlc

#endif // DLC_RUNTIME_IO_TENSORFILE_H
