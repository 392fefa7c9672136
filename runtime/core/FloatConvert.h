//===- FloatConvert.h - f16 and bf16 to and from double ---------*- C++ -*-===//
//
// Bit-exact conversions for the 16-bit float storage types. Narrowing rounds
// to nearest, ties to even, directly from double (never through float, which
// would round twice); overflow gives infinity, NaN stays a quiet NaN.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_CORE_FLOATCONVERT_H
#define DLC_RUNTIME_CORE_FLOATCONVERT_H

#include <cstdint>

namespace dlc::ref {

double halfToDouble(uint16_t bits);
uint16_t doubleToHalf(double value);
double bfloat16ToDouble(uint16_t bits);
uint16_t doubleToBFloat16(double value);

} // namespace dlc::ref

#endif // DLC_RUNTIME_CORE_FLOATCONVERT_H
