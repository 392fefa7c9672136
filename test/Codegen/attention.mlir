// RUN: dlc-opt %s --dlc-fuse --dlc-tile --dlc-plan-memory --mlir-print-debuginfo | dlc-emit --check-nvrtc=sm_80,sm_90 | FileCheck %s
// RUN: dlc-opt %s --dlc-fuse --dlc-tile --dlc-plan-memory --mlir-print-debuginfo | dlc-emit --manifest | FileCheck %s --check-prefix=MANIFEST

// flash_attention: attention and attention_backward alone in a fusion each,
// one kernel each; f32 with an odd head dim (24), Tq != Tk, a padding mask
// [B, 1, 1, Tk] read with broadcast strides, causal; bf16 operands computed
// in float; f64 in double. NVRTC sm_80 and sm_90 without a warning.

// CHECK-LABEL: extern "C" __global__ void k0_attn(
//       CHECK:   // attn: dlc.attention (flash_attention: 32 rows x 32 keys per tile, 4 threads per row, causal, mask)
//       CHECK:   __shared__ float k_qs[32][25];
//       CHECK:   __shared__ float k_ps[32][33];
//       CHECK:   const int k_head = k_blk / 2, k_q0 = k_blk % 2 * 32;
// Causal: key tiles stop at the block's last row.
//       CHECK:   for (int k_j0 = 0; k_j0 < (k_q0 + 32 < 37 ? k_q0 + 32 : 37); k_j0 += 32) {
//       CHECK:     if (k_i < 33 && k_j0 + k_jj < 37 && k_j0 + k_jj <= k_i) {
// The mask [2, 1, 1, 37]: batch stride 37, key stride 1.
//       CHECK:       k_x = k_s[k_c] * 0.20412415f + dlc::load(mask, (k_head / 3) * 37 + (k_j0 + k_jj) * 1);
//       CHECK:     k_mx = dlc::maximum(k_mx, dlc::shuffleXor(k_mx, 1));
//       CHECK:     k_mx = dlc::maximum(k_mx, dlc::shuffleXor(k_mx, 2));
//       CHECK:     dlc::warpBarrier();
//       CHECK:   dlc::store(out, (k_head * 33 + k_i) * 24 + k_e, k_acc[k_c] / k_l);
//       CHECK:   dlc::store(lse, k_head * 33 + k_i, k_m + dlc::log(k_l));

// CHECK-LABEL: extern "C" __global__ void k1_attn(
//       CHECK:   // attn: dlc.attention_backward (flash_attention: 32 rows x 32 keys per tile, 4 threads per row, causal, mask)
//       CHECK:   if (k_blk < 12) {
//       CHECK:     for (int k_i0 = k_j0 / 32 * 32; k_i0 < 33; k_i0 += 32) {
//       CHECK:   } else {
//       CHECK:     // dQ of one query tile
//       CHECK:     const int k_qb = k_blk - 12;

// bf16 operands: float compute, loads and stores through the prelude.
// CHECK-LABEL: extern "C" __global__ void k2_attn_bf16(
//       CHECK:   // attn_bf16: dlc.attention (flash_attention: 8 rows x 8 keys per tile, 4 threads per row)
//       CHECK:   __shared__ float k_qs[8][17];

// f64: double compute, logsumexp f64.
// CHECK-LABEL: extern "C" __global__ void k3_attn_f64(
//       CHECK:   __shared__ double k_qs[8][9];
//       CHECK:   double k_m = -dlc::infinity<double>(), k_l = 0.0;

// MANIFEST: "name": "k0_attn"
// MANIFEST: "grid": [
// MANIFEST-NEXT: 12,
// MANIFEST: "block": [
// MANIFEST-NEXT: 128,
// MANIFEST: "name": "k1_attn"
// MANIFEST: "grid": [
// MANIFEST-NEXT: 24,

func.func @attn(%q: tensor<2x3x33x24xf32> {dlc.input = "q"},
                %k: tensor<2x3x37x24xf32> {dlc.input = "k"},
                %v: tensor<2x3x37x24xf32> {dlc.input = "v"},
                %mask: tensor<2x1x1x37xf32> {dlc.input = "mask"},
                %g: tensor<2x3x33x24xf32> {dlc.input = "g"},
                %qb: tensor<1x2x5x16xbf16> {dlc.input = "qb"},
                %qd: tensor<1x1x3x8xf64> {dlc.input = "qd"})
    -> (tensor<2x3x33x24xf32> {dlc.output = "out"},
        tensor<2x3x33xf32> {dlc.output = "lse"},
        tensor<2x3x33x24xf32> {dlc.output = "dq"},
        tensor<2x3x37x24xf32> {dlc.output = "dk"},
        tensor<2x3x37x24xf32> {dlc.output = "dv"},
        tensor<1x2x5x16xbf16> {dlc.output = "ob"},
        tensor<1x1x3x8xf64> {dlc.output = "od"}) {
  %o, %l = dlc.attention %q, %k, %v, %mask {scale = 0.2041241452319315 : f64, causal = true} : (tensor<2x3x33x24xf32>, tensor<2x3x37x24xf32>, tensor<2x3x37x24xf32>, tensor<2x1x1x37xf32>) -> (tensor<2x3x33x24xf32>, tensor<2x3x33xf32>) loc("attn")
  %dq, %dk, %dv = dlc.attention_backward %q, %k, %v, %o, %l, %g, %mask {scale = 0.2041241452319315 : f64, causal = true} : (tensor<2x3x33x24xf32>, tensor<2x3x37x24xf32>, tensor<2x3x37x24xf32>, tensor<2x3x33x24xf32>, tensor<2x3x33xf32>, tensor<2x3x33x24xf32>, tensor<2x1x1x37xf32>) -> (tensor<2x3x33x24xf32>, tensor<2x3x37x24xf32>, tensor<2x3x37x24xf32>) loc("attn")
  %ob, %lb = dlc.attention %qb, %qb, %qb {scale = 0.25 : f64} : (tensor<1x2x5x16xbf16>, tensor<1x2x5x16xbf16>, tensor<1x2x5x16xbf16>) -> (tensor<1x2x5x16xbf16>, tensor<1x2x5xf32>) loc("attn_bf16")
  %od, %ld = dlc.attention %qd, %qd, %qd {scale = 0.5 : f64} : (tensor<1x1x3x8xf64>, tensor<1x1x3x8xf64>, tensor<1x1x3x8xf64>) -> (tensor<1x1x3x8xf64>, tensor<1x1x3xf64>) loc("attn_f64")
  return %o, %l, %dq, %dk, %dv, %ob, %od : tensor<2x3x33x24xf32>, tensor<2x3x33xf32>, tensor<2x3x33x24xf32>, tensor<2x3x37x24xf32>, tensor<2x3x37x24xf32>, tensor<1x2x5x16xbf16>, tensor<1x1x3x8xf64>
}
