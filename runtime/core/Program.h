//===- Program.h - a compiled model: manifest + kernel source ---*- C++ -*-===//
//
// What `dlc model.json -o dir/` writes and codegen's emitCuda returns: the
// CUDA source of every kernel (kernels.cu) and manifest.json, which names
// the buffers (inputs, params, outputs, intermediates at arena offsets), the
// arena size, and each kernel's launch (grid, block, shared bytes, args) in
// the order to run them. docs/codegen.md has the manifest format;
// docs/runtime.md how a Device runs a Program. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CORE_PROGRAM_H
#define DLC_RUNTIME_CORE_PROGRAM_H

#include "runtime/core/HostTensor.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dlc {

enum class BufferRole { Input, Param, Output, Intermediate };
/// "input", "param", "output", "intermediate".
const char *bufferRoleName(BufferRole r);

struct ProgramBuffer {
  /// A C identifier (the kernels' parameter name).
  std::string name;
  /// The model's name for it ("conv1.weight"; `model_name` in the
  /// manifest); empty when the manifest does not say.
  std::string modelName;
  BufferRole role = BufferRole::Input;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Byte offset in the arena (intermediates only; -1 otherwise).
  int64_t offset = -1;
  int64_t numel() const;
  int64_t byteSize() const;
};

struct ProgramKernel {
  std::string name;
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
  int64_t sharedBytes = 0;
  /// Kernel parameters in order: buffer names (inputs, params, outputs), or
  /// "arena" for the arena base pointer.
  std::vector<std::string> args;
  std::vector<std::string> nodes;
  /// How the kernel was built ("tiled_gemm", mma "mma_sync_bf16"); empty
  /// or "none" when the manifest does not say.
  std::string strategy, mma;
  /// The op the kernel is built around ("dlc.conv2d"), when it says.
  std::string anchor;
  /// Arithmetic and DRAM traffic of one launch, as the compiler estimates
  /// them (the kernel report's roofline); 0 when unknown.
  int64_t flops = 0, dramBytes = 0;
};

/// The name of the arena argument in ProgramKernel::args.
inline constexpr const char *kArenaArg = "arena";

class Program {
public:
  /// Parses and checks a manifest; `source` is the kernels' CUDA C++. False
  /// with `err` naming the field ("manifest: kernels[2].grid: expects 3
  /// positive integers") on any problem: unknown dtype or role, a kernel arg
  /// that names no buffer, an intermediate outside the arena, ...
  static bool parse(const std::string &manifestJson, std::string source,
                    Program &out, std::string &err);
  /// Reads <dir>/manifest.json and <dir>/kernels.cu.
  static bool load(const std::string &dir, Program &out, std::string &err);

  const std::string &source() const { return source_; }
  const std::vector<ProgramBuffer> &buffers() const { return buffers_; }
  const std::vector<ProgramKernel> &kernels() const { return kernels_; }
  int64_t arenaBytes() const { return arenaBytes_; }
  /// "sm_90", ...; empty when the manifest has none.
  const std::string &target() const { return target_; }
  /// The buffer named `name`, or null.
  const ProgramBuffer *buffer(const std::string &name) const;

private:
  std::string source_, target_;
  std::vector<ProgramBuffer> buffers_;
  std::vector<ProgramKernel> kernels_;
  int64_t arenaBytes_ = 0;
};

/// Host tensors bound to a program's inputs, params and outputs by name.
using BufferBindings = std::map<std::string, HostTensor *>;

/// Checks that `bindings` holds a tensor of exactly the manifest's dtype and
/// shape for every input, param and output, and nothing else. False with
/// `err` naming the buffer ("no tensor bound to input 'x' (f32 [8, 1, 28,
/// 28])", "output 'y' is f32 [2], the program's is f32 [3]").
bool checkBindings(const Program &program, const BufferBindings &bindings,
                   std::string &err);

/// Zero-filled (or, with `poison`, NaN-filled for floats and 0x5a bytes for
/// integers) tensors for every output of `program`: something to bind.
std::map<std::string, HostTensor> makeOutputs(const Program &program,
                                              bool poison = false);

} // namespace dlc

#endif // DLC_RUNTIME_CORE_PROGRAM_H
