// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s

// The conv gradients as implicit GEMMs (codegen/ConvGemm.cpp), the group as
// the GEMM batch; depthwise convs as direct kernels. Index math in int
// (every tensor < 2^31 elements).

// dgrad, f32 on FMA: stride 2 (the output position must divide),
// asymmetric padding, 2 groups; the relu mask of an epilogue fused.
// CHECK-LABEL: extern "C" __global__ void k0_dgrad(
//       CHECK: // dx: dlc.conv2d_backward_input
//       CHECK: // GEMM batch 2, M 70, N 3, K 12
//       CHECK: const idx_t b = tile / 5;
//       CHECK: const int [[O:i[0-9]+]] = int(b) * 2 + {{i[0-9]+}};
//       CHECK: const int [[TY:i[0-9]+]] = int(m) / 5 % 7 + 1 - int(k) / 2 % 3 * 1;
//       CHECK: const int [[TX:i[0-9]+]] = int(m) % 5 + 0 - int(k) % 2 * 1;
//       CHECK: const int [[Y:i[0-9]+]] = [[TY]] / 2;
//       CHECK: const int [[X:i[0-9]+]] = [[TX]] / 2;
//       CHECK: if ([[TY]] >= 0 && [[TX]] >= 0 && [[Y]] < 3 && [[X]] < 3 && [[TY]] % 2 == 0 && [[TX]] % 2 == 0) {
//       CHECK: int(b) * 36 + int(k) / 6 * 18 + int(n) * 6 + int(k) % 6
//       CHECK: (m / 35 * 6 + b * 3 + n) * 35 + m % 35
//       CHECK: // act: dlc.where

// wgrad, bf16 on tensor cores, K = 2*3*3 = 18 split 3 ways (batch = split
// * groups + group); the last chunk is whole, so no bound on q.
// CHECK-LABEL: extern "C" __launch_bounds__(32, 2) __global__ void k1_wgrad(
//       CHECK: // GEMM batch 6, M 2, N 18, K 6 on tensor cores (mma_sync_bf16
//       CHECK: const int [[Q:i[0-9]+]] = int(b) / 2 * 6 + int(k);
//       CHECK: const int [[G:i[0-9]+]] = int(b) % 2;
//       CHECK: ([[Q]] / 9 * 4 + [[G]] * 2 + int(m)) * 9 + [[Q]] % 9
//       CHECK: b / 2 * 72 + (b % 2 * 2 + m) * 18 + n

// depthwise forward: one thread per output, the taps of its channel.
// CHECK-LABEL: extern "C" __global__ void k2_dwconv(
//       CHECK: for (idx_t i = {{.*}}; i < 48;
//       CHECK: const idx_t b = o / 1, n = o % 1;
//       CHECK: for (idx_t k = 0; k < 9; ++k) {

// depthwise weight gradient with 2 partials: a direct kernel over its chunk.
// CHECK-LABEL: extern "C" __global__ void k3_dwgrad(
//       CHECK: const idx_t k_part = i / 27, k_e = i % 27;
//       CHECK: for (idx_t k_q = k_part * 8; k_q < k_q1; ++k_q) {
func.func @forward(%dy: tensor<2x4x3x3xf32> {dlc.input = "dy"}, %w: tensor<4x3x3x2xf32> {dlc.param = "w"},
                   %mask: tensor<2x6x7x5xi1> {dlc.input = "mask"},
                   %dyh: tensor<2x4x3x3xbf16> {dlc.input = "dyh"}, %xh: tensor<2x6x7x5xbf16> {dlc.input = "xh"},
                   %x: tensor<1x3x6x6xf32> {dlc.input = "x"}, %dw: tensor<3x1x3x3xf32> {dlc.param = "dw"},
                   %g: tensor<1x3x4x4xf32> {dlc.input = "g"})
    -> (tensor<2x6x7x5xf32> {dlc.output = "dx"}, tensor<3x4x3x3x2xbf16> {dlc.output = "dwp"},
        tensor<1x3x4x4xf32> {dlc.output = "y"}, tensor<2x3x1x3x3xf32> {dlc.output = "ddw"}) {
  %0 = dlc.fusion contraction "k0_dgrad" (%a = %dy : tensor<2x4x3x3xf32>, %b = %w : tensor<4x3x3x2xf32>, %c = %mask : tensor<2x6x7x5xi1>) -> tensor<2x6x7x5xf32> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 64, 1, 1>, tile = array<i64: 16, 16, 8>, warps = array<i64: 1, 1>, stages = 1 : i64, mma = "none"}} {
    %1 = dlc.conv2d_backward_input %a, %b {input_shape = array<i64: 2, 6, 7, 5>, stride = array<i64: 2, 2>, padding = array<i64: 1, 0, 0, 1>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<2x4x3x3xf32>, tensor<4x3x3x2xf32>) -> tensor<2x6x7x5xf32> loc("dx")
    %z = dlc.constant dense<0.0> : tensor<f32>
    %2 = dlc.where %c, %1, %z : (tensor<2x6x7x5xi1>, tensor<2x6x7x5xf32>, tensor<f32>) -> tensor<2x6x7x5xf32> loc("act")
    dlc.yield %2 : tensor<2x6x7x5xf32>
  }
  %3 = dlc.fusion contraction "k1_wgrad" (%a = %dyh : tensor<2x4x3x3xbf16>, %b = %xh : tensor<2x6x7x5xbf16>) -> tensor<3x4x3x3x2xbf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 32, 1, 1>, tile = array<i64: 16, 16, 16>, warps = array<i64: 1, 1>, stages = 2 : i64, mma = "mma_sync_bf16"}} {
    %4 = dlc.conv2d_backward_weight %a, %b {kernel_size = array<i64: 3, 2>, stride = array<i64: 2, 2>, padding = array<i64: 1, 0, 0, 1>, dilation = array<i64: 1, 1>, groups = 2 : i64, k_splits = 3 : i64} : (tensor<2x4x3x3xbf16>, tensor<2x6x7x5xbf16>) -> tensor<3x4x3x3x2xbf16> loc("dwp")
    dlc.yield %4 : tensor<3x4x3x3x2xbf16>
  }
  %5 = dlc.fusion contraction "k2_dwconv" (%a = %x : tensor<1x3x6x6xf32>, %b = %dw : tensor<3x1x3x3xf32>) -> tensor<1x3x4x4xf32> attributes {schedule = {strategy = "direct_pool", target = "sm_80", block = array<i64: 128, 1, 1>}} {
    %6 = dlc.conv2d %a, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 3 : i64} : (tensor<1x3x6x6xf32>, tensor<3x1x3x3xf32>) -> tensor<1x3x4x4xf32> loc("dwconv")
    dlc.yield %6 : tensor<1x3x4x4xf32>
  }
  %7 = dlc.fusion contraction "k3_dwgrad" (%a = %g : tensor<1x3x4x4xf32>, %b = %x : tensor<1x3x6x6xf32>) -> tensor<2x3x1x3x3xf32> attributes {schedule = {strategy = "direct_pool", target = "sm_80", block = array<i64: 128, 1, 1>}} {
    %8 = dlc.conv2d_backward_weight %a, %b {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 3 : i64, k_splits = 2 : i64} : (tensor<1x3x4x4xf32>, tensor<1x3x6x6xf32>) -> tensor<2x3x1x3x3xf32> loc("dwgrad")
    dlc.yield %8 : tensor<2x3x1x3x3xf32>
  }
  return %0, %3, %5, %7 : tensor<2x6x7x5xf32>, tensor<3x4x3x3x2xbf16>, tensor<1x3x4x4xf32>, tensor<2x3x1x3x3xf32>
}
