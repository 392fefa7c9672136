//===- Elementwise.cpp - elementwise reference kernels --------------------===//
#include "ir/reference/Elementwise.h"

#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

namespace dlc::ref {

namespace {

/// out[i] = fn(a[ia], b[ib]) over the broadcast shape of a and b.
template <typename R, typename A, typename B, typename Fn>
Tensor<R> broadcastMap(const Tensor<A> &a, const Tensor<B> &b, Fn fn) {
  Shape shape = *broadcastShapes(a.shape, b.shape);
  Shape sa = broadcastStrides(a.shape, shape);
  Shape sb = broadcastStrides(b.shape, shape);
  Tensor<R> out = Tensor<R>::filled(shape, R());
  int64_t i = 0;
  forEachIndex(shape, [&](const Shape &idx) {
    out.data[i++] = fn(a.data[offsetOf(idx, sa)], b.data[offsetOf(idx, sb)]);
  });
  return out;
}

/// Wrapping integer arithmetic (signed overflow is undefined in C++).
int64_t wrapAdd(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) + uint64_t(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) - uint64_t(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return int64_t(uint64_t(a) * uint64_t(b));
}

Status intBinary(BinaryKind kind, int64_t a, int64_t b, int64_t &r) {
  switch (kind) {
  case BinaryKind::Add:
    r = wrapAdd(a, b);
    return {};
  case BinaryKind::Sub:
    r = wrapSub(a, b);
    return {};
  case BinaryKind::Mul:
    r = wrapMul(a, b);
    return {};
  case BinaryKind::Div:
    if (b == 0)
      return Status::failure("integer division by zero");
    // INT64_MIN / -1 overflows; its wrapped value is INT64_MIN.
    r = b == -1 ? wrapSub(0, a) : a / b;
    return {};
  case BinaryKind::Pow: {
    if (b < 0)
      return Status::failure("integer power with a negative exponent (" +
                             std::to_string(b) + ")");
    // Square-and-multiply, wrapping like the other integer ops.
    int64_t result = 1, base = a;
    for (uint64_t e = uint64_t(b); e; e >>= 1) {
      if (e & 1)
        result = wrapMul(result, base);
      base = wrapMul(base, base);
    }
    r = result;
    return {};
  }
  case BinaryKind::Maximum:
    r = a > b ? a : b;
    return {};
  case BinaryKind::Minimum:
    r = a < b ? a : b;
    return {};
  }
  return Status::failure("unknown binary op");
}

template <typename T> T floatBinary(BinaryKind kind, T a, T b) {
  switch (kind) {
  case BinaryKind::Add:
    return a + b;
  case BinaryKind::Sub:
    return a - b;
  case BinaryKind::Mul:
    return a * b;
  case BinaryKind::Div:
    return a / b;
  case BinaryKind::Pow:
    return std::pow(a, b);
  case BinaryKind::Maximum:
    return std::isnan(a) || std::isnan(b) ? std::numeric_limits<T>::quiet_NaN()
                                          : (a > b ? a : b);
  case BinaryKind::Minimum:
    return std::isnan(a) || std::isnan(b) ? std::numeric_limits<T>::quiet_NaN()
                                          : (a < b ? a : b);
  }
  return T();
}

} // namespace

namespace {

/// One unary op: its dlc mnemonic and its arithmetic in float and double,
/// both from one generic lambda.
struct UnaryEntry {
  std::string_view name;
  float (*f32)(float);
  double (*f64)(double);

  template <typename Fn>
  constexpr UnaryEntry(std::string_view name, Fn fn)
      : name(name), f32(fn), f64(fn) {}

  template <typename T> T apply(T x) const {
    if constexpr (std::is_same_v<T, float>)
      return f32(x);
    else
      return f64(x);
  }
};

/// Every unary op, by mnemonic; the first entries in UnaryKind's order. A
/// new op is one entry at the end.
constexpr UnaryEntry kUnaryOps[] = {
    {"neg", [](auto x) { return -x; }},
    {"exp", [](auto x) { return std::exp(x); }},
    {"log", [](auto x) { return std::log(x); }},
    {"sqrt", [](auto x) { return std::sqrt(x); }},
    {"rsqrt",
     [](auto x) {
       using T = decltype(x);
       return T(1) / std::sqrt(x);
     }},
    {"tanh", [](auto x) { return std::tanh(x); }},
    {"sigmoid",
     [](auto x) {
       using T = decltype(x);
       return T(1) / (T(1) + std::exp(-x));
     }},
    {"relu",
     [](auto x) {
       using T = decltype(x);
       return std::isnan(x) ? x : (x > T(0) ? x : T(0));
     }},
    {"erf", [](auto x) { return std::erf(x); }},
    {"gelu",
     [](auto x) {
       using T = decltype(x);
       return x * (T(1) + std::erf(x / std::sqrt(T(2)))) / T(2);
     }},
    {"gelu_tanh",
     [](auto x) {
       using T = decltype(x);
       const T c = std::sqrt(T(2) / T(M_PI));
       return x * (T(1) + std::tanh(c * (x + T(0.044715) * x * x * x))) / T(2);
     }},
    {"sin", [](auto x) { return std::sin(x); }},
    {"cos", [](auto x) { return std::cos(x); }},
};
static_assert(kUnaryOps[int(UnaryKind::GeluTanh)].name == "gelu_tanh",
              "UnaryKind names the first entries of kUnaryOps, in order");

template <typename T>
Tensor<T> applyUnary(const UnaryEntry &entry, const Tensor<T> &x) {
  Tensor<T> out = x;
  for (T &v : out.data)
    v = entry.apply(v);
  return out;
}

} // namespace

template <typename T> T unaryScalar(UnaryKind kind, T x) {
  return kUnaryOps[int(kind)].apply(x);
}

template <typename T> Tensor<T> unary(UnaryKind kind, const Tensor<T> &x) {
  return applyUnary(kUnaryOps[int(kind)], x);
}

template <typename T>
std::optional<Tensor<T>> unaryNamed(std::string_view name, const Tensor<T> &x) {
  for (const UnaryEntry &entry : kUnaryOps)
    if (entry.name == name)
      return applyUnary(entry, x);
  return std::nullopt;
}

std::optional<BinaryKind> binaryKindNamed(std::string_view name) {
  static constexpr std::pair<std::string_view, BinaryKind> kinds[] = {
      {"add", BinaryKind::Add},         {"sub", BinaryKind::Sub},
      {"mul", BinaryKind::Mul},         {"div", BinaryKind::Div},
      {"pow", BinaryKind::Pow},         {"maximum", BinaryKind::Maximum},
      {"minimum", BinaryKind::Minimum},
  };
  for (auto [n, kind] : kinds)
    if (n == name)
      return kind;
  return std::nullopt;
}

template <typename T>
Status binary(BinaryKind kind, const Tensor<T> &lhs, const Tensor<T> &rhs,
              Tensor<T> &out) {
  if constexpr (std::is_integral_v<T>) {
    Status status;
    out = broadcastMap<T>(lhs, rhs, [&](T a, T b) {
      int64_t r = 0;
      Status s = intBinary(kind, a, b, r);
      if (!s.ok() && status.ok())
        status = s;
      return r;
    });
    return status;
  } else {
    out = broadcastMap<T>(lhs, rhs,
                          [&](T a, T b) { return floatBinary(kind, a, b); });
    return {};
  }
}

template <typename T>
Tensor<int64_t> compare(CompareKind kind, const Tensor<T> &lhs,
                        const Tensor<T> &rhs) {
  return broadcastMap<int64_t>(lhs, rhs, [kind](T a, T b) -> int64_t {
    switch (kind) {
    case CompareKind::Eq:
      return a == b;
    case CompareKind::Ne:
      return a != b;
    case CompareKind::Lt:
      return a < b;
    case CompareKind::Le:
      return a <= b;
    case CompareKind::Gt:
      return a > b;
    case CompareKind::Ge:
      return a >= b;
    }
    return 0;
  });
}

template <typename T>
Tensor<T> where(const Tensor<int64_t> &cond, const Tensor<T> &lhs,
                const Tensor<T> &rhs) {
  Shape shape =
      *broadcastShapes(cond.shape, *broadcastShapes(lhs.shape, rhs.shape));
  Shape sc = broadcastStrides(cond.shape, shape);
  Shape sl = broadcastStrides(lhs.shape, shape);
  Shape sr = broadcastStrides(rhs.shape, shape);
  Tensor<T> out = Tensor<T>::filled(shape, T());
  int64_t i = 0;
  forEachIndex(shape, [&](const Shape &idx) {
    out.data[i++] = cond.data[offsetOf(idx, sc)] != 0
                        ? lhs.data[offsetOf(idx, sl)]
                        : rhs.data[offsetOf(idx, sr)];
  });
  return out;
}

int64_t wrapInt(int64_t v, IntKind kind) {
  switch (kind) {
  case IntKind::I1:
    return v != 0;
  case IntKind::I32:
    return int64_t(int32_t(uint32_t(uint64_t(v))));
  case IntKind::I64:
    return v;
  }
  return v;
}

template <typename T>
Tensor<int64_t> floatToInt(const Tensor<T> &x, IntKind to) {
  // Limits as doubles: 2^31 and 2^63 are exact, so `t >= hi` is exact.
  double lo = to == IntKind::I32 ? -2147483648.0 : -9223372036854775808.0;
  double hi = to == IntKind::I32 ? 2147483648.0 : 9223372036854775808.0;
  int64_t loI = to == IntKind::I32 ? std::numeric_limits<int32_t>::min()
                                   : std::numeric_limits<int64_t>::min();
  int64_t hiI = to == IntKind::I32 ? std::numeric_limits<int32_t>::max()
                                   : std::numeric_limits<int64_t>::max();
  Tensor<int64_t> out = Tensor<int64_t>::filled(x.shape, 0);
  for (size_t i = 0; i < x.data.size(); ++i) {
    double v = double(x.data[i]);
    if (to == IntKind::I1) {
      out.data[i] = v != 0;
      continue;
    }
    double t = std::trunc(v);
    if (std::isnan(t))
      out.data[i] = 0;
    else if (t < lo)
      out.data[i] = loI;
    else if (t >= hi)
      out.data[i] = hiI;
    else
      out.data[i] = int64_t(t);
  }
  return out;
}

template <typename T> Tensor<T> intToFloat(const Tensor<int64_t> &x) {
  Tensor<T> out = Tensor<T>::filled(x.shape, T());
  for (size_t i = 0; i < x.data.size(); ++i)
    out.data[i] = T(x.data[i]);
  return out;
}

Tensor<int64_t> intToInt(const Tensor<int64_t> &x, IntKind to) {
  Tensor<int64_t> out = x;
  for (int64_t &v : out.data)
    v = wrapInt(v, to);
  return out;
}

#define DLC_INSTANTIATE_FLOAT(T)                                               \
  template T unaryScalar<T>(UnaryKind, T);                                     \
  template Tensor<T> unary<T>(UnaryKind, const Tensor<T> &);                   \
  template std::optional<Tensor<T>> unaryNamed<T>(std::string_view,            \
                                                  const Tensor<T> &);          \
  template Tensor<int64_t> floatToInt<T>(const Tensor<T> &, IntKind);          \
  template Tensor<T> intToFloat<T>(const Tensor<int64_t> &);
#define DLC_INSTANTIATE_ANY(T)                                                 \
  template Status binary<T>(BinaryKind, const Tensor<T> &, const Tensor<T> &,  \
                            Tensor<T> &);                                      \
  template Tensor<int64_t> compare<T>(CompareKind, const Tensor<T> &,          \
                                      const Tensor<T> &);                      \
  template Tensor<T> where<T>(const Tensor<int64_t> &, const Tensor<T> &,      \
                              const Tensor<T> &);
DLC_INSTANTIATE_FLOAT(float)
DLC_INSTANTIATE_FLOAT(double)
DLC_INSTANTIATE_ANY(float)
DLC_INSTANTIATE_ANY(double)
DLC_INSTANTIATE_ANY(int64_t)

} // namespace dlc::ref
