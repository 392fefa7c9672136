// RUN: dlc-opt %s --split-input-file --dlc-split-k | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-split-k=target=sm_80 | FileCheck %s --check-prefix=SM80
// RUN: dlc-opt %s --split-input-file --dlc-split-k=min-chunk=100000 | FileCheck %s --check-prefix=NONE

// The seed CNN's conv1 weight gradient at batch 256: one 64x64 tile, K =
// 256*26*26 = 173056. Two blocks per SM would be 264 partials (sm_90) or
// 216 (sm_80); at least 1024 terms each caps them at 169.
// CHECK-LABEL: func.func @conv1
//       CHECK: %[[P:.+]] = dlc.conv2d_backward_weight %arg0, %arg1 {{{.*}}k_splits = 169 : i64{{.*}}} : (tensor<256x32x26x26xf32>, tensor<256x1x28x28xf32>) -> tensor<169x32x1x3x3xf32>
//       CHECK: %[[S:.+]] = dlc.reduce_sum %[[P]] {axes = array<i64: 0>} : (tensor<169x32x1x3x3xf32>) -> tensor<32x1x3x3xf32>
//       CHECK: return %[[S]]
// SM80-LABEL: func.func @conv1
//       SM80: k_splits = 169
// NONE-LABEL: func.func @conv1
//   NONE-NOT: k_splits
//   NONE-NOT: dlc.reduce_sum
func.func @conv1(%dy: tensor<256x32x26x26xf32>, %x: tensor<256x1x28x28xf32>) -> tensor<32x1x3x3xf32> {
  %0 = dlc.conv2d_backward_weight %dy, %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<256x32x26x26xf32>, tensor<256x1x28x28xf32>) -> tensor<32x1x3x3xf32>
  return %0 : tensor<32x1x3x3xf32>
}

// -----

// Enough tiles already (4 groups x 2 x 5 tiles, 40 < 264) but K = 2*5*5 =
// 50 is too short to split; a depthwise one (one 128-thread block for its
// 3*3*3 elements) is split over its K = 16*30*30 = 14400: 14 partials.
// CHECK-LABEL: func.func @short_and_depthwise
//       CHECK: dlc.conv2d_backward_weight %arg0, %arg1 {{{.*}}} : {{.*}} -> tensor<128x8x3x3xf32>
//       CHECK: dlc.conv2d_backward_weight %arg2, %arg3 {{{.*}}k_splits = 14 : i64{{.*}}} : {{.*}} -> tensor<14x3x1x3x3xf32>
//       CHECK: dlc.reduce_sum
func.func @short_and_depthwise(%dy: tensor<2x128x5x5xf32>, %x: tensor<2x32x7x7xf32>,
                               %dy2: tensor<16x3x30x30xf32>, %x2: tensor<16x3x32x32xf32>)
    -> (tensor<128x8x3x3xf32>, tensor<3x1x3x3xf32>) {
  %0 = dlc.conv2d_backward_weight %dy, %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 4 : i64} : (tensor<2x128x5x5xf32>, tensor<2x32x7x7xf32>) -> tensor<128x8x3x3xf32>
  %1 = dlc.conv2d_backward_weight %dy2, %x2 {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 3 : i64} : (tensor<16x3x30x30xf32>, tensor<16x3x32x32xf32>) -> tensor<3x1x3x3xf32>
  return %0, %1 : tensor<128x8x3x3xf32>, tensor<3x1x3x3xf32>
}
