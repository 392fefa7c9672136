//===- Initializers.h - parameter values from their init specs --*- C++ -*-===//
//
// Materializes a parameter from its `dlc.init` spec (ir/ModelAttrs.h), with
// MLIR kept out: the caller copies the dictionary into an InitSpec.
//
//   zeros, ones, constant {value}
//   uniform {low = -0.05, high = 0.05}      normal {mean = 0, std = 0.05}
//   he_normal       std   = sqrt(2 / fan_in)
//   he_uniform      bound = sqrt(6 / fan_in)
//   glorot_uniform  bound = sqrt(6 / (fan_in + fan_out))
//   {file, key}     a tensor from a .npy or .safetensors file
//
// Random schemes draw from std::mt19937_64 seeded with the spec's `seed`, or
// else with deriveSeed(model seed, parameter name); uniform doubles use the
// top 53 bits of one draw and normals use Box-Muller, so the values are the
// same with every standard library. Values are drawn in double and rounded
// once to the parameter's type.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_INITIALIZERS_H
#define DLC_IR_REFERENCE_INITIALIZERS_H

#include "runtime/core/HostTensor.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace dlc {

struct InitSpec {
  /// The scheme name; empty for a file initializer.
  std::string scheme;
  /// Numeric hyper-parameters by name (value, low, high, mean, std); absent
  /// ones take the defaults above.
  std::map<std::string, double> params;
  std::optional<uint64_t> seed;
  /// A file initializer: the path (already resolved against the model's
  /// directory) and, for .safetensors, the tensor's key.
  std::string file, key;
};

/// fan_in and fan_out of a weight: [out, in, kh, kw] -> in*kh*kw, out*kh*kw
/// (any rank >= 2 alike: the receptive field is the product of dims 2..);
/// [n] -> n, n; a scalar -> 1, 1.
struct Fans {
  int64_t in = 1, out = 1;
};
Fans computeFans(const std::vector<int64_t> &shape);

/// The seed of a parameter without its own: FNV-1a (64-bit) of the name,
/// mixed with the model seed by splitmix64.
uint64_t deriveSeed(uint64_t modelSeed, std::string_view paramName);

/// The scheme names that exist.
bool isKnownInitScheme(std::string_view scheme);

/// Fills `out` with a tensor of `dtype` and `shape` for parameter
/// `paramName`. False, with `err` saying why (naming the parameter), for an
/// unknown scheme, a bad hyper-parameter, a random scheme on an integer
/// type, or a file that cannot be read or does not match shape and type
/// (float files convert to another float type).
bool materializeParam(const InitSpec &spec, const std::string &paramName,
                      DType dtype, const std::vector<int64_t> &shape,
                      uint64_t modelSeed, HostTensor &out, std::string &err);

/// The random source of the initializers, exposed for tests.
class InitRng {
public:
  explicit InitRng(uint64_t seed) : engine(seed) {}
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box-Muller; both values of a pair are used).
  double normal();

private:
  std::mt19937_64 engine;
  std::optional<double> spare;
};

} // namespace dlc

#endif // DLC_IR_REFERENCE_INITIALIZERS_H
