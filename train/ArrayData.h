//===- ArrayData.h - a user's arrays as a dataset, MLIR-free ----*- C++ -*-===//
//
// `dlc train --data train.npz`: arrays `x` and `y` (NumPy's np.savez or
// np.savez_compressed; an .npz is a zip of .npy files, stored or deflated),
// example i being x[i] and y[i]. The IDX images become the same form, so
// the loop has one kind of dataset. Batches are rows copied in a visiting
// order (Dataset.h's visitOrder); the last partial batch is dropped.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAIN_ARRAYDATA_H
#define DLC_TRAIN_ARRAYDATA_H

#include "runtime/core/HostTensor.h"
#include "train/Dataset.h"

#include <map>
#include <string>

namespace dlc {

/// Examples along dim 0 of x and y.
struct ArrayDataset {
  HostTensor x, y;
  int64_t count() const { return x.shape.empty() ? 0 : x.shape[0]; }
};

/// Every .npy member of an .npz file, by name without ".npy".
bool readNpz(const std::string &path, std::map<std::string, HostTensor> &out,
             std::string &err);

/// Reads arrays `x` and `y` of an .npz (at most `limit` examples when
/// limit >= 0) and converts them to `xType` and `yType` (integers widen,
/// floats convert, integers may become floats; floats never become
/// integers). Both need the same dim 0 (>= 1).
bool loadNpzDataset(const std::string &path, int64_t limit, DType xType,
                    DType yType, ArrayDataset &out, std::string &err);

/// IDX images as arrays: x f32 [N, 1, rows, cols] (pixel / 255), y i64 [N].
ArrayDataset arraysFromImages(const ImageDataset &images);

/// Visits an ArrayDataset in batches of `batch` rows (the partial one
/// dropped).
class ArrayBatcher {
public:
  ArrayBatcher(const ArrayDataset &data, int64_t batch);
  int64_t numBatches() const { return data.count() / batch; }
  void shuffle(uint64_t seed, bool shuffle = true) {
    order = visitOrder(data.count(), seed, shuffle);
  }
  void fill(int64_t i, HostTensor &x, HostTensor &y) const;

private:
  const ArrayDataset &data;
  int64_t batch;
  std::vector<int64_t> order;
};

} // namespace dlc

#endif // DLC_TRAIN_ARRAYDATA_H
