// RUN: dlc-opt %s | dlc-opt | FileCheck %s
// RUN: dlc-opt %s --mlir-print-op-generic | dlc-opt | FileCheck %s

// The backward ops that --dlc-autodiff builds round-trip, and their result
// types come from their attributes and operands.

// CHECK-LABEL: func.func @conv_backward
func.func @conv_backward(%g: tensor<2x6x4x5xf32>, %w: tensor<6x2x3x2xf32>,
                         %x: tensor<2x4x7x6xf32>)
    -> (tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32>) {
  // CHECK: dlc.conv2d_backward_input %{{.+}}, %{{.+}} {dilation = array<i64: 1, 2>, groups = 2 : i64, input_shape = array<i64: 2, 4, 7, 6>, padding = array<i64: 1, 0, 1, 1>, stride = array<i64: 2, 1>} : (tensor<2x6x4x5xf32>, tensor<6x2x3x2xf32>) -> tensor<2x4x7x6xf32>
  %dx = dlc.conv2d_backward_input %g, %w {input_shape = array<i64: 2, 4, 7, 6>, stride = array<i64: 2, 1>, padding = array<i64: 1, 0, 1, 1>, dilation = array<i64: 1, 2>, groups = 2 : i64} : (tensor<2x6x4x5xf32>, tensor<6x2x3x2xf32>) -> tensor<2x4x7x6xf32>
  // CHECK: dlc.conv2d_backward_weight %{{.+}}, %{{.+}} {dilation = array<i64: 1, 2>, groups = 2 : i64, kernel_size = array<i64: 3, 2>, padding = array<i64: 1, 0, 1, 1>, stride = array<i64: 2, 1>} : (tensor<2x6x4x5xf32>, tensor<2x4x7x6xf32>) -> tensor<6x2x3x2xf32>
  %dw = dlc.conv2d_backward_weight %g, %x {kernel_size = array<i64: 3, 2>, stride = array<i64: 2, 1>, padding = array<i64: 1, 0, 1, 1>, dilation = array<i64: 1, 2>, groups = 2 : i64} : (tensor<2x6x4x5xf32>, tensor<2x4x7x6xf32>) -> tensor<6x2x3x2xf32>
  return %dx, %dw : tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32>
}

// CHECK-LABEL: func.func @pool_backward
func.func @pool_backward(%g: tensor<2x3x4x3xf32>, %x: tensor<2x3x7x6xf32>)
    -> (tensor<2x3x7x6xf32>, tensor<2x3x7x6xf32>) {
  // CHECK: dlc.max_pool2d_backward %{{.+}}, %{{.+}} {{.+}} : (tensor<2x3x4x3xf32>, tensor<2x3x7x6xf32>) -> tensor<2x3x7x6xf32>
  %a = dlc.max_pool2d_backward %g, %x {kernel_size = array<i64: 3, 2>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilation = array<i64: 1, 1>} : (tensor<2x3x4x3xf32>, tensor<2x3x7x6xf32>) -> tensor<2x3x7x6xf32>
  // CHECK: dlc.avg_pool2d_backward %{{.+}} {count_include_pad = true, input_shape = array<i64: 2, 3, 7, 6>, {{.+}}} : (tensor<2x3x4x3xf32>) -> tensor<2x3x7x6xf32>
  %b = dlc.avg_pool2d_backward %g {input_shape = array<i64: 2, 3, 7, 6>, kernel_size = array<i64: 3, 2>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, count_include_pad = true} : (tensor<2x3x4x3xf32>) -> tensor<2x3x7x6xf32>
  return %a, %b : tensor<2x3x7x6xf32>, tensor<2x3x7x6xf32>
}

// CHECK-LABEL: func.func @slice_backward
func.func @slice_backward(%g: tensor<2x5x3xf64>) -> tensor<4x5x6xf64> {
  // CHECK: dlc.slice_backward %{{.+}} {axes = array<i64: 0, 2>, ends = array<i64: 4, 100>, input_shape = array<i64: 4, 5, 6>, starts = array<i64: 1, -5>, steps = array<i64: 2, 2>} : (tensor<2x5x3xf64>) -> tensor<4x5x6xf64>
  %r = dlc.slice_backward %g {input_shape = array<i64: 4, 5, 6>, starts = array<i64: 1, -5>, ends = array<i64: 4, 100>, axes = array<i64: 0, 2>, steps = array<i64: 2, 2>} : (tensor<2x5x3xf64>) -> tensor<4x5x6xf64>
  return %r : tensor<4x5x6xf64>
}
