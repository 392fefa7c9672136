//===- Checkpoint.h - training checkpoints, MLIR-free -----------*- C++ -*-===//
//
// A checkpoint is one .safetensors file: the tensors (parameters as
// "param/<name>", optimizer state as "state/<kind>/<name>") and, in the
// header's __metadata__, format = "dlc-checkpoint", the model name, the
// optimizer name, the epochs completed and the optimizer steps taken. Any
// safetensors reader (torch's safetensors.torch.load_file) reads it.
//
// Writes go to a temporary file renamed over the target (AtomicFile.h), so
// a process killed mid-write leaves the previous checkpoint intact.
// Readers fail with one line naming the file and the problem.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAIN_CHECKPOINT_H
#define DLC_TRAIN_CHECKPOINT_H

#include "runtime/core/HostTensor.h"

#include <map>
#include <string>

namespace dlc {

struct Checkpoint {
  std::string model;
  std::string optimizer;
  int64_t epoch = 0; // epochs completed
  int64_t step = 0;  // optimizer updates taken
  std::map<std::string, HostTensor> tensors;
};

bool writeCheckpoint(const std::string &path, const Checkpoint &ckpt,
                     std::string &err);
bool readCheckpoint(const std::string &path, Checkpoint &ckpt,
                    std::string &err);

/// `<dir>/epoch-<NNNN>.safetensors`.
std::string checkpointPath(const std::string &dir, int64_t epoch);
/// The checkpoint of `dir` with the highest epoch; false (with `err`) when
/// the directory is missing or holds none.
bool latestCheckpoint(const std::string &dir, std::string &path,
                      std::string &err);

} // namespace dlc

#endif // DLC_TRAIN_CHECKPOINT_H
