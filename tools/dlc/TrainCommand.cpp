//===- TrainCommand.cpp - `dlc train`: the training loop ------------------===//
//
//   dlc train model.json --data fashion-mnist --epochs 10 --batch 64
//       [--device=auto|cpu|cuda|reference] [--limit-train N] [--limit-test N]
//       [--checkpoint-dir dir [--resume]] [--plot curves.png] [--seed S]
//       [--dump-gradients grads.safetensors]
//       [--precision=fp32|bf16|fp16 [--loss-scale S]
//        [--loss-scale-growth-interval N]] [--emit-step dir]
//
// The step (forward + backward + optimizer update, passes/TrainingStep.h)
// is one function; the forward model alone evaluates the test set. Both run
// through the reference interpreter or, compiled once, on a device; the
// loop (data, shuffling, checkpoints, curves) is here. docs/training.md.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "codegen/CudaEmitter.h"
#include "ir/Interpreter.h"
#include "ir/ModelAttrs.h"
#include "passes/LossScaling.h"
#include "passes/Pipeline.h"
#include "passes/TrainingStep.h"
#include "runtime/core/AtomicFile.h"
#include "train/Checkpoint.h"
#include "runtime/cpu/CpuDevice.h"
#include "runtime/cuda/CudaDevice.h"
#include "train/Dataset.h"
#include "train/Plot.h"
#include "runtime/io/TensorFile.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <unistd.h>

namespace cl = llvm::cl;

namespace dlc::tools {

llvm::cl::SubCommand &trainCommand() {
  static cl::SubCommand cmd(
      "train", "Train a model: dlc train model.json --data fashion-mnist "
               "--epochs 10 --batch 64");
  return cmd;
}

namespace {

enum class Device { Reference, Auto, Cpu, Cuda };

#define DLC_TRAIN_OPT cl::sub(trainCommand()), cl::cat(dlcCategory())
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.json>"),
                               DLC_TRAIN_OPT);
cl::opt<std::string>
    dataOpt("data",
            cl::desc("The dataset: 'fashion-mnist' (/usr/share/datasets/"
                     "fashion-mnist) or a directory holding "
                     "{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz"),
            cl::value_desc("name|dir"), cl::init("fashion-mnist"),
            DLC_TRAIN_OPT);
cl::opt<int64_t> epochs("epochs", cl::desc("Epochs to train (default 1)"),
                        cl::init(1), DLC_TRAIN_OPT);
cl::opt<int64_t> limitTrain("limit-train",
                            cl::desc("Use only the first N training examples"),
                            cl::init(-1), DLC_TRAIN_OPT);
cl::opt<int64_t> limitTest("limit-test",
                           cl::desc("Use only the first N test examples"),
                           cl::init(-1), DLC_TRAIN_OPT);
cl::opt<std::string> checkpointDir(
    "checkpoint-dir",
    cl::desc("Write <dir>/epoch-NNNN.safetensors after every epoch (params, "
             "optimizer state, epoch, step, model name)"),
    cl::value_desc("dir"), DLC_TRAIN_OPT);
cl::opt<bool> resume("resume",
                     cl::desc("Continue from the latest checkpoint of "
                              "--checkpoint-dir"),
                     DLC_TRAIN_OPT);
cl::opt<std::string> plotPath(
    "plot",
    cl::desc("Write the curves as a PNG: left, loss (blue: train per batch, "
             "red: test per epoch); right, accuracy (blue: train, red: test "
             "per epoch)"),
    cl::value_desc("curves.png"), DLC_TRAIN_OPT);
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the per-epoch shuffles"),
                       cl::init(0), DLC_TRAIN_OPT);
cl::opt<std::string> dumpGradients(
    "dump-gradients",
    cl::desc("Run one step on the first training batch (unshuffled), write "
             "x, labels, the params, the loss and every gradient ('grad:"
             "<param>') to a .safetensors file, and exit"),
    cl::value_desc("file.safetensors"), DLC_TRAIN_OPT);
cl::opt<std::string> emitStep(
    "emit-step",
    cl::desc("Write the compiled training step (kernels.cu, manifest.json) "
             "to <dir> (--device=cpu or cuda; docs/training.md)"),
    cl::value_desc("dir"), DLC_TRAIN_OPT);
cl::opt<Device> device(
    "device", cl::desc("Where the step runs"),
    cl::values(clEnumValN(Device::Auto, "auto",
                          "the compiled step on cuda, else cpu, when it "
                          "compiles; else the reference interpreter (default)"),
               clEnumValN(Device::Cpu, "cpu",
                          "the compiled kernels on host threads"),
               clEnumValN(Device::Cuda, "cuda", "the compiled kernels on the GPU"),
               clEnumValN(Device::Reference, "reference",
                          "the reference interpreter")),
    cl::init(Device::Auto), DLC_TRAIN_OPT);
cl::opt<std::string> precisionOpt(
    "precision",
    cl::desc("fp32 (default), or mixed precision: bf16 or fp16 activations "
             "and contractions (f32 accumulation), f32 softmax/norms/losses, "
             "f32 master weights and optimizer (docs/mixed-precision.md); "
             "fp16 adds dynamic loss scaling"),
    cl::value_desc("fp32|bf16|fp16"), cl::init("fp32"), DLC_TRAIN_OPT);
cl::opt<double> lossScaleInit(
    "loss-scale",
    cl::desc("fp16: the initial loss scale (default 65536); halved after a "
             "step whose gradients overflow (the step is skipped), doubled "
             "after --loss-scale-growth-interval good steps"),
    cl::init(65536.0), DLC_TRAIN_OPT);
cl::opt<int64_t> lossScaleInterval(
    "loss-scale-growth-interval",
    cl::desc("fp16: good steps in a row before the loss scale doubles "
             "(default 2000)"),
    cl::init(2000), DLC_TRAIN_OPT);
#undef DLC_TRAIN_OPT

/// Dynamic loss scaling as torch.cuda.amp.GradScaler (backoff 0.5, growth
/// 2): the step multiplies the loss by `scale` and the gradients by
/// 1/scale, and reports whether any gradient was inf or nan.
struct LossScaler {
  float scale = 0; // 0: no loss scaling
  int64_t goodSteps = 0;
  HostTensor scaleT = HostTensor::zeros(DType::F32, {}),
             inverseT = HostTensor::zeros(DType::F32, {});
  void bind(std::map<std::string, const HostTensor *> &args) {
    if (!scale)
      return;
    *reinterpret_cast<float *>(scaleT.bytes.data()) = scale;
    *reinterpret_cast<float *>(inverseT.bytes.data()) = 1.0f / scale;
    args["opt.loss_scale"] = &scaleT;
    args["opt.grad_scale"] = &inverseT;
  }
  /// Updates the scale after a step; true when the step was skipped.
  bool update(const HostTensor &skipped) {
    if (!scale)
      return false;
    if (*reinterpret_cast<const float *>(skipped.bytes.data()) != 0) {
      scale *= 0.5f, goodSteps = 0;
      return true;
    }
    if (++goodSteps == lossScaleInterval)
      scale *= 2.0f, goodSteps = 0;
    return false;
  }
  /// The scaler's state goes into checkpoints ("scaler/scale",
  /// "scaler/good_steps", as GradScaler's state_dict) so that --resume
  /// continues with the scale the run had reached.
  void save(std::map<std::string, HostTensor> &tensors) const {
    if (!scale)
      return;
    HostTensor s = HostTensor::zeros(DType::F32, {}),
               g = HostTensor::zeros(DType::I64, {});
    *reinterpret_cast<float *>(s.bytes.data()) = scale;
    *reinterpret_cast<int64_t *>(g.bytes.data()) = goodSteps;
    tensors["scaler/scale"] = std::move(s);
    tensors["scaler/good_steps"] = std::move(g);
  }
  /// Takes the scaler's tensors out of a checkpoint (dropped when this run
  /// has no loss scaling); false with `err` when they are malformed.
  bool restore(std::map<std::string, HostTensor> &tensors, std::string &err) {
    auto s = tensors.find("scaler/scale"), g = tensors.find("scaler/good_steps");
    if (s == tensors.end() && g == tensors.end())
      return true;
    if (s == tensors.end() || g == tensors.end() ||
        s->second.dtype != DType::F32 || !s->second.shape.empty() ||
        g->second.dtype != DType::I64 || !g->second.shape.empty()) {
      err = "the loss scaler's state (scaler/scale f32 [], scaler/good_steps "
            "i64 []) is incomplete or has the wrong type";
      return false;
    }
    float sc = *reinterpret_cast<const float *>(s->second.bytes.data());
    int64_t good = *reinterpret_cast<const int64_t *>(g->second.bytes.data());
    if (!(sc >= 1 && sc <= 3.0e38f) || good < 0) {
      err = "the loss scaler's state is out of range (scale " +
            std::to_string(sc) + ", good steps " + std::to_string(good) + ")";
      return false;
    }
    if (scale)
      scale = sc, goodSteps = good;
    tensors.erase(s);
    tensors.erase(g);
    return true;
  }
};

int fail(const llvm::Twine &msg) {
  llvm::errs() << "dlc train: " << msg << "\n";
  return kUserError;
}

/// A model function ready to run: interpreted, or compiled and loaded on a
/// device. Tensors are passed and returned by model name.
class Runner {
public:
  virtual ~Runner() = default;
  virtual bool run(const std::map<std::string, const HostTensor *> &args,
                   std::map<std::string, HostTensor> &results,
                   std::string &err) = 0;
};

class ReferenceRunner : public Runner {
public:
  ReferenceRunner(mlir::func::FuncOp func, std::vector<ModelValue> values)
      : func(func), values(std::move(values)) {}
  bool run(const std::map<std::string, const HostTensor *> &args,
           std::map<std::string, HostTensor> &results,
           std::string &err) override {
    std::vector<HostTensor> in;
    for (const ModelValue &mv : values)
      if (mv.kind != ModelValue::Kind::Output) {
        auto it = args.find(mv.name);
        if (it == args.end()) {
          err = "no value for '" + mv.name + "'";
          return false;
        }
        in.push_back(*it->second);
      }
    auto out = interpret(func, in, {Precision::F32});
    if (failed(out)) {
      err = "the reference interpreter failed (see above)";
      return false;
    }
    size_t i = 0;
    for (const ModelValue &mv : values)
      if (mv.kind == ModelValue::Kind::Output)
        results[mv.name] = std::move((*out)[i++]);
    return true;
  }

private:
  mlir::func::FuncOp func;
  std::vector<ModelValue> values;
};

/// kernels.cu and manifest.json of `program` in `dir`; false with `err`.
bool writeProgram(const std::string &dir, const mlir::dlc::CudaProgram &program,
                  std::string &err) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    err = "--emit-step: cannot create '" + dir + "': " + ec.message();
    return false;
  }
  for (auto [name, text] : {std::pair<const char *, const std::string *>{
                                "kernels.cu", &program.source},
                            {"manifest.json", &program.manifestJson}}) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    if (!writeFileAtomically(std::string(path), {*text}, err)) {
      err = "--emit-step: " + err;
      return false;
    }
  }
  return true;
}

class CompiledRunner : public Runner {
public:
  /// Compiles `module` (consumed) and loads it on `dev`; false with `err`.
  /// The optimizer updates stay whole: the pipeline's --dlc-fuse-optimizer
  /// makes them one multi-tensor kernel. `emitDir`: where to write the
  /// program too ("" for nowhere).
  bool init(mlir::ModuleOp module, dlc::Device &dev, std::string &err,
            const std::string &emitDir = "") {
    device = &dev;
    mlir::func::FuncOp func = getModelFunction(module);
    auto values = describeModel(func);
    if (failed(values)) {
      err = "cannot describe the model (see above)";
      return false;
    }
    mlir::PassManager pm(module->getName());
    mlir::dlc::buildCompilePipeline(pm, {});
    if (failed(pm.run(module))) {
      err = "the compile pipeline failed (see above)";
      return false;
    }
    auto emitted = mlir::dlc::emitCuda(func);
    if (failed(emitted)) {
      err = "CUDA emission failed (see above)";
      return false;
    }
    if (!emitDir.empty() && !writeProgram(emitDir, *emitted, err))
      return false;
    if (!Program::parse(emitted->manifestJson, emitted->source, program, err))
      return false;
    for (const ProgramBuffer &b : program.buffers())
      if (b.role != BufferRole::Intermediate)
        roles[b.name] = {b.modelName, b.role};
    return device->load(program, err);
  }
  bool run(const std::map<std::string, const HostTensor *> &args,
           std::map<std::string, HostTensor> &results,
           std::string &err) override {
    auto outputs = makeOutputs(program);
    BufferBindings bindings;
    for (auto &[name, info] : roles) {
      if (info.second == BufferRole::Output) {
        bindings[name] = &outputs.at(name);
        continue;
      }
      auto it = args.find(info.first);
      if (it == args.end()) {
        err = "no value for '" + info.first + "'";
        return false;
      }
      bindings[name] = const_cast<HostTensor *>(it->second);
    }
    if (!device->run(bindings, err))
      return false;
    for (auto &[name, info] : roles)
      if (info.second == BufferRole::Output)
        results[info.first] = std::move(outputs.at(name));
    return true;
  }

private:
  dlc::Device *device = nullptr;
  Program program;
  std::map<std::string, std::pair<std::string, BufferRole>> roles;
};

float scalarOf(const HostTensor &t) {
  if (t.dtype == DType::F64)
    return float(*reinterpret_cast<const double *>(t.bytes.data()));
  return *reinterpret_cast<const float *>(t.bytes.data());
}

/// Correct predictions of `scores` [B, C] (f32) against labels (i64 [B]).
int64_t correct(const HostTensor &scores, const HostTensor &labels) {
  int64_t b = scores.shape[0], c = scores.shape[1], n = 0;
  auto *s = reinterpret_cast<const float *>(scores.bytes.data());
  auto *l = reinterpret_cast<const int64_t *>(labels.bytes.data());
  for (int64_t i = 0; i < b; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < c; ++j)
      if (s[i * c + j] > s[i * c + best])
        best = j;
    n += best == l[i];
  }
  return n;
}

struct ModelIO {
  std::string image, label, loss, scores; // names in the model
  int64_t batch = 0, classes = 0;
};

/// Finds the model's image input (f32 [B, 1, H, W]), label input (i64
/// [B]), loss and class scores (a float [B, C] output other than the loss).
bool findModelIO(const std::vector<ModelValue> &values, llvm::StringRef loss,
                 ModelIO &io, std::string &err) {
  io.loss = loss.str();
  for (const ModelValue &mv : values) {
    if (mv.kind == ModelValue::Kind::Input && mv.shape.size() == 4 &&
        mv.dtype == DType::F32)
      io.image = mv.name, io.batch = mv.shape[0];
    else if (mv.kind == ModelValue::Kind::Input && mv.shape.size() == 1 &&
             !isFloat(mv.dtype))
      io.label = mv.name;
    else if (mv.kind == ModelValue::Kind::Output && mv.name != loss &&
             mv.shape.size() == 2 && mv.dtype == DType::F32 &&
             io.scores.empty())
      io.scores = mv.name, io.classes = mv.shape[1];
  }
  if (io.image.empty() || io.label.empty() || io.scores.empty()) {
    err = "the model must take an f32 [B, 1, H, W] image input and an integer "
          "[B] label input and return f32 [B, classes] scores besides the "
          "loss";
    return false;
  }
  return true;
}

std::string fmt(double v, const char *f = "%.4f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

} // namespace

int trainMain() {
  using Clock = std::chrono::steady_clock;
  if (modelPath.empty())
    return fail("no model given; usage: dlc train model.json --data "
                "fashion-mnist --epochs 1 --batch 64");
  if (epochs < 1)
    return fail("--epochs must be at least 1");
  if (resume && checkpointDir.empty())
    return fail("--resume needs --checkpoint-dir");
  if (!llvm::is_contained({"fp32", "f32", "bf16", "fp16"}, precisionOpt))
    return fail("unknown --precision '" + precisionOpt +
                "'; expected fp32, bf16 or fp16");
  bool lowPrecision = precisionOpt == "bf16" || precisionOpt == "fp16";
  LossScaler scaler;
  if (precisionOpt != "fp16" && (lossScaleInit.getNumOccurrences() ||
                                 lossScaleInterval.getNumOccurrences()))
    return fail("--loss-scale and --loss-scale-growth-interval need "
                "--precision=fp16 (bf16 has f32's range: no loss scaling)");
  if (precisionOpt == "fp16") {
    if (!(lossScaleInit >= 1 && lossScaleInit <= 3.0e38))
      return fail("--loss-scale must be a number from 1 to 3e38");
    if (lossScaleInterval < 1)
      return fail("--loss-scale-growth-interval must be at least 1");
    scaler.scale = float(lossScaleInit);
  }
  if (!emitStep.empty() && device == Device::Reference)
    return fail("--emit-step needs a compiled step (--device=cpu, cuda or "
                "auto)");

  Session session;
  auto module = session.load(modelPath);
  if (!module)
    return kUserError;
  auto optimizer = mlir::dlc::readOptimizer(*module);
  if (failed(optimizer))
    return kUserError;
  auto training = (*module)->getAttrOfType<mlir::DictionaryAttr>(
      attrs::kTraining);
  auto lossName = training.getAs<mlir::StringAttr>("loss");
  auto modelNameAttr = (*module)->getAttrOfType<mlir::StringAttr>(attrs::kModel);
  std::string modelName = modelNameAttr ? modelNameAttr.str() : modelPath;

  mlir::func::FuncOp forward = getModelFunction(*module);
  if (!forward)
    return kUserError;
  auto fwdValues = describeModel(forward);
  if (failed(fwdValues))
    return kUserError;
  ModelIO io;
  std::string err;
  if (!findModelIO(*fwdValues, lossName.getValue(), io, err))
    return fail(err);

  // The data, checked before anything is compiled.
  std::string dir = datasetDirectory(dataOpt);
  ImageDataset train, test;
  if (!loadIdxSplit(dir, "train", limitTrain, io.classes, train, err) ||
      (dumpGradients.empty() &&
       !loadIdxSplit(dir, "t10k", limitTest, io.classes, test, err)))
    return fail(err);
  for (const ModelValue &mv : *fwdValues)
    if (mv.name == io.image &&
        (mv.shape[1] != 1 || mv.shape[2] != train.rows ||
         mv.shape[3] != train.cols))
      return fail("the model's input '" + io.image + "' is " +
                  formatShape(mv.shape) + " but the images are [B, 1, " +
                  std::to_string(train.rows) + ", " +
                  std::to_string(train.cols) + "]");
  if (train.count < io.batch)
    return fail("the training set has " + std::to_string(train.count) +
                " examples, fewer than one batch of " +
                std::to_string(io.batch));

  // The params, and the optimizer state (zeros), unless resumed.
  auto initial = materializeParams(*module);
  if (failed(initial))
    return kUserError;
  std::map<std::string, HostTensor> params = std::move(*initial), state;
  std::vector<std::string> kinds = optimizer->stateKinds();
  for (const auto &[name, t] : params)
    for (const std::string &kind : kinds)
      state["state/" + kind + "/" + name] = HostTensor::zeros(t.dtype, t.shape);
  int64_t firstEpoch = 1, step = 0;
  if (resume) {
    std::string path;
    Checkpoint ckpt;
    if (!latestCheckpoint(checkpointDir, path, err) ||
        !readCheckpoint(path, ckpt, err))
      return fail("--resume: " + err);
    if (ckpt.model != modelName || ckpt.optimizer != optimizer->name)
      return fail("--resume: " + path + " is a checkpoint of model '" +
                  ckpt.model + "' with " + ckpt.optimizer + ", not of '" +
                  modelName + "' with " + optimizer->name);
    auto take = [&](std::map<std::string, HostTensor> &into,
                    const std::string &prefix) -> bool {
      for (auto &[name, t] : into) {
        auto it = ckpt.tensors.find(prefix + name);
        if (it == ckpt.tensors.end()) {
          err = path + ": no tensor '" + prefix + name + "'";
          return false;
        }
        if (it->second.dtype != t.dtype || it->second.shape != t.shape) {
          err = path + ": tensor '" + prefix + name + "' is " +
                std::string(dtypeName(it->second.dtype)) + " " +
                formatShape(it->second.shape) + ", the model's is " +
                std::string(dtypeName(t.dtype)) + " " + formatShape(t.shape);
          return false;
        }
        t = std::move(it->second);
        ckpt.tensors.erase(it);
      }
      return true;
    };
    if (!take(params, "param/") || !take(state, ""))
      return fail("--resume: " + err);
    if (!scaler.restore(ckpt.tensors, err))
      return fail("--resume: " + path + ": " + err);
    if (!ckpt.tensors.empty())
      return fail("--resume: " + path + ": tensor '" +
                  ckpt.tensors.begin()->first +
                  "' matches nothing in the model (a different model?)");
    firstEpoch = ckpt.epoch + 1;
    step = ckpt.step;
    llvm::errs() << "dlc train: resuming from " << path << " (epoch "
                 << ckpt.epoch << ", step " << step;
    if (scaler.scale)
      llvm::errs() << ", loss scale " << fmt(scaler.scale, "%g");
    llvm::errs() << ")\n";
  }

  // Mixed precision: the forward graph (evaluation, and the step built from
  // it, so the backward graph is low precision too) computes in bf16/fp16;
  // params and the optimizer stay f32.
  if (lowPrecision) {
    mlir::PassManager pm((*module)->getName());
    mlir::dlc::PipelineOptions opts;
    opts.precision = precisionOpt;
    opts.stopAfter = mlir::dlc::Phase::Import;
    mlir::dlc::buildCompilePipeline(pm, opts);
    if (failed(pm.run(*module)))
      return kInternalError;
  }

  // The training step.
  mlir::OwningOpRef<mlir::ModuleOp> stepModule = module->clone();
  mlir::dlc::TrainingStepOptions stepOpts;
  stepOpts.lossScaling = scaler.scale != 0;
  if (stepOpts.lossScaling && failed(mlir::dlc::scaleTrainingLoss(*stepModule)))
    return kInternalError;
  if (failed(mlir::dlc::buildTrainingStep(*stepModule, stepOpts)))
    return kUserError;
  if (stepOpts.lossScaling &&
      failed(mlir::dlc::computeOverflowSkip(*stepModule)))
    return kInternalError;
  mlir::func::FuncOp stepFunc = getModelFunction(*stepModule);
  auto stepValues = describeModel(stepFunc);
  if (failed(stepValues))
    return kUserError;

  // Where it runs: compiled on a device, or interpreted.
  std::unique_ptr<dlc::Device> dev;
  std::unique_ptr<Runner> stepRunner, evalRunner;
  std::string where = "reference";
  if (device != Device::Reference) {
    if (device == Device::Cuda || device == Device::Auto) {
      CudaDeviceOptions opts;
      if (auto cuda = CudaDevice::create(opts, err))
        dev = std::move(cuda), where = "cuda";
      else if (device == Device::Cuda)
        return fail("--device=cuda: " + err);
    }
    if (!dev)
      dev = std::make_unique<CpuDevice>(), where = "cpu";
    auto stepC = std::make_unique<CompiledRunner>();
    auto evalC = std::make_unique<CompiledRunner>();
    mlir::OwningOpRef<mlir::ModuleOp> stepCopy = stepModule->clone();
    mlir::OwningOpRef<mlir::ModuleOp> fwdCopy = module->clone();
    bool ok = stepC->init(*stepCopy, *dev, err, emitStep);
    std::unique_ptr<dlc::Device> evalDev;
    if (ok) {
      evalDev = where == "cuda" ? nullptr : std::make_unique<CpuDevice>();
      if (!evalDev) {
        CudaDeviceOptions opts;
        evalDev = CudaDevice::create(opts, err);
      }
      ok = evalDev && evalC->init(*fwdCopy, *evalDev, err);
    }
    if (!ok) {
      if (device != Device::Auto)
        return fail("--device=" + where + ": the training step does not "
                    "compile: " + err);
      llvm::errs() << "dlc train: the compiled step is not available ("
                   << err << "); using the reference interpreter\n";
      dev.reset();
      where = "reference";
    } else {
      stepRunner = std::move(stepC);
      evalRunner = std::move(evalC);
      static std::unique_ptr<dlc::Device> keepEvalDev;
      keepEvalDev = std::move(evalDev);
    }
  }
  if (!stepRunner) {
    stepRunner = std::make_unique<ReferenceRunner>(stepFunc, *stepValues);
    evalRunner = std::make_unique<ReferenceRunner>(forward, *fwdValues);
  }

  HostTensor lrT = HostTensor::zeros(DType::F32, {}),
             stepT = HostTensor::zeros(DType::F32, {});
  *reinterpret_cast<float *>(lrT.bytes.data()) = float(optimizer->lr);
  Batcher trainBatches(train, io.batch), testBatches(test, io.batch);

  auto bindCommon = [&](std::map<std::string, const HostTensor *> &args,
                        const HostTensor &x, const HostTensor &labels) {
    args[io.image] = &x;
    args[io.label] = &labels;
    for (auto &[name, t] : params)
      args[name] = &t;
  };
  // A training step's arguments: the batch, params, optimizer state, step
  // number, learning rate and (fp16) the loss scale.
  auto bindStep = [&](std::map<std::string, const HostTensor *> &args,
                      const HostTensor &x, const HostTensor &labels,
                      int64_t stepNumber) {
    bindCommon(args, x, labels);
    for (auto &[name, t] : state)
      args[name] = &t;
    *reinterpret_cast<float *>(stepT.bytes.data()) = float(stepNumber);
    args["opt.step"] = &stepT;
    args["opt.lr"] = &lrT;
    scaler.bind(args);
  };

  if (!dumpGradients.empty()) {
    HostTensor x, labels;
    trainBatches.shuffle(0, false);
    trainBatches.fill(0, x, labels);
    std::map<std::string, const HostTensor *> args;
    bindStep(args, x, labels, step + 1);
    std::map<std::string, HostTensor> out;
    if (!stepRunner->run(args, out, err))
      return fail(err);
    if (scaler.scale) // the dumped gradients are the unscaled ones
      for (auto &[name, t] : params) {
        HostTensor &g = out.at("grad:" + name);
        auto *v = reinterpret_cast<float *>(g.bytes.data());
        for (int64_t i = 0; i < g.numel(); ++i)
          v[i] /= scaler.scale;
      }
    std::map<std::string, HostTensor> dump;
    dump["x"] = x;
    dump["labels"] = labels;
    dump["loss"] = out.at(io.loss);
    for (auto &[name, t] : params) {
      dump["param/" + name] = t;
      dump["grad/" + name] = out.at("grad:" + name);
    }
    if (!writeSafetensors(dumpGradients, dump, err))
      return fail(err);
    llvm::outs() << "wrote the gradients of " << params.size()
                 << " params (loss " << fmt(scalarOf(out.at(io.loss)))
                 << ", " << where << ") to " << dumpGradients << "\n";
    return kOk;
  }

  if (!checkpointDir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(checkpointDir))
      return fail("cannot create --checkpoint-dir '" + checkpointDir +
                  "': " + ec.message());

  bool tty = isatty(2);
  PlotSeries lossCurve, testLoss, trainAcc, testAcc;
  lossCurve.rgb[2] = 200, trainAcc.rgb[2] = 200;
  testLoss.rgb[0] = 210, testAcc.rgb[0] = 210;
  int64_t lastEpoch = firstEpoch + epochs - 1;
  llvm::outs() << "training " << modelName << " on " << dir << ": "
               << train.count << " train / " << test.count
               << " test examples, batch " << io.batch << ", "
               << trainBatches.numBatches() << " steps per epoch, "
               << optimizer->name << " lr " << fmt(optimizer->lr, "%g") << ", device "
               << where;
  if (lowPrecision)
    llvm::outs() << ", precision " << precisionOpt;
  if (scaler.scale)
    llvm::outs() << ", loss scale " << fmt(scaler.scale, "%g");
  llvm::outs() << "\n";
  llvm::outs().flush();
  for (int64_t epoch = firstEpoch; epoch <= lastEpoch; ++epoch) {
    auto start = Clock::now();
    trainBatches.shuffle(seed * 1000003ull + uint64_t(epoch));
    int64_t n = trainBatches.numBatches(), right = 0;
    double sum = 0;
    std::vector<double> losses;
    for (int64_t b = 0; b < n; ++b) {
      HostTensor x, labels;
      trainBatches.fill(b, x, labels);
      std::map<std::string, const HostTensor *> args;
      bindStep(args, x, labels, ++step);
      std::map<std::string, HostTensor> out;
      if (!stepRunner->run(args, out, err))
        return fail("step " + std::to_string(step) + ": " + err);
      // An overflowed fp16 step changed nothing (the updates kept params
      // and state); Adam's step count does not advance either.
      if (scaler.scale && scaler.update(out.at("opt.skipped"))) {
        llvm::outs() << "epoch " << epoch << " batch " << (b + 1)
                     << ": step skipped, a gradient is inf or nan at loss "
                        "scale "
                     << fmt(scaler.scale * 2, "%g") << "; the scale is now "
                     << fmt(scaler.scale, "%g") << "\n";
        --step;
        if (scaler.scale < 1)
          return fail("the loss scale fell below 1: the gradients are inf "
                      "or nan at any scale; lower the learning rate");
        if (!std::isfinite(scalarOf(out.at(io.loss))))
          continue; // nothing to record; params and state are unchanged
      }
      double loss = scalarOf(out.at(io.loss));
      if (!std::isfinite(loss))
        return fail("step " + std::to_string(step) + ": the loss is " +
                    fmt(loss) + "; lower the learning rate");
      losses.push_back(loss);
      sum += loss;
      right += correct(out.at(io.scores), labels);
      lossCurve.x.push_back(double(epoch - 1) + double(b + 1) / n);
      lossCurve.y.push_back(loss);
      for (auto &[name, t] : params)
        t = std::move(out.at("new/param/" + name));
      for (auto &[name, t] : state)
        t = std::move(out.at("new/" + name));
      if (tty) {
        int width = 30, done = int(width * (b + 1) / n);
        llvm::errs() << "\repoch " << epoch << "/" << lastEpoch << " ["
                     << std::string(done, '=') << std::string(width - done, ' ')
                     << "] " << (b + 1) << "/" << n << " loss "
                     << fmt(sum / (b + 1));
      }
    }
    if (tty)
      llvm::errs() << "\n";
    // Test set, in batches of the model's batch size (the partial one is
    // dropped, as in training).
    testBatches.shuffle(0, false);
    double testSum = 0;
    int64_t testRight = 0, testN = testBatches.numBatches();
    for (int64_t b = 0; b < testN; ++b) {
      HostTensor x, labels;
      testBatches.fill(b, x, labels);
      std::map<std::string, const HostTensor *> args;
      bindCommon(args, x, labels);
      std::map<std::string, HostTensor> out;
      if (!evalRunner->run(args, out, err))
        return fail("test batch " + std::to_string(b) + ": " + err);
      testSum += scalarOf(out.at(io.loss));
      testRight += correct(out.at(io.scores), labels);
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    size_t w = std::max<size_t>(1, losses.size() / 10);
    double first = 0, last = 0;
    for (size_t i = 0; i < w; ++i)
      first += losses[i], last += losses[losses.size() - 1 - i];
    double trainLoss = sum / n, trainA = double(right) / (n * io.batch);
    double testL = testN ? testSum / testN : NAN;
    double testA = testN ? double(testRight) / (testN * io.batch) : NAN;
    llvm::outs() << "epoch " << epoch << "/" << lastEpoch << ": train loss "
                 << fmt(trainLoss) << " acc " << fmt(trainA) << " (first "
                 << fmt(first / w) << " last " << fmt(last / w) << " over "
                 << w << " batches) | test loss " << fmt(testL) << " acc "
                 << fmt(testA) << " | step " << step << " | " << fmt(secs, "%.1f")
                 << "s";
    if (scaler.scale)
      llvm::outs() << " | loss scale " << fmt(scaler.scale, "%g");
    llvm::outs() << "\n";
    llvm::outs().flush();
    if (!tty)
      llvm::errs() << "dlc train: epoch " << epoch << "/" << lastEpoch
                   << " done, running loss " << fmt(trainLoss) << "\n";
    testLoss.x.push_back(epoch), testLoss.y.push_back(testL);
    trainAcc.x.push_back(epoch), trainAcc.y.push_back(trainA);
    testAcc.x.push_back(epoch), testAcc.y.push_back(testA);

    if (!checkpointDir.empty()) {
      Checkpoint ckpt;
      ckpt.model = modelName;
      ckpt.optimizer = optimizer->name;
      ckpt.epoch = epoch;
      ckpt.step = step;
      for (auto &[name, t] : params)
        ckpt.tensors["param/" + name] = t;
      for (auto &[name, t] : state)
        ckpt.tensors[name] = t;
      scaler.save(ckpt.tensors);
      if (!writeCheckpoint(checkpointPath(checkpointDir, epoch), ckpt, err))
        return fail(err);
    }
    if (!plotPath.empty()) {
      PlotPanel lossPanel, accPanel;
      lossPanel.series = {lossCurve, testLoss};
      accPanel.series = {trainAcc, testAcc};
      if (!writeLinePlotPng(plotPath, {lossPanel, accPanel}, 480, 360, err))
        return fail("--plot: " + err);
    }
  }
  return kOk;
}

} // namespace dlc::tools
