//===- TrainCommand.cpp - `dlc train`: the training loop ------------------===//
//
//   dlc train model.json --data fashion-mnist --epochs 10 --batch 64
//   dlc train model.onnx --data train.npz [--val val.npz] --loss cross_entropy
//       --optimizer sgd --lr 0.1 [--momentum M] [--weight-decay W]
//       [--loss-on OUTPUT] [--no-shuffle] [--metrics run.jsonl]
//       [--device=auto|cpu|cuda|reference] [--limit-train N] [--limit-test N]
//       [--checkpoint-dir dir [--resume]] [--plot curves.png] [--seed S]
//       [--dump-gradients grads.safetensors]
//       [--precision=fp32|bf16|fp16 [--loss-scale S]
//        [--loss-scale-growth-interval N]] [--emit-step dir]
//
// Flags into TrainOptions, the model loaded, then one call: the loop, its
// runners and the loss scaler are the train/ library (train/Trainer.h).
// docs/training.md.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "train/Trainer.h"

namespace cl = llvm::cl;

namespace dlc::tools {

llvm::cl::SubCommand &trainCommand() {
  static cl::SubCommand cmd(
      "train", "Train a model: dlc train model.json --data fashion-mnist "
               "--epochs 10 --batch 64");
  return cmd;
}

namespace {

#define DLC_TRAIN_OPT cl::sub(trainCommand()), cl::cat(dlcCategory())
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.json>"),
                               DLC_TRAIN_OPT);
cl::opt<std::string>
    dataOpt("data",
            cl::desc("The dataset: 'fashion-mnist' (/usr/share/datasets/"
                     "fashion-mnist), a directory holding "
                     "{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz, or an "
                     ".npz with arrays x (inputs) and y (targets)"),
            cl::value_desc("name|dir|file.npz"), cl::init("fashion-mnist"),
            DLC_TRAIN_OPT);
cl::opt<std::string> valOpt("val",
                            cl::desc("With --data FILE.npz: the validation "
                                     "set, an .npz with arrays x and y"),
                            cl::value_desc("val.npz"), DLC_TRAIN_OPT);
cl::opt<bool> noShuffle("no-shuffle",
                        cl::desc("Visit the training set in file order every "
                                 "epoch (default: a fresh order from --seed)"),
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
cl::opt<std::string> metricsPath(
    "metrics",
    cl::desc("Write a JSON Lines log, one object per step and per epoch: "
             "kind, epoch, step, loss, accuracy (null without class scores), "
             "val_loss, val_accuracy, lr, time (rewritten after every epoch)"),
    cl::value_desc("run.jsonl"), DLC_TRAIN_OPT);
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
cl::opt<DeviceKind> device(
    "device", cl::desc("Where the step runs"),
    cl::values(clEnumValN(DeviceKind::Auto, "auto",
                          "the compiled step on cuda, else cpu, when it "
                          "compiles; else the reference interpreter (default)"),
               clEnumValN(DeviceKind::Cpu, "cpu",
                          "the compiled kernels on host threads"),
               clEnumValN(DeviceKind::Cuda, "cuda",
                          "the compiled kernels on the GPU"),
               clEnumValN(DeviceKind::Reference, "reference",
                          "the reference interpreter")),
    cl::init(DeviceKind::Auto), DLC_TRAIN_OPT);
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

// The training object from flags: `dlc train` and `dlc MODEL --train-step`.
#define DLC_OBJ_OPT                                                            \
  cl::sub(trainCommand()), cl::sub(cl::SubCommand::getTopLevel()),            \
      cl::cat(dlcCategory())
cl::opt<std::string> lossOpt(
    "loss",
    cl::desc("Attach a loss (mean reduction, PyTorch semantics): "
             "cross_entropy (logits [N, C], integer labels [N]), nll "
             "(log-probabilities), mse, bce_with_logits; the model gets a "
             "'target' input (docs/training.md)"),
    cl::value_desc("cross_entropy|nll|mse|bce_with_logits"), DLC_OBJ_OPT);
cl::opt<std::string> lossOnOpt(
    "loss-on", cl::desc("The output the --loss reads (default: the only one)"),
    cl::value_desc("output"), DLC_OBJ_OPT);
cl::opt<std::string> optimizerOpt(
    "optimizer", cl::desc("The optimizer, over the model file's"),
    cl::value_desc("sgd|adam|adamw"), DLC_OBJ_OPT);
cl::opt<double> lrOpt("lr", cl::desc("Learning rate (> 0)"), DLC_OBJ_OPT);
cl::opt<double> weightDecayOpt("weight-decay",
                               cl::desc("Weight decay (>= 0; adamw: "
                                        "decoupled, default 0.01)"),
                               DLC_OBJ_OPT);
cl::opt<double> momentumOpt("momentum",
                            cl::desc("SGD momentum, in [0, 1) (default 0)"),
                            DLC_OBJ_OPT);
#undef DLC_OBJ_OPT

TrainOptions readFlags() {
  TrainOptions opts;
  opts.modelPath = modelPath;
  opts.data = dataOpt;
  opts.val = valOpt;
  opts.shuffle = !noShuffle;
  opts.training = readTrainingFlags();
  opts.epochs = epochs;
  opts.limitTrain = limitTrain;
  opts.limitTest = limitTest;
  opts.checkpointDir = checkpointDir;
  opts.resume = resume;
  opts.plotPath = plotPath;
  opts.metricsPath = metricsPath;
  opts.seed = seed;
  opts.dumpGradients = dumpGradients;
  opts.emitStep = emitStep;
  opts.device = device;
  opts.precision = precisionOpt;
  opts.lossScale = lossScaleInit;
  opts.lossScaleGrowthInterval = lossScaleInterval;
  opts.lossScaleGiven = lossScaleInit.getNumOccurrences() ||
                        lossScaleInterval.getNumOccurrences();
  return opts;
}

} // namespace

mlir::dlc::TrainingFlags readTrainingFlags() {
  mlir::dlc::TrainingFlags f;
  f.loss = lossOpt;
  f.lossOn = lossOnOpt;
  f.optimizer = optimizerOpt;
  if (lrOpt.getNumOccurrences())
    f.lr = lrOpt;
  if (weightDecayOpt.getNumOccurrences())
    f.weightDecay = weightDecayOpt;
  if (momentumOpt.getNumOccurrences())
    f.momentum = momentumOpt;
  return f;
}

/// Ranges only the command line knows (the defaults mean "all" or "the
/// model's"); "" when fine.
static std::string checkCountFlags() {
  if (batchOverride.getNumOccurrences() && batchOverride < 1)
    return "--batch must be at least 1 (got " +
           std::to_string(int64_t(batchOverride)) + ")";
  for (cl::opt<int64_t> *o : {&limitTrain, &limitTest})
    if (o->getNumOccurrences() && *o < 1)
      return "--" + o->ArgStr.str() + " must be at least 1 (got " +
             std::to_string(int64_t(*o)) + ")";
  return "";
}

int trainMain() {
  TrainOptions opts = readFlags();
  std::string err = checkCountFlags();
  if (!err.empty() || !checkTrainOptions(opts, err)) {
    llvm::errs() << "dlc train: " << err << "\n";
    return kUserError;
  }
  Session session;
  auto module = session.load(opts.modelPath);
  if (!module)
    return kUserError;
  return int(train(*module, opts));
}

} // namespace dlc::tools
