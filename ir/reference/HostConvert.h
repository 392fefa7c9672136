//===- HostConvert.h - HostTensor to and from kernel tensors ----*- C++ -*-===//
//
// Loading widens the stored type to the compute type (f16/bf16/f32/f64 to
// T; i1/i32/i64 to int64_t); storing narrows back, rounding floats to
// nearest-even and wrapping integers.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_HOSTCONVERT_H
#define DLC_IR_REFERENCE_HOSTCONVERT_H

#include "runtime/core/HostTensor.h"
#include "ir/reference/Tensor.h"

namespace dlc::ref {

/// A float HostTensor as T; false (with a message) for another dtype or a
/// byte size that does not match the shape.
template <typename T>
bool loadFloat(const HostTensor &t, Tensor<T> &out, std::string &err);
/// An integer HostTensor (i1, i32, i64) as int64_t.
bool loadInt(const HostTensor &t, Tensor<int64_t> &out, std::string &err);

/// Float values stored as `dtype` (a float dtype).
template <typename T> HostTensor storeFloat(const Tensor<T> &t, DType dtype);
/// Integer values stored as `dtype` (an integer dtype).
HostTensor storeInt(const Tensor<int64_t> &t, DType dtype);

/// Rounds each value to the nearest value of the float `dtype` (what storing
/// and reloading would give); a no-op where T holds dtype exactly.
template <typename T> void roundTo(Tensor<T> &t, DType dtype);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_HOSTCONVERT_H
