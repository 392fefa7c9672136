// RUN: dlc-opt %s --split-input-file --dlc-fuse-attention | FileCheck %s

// The transformer block's attention as the JSON importer writes it: kT is a
// transpose of the heads, so the key is one transpose of them; the scores,
// scaled scores and probabilities disappear.

// CHECK-LABEL: func.func @block
//  CHECK-SAME:   (%[[Q:.+]]: tensor<2x4x16x16xf32>, %[[KH:.+]]: tensor<2x16x4x16xf32>, %[[V:.+]]: tensor<2x4x16x16xf32>)
//       CHECK:   %[[K:.+]] = dlc.transpose %[[KH]] {perm = array<i64: 0, 2, 1, 3>}
//       CHECK:   %[[O:.+]], %{{.+}} = dlc.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f64} : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> (tensor<2x4x16x16xf32>, tensor<2x4x16xf32>)
//   CHECK-NOT:   dlc.softmax
//   CHECK-NOT:   dlc.matmul
//       CHECK:   return %[[O]]
func.func @block(%q: tensor<2x4x16x16xf32>, %kh: tensor<2x16x4x16xf32>, %v: tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32> {
  %kt = dlc.transpose %kh {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x16x4x16xf32>) -> tensor<2x4x16x16xf32>
  %s = dlc.matmul %q, %kt : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %c = dlc.constant dense<2.500000e-01> : tensor<f32>
  %t = dlc.mul %s, %c : (tensor<2x4x16x16xf32>, tensor<f32>) -> tensor<2x4x16x16xf32>
  %p = dlc.softmax %t {axis = -1 : i64} : tensor<2x4x16x16xf32>
  %o = dlc.matmul %p, %v : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  return %o : tensor<2x4x16x16xf32>
}

// -----

// PyTorch's export of scaled_dot_product_attention: q and kT scaled by
// sqrt(scale) each, an additive padding mask [B, 1, 1, Tk]; the key is kT
// transposed back (no transpose feeds kT here).

// CHECK-LABEL: func.func @sdpa_mask
//  CHECK-SAME:   (%[[Q:.+]]: tensor<2x3x5x8xf32>, %[[KT:.+]]: tensor<2x3x8x7xf32>, %[[V:.+]]: tensor<2x3x7x8xf32>, %[[M:.+]]: tensor<2x1x1x7xf32>)
//       CHECK:   %[[K:.+]] = dlc.transpose %[[KT]] {perm = array<i64: 0, 1, 3, 2>}
//       CHECK:   dlc.attention %[[Q]], %[[K]], %[[V]], %[[M]] {scale = 0.4999999{{[0-9]+}} : f64}
//   CHECK-NOT:   dlc.softmax
func.func @sdpa_mask(%q: tensor<2x3x5x8xf32>, %kt: tensor<2x3x8x7xf32>, %v: tensor<2x3x7x8xf32>, %m: tensor<2x1x1x7xf32>) -> tensor<2x3x5x8xf32> {
  %c = dlc.constant dense<0.70710678118654757> : tensor<f32>
  %qs = dlc.mul %q, %c : (tensor<2x3x5x8xf32>, tensor<f32>) -> tensor<2x3x5x8xf32>
  %ks = dlc.mul %kt, %c : (tensor<2x3x8x7xf32>, tensor<f32>) -> tensor<2x3x8x7xf32>
  %s = dlc.matmul %qs, %ks : (tensor<2x3x5x8xf32>, tensor<2x3x8x7xf32>) -> tensor<2x3x5x7xf32>
  %a = dlc.add %s, %m : (tensor<2x3x5x7xf32>, tensor<2x1x1x7xf32>) -> tensor<2x3x5x7xf32>
  %p = dlc.softmax %a {axis = 3 : i64} : tensor<2x3x5x7xf32>
  %o = dlc.matmul %p, %v : (tensor<2x3x5x7xf32>, tensor<2x3x7x8xf32>) -> tensor<2x3x5x8xf32>
  return %o : tensor<2x3x5x8xf32>
}

// -----

// A constant causal mask (where with a lower-triangular cond and -inf) on
// rank-3 [N, T, D] operands (nn.MultiheadAttention's bmm layout), scale as a
// division: causal = true, the operands reshaped to [N, 1, T, D].

// CHECK-LABEL: func.func @causal_rank3
//  CHECK-SAME:   (%[[Q:.+]]: tensor<6x3x4xf32>, %[[KT:.+]]: tensor<6x4x3xf32>, %[[V:.+]]: tensor<6x3x4xf32>)
//       CHECK:   %[[K:.+]] = dlc.transpose %[[KT]] {perm = array<i64: 0, 2, 1>}
//       CHECK:   %[[Q4:.+]] = dlc.reshape %[[Q]] {shape = array<i64: 6, 1, 3, 4>}
//       CHECK:   %[[K4:.+]] = dlc.reshape %[[K]] {shape = array<i64: 6, 1, 3, 4>}
//       CHECK:   %[[V4:.+]] = dlc.reshape %[[V]] {shape = array<i64: 6, 1, 3, 4>}
//       CHECK:   %[[O:.+]], %{{.+}} = dlc.attention %[[Q4]], %[[K4]], %[[V4]] {causal = true, scale = 5.000000e-01 : f64}
//       CHECK:   %[[R:.+]] = dlc.reshape %[[O]] {shape = array<i64: 6, 3, 4>}
//   CHECK-NOT:   dlc.where
//       CHECK:   return %[[R]]
func.func @causal_rank3(%q: tensor<6x3x4xf32>, %kt: tensor<6x4x3xf32>, %v: tensor<6x3x4xf32>) -> tensor<6x3x4xf32> {
  %s = dlc.matmul %q, %kt : (tensor<6x3x4xf32>, tensor<6x4x3xf32>) -> tensor<6x3x3xf32>
  %c = dlc.constant dense<2.0> : tensor<f32>
  %t = dlc.div %s, %c : (tensor<6x3x3xf32>, tensor<f32>) -> tensor<6x3x3xf32>
  %tril = dlc.constant dense<[[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
  %ninf = dlc.constant dense<0xFF800000> : tensor<f32>
  %w = dlc.where %tril, %t, %ninf : (tensor<3x3xi1>, tensor<6x3x3xf32>, tensor<f32>) -> tensor<6x3x3xf32>
  %p = dlc.softmax %w {axis = -1 : i64} : tensor<6x3x3xf32>
  %o = dlc.matmul %p, %v : (tensor<6x3x3xf32>, tensor<6x3x4xf32>) -> tensor<6x3x4xf32>
  return %o : tensor<6x3x4xf32>
}

// -----

// A boolean key-padding cond that is not causal becomes the additive mask
// where(cond, 0, -inf) (reshaped to rank 4).

// CHECK-LABEL: func.func @bool_mask
//       CHECK:   %[[W:.+]] = dlc.where %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x1x1x5xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x1x5xf32>
//       CHECK:   dlc.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[W]] {scale = 1.000000e+00 : f64}
func.func @bool_mask(%q: tensor<2x2x5x4xf32>, %kt: tensor<2x2x4x5xf32>, %v: tensor<2x2x5x4xf32>, %keep: tensor<2x1x1x5xi1>) -> tensor<2x2x5x4xf32> {
  %s = dlc.matmul %q, %kt : (tensor<2x2x5x4xf32>, tensor<2x2x4x5xf32>) -> tensor<2x2x5x5xf32>
  %ninf = dlc.constant dense<0xFF800000> : tensor<f32>
  %w = dlc.where %keep, %s, %ninf : (tensor<2x1x1x5xi1>, tensor<2x2x5x5xf32>, tensor<f32>) -> tensor<2x2x5x5xf32>
  %p = dlc.softmax %w {axis = -1 : i64} : tensor<2x2x5x5xf32>
  %o = dlc.matmul %p, %v : (tensor<2x2x5x5xf32>, tensor<2x2x5x4xf32>) -> tensor<2x2x5x4xf32>
  return %o : tensor<2x2x5x4xf32>
}

// -----

// PyTorch's masked_fill export: where(drop, -inf, s) with a constant
// strictly upper-triangular drop is causal; a non-constant drop becomes the
// mask where(drop, -inf, 0).

// CHECK-LABEL: func.func @masked_fill_causal
//       CHECK:   dlc.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = true, scale = 1.000000e+00 : f64}
//   CHECK-NOT:   dlc.where
func.func @masked_fill_causal(%q: tensor<1x2x3x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %s = dlc.matmul %q, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %drop = dlc.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %ninf = dlc.constant dense<0xFF800000> : tensor<f32>
  %w = dlc.where %drop, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = dlc.softmax %w {axis = -1 : i64} : tensor<1x2x3x3xf32>
  %o = dlc.matmul %p, %v : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// CHECK-LABEL: func.func @masked_fill_padding
//  CHECK-SAME:   %[[DROP:[^:]+]]: tensor<1x1x1x3xi1>)
//       CHECK:   %[[ZERO:.+]] = dlc.constant dense<0.000000e+00>
//       CHECK:   %[[NINF:.+]] = dlc.constant dense<0xFF800000>
//       CHECK:   %[[M:.+]] = dlc.where %[[DROP]], %[[NINF]], %[[ZERO]]
//       CHECK:   dlc.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[M]] {scale = 1.000000e+00 : f64}
func.func @masked_fill_padding(%q: tensor<1x2x3x4xf32>, %kt: tensor<1x2x4x3xf32>, %v: tensor<1x2x3x4xf32>, %drop: tensor<1x1x1x3xi1>) -> tensor<1x2x3x4xf32> {
  %s = dlc.matmul %q, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %ninf = dlc.constant dense<0xFF800000> : tensor<f32>
  %w = dlc.where %drop, %ninf, %s : (tensor<1x1x1x3xi1>, tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = dlc.softmax %w {axis = -1 : i64} : tensor<1x2x3x3xf32>
  %o = dlc.matmul %p, %v : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// Negative: a constant mask that is not causal stays (the kernel reads a
// mask from memory only), as does a finite fill with a non-causal cond.

// CHECK-LABEL: func.func @constant_mask
//   CHECK-NOT:   dlc.attention
//       CHECK:   dlc.softmax
func.func @constant_mask(%q: tensor<1x1x2x4xf32>, %kt: tensor<1x1x4x2xf32>, %v: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %s = dlc.matmul %q, %kt : (tensor<1x1x2x4xf32>, tensor<1x1x4x2xf32>) -> tensor<1x1x2x2xf32>
  %m = dlc.constant dense<[[0.0, 1.0], [2.0, 0.0]]> : tensor<2x2xf32>
  %a = dlc.add %s, %m : (tensor<1x1x2x2xf32>, tensor<2x2xf32>) -> tensor<1x1x2x2xf32>
  %p = dlc.softmax %a {axis = -1 : i64} : tensor<1x1x2x2xf32>
  %o = dlc.matmul %p, %v : (tensor<1x1x2x2xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %o : tensor<1x1x2x4xf32>
}

// CHECK-LABEL: func.func @finite_fill
//   CHECK-NOT:   dlc.attention
//       CHECK:   dlc.softmax
func.func @finite_fill(%q: tensor<1x1x2x4xf32>, %kt: tensor<1x1x4x2xf32>, %v: tensor<1x1x2x4xf32>, %keep: tensor<1x1x1x2xi1>) -> tensor<1x1x2x4xf32> {
  %s = dlc.matmul %q, %kt : (tensor<1x1x2x4xf32>, tensor<1x1x4x2xf32>) -> tensor<1x1x2x2xf32>
  %c = dlc.constant dense<-1.0e+09> : tensor<f32>
  %w = dlc.where %keep, %s, %c : (tensor<1x1x1x2xi1>, tensor<1x1x2x2xf32>, tensor<f32>) -> tensor<1x1x2x2xf32>
  %p = dlc.softmax %w {axis = -1 : i64} : tensor<1x1x2x2xf32>
  %o = dlc.matmul %p, %v : (tensor<1x1x2x2xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %o : tensor<1x1x2x4xf32>
}

// -----

// Negative: the probabilities are also returned (used elsewhere), so the
// chain stays as it is.

// CHECK-LABEL: func.func @probs_used
//   CHECK-NOT:   dlc.attention
//       CHECK:   dlc.softmax
func.func @probs_used(%q: tensor<1x1x4x4xf32>, %kt: tensor<1x1x4x4xf32>, %v: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %s = dlc.matmul %q, %kt : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %p = dlc.softmax %s {axis = -1 : i64} : tensor<1x1x4x4xf32>
  %o = dlc.matmul %p, %v : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %o, %p : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Negative: the raw scores feed something else too.

// CHECK-LABEL: func.func @scores_used
//   CHECK-NOT:   dlc.attention
//       CHECK:   dlc.softmax
func.func @scores_used(%q: tensor<1x1x4x4xf32>, %kt: tensor<1x1x4x4xf32>, %v: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %s = dlc.matmul %q, %kt : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %c = dlc.constant dense<0.5> : tensor<f32>
  %t = dlc.mul %s, %c : (tensor<1x1x4x4xf32>, tensor<f32>) -> tensor<1x1x4x4xf32>
  %p = dlc.softmax %t {axis = -1 : i64} : tensor<1x1x4x4xf32>
  %o = dlc.matmul %p, %v : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %r = dlc.relu %s : tensor<1x1x4x4xf32>
  return %o, %r : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Negative: softmax over another axis is not attention.

// CHECK-LABEL: func.func @other_axis
//   CHECK-NOT:   dlc.attention
func.func @other_axis(%q: tensor<1x1x4x4xf32>, %kt: tensor<1x1x4x4xf32>, %v: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %s = dlc.matmul %q, %kt : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %p = dlc.softmax %s {axis = 2 : i64} : tensor<1x1x4x4xf32>
  %o = dlc.matmul %p, %v : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %o : tensor<1x1x4x4xf32>
}
