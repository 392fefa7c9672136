// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s

// tiled_gemm with mma = "mma_sync_f16" / "mma_sync_bf16": tensor cores
// through the prelude's WMMA helpers (dlc::MmaA/MmaB/MmaAcc, mmaLoadA/B,
// mma, mmaStore); f16/bf16 shared tiles zero-filled past M/N/K, double
// buffered when stages >= 2; the epilogue (bias, fused ops) per element
// from a per-warp float staging tile. M, N, K not multiples of 16.

// CHECK: #include <cuda_fp16.h>
// CHECK-NEXT: #include <cuda_bf16.h>
// CHECK-NEXT: #ifndef __CUDACC_HOST_EMULATION__
// CHECK-NEXT: #include <mma.h>
// CHECK: #define DLC_USE_MMA

// CHECK-LABEL: extern "C" __global__ void k0_mm(
//       CHECK: // GEMM batch 1, M 37, N 19, K 45 on tensor cores (mma_sync_f16: WMMA 16x16x16, float accumulator), double-buffered
//       CHECK: constexpr int kTileM = 64, kTileN = 32, kTileK = 16, kWarpsN = 2, kThreads = 128;
//       CHECK: __shared__ __align__(32) __half tileA[2][kTileM * kLdA];
//       CHECK: __shared__ __align__(32) __half tileB[2][kTileK * kLdB];
//       CHECK: __shared__ __align__(32) float staging[kThreads / 32][16 * 16];
//       CHECK: dlc::MmaAcc acc[kFragsM][kFragsN];
//       CHECK: for (idx_t kt = 0; kt <= 3; ++kt) {
//       CHECK:   if (kt < 3) {
//       CHECK:     if (m < 37 && k < 45) {
//       CHECK:     tileA[kt % 2][e / kTileK * kLdA + e % kTileK] = __half(a);
//       CHECK:   if (kt > 0) {
//       CHECK:     dlc::MmaA<__half> fragA[kFragsM];
//       CHECK:       dlc::mmaLoadA(fragA[fi], &tileA[(kt - 1) % 2][(wm0 + fi * 16) * kLdA + kk], kLdA);
//       CHECK:         dlc::mma(acc[fi][fj], fragA[fi], fragB[fj]);
//       CHECK:   dlc::barrier();
//       CHECK: dlc::mmaStore(staging[warp], acc[fi][fj], 16);
//  CHECK-NEXT: dlc::warpBarrier();
//       CHECK: if (m < 37 && n < 19) {
//       CHECK:   // act: dlc.relu
//       CHECK:   dlc::store(y, {{.+}});
//       CHECK: dlc::warpBarrier(); // the next accumulator reuses staging

// One buffer with stages = 1; a conv2d as an implicit GEMM in bf16, bias
// added from the accumulator.
// CHECK-LABEL: extern "C" __global__ void k1_conv(
//       CHECK: // GEMM batch 1, M 50, N 5, K 27 on tensor cores (mma_sync_bf16: WMMA 16x16x16, float accumulator)
//   CHECK-NOT: double-buffered
//       CHECK: __shared__ __align__(32) __nv_bfloat16 tileA[1][kTileM * kLdA];
//       CHECK: for (idx_t k0 = 0; k0 < 27; k0 += kTileK) {
//       CHECK:   dlc::barrier();
//       CHECK:   dlc::MmaB<__nv_bfloat16> fragB[kFragsN];
//       CHECK: const float [[KB:v[0-9]+]] = dlc::load(kb, n);
//  CHECK-NEXT: const float {{v[0-9]+}} = staging[warp][e] + [[KB]];

// A warp tile that is not whole 16x16 fragments: the FMA path, saying why.
// CHECK-LABEL: extern "C" __global__ void k2_fallback(
//       CHECK: // mma_sync_f16 not honoured: tile 16x16x16, warps 1x2 on 64 threads is not whole 16x16x16 fragments per warp; FMA path
//       CHECK: __shared__ float tileA[kTileK][kTileM];
func.func @forward(%x: tensor<37x45xf16> {dlc.input = "x"}, %w: tensor<45x19xf16> {dlc.param = "w"},
                   %img: tensor<2x3x5x5xbf16> {dlc.input = "img"}, %k: tensor<5x3x3x3xbf16> {dlc.param = "k"}, %kb: tensor<5xbf16> {dlc.param = "kb"})
    -> (tensor<37x19xf16> {dlc.output = "y"}, tensor<2x5x5x5xbf16> {dlc.output = "z"}, tensor<37x19xf16> {dlc.output = "y2"}) {
  %0 = dlc.fusion contraction "k0_mm" (%a = %x : tensor<37x45xf16>, %b = %w : tensor<45x19xf16>) -> tensor<37x19xf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 128, 1, 1>, grid = array<i64: 1, 1, 1>, tile = array<i64: 64, 32, 16>, warps = array<i64: 2, 2>, stages = 3 : i64, mma = "mma_sync_f16"}} {
    %1 = dlc.matmul %a, %b : (tensor<37x45xf16>, tensor<45x19xf16>) -> tensor<37x19xf16> loc("mm")
    %2 = dlc.relu %1 : tensor<37x19xf16> loc("act")
    dlc.yield %2 : tensor<37x19xf16>
  }
  %3 = dlc.fusion contraction "k1_conv" (%a = %img : tensor<2x3x5x5xbf16>, %b = %k : tensor<5x3x3x3xbf16>, %c = %kb : tensor<5xbf16>) -> tensor<2x5x5x5xbf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_90", block = array<i64: 32, 1, 1>, grid = array<i64: 4, 1, 1>, tile = array<i64: 16, 16, 32>, warps = array<i64: 1, 1>, stages = 1 : i64, mma = "mma_sync_bf16"}} {
    %4 = dlc.conv2d %a, %b, %c {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x3x5x5xbf16>, tensor<5x3x3x3xbf16>, tensor<5xbf16>) -> tensor<2x5x5x5xbf16> loc("conv")
    dlc.yield %4 : tensor<2x5x5x5xbf16>
  }
  %5 = dlc.fusion contraction "k2_fallback" (%a = %x : tensor<37x45xf16>, %b = %w : tensor<45x19xf16>) -> tensor<37x19xf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 64, 1, 1>, grid = array<i64: 1, 1, 1>, tile = array<i64: 16, 16, 16>, warps = array<i64: 1, 2>, stages = 2 : i64, mma = "mma_sync_f16"}} {
    %6 = dlc.matmul %a, %b : (tensor<37x45xf16>, tensor<45x19xf16>) -> tensor<37x19xf16> loc("mm2")
    dlc.yield %6 : tensor<37x19xf16>
  }
  return %0, %3, %5 : tensor<37x19xf16>, tensor<2x5x5x5xbf16>, tensor<37x19xf16>
}
