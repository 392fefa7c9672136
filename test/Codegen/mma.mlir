// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s

// tiled_gemm with mma = "mma_sync_f16" / "mma_sync_bf16" / "mma_sync_tf32":
// the prelude's cp.async, ldmatrix and mma.sync (inline PTX); per kernel a
// multi-stage pipeline in XOR-swizzled dynamic shared memory, filled by
// cp.async from plain strided operands and through registers otherwise,
// dlc::mmaTile per stage, the epilogue from the m16n8 accumulators. M, N,
// K not multiples of the tiles.

// CHECK: #include <cuda_fp16.h>
// CHECK-NEXT: #include <cuda_bf16.h>
//  CHECK-NOT: #include <mma.h>
// CHECK: #define DLC_USE_MMA
// CHECK: cp.async.cg.shared.global [%0], [%1], 16, %2;
// CHECK: cp.async.commit_group;
// CHECK: cp.async.wait_group %0;
// CHECK: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK: cvt.rna.tf32.f32
// CHECK: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32

// Rows of 45 (19) halfs are not 16-byte aligned: both operands through
// registers, by vector loads where a chunk is whole (dlc::loadVec falls
// back to scalar loads on a misaligned address); B (w[k][n]) n-major, so
// its fragments come by ldmatrix.trans.
// CHECK-LABEL: extern "C" __launch_bounds__(128, 2) __global__ void k0_mm(
//       CHECK: // GEMM batch 1, M 37, N 19, K 45 on tensor cores (mma_sync_f16: mma.sync m16n8k16 from ldmatrix, float accumulator); 3-stage pipeline, A: vectors, k-major, B: vectors, n-major
//       CHECK: constexpr int kTM = 64, kTN = 32, kTK = 16, kStages = 3, kThreads = 128;
//       CHECK: constexpr int kFM = 2, kFN = 2, kWarpsN = 2, kNumK = 3;
//       CHECK: extern __shared__ __align__(128) unsigned char dlc_smem[]; // 9216 bytes
//       CHECK: dlc::Vec<8, __half> regA[kItA];
//       CHECK: for (int kt = 0; kt < kStages - 1; ++kt) {
//       CHECK:   const idx_t off = m * 45 + k * 1;
//       CHECK:   if (m < 37 && k + 8 <= 45) {
//  CHECK-NEXT:     for (int u = 0; u < 8; u += 8)
//  CHECK-NEXT:       dlc::loadVec<8>(x, off + u, *reinterpret_cast<float (*)[8]>(v + u));
//       CHECK:     v[u] = m < 37 && k + u < 45 ? dlc::load(x, off + u) : float(0);
//       CHECK:   regA[i].v[u] = __half(v[u]);
//       CHECK:   if (ch < kChB) {
//       CHECK:   *reinterpret_cast<dlc::Vec<8, __half> *>(sA + kt * 1024 + dlc::swizzle<16, 2>(cr, cc)) = regA[i];
//       CHECK:   dlc::cpAsyncCommit();
//       CHECK: for (int kt = 0; kt < kNumK; ++kt) {
//  CHECK-NEXT:   dlc::cpAsyncWait<kStages - 2>();
//  CHECK-NEXT:   dlc::barrier();
//  CHECK-NEXT:   const int kn = kt + kStages - 1, sn = kn % kStages;
//       CHECK:   dlc::mmaTile<kFM, kFN, kTM, kTN, kTK, true, false>(acc, sA + kt % kStages * (kTM * kTK), sB + kt % kStages * (kTK * kTN), wm0, wn0, lane);
//       CHECK:   if (kn < kNumK) {
//       CHECK:     *reinterpret_cast<dlc::Vec<8, __half> *>(sA + sn * 1024 + dlc::swizzle<16, 2>(cr, cc)) = regA[i];
//       CHECK: const int g = lane / 4, q = lane % 4;
//       CHECK: const int m = m0 + wm0 + fi * 16 + g + e / 2 * 8, n = n0 + wn0 + fj * 8 + q * 2 + e % 2;
//  CHECK-NEXT: if (m < 37 && n < 19) {
//       CHECK:   // act: dlc.relu
//       CHECK:   dlc::store(y, {{.+}});
//       CHECK: dlc::barrier(); // the next tile's prologue refills the stages

// A conv2d as an implicit GEMM in bf16 (A gathered through loadA, one
// element at a time; B, the weight rows, 16 bytes at a time), bias added
// from the accumulator.
// CHECK-LABEL: extern "C" __launch_bounds__(32, 2) __global__ void k1_conv(
//       CHECK: // GEMM batch 1, M 50, N 5, K 27 on tensor cores (mma_sync_bf16: mma.sync m16n8k16 from ldmatrix, float accumulator); 2-stage pipeline, A: registers, k-major, B: vectors, k-major
//       CHECK: float v = 0;
//       CHECK: if (m < 50 && k < 27) {
//       CHECK: regA[i].v[u] = __nv_bfloat16(v);
//       CHECK: const float [[KB:v[0-9]+]] = dlc::load(kb, n);
//  CHECK-NEXT: const float {{v[0-9]+}} = acc[fi][fj][e] + [[KB]];

// A warp tile that is not whole 16x16 fragments: the FMA path, saying why.
// CHECK-LABEL: extern "C" __global__ void k2_fallback(
//       CHECK: // mma_sync_f16 not honoured: tile 16x16x16, warps 1x2 on 64 threads is not power-of-two sides with whole 16x16 warp tiles; FMA path
//       CHECK: __shared__ float tileA[kTileK][kTileM];

// A batched matmul with 16-byte aligned rows: cp.async for both operands,
// zero-filled past K = 72 and M = 40 through the source size (N = 64 and
// the 16-byte chunks of K = 72 need no bound).
// CHECK-LABEL: extern "C" __launch_bounds__(128, 2) __global__ void k3_bmm(
//       CHECK: // GEMM batch 2, M 40, N 64, K 72 on tensor cores (mma_sync_bf16: mma.sync m16n8k16 from ldmatrix, float accumulator); 4-stage pipeline, A: cp.async, k-major, B: cp.async, n-major
//       CHECK: extern __shared__ __align__(128) unsigned char dlc_smem[]; // 16384 bytes
//       CHECK: const int rows = kTilesM - grp * kGroup < kGroup ? kTilesM - grp * kGroup : kGroup;
//       CHECK: dlc::cpAsync<16>(sA + kt * 1024 + dlc::swizzle<32, 2>(cr, cc), p_ + (b * 2880 + m * 72 + k * 1), m < 40 && k < 72 ? 16 : 0);
//       CHECK: dlc::cpAsync<16>(sB + kt * 1024 + dlc::swizzle<32, 2>(cr, cc), q_ + (b * 4608 + k * 64 + n * 1), k < 72 ? 16 : 0);
//       CHECK: dlc::mmaTile<kFM, kFN, kTM, kTN, kTK, true, false>(

// f32 operands on tf32 tensor cores (mma.m16n8k8), 4-byte swizzled stages.
// CHECK-LABEL: extern "C" __launch_bounds__(64, 2) __global__ void k4_tf32(
//       CHECK: // GEMM batch 1, M 33, N 48, K 64 on tensor cores (mma_sync_tf32: mma.sync m16n8k8 tf32, float accumulator); 3-stage pipeline, A: cp.async, k-major, B: cp.async, k-major
//       CHECK: float *const sA = reinterpret_cast<float *>(dlc_smem);
//       CHECK: dlc::cpAsync<16>(sA + kt * 512 + dlc::swizzle<16, 4>(cr, cc), f + (m * 64 + k * 1), m < 33 ? 16 : 0);
// A cast fused into the GEMM (mixed precision): A from the f32 array by
// 16-byte vector loads (4 floats), rounded to bf16 into shared memory.
// CHECK-LABEL: extern "C" __launch_bounds__(64, 2) __global__ void k5_cast(
//       CHECK: 2-stage pipeline, A: vectors, k-major, B: cp.async, k-major
//       CHECK: float v[8];
//       CHECK: if (m < 33) {
//  CHECK-NEXT:   for (int u = 0; u < 8; u += 4)
//  CHECK-NEXT:     dlc::loadVec<4>(f, off + u, *reinterpret_cast<float (*)[4]>(v + u));
//       CHECK: regA[i].v[u] = __nv_bfloat16(v[u]);
func.func @forward(%x: tensor<37x45xf16> {dlc.input = "x"}, %w: tensor<45x19xf16> {dlc.param = "w"},
                   %p: tensor<2x40x72xbf16> {dlc.input = "p"}, %q: tensor<2x72x64xbf16> {dlc.input = "q"},
                   %f: tensor<33x64xf32> {dlc.input = "f"}, %fw: tensor<48x64xf32> {dlc.param = "fw"},
                   %fb: tensor<48x64xbf16> {dlc.param = "fb"},
                   %img: tensor<2x3x5x5xbf16> {dlc.input = "img"}, %k: tensor<5x3x3x3xbf16> {dlc.param = "k"}, %kb: tensor<5xbf16> {dlc.param = "kb"})
    -> (tensor<37x19xf16> {dlc.output = "y"}, tensor<2x5x5x5xbf16> {dlc.output = "z"}, tensor<37x19xf16> {dlc.output = "y2"},
        tensor<2x40x64xbf16> {dlc.output = "pq"}, tensor<33x48xf32> {dlc.output = "ff"},
        tensor<33x48xbf16> {dlc.output = "fc2"}) {
  %0 = dlc.fusion contraction "k0_mm" (%a = %x : tensor<37x45xf16>, %b = %w : tensor<45x19xf16>) -> tensor<37x19xf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 128, 1, 1>, grid = array<i64: 1, 1, 1>, tile = array<i64: 64, 32, 16>, warps = array<i64: 2, 2>, stages = 3 : i64, mma = "mma_sync_f16"}} {
    %1 = dlc.matmul %a, %b : (tensor<37x45xf16>, tensor<45x19xf16>) -> tensor<37x19xf16> loc("mm")
    %2 = dlc.relu %1 : tensor<37x19xf16> loc("act")
    dlc.yield %2 : tensor<37x19xf16>
  }
  %3 = dlc.fusion contraction "k1_conv" (%a = %img : tensor<2x3x5x5xbf16>, %b = %k : tensor<5x3x3x3xbf16>, %c = %kb : tensor<5xbf16>) -> tensor<2x5x5x5xbf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_90", block = array<i64: 32, 1, 1>, grid = array<i64: 4, 1, 1>, tile = array<i64: 16, 16, 32>, warps = array<i64: 1, 1>, stages = 2 : i64, mma = "mma_sync_bf16"}} {
    %4 = dlc.conv2d %a, %b, %c {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x3x5x5xbf16>, tensor<5x3x3x3xbf16>, tensor<5xbf16>) -> tensor<2x5x5x5xbf16> loc("conv")
    dlc.yield %4 : tensor<2x5x5x5xbf16>
  }
  %5 = dlc.fusion contraction "k2_fallback" (%a = %x : tensor<37x45xf16>, %b = %w : tensor<45x19xf16>) -> tensor<37x19xf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 64, 1, 1>, grid = array<i64: 1, 1, 1>, tile = array<i64: 16, 16, 16>, warps = array<i64: 1, 2>, stages = 2 : i64, mma = "mma_sync_f16"}} {
    %6 = dlc.matmul %a, %b : (tensor<37x45xf16>, tensor<45x19xf16>) -> tensor<37x19xf16> loc("mm2")
    dlc.yield %6 : tensor<37x19xf16>
  }
  %7 = dlc.fusion contraction "k3_bmm" (%a = %p : tensor<2x40x72xbf16>, %b = %q : tensor<2x72x64xbf16>) -> tensor<2x40x64xbf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_90", block = array<i64: 128, 1, 1>, grid = array<i64: 4, 2, 1>, tile = array<i64: 32, 32, 32>, warps = array<i64: 2, 2>, stages = 4 : i64, mma = "mma_sync_bf16"}} {
    %8 = dlc.matmul %a, %b : (tensor<2x40x72xbf16>, tensor<2x72x64xbf16>) -> tensor<2x40x64xbf16> loc("bmm")
    dlc.yield %8 : tensor<2x40x64xbf16>
  }
  %9 = dlc.fusion contraction "k4_tf32" (%a = %f : tensor<33x64xf32>, %b = %fw : tensor<48x64xf32>) -> tensor<33x48xf32> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 64, 1, 1>, grid = array<i64: 3, 1, 1>, tile = array<i64: 32, 32, 16>, warps = array<i64: 2, 1>, stages = 3 : i64, mma = "mma_sync_tf32"}} {
    %10 = dlc.dense %a, %b : (tensor<33x64xf32>, tensor<48x64xf32>) -> tensor<33x48xf32> loc("fc")
    dlc.yield %10 : tensor<33x48xf32>
  }
  %11 = dlc.fusion contraction "k5_cast" (%a = %f : tensor<33x64xf32>, %b = %fb : tensor<48x64xbf16>) -> tensor<33x48xbf16> attributes {schedule = {strategy = "tiled_gemm", target = "sm_80", block = array<i64: 64, 1, 1>, grid = array<i64: 3, 1, 1>, tile = array<i64: 32, 32, 32>, warps = array<i64: 2, 1>, stages = 2 : i64, mma = "mma_sync_bf16"}} {
    %12 = dlc.cast %a {to = bf16} : (tensor<33x64xf32>) -> tensor<33x64xbf16> loc("c")
    %13 = dlc.dense %12, %b : (tensor<33x64xbf16>, tensor<48x64xbf16>) -> tensor<33x48xbf16> loc("fc2")
    dlc.yield %13 : tensor<33x48xbf16>
  }
  return %0, %3, %5, %7, %9, %11 : tensor<37x19xf16>, tensor<2x5x5x5xbf16>, tensor<37x19xf16>, tensor<2x40x64xbf16>, tensor<33x48xf32>, tensor<33x48xbf16>
}
