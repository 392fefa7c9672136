//===- Elementwise.h - elementwise reference kernels ------------*- C++ -*-===//
//
// T is the compute type: float or double; the binary, compare, where and
// data-movement kernels also take int64_t (every integer tensor). Binary
// kernels broadcast by numpy rules.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_REFERENCE_ELEMENTWISE_H
#define DLC_IR_REFERENCE_ELEMENTWISE_H

#include "ir/reference/Tensor.h"

#include <optional>
#include <string_view>

namespace dlc::ref {

/// The unary ops that callers name directly: the first entries of the table
/// of unary ops in Elementwise.cpp, in its order. An op reached only through
/// unaryNamed needs no kind.
enum class UnaryKind {
  Neg,
  Exp,
  Log,
  Sqrt,
  Rsqrt,
  Tanh,
  Sigmoid,
  Relu,
  Erf,
  Gelu,     // x * (1 + erf(x / sqrt(2))) / 2
  GeluTanh, // x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2
};

/// One element of a unary op.
template <typename T> T unaryScalar(UnaryKind kind, T x);
template <typename T> Tensor<T> unary(UnaryKind kind, const Tensor<T> &x);

/// The unary op whose dlc mnemonic is `name` ("neg", "exp", ...;
/// "gelu_tanh" is gelu with approximate = "tanh") applied to every element
/// of `x`; std::nullopt when there is no such op. A new unary op is one
/// entry of the table in Elementwise.cpp.
template <typename T>
std::optional<Tensor<T>> unaryNamed(std::string_view name, const Tensor<T> &x);

enum class BinaryKind { Add, Sub, Mul, Div, Pow, Maximum, Minimum };

/// The kind of the binary op whose dlc mnemonic is `name` ("add", ...).
std::optional<BinaryKind> binaryKindNamed(std::string_view name);

/// Floats follow IEEE (x/0 is inf or NaN; maximum/minimum propagate NaN).
/// Integers (int64_t): add/sub/mul wrap around, div truncates toward zero,
/// pow is repeated multiplication (wrapping); division by zero and negative
/// integer exponents are errors.
template <typename T>
Status binary(BinaryKind kind, const Tensor<T> &lhs, const Tensor<T> &rhs,
              Tensor<T> &out);

enum class CompareKind { Eq, Ne, Lt, Le, Gt, Ge };

/// 1 where the predicate holds, else 0 (comparisons with NaN are false,
/// except ne).
template <typename T>
Tensor<int64_t> compare(CompareKind kind, const Tensor<T> &lhs,
                        const Tensor<T> &rhs);

/// lhs where cond != 0, else rhs; all three broadcast together.
template <typename T>
Tensor<T> where(const Tensor<int64_t> &cond, const Tensor<T> &lhs,
                const Tensor<T> &rhs);

/// The integer element types; values are held as int64_t.
enum class IntKind { I1, I32, I64 };

/// An int64 value as the integer type would store it: i1 is v != 0, i32
/// wraps (two's complement).
int64_t wrapInt(int64_t v, IntKind kind);

/// Float to integer: truncates toward zero; NaN gives 0 and out-of-range
/// values saturate to the type's limits (C++ leaves both undefined). To i1
/// is x != 0 (so NaN is true, as in numpy).
template <typename T>
Tensor<int64_t> floatToInt(const Tensor<T> &x, IntKind to);
template <typename T> Tensor<T> intToFloat(const Tensor<int64_t> &x);
Tensor<int64_t> intToInt(const Tensor<int64_t> &x, IntKind to);

} // namespace dlc::ref

#endif // DLC_IR_REFERENCE_ELEMENTWISE_H
