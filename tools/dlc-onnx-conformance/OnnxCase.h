//===- OnnxCase.h - one ONNX backend test case through dlc ------*- C++ -*-===//
//
// A case is a directory holding model.onnx and test_data_set_0/ with
// input_<i>.pb and output_<i>.pb. OnnxCase reads them, imports the model
// and runs it, either on the reference interpreter or compiled (the whole
// pipeline, CUDA emission, the host compiler) on the CPU device, and
// compares every output with the expected one.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TOOLS_ONNXCONFORMANCE_ONNXCASE_H
#define DLC_TOOLS_ONNXCONFORMANCE_ONNXCASE_H

#include "runtime/cpu/CpuDevice.h"
#include "runtime/core/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <string>
#include <vector>

namespace dlc::conformance {

enum class Status { Pass, Fail, Unsupported };
const char *statusName(Status s);

struct Result {
  Status status = Status::Fail;
  std::string detail;
  /// The op types of the model, sorted.
  std::vector<std::string> ops;

  /// Three lines (status, ops, detail) and back, for child processes.
  std::string serialize() const;
  static bool deserialize(const std::string &text, Result &r);
};

/// Floats match when |got - want| <= kAtol + kRtol * |want| (NaN where NaN
/// is expected); bf16 outputs also when within one bf16 unit in the last
/// place of `want`: the test data's generator (ONNX 1.12) truncated float
/// to bf16 (onnx/onnx#3876), where CUDA's __float2bfloat16_rn, PyTorch and
/// dlc round to nearest even, so a correct result may be one ulp away.
/// Integers and bools match exactly.
constexpr double kRtol = 1e-3, kAtol = 1e-5;

/// One unit in the last place of a bf16 of magnitude |x| (8 significant
/// bits).
double bf16Ulp(double x);

/// Empty when `got` matches `want`, else what differs.
std::string compareTensors(const HostTensor &got, const HostTensor &want);

class OnnxCase {
public:
  /// Reads the case in `dir` and imports its model. Null with `r` saying
  /// why (unsupported: an op type the importer does not map, a type dlc
  /// lacks, an unsupported attribute; fail: anything else); `r.ops` is set
  /// whenever the model could be read.
  static std::unique_ptr<OnnxCase> load(const std::string &dir, Result &r);

  /// Runs the model on the reference interpreter and compares.
  Result runReference();

  /// Compiles the model (the compile pipeline, then CUDA emission) and
  /// writes the program as <programDir>/manifest.json and kernels.cu.
  bool compile(const std::string &programDir, Result &r);

  /// Runs the program in `programDir` (from compile()) on a CpuDevice with
  /// `opts` (a prebuilt library, or none: the device compiles it) and
  /// compares.
  Result runCpu(const std::string &programDir, const CpuDeviceOptions &opts);

  const std::vector<std::string> &ops() const { return ops_; }

private:
  OnnxCase() = default;
  /// Compares `got` with the expected outputs.
  Result check(const std::vector<HostTensor> &got);
  Result failure(const std::string &what) const;

  std::unique_ptr<mlir::MLIRContext> ctx_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  std::string model_, message_; // message_: the first error diagnostic
  std::vector<std::string> ops_, inputNames_;
  std::vector<HostTensor> inputs_, expected_;
  bool f64_ = false;
};

} // namespace dlc::conformance

#endif // DLC_TOOLS_ONNXCONFORMANCE_ONNXCASE_H
