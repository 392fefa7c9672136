// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s

// f16 and bf16: stored as __half / __nv_bfloat16, computed in float
// (dlc::load/store convert); the headers are included because they are used.

// CHECK: #include <cuda_fp16.h>
// CHECK-NEXT: #include <cuda_bf16.h>
// CHECK: #define DLC_USE_F16
// CHECK-NEXT: #define DLC_USE_BF16
// CHECK-LABEL: extern "C" __global__ void k0_fc_act(const __half *__restrict__ x,
// CHECK: __shared__ float tileA[kTileK][kTileM];
// CHECK: dlc::store(h, {{.+}});
// CHECK-LABEL: extern "C" __global__ void k1_norm(
// CHECK-SAME: const __nv_bfloat16 *__restrict__ z,
// CHECK: float rowSum = 0.0f;
// CHECK: dlc::store(out, {{.+}});
func.func @forward(%x: tensor<8x64xf16> {dlc.input = "x"}, %w: tensor<32x64xf16> {dlc.param = "w"}, %bias: tensor<32xf16> {dlc.param = "bias"}, %z: tensor<4x32xbf16> {dlc.input = "z"}, %s: tensor<32xbf16> {dlc.param = "s"}, %t: tensor<32xbf16> {dlc.param = "t"}) -> (tensor<8x32xf16> {dlc.output = "h"}, tensor<4x32xbf16> {dlc.output = "out"}) {
  %0 = dlc.fusion contraction "k0_fc_act" (%a = %x : tensor<8x64xf16>, %b = %w : tensor<32x64xf16>, %c = %bias : tensor<32xf16>) -> tensor<8x32xf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 64, 1, 1>, grid = array<i64: 1, 1, 1>, tile = array<i64: 16, 16, 16>, mma = "mma_sync_f16"}} {
    %1 = dlc.dense %a, %b, %c : (tensor<8x64xf16>, tensor<32x64xf16>, tensor<32xf16>) -> tensor<8x32xf16> loc("fc")
    %2 = dlc.gelu %1 : tensor<8x32xf16> loc("act")
    dlc.yield %2 : tensor<8x32xf16>
  }
  %3 = dlc.fusion reduction "k1_norm" (%a = %z : tensor<4x32xbf16>, %b = %s : tensor<32xbf16>, %c = %t : tensor<32xbf16>) -> tensor<4x32xbf16> {
    %4 = dlc.layer_norm %a, %b, %c : (tensor<4x32xbf16>, tensor<32xbf16>, tensor<32xbf16>) -> tensor<4x32xbf16> loc("norm")
    dlc.yield %4 : tensor<4x32xbf16>
  }
  return %0, %3 : tensor<8x32xf16>, tensor<4x32xbf16>
}
