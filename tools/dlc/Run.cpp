//===- Run.cpp - `dlc run`: execute a model on inputs ---------------------===//
//
// --device=cpu compiles the model in-process (the compile pipeline, then
// emitCuda) and runs the emitted kernels on the host (runtime/cpu/CpuDevice.h);
// params come from the same initializers as the reference interpreter's.
//
// Inputs are read and checked against the model before anything runs;
// outputs are written only after the whole run succeeded (each through a
// temporary file and a rename). A ModelRun takes these steps in order:
// checkFlags, openDevice, parseInputSpecs, loadModel, readInputs, planOutputs,
// execute, writeProfile, writeOutputs; each reports its own error.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Run.h"

#include "tools/dlc/Commands.h"

#include "codegen/CudaEmitter.h"
#include "ir/Interpreter.h"
#include "ir/ModelAttrs.h"
#include "ir/reference/HostConvert.h"
#include "passes/Pipeline.h"
#include "runtime/cuda/Trace.h"
#include "runtime/io/TensorFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>

namespace dlc::tools {

namespace {

int fail(const llvm::Twine &msg) {
  llvm::errs() << "dlc run: " << msg << "\n";
  return kUserError;
}

std::string describe(DType dtype, const std::vector<int64_t> &shape) {
  return std::string(dtypeName(dtype)) + " " + formatShape(shape);
}

/// A model output name usable as a file name in the output directory.
bool isSafeFileName(llvm::StringRef name) {
  if (name.empty() || name == "." || name == "..")
    return false;
  for (char c : name)
    if (c == '/' || c == '\\' || c == '\0' || (unsigned char)c < 0x20)
      return false;
  return true;
}

/// Prints `t` as "name: f32 [2, 3] = [v, ...]" (the first 64 values).
void printTensor(llvm::raw_ostream &os, const std::string &name,
                 const HostTensor &t) {
  os << name << ": " << describe(t.dtype, t.shape) << " = [";
  const int64_t limit = 64, n = t.numel();
  std::string err;
  if (isFloat(t.dtype)) {
    ref::Tensor<double> v;
    if (!ref::loadFloat(t, v, err))
      return void(os << "<" << err << ">]\n");
    for (int64_t i = 0; i < std::min(n, limit); ++i)
      os << (i ? ", " : "")
         << llvm::format(t.dtype == DType::F64 ? "%.17g" : "%.9g", v.data[i]);
  } else {
    ref::Tensor<int64_t> v;
    if (!ref::loadInt(t, v, err))
      return void(os << "<" << err << ">]\n");
    for (int64_t i = 0; i < std::min(n, limit); ++i)
      os << (i ? ", " : "") << v.data[i];
  }
  if (n > limit)
    os << ", ... (" << n << " values)";
  os << "]\n";
}

/// Keeps only the results named in `names`, then drops the ops and the
/// model inputs that no kept result depends on.
bool selectOutputs(mlir::func::FuncOp func, llvm::ArrayRef<std::string> names) {
  auto ret =
      llvm::cast<mlir::func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::BitVector dropResults(func.getNumResults(), true);
  std::set<std::string> wanted(names.begin(), names.end());
  std::string known;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<mlir::StringAttr>(i, attrs::kOutput);
    if (!name)
      continue;
    known += (known.empty() ? "" : ", ") + name.str();
    if (wanted.erase(name.str()))
      dropResults.reset(i);
  }
  if (!wanted.empty()) {
    fail("--output: the model has no output '" + *wanted.begin() +
         "'; its outputs are " + known);
    return false;
  }
  ret->eraseOperands(dropResults);
  (void)func.eraseResults(dropResults);
  // Pure ops only: everything now unused is dead. Walk backwards so users go
  // before their producers.
  for (mlir::Operation &op :
       llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
    if (mlir::isOpTriviallyDead(&op))
      op.erase();
  llvm::BitVector dropArgs(func.getNumArguments());
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    dropArgs[i] = func.getArgument(i).use_empty();
  (void)func.eraseArguments(dropArgs);
  return true;
}

/// Compiles `module` (the whole pipeline, then CUDA emission) and runs it
/// on `device` with `inputs` and the params from their initializers.
/// Outputs are poisoned (NaN) before the run, so an element no kernel
/// writes shows.
mlir::FailureOr<std::vector<NamedTensor>>
runCompiled(mlir::ModuleOp module,
            const std::map<std::string, HostTensor> &inputs,
            dlc::Device &device, const std::string &lowPrecision) {
  auto params = materializeParams(module);
  if (failed(params))
    return mlir::failure();
  mlir::func::FuncOp func = getModelFunction(module);
  auto values = describeModel(func);
  if (failed(values))
    return mlir::failure();
  mlir::PassManager pm(module->getName());
  mlir::dlc::PipelineOptions opts;
  opts.precision = lowPrecision;
  opts.target = device.codegenTarget();
  mlir::dlc::buildCompilePipeline(pm, opts);
  if (failed(pm.run(module)))
    return mlir::failure();
  auto emitted = mlir::dlc::emitCuda(func);
  if (failed(emitted))
    return mlir::failure();
  std::string err;
  Program program;
  if (!Program::parse(emitted->manifestJson, emitted->source, program, err)) {
    fail("internal error: " + err);
    return mlir::failure();
  }
  // The manifest's buffer names are C identifiers ("conv1_weight"); its
  // model_name pairs each with the model's value ("conv1.weight").
  auto outputs = makeOutputs(program, /*poison=*/true);
  std::map<ModelValue::Kind, std::vector<const ModelValue *>> byKind;
  for (const ModelValue &mv : *values)
    byKind[mv.kind].push_back(&mv);
  std::map<std::string, std::string> manifestName; // model name -> manifest
  BufferBindings bindings;
  for (const ProgramBuffer &b : program.buffers()) {
    if (b.role == BufferRole::Intermediate)
      continue;
    ModelValue::Kind kind =
        b.role == BufferRole::Input   ? ModelValue::Kind::Input
        : b.role == BufferRole::Param ? ModelValue::Kind::Param
                                      : ModelValue::Kind::Output;
    const ModelValue *mv = nullptr;
    for (const ModelValue *c : byKind[kind])
      if (c->name == b.modelName)
        mv = c;
    if (!mv || mv->dtype != b.dtype || mv->shape != b.shape) {
      fail("internal error: manifest " + std::string(bufferRoleName(b.role)) +
           " '" + b.name + "' (" + describe(b.dtype, b.shape) +
           ") matches no model value");
      return mlir::failure();
    }
    manifestName[mv->name] = b.name;
    HostTensor *t = kind == ModelValue::Kind::Input
                        ? const_cast<HostTensor *>(&inputs.at(mv->name))
                    : kind == ModelValue::Kind::Param ? &params->at(mv->name)
                                                      : &outputs.at(b.name);
    bindings[b.name] = t;
  }
  if (!device.load(program, err) || !device.run(bindings, err)) {
    fail(err);
    return mlir::failure();
  }
  std::vector<NamedTensor> results;
  for (const ModelValue &mv : *values)
    if (mv.kind == ModelValue::Kind::Output)
      results.push_back(
          {mv.name, std::move(outputs.at(manifestName.at(mv.name)))});
  return results;
}

/// One `dlc run`: the steps of executeModel, each false after reporting.
class ModelRun {
public:
  explicit ModelRun(const RunOptions &opts) : opts(opts) {}
  int run();

private:
  bool error(const llvm::Twine &msg) {
    fail(msg);
    return false;
  }
  bool checkFlags();
  bool openDevice();
  bool parseInputSpecs();
  bool loadModel();
  bool readInputs();
  bool planOutputs();
  bool execute();
  bool writeProfile();
  bool writeOutputs();
  std::string inputList() const;

  const RunOptions &opts;
  int code = kUserError;
  /// The interpreter's compute type, and the low type of mixed precision
  /// ("": none).
  Precision precision = Precision::F32;
  std::string lowPrecision;
  std::unique_ptr<dlc::Device> compiled;
  CudaDevice *cuda = nullptr;
  Session session;
  std::map<std::string, std::string> inputFiles; // name -> file
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<ModelValue> values;
  std::map<std::string, const ModelValue *> modelInputs;
  std::vector<const ModelValue *> outputs;
  std::map<std::string, HostTensor> tensors;
  std::vector<std::string> destinations;
  bool makeDir = false; // created only once the run has succeeded
  std::vector<NamedTensor> results;
};

/// --precision, --device and --profile together, before anything is read.
bool ModelRun::checkFlags() {
  if (opts.precision == "f64")
    precision = Precision::F64;
  else if (opts.precision == "bf16" || opts.precision == "fp16")
    lowPrecision = opts.precision;
  else if (opts.precision != "f32" && opts.precision != "fp32")
    return error("unknown --precision '" + opts.precision +
                 "'; expected f32 (fp32), f64, bf16 or fp16");
  if (precision == Precision::F64 && opts.device != DeviceKind::Reference)
    return error("--precision=f64 is the reference interpreter's "
                 "arithmetic; it needs --device=reference (compiled kernels "
                 "compute in the model's types, or bf16/fp16)");
  if (!opts.profilePath.empty() &&
      (opts.device == DeviceKind::Reference || opts.device == DeviceKind::Cpu))
    return error("--profile times kernels on the GPU; it needs "
                 "--device=cuda (or auto on a machine with a GPU)");
  return true;
}

/// The device to run compiled kernels on: cuda (auto: when one can be
/// created), else cpu; none for the reference interpreter.
bool ModelRun::openDevice() {
  if (opts.device != DeviceKind::Reference) {
    std::string err;
    CudaDeviceOptions cudaOpts;
    cudaOpts.poisonOutputs = true;
    cudaOpts.profile = !opts.profilePath.empty();
    compiled = dlc::openDevice(opts.device, cudaOpts, err);
    if (!compiled)
      return error("--device=cuda: " + err);
  }
  cuda = dynamic_cast<CudaDevice *>(compiled.get());
  if (!opts.profilePath.empty() && !cuda)
    return error("--profile: no GPU was found, so there is nothing to time");
  if (opts.modelPath.empty())
    return error("no model given; usage: dlc run model.json --input "
                 "name=file.npy -o out.npy");
  return true;
}

/// The model (only the --output results, when given) and its values.
bool ModelRun::loadModel() {
  module = session.load(opts.modelPath);
  if (!module)
    return false;
  mlir::func::FuncOp func = getModelFunction(*module);
  if (!func)
    return false;
  if (!opts.selectedOutputs.empty() &&
      !selectOutputs(func, opts.selectedOutputs))
    return false;
  auto described = describeModel(func);
  if (mlir::failed(described))
    return false;
  values = std::move(*described);
  for (const ModelValue &mv : values) {
    if (mv.kind == ModelValue::Kind::Input)
      modelInputs[mv.name] = &mv;
    else if (mv.kind == ModelValue::Kind::Output)
      outputs.push_back(&mv);
  }
  return true;
}

std::string ModelRun::inputList() const {
  std::string s;
  for (const auto &[name, mv] : modelInputs)
    s += (s.empty() ? "" : ", ") + name + " (" +
         describe(mv->dtype, mv->shape) + ")";
  return s.empty() ? std::string("none") : s;
}

/// --input name=file, parsed before anything is loaded.
bool ModelRun::parseInputSpecs() {
  for (const std::string &spec : opts.inputs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return error("--input expects name=file, got '" + spec + "'");
    std::string name = spec.substr(0, eq);
    if (!inputFiles.emplace(name, spec.substr(eq + 1)).second)
      return error("input '" + name + "' is given twice");
  }
  return true;
}

/// Every --input file, read and checked against the model.
bool ModelRun::readInputs() {
  for (const auto &[name, file] : inputFiles) {
    auto it = modelInputs.find(name);
    if (it == modelInputs.end())
      return error("the model has no input '" + name + "'; its inputs are " +
                   inputList());
    HostTensor t;
    std::string err;
    if (!readTensorFile(file, "", t, err))
      return error("input '" + name + "': " + err);
    const ModelValue &mv = *it->second;
    if (t.dtype != mv.dtype || t.shape != mv.shape) {
      bool onlyBatch =
          t.dtype == mv.dtype && !t.shape.empty() &&
          t.shape.size() == mv.shape.size() &&
          std::equal(t.shape.begin() + 1, t.shape.end(), mv.shape.begin() + 1);
      return error("input '" + name + "' (" + file + ") is " +
                   describe(t.dtype, t.shape) + ", but the model expects " +
                   describe(mv.dtype, mv.shape) +
                   (onlyBatch ? "; --batch " + std::to_string(t.shape[0]) +
                                    " sets the model's batch size"
                              : ""));
    }
    tensors[name] = std::move(t);
  }
  std::string missing;
  for (const auto &[name, mv] : modelInputs)
    if (!tensors.count(name))
      missing += (missing.empty() ? "" : ", ") + name + " (" +
                 describe(mv->dtype, mv->shape) + ")";
  if (!missing.empty())
    return error("no --input given for " + missing);
  return true;
}

/// Where each output goes, checked to be writable before running.
bool ModelRun::planOutputs() {
  const std::string &outputPath = opts.outputPath;
  if (outputPath.empty())
    return true;
  bool isDir = llvm::sys::fs::is_directory(outputPath);
  if (outputs.size() > 1 || isDir) {
    makeDir = !isDir;
    if (makeDir && llvm::sys::fs::exists(outputPath))
      return error("cannot write the outputs into '" + outputPath +
                   "': it exists and is not a directory");
    for (const ModelValue *mv : outputs) {
      if (!isSafeFileName(mv->name))
        return error("output '" + mv->name +
                     "' is not usable as a file name in '" + outputPath + "'");
      llvm::SmallString<256> p(outputPath);
      llvm::sys::path::append(p, mv->name + ".npy");
      destinations.push_back(std::string(p));
    }
    return true;
  }
  llvm::StringRef parent = llvm::sys::path::parent_path(outputPath);
  if (!parent.empty() && !llvm::sys::fs::is_directory(parent))
    return error("cannot write '" + outputPath + "': directory '" + parent +
                 "' does not exist");
  if (!outputs.empty())
    destinations.push_back(outputPath);
  return true;
}

/// The run itself: interpreted, or compiled and run on the device.
bool ModelRun::execute() {
  // Mixed precision for the interpreter: it runs the rewritten graph,
  // rounding bf16/fp16 values after every op as the kernels store them.
  if (opts.device == DeviceKind::Reference && !lowPrecision.empty()) {
    mlir::PassManager pm((*module)->getName());
    mlir::dlc::PipelineOptions pipeline;
    pipeline.precision = lowPrecision;
    pipeline.stopAfter = mlir::dlc::Phase::Import;
    mlir::dlc::buildCompilePipeline(pm, pipeline);
    if (mlir::failed(pm.run(*module))) {
      code = kInternalError;
      return false;
    }
  }
  auto ran = opts.device == DeviceKind::Reference
                 ? runModel(*module, tensors, {precision})
                 : runCompiled(*module, tensors, *compiled, lowPrecision);
  if (mlir::failed(ran))
    return false;
  results = std::move(*ran);
  return true;
}

bool ModelRun::writeProfile() {
  if (opts.profilePath.empty())
    return true;
  TraceWriter trace;
  trace.setProcessName(1, "dlc " + opts.modelPath);
  cuda->addTimingsTo(trace);
  std::string err;
  if (!trace.write(opts.profilePath, err))
    return error("--profile: " + err);
  return true;
}

/// The outputs: printed without -o, else written as .npy (bf16 widened to
/// f32); a failed write removes what this run wrote.
bool ModelRun::writeOutputs() {
  if (opts.outputPath.empty()) {
    for (const NamedTensor &r : results)
      printTensor(llvm::outs(), r.name, r.tensor);
    return true;
  }
  if (makeDir)
    if (std::error_code ec = llvm::sys::fs::create_directories(opts.outputPath))
      return error("cannot create output directory '" + opts.outputPath +
                   "': " + ec.message());
  std::vector<std::string> written;
  for (auto [r, path] : llvm::zip(results, destinations)) {
    const HostTensor *t = &r.tensor;
    HostTensor widened;
    if (t->dtype == DType::BF16) { // .npy has no bf16; f32 holds it exactly
      ref::Tensor<float> v;
      std::string err;
      if (!ref::loadFloat(*t, v, err))
        return error("output '" + r.name + "': " + err);
      widened = ref::storeFloat(v, DType::F32);
      t = &widened;
    }
    std::string err;
    if (!writeNpy(path, *t, err)) {
      // Leave nothing half-done: remove what this run already wrote.
      for (const std::string &w : written)
        llvm::sys::fs::remove(w);
      return error("output '" + r.name + "': " + err);
    }
    written.push_back(path);
  }
  return true;
}

int ModelRun::run() {
  if (!checkFlags() || !openDevice() || !parseInputSpecs() || !loadModel() ||
      !readInputs() || !planOutputs() || !execute() || !writeProfile() ||
      !writeOutputs())
    return code;
  return kOk;
}

} // namespace

int executeModel(const RunOptions &opts) { return ModelRun(opts).run(); }

} // namespace dlc::tools
