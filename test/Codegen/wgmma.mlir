// RUN: dlc-opt %s --dlc-fuse --dlc-tile=target=sm_90 --dlc-plan-memory | dlc-emit --check-nvrtc=sm_90 | FileCheck %s
// RUN: dlc-opt %s --dlc-fuse --dlc-tile=target=sm_90 --dlc-plan-memory | dlc-emit --manifest | FileCheck %s --check-prefix=MANIFEST
// RUN: dlc-opt %s --dlc-fuse --dlc-tile=target=sm_80 --dlc-plan-memory | dlc-emit --check-nvrtc=sm_80 | FileCheck %s --check-prefix=SM80

// Half-type GEMMs on target sm_90 take the Hopper path (mma "wgmma_bf16" /
// "wgmma_f16", codegen/WgmmaGemm.cpp): warpgroups issuing
// wgmma.mma_async m64nNk16 on 128-byte-swizzled K-major shared tiles,
// operands staged through registers into a ring of stages in dynamic shared
// memory (the manifest's shared_bytes), the epilogue from the accumulator
// registers. NVRTC compiles it for sm_90a. M, N, K are not multiples of the
// tile; the matmul's B is read along n, the dense weight along k. Plain
// arrays read along k load 16 bytes at a time where the chunk is whole and
// aligned.

// CHECK: #define DLC_USE_WGMMA
// CHECK: wgmma.fence.sync.aligned
// CHECK: wgmma.commit_group.sync.aligned
// CHECK: wgmma.wait_group.sync.aligned
// CHECK: wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." PTXTYPE

// CHECK-LABEL: __global__ void k0_mm(
//       CHECK: // GEMM batch 1, M 37, N 53, K 71 on Hopper tensor cores (wgmma_bf16: wgmma m64n64k16 per warpgroup, float accumulator), 2 stages staged through registers
//       CHECK: constexpr int kTileM = 64, kTileN = 64, kTileK = 64, kStages = 2, kThreads = 128;
//       CHECK: extern __shared__ __align__(128) unsigned char dlc_smem[];
//       CHECK: unsigned char *const smem = dlc::wgmmaAlign(dlc_smem);
//       CHECK: for (idx_t kt = 0; kt < 2; ++kt) {
//       CHECK:   const __nv_bfloat16 *const p = x + (m * 71 + k);
//  CHECK-NEXT:   if (m < 37 && k + 8 <= 71 && reinterpret_cast<unsigned long long>(p) % 16 == 0) {
//  CHECK-NEXT:     ra[q] = *reinterpret_cast<const dlc::Vec<8, __nv_bfloat16> *>(p);
//       CHECK:       ra[q].v[i] = m < 37 && k + i < 71 ? p[i] : __nv_bfloat16(0.0f);
//       CHECK:   const int row = e % kTileN, c = e / kTileN;
//       CHECK:     if (k < 71 && n < 53) {
//       CHECK:   dlc::wgmmaWait<kStages - 2>();
//       CHECK:   dlc::fenceProxyAsync();
//  CHECK-NEXT:   dlc::barrier();
//  CHECK-NEXT:   dlc::wgmmaFence();
//       CHECK:     dlc::wgmma<kTileN, __nv_bfloat16>(acc, dlc::wgmmaDesc(dlc::smemAddr(sa) + wg * 64 * 128 + kk * 32), dlc::wgmmaDesc(dlc::smemAddr(sb) + kk * 32));
//  CHECK-NEXT:   dlc::wgmmaCommit();
//       CHECK: dlc::wgmmaWait<0>();
//  CHECK-NEXT: dlc::wgmmaFenceAcc(acc);
//       CHECK: const idx_t m = m0 + wg * 64 + wr + (r & 2) * 4, n = n0 + r / 4 * 8 + lane % 4 * 2 + (r & 1);
//  CHECK-NEXT: if (m < 37 && n < 53) {
//       CHECK:   dlc::store({{.+}}, acc[r]);

// Bias and gelu in the epilogue; 15 tiles of 128x128 would leave most of
// the 132 SMs idle, so 64x64.
// CHECK-LABEL: __global__ void k1_d_g(
//       CHECK: // GEMM batch 1, M 300, N 520, K 200 on Hopper tensor cores (wgmma_bf16: wgmma m64n64k16 per warpgroup, float accumulator), 4 stages
//       CHECK: constexpr int kTileM = 64, kTileN = 64, kTileK = 64, kStages = 4, kThreads = 128;
//       CHECK:   const int row = e / 8, c = e % 8;
//       CHECK:   const __nv_bfloat16 *const p = w2 + (n * 200 + k);
//       CHECK: = acc[r] + v{{[0-9]+}};
//       CHECK: dlc::gelu(

// A batched f16 GEMM: wgmma_f16.
// CHECK-LABEL: __global__ void k2_bm_r(
//       CHECK: // GEMM batch 3, M 70, N 90, K 40 on Hopper tensor cores (wgmma_f16: wgmma m64n64k16
//       CHECK: const __half *const p = a_ + (b * 2800 + m * 40 + k);
//       CHECK: if (k < 40 && n < 90) {
//       CHECK: dlc::wgmma<kTileN, __half>(

// A large GEMM: two warpgroups.
// CHECK-LABEL: __global__ void k3_big(
//       CHECK: constexpr int kTileM = 128, kTileN = 128, kTileK = 64, kStages = 2, kThreads = 256;

// The dynamic shared memory: stages x (tm + tn) x 128 bytes + 1024 to
// align the first stage.
// MANIFEST: "name": "k0_mm",
// MANIFEST: "shared_bytes": 33792,
// MANIFEST: "name": "k1_d_g",
// MANIFEST: "shared_bytes": 66560,
// MANIFEST: "name": "k3_big",
// MANIFEST: "shared_bytes": 66560,

// sm_80: mma.sync (WMMA), no wgmma.
// SM80-NOT: {{^}}#define DLC_USE_WGMMA
// SM80: on tensor cores (mma_sync_bf16
// SM80-NOT: dlc::wgmma

func.func @forward(%x: tensor<37x71xbf16> {dlc.input = "x"}, %x2: tensor<300x200xbf16> {dlc.input = "x2"},
                   %w: tensor<71x53xbf16> {dlc.param = "w"}, %w2: tensor<520x200xbf16> {dlc.param = "w2"},
                   %b2: tensor<520xbf16> {dlc.param = "b2"},
                   %a: tensor<3x70x40xf16> {dlc.input = "a"}, %b: tensor<3x40x90xf16> {dlc.input = "b"},
                   %x3: tensor<2048x128xbf16> {dlc.input = "x3"}, %w3: tensor<2048x128xbf16> {dlc.param = "w3"})
    -> (tensor<37x53xbf16> {dlc.output = "mm"}, tensor<300x520xbf16> {dlc.output = "g"}, tensor<3x70x90xf16> {dlc.output = "r"},
        tensor<2048x2048xbf16> {dlc.output = "big"}) {
  %0 = dlc.matmul %x, %w : (tensor<37x71xbf16>, tensor<71x53xbf16>) -> tensor<37x53xbf16> loc("mm")
  %1 = dlc.dense %x2, %w2, %b2 : (tensor<300x200xbf16>, tensor<520x200xbf16>, tensor<520xbf16>) -> tensor<300x520xbf16> loc("d")
  %2 = dlc.gelu %1 : tensor<300x520xbf16> loc("g")
  %3 = dlc.batch_matmul %a, %b : (tensor<3x70x40xf16>, tensor<3x40x90xf16>) -> tensor<3x70x90xf16> loc("bm")
  %4 = dlc.relu %3 : tensor<3x70x90xf16> loc("r")
  %5 = dlc.dense %x3, %w3 : (tensor<2048x128xbf16>, tensor<2048x128xbf16>) -> tensor<2048x2048xbf16> loc("big")
  return %0, %2, %4, %5 : tensor<37x53xbf16>, tensor<300x520xbf16>, tensor<3x70x90xf16>, tensor<2048x2048xbf16>
}
