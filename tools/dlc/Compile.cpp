//===- Compile.cpp - `dlc model.json`: compile and report -----------------===//
//
// The import, the training step (--train-step), the compile pipeline with
// IR printing and per-pass times, CUDA emission, NVRTC through the kernel
// cache, the written program and graph, and the one-screen summary. A
// ModelCompile takes these steps in order (checkFlags, importModel,
// runPipeline, emitProgram, writeGraph), each reporting its own error.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Compile.h"

#include "tools/dlc/Commands.h"

#include "codegen/CudaEmitter.h"
#include "ir/DlcDialect.h"
#include "ir/ModelAttrs.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "passes/Traffic.h"
#include "passes/TrainingObjective.h"
#include "passes/TrainingStep.h"
#include "runtime/nvrtc/KernelCache.h"
#include "runtime/nvrtc/Nvrtc.h"
#include "runtime/report/KernelReport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;

namespace dlc::tools {

/// Turns the imported model into its training step (--train-step), as
/// `dlc train` compiles it (the pipeline's --dlc-fuse-optimizer makes its
/// updates one multi-tensor kernel); false after reporting errors.
static bool prepareTrainStep(ModuleOp module, const CompileOptions &o) {
  if (o.gradientsOnly && !o.trainStep) {
    llvm::errs() << "dlc: --gradients-only needs --train-step\n";
    return false;
  }
  if (o.training.any() && !o.trainStep) {
    llvm::errs() << "dlc: --loss, --loss-on, --optimizer, --lr, "
                    "--weight-decay and --momentum need --train-step (or "
                    "`dlc train`)\n";
    return false;
  }
  if (std::string err = mlir::dlc::checkTrainingFlags(o.training);
      !err.empty()) {
    llvm::errs() << "dlc: " << err << "\n";
    return false;
  }
  if (o.training.any() &&
      failed(mlir::dlc::applyTrainingFlags(module, o.training)))
    return false;
  if (o.trainStep && (o.precision == "bf16" || o.precision == "fp16")) {
    // As in `dlc train`: the forward graph goes low before autodiff, so the
    // backward graph is low too and the params stay f32 master weights.
    PassManager pm(module->getName());
    mlir::dlc::PipelineOptions opts;
    opts.precision = o.precision;
    opts.stopAfter = mlir::dlc::Phase::Import;
    mlir::dlc::buildCompilePipeline(pm, opts);
    if (failed(pm.run(module)))
      return false;
  }
  if (o.trainStep) {
    if (o.gradientsOnly) {
      PassManager pm(module->getName());
      pm.addNestedPass<mlir::func::FuncOp>(
          mlir::dlc::createDlcFuseAttention());
      pm.addPass(mlir::dlc::createDlcAutodiff());
      if (failed(pm.run(module)))
        return false;
    } else if (failed(mlir::dlc::buildTrainingStep(module))) {
      return false;
    }
  }
  return true;
}

/// Wall time of each pass, in order, for the summary.
class PassTimes : public PassInstrumentation {
public:
  void runBeforePass(Pass *, Operation *) override {
    start = std::chrono::steady_clock::now();
  }
  void runAfterPass(Pass *pass, Operation *) override { record(pass); }
  void runAfterPassFailed(Pass *pass, Operation *) override { record(pass); }
  std::vector<std::pair<std::string, double>> &times() { return phases; }

private:
  void record(Pass *pass) {
    if (pass->getArgument().empty()) // a pass manager nesting the real ones
      return;
    std::chrono::duration<double, std::milli> ms =
        std::chrono::steady_clock::now() - start;
    phases.emplace_back(pass->getArgument().str(), ms.count());
  }
  std::chrono::steady_clock::time_point start;
  std::vector<std::pair<std::string, double>> phases;
};

static double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// "f32[8, 1, 28, 28]"
static void printType(llvm::raw_ostream &os, Type type) {
  auto t = cast<RankedTensorType>(type);
  os << t.getElementType() << "[";
  llvm::interleaveComma(t.getShape(), os);
  os << "]";
}

/// What the compile did, for the summary.
struct CompileStats {
  std::string nvrtc;    // what NVRTC did: "5 kernels, cache hit", or why not
  std::string opCensus; // of the model as imported: "10 (conv2d 2, ...)"
  mlir::dlc::Traffic unfused, fused;
  std::optional<int64_t> arenaBytes, peakLiveBytes, unplannedBytes;
  std::vector<std::pair<std::string, double>> times;
};

/// A one-screen report of the model and of its compilation.
static void printSummary(llvm::raw_ostream &os, ModuleOp module,
                         const CompileStats &stats) {
  auto func = module.lookupSymbol<func::FuncOp>(attrs::kEntry);
  auto name = module->getAttrOfType<StringAttr>(attrs::kModel);
  os << "model '" << (name ? name.getValue() : "?") << "'\n";
  if (!func)
    return;
  std::string inputs;
  llvm::raw_string_ostream in(inputs);
  unsigned numParams = 0;
  int64_t paramValues = 0;
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    if (auto n = func.getArgAttrOfType<StringAttr>(i, attrs::kInput)) {
      in << (inputs.empty() ? "" : ", ") << n.getValue() << " ";
      printType(in, arg.getType());
    } else if (func.getArgAttr(i, attrs::kParam)) {
      ++numParams;
      paramValues += cast<RankedTensorType>(arg.getType()).getNumElements();
    }
  }
  os << "  inputs:     " << inputs << "\n";
  os << "  parameters: " << numParams << " tensors, " << paramValues
     << " values\n";
  os << "  outputs:    ";
  for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
    auto n = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
    os << (i ? ", " : "") << (n ? n.getValue() : "?") << " ";
    printType(os, type);
  }
  os << "\n";
  os << "  ops:        " << stats.opCensus << "\n";
  os << "  kernels:    " << stats.fused.kernels << " fused ("
     << stats.unfused.kernels << " unfused)\n";
  os << "  DRAM bytes: " << stats.fused.bytes << " fused vs "
     << stats.unfused.bytes << " unfused (estimate";
  if (stats.unfused.bytes > 0)
    os << ", "
       << llvm::format("%.2f",
                       double(stats.fused.bytes) / double(stats.unfused.bytes))
       << "x";
  os << ")\n";
  if (stats.arenaBytes)
    os << "  arena:      " << *stats.arenaBytes << " bytes (peak live "
       << stats.peakLiveBytes.value_or(0) << ", without reuse "
       << stats.unplannedBytes.value_or(0) << ")\n";
  if (!stats.nvrtc.empty())
    os << "  nvrtc:      " << stats.nvrtc << "\n";
  os << "  time:       ";
  for (auto [i, phase] : llvm::enumerate(stats.times))
    os << (i ? ", " : "") << phase.first << " "
       << llvm::format("%.1f", phase.second) << " ms";
  os << "\n";
  if (auto training = module->getAttrOfType<DictionaryAttr>(attrs::kTraining)) {
    auto loss = training.getAs<StringAttr>("loss");
    auto opt = training.getAs<DictionaryAttr>("optimizer");
    auto optName = opt ? opt.getAs<StringAttr>("name") : StringAttr();
    os << "  training:   loss '" << (loss ? loss.getValue() : "?")
       << "', optimizer " << (optName ? optName.getValue() : "?") << "\n";
  }
}

/// "10 (conv2d 2, relu 2, ...)": the dlc ops of `func` by kind, in order of
/// first appearance.
static std::string censusOps(func::FuncOp func) {
  llvm::MapVector<StringRef, unsigned> kinds;
  unsigned numOps = 0;
  func.walk([&](Operation *op) {
    if (isa_and_nonnull<mlir::dlc::DlcDialect>(op->getDialect())) {
      ++kinds[op->getName().stripDialect()];
      ++numOps;
    }
  });
  std::string s;
  llvm::raw_string_ostream os(s);
  os << numOps << " (";
  bool first = true;
  for (auto &[kind, count] : kinds) {
    os << (first ? "" : ", ") << kind << " " << count;
    first = false;
  }
  os << ")";
  return s;
}

/// Compiles the kernels for --target through the on-disk cache; returns what
/// happened for the summary, or nullopt after printing NVRTC's log (emitted
/// code that NVRTC rejects is a compiler bug). A warning is a compiler bug
/// too, but the kernels are valid: a user's model must not fail for it, so
/// it is printed with a request to report it and the compile goes on. The
/// test suites keep warnings as errors (dlc-emit --check-nvrtc).
static std::optional<std::string> compileKernels(std::string source,
                                                 size_t kernels,
                                                 const std::string &target,
                                                 bool injectWarning) {
  std::string err;
  ::dlc::Nvrtc *nvrtc = ::dlc::Nvrtc::get(err);
  if (!nvrtc)
    return "skipped: " + err;
  if (injectWarning)
    source += "\n__device__ void dlc_injected_warning() { int unused; }\n";
  ::dlc::KernelCache cache(*nvrtc);
  ::dlc::NvrtcOptions opts;
  opts.arch = ::dlc::archForTarget(target);
  ::dlc::CachedKernel out;
  if (!cache.getOrCompile(source, opts, out, err)) {
    llvm::errs() << "dlc: " << err << "\n";
    return std::nullopt;
  }
  if (const std::string &log = out.output.log; !log.empty())
    llvm::errs() << "dlc: warning: NVRTC " << nvrtc->version()
                 << " warned about the emitted kernels for " << opts.arch
                 << "; the model compiled, but this is a dlc bug: please "
                    "report it with the model\n"
                 << llvm::StringRef(log).rtrim() << "\n";
  std::string what = std::to_string(kernels) + " kernels for " + opts.arch +
                     ", NVRTC " + nvrtc->version() + ", ";
  switch (out.outcome) {
  case ::dlc::CacheOutcome::Hit:
    return what + "cache hit (NVRTC not run)";
  case ::dlc::CacheOutcome::Miss:
    return what + "compiled and cached";
  case ::dlc::CacheOutcome::Rebuilt:
    return what + "rebuilt: " + out.warning;
  case ::dlc::CacheOutcome::Uncached:
    return what + "compiled, not cached: " + out.warning;
  }
  return what;
}

/// kernels.cu and manifest.json in `dir`, each written whole or not at all.
static bool writeCompiledModel(const std::string &dir,
                               const mlir::dlc::CudaProgram &program,
                               std::string &err) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    err = "cannot create the directory: " + ec.message();
    return false;
  }
  return mlir::dlc::writeCudaProgram(dir, program, err);
}

static std::optional<int64_t> funcInt(func::FuncOp func, llvm::StringRef name) {
  if (auto attr = func->getAttrOfType<IntegerAttr>(name))
    return attr.getInt();
  return std::nullopt;
}

namespace {

/// One compile: the steps of compileModel, each false after reporting;
/// `code` is the exit code then.
class ModelCompile {
public:
  explicit ModelCompile(const CompileOptions &opts) : opts(opts) {}
  int run();

private:
  bool error(const llvm::Twine &msg, int exitCode = kUserError) {
    llvm::errs() << "dlc: " << msg << "\n";
    code = exitCode;
    return false;
  }
  bool checkFlags();
  bool importModel();
  bool runPipeline();
  bool emitProgram();
  bool writeGraph();

  const CompileOptions &opts;
  int code = kUserError;
  mlir::dlc::Phase stopAfter = mlir::dlc::Phase::Cuda;
  Session session;
  CompileStats stats;
  ::dlc::KernelReport report;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
};

/// The phase to stop after (--dump-ir=<pass> without --compile-to stops
/// after that pass), and the values of --dump-ir, --target, --precision.
bool ModelCompile::checkFlags() {
  std::string stopAt = opts.compileTo;
  if (!opts.compileToGiven && !opts.dumpIR.empty())
    stopAt = llvm::StringSwitch<std::string>(opts.dumpIR)
                 .Case("import", "import")
                 .Case("dlc-fuse", "fused")
                 .Case("dlc-tile", "tiled")
                 .Case("dlc-plan-memory", "planned")
                 .Default("cuda");
  auto phase = mlir::dlc::parsePhase(stopAt);
  if (!phase)
    return error("unknown phase '" + opts.compileTo +
                 "' for --compile-to; expected one of import, fused, "
                 "tiled, planned, cuda");
  stopAfter = *phase;
  if (!opts.dumpIR.empty() &&
      !llvm::is_contained(
          {"import", "after-all", "dlc-fuse", "dlc-tile", "dlc-plan-memory"},
          opts.dumpIR))
    return error("unknown phase '" + opts.dumpIR +
                 "' for --dump-ir; expected import, after-all, dlc-fuse, "
                 "dlc-tile or dlc-plan-memory");
  if (opts.target != "sm_80" && opts.target != "sm_90")
    return error("unknown --target '" + opts.target +
                 "'; expected sm_80 or sm_90");
  if (!llvm::is_contained({"fp32", "f32", "bf16", "fp16"}, opts.precision))
    return error("unknown --precision '" + opts.precision +
                 "'; expected fp32, bf16 or fp16");
  return true;
}

/// The model (or its training step) and its unfused statistics.
bool ModelCompile::importModel() {
  auto start = std::chrono::steady_clock::now();
  module = session.load(opts.modelPath);
  if (!module)
    return false;
  stats.times.emplace_back("import", msSince(start));
  if (!prepareTrainStep(*module, opts))
    return false;
  func = module->lookupSymbol<func::FuncOp>(attrs::kEntry);
  stats.unfused = mlir::dlc::estimateTraffic(func);
  stats.opCensus = censusOps(func);
  return true;
}

/// The compile pipeline up to the stop phase, printing IR as --dump-ir
/// asks and timing each pass.
bool ModelCompile::runPipeline() {
  PassManager pm(&session.context());
  if (failed(applyPassManagerCLOptions(pm)))
    return false;
  if (!opts.dumpIR.empty() && opts.dumpIR != "import") {
    // IR printing needs the passes to run one at a time.
    session.context().disableMultithreading();
    std::string phase = opts.dumpIR;
    pm.enableIRPrinting(
        /*shouldPrintBeforePass=*/[](Pass *, Operation *) { return false; },
        /*shouldPrintAfterPass=*/
        [phase](Pass *pass, Operation *) {
          return phase == "after-all" || pass->getArgument() == phase;
        },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false,
        /*printAfterOnlyOnFailure=*/false, llvm::outs());
  }
  auto times = std::make_unique<PassTimes>();
  PassTimes *passTimes = times.get();
  pm.addInstrumentation(std::move(times));
  mlir::dlc::PipelineOptions pipeline;
  pipeline.target = opts.target;
  pipeline.tuningCache = opts.tuningCache;
  pipeline.allowTf32 = opts.allowTf32;
  pipeline.stopAfter = stopAfter;
  if ((opts.precision == "bf16" || opts.precision == "fp16") && !opts.trainStep)
    pipeline.precision = opts.precision; // a training step has it already
  mlir::dlc::buildCompilePipeline(pm, pipeline);
  if (opts.dumpIR == "import")
    module->print(llvm::outs());
  if (failed(pm.run(*module))) {
    // Passes reject only what a user supplied (a tuning cache); anything
    // else failing on a verified model is a compiler bug.
    code = opts.tuningCache.empty() ? kInternalError : kUserError;
    return false;
  }
  llvm::append_range(stats.times, passTimes->times());
  stats.fused = mlir::dlc::estimateTraffic(func);
  stats.arenaBytes = funcInt(func, "dlc.arena_bytes");
  stats.peakLiveBytes = funcInt(func, "dlc.peak_live_bytes");
  stats.unplannedBytes = funcInt(func, "dlc.unplanned_bytes");
  return true;
}

/// CUDA emission, NVRTC (--nvrtc) and the program in -o, after a whole
/// compile; -o without one is an error.
bool ModelCompile::emitProgram() {
  if (stopAfter != mlir::dlc::Phase::Cuda) {
    if (!opts.outputDir.empty())
      return error("-o writes CUDA, which needs --compile-to=cuda");
    if (!opts.kernelReport.empty())
      return error("--kernel-report reports on the CUDA kernels, which "
                   "needs --compile-to=cuda (and no --dump-ir)");
    return true;
  }
  auto codegenStart = std::chrono::steady_clock::now();
  auto program = mlir::dlc::emitCuda(func);
  // The emitter has said which op it cannot emit; the model itself is
  // valid, so this is a limit of the compiler.
  if (failed(program)) {
    code = kInternalError;
    return false;
  }
  stats.times.emplace_back("codegen", msSince(codegenStart));
  if (opts.useNvrtc) {
    auto nvrtcStart = std::chrono::steady_clock::now();
    auto nvrtc =
        compileKernels(program->source, program->kernels.size(), opts.target,
                       opts.injectNvrtcWarning);
    if (!nvrtc) {
      code = kInternalError;
      return false;
    }
    stats.nvrtc = *nvrtc;
    stats.times.emplace_back("nvrtc", msSince(nvrtcStart));
  }
  std::string err;
  if (!opts.outputDir.empty() &&
      !writeCompiledModel(opts.outputDir, *program, err))
    return error("-o " + opts.outputDir + ": " + err);
  if (!opts.kernelReport.empty()) {
    ::dlc::Program parsed;
    if (!::dlc::Program::parse(program->manifestJson, program->source, parsed,
                               err))
      return error("--kernel-report: the emitted program: " + err,
                   kInternalError);
    if (!::dlc::buildKernelReport(parsed, opts.target, report, err))
      return error("--kernel-report: " + err);
  }
  return true;
}

/// --dump-graph: the fused graph for Graphviz.
bool ModelCompile::writeGraph() {
  if (opts.dumpGraph.empty())
    return true;
  std::string err;
  auto name = (*module)->getAttrOfType<StringAttr>(attrs::kModel);
  if (!writeGraphDot(func, name ? name.getValue() : "model", opts.dumpGraph,
                     err))
    return error("--dump-graph: " + err);
  return true;
}

int ModelCompile::run() {
  if (!checkFlags() || !importModel() || !runPipeline() || !emitProgram() ||
      !writeGraph())
    return code;
  if (opts.kernelReport == "json") {
    llvm::outs() << ::dlc::kernelReportJson(report);
    return kOk;
  }
  if (opts.dumpIR.empty())
    printSummary(llvm::outs(), *module, stats);
  if (opts.kernelReport == "text")
    llvm::outs() << ::dlc::kernelReportText(report);
  return kOk;
}

} // namespace

int compileModel(const CompileOptions &opts) {
  return ModelCompile(opts).run();
}

} // namespace dlc::tools
