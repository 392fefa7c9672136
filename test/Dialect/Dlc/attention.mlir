// RUN: dlc-opt %s | dlc-opt | FileCheck %s
// RUN: dlc-opt %s --mlir-print-op-generic | dlc-opt | FileCheck %s

// dlc.attention and dlc.attention_backward round-trip; logsumexp is f32 for
// bf16 operands, the mask optional and last.

// CHECK-LABEL: func.func @attention
//       CHECK:   %[[O:.+]], %[[L:.+]] = dlc.attention %arg0, %arg1, %arg2, %arg3 {causal = true, scale = 1.250000e-01 : f64} : (tensor<2x4x5x8xbf16>, tensor<2x4x7x8xbf16>, tensor<2x4x7x6xbf16>, tensor<2x1x1x7xbf16>) -> (tensor<2x4x5x6xbf16>, tensor<2x4x5xf32>)
//       CHECK:   dlc.attention_backward %arg0, %arg1, %arg2, %[[O]], %[[L]], %[[O]], %arg3 {causal = true, scale = 1.250000e-01 : f64}
//  CHECK-SAME:     -> (tensor<2x4x5x8xbf16>, tensor<2x4x7x8xbf16>, tensor<2x4x7x6xbf16>)
func.func @attention(%q: tensor<2x4x5x8xbf16>, %k: tensor<2x4x7x8xbf16>, %v: tensor<2x4x7x6xbf16>, %m: tensor<2x1x1x7xbf16>) -> tensor<2x4x5x8xbf16> {
  %o, %l = dlc.attention %q, %k, %v, %m {scale = 0.125 : f64, causal = true} : (tensor<2x4x5x8xbf16>, tensor<2x4x7x8xbf16>, tensor<2x4x7x6xbf16>, tensor<2x1x1x7xbf16>) -> (tensor<2x4x5x6xbf16>, tensor<2x4x5xf32>)
  %dq, %dk, %dv = dlc.attention_backward %q, %k, %v, %o, %l, %o, %m {scale = 0.125 : f64, causal = true} : (tensor<2x4x5x8xbf16>, tensor<2x4x7x8xbf16>, tensor<2x4x7x6xbf16>, tensor<2x4x5x6xbf16>, tensor<2x4x5xf32>, tensor<2x4x5x6xbf16>, tensor<2x1x1x7xbf16>) -> (tensor<2x4x5x8xbf16>, tensor<2x4x7x8xbf16>, tensor<2x4x7x6xbf16>)
  return %dq : tensor<2x4x5x8xbf16>
}
