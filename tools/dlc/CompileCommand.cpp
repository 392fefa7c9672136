//===- CompileCommand.cpp - `dlc model.json`: compile and report ----------===//
//
// The top-level command's flags into CompileOptions, then one call
// (tools/dlc/Compile.h).
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "tools/dlc/Compile.h"

namespace cl = llvm::cl;

namespace dlc::tools {

static cl::opt<std::string> dumpIR(
    "dump-ir",
    cl::desc("Print IR instead of the summary: 'import' (the dlc dialect as "
             "imported), 'after-all' (after every pass), or a pass flag such "
             "as 'dlc-fuse' (after that pass). Without --compile-to, the "
             "compile stops after that phase"),
    cl::value_desc("phase"), cl::cat(dlcCategory()));

static cl::opt<std::string> compileTo(
    "compile-to",
    cl::desc("Stop after a phase: import, fused, tiled, planned, cuda "
             "(default: cuda, the whole pipeline)"),
    cl::value_desc("phase"), cl::init("cuda"), cl::cat(dlcCategory()));

static cl::opt<std::string>
    target("target",
           cl::desc("GPU architecture to schedule for: sm_80 or "
                    "sm_90 (default)"),
           cl::init("sm_90"), cl::cat(dlcCategory()));

static cl::opt<std::string> precision(
    "precision",
    cl::desc("fp32 (default) or mixed precision: bf16 or fp16 "
             "(--dlc-mixed-precision first; docs/mixed-precision.md)"),
    cl::value_desc("fp32|bf16|fp16"), cl::init("fp32"), cl::cat(dlcCategory()));

static cl::opt<bool> allowTf32(
    "allow-tf32",
    cl::desc("Run f32 matmuls and convolutions on tensor cores with tf32 "
             "operands (10-bit mantissa, f32 accumulation; PyTorch's "
             "allow_tf32). Default off: exact f32 FMA"),
    cl::init(false), cl::cat(dlcCategory()));

static cl::opt<std::string>
    tuningCache("tuning-cache",
                cl::desc("JSON file whose entries override the schedule of "
                         "matching fusions (docs/schedule.md)"),
                cl::value_desc("file"), cl::cat(dlcCategory()));

static cl::opt<std::string>
    outputDir("o",
              cl::desc("Write the compiled model to this directory: "
                       "kernels.cu and manifest.json (docs/codegen.md)"),
              cl::value_desc("dir"), cl::cat(dlcCategory()));

static cl::opt<bool> useNvrtc(
    "nvrtc",
    cl::desc("Compile the kernels with NVRTC for --target through the "
             "on-disk kernel cache (default on; skipped with a note when "
             "NVRTC is not installed)"),
    cl::init(true), cl::cat(dlcCategory()));

static cl::opt<std::string>
    dumpGraph("dump-graph",
              cl::desc("Write the fused graph for Graphviz, one cluster per "
                       "kernel"),
              cl::value_desc("file.dot"), cl::cat(dlcCategory()));

// A training program as an artifact (bench/, docs/training.md): the step
// `dlc train` runs, written by -o like any model.
static cl::opt<bool> trainStep(
    "train-step",
    cl::desc("Compile the model's training step instead of its forward "
             "graph: forward, backward (--dlc-autodiff) and the optimizer "
             "update of every param (needs the model's 'training' object; "
             "docs/training.md)"),
    cl::cat(dlcCategory()));

static cl::opt<bool> gradientsOnly(
    "gradients-only",
    cl::desc("With --train-step: forward and backward only; the step returns "
             "the outputs and 'grad:<param>' and updates nothing"),
    cl::cat(dlcCategory()));

static cl::opt<std::string> kernelReport(
    "kernel-report",
    cl::desc("After compiling, report every kernel's registers, spills, "
             "shared memory, occupancy, SASS instruction counts and roofline "
             "estimate for --target, from NVRTC's cubin (no GPU needed); "
             "=json for JSON on stdout instead of the summary "
             "(docs/kernel-report.md)"),
    cl::value_desc("json"), cl::ValueOptional, cl::cat(dlcCategory()));

// For test/Driver/nvrtc-warning.test: a user's model still compiles when
// NVRTC warns, so a test needs a warning that the emitter never produces.
static cl::opt<bool> injectNvrtcWarning(
    "inject-nvrtc-warning",
    cl::desc("Append an unused variable to the kernels NVRTC compiles (tests "
             "the warning policy)"),
    cl::Hidden, cl::cat(dlcCategory()));

int compileMain(llvm::StringRef modelPath) {
  CompileOptions opts;
  opts.modelPath = modelPath.str();
  opts.dumpIR = dumpIR;
  opts.compileTo = compileTo;
  opts.compileToGiven = compileTo.getNumOccurrences() != 0;
  opts.target = target;
  opts.precision = precision;
  opts.allowTf32 = allowTf32;
  opts.tuningCache = tuningCache;
  opts.outputDir = outputDir;
  opts.useNvrtc = useNvrtc;
  opts.injectNvrtcWarning = injectNvrtcWarning;
  opts.dumpGraph = dumpGraph;
  opts.trainStep = trainStep;
  opts.gradientsOnly = gradientsOnly;
  opts.training = readTrainingFlags();
  if (kernelReport.getNumOccurrences()) {
    if (kernelReport != "" && kernelReport != "json") {
      llvm::errs() << "dlc: --kernel-report: expects no value or 'json', got '"
                   << kernelReport << "'\n";
      return 1;
    }
    opts.kernelReport = kernelReport.empty() ? "text" : "json";
  }
  return compileModel(opts);
}

} // namespace dlc::tools
