//===- CudaEmitter.h - dlc.fusion -> CUDA C++ + manifest --------*- C++ -*-===//
//
// emitCuda turns a function whose top level is dlc.fusion ops (after
// --dlc-fuse, and normally --dlc-tile and --dlc-plan-memory) into one CUDA
// C++ source: the device prelude (codegen/prelude/dlc_device.cuh) followed
// by one __global__ kernel per fusion, named after the fusion, and a JSON
// manifest that tells the runtime the buffers, the arena size and how to
// launch each kernel in order. docs/codegen.md describes both.
//
// A fusion without a `schedule` gets a default one; a function without
// `buffer_offsets` gets intermediates packed one after another (256-byte
// aligned). An op that cannot be emitted gets an error at its location
// ("cannot be emitted as CUDA: ...") and emitCuda fails.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_CUDAEMITTER_H
#define DLC_CODEGEN_CUDAEMITTER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::dlc {

struct KernelInfo {
  std::string name;
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
  /// Dynamic shared memory to launch with (the kernels declare their shared
  /// arrays statically, so this is 0 today).
  int64_t sharedBytes = 0;
  /// Kernel parameters in order: buffer names, or "arena".
  std::vector<std::string> args;
  /// Model nodes whose ops the kernel computes.
  std::vector<std::string> nodes;
  /// The schedule's strategy and mma mode, and the op the kernel is built
  /// around ("dlc.conv2d"; empty for none), for reports.
  std::string strategy, mma, anchor;
  /// Estimated arithmetic and DRAM bytes of one launch (the kernel
  /// report's roofline): every operand read and every result written once.
  int64_t flops = 0, dramBytes = 0;
};

struct CudaProgram {
  /// kernels.cu: device prelude + kernels.
  std::string source;
  /// manifest.json (docs/codegen.md).
  std::string manifestJson;
  std::vector<KernelInfo> kernels;
  int64_t arenaBytes = 0;
};

mlir::FailureOr<CudaProgram> emitCuda(mlir::func::FuncOp func);

/// Writes kernels.cu and manifest.json of `program` into the existing
/// directory `dir` (a compiled model, docs/codegen.md), each file whole or
/// not at all; false with `err` naming the file that failed.
bool writeCudaProgram(llvm::StringRef dir, const CudaProgram &program,
                      std::string &err);

/// The device prelude, as embedded in the binary.
const char *devicePrelude();

/// `s` made safe inside a `//` comment: printable ASCII only, no backslash
/// (a line splice), no `*/`.
std::string sanitizeComment(llvm::StringRef s);

} // namespace mlir::dlc

#endif // DLC_CODEGEN_CUDAEMITTER_H
