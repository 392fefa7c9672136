//===- Trainer.cpp - the training loop of `dlc train` ---------------------===//
//
// One Trainer per run. Its steps, in order: readModel (optimizer, names,
// the image/label/loss/score values), loadData (checked before anything is
// compiled), initParams (or resumeCheckpoint), lowerPrecision, buildStep,
// chooseRunners; then writeGradients (--dump-gradients) or the epochs:
// trainEpoch, evaluate, reportEpoch, saveCheckpoint, writePlot. Each step
// prints its own error and returns false; `status` says which exit code
// that is. See Trainer.h.
//
//===----------------------------------------------------------------------===//
#include "train/Trainer.h"

#include "ir/Interpreter.h"
#include "ir/ModelAttrs.h"
#include "passes/LossScaling.h"
#include "passes/Pipeline.h"
#include "passes/TrainingObjective.h"
#include "passes/TrainingStep.h"
#include "runtime/core/AtomicFile.h"
#include "runtime/io/TensorFile.h"
#include "train/ArrayData.h"
#include "train/Checkpoint.h"
#include "train/Dataset.h"
#include "train/LossScaler.h"
#include "train/Plot.h"
#include "train/StepRunner.h"

#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <unistd.h>

namespace dlc {

/// An output file we will write: its folder exists, and it is not there or
/// is a regular file.
static bool checkOutputFile(const std::string &path, std::string &err) {
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  if (!llvm::sys::fs::is_directory(dir)) {
    err = "'" + path + "': the folder '" + std::string(dir) +
          "' does not exist";
    return false;
  }
  if (llvm::sys::fs::exists(path) && !llvm::sys::fs::is_regular_file(path)) {
    err = "'" + path + "' exists and is not a regular file";
    return false;
  }
  return true;
}

bool checkTrainOptions(const TrainOptions &opts, std::string &err) {
  if (opts.modelPath.empty())
    err = "no model given; usage: dlc train model.json --data "
          "fashion-mnist --epochs 1 --batch 64";
  else if (opts.epochs < 1)
    err = "--epochs must be at least 1";
  else if (err = mlir::dlc::checkTrainingFlags(opts.training); !err.empty())
    return false;
  else if (!opts.val.empty() && !llvm::StringRef(opts.data).ends_with(".npz"))
    err = "--val needs --data FILE.npz (the IDX data has its own test split)";
  else if (!opts.metricsPath.empty() && !checkOutputFile(opts.metricsPath, err))
    err = "--metrics: " + err;
  else if (opts.resume && opts.checkpointDir.empty())
    err = "--resume needs --checkpoint-dir";
  else if (!llvm::is_contained({"fp32", "f32", "bf16", "fp16"}, opts.precision))
    err = "unknown --precision '" + opts.precision +
          "'; expected fp32, bf16 or fp16";
  else if (opts.precision != "fp16" && opts.lossScaleGiven)
    err = "--loss-scale and --loss-scale-growth-interval need "
          "--precision=fp16 (bf16 has f32's range: no loss scaling)";
  else if (opts.precision == "fp16" &&
           !(opts.lossScale >= 1 && opts.lossScale <= 3.0e38))
    err = "--loss-scale must be a number from 1 to 3e38";
  else if (opts.precision == "fp16" && opts.lossScaleGrowthInterval < 1)
    err = "--loss-scale-growth-interval must be at least 1";
  else if (!opts.emitStep.empty() && opts.device == DeviceKind::Reference)
    err = "--emit-step needs a compiled step (--device=cpu, cuda or "
          "auto)";
  return err.empty();
}

namespace {

using Clock = std::chrono::steady_clock;

std::string fmt(double v, const char *f = "%.4f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

float scalarOf(const HostTensor &t) {
  if (t.dtype == DType::F64)
    return float(*reinterpret_cast<const double *>(t.bytes.data()));
  return *reinterpret_cast<const float *>(t.bytes.data());
}

/// Element i of an integer (i32 or i64) tensor.
int64_t labelAt(const HostTensor &t, int64_t i) {
  if (t.dtype == DType::I32)
    return reinterpret_cast<const int32_t *>(t.bytes.data())[i];
  return reinterpret_cast<const int64_t *>(t.bytes.data())[i];
}

/// Correct predictions of `scores` [B, C] (f32) against labels (i64 [B]);
/// 0 when the model has no class scores.
int64_t correct(const HostTensor &scores, const HostTensor &labels) {
  if (scores.shape.size() != 2 || scores.dtype != DType::F32 ||
      (labels.dtype != DType::I64 && labels.dtype != DType::I32))
    return 0;
  int64_t b = scores.shape[0], c = scores.shape[1], n = 0;
  auto *s = reinterpret_cast<const float *>(scores.bytes.data());
  for (int64_t i = 0; i < b; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < c; ++j)
      if (s[i * c + j] > s[i * c + best])
        best = j;
    n += best == labelAt(labels, i);
  }
  return n;
}

struct ModelIO {
  std::string image, label, loss, scores; // names in the model
  /// classes: 0 when the scores are not class scores (no accuracy).
  int64_t batch = 0, classes = 0;
  DType imageType = DType::F32, labelType = DType::I64;
  std::vector<int64_t> imageShape, labelShape;
};

/// With a training object from flags (TrainingObjective.h): the target and
/// the one other input, the loss, and the scores the loss reads.
bool findFlagIO(const std::vector<ModelValue> &values,
                mlir::DictionaryAttr training, ModelIO &io, std::string &err) {
  auto str = [&](llvm::StringRef key) {
    auto a = training.getAs<mlir::StringAttr>(key);
    return a ? a.str() : std::string();
  };
  io.loss = str("loss"), io.label = str("target");
  std::string kind = str("loss_kind"), scores = str("scores");
  std::vector<std::string> inputs;
  for (const ModelValue &mv : values) {
    if (mv.kind == ModelValue::Kind::Input && mv.name == io.label) {
      io.labelType = mv.dtype, io.labelShape = mv.shape;
    } else if (mv.kind == ModelValue::Kind::Input) {
      inputs.push_back(mv.name);
      io.image = mv.name, io.imageType = mv.dtype, io.imageShape = mv.shape;
    } else if (mv.kind == ModelValue::Kind::Output && mv.name == scores) {
      io.scores = mv.name;
      if ((kind == "cross_entropy" || kind == "nll") && mv.shape.size() == 2 &&
          mv.dtype == DType::F32)
        io.classes = mv.shape[1];
    }
  }
  if (inputs.size() != 1) {
    err = "--data gives one input array 'x', but the model has " +
          std::to_string(inputs.size()) + " inputs besides the target" +
          (inputs.empty() ? std::string()
                          : " (" + llvm::join(inputs, ", ") + ")");
    return false;
  }
  if (io.imageShape.empty()) {
    err = "the model's input '" + io.image + "' is a scalar; --data needs a "
          "batch dimension";
    return false;
  }
  io.batch = io.imageShape[0];
  return true;
}

/// Finds the model's image input (f32 [B, 1, H, W]; with .npz data, any
/// input of rank >= 1 besides the labels), label input (integer [B]), loss
/// and class scores (a float [B, C] output other than the loss).
bool findModelIO(const std::vector<ModelValue> &values, llvm::StringRef loss,
                 bool arrays, ModelIO &io, std::string &err) {
  io.loss = loss.str();
  std::vector<const ModelValue *> others;
  for (const ModelValue &mv : values) {
    if (mv.kind == ModelValue::Kind::Input && mv.shape.size() == 1 &&
        !isFloat(mv.dtype) && io.label.empty())
      io.label = mv.name, io.labelType = mv.dtype, io.labelShape = mv.shape;
    else if (mv.kind == ModelValue::Kind::Input &&
             (arrays ? !mv.shape.empty()
                     : mv.shape.size() == 4 && mv.dtype == DType::F32))
      others.push_back(&mv);
    else if (mv.kind == ModelValue::Kind::Output && mv.name != loss &&
             mv.shape.size() == 2 && mv.dtype == DType::F32 &&
             io.scores.empty())
      io.scores = mv.name, io.classes = mv.shape[1];
  }
  if (others.size() == 1)
    io.image = others[0]->name, io.batch = others[0]->shape[0],
    io.imageType = others[0]->dtype, io.imageShape = others[0]->shape;
  if (io.image.empty() || io.label.empty() || io.scores.empty()) {
    err = arrays ? "with --data FILE.npz the model must take one input (x) "
                   "and an integer [B] label input (y) and return f32 [B, "
                   "classes] scores besides the loss; or give --loss"
                 : "the model must take an f32 [B, 1, H, W] image input and "
                   "an integer [B] label input and return f32 [B, classes] "
                   "scores besides the loss";
    return false;
  }
  return true;
}

/// Sums over one epoch's batches and its test set.
struct EpochStats {
  int64_t batches = 0, right = 0;
  double sum = 0;
  std::vector<double> losses;
  double testSum = 0;
  int64_t testRight = 0, testBatches = 0;
};

class Trainer {
public:
  Trainer(mlir::ModuleOp module, const TrainOptions &opts)
      : module(module), opts(opts),
        lowPrecision(opts.precision == "bf16" || opts.precision == "fp16") {
    if (opts.precision == "fp16")
      scaler = LossScaler(float(opts.lossScale), opts.lossScaleGrowthInterval);
  }
  TrainStatus run();

private:
  bool fail(const llvm::Twine &msg) {
    llvm::errs() << "dlc train: " << msg << "\n";
    return false;
  }
  bool internalError() {
    status = TrainStatus::InternalError;
    return false;
  }
  bool readModel();
  bool loadData();
  bool checkArrays(const ArrayDataset &d, const std::string &file);
  bool initParams();
  bool resumeCheckpoint();
  bool takeTensors(Checkpoint &ckpt, const std::string &path,
                   std::map<std::string, HostTensor> &into,
                   const std::string &prefix, std::string &err);
  bool lowerPrecision();
  bool buildStep();
  bool chooseRunners();
  bool compileRunners(std::string &err);
  void bindCommon(NamedArgs &args, const HostTensor &x,
                  const HostTensor &labels);
  void bindStep(NamedArgs &args, const HostTensor &x, const HostTensor &labels,
                int64_t stepNumber);
  bool writeGradients();
  bool runEpochs();
  void printHeader();
  bool trainEpoch(int64_t epoch, EpochStats &stats);
  bool evaluate(EpochStats &stats);
  void reportEpoch(int64_t epoch, const EpochStats &stats, double secs);
  bool saveCheckpoint(int64_t epoch);
  bool writePlot();

  mlir::ModuleOp module;
  const TrainOptions &opts;
  TrainStatus status = TrainStatus::UserError;
  bool lowPrecision;
  LossScaler scaler;
  mlir::dlc::OptimizerConfig optimizer;
  std::string modelName;
  mlir::func::FuncOp forward;
  std::vector<ModelValue> fwdValues;
  ModelIO io;
  std::string dataDir;
  ArrayDataset trainSet, testSet;
  std::map<std::string, HostTensor> params, state;
  int64_t firstEpoch = 1, step = 0, lastEpoch = 0;
  mlir::OwningOpRef<mlir::ModuleOp> stepModule;
  mlir::func::FuncOp stepFunc;
  std::vector<ModelValue> stepValues;
  // The devices outlive the runners loaded on them.
  std::unique_ptr<Device> device, evalDevice;
  std::unique_ptr<StepRunner> stepRunner, evalRunner;
  std::string where = "reference";
  HostTensor lrT = HostTensor::zeros(DType::F32, {}),
             stepT = HostTensor::zeros(DType::F32, {});
  std::unique_ptr<ArrayBatcher> trainBatches, testBatches;
  PlotSeries lossCurve, testLoss, trainAcc, testAcc;
  /// --metrics: the lines so far, and when training started.
  std::string metrics;
  Clock::time_point started = Clock::now();
  void logMetrics(const char *kind, int64_t epoch,
                  std::initializer_list<std::pair<const char *, double>> nums);
  bool writeMetrics();
};

/// One JSON object: {"kind": ..., "epoch": ..., "step": ..., <nums>, "lr",
/// "time"}; a NaN (no accuracy, no test set) is null.
void Trainer::logMetrics(
    const char *kind, int64_t epoch,
    std::initializer_list<std::pair<const char *, double>> nums) {
  if (opts.metricsPath.empty())
    return;
  auto num = [](double v) {
    return std::isfinite(v) ? fmt(v, "%.9g") : std::string("null");
  };
  metrics += std::string("{\"kind\": \"") + kind + "\", \"epoch\": " +
             std::to_string(epoch) + ", \"step\": " + std::to_string(step);
  for (auto &[key, v] : nums)
    metrics += std::string(", \"") + key + "\": " + num(v);
  double secs =
      std::chrono::duration<double>(Clock::now() - started).count();
  metrics += ", \"lr\": " + num(optimizer.lr) + ", \"time\": " +
             fmt(secs, "%.3f") + "}\n";
}

bool Trainer::writeMetrics() {
  if (opts.metricsPath.empty())
    return true;
  std::string err;
  if (!writeFileAtomically(opts.metricsPath, {metrics}, err))
    return fail("--metrics: " + err);
  return true;
}

/// The optimizer, the model's name, and its image, label, loss and score
/// values.
bool Trainer::readModel() {
  if (opts.training.any() &&
      failed(mlir::dlc::applyTrainingFlags(module, opts.training)))
    return false;
  auto opt = mlir::dlc::readOptimizer(module);
  if (failed(opt))
    return false;
  optimizer = *opt;
  auto training = module->getAttrOfType<mlir::DictionaryAttr>(attrs::kTraining);
  auto lossName = training.getAs<mlir::StringAttr>("loss");
  auto modelNameAttr = module->getAttrOfType<mlir::StringAttr>(attrs::kModel);
  modelName = modelNameAttr ? modelNameAttr.str() : opts.modelPath;
  forward = getModelFunction(module);
  if (!forward)
    return false;
  auto values = describeModel(forward);
  if (failed(values))
    return false;
  fwdValues = std::move(*values);
  std::string err;
  bool found = training.get("target")
                   ? findFlagIO(fwdValues, training, io, err)
                   : findModelIO(fwdValues, lossName.getValue(),
                                 llvm::StringRef(opts.data).ends_with(".npz"),
                                 io, err);
  if (!found)
    return fail(err);
  return true;
}

/// Checks that each example of `d` fits the model's input and target (dim 0
/// aside), and that class labels are in range.
bool Trainer::checkArrays(const ArrayDataset &d, const std::string &file) {
  auto tail = [](const std::vector<int64_t> &s) {
    return std::vector<int64_t>(s.begin() + (s.empty() ? 0 : 1), s.end());
  };
  for (auto [t, name, shape, what] :
       {std::tuple{&d.x, io.image, io.imageShape, "x"},
        {&d.y, io.label, io.labelShape, "y"}})
    if (tail(t->shape) != tail(shape))
      return fail(file + ": " + what + " is " + formatShape(t->shape) +
                  ", but the model's '" + name + "' is " + formatShape(shape) +
                  " (one example: " + formatShape(tail(shape)) + ")");
  if (io.classes > 0 && !isFloat(d.y.dtype) && d.y.dtype != DType::I1) {
    for (int64_t i = 0; i < d.y.numel(); ++i)
      if (int64_t y = labelAt(d.y, i); y < 0 || y >= io.classes)
        return fail(file + ": y[" + std::to_string(i) + "] = " +
                    std::to_string(y) + " is not a class of the model's " +
                    std::to_string(io.classes) + " (0.." +
                    std::to_string(io.classes - 1) + ")");
  }
  return true;
}

/// The data, checked against the model before anything is compiled.
bool Trainer::loadData() {
  std::string err;
  if (llvm::StringRef(opts.data).ends_with(".npz")) {
    dataDir = opts.data;
    if (!loadNpzDataset(opts.data, opts.limitTrain, io.imageType,
                        io.labelType, trainSet, err) ||
        !checkArrays(trainSet, "--data " + opts.data))
      return !err.empty() ? fail("--data " + err) : false;
    if (!opts.val.empty() &&
        (!loadNpzDataset(opts.val, opts.limitTest, io.imageType, io.labelType,
                         testSet, err) ||
         !checkArrays(testSet, "--val " + opts.val)))
      return !err.empty() ? fail("--val " + err) : false;
  } else {
    ImageDataset train, test;
    dataDir = datasetDirectory(opts.data);
    if (!loadIdxSplit(dataDir, "train", opts.limitTrain, io.classes, train,
                      err) ||
        (opts.dumpGradients.empty() &&
         !loadIdxSplit(dataDir, "t10k", opts.limitTest, io.classes, test,
                       err)))
      return fail(err);
    trainSet = arraysFromImages(train);
    testSet = arraysFromImages(test);
    for (const ModelValue &mv : fwdValues)
      if (mv.name == io.image &&
          (mv.shape.size() != 4 || mv.shape[1] != 1 ||
           mv.shape[2] != train.rows || mv.shape[3] != train.cols))
        return fail("the model's input '" + io.image + "' is " +
                    formatShape(mv.shape) + " but the images are [B, 1, " +
                    std::to_string(train.rows) + ", " +
                    std::to_string(train.cols) + "]");
  }
  if (trainSet.count() < io.batch)
    return fail("the training set has " + std::to_string(trainSet.count()) +
                " examples, fewer than one batch of " +
                std::to_string(io.batch));
  // A static batch: the partial batch is dropped, and said.
  if (int64_t left = trainSet.count() % io.batch)
    llvm::errs() << "dlc train: " << trainSet.count()
                 << " training examples in batches of " << io.batch
                 << ": the last " << left
                 << " are dropped each epoch (a partial batch)\n";
  return true;
}

/// The params, and the optimizer state (zeros), unless resumed.
bool Trainer::initParams() {
  auto initial = materializeParams(module);
  if (failed(initial))
    return false;
  params = std::move(*initial);
  std::vector<std::string> kinds = optimizer.stateKinds();
  for (const auto &[name, t] : params)
    for (const std::string &kind : kinds)
      state["state/" + kind + "/" + name] = HostTensor::zeros(t.dtype, t.shape);
  return !opts.resume || resumeCheckpoint();
}

/// Moves `prefix`<name> of the checkpoint into each tensor of `into`,
/// checking its type.
bool Trainer::takeTensors(Checkpoint &ckpt, const std::string &path,
                          std::map<std::string, HostTensor> &into,
                          const std::string &prefix, std::string &err) {
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
}

/// --resume: params, optimizer state, the loss scaler, epoch and step from
/// the latest checkpoint; every tensor in it must find its place.
bool Trainer::resumeCheckpoint() {
  std::string path, err;
  Checkpoint ckpt;
  if (!latestCheckpoint(opts.checkpointDir, path, err) ||
      !readCheckpoint(path, ckpt, err))
    return fail("--resume: " + err);
  if (ckpt.model != modelName || ckpt.optimizer != optimizer.name)
    return fail("--resume: " + path + " is a checkpoint of model '" +
                ckpt.model + "' with " + ckpt.optimizer + ", not of '" +
                modelName + "' with " + optimizer.name);
  if (!takeTensors(ckpt, path, params, "param/", err) ||
      !takeTensors(ckpt, path, state, "", err))
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
  if (scaler.enabled())
    llvm::errs() << ", loss scale " << fmt(scaler.scale(), "%g");
  llvm::errs() << ")\n";
  return true;
}

/// Mixed precision: the forward graph (evaluation, and the step built from
/// it, so the backward graph is low precision too) computes in bf16/fp16;
/// params and the optimizer stay f32.
bool Trainer::lowerPrecision() {
  if (!lowPrecision)
    return true;
  mlir::PassManager pm(module->getName());
  mlir::dlc::PipelineOptions pipeline;
  pipeline.precision = opts.precision;
  pipeline.stopAfter = mlir::dlc::Phase::Import;
  mlir::dlc::buildCompilePipeline(pm, pipeline);
  if (failed(pm.run(module)))
    return internalError();
  return true;
}

/// The training step: forward, backward, updates (and fp16's loss scaling
/// and overflow skip), in a clone of the model.
bool Trainer::buildStep() {
  stepModule = module.clone();
  mlir::dlc::TrainingStepOptions stepOpts;
  stepOpts.lossScaling = scaler.enabled();
  if (stepOpts.lossScaling && failed(mlir::dlc::scaleTrainingLoss(*stepModule)))
    return internalError();
  if (failed(mlir::dlc::buildTrainingStep(*stepModule, stepOpts)))
    return false;
  if (stepOpts.lossScaling &&
      failed(mlir::dlc::computeOverflowSkip(*stepModule)))
    return internalError();
  stepFunc = getModelFunction(*stepModule);
  auto values = describeModel(stepFunc);
  if (failed(values))
    return false;
  stepValues = std::move(*values);
  return true;
}

/// Compiles the step and the forward model onto `device` and a second
/// device of its kind (the evaluation's); false with `err`.
bool Trainer::compileRunners(std::string &err) {
  auto stepC = std::make_unique<CompiledRunner>();
  auto evalC = std::make_unique<CompiledRunner>();
  mlir::OwningOpRef<mlir::ModuleOp> stepCopy = stepModule->clone();
  mlir::OwningOpRef<mlir::ModuleOp> fwdCopy = module.clone();
  if (!stepC->init(*stepCopy, *device, err, opts.emitStep))
    return false;
  evalDevice =
      openDevice(where == "cuda" ? DeviceKind::Cuda : DeviceKind::Cpu, {}, err);
  if (!evalDevice || !evalC->init(*fwdCopy, *evalDevice, err))
    return false;
  stepRunner = std::move(stepC);
  evalRunner = std::move(evalC);
  return true;
}

/// Where the step runs: compiled on a device, or interpreted (--device=
/// reference, or auto when the step does not compile).
bool Trainer::chooseRunners() {
  if (opts.device != DeviceKind::Reference) {
    std::string err;
    device = openDevice(opts.device, {}, err);
    if (!device)
      return fail("--device=cuda: " + err);
    where = device->name();
    if (!compileRunners(err)) {
      if (opts.device != DeviceKind::Auto)
        return fail("--device=" + where +
                    ": the training step does not "
                    "compile: " +
                    err);
      llvm::errs() << "dlc train: the compiled step is not available (" << err
                   << "); using the reference interpreter\n";
      evalDevice.reset();
      device.reset();
      where = "reference";
    }
  }
  if (!stepRunner) {
    stepRunner = std::make_unique<ReferenceRunner>(stepFunc, stepValues);
    evalRunner = std::make_unique<ReferenceRunner>(forward, fwdValues);
  }
  return true;
}

void Trainer::bindCommon(NamedArgs &args, const HostTensor &x,
                         const HostTensor &labels) {
  args[io.image] = &x;
  args[io.label] = &labels;
  for (auto &[name, t] : params)
    args[name] = &t;
}

/// A training step's arguments: the batch, params, optimizer state, step
/// number, learning rate and (fp16) the loss scale.
void Trainer::bindStep(NamedArgs &args, const HostTensor &x,
                       const HostTensor &labels, int64_t stepNumber) {
  bindCommon(args, x, labels);
  for (auto &[name, t] : state)
    args[name] = &t;
  *reinterpret_cast<float *>(stepT.bytes.data()) = float(stepNumber);
  args["opt.step"] = &stepT;
  args["opt.lr"] = &lrT;
  scaler.bind(args);
}

/// --dump-gradients: one step on the first batch (unshuffled); the batch,
/// params, loss and unscaled gradients go to a .safetensors file.
bool Trainer::writeGradients() {
  std::string err;
  HostTensor x, labels;
  trainBatches->shuffle(0, false);
  trainBatches->fill(0, x, labels);
  NamedArgs args;
  bindStep(args, x, labels, step + 1);
  NamedResults out;
  if (!stepRunner->run(args, out, err))
    return fail(err);
  if (scaler.enabled()) // the dumped gradients are the unscaled ones
    for (auto &[name, t] : params) {
      HostTensor &g = out.at("grad:" + name);
      auto *v = reinterpret_cast<float *>(g.bytes.data());
      for (int64_t i = 0; i < g.numel(); ++i)
        v[i] /= scaler.scale();
    }
  std::map<std::string, HostTensor> dump;
  dump["x"] = x;
  dump["labels"] = labels;
  dump["loss"] = out.at(io.loss);
  for (auto &[name, t] : params) {
    dump["param/" + name] = t;
    dump["grad/" + name] = out.at("grad:" + name);
  }
  if (!writeSafetensors(opts.dumpGradients, dump, err))
    return fail(err);
  llvm::outs() << "wrote the gradients of " << params.size() << " params (loss "
               << fmt(scalarOf(out.at(io.loss))) << ", " << where << ") to "
               << opts.dumpGradients << "\n";
  return true;
}

void Trainer::printHeader() {
  llvm::outs() << "training " << modelName << " on " << dataDir << ": "
               << trainSet.count() << " train / " << testSet.count()
               << " test examples, batch " << io.batch << ", "
               << trainBatches->numBatches() << " steps per epoch, "
               << optimizer.name << " lr " << fmt(optimizer.lr, "%g")
               << ", device " << where;
  if (lowPrecision)
    llvm::outs() << ", precision " << opts.precision;
  if (scaler.enabled())
    llvm::outs() << ", loss scale " << fmt(scaler.scale(), "%g");
  llvm::outs() << "\n";
  llvm::outs().flush();
}

/// One pass over the shuffled training set; params and state take each
/// step's updates.
bool Trainer::trainEpoch(int64_t epoch, EpochStats &stats) {
  bool tty = isatty(2);
  std::string err;
  trainBatches->shuffle(opts.seed * 1000003ull + uint64_t(epoch),
                        opts.shuffle);
  int64_t n = stats.batches = trainBatches->numBatches();
  for (int64_t b = 0; b < n; ++b) {
    HostTensor x, labels;
    trainBatches->fill(b, x, labels);
    NamedArgs args;
    bindStep(args, x, labels, ++step);
    NamedResults out;
    if (!stepRunner->run(args, out, err))
      return fail("step " + std::to_string(step) + ": " + err);
    // An overflowed fp16 step changed nothing (the updates kept params
    // and state); Adam's step count does not advance either.
    if (scaler.enabled() && scaler.update(out.at("opt.skipped"))) {
      llvm::outs() << "epoch " << epoch << " batch " << (b + 1)
                   << ": step skipped, a gradient is inf or nan at loss "
                      "scale "
                   << fmt(scaler.scale() * 2, "%g") << "; the scale is now "
                   << fmt(scaler.scale(), "%g") << "\n";
      --step;
      if (scaler.scale() < 1)
        return fail("the loss scale fell below 1: the gradients are inf "
                    "or nan at any scale; lower the learning rate");
      if (!std::isfinite(scalarOf(out.at(io.loss))))
        continue; // nothing to record; params and state are unchanged
    }
    double loss = scalarOf(out.at(io.loss));
    if (!std::isfinite(loss))
      return fail("step " + std::to_string(step) + ": the loss is " +
                  fmt(loss) + "; lower the learning rate");
    stats.losses.push_back(loss);
    stats.sum += loss;
    int64_t right = correct(out.at(io.scores), labels);
    stats.right += right;
    logMetrics("step", epoch,
               {{"loss", loss},
                {"accuracy", io.classes ? double(right) / io.batch : NAN}});
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
                   << fmt(stats.sum / (b + 1));
    }
  }
  if (tty)
    llvm::errs() << "\n";
  return true;
}

/// The test set, in batches of the model's batch size (the partial one is
/// dropped, as in training).
bool Trainer::evaluate(EpochStats &stats) {
  std::string err;
  testBatches->shuffle(0, false);
  stats.testBatches = testBatches->numBatches();
  for (int64_t b = 0; b < stats.testBatches; ++b) {
    HostTensor x, labels;
    testBatches->fill(b, x, labels);
    NamedArgs args;
    bindCommon(args, x, labels);
    NamedResults out;
    if (!evalRunner->run(args, out, err))
      return fail("test batch " + std::to_string(b) + ": " + err);
    stats.testSum += scalarOf(out.at(io.loss));
    stats.testRight += correct(out.at(io.scores), labels);
  }
  return true;
}

/// The epoch's line on stdout (and, without a terminal, a progress line on
/// stderr); the test loss and accuracies go on the curves.
void Trainer::reportEpoch(int64_t epoch, const EpochStats &stats, double secs) {
  const std::vector<double> &losses = stats.losses;
  int64_t n = stats.batches, testN = stats.testBatches;
  size_t w = std::max<size_t>(1, losses.size() / 10);
  double first = 0, last = 0;
  for (size_t i = 0; i < w; ++i)
    first += losses[i], last += losses[losses.size() - 1 - i];
  // No accuracy without class scores; no test numbers without a test set.
  double trainLoss = stats.sum / n,
         trainA = io.classes ? double(stats.right) / (n * io.batch) : NAN;
  double testL = testN ? stats.testSum / testN : NAN;
  double testA = testN && io.classes
                     ? double(stats.testRight) / (testN * io.batch)
                     : NAN;
  auto acc = [&](double a) { return io.classes ? " acc " + fmt(a) : ""; };
  llvm::outs() << "epoch " << epoch << "/" << lastEpoch << ": train loss "
               << fmt(trainLoss) << acc(trainA) << " (first " << fmt(first / w)
               << " last " << fmt(last / w) << " over " << w << " batches) | ";
  if (testN)
    llvm::outs() << "test loss " << fmt(testL) << acc(testA);
  else
    llvm::outs() << "no test set";
  llvm::outs() << " | step " << step << " | " << fmt(secs, "%.1f") << "s";
  if (scaler.enabled())
    llvm::outs() << " | loss scale " << fmt(scaler.scale(), "%g");
  llvm::outs() << "\n";
  llvm::outs().flush();
  if (!isatty(2))
    llvm::errs() << "dlc train: epoch " << epoch << "/" << lastEpoch
                 << " done, running loss " << fmt(trainLoss) << "\n";
  testLoss.x.push_back(epoch), testLoss.y.push_back(testL);
  trainAcc.x.push_back(epoch), trainAcc.y.push_back(trainA);
  testAcc.x.push_back(epoch), testAcc.y.push_back(testA);
  logMetrics("epoch", epoch,
             {{"loss", trainLoss},
              {"accuracy", trainA},
              {"val_loss", testL},
              {"val_accuracy", testA},
              {"epoch_time", secs}});
}

bool Trainer::saveCheckpoint(int64_t epoch) {
  if (opts.checkpointDir.empty())
    return true;
  Checkpoint ckpt;
  ckpt.model = modelName;
  ckpt.optimizer = optimizer.name;
  ckpt.epoch = epoch;
  ckpt.step = step;
  for (auto &[name, t] : params)
    ckpt.tensors["param/" + name] = t;
  for (auto &[name, t] : state)
    ckpt.tensors[name] = t;
  scaler.save(ckpt.tensors);
  std::string err;
  if (!writeCheckpoint(checkpointPath(opts.checkpointDir, epoch), ckpt, err))
    return fail(err);
  return true;
}

bool Trainer::writePlot() {
  if (opts.plotPath.empty())
    return true;
  PlotPanel lossPanel, accPanel;
  lossPanel.series = {lossCurve, testLoss};
  accPanel.series = {trainAcc, testAcc};
  std::string err;
  if (!writeLinePlotPng(opts.plotPath, {lossPanel, accPanel}, 480, 360, err))
    return fail("--plot: " + err);
  return true;
}

bool Trainer::runEpochs() {
  if (!opts.checkpointDir.empty())
    if (std::error_code ec =
            llvm::sys::fs::create_directories(opts.checkpointDir))
      return fail("cannot create --checkpoint-dir '" + opts.checkpointDir +
                  "': " + ec.message());
  lossCurve.rgb[2] = 200, trainAcc.rgb[2] = 200;
  testLoss.rgb[0] = 210, testAcc.rgb[0] = 210;
  lastEpoch = firstEpoch + opts.epochs - 1;
  printHeader();
  for (int64_t epoch = firstEpoch; epoch <= lastEpoch; ++epoch) {
    auto start = Clock::now();
    EpochStats stats;
    if (!trainEpoch(epoch, stats) || !evaluate(stats))
      return false;
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    reportEpoch(epoch, stats, secs);
    if (!saveCheckpoint(epoch) || !writePlot() || !writeMetrics())
      return false;
  }
  return true;
}

TrainStatus Trainer::run() {
  if (!readModel() || !loadData() || !initParams() || !lowerPrecision() ||
      !buildStep() || !chooseRunners())
    return status;
  *reinterpret_cast<float *>(lrT.bytes.data()) = float(optimizer.lr);
  trainBatches = std::make_unique<ArrayBatcher>(trainSet, io.batch);
  testBatches = std::make_unique<ArrayBatcher>(testSet, io.batch);
  bool ok = opts.dumpGradients.empty() ? runEpochs() : writeGradients();
  return ok ? TrainStatus::Ok : status;
}

} // namespace

TrainStatus train(mlir::ModuleOp module, const TrainOptions &opts) {
  return Trainer(module, opts).run();
}

} // namespace dlc
