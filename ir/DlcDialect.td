//===- DlcDialect.td - the dlc dialect ---------------------*- tablegen -*-===//
#ifndef DLC_DIALECT_TD
#define DLC_DIALECT_TD

include "mlir/IR/OpBase.td"

def Dlc_Dialect : Dialect {
  let name = "dlc";
  let cppNamespace = "::mlir::dlc";
  let summary = "Graph-level deep-learning ops on ranked, statically shaped tensors";
  let description = [{
    One op per operation that a model uses. Every op has a shape rule
    (InferTypeOpInterface), which also verifies it where it can fail, so a
    graph can be built from operands and attributes alone. Layouts follow PyTorch/ONNX: images are NCHW,
    convolution weights OIHW, dense weights [out, in].
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // DLC_DIALECT_TD
