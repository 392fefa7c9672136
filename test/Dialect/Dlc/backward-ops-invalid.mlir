// RUN: dlc-opt %s --split-input-file --verify-diagnostics

// One case per verifier message of the backward ops (ir/ShapeRules.cpp).

func.func @conv_input_shape(%g: tensor<1x2x3x3xf32>, %w: tensor<2x1x3x3xf32>) -> tensor<1x1x5xf32> {
  // expected-error @+1 {{'dlc.conv2d_backward_input' op expects 'input_shape' to be a 4-D NCHW shape of positive dims, got [1, 1, 5]}}
  %0 = dlc.conv2d_backward_input %g, %w {input_shape = array<i64: 1, 1, 5>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x1x3x3xf32>) -> tensor<1x1x5xf32>
  return %0 : tensor<1x1x5xf32>
}

// -----

func.func @conv_input_groups(%g: tensor<1x2x3x3xf32>, %w: tensor<2x1x3x3xf32>) -> tensor<1x3x5x5xf32> {
  // expected-error @+1 {{'dlc.conv2d_backward_input' op expects weight [2, 1, 3, 3] to fit input [1, 3, 5, 5] with groups 1}}
  %0 = dlc.conv2d_backward_input %g, %w {input_shape = array<i64: 1, 3, 5, 5>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x1x3x3xf32>) -> tensor<1x3x5x5xf32>
  return %0 : tensor<1x3x5x5xf32>
}

// -----

func.func @conv_input_grad(%g: tensor<1x2x4x4xf32>, %w: tensor<2x1x3x3xf32>) -> tensor<1x1x5x5xf32> {
  // expected-error @+1 {{'dlc.conv2d_backward_input' op expects grad_output of shape [1, 2, 3, 3] (the forward result), got [1, 2, 4, 4]}}
  %0 = dlc.conv2d_backward_input %g, %w {input_shape = array<i64: 1, 1, 5, 5>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

func.func @conv_weight_groups(%g: tensor<1x3x3x3xf32>, %x: tensor<1x4x5x5xf32>) -> tensor<3x2x3x3xf32> {
  // expected-error @+1 {{'dlc.conv2d_backward_weight' op expects input channels (4) and output channels (3) divisible by groups (2)}}
  %0 = dlc.conv2d_backward_weight %g, %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x3x3x3xf32>, tensor<1x4x5x5xf32>) -> tensor<3x2x3x3xf32>
  return %0 : tensor<3x2x3x3xf32>
}

// -----

func.func @conv_weight_window(%g: tensor<1x2x3x3xf32>, %x: tensor<1x1x2x2xf32>) -> tensor<2x1x3x3xf32> {
  // expected-error @+1 {{'dlc.conv2d_backward_weight' op expects the window to fit the input, got input [1, 1, 2, 2] and kernel [3, 3]}}
  %0 = dlc.conv2d_backward_weight %g, %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<2x1x3x3xf32>
  return %0 : tensor<2x1x3x3xf32>
}

// -----

func.func @max_pool_grad(%g: tensor<1x1x3x3xf32>, %x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'dlc.max_pool2d_backward' op expects grad_output of shape [1, 1, 2, 2] (the forward result), got [1, 1, 3, 3]}}
  %0 = dlc.max_pool2d_backward %g, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @max_pool_padding(%g: tensor<1x1x2x2xf32>, %x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'dlc.max_pool2d_backward' op expects padding at most half the kernel size, got padding [2, 0, 0, 0] for kernel [2, 2]}}
  %0 = dlc.max_pool2d_backward %g, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 2, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @avg_pool_grad(%g: tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'dlc.avg_pool2d_backward' op expects grad_output of shape [1, 1, 2, 2] (the forward result), got [1, 1, 3, 3]}}
  %0 = dlc.avg_pool2d_backward %g {input_shape = array<i64: 1, 1, 4, 4>, kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @slice_grad(%g: tensor<2x5xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{'dlc.slice_backward' op expects grad of shape [3, 5] (the forward result), got [2, 5]}}
  %0 = dlc.slice_backward %g {input_shape = array<i64: 4, 5>, starts = array<i64: 1>, ends = array<i64: 4>} : (tensor<2x5xf32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @slice_steps(%g: tensor<2x5xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{'dlc.slice_backward' op expects positive steps, got [0]}}
  %0 = dlc.slice_backward %g {input_shape = array<i64: 4, 5>, starts = array<i64: 1>, ends = array<i64: 4>, steps = array<i64: 0>} : (tensor<2x5xf32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}
