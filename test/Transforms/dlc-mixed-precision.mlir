// RUN: dlc-opt %s --split-input-file --dlc-mixed-precision=precision=bf16 | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-mixed-precision=precision=fp16 | FileCheck %s --check-prefix=F16
// RUN: not dlc-opt %s --split-input-file --dlc-mixed-precision=precision=f8 2>&1 | FileCheck %s --check-prefix=BAD

// A contraction computes in bf16 (its operands, the f32 params and inputs,
// are cast once each); the follow-op relu stays bf16; softmax computes in
// f32; the loss takes f32 logits; the results keep their f32 types.
// CHECK-LABEL: func.func @classifier
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<4x3xf32> {dlc.input = "x"}, %[[W:[^:]+]]: tensor<5x3xf32> {{.*}}, %[[B:[^:]+]]: tensor<5xf32> {{.*}}, %[[L:[^:]+]]: tensor<4xi64>
//  CHECK-SAME:   -> (tensor<4x5xf32> {dlc.output = "probs"}, tensor<f32> {dlc.output = "loss"})
//   CHECK-DAG:   %[[B16:.+]] = dlc.cast %[[B]] {to = bf16} : (tensor<5xf32>) -> tensor<5xbf16>
//   CHECK-DAG:   %[[W16:.+]] = dlc.cast %[[W]] {to = bf16} : (tensor<5x3xf32>) -> tensor<5x3xbf16>
//   CHECK-DAG:   %[[X16:.+]] = dlc.cast %[[X]] {to = bf16} : (tensor<4x3xf32>) -> tensor<4x3xbf16>
//       CHECK:   %[[Z:.+]] = dlc.dense %[[X16]], %[[W16]], %[[B16]] : (tensor<4x3xbf16>, tensor<5x3xbf16>, tensor<5xbf16>) -> tensor<4x5xbf16>
//       CHECK:   %[[A:.+]] = dlc.relu %[[Z]] : tensor<4x5xbf16>
//       CHECK:   %[[A32:.+]] = dlc.cast %[[A]] {to = f32} : (tensor<4x5xbf16>) -> tensor<4x5xf32>
//       CHECK:   %[[P:.+]] = dlc.softmax %[[A32]] {{.*}}: tensor<4x5xf32>
//       CHECK:   %[[LOSS:.+]] = dlc.softmax_cross_entropy %[[A32]], %[[L]] : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<f32>
//       CHECK:   return %[[P]], %[[LOSS]] : tensor<4x5xf32>, tensor<f32>
// F16-LABEL: func.func @classifier
//       F16:   dlc.dense {{.*}} -> tensor<4x5xf16>
//       F16:   dlc.relu {{.*}} : tensor<4x5xf16>
//       F16:   dlc.softmax {{.*}} : tensor<4x5xf32>
// BAD: error: --dlc-mixed-precision: unknown precision 'f8'; expected bf16 or fp16
func.func @classifier(%x: tensor<4x3xf32> {dlc.input = "x"},
                      %w: tensor<5x3xf32> {dlc.param = "fc.weight", dlc.init = {scheme = "zeros"}},
                      %b: tensor<5xf32> {dlc.param = "fc.bias", dlc.init = {scheme = "zeros"}},
                      %l: tensor<4xi64> {dlc.input = "labels"})
    -> (tensor<4x5xf32> {dlc.output = "probs"}, tensor<f32> {dlc.output = "loss"}) {
  %0 = dlc.dense %x, %w, %b : (tensor<4x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<4x5xf32>
  %1 = dlc.relu %0 : tensor<4x5xf32>
  %2 = dlc.softmax %1 : tensor<4x5xf32>
  %3 = dlc.softmax_cross_entropy %1, %l : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<f32>
  return %2, %3 : tensor<4x5xf32>, tensor<f32>
}

// -----

// Follow ops take the low type from any low operand (the f32 input and the
// constant are cast down); with only f32 operands they stay f32. layer_norm
// computes in f32 and its result is cast down for the matmul. A result
// computed low is cast back up before the return.
// CHECK-LABEL: func.func @residual
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<8x8xf32>, %[[S:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>)
//       CHECK:   %[[X16:.+]] = dlc.cast %[[X]] {to = bf16}
//       CHECK:   %[[T:.+]] = dlc.tanh %[[X]] : tensor<4x8xf32>
//       CHECK:   %[[N:.+]] = dlc.layer_norm %[[T]], %[[S]], %[[B]] {{.*}} -> tensor<4x8xf32>
//       CHECK:   %[[N16:.+]] = dlc.cast %[[N]] {to = bf16}
//       CHECK:   %[[M:.+]] = dlc.matmul %[[N16]], %{{.+}} : (tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<4x8xbf16>
//       CHECK:   %[[C:.+]] = dlc.constant dense<5.000000e-01> : tensor<f32>
//       CHECK:   %[[C16:.+]] = dlc.cast %[[C]] {to = bf16} : (tensor<f32>) -> tensor<bf16>
//       CHECK:   %[[H:.+]] = dlc.mul %[[M]], %[[C16]] : (tensor<4x8xbf16>, tensor<bf16>) -> tensor<4x8xbf16>
//       CHECK:   %[[R:.+]] = dlc.add %[[X16]], %[[H]] : (tensor<4x8xbf16>, tensor<4x8xbf16>) -> tensor<4x8xbf16>
//       CHECK:   %[[R32:.+]] = dlc.cast %[[R]] {to = f32}
//       CHECK:   %[[E:.+]] = dlc.reduce_max %[[R]] {{.*}} -> tensor<4xbf16>
//       CHECK:   %[[E32:.+]] = dlc.cast %[[E]] {to = f32}
//       CHECK:   return %[[R32]], %[[E32]] : tensor<4x8xf32>, tensor<4xf32>
func.func @residual(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>)
    -> (tensor<4x8xf32>, tensor<4xf32>) {
  %0 = dlc.tanh %x : tensor<4x8xf32>
  %1 = dlc.layer_norm %0, %s, %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %2 = dlc.matmul %1, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %c = dlc.constant dense<0.5> : tensor<f32>
  %3 = dlc.mul %2, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %4 = dlc.add %x, %3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %5 = dlc.reduce_max %4 {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4xf32>
  return %4, %5 : tensor<4x8xf32>, tensor<4xf32>
}

// -----

// f64 graphs and existing casts are left alone; a cast reads the f32 value
// its operand had (a low value is cast back up first).
// CHECK-LABEL: func.func @others
//       CHECK:   %[[M:.+]] = dlc.matmul {{.*}} -> tensor<2x2xbf16>
//       CHECK:   %[[M32:.+]] = dlc.cast %[[M]] {to = f32}
//       CHECK:   dlc.cast %[[M32]] {to = i32}
//       CHECK:   dlc.matmul {{.*}} : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<2x2xf64>
func.func @others(%a: tensor<2x2xf32>, %d: tensor<2x2xf64>) -> (tensor<2x2xi32>, tensor<2x2xf64>) {
  %0 = dlc.matmul %a, %a : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %1 = dlc.cast %0 {to = i32} : (tensor<2x2xf32>) -> tensor<2x2xi32>
  %2 = dlc.matmul %d, %d : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<2x2xf64>
  return %1, %2 : tensor<2x2xi32>, tensor<2x2xf64>
}
