//===- ShapeRules.h - shared pieces of the dlc shape rules ------*- C++ -*-===//
//
// The shape rules of the dlc ops live in ShapeRules<Family>.cpp, one file per
// op family (Elementwise, Nn, Movement, Training); each rule computes an op's
// result type from its operands and attributes, or says what is wrong, and
// backs both inferReturnTypes and verify() through DLC_SHAPE_RULE. This
// header holds what several families share; ShapeRules.cpp defines it.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_SHAPERULES_H
#define DLC_IR_SHAPERULES_H

#include "ir/DlcOps.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace mlir::dlc::shape_rules {

/// Collects a rule's error message; converts to a null Type so a rule can
/// `return Err(msg) << ...;`.
class Err {
public:
  explicit Err(std::string &msg) : os(msg) {}
  template <typename T> Err &operator<<(const T &v) {
    os << v;
    return *this;
  }
  operator Type() const { return {}; }

private:
  llvm::raw_string_ostream os;
};

/// `[2, 3]`: dims as the messages print them.
std::string fmt(ArrayRef<int64_t> dims);

/// Numpy broadcasting of two shapes; nullopt when incompatible.
std::optional<SmallVector<int64_t>> broadcast(ArrayRef<int64_t> a,
                                              ArrayRef<int64_t> b);

/// The broadcast shape of lhs and rhs with element type `elem`.
Type binaryRule(Value lhs, Value rhs, Type elem, std::string &err);

/// Checks that `v` has exactly `n` entries, each at least `min`.
bool checkList(ArrayRef<int64_t> v, size_t n, int64_t min, StringRef name,
               std::string &err);

/// Output extent of a sliding window; <= 0 when the window does not fit.
int64_t windowOut(int64_t in, int64_t padBefore, int64_t padAfter,
                  int64_t kernel, int64_t stride, int64_t dilation);

/// Shared by the two pooling ops: NCHW input, window attributes.
Type poolRule(Value input, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
              ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
              std::string &err);

/// reduce_*: distinct `axes` (all when empty), kept as 1 with `keepdims`.
Type reduceRule(Value input, ArrayRef<int64_t> axes, bool keepdims,
                std::string &err);

/// softmax, log_softmax: the input type, once `axis` is in range.
Type softmaxRule(Value input, int64_t axis, std::string &err);

/// Replaces `shape` by the shape of a slice of it (Python semantics per
/// axis: negative starts/ends count from the end and are clamped to
/// [0, dim]); false with `err` set when the attributes are inconsistent.
/// Shared by dlc.slice and dlc.slice_backward.
bool slicedShape(SmallVectorImpl<int64_t> &shape, ArrayRef<int64_t> starts,
                 ArrayRef<int64_t> ends, ArrayRef<int64_t> axesAttr,
                 ArrayRef<int64_t> stepsAttr, std::string &err);

/// Adapts a rule over an op adaptor to inferReturnTypes and verify().
template <typename OpT, typename Rule>
LogicalResult inferWith(std::optional<Location> loc,
                        typename OpT::Adaptor adaptor, Rule rule,
                        SmallVectorImpl<Type> &results) {
  std::string err;
  Type type = rule(adaptor, err);
  if (!type)
    return emitOptionalError(loc, "'", OpT::getOperationName(), "' op ", err);
  results.push_back(type);
  return success();
}

template <typename OpT, typename Rule>
LogicalResult verifyWith(OpT op, Rule rule) {
  std::string err;
  Type type = rule(typename OpT::Adaptor(op), err);
  if (!type)
    return op.emitOpError(err);
  if (type != op.getType())
    return op.emitOpError()
           << "expects result type " << type << ", got " << op.getType();
  return success();
}

} // namespace mlir::dlc::shape_rules

/// Defines OP's inferReturnTypes and verify() from one rule
/// `(OP::Adaptor, std::string &err) -> Type`.
#define DLC_SHAPE_RULE(OP, ...)                                                \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &results) {         \
    return inferWith<OP>(loc, a, __VA_ARGS__, results);                        \
  }                                                                            \
  DLC_VERIFY_RULE(OP, __VA_ARGS__)

// Ops whose traits already say the result type equals the input type get
// inferReturnTypes from ODS; the rule then only verifies attributes.
#define DLC_VERIFY_RULE(OP, ...)                                               \
  LogicalResult OP::verify() { return verifyWith(*this, __VA_ARGS__); }

/// inferReturnTypes and verify() of an op with several results from one
/// rule `RULE(adaptor, err, results)` (lstm, gru, attention): the verifier
/// also checks the op's result types are the rule's.
#define DLC_MULTI_RESULT_RULE(OP, RULE)                                        \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &results) {         \
    std::string err;                                                           \
    if (failed(RULE(a, err, results)))                                         \
      return emitOptionalError(loc, "'", OP::getOperationName(), "' op ",      \
                               err);                                           \
    return success();                                                          \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    std::string err;                                                           \
    SmallVector<Type> types;                                                   \
    if (failed(RULE(Adaptor(*this), err, types)))                              \
      return emitOpError(err);                                                 \
    if (TypeRange(types) != getOperation()->getResultTypes())                  \
      return emitOpError() << "expects result types " << TypeRange(types)      \
                           << ", got " << getOperation()->getResultTypes();    \
    return success();                                                          \
  }

#endif // DLC_IR_SHAPERULES_H
