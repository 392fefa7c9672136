// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 -o %t 2>&1 | FileCheck %s --check-prefix=NVRTC
// RUN: FileCheck %s < %t/kernels.cu
// NVRTC: dlc-emit: NVRTC sm_80: ok, 1 kernels
// NVRTC: dlc-emit: NVRTC sm_90: ok, 1 kernels
// REQUIRES: nvrtc

// A GEMM operand that is a constant (an LSTM's zero initial state) needs no
// index, but the tile loader names one before it knows: the unread
// `const idx_t iN` is dropped from the finished kernel (NVRTC warns about
// an unreferenced variable, #177-D; warnings are errors here). The weight's
// index stays.

// CHECK-LABEL: extern "C" __global__ void k0_fc(
// CHECK-NOT: = m * 16 + k;
// CHECK: a = 0.0f;
// CHECK: const idx_t [[W:i[0-9]+]] = n * 16 + k;
// CHECK-NEXT: dlc::load(w_, [[W]])
func.func @forward(%w: tensor<8x16xf32> {dlc.param = "w"}) -> (tensor<2x8xf32> {dlc.output = "h"}) {
  %0 = dlc.fusion contraction "k0_fc" (%b = %w : tensor<8x16xf32>) -> tensor<2x8xf32> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 64, 1, 1>, grid = array<i64: 1, 1, 1>, tile = array<i64: 16, 64, 16>}} {
    %z = dlc.constant dense<0.0> : tensor<2x16xf32>
    %1 = dlc.dense %z, %b : (tensor<2x16xf32>, tensor<8x16xf32>) -> tensor<2x8xf32> loc("fc")
    dlc.yield %1 : tensor<2x8xf32>
  }
  return %0 : tensor<2x8xf32>
}
