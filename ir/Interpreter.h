//===- Interpreter.h - the reference interpreter ----------------*- C++ -*-===//
//
// Runs a dlc function on the host with the plain kernels of
// runtime/reference: the oracle that compiled kernels are compared with.
//
// Precision. Every float op computes in the compute type T: float (F32) or
// double (F64). Integer tensors (i1, i32, i64) are held exactly as int64
// and wrapped to their type after every op.
//  - F32: values of f16/bf16 type are rounded to their type after every op
//    (as storing them would); f32 and f64 values are held in float. Results
//    come back in their declared element types.
//  - F64: every float value is held in double and never rounded to its
//    declared type (the exact oracle, e.g. for finite differences). Float
//    results come back as f64 whatever their declared type; integer results
//    keep theirs.
//
// Errors (a label out of range, integer division by zero, arguments that do
// not match the signature, an op it does not know) are emitted as
// diagnostics at the op's location, which names the model node.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_INTERPRETER_H
#define DLC_IR_INTERPRETER_H

#include "runtime/core/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

enum class Precision { F32, F64 };

struct InterpreterOptions {
  Precision precision = Precision::F32;
};

/// The HostTensor element type of an MLIR element type, if it is one of
/// f16, bf16, f32, f64, i1, i32, i64.
std::optional<DType> dtypeOf(mlir::Type elementType);

/// Runs `func` on `args`, one per function argument with exactly its element
/// type and shape. Returns one tensor per function result (see Precision for
/// their element types). The function is verified first.
mlir::FailureOr<std::vector<HostTensor>>
interpret(mlir::func::FuncOp func, llvm::ArrayRef<HostTensor> args,
          const InterpreterOptions &opts);

/// One argument or result of a model function (ir/ModelAttrs.h).
struct ModelValue {
  enum class Kind { Input, Param, Output };
  Kind kind;
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  unsigned index; // argument or result number
};

/// The model function of a module: @forward, or its only func.func. Emits
/// an error and returns null when there is none.
mlir::func::FuncOp getModelFunction(mlir::ModuleOp module);

/// The inputs, parameters and outputs of a model function, in argument and
/// result order; fails (with a diagnostic) when an argument is neither
/// dlc.input nor dlc.param, a result has no dlc.output, or a type is not a
/// static tensor of a supported element type.
mlir::FailureOr<std::vector<ModelValue>> describeModel(mlir::func::FuncOp func);

struct NamedTensor {
  std::string name;
  HostTensor tensor;
};

/// Materializes every dlc.param of the model function of `module` from its
/// dlc.init (ir/reference/Initializers.h, with the module's dlc.seed, 0 when
/// absent), by parameter name. Shared by the reference interpreter and the
/// compiled devices, so both see the same weights.
mlir::FailureOr<std::map<std::string, HostTensor>>
materializeParams(mlir::ModuleOp module);

/// Runs a model module: binds `inputs` to dlc.input arguments by name,
/// materializes every dlc.param from its dlc.init (ir/reference/Initializers.h,
/// with the module's dlc.seed, 0 when absent), and returns the dlc.output
/// results by name, in result order. Missing, unknown or mismatched inputs
/// are errors.
mlir::FailureOr<std::vector<NamedTensor>>
runModel(mlir::ModuleOp module, const std::map<std::string, HostTensor> &inputs,
         const InterpreterOptions &opts);

} // namespace dlc

#endif // DLC_IR_INTERPRETER_H
