//===- RunCommand.cpp - `dlc run`: execute a model on inputs --------------===//
//
//   dlc run model.json --input x=x.npy [--input ...] -o y.npy
//       [--device=auto|cpu|cuda|reference] [--precision=f32|f64|bf16|fp16]
//
// --device=cpu compiles the model in-process (the compile pipeline, then
// emitCuda) and runs the emitted kernels on the host (runtime/cpu/CpuDevice.h);
// params come from the same initializers as the reference interpreter's.
//
// Inputs are read and checked against the model before anything runs;
// outputs are written only after the whole run succeeded (each through a
// temporary file and a rename).
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "codegen/CudaEmitter.h"
#include "ir/Interpreter.h"
#include "passes/Pipeline.h"
#include "runtime/cpu/CpuDevice.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/Trace.h"
#include "runtime/io/TensorFile.h"
#include "ir/reference/HostConvert.h"

#include "ir/ModelAttrs.h"

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

namespace cl = llvm::cl;

namespace dlc::tools {

llvm::cl::SubCommand &runCommand() {
  static cl::SubCommand cmd(
      "run", "Execute a model on inputs: dlc run model.json --input x=x.npy "
             "-o y.npy");
  return cmd;
}

namespace {

enum class Device { Reference, Auto, Cpu, Cuda };

cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.json>"),
                               cl::sub(runCommand()), cl::cat(dlcCategory()));

cl::opt<std::string> profilePath(
    "profile",
    cl::desc("Time each kernel with CUDA events and write the times as a "
             "Chrome trace (open it in Perfetto); needs the cuda device"),
    cl::value_desc("trace.json"), cl::sub(runCommand()), cl::cat(dlcCategory()));

cl::opt<Device> device(
    "device",
    cl::desc("Where to run"),
    cl::values(clEnumValN(Device::Auto, "auto",
                          "cuda when a CUDA driver and GPU are present, else "
                          "cpu (default)"),
               clEnumValN(Device::Cpu, "cpu",
                          "the compiled kernels (the same CUDA source) built "
                          "with the host C++ compiler ($DLC_HOST_CXX, else "
                          "c++) and run on host threads"),
               clEnumValN(Device::Cuda, "cuda",
                          "the compiled kernels on the GPU (NVRTC, libcuda "
                          "loaded at run time)"),
               clEnumValN(Device::Reference, "reference",
                          "the reference interpreter: plain CPU kernels, "
                          "the oracle for tests")),
    cl::init(Device::Auto), cl::sub(runCommand()), cl::cat(dlcCategory()));

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
  auto ret = llvm::cast<mlir::func::ReturnOp>(
      func.getBody().front().getTerminator());
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

/// The device to run compiled kernels on: cuda (auto: when one can be
/// created), else cpu. Null after reporting why --device=cuda cannot be.
std::unique_ptr<dlc::Device> makeDevice(Device kind) {
  if (kind == Device::Cuda || kind == Device::Auto) {
    std::string err;
    CudaDeviceOptions opts;
    opts.poisonOutputs = true;
    opts.profile = !profilePath.empty();
    if (auto cuda = CudaDevice::create(opts, err))
      return cuda;
    if (kind == Device::Cuda) {
      fail("--device=cuda: " + err);
      return nullptr;
    }
  }
  return std::make_unique<CpuDevice>();
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
    ModelValue::Kind kind = b.role == BufferRole::Input ? ModelValue::Kind::Input
                            : b.role == BufferRole::Param
                                ? ModelValue::Kind::Param
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
    HostTensor *t =
        kind == ModelValue::Kind::Input
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

} // namespace

int runMain() {
  // --precision: the interpreter's compute type, and the low type of mixed
  // precision ("": none).
  Precision precision = Precision::F32;
  std::string lowPrecision;
  if (precisionOpt == "f64")
    precision = Precision::F64;
  else if (precisionOpt == "bf16" || precisionOpt == "fp16")
    lowPrecision = precisionOpt;
  else if (precisionOpt != "f32" && precisionOpt != "fp32")
    return fail("unknown --precision '" + precisionOpt +
                "'; expected f32 (fp32), f64, bf16 or fp16");
  if (precision == Precision::F64 && device != Device::Reference)
    return fail("--precision=f64 is the reference interpreter's arithmetic; "
                "it needs --device=reference (compiled kernels compute in the "
                "model's types, or bf16/fp16)");
  std::unique_ptr<dlc::Device> compiled;
  if (!profilePath.empty() && (device == Device::Reference || device == Device::Cpu))
    return fail("--profile times kernels on the GPU; it needs --device=cuda "
                "(or auto on a machine with a GPU)");
  if (device != Device::Reference && !(compiled = makeDevice(device)))
    return kUserError;
  auto *cuda = dynamic_cast<CudaDevice *>(compiled.get());
  if (!profilePath.empty() && !cuda)
    return fail("--profile: no GPU was found, so there is nothing to time");
  if (modelPath.empty())
    return fail("no model given; usage: dlc run model.json --input "
                "name=file.npy -o out.npy");

  // Parse --input name=file before loading anything.
  std::map<std::string, std::string> files;
  for (const std::string &spec : inputs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return fail("--input expects name=file, got '" + spec + "'");
    std::string name = spec.substr(0, eq);
    if (!files.emplace(name, spec.substr(eq + 1)).second)
      return fail("input '" + name + "' is given twice");
  }

  Session session;
  auto module = session.load(modelPath);
  if (!module)
    return kUserError;
  mlir::func::FuncOp func = getModelFunction(*module);
  if (!func)
    return kUserError;
  if (!selectedOutputs.empty() && !selectOutputs(func, selectedOutputs))
    return kUserError;
  auto values = describeModel(func);
  if (failed(values))
    return kUserError;

  std::map<std::string, const ModelValue *> modelInputs;
  std::vector<const ModelValue *> outputs;
  for (const ModelValue &mv : *values) {
    if (mv.kind == ModelValue::Kind::Input)
      modelInputs[mv.name] = &mv;
    else if (mv.kind == ModelValue::Kind::Output)
      outputs.push_back(&mv);
  }
  auto inputList = [&] {
    std::string s;
    for (const auto &[name, mv] : modelInputs)
      s += (s.empty() ? "" : ", ") + name + " (" +
           describe(mv->dtype, mv->shape) + ")";
    return s.empty() ? std::string("none") : s;
  };

  // Read every input and check it against the model.
  std::map<std::string, HostTensor> tensors;
  for (const auto &[name, file] : files) {
    auto it = modelInputs.find(name);
    if (it == modelInputs.end())
      return fail("the model has no input '" + name + "'; its inputs are " +
                  inputList());
    HostTensor t;
    std::string err;
    if (!readTensorFile(file, "", t, err))
      return fail("input '" + name + "': " + err);
    const ModelValue &mv = *it->second;
    if (t.dtype != mv.dtype || t.shape != mv.shape) {
      bool onlyBatch = t.dtype == mv.dtype && !t.shape.empty() &&
                       t.shape.size() == mv.shape.size() &&
                       std::equal(t.shape.begin() + 1, t.shape.end(),
                                  mv.shape.begin() + 1);
      return fail("input '" + name + "' (" + file + ") is " +
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
    return fail("no --input given for " + missing);

  // Decide where each output goes, and check that it can be written, before
  // running.
  std::vector<std::string> destinations;
  bool makeDir = false; // created only once the run has succeeded
  if (!outputPath.empty()) {
    bool isDir = llvm::sys::fs::is_directory(outputPath);
    if (outputs.size() > 1 || isDir) {
      makeDir = !isDir;
      if (makeDir && llvm::sys::fs::exists(outputPath))
        return fail("cannot write the outputs into '" + outputPath +
                    "': it exists and is not a directory");
      for (const ModelValue *mv : outputs) {
        if (!isSafeFileName(mv->name))
          return fail("output '" + mv->name +
                      "' is not usable as a file name in '" + outputPath + "'");
        llvm::SmallString<256> p(outputPath);
        llvm::sys::path::append(p, mv->name + ".npy");
        destinations.push_back(std::string(p));
      }
    } else {
      llvm::StringRef parent = llvm::sys::path::parent_path(outputPath);
      if (!parent.empty() && !llvm::sys::fs::is_directory(parent))
        return fail("cannot write '" + outputPath + "': directory '" + parent +
                    "' does not exist");
      if (!outputs.empty())
        destinations.push_back(outputPath);
    }
  }

  // Mixed precision for the interpreter: it runs the rewritten graph,
  // rounding bf16/fp16 values after every op as the kernels store them.
  if (device == Device::Reference && !lowPrecision.empty()) {
    mlir::PassManager pm((*module)->getName());
    mlir::dlc::PipelineOptions opts;
    opts.precision = lowPrecision;
    opts.stopAfter = mlir::dlc::Phase::Import;
    mlir::dlc::buildCompilePipeline(pm, opts);
    if (failed(pm.run(*module)))
      return kInternalError;
  }
  auto results = device == Device::Reference
                     ? runModel(*module, tensors, {precision})
                     : runCompiled(*module, tensors, *compiled, lowPrecision);
  if (failed(results))
    return kUserError;
  if (!profilePath.empty()) {
    TraceWriter trace;
    trace.setProcessName(1, "dlc " + modelPath);
    cuda->addTimingsTo(trace);
    std::string err;
    if (!trace.write(profilePath, err))
      return fail("--profile: " + err);
  }

  if (outputPath.empty()) {
    for (const NamedTensor &r : *results)
      printTensor(llvm::outs(), r.name, r.tensor);
    return kOk;
  }
  if (makeDir)
    if (std::error_code ec = llvm::sys::fs::create_directories(outputPath))
      return fail("cannot create output directory '" + outputPath +
                  "': " + ec.message());
  std::vector<std::string> written;
  for (auto [r, path] : llvm::zip(*results, destinations)) {
    const HostTensor *t = &r.tensor;
    HostTensor widened;
    if (t->dtype == DType::BF16) { // .npy has no bf16; f32 holds it exactly
      ref::Tensor<float> v;
      std::string err;
      if (!ref::loadFloat(*t, v, err))
        return fail("output '" + r.name + "': " + err);
      widened = ref::storeFloat(v, DType::F32);
      t = &widened;
    }
    std::string err;
    if (!writeNpy(path, *t, err)) {
      // Leave nothing half-done: remove what this run already wrote.
      for (const std::string &w : written)
        llvm::sys::fs::remove(w);
      return fail("output '" + r.name + "': " + err);
    }
    written.push_back(path);
  }
  return kOk;
}

} // namespace dlc::tools
