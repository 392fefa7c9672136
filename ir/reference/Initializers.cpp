//===- Initializers.cpp - parameter values from their init specs ----------===//
#include "ir/reference/Initializers.h"

#include "runtime/io/TensorFile.h"
#include "ir/reference/HostConvert.h"

#include <algorithm>
#include <cmath>

namespace dlc {

double InitRng::uniform() { return double(engine() >> 11) * 0x1.0p-53; }

double InitRng::normal() {
  if (spare) {
    double v = *spare;
    spare.reset();
    return v;
  }
  // 1 - u lies in (0, 1], so the log is finite.
  double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
  double theta = 2.0 * M_PI * uniform();
  spare = r * std::sin(theta);
  return r * std::cos(theta);
}

Fans computeFans(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return {1, 1};
  if (shape.size() == 1)
    return {shape[0], shape[0]};
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i)
    receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

uint64_t deriveSeed(uint64_t modelSeed, std::string_view paramName) {
  uint64_t h = 0xcbf29ce484222325ull; // FNV-1a offset basis
  for (unsigned char c : paramName) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  // splitmix64 of the combination, so nearby seeds give unrelated streams.
  uint64_t z = h ^ (modelSeed + 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

namespace {

const char *const kSchemes[] = {"zeros",      "ones",          "constant",
                                "uniform",    "normal",        "he_normal",
                                "he_uniform", "glorot_uniform"};

/// Fills `values` according to the scheme; false with `err` on bad
/// hyper-parameters.
bool fillValues(const InitSpec &spec, const std::vector<int64_t> &shape,
                uint64_t seed, std::vector<double> &values, std::string &err) {
  auto param = [&](const char *name, double dflt) {
    auto it = spec.params.find(name);
    return it == spec.params.end() ? dflt : it->second;
  };
  const std::string &s = spec.scheme;
  if (s == "zeros" || s == "ones" || s == "constant") {
    double v = s == "zeros" ? 0.0 : s == "ones" ? 1.0 : param("value", 0.0);
    if (s == "constant" && !spec.params.count("value")) {
      err = "scheme 'constant' needs a 'value'";
      return false;
    }
    std::fill(values.begin(), values.end(), v);
    return true;
  }

  InitRng rng(seed);
  Fans fans = computeFans(shape);
  auto uniformIn = [&](double lo, double hi) {
    for (double &v : values)
      v = lo + (hi - lo) * rng.uniform();
  };
  auto normalWith = [&](double mean, double stddev) {
    for (double &v : values)
      v = mean + stddev * rng.normal();
  };
  auto needFan = [&](int64_t fan, const char *what) {
    if (fan > 0)
      return true;
    err = "scheme '" + s + "' needs a positive " + what + ", got " +
          std::to_string(fan) + " for shape " + formatShape(shape);
    return false;
  };

  if (s == "uniform") {
    double lo = param("low", -0.05), hi = param("high", 0.05);
    if (!(lo <= hi) || !std::isfinite(lo) || !std::isfinite(hi)) {
      err = "scheme 'uniform' needs finite low <= high, got low = " +
            std::to_string(lo) + ", high = " + std::to_string(hi);
      return false;
    }
    uniformIn(lo, hi);
  } else if (s == "normal") {
    double mean = param("mean", 0.0), stddev = param("std", 0.05);
    if (!(stddev >= 0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
      err = "scheme 'normal' needs a finite mean and std >= 0, got std = " +
            std::to_string(stddev);
      return false;
    }
    normalWith(mean, stddev);
  } else if (s == "he_normal") {
    if (!needFan(fans.in, "fan_in"))
      return false;
    normalWith(0.0, std::sqrt(2.0 / double(fans.in)));
  } else if (s == "he_uniform") {
    if (!needFan(fans.in, "fan_in"))
      return false;
    double bound = std::sqrt(6.0 / double(fans.in));
    uniformIn(-bound, bound);
  } else if (s == "glorot_uniform") {
    if (!needFan(fans.in + fans.out, "fan_in + fan_out"))
      return false;
    double bound = std::sqrt(6.0 / double(fans.in + fans.out));
    uniformIn(-bound, bound);
  } else {
    err = "unknown init scheme '" + s +
          "'; expected zeros, ones, constant, uniform, normal, he_normal, "
          "he_uniform or glorot_uniform";
    return false;
  }
  return true;
}

bool loadFromFile(const InitSpec &spec, DType dtype,
                  const std::vector<int64_t> &shape, HostTensor &out,
                  std::string &err) {
  HostTensor t;
  if (!readTensorFile(spec.file, spec.key, t, err))
    return false;
  std::string where =
      spec.file + (spec.key.empty() ? "" : " (key '" + spec.key + "')");
  if (t.shape != shape) {
    err = where + ": shape " + formatShape(t.shape) +
          " does not match the "
          "parameter's " +
          formatShape(shape);
    return false;
  }
  if (t.dtype == dtype) {
    out = std::move(t);
    return true;
  }
  if (!isFloat(t.dtype) || !isFloat(dtype)) {
    err = where + ": element type " + std::string(dtypeName(t.dtype)) +
          " does not match the parameter's " + std::string(dtypeName(dtype));
    return false;
  }
  // Between float types: widen to double, round once to the target.
  ref::Tensor<double> values;
  if (!ref::loadFloat(t, values, err)) {
    err = where + ": " + err;
    return false;
  }
  out = ref::storeFloat(values, dtype);
  return true;
}

} // namespace

bool isKnownInitScheme(std::string_view scheme) {
  for (const char *s : kSchemes)
    if (scheme == s)
      return true;
  return false;
}

bool materializeParam(const InitSpec &spec, const std::string &paramName,
                      DType dtype, const std::vector<int64_t> &shape,
                      uint64_t modelSeed, HostTensor &out, std::string &err) {
  auto fail = [&](const std::string &msg) {
    err = "parameter '" + paramName + "': " + msg;
    return false;
  };
  auto numel = checkedNumel(shape);
  if (!numel)
    return fail("invalid shape " + formatShape(shape));
  // The tensor, and the doubles a scheme (or a float conversion) is drawn
  // in: checked first, as a failed allocation would abort the process.
  // (2^58 elements bound the byte counts below 2^63.)
  uint64_t n = uint64_t(std::min<int64_t>(*numel, int64_t(1) << 58));
  uint64_t bytes = n * dtypeSize(dtype);
  uint64_t staging = spec.file.empty() ? n * sizeof(double) : 0;
  std::string why;
  if (!checkHostMemory(bytes + staging, why))
    return fail("shape " + formatShape(shape) + " (" +
                std::to_string(*numel) + " elements, " + formatBytes(bytes) +
                " as " + std::string(dtypeName(dtype)) +
                ") does not fit in host memory: it needs " +
                formatBytes(bytes + staging) +
                (staging ? " (with the f64 values it is drawn in)" : "") +
                " and " + why);
  if (!spec.file.empty()) {
    std::string msg;
    if (!loadFromFile(spec, dtype, shape, out, msg))
      return fail(msg);
    return true;
  }
  if (!isKnownInitScheme(spec.scheme))
    return fail(spec.scheme.empty()
                    ? "the init spec has neither a scheme nor a file"
                    : "unknown init scheme '" + spec.scheme +
                          "'; expected zeros, ones, constant, uniform, "
                          "normal, he_normal, he_uniform or glorot_uniform");
  bool deterministic = spec.scheme == "zeros" || spec.scheme == "ones" ||
                       spec.scheme == "constant";
  if (!isFloat(dtype) && !deterministic)
    return fail("scheme '" + spec.scheme + "' needs a float type, got " +
                std::string(dtypeName(dtype)));

  std::vector<double> values(*numel);
  uint64_t seed = spec.seed ? *spec.seed : deriveSeed(modelSeed, paramName);
  std::string msg;
  if (!fillValues(spec, shape, seed, values, msg))
    return fail(msg);

  if (isFloat(dtype)) {
    out = ref::storeFloat(ref::Tensor<double>(shape, std::move(values)), dtype);
    return true;
  }
  ref::Tensor<int64_t> ints = ref::Tensor<int64_t>::filled(shape, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    double v = values[i];
    if (v != std::trunc(v) || std::fabs(v) > 9.0e15)
      return fail("constant " + std::to_string(v) +
                  " is not an integer for "
                  "type " +
                  std::string(dtypeName(dtype)));
    ints.data[i] = int64_t(v);
  }
  out = ref::storeInt(ints, dtype);
  return true;
}

} // namespace dlc
