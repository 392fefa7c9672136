// RUN: dlc-opt %s | dlc-opt | FileCheck %s
// RUN: dlc-opt %s --mlir-print-op-generic | dlc-opt | FileCheck %s

// dlc.fusion and dlc.yield round-trip in the custom and the generic form.

// CHECK-LABEL: func.func @elementwise
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x8xf32>, %[[Y:.+]]: tensor<8xf32>)
func.func @elementwise(%x: tensor<4x8xf32>, %y: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[R:.+]] = dlc.fusion elementwise "k0_scale_relu" (%[[A:.+]] = %[[X]] : tensor<4x8xf32>, %[[B:.+]] = %[[Y]] : tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK:   %[[C:.+]] = dlc.constant dense<2.000000e+00> : tensor<f32>
  // CHECK:   %[[M:.+]] = dlc.mul %[[A]], %[[B]]
  // CHECK:   %[[S:.+]] = dlc.mul %[[M]], %[[C]]
  // CHECK:   %[[RL:.+]] = dlc.relu %[[S]] : tensor<4x8xf32>
  // CHECK:   dlc.yield %[[RL]] : tensor<4x8xf32>
  // CHECK: }
  %r = dlc.fusion elementwise "k0_scale_relu" (%a = %x : tensor<4x8xf32>, %b = %y : tensor<8xf32>) -> tensor<4x8xf32> {
    %c = dlc.constant dense<2.0> : tensor<f32>
    %0 = dlc.mul %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %1 = dlc.mul %0, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
    %2 = dlc.relu %1 : tensor<4x8xf32>
    dlc.yield %2 : tensor<4x8xf32>
  }
  // CHECK: return %[[R]] : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// Several results print in parentheses; other attributes follow `attributes`.
// CHECK-LABEL: func.func @contraction_two_results
func.func @contraction_two_results(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>)
    -> (tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>) {
  // CHECK: %[[F:.+]]:2 = dlc.fusion contraction "k1_conv1_relu1" (%{{.+}} = %{{.+}} : tensor<1x3x8x8xf32>, %{{.+}} = %{{.+}} : tensor<4x3x3x3xf32>, %{{.+}} = %{{.+}} : tensor<4xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>) attributes {note = "x"} {
  // CHECK:   dlc.conv2d
  // CHECK:   dlc.relu
  // CHECK:   dlc.max_pool2d
  // CHECK:   dlc.yield %{{.+}}, %{{.+}} : tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>
  %r:2 = dlc.fusion contraction "k1_conv1_relu1" (%i = %x : tensor<1x3x8x8xf32>, %k = %w : tensor<4x3x3x3xf32>, %c = %b : tensor<4xf32>)
      -> (tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>) attributes {note = "x"} {
    %0 = dlc.conv2d %i, %k, %c {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    %1 = dlc.relu %0 : tensor<1x4x8x8xf32>
    %2 = dlc.max_pool2d %1 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
    dlc.yield %1, %2 : tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>
  }
  // CHECK: return %[[F]]#0, %[[F]]#1
  return %r#0, %r#1 : tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>
}

// A reduction with prologue and epilogue; a pool alone is a reduction too.
// CHECK-LABEL: func.func @reduction
func.func @reduction(%x: tensor<2x8xf32>, %p: tensor<1x1x4x4xf32>) -> (tensor<2x8xf32>, tensor<1x1x2x2xf32>) {
  // CHECK: dlc.fusion reduction "k0_scale_probs"
  // CHECK:   dlc.exp
  // CHECK:   dlc.softmax
  %r = dlc.fusion reduction "k0_scale_probs" (%a = %x : tensor<2x8xf32>) -> tensor<2x8xf32> {
    %0 = dlc.exp %a : tensor<2x8xf32>
    %1 = dlc.softmax %0 : tensor<2x8xf32>
    %2 = dlc.neg %1 : tensor<2x8xf32>
    dlc.yield %2 : tensor<2x8xf32>
  }
  // CHECK: dlc.fusion reduction "k1_pool"
  // CHECK:   dlc.avg_pool2d
  %q = dlc.fusion reduction "k1_pool" (%a = %p : tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
    %0 = dlc.avg_pool2d %a {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
    dlc.yield %0 : tensor<1x1x2x2xf32>
  }
  return %r, %q : tensor<2x8xf32>, tensor<1x1x2x2xf32>
}

// No operands: the body may build everything from constants.
// CHECK-LABEL: func.func @no_operands
func.func @no_operands() -> tensor<3xf32> {
  // CHECK: dlc.fusion elementwise "k0" () -> tensor<3xf32> {
  %r = dlc.fusion elementwise "k0" () -> tensor<3xf32> {
    %c = dlc.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
    %0 = dlc.exp %c : tensor<3xf32>
    dlc.yield %0 : tensor<3xf32>
  }
  return %r : tensor<3xf32>
}
