//===- RunCommand.cpp - `dlc run`: execute a model on inputs --------------===//
//
//   dlc run model.json --input x=x.npy [--input ...] -o y.npy
//       [--device=auto|cpu|cuda|reference] [--precision=f32|f64|bf16|fp16]
//
// Flags into RunOptions, then one call (tools/dlc/Run.h).
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "tools/dlc/Run.h"

namespace cl = llvm::cl;

namespace dlc::tools {

llvm::cl::SubCommand &runCommand() {
  static cl::SubCommand cmd(
      "run", "Execute a model on inputs: dlc run model.json --input x=x.npy "
             "-o y.npy");
  return cmd;
}

namespace {

cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.json>"),
                               cl::sub(runCommand()), cl::cat(dlcCategory()));

cl::opt<std::string> profilePath(
    "profile",
    cl::desc("Time each kernel with CUDA events and write the times as a "
             "Chrome trace (open it in Perfetto); needs the cuda device"),
    cl::value_desc("trace.json"), cl::sub(runCommand()),
    cl::cat(dlcCategory()));

cl::opt<DeviceKind> device(
    "device", cl::desc("Where to run"),
    cl::values(clEnumValN(DeviceKind::Auto, "auto",
                          "cuda when a CUDA driver and GPU are present, else "
                          "cpu (default)"),
               clEnumValN(DeviceKind::Cpu, "cpu",
                          "the compiled kernels (the same CUDA source) built "
                          "with the host C++ compiler ($DLC_HOST_CXX, else "
                          "c++) and run on host threads"),
               clEnumValN(DeviceKind::Cuda, "cuda",
                          "the compiled kernels on the GPU (NVRTC, libcuda "
                          "loaded at run time)"),
               clEnumValN(DeviceKind::Reference, "reference",
                          "the reference interpreter: plain CPU kernels, "
                          "the oracle for tests")),
    cl::init(DeviceKind::Auto), cl::sub(runCommand()), cl::cat(dlcCategory()));

cl::list<std::string>
    inputs("input",
           cl::desc("Bind model input <name> to a tensor file (.npy, or a "
                    ".safetensors file holding one tensor); its type and "
                    "shape must match the model's. Repeat for each input"),
           cl::value_desc("name=file"), cl::sub(runCommand()),
           cl::cat(dlcCategory()));

cl::opt<std::string> outputPath(
    "o",
    cl::desc("Where to write the outputs as .npy: a file when the model has "
             "one output; a directory (created if missing) holding "
             "<output name>.npy for each output when it has several, or when "
             "the path is an existing directory. bf16 outputs are written as "
             "f32 (.npy has no bf16). Without -o, the outputs are printed"),
    cl::value_desc("path"), cl::sub(runCommand()), cl::cat(dlcCategory()));

cl::list<std::string> selectedOutputs(
    "output",
    cl::desc("Compute only this model output (repeatable); inputs that only "
             "other outputs need may then be omitted, e.g. the labels of a "
             "model whose loss is not asked for"),
    cl::value_desc("name"), cl::sub(runCommand()), cl::cat(dlcCategory()));

cl::opt<std::string> precisionOpt(
    "precision",
    cl::desc("Arithmetic: f32 (or fp32, the default): the model's types; "
             "f64 (--device=reference only): the reference interpreter "
             "computes in double, never rounded, float outputs written as "
             "f64; bf16 and fp16 run the model in mixed precision "
             "(--dlc-mixed-precision: contractions and activations in the "
             "low type with f32 accumulation, softmax, norms and losses in "
             "f32, f32 inputs, params and outputs), on any device"),
    cl::value_desc("f32|fp32|f64|bf16|fp16"), cl::init("f32"),
    cl::sub(runCommand()), cl::cat(dlcCategory()));

} // namespace

int runMain() {
  RunOptions opts;
  opts.modelPath = modelPath;
  opts.inputs.assign(inputs.begin(), inputs.end());
  opts.outputPath = outputPath;
  opts.selectedOutputs.assign(selectedOutputs.begin(), selectedOutputs.end());
  opts.device = device;
  opts.precision = precisionOpt;
  opts.profilePath = profilePath;
  return executeModel(opts);
}

} // namespace dlc::tools
