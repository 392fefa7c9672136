//===- Dataset.h - IDX image datasets and batches, MLIR-free ----*- C++ -*-===//
//
// Reads MNIST-style IDX files (gzip-compressed or plain: zlib reads both):
// images (magic 0x00000803, u8 [N, rows, cols]) and labels (0x00000801,
// u8 [N]), and cuts them into shuffled batches for `dlc train`.
//
// Every reader returns false on failure and sets `err` to one line naming
// the file ("train-images-idx3-ubyte.gz: truncated: ...").
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAIN_DATASET_H
#define DLC_TRAIN_DATASET_H

#include "runtime/core/HostTensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

/// Images (u8 pixels, row-major per image) with their labels.
struct ImageDataset {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels; // count * rows * cols
  std::vector<uint8_t> labels; // count
};

/// Reads the first `limit` images (all when limit < 0) of an IDX3 file.
bool readIdxImages(const std::string &path, int64_t limit, ImageDataset &out,
                   std::string &err);
/// Reads the first `limit` labels (all when limit < 0) of an IDX1 file.
bool readIdxLabels(const std::string &path, int64_t limit,
                   std::vector<uint8_t> &out, std::string &err);

/// The directory of a --data argument: "fashion-mnist" is
/// /usr/share/datasets/fashion-mnist; anything else is taken as a directory.
std::string datasetDirectory(const std::string &name);

/// Reads `<dir>/<split>-images-idx3-ubyte.gz` and
/// `<dir>/<split>-labels-idx1-ubyte.gz` (split: "train" or "t10k"), at most
/// `limit` examples (all when < 0); checks that the counts agree and that
/// every label is below `numClasses`.
bool loadIdxSplit(const std::string &dir, const std::string &split,
                  int64_t limit, int64_t numClasses, ImageDataset &out,
                  std::string &err);

/// 0..n-1, or a permutation of it from `seed` when `shuffle` (the same on
/// every platform: splitmix64 + Fisher-Yates).
std::vector<int64_t> visitOrder(int64_t n, uint64_t seed, bool shuffle);

/// Visits a dataset in batches of `batch` examples. The last partial batch
/// is dropped (the compiled step has a static batch size).
class Batcher {
public:
  Batcher(const ImageDataset &data, int64_t batch);
  int64_t numBatches() const;
  /// Sets the visiting order: a permutation from `seed` (the same on every
  /// platform: splitmix64 + Fisher-Yates), or identity when !shuffle.
  void shuffle(uint64_t seed, bool shuffle = true);
  /// Batch `i` as x: f32 [B, 1, rows, cols] (pixels / 255) and labels: i64
  /// [B].
  void fill(int64_t i, HostTensor &x, HostTensor &labels) const;

private:
  const ImageDataset &data;
  int64_t batch;
  std::vector<int64_t> order;
};

} // namespace dlc

#endif // DLC_TRAIN_DATASET_H
