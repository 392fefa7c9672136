//===- FloatConvert.cpp - f16 and bf16 to and from double -----------------===//
#include "runtime/core/FloatConvert.h"

#include <cmath>
#include <cstring>

namespace dlc::ref {

namespace {

/// A binary float format with 1 sign bit, `ExpBits` exponent bits and
/// `ManBits` stored fraction bits, in the low bits of a uint16_t.
template <int ExpBits, int ManBits> struct SmallFloat {
  static constexpr int kBias = (1 << (ExpBits - 1)) - 1;
  static constexpr uint32_t kExpMax = (1u << ExpBits) - 1;
  static constexpr uint32_t kInf = kExpMax << ManBits;
  static constexpr uint32_t kQuietNaN = kInf | (1u << (ManBits - 1));

  static double decode(uint16_t bits) {
    bool sign = bits >> (ExpBits + ManBits);
    uint32_t exp = (bits >> ManBits) & kExpMax;
    uint32_t frac = bits & ((1u << ManBits) - 1);
    double v;
    if (exp == kExpMax)
      v = frac ? std::nan("") : INFINITY;
    else if (exp == 0) // zero or subnormal
      v = std::ldexp(double(frac), 1 - kBias - ManBits);
    else
      v = std::ldexp(double(frac | (1u << ManBits)),
                     int(exp) - kBias - ManBits);
    return sign ? -v : v;
  }

  /// `m >> shift`, rounded to nearest with ties to even.
  static uint64_t shiftRoundEven(uint64_t m, int shift) {
    if (shift <= 0)
      return m << -shift;
    if (shift >= 64)
      return 0;
    uint64_t q = m >> shift, r = m & ((uint64_t(1) << shift) - 1);
    uint64_t half = uint64_t(1) << (shift - 1);
    if (r > half || (r == half && (q & 1)))
      ++q;
    return q;
  }

  static uint16_t encode(double value) {
    uint64_t b;
    std::memcpy(&b, &value, sizeof b);
    uint32_t sign = uint32_t(b >> 63) << (ExpBits + ManBits);
    int dexp = int((b >> 52) & 0x7FF);
    uint64_t dman = b & ((uint64_t(1) << 52) - 1);
    if (dexp == 0x7FF)
      return uint16_t(sign | (dman ? kQuietNaN : kInf));
    if (dexp == 0) // zero or a double subnormal: far below our range
      return uint16_t(sign);
    uint64_t m = dman | (uint64_t(1) << 52); // 53 significant bits
    int biased = dexp - 1023 + kBias;        // our biased exponent
    uint64_t out;
    if (biased >= 1) {
      // Normal: keep ManBits fraction bits. A carry out of the fraction
      // (rounded == 2 << ManBits) correctly bumps the exponent.
      uint64_t rounded = shiftRoundEven(m, 52 - ManBits);
      out = (uint64_t(biased - 1) << ManBits) + rounded;
    } else {
      // Subnormal: the value is m * 2^(e-52), our unit is 2^(1-bias-ManBits).
      out = shiftRoundEven(m, 52 - ManBits + (1 - biased));
    }
    if (out >= kInf)
      out = kInf;
    return uint16_t(sign | out);
  }
};

using Half = SmallFloat<5, 10>;
using BFloat16 = SmallFloat<8, 7>;

} // namespace

double halfToDouble(uint16_t bits) { return Half::decode(bits); }
uint16_t doubleToHalf(double value) { return Half::encode(value); }
double bfloat16ToDouble(uint16_t bits) { return BFloat16::decode(bits); }
uint16_t doubleToBFloat16(double value) { return BFloat16::encode(value); }

} // namespace dlc::ref
