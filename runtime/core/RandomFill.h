//===- RandomFill.h - deterministic random tensors for timing --*- C++ -*-===//
//
// The inputs dlc-bench and dlc tune time kernels on: not data, but values
// that behave like data. Floats are uniform in [-1, 1) (never zeros, which
// can run faster than real data); integers and booleans are 0 or 1, valid
// class labels for any loss with at least two classes. One splitmix64
// stream per tensor, so a seed gives the same bytes on every machine.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CORE_RANDOMFILL_H
#define DLC_RUNTIME_CORE_RANDOMFILL_H

#include "runtime/core/HostTensor.h"

#include <cstdint>
#include <vector>

namespace dlc {

/// A tensor of `dtype` and `shape` filled from the splitmix64 stream that
/// starts at `state`. `mapFloat`, when given, maps each float draw before
/// it is rounded to `dtype` (a constant step or learning rate, |u| for
/// second moments).
HostTensor randomHostTensor(DType dtype, const std::vector<int64_t> &shape,
                            uint64_t state,
                            double (*mapFloat)(double) = nullptr);

} // namespace dlc

#endif // DLC_RUNTIME_CORE_RANDOMFILL_H
