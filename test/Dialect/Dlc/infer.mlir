// RUN: dlc-opt %s --split-input-file --verify-diagnostics

// Pins the shape arithmetic: each op is written with a wrong result type and
// the verifier must name the right one (PyTorch/ONNX semantics: floor-mode
// windows, Python slicing with clamping, numpy broadcasting).

// 3x3, pad 1, stride 1 keeps 32x32
func.func @conv_same(%a0: tensor<1x3x32x32xf32>, %a1: tensor<16x3x3x3xf32>, %a2: tensor<16xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<1x16x32x32xf32>', got 'tensor<1x16x32x33xf32>'}}
  %0 = dlc.conv2d %a0, %a1, %a2 {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x32x33xf32>
  return
}

// -----

// (8 - 3) / 3 + 1 = 2: the last partial window is dropped
func.func @conv_stride_floor(%a0: tensor<2x3x8x8xf32>, %a1: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<2x4x2x2xf32>', got 'tensor<2x4x2x3xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x2x3xf32>
  return
}

// -----

// (7 + 1 + 1 - 3) / 2 + 1 = 4
func.func @conv_stride2_pad1(%a0: tensor<1x8x7x7xf32>, %a1: tensor<8x8x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<1x8x4x4xf32>', got 'tensor<1x8x4x5xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x7x7xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x4x5xf32>
  return
}

// -----

// padding [top, left, bottom, right] = [0, 2, 1, 0]: h = 10 + 0 + 1 - 3 + 1 = 9, w = 10 + 2 + 0 - 3 + 1 = 10
func.func @conv_asymmetric_padding(%a0: tensor<1x1x10x10xf32>, %a1: tensor<1x1x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<1x1x9x10xf32>', got 'tensor<1x1x9x11xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 1, 1>, padding = array<i64: 0, 2, 1, 0>, dilation = array<i64: 1, 1>} : (tensor<1x1x10x10xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x9x11xf32>
  return
}

// -----

// dilation 3 makes a 3x3 kernel span 7: (10 - 7) / 2 + 1 = 2; w: dilation 1, (10 - 3) / 2 + 1 = 4
func.func @conv_dilation(%a0: tensor<1x2x10x10xf32>, %a1: tensor<5x2x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<1x5x2x4xf32>', got 'tensor<1x5x2x5xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 3, 1>} : (tensor<1x2x10x10xf32>, tensor<5x2x3x3xf32>) -> tensor<1x5x2x5xf32>
  return
}

// -----

// span 2 * (5 - 1) + 1 = 9: h (224 + 3 + 3 - 9) / 4 + 1 = 56, w (224 + 4 + 4 - 9) / 4 + 1 = 56
func.func @conv_dilation_padding_stride(%a0: tensor<1x3x224x224xf32>, %a1: tensor<64x3x5x5xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<1x64x56x56xf32>', got 'tensor<1x64x56x57xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 4, 4>, padding = array<i64: 3, 4, 3, 4>, dilation = array<i64: 2, 2>} : (tensor<1x3x224x224xf32>, tensor<64x3x5x5xf32>) -> tensor<1x64x56x57xf32>
  return
}

// -----

// groups only change channels: 6 in, 3 groups, weight [9, 2, 1, 1]
func.func @conv_grouped(%a0: tensor<4x6x5x7xf32>, %a1: tensor<9x2x1x1xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<4x9x5x4xf32>', got 'tensor<4x9x5x5xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 1, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 3 : i64} : (tensor<4x6x5x7xf32>, tensor<9x2x1x1xf32>) -> tensor<4x9x5x5xf32>
  return
}

// -----

// 1x7 kernel with pad [0, 3, 0, 3]: h 17, w (17 + 6 - 7) / 1 + 1 = 17
func.func @conv_rect_kernel(%a0: tensor<1x4x17x17xf32>, %a1: tensor<4x4x1x7xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<1x4x17x17xf32>', got 'tensor<1x4x17x18xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 1, 1>, padding = array<i64: 0, 3, 0, 3>, dilation = array<i64: 1, 1>} : (tensor<1x4x17x17xf32>, tensor<4x4x1x7xf32>) -> tensor<1x4x17x18xf32>
  return
}

// -----

// the whole input in one window
func.func @conv_kernel_equals_input(%a0: tensor<3x2x5x5xf32>, %a1: tensor<7x2x5x5xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects result type 'tensor<3x7x1x1xf32>', got 'tensor<3x7x1x2xf32>'}}
  %0 = dlc.conv2d %a0, %a1 {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<3x2x5x5xf32>, tensor<7x2x5x5xf32>) -> tensor<3x7x1x2xf32>
  return
}

// -----

// 2x2 stride 2 over 7: (7 - 2) / 2 + 1 = 3 (floor, not ceil)
func.func @max_pool_odd(%a0: tensor<1x4x7x7xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects result type 'tensor<1x4x3x3xf32>', got 'tensor<1x4x3x4xf32>'}}
  %0 = dlc.max_pool2d %a0 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x7x7xf32>) -> tensor<1x4x3x4xf32>
  return
}

// -----

// 3x3 stride 2 pad 1 over 112: (112 + 2 - 3) / 2 + 1 = 56
func.func @max_pool_resnet_stem(%a0: tensor<1x64x112x112xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects result type 'tensor<1x64x56x56xf32>', got 'tensor<1x64x56x57xf32>'}}
  %0 = dlc.max_pool2d %a0 {kernel_size = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x57xf32>
  return
}

// -----

// dilation 2: span 5, (9 - 5) / 1 + 1 = 5; w dilation 1 stride 3: (9 - 3) / 3 + 1 = 3
func.func @max_pool_dilated(%a0: tensor<2x3x9x9xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects result type 'tensor<2x3x5x3xf32>', got 'tensor<2x3x5x4xf32>'}}
  %0 = dlc.max_pool2d %a0 {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 3>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 2, 1>} : (tensor<2x3x9x9xf32>) -> tensor<2x3x5x4xf32>
  return
}

// -----

// padding [1, 0, 0, 1]: h (6 + 1 - 2) / 2 + 1 = 3, w (6 + 1 - 2) / 1 + 1 = 6
func.func @max_pool_asymmetric(%a0: tensor<1x1x6x6xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects result type 'tensor<1x1x3x6xf32>', got 'tensor<1x1x3x7xf32>'}}
  %0 = dlc.max_pool2d %a0 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 1>, padding = array<i64: 1, 0, 0, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1x6x6xf32>) -> tensor<1x1x3x7xf32>
  return
}

// -----

// 3x3 stride 3 pad 1 over 28: (28 + 2 - 3) / 3 + 1 = 10
func.func @avg_pool_pad(%a0: tensor<8x16x28x28xf32>) {
  // expected-error @+1 {{'dlc.avg_pool2d' op expects result type 'tensor<8x16x10x10xf32>', got 'tensor<8x16x10x11xf32>'}}
  %0 = dlc.avg_pool2d %a0 {kernel_size = array<i64: 3, 3>, stride = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, count_include_pad = true} : (tensor<8x16x28x28xf32>) -> tensor<8x16x10x11xf32>
  return
}

// -----

// kernel [2, 4] stride [1, 4] over 5x10: h 4, w (10 - 4) / 4 + 1 = 2
func.func @avg_pool_rect(%a0: tensor<1x2x5x10xf32>) {
  // expected-error @+1 {{'dlc.avg_pool2d' op expects result type 'tensor<1x2x4x2xf32>', got 'tensor<1x2x4x3xf32>'}}
  %0 = dlc.avg_pool2d %a0 {kernel_size = array<i64: 2, 4>, stride = array<i64: 1, 4>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x2x5x10xf32>) -> tensor<1x2x4x3xf32>
  return
}

// -----

// x[1:-1:3] over 10: start 1, end 9, ceil(8 / 3) = 3
func.func @slice_step(%a0: tensor<10x4xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<3x4xf32>', got 'tensor<3x5xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: 1>, ends = array<i64: -1>, steps = array<i64: 3>} : (tensor<10x4xf32>) -> tensor<3x5xf32>
  return
}

// -----

// x[0:9:3]: rows 0, 3, 6
func.func @slice_step_exact(%a0: tensor<10x4xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<3x4xf32>', got 'tensor<3x5xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: 0>, ends = array<i64: 9>, steps = array<i64: 3>} : (tensor<10x4xf32>) -> tensor<3x5xf32>
  return
}

// -----

// x[-2:100:5] over 10: start 8, end clamps to 10, ceil(2 / 5) = 1
func.func @slice_negative_start_big_step(%a0: tensor<10x4xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<1x4xf32>', got 'tensor<1x5xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: -2>, ends = array<i64: 100>, steps = array<i64: 5>} : (tensor<10x4xf32>) -> tensor<1x5xf32>
  return
}

// -----

// a start past the dim clamps to it: empty
func.func @slice_start_past_end(%a0: tensor<10x4xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<0x4xf32>', got 'tensor<0x5xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: 12>, ends = array<i64: 20>} : (tensor<10x4xf32>) -> tensor<0x5xf32>
  return
}

// -----

// x[7:3] is empty, not negative
func.func @slice_start_after_end(%a0: tensor<10x4xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<0x4xf32>', got 'tensor<0x5xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: 7>, ends = array<i64: 3>} : (tensor<10x4xf32>) -> tensor<0x5xf32>
  return
}

// -----

// x[-100:100] is the whole dim
func.func @slice_clamp_both(%a0: tensor<10x4xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<10x4xf32>', got 'tensor<10x5xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: -100>, ends = array<i64: 100>} : (tensor<10x4xf32>) -> tensor<10x5xf32>
  return
}

// -----

// ONNX writes INT64_MAX / INT64_MIN for open ends
func.func @slice_int64_bounds(%a0: tensor<10x4xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<10x2xf32>', got 'tensor<10x3xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: -9223372036854775808>, ends = array<i64: 9223372036854775807>, axes = array<i64: 1>, steps = array<i64: 2>} : (tensor<10x4xf32>) -> tensor<10x3xf32>
  return
}

// -----

// axes [-1, 0]: x[2:5, ::2] over [6, 7, 8]; dim 1 untouched
func.func @slice_axes(%a0: tensor<6x7x8xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects result type 'tensor<3x7x4xf32>', got 'tensor<3x7x5xf32>'}}
  %0 = dlc.slice %a0 {starts = array<i64: 0, 2>, ends = array<i64: 8, 5>, axes = array<i64: -1, 0>, steps = array<i64: 2, 1>} : (tensor<6x7x8xf32>) -> tensor<3x7x5xf32>
  return
}

// -----

// axis 1: [2, 3 * 4 * 5]
func.func @flatten_default(%a0: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{'dlc.flatten' op expects result type 'tensor<2x60xf32>', got 'tensor<2x61xf32>'}}
  %0 = dlc.flatten %a0 : (tensor<2x3x4x5xf32>) -> tensor<2x61xf32>
  return
}

// -----

// axis 0: [1, everything]
func.func @flatten_axis0(%a0: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{'dlc.flatten' op expects result type 'tensor<1x120xf32>', got 'tensor<1x121xf32>'}}
  %0 = dlc.flatten %a0 {axis = 0 : i64} : (tensor<2x3x4x5xf32>) -> tensor<1x121xf32>
  return
}

// -----

// axis = rank: [everything, 1]
func.func @flatten_axis_rank(%a0: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{'dlc.flatten' op expects result type 'tensor<120x1xf32>', got 'tensor<120x2xf32>'}}
  %0 = dlc.flatten %a0 {axis = 4 : i64} : (tensor<2x3x4x5xf32>) -> tensor<120x2xf32>
  return
}

// -----

// axis -2 is axis 2
func.func @flatten_axis_negative(%a0: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{'dlc.flatten' op expects result type 'tensor<6x20xf32>', got 'tensor<6x21xf32>'}}
  %0 = dlc.flatten %a0 {axis = -2 : i64} : (tensor<2x3x4x5xf32>) -> tensor<6x21xf32>
  return
}

// -----

// a 0-d tensor flattens to [1, 1]
func.func @flatten_scalar(%a0: tensor<f32>) {
  // expected-error @+1 {{'dlc.flatten' op expects result type 'tensor<1x1xf32>', got 'tensor<1x2xf32>'}}
  %0 = dlc.flatten %a0 {axis = 0 : i64} : (tensor<f32>) -> tensor<1x2xf32>
  return
}

// -----

// a 0-sized dim makes a 0-sized side
func.func @flatten_zero_dim(%a0: tensor<3x0x2xf32>) {
  // expected-error @+1 {{'dlc.flatten' op expects result type 'tensor<0x2xf32>', got 'tensor<0x3xf32>'}}
  %0 = dlc.flatten %a0 {axis = 2 : i64} : (tensor<3x0x2xf32>) -> tensor<0x3xf32>
  return
}

// -----

// axes [-1, 1] with keepdims
func.func @reduce_keepdims_negative(%a0: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{'dlc.reduce_sum' op expects result type 'tensor<2x1x4x1xf32>', got 'tensor<2x1x4x2xf32>'}}
  %0 = dlc.reduce_sum %a0 {axes = array<i64: -1, 1>, keepdims = true} : (tensor<2x3x4x5xf32>) -> tensor<2x1x4x2xf32>
  return
}

// -----

// axes [-1, 1] without keepdims
func.func @reduce_no_keepdims(%a0: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{'dlc.reduce_mean' op expects result type 'tensor<2x4xf32>', got 'tensor<2x5xf32>'}}
  %0 = dlc.reduce_mean %a0 {axes = array<i64: -1, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

// empty axes reduce every dim
func.func @reduce_all_keepdims(%a0: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.reduce_max' op expects result type 'tensor<1x1x1xf32>', got 'tensor<1x1x2xf32>'}}
  %0 = dlc.reduce_max %a0 {keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x1x2xf32>
  return
}

// -----

// empty axes without keepdims give a 0-d tensor
func.func @reduce_all(%a0: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.reduce_sum' op expects result type 'tensor<f32>', got 'tensor<1xf32>'}}
  %0 = dlc.reduce_sum %a0 : (tensor<2x3x4xf32>) -> tensor<1xf32>
  return
}

// -----

// batch dims [1, 4] and [3, 1] broadcast to [3, 4]
func.func @matmul_batch_broadcast(%a0: tensor<1x4x5x6xf32>, %a1: tensor<3x1x6x7xf32>) {
  // expected-error @+1 {{'dlc.matmul' op expects result type 'tensor<3x4x5x7xf32>', got 'tensor<3x4x5x8xf32>'}}
  %0 = dlc.matmul %a0, %a1 : (tensor<1x4x5x6xf32>, tensor<3x1x6x7xf32>) -> tensor<3x4x5x8xf32>
  return
}

// -----

// [5, M, K] x [K, N]: the 2-D side broadcasts
func.func @matmul_rank_mismatch(%a0: tensor<5x2x3xf32>, %a1: tensor<3x4xf32>) {
  // expected-error @+1 {{'dlc.matmul' op expects result type 'tensor<5x2x4xf32>', got 'tensor<5x2x5xf32>'}}
  %0 = dlc.matmul %a0, %a1 : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<5x2x5xf32>
  return
}

// -----

// [M, K] x [2, 3, K, N]
func.func @matmul_lhs_2d(%a0: tensor<2x3xf32>, %a1: tensor<2x3x3x4xf32>) {
  // expected-error @+1 {{'dlc.matmul' op expects result type 'tensor<2x3x2x4xf32>', got 'tensor<2x3x2x5xf32>'}}
  %0 = dlc.matmul %a0, %a1 : (tensor<2x3xf32>, tensor<2x3x3x4xf32>) -> tensor<2x3x2x5xf32>
  return
}

// -----

// [B, M, K] x [B, K, N]
func.func @batch_matmul(%a0: tensor<6x2x3xf32>, %a1: tensor<6x3x5xf32>) {
  // expected-error @+1 {{'dlc.batch_matmul' op expects result type 'tensor<6x2x5xf32>', got 'tensor<6x2x6xf32>'}}
  %0 = dlc.batch_matmul %a0, %a1 : (tensor<6x2x3xf32>, tensor<6x3x5xf32>) -> tensor<6x2x6xf32>
  return
}

// -----

// leading dims pass through
func.func @dense_nd(%a0: tensor<2x3x4x8xf32>, %a1: tensor<5x8xf32>, %a2: tensor<5xf32>) {
  // expected-error @+1 {{'dlc.dense' op expects result type 'tensor<2x3x4x5xf32>', got 'tensor<2x3x4x6xf32>'}}
  %0 = dlc.dense %a0, %a1, %a2 : (tensor<2x3x4x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<2x3x4x6xf32>
  return
}

// -----

// a 1-D input
func.func @dense_1d(%a0: tensor<8xf32>, %a1: tensor<5x8xf32>) {
  // expected-error @+1 {{'dlc.dense' op expects result type 'tensor<5xf32>', got 'tensor<6xf32>'}}
  %0 = dlc.dense %a0, %a1 : (tensor<8xf32>, tensor<5x8xf32>) -> tensor<6xf32>
  return
}

// -----

// [8, 1, 6, 1] + [7, 1, 5] = [8, 7, 6, 5] (the numpy docs' example)
func.func @add_broadcast(%a0: tensor<8x1x6x1xf32>, %a1: tensor<7x1x5xf32>) {
  // expected-error @+1 {{'dlc.add' op expects result type 'tensor<8x7x6x5xf32>', got 'tensor<8x7x6x6xf32>'}}
  %0 = dlc.add %a0, %a1 : (tensor<8x1x6x1xf32>, tensor<7x1x5xf32>) -> tensor<8x7x6x6xf32>
  return
}

// -----

// a 0-sized dim broadcasts with 1 to 0
func.func @add_zero_dim(%a0: tensor<0x3xf32>, %a1: tensor<1x3xf32>) {
  // expected-error @+1 {{'dlc.sub' op expects result type 'tensor<0x3xf32>', got 'tensor<0x4xf32>'}}
  %0 = dlc.sub %a0, %a1 : (tensor<0x3xf32>, tensor<1x3xf32>) -> tensor<0x4xf32>
  return
}

// -----

// condition, lhs and rhs broadcast together
func.func @where_three_way(%a0: tensor<4x1x1xi1>, %a1: tensor<3x1xf32>, %a2: tensor<5xf32>) {
  // expected-error @+1 {{'dlc.where' op expects result type 'tensor<4x3x5xf32>', got 'tensor<4x3x6xf32>'}}
  %0 = dlc.where %a0, %a1, %a2 : (tensor<4x1x1xi1>, tensor<3x1xf32>, tensor<5xf32>) -> tensor<4x3x6xf32>
  return
}

// -----

// compare gives i1 of the broadcast shape
func.func @compare_i1(%a0: tensor<2x1xf32>, %a1: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.compare' op expects result type 'tensor<2x3xi1>', got 'tensor<2x4xi1>'}}
  %0 = dlc.compare %a0, %a1 {predicate = "lt"} : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x4xi1>
  return
}

// -----

// cast keeps the shape
func.func @cast_shape(%a0: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.cast' op expects result type 'tensor<2x3xi64>', got 'tensor<2x4xi64>'}}
  %0 = dlc.cast %a0 {to = i64} : (tensor<2x3xf32>) -> tensor<2x4xi64>
  return
}

// -----

// -1 becomes 24 / (2 * 3) = 4
func.func @reshape_infer(%a0: tensor<4x6xf32>) {
  // expected-error @+1 {{'dlc.reshape' op expects result type 'tensor<2x4x3xf32>', got 'tensor<2x4x4xf32>'}}
  %0 = dlc.reshape %a0 {shape = array<i64: 2, -1, 3>} : (tensor<4x6xf32>) -> tensor<2x4x4xf32>
  return
}

// -----

// -1 with 0 elements and non-zero known dims is 0
func.func @reshape_infer_zero_elements(%a0: tensor<0x3xf32>) {
  // expected-error @+1 {{'dlc.reshape' op expects result type 'tensor<0x3xf32>', got 'tensor<0x4xf32>'}}
  %0 = dlc.reshape %a0 {shape = array<i64: -1, 3>} : (tensor<0x3xf32>) -> tensor<0x4xf32>
  return
}

// -----

// result dim i is input dim perm[i]
func.func @transpose(%a0: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{'dlc.transpose' op expects result type 'tensor<5x3x4x2xf32>', got 'tensor<5x3x4x3xf32>'}}
  %0 = dlc.transpose %a0 {perm = array<i64: 3, 1, 2, 0>} : (tensor<2x3x4x5xf32>) -> tensor<5x3x4x3xf32>
  return
}

// -----

// sizes add along the axis
func.func @concat(%a0: tensor<2x1x4xf32>, %a1: tensor<2x5x4xf32>, %a2: tensor<2x2x4xf32>) {
  // expected-error @+1 {{'dlc.concat' op expects result type 'tensor<2x8x4xf32>', got 'tensor<2x8x5xf32>'}}
  %0 = dlc.concat %a0, %a1, %a2 {axis = -2 : i64} : (tensor<2x1x4xf32>, tensor<2x5x4xf32>, tensor<2x2x4xf32>) -> tensor<2x8x5xf32>
  return
}

// -----

// a 0-d tensor broadcasts to anything
func.func @broadcast_scalar(%a0: tensor<f32>) {
  // expected-error @+1 {{'dlc.broadcast' op expects result type 'tensor<2x3xf32>', got 'tensor<2x4xf32>'}}
  %0 = dlc.broadcast %a0 {shape = array<i64: 2, 3>} : (tensor<f32>) -> tensor<2x4xf32>
  return
}

// -----

// a 0-d loss
func.func @softmax_cross_entropy(%a0: tensor<4x10xf32>, %a1: tensor<4xi64>) {
  // expected-error @+1 {{'dlc.softmax_cross_entropy' op expects result type 'tensor<f32>', got 'tensor<1xf32>'}}
  %0 = dlc.softmax_cross_entropy %a0, %a1 : (tensor<4x10xf32>, tensor<4xi64>) -> tensor<1xf32>
  return
}

// -----

// a 0-d loss of the input's element type
func.func @mse_loss(%a0: tensor<4x3xf64>, %a1: tensor<4x3xf64>) {
  // expected-error @+1 {{'dlc.mse_loss' op expects result type 'tensor<f64>', got 'tensor<1xf64>'}}
  %0 = dlc.mse_loss %a0, %a1 : (tensor<4x3xf64>, tensor<4x3xf64>) -> tensor<1xf64>
  return
}

// -----

// Gather: input dims before axis, then the indices' dims, then the rest.
func.func @gather_shape(%x: tensor<4x10x8xf32>, %i: tensor<2x3xi32>) {
  // expected-error @+1 {{'dlc.gather' op expects result type 'tensor<4x2x3x8xf32>', got 'tensor<4x6x8xf32>'}}
  %0 = dlc.gather %x, %i {axis = 1 : i64} : (tensor<4x10x8xf32>, tensor<2x3xi32>) -> tensor<4x6x8xf32>
  return
}
