// RUN: dlc-opt %s --split-input-file --verify-diagnostics

// One case per verifier message of ir/ShapeRules.cpp, each with its full
// text, then a few ODS constraint errors. Result types are written out (the
// custom form is functional-type), so a rule that fails is reached through
// verify(); a rule that succeeds with another type than the one written
// gives "expects result type".

//===----------------------------------------------------------------------===//
// Result type mismatch (verifyWith)
//===----------------------------------------------------------------------===//

func.func @result_type_mismatch(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.add' op expects result type 'tensor<2x3xf32>', got 'tensor<2x4xf32>'}}
  %0 = dlc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @result_type_mismatch_constant() {
  // expected-error @+1 {{'dlc.constant' op expects result type 'tensor<2xf32>', got 'tensor<3xf32>'}}
  %0 = "dlc.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @binary_not_broadcastable(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.add' op expects broadcast-compatible shapes, got [2, 3] and [4]}}
  %0 = dlc.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @binary_not_broadcastable_leading(%a: tensor<2x1x5xf32>, %b: tensor<3x4x5xf32>) {
  // expected-error @+1 {{'dlc.mul' op expects broadcast-compatible shapes, got [2, 1, 5] and [3, 4, 5]}}
  %0 = dlc.mul %a, %b : (tensor<2x1x5xf32>, tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
  return
}

// -----

func.func @gelu_approximate(%x: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.gelu' op expects approximate to be "none" or "tanh", got "fast"}}
  %0 = dlc.gelu %x {approximate = "fast"} : tensor<4xf32>
  return
}

// -----

func.func @compare_predicate(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.compare' op expects predicate to be one of eq, ne, lt, le, gt, ge, got "lte"}}
  %0 = dlc.compare %a, %b {predicate = "lte"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_not_broadcastable(%a: tensor<4xi32>, %b: tensor<5xi32>) {
  // expected-error @+1 {{'dlc.compare' op expects broadcast-compatible shapes, got [4] and [5]}}
  %0 = dlc.compare %a, %b {predicate = "eq"} : (tensor<4xi32>, tensor<5xi32>) -> tensor<4xi1>
  return
}

// -----

func.func @where_branch_types(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'dlc.where' op expects both branches to have one element type, got f32 and f16}}
  %0 = dlc.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

// The branches broadcast with each other, the condition does not.
func.func @where_not_broadcastable(%c: tensor<3xi1>, %a: tensor<2x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.where' op expects broadcast-compatible shapes, got [3], [2, 4] and [4]}}
  %0 = dlc.where %c, %a, %b : (tensor<3xi1>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @where_branches_not_broadcastable(%c: tensor<1xi1>, %a: tensor<2xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.where' op expects broadcast-compatible shapes, got [1], [2] and [3]}}
  %0 = dlc.where %c, %a, %b : (tensor<1xi1>, tensor<2xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @cast_to(%x: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.cast' op expects 'to' to be one of f16, bf16, f32, f64, i1, i32, i64, got i8}}
  %0 = dlc.cast %x {to = i8} : (tensor<4xf32>) -> tensor<4xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

func.func @reduce_axis_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.reduce_sum' op expects axes in [-2, 2), got [0, 2]}}
  %0 = dlc.reduce_sum %x {axes = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

func.func @reduce_axis_range_negative(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.reduce_max' op expects axes in [-2, 2), got [-3]}}
  %0 = dlc.reduce_max %x {axes = array<i64: -3>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

// 1 and -2 name the same axis of a rank-3 tensor.
func.func @reduce_axes_distinct(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.reduce_mean' op expects distinct axes, got [1, -2]}}
  %0 = dlc.reduce_mean %x {axes = array<i64: 1, -2>} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.softmax' op expects axis in [-2, 2), got 2}}
  %0 = dlc.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.log_softmax' op expects axis in [-2, 2), got -3}}
  %0 = dlc.log_softmax %x {axis = -3 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'dlc.layer_norm' op expects axis in [-2, 2), got 2}}
  %0 = dlc.layer_norm %x, %g, %g {axis = 2 : i64} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// I64Attr getters return uint64_t: a negative axis once printed as 2^64 - 3.
func.func @layer_norm_axis_negative(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'dlc.layer_norm' op expects axis in [-2, 2), got -3}}
  %0 = dlc.layer_norm %x, %g, %g {axis = -3 : i64} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'dlc.layer_norm' op expects a non-negative epsilon, got -1.000000e-05}}
  %0 = dlc.layer_norm %x, %g, %g {epsilon = -1.0e-5 : f64} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

// axis = 1 normalizes over [5, 8], so scale must be [5, 8].
func.func @layer_norm_scale_shape(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %b: tensor<5x8xf32>) {
  // expected-error @+1 {{'dlc.layer_norm' op expects scale of shape [5, 8], got [8]}}
  %0 = dlc.layer_norm %x, %g, %b {axis = 1 : i64} : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<5x8xf32>) -> tensor<2x5x8xf32>
  return
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{'dlc.layer_norm' op expects bias of shape [8], got [1, 8]}}
  %0 = dlc.layer_norm %x, %g, %b : (tensor<2x8xf32>, tensor<8xf32>, tensor<1x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_scale_type(%x: tensor<2x8xf32>, %g: tensor<8xf16>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'dlc.layer_norm' op expects scale of element type f32, got f16}}
  %0 = dlc.layer_norm %x, %g, %b : (tensor<2x8xf32>, tensor<8xf16>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @layer_norm_bias_type(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf64>) {
  // expected-error @+1 {{'dlc.layer_norm' op expects bias of element type f32, got f64}}
  %0 = dlc.layer_norm %x, %g, %b : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf64>) -> tensor<2x8xf32>
  return
}

// -----

func.func @batch_norm_rank(%x: tensor<8xf32>, %c: tensor<8xf32>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects an input of rank at least 2 ([N, C, ...]), got rank 1}}
  %0 = dlc.batch_norm %x, %c, %c, %c, %c : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @batch_norm_epsilon(%x: tensor<2x3xf32>, %c: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects a non-negative epsilon, got -1.000000e+00}}
  %0 = dlc.batch_norm %x, %c, %c, %c, %c {epsilon = -1.0 : f64} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @batch_norm_scale_shape(%x: tensor<2x3x4x4xf32>, %c: tensor<3xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects scale of shape [3], got [4]}}
  %0 = dlc.batch_norm %x, %w, %c, %c, %c : (tensor<2x3x4x4xf32>, tensor<4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  return
}

// -----

func.func @batch_norm_bias_shape(%x: tensor<2x3x4x4xf32>, %c: tensor<3xf32>, %w: tensor<1x3xf32>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects bias of shape [3], got [1, 3]}}
  %0 = dlc.batch_norm %x, %c, %w, %c, %c : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  return
}

// -----

func.func @batch_norm_mean_shape(%x: tensor<2x3x4x4xf32>, %c: tensor<3xf32>, %w: tensor<f32>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects mean of shape [3], got []}}
  %0 = dlc.batch_norm %x, %c, %c, %w, %c : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  return
}

// -----

func.func @batch_norm_variance_shape(%x: tensor<2x3x4x4xf32>, %c: tensor<3xf32>, %w: tensor<2xf32>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects variance of shape [3], got [2]}}
  %0 = dlc.batch_norm %x, %c, %c, %c, %w : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<2xf32>) -> tensor<2x3x4x4xf32>
  return
}

// -----

func.func @batch_norm_scale_type(%x: tensor<2x3xf32>, %c: tensor<3xf32>, %w: tensor<3xbf16>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects scale of element type f32, got bf16}}
  %0 = dlc.batch_norm %x, %w, %c, %c, %c : (tensor<2x3xf32>, tensor<3xbf16>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @batch_norm_bias_type(%x: tensor<2x3xf32>, %c: tensor<3xf32>, %w: tensor<3xf16>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects bias of element type f32, got f16}}
  %0 = dlc.batch_norm %x, %c, %w, %c, %c : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf16>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @batch_norm_mean_type(%x: tensor<2x3xf16>, %c: tensor<3xf16>, %w: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects mean of element type f16, got f32}}
  %0 = dlc.batch_norm %x, %c, %c, %w, %c : (tensor<2x3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf32>, tensor<3xf16>) -> tensor<2x3xf16>
  return
}

// -----

func.func @batch_norm_variance_type(%x: tensor<2x3xf16>, %c: tensor<3xf16>, %w: tensor<3xf64>) {
  // expected-error @+1 {{'dlc.batch_norm' op expects variance of element type f16, got f64}}
  %0 = dlc.batch_norm %x, %c, %c, %c, %w : (tensor<2x3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf64>) -> tensor<2x3xf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

func.func @matmul_rank(%a: tensor<8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{'dlc.matmul' op expects operands of rank at least 2, got ranks 1 and 2}}
  %0 = dlc.matmul %a, %b : (tensor<8xf32>, tensor<8x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_contracting(%a: tensor<3x8xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{'dlc.matmul' op expects contracting dims to match (8 vs 4)}}
  %0 = dlc.matmul %a, %b : (tensor<3x8xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4x8xf32>, %b: tensor<5x8x6xf32>) {
  // expected-error @+1 {{'dlc.matmul' op expects broadcast-compatible batch dims, got [2, 3] and [5]}}
  %0 = dlc.matmul %a, %b : (tensor<2x3x4x8xf32>, tensor<5x8x6xf32>) -> tensor<2x3x4x6xf32>
  return
}

// -----

func.func @batch_matmul_rank(%a: tensor<4x8xf32>, %b: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'dlc.batch_matmul' op expects 3-D operands, got ranks 2 and 3}}
  %0 = dlc.batch_matmul %a, %b : (tensor<4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  return
}

// -----

// batch_matmul does not broadcast its batch dim (matmul does).
func.func @batch_matmul_batch(%a: tensor<1x4x8xf32>, %b: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'dlc.batch_matmul' op expects batch dims to match (1 vs 2)}}
  %0 = dlc.batch_matmul %a, %b : (tensor<1x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  return
}

// -----

func.func @batch_matmul_contracting(%a: tensor<2x4x8xf32>, %b: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'dlc.batch_matmul' op expects contracting dims to match (8 vs 4)}}
  %0 = dlc.batch_matmul %a, %b : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

func.func @dense_input_rank(%x: tensor<f32>, %w: tensor<4x1xf32>) {
  // expected-error @+1 {{'dlc.dense' op expects an input of rank at least 1}}
  %0 = dlc.dense %x, %w : (tensor<f32>, tensor<4x1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @dense_weight_rank(%x: tensor<2x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{'dlc.dense' op expects a 2-D weight [out, in], got rank 1}}
  %0 = dlc.dense %x, %w : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2xf32>
  return
}

// -----

// The weight is [out, in] (PyTorch's Linear), not [in, out].
func.func @dense_features(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'dlc.dense' op expects input features to match weight in-features (8 vs 4)}}
  %0 = dlc.dense %x, %w : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @dense_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'dlc.dense' op expects bias of shape [4], got [8]}}
  %0 = dlc.dense %x, %w, %b : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

func.func @conv_input_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects a 4-D NCHW input, got rank 3}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_weight_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects a 4-D OIHW weight, got rank 3}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_stride_entries(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects 'stride' to have 2 entries, got 1}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_stride_min(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects 'stride' entries to be at least 1, got [1, 0]}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 0>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// padding is [top, left, bottom, right], not [h, w].
func.func @conv_padding_entries(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects 'padding' to have 4 entries, got 2}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_padding_min(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects 'padding' entries to be at least 0, got [1, 1, -1, 1]}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, -1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x7x8xf32>
  return
}

// -----

func.func @conv_dilation_entries(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects 'dilation' to have 2 entries, got 3}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_dilation_min(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects 'dilation' entries to be at least 1, got [0, 0]}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// A 0-sized kernel dim once inferred an output wider than the input.
func.func @conv_empty_kernel(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x0x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects a kernel of at least 1x1, got weight [4, 3, 0, 3]}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x0x3xf32>) -> tensor<1x4x9x6xf32>
  return
}

// -----

func.func @conv_groups_min(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects groups to be at least 1, got 0}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 0 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups_negative(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects groups to be at least 1, got -2}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = -2 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups_divide_input(%x: tensor<1x6x8x8xf32>, %w: tensor<8x1x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects input channels (6) and output channels (8) divisible by groups (4)}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 4 : i64} : (tensor<1x6x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_groups_divide_output(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects input channels (4) and output channels (6) divisible by groups (4)}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_in_channels(%x: tensor<1x8x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects weight in-channels times groups (3 * 2) to equal input channels (8)}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x8x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects bias of shape [4], got [3]}}
  %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// A dilated 3x3 kernel spans 5 pixels; a 4x4 input with no padding is too small.
func.func @conv_kernel_fit(%x: tensor<1x3x4x4xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op expects the kernel to fit the padded input, got input [1, 3, 4, 4] and weight [4, 3, 3, 3]}}
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 2, 2>} : (tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

func.func @max_pool_rank(%x: tensor<16x28x28xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects a 4-D NCHW input, got rank 3}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<16x28x28xf32>) -> tensor<16x14x14xf32>
  return
}

// -----

func.func @avg_pool_rank(%x: tensor<1x1x16x28x28xf32>) {
  // expected-error @+1 {{'dlc.avg_pool2d' op expects a 4-D NCHW input, got rank 5}}
  %0 = dlc.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x1x16x28x28xf32>) -> tensor<1x16x14x14xf32>
  return
}

// -----

func.func @max_pool_kernel_entries(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'kernel_size' to have 2 entries, got 1}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_kernel_min(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'kernel_size' entries to be at least 1, got [2, 0]}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 0>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_stride_entries(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'stride' to have 2 entries, got 0}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_stride_min(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'stride' entries to be at least 1, got [-1, 2]}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: -1, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_padding_entries(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'padding' to have 4 entries, got 2}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @max_pool_padding_min(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'padding' entries to be at least 0, got [0, -1, 0, 0]}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, -1, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_dilation_entries(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'dilation' to have 2 entries, got 4}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_dilation_min(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects 'dilation' entries to be at least 1, got [1, 0]}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @avg_pool_kernel_entries(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.avg_pool2d' op expects 'kernel_size' to have 2 entries, got 3}}
  %0 = dlc.avg_pool2d %x {kernel_size = array<i64: 2, 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @avg_pool_stride_min(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.avg_pool2d' op expects 'stride' entries to be at least 1, got [0, 0]}}
  %0 = dlc.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 0, 0>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

// PyTorch's rule: padding <= kernel / 2 on every side.
func.func @max_pool_padding_half(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects padding at most half the kernel size, got padding [0, 2, 0, 2] for kernel [3, 3]}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 2, 0, 2>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x6x10xf32>
  return
}

// -----

// Only the bottom padding is too large.
func.func @avg_pool_padding_half(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.avg_pool2d' op expects padding at most half the kernel size, got padding [1, 1, 2, 1] for kernel [2, 2]}}
  %0 = dlc.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 2, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x6x5xf32>
  return
}

// -----

func.func @max_pool_fit(%x: tensor<1x4x2x8xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects the pooling window to fit the input, got input [1, 4, 2, 8] and kernel [3, 3]}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x2x8xf32>) -> tensor<1x4x1x6xf32>
  return
}

// -----

// With dilation 3 a 2-wide window spans 4 pixels.
func.func @max_pool_fit_dilated(%x: tensor<1x4x8x3xf32>) {
  // expected-error @+1 {{'dlc.max_pool2d' op expects the pooling window to fit the input, got input [1, 4, 8, 3] and kernel [2, 2]}}
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 3, 3>} : (tensor<1x4x8x3xf32>) -> tensor<1x4x5x1xf32>
  return
}

// -----

func.func @avg_pool_fit(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'dlc.avg_pool2d' op expects the pooling window to fit the input, got input [1, 4, 8, 8] and kernel [9, 9]}}
  %0 = dlc.avg_pool2d %x {kernel_size = array<i64: 9, 9>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

func.func @reshape_two_inferred(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.reshape' op expects non-negative dims and at most one -1 in 'shape', got [-1, 2, -1]}}
  %0 = dlc.reshape %x {shape = array<i64: -1, 2, -1>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  return
}

// -----

func.func @reshape_negative(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.reshape' op expects non-negative dims and at most one -1 in 'shape', got [6, -4]}}
  %0 = dlc.reshape %x {shape = array<i64: 6, -4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  return
}

// -----

func.func @reshape_inferred_not_divisible(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.reshape' op cannot reshape [2, 3, 4] to [5, -1]}}
  %0 = dlc.reshape %x {shape = array<i64: 5, -1>} : (tensor<2x3x4xf32>) -> tensor<5x5xf32>
  return
}

// -----

func.func @reshape_inferred_zero(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.reshape' op cannot reshape [2, 3] to [0, -1]}}
  %0 = dlc.reshape %x {shape = array<i64: 0, -1>} : (tensor<2x3xf32>) -> tensor<0x6xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.reshape' op expects the same element count, cannot reshape [2, 3, 4] (24) to [5, 5] (25)}}
  %0 = dlc.reshape %x {shape = array<i64: 5, 5>} : (tensor<2x3x4xf32>) -> tensor<5x5xf32>
  return
}

// -----

func.func @flatten_axis(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.flatten' op expects axis in [-3, 3], got 4}}
  %0 = dlc.flatten %x {axis = 4 : i64} : (tensor<2x3x4xf32>) -> tensor<24x1xf32>
  return
}

// -----

func.func @flatten_axis_negative(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.flatten' op expects axis in [-3, 3], got -4}}
  %0 = dlc.flatten %x {axis = -4 : i64} : (tensor<2x3x4xf32>) -> tensor<1x24xf32>
  return
}

// -----

func.func @transpose_repeated(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.transpose' op expects 'perm' to be a permutation of 0..2, got [0, 1, 1]}}
  %0 = dlc.transpose %x {perm = array<i64: 0, 1, 1>} : (tensor<2x3x4xf32>) -> tensor<2x3x3xf32>
  return
}

// -----

func.func @transpose_out_of_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.transpose' op expects 'perm' to be a permutation of 0..2, got [0, 3, 1]}}
  %0 = dlc.transpose %x {perm = array<i64: 0, 3, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  return
}

// -----

func.func @transpose_too_short(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'dlc.transpose' op expects 'perm' to be a permutation of 0..2, got [1, 0]}}
  %0 = dlc.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  return
}

// -----

// An empty perm never enters the per-entry loop: the length check after it.
func.func @transpose_empty(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.transpose' op expects 'perm' to be a permutation of 0..1, got []}}
  %0 = dlc.transpose %x {perm = array<i64>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// The rule's own "expects at least one input" is for builders: the parser
// meets the ODS variadic check first.
func.func @concat_no_inputs() {
  // expected-error @+1 {{'dlc.concat' op expected 1 or more operands, but found 0}}
  %0 = dlc.concat {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.concat' op expects axis in [-2, 2), got 2}}
  %0 = dlc.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_axis_negative(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'dlc.concat' op expects axis in [-2, 2), got -3}}
  %0 = dlc.concat %a, %a {axis = -3 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

// The message names the normalized axis.
func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+1 {{'dlc.concat' op expects inputs to match except along axis 1, got [2, 3] and [3, 3]}}
  %0 = dlc.concat %a, %b {axis = -1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<2x3x1xf32>) {
  // expected-error @+1 {{'dlc.concat' op expects inputs to match except along axis 0, got [2, 3] and [2, 3, 1]}}
  %0 = dlc.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3x1xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_lengths(%x: tensor<10x8xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects 'starts', 'ends', 'axes' and 'steps' of one length, got 2, 1, 2 and 2}}
  %0 = dlc.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 5>} : (tensor<10x8xf32>) -> tensor<5x8xf32>
  return
}

// -----

func.func @slice_lengths_steps(%x: tensor<10x8xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects 'starts', 'ends', 'axes' and 'steps' of one length, got 1, 1, 1 and 2}}
  %0 = dlc.slice %x {starts = array<i64: 0>, ends = array<i64: 5>, steps = array<i64: 1, 1>} : (tensor<10x8xf32>) -> tensor<5x8xf32>
  return
}

// -----

func.func @slice_axis_range(%x: tensor<10x8xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects distinct axes in [-2, 2), got [2]}}
  %0 = dlc.slice %x {starts = array<i64: 0>, ends = array<i64: 5>, axes = array<i64: 2>} : (tensor<10x8xf32>) -> tensor<10x8xf32>
  return
}

// -----

// 1 and -1 name the same axis of a rank-2 tensor.
func.func @slice_axes_distinct(%x: tensor<10x8xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects distinct axes in [-2, 2), got [1, -1]}}
  %0 = dlc.slice %x {starts = array<i64: 0, 1>, ends = array<i64: 5, 6>, axes = array<i64: 1, -1>} : (tensor<10x8xf32>) -> tensor<10x5xf32>
  return
}

// -----

// Negative steps (reversal) are not supported.
func.func @slice_steps(%x: tensor<10x8xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects positive steps, got [1, -1]}}
  %0 = dlc.slice %x {starts = array<i64: 0, 7>, ends = array<i64: 10, 0>, steps = array<i64: 1, -1>} : (tensor<10x8xf32>) -> tensor<10x7xf32>
  return
}

// -----

func.func @slice_steps_zero(%x: tensor<10x8xf32>) {
  // expected-error @+1 {{'dlc.slice' op expects positive steps, got [0]}}
  %0 = dlc.slice %x {starts = array<i64: 0>, ends = array<i64: 10>, steps = array<i64: 0>} : (tensor<10x8xf32>) -> tensor<10x8xf32>
  return
}

// -----

// A -1 in the target once gave the invalid type tensor<-1xf32>.
func.func @broadcast_negative(%x: tensor<1xf32>) {
  // expected-error @+1 {{'dlc.broadcast' op expects non-negative dims in 'shape', got [2, -1]}}
  %0 = dlc.broadcast %x {shape = array<i64: 2, -1>} : (tensor<1xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @broadcast_incompatible(%x: tensor<3x2xf32>) {
  // expected-error @+1 {{'dlc.broadcast' op cannot broadcast [3, 2] to [3, 4]}}
  %0 = dlc.broadcast %x {shape = array<i64: 3, 4>} : (tensor<3x2xf32>) -> tensor<3x4xf32>
  return
}

// -----

// broadcast never shrinks: [3, 1] to [3] is not a broadcast.
func.func @broadcast_lower_rank(%x: tensor<3x1xf32>) {
  // expected-error @+1 {{'dlc.broadcast' op cannot broadcast [3, 1] to [3]}}
  %0 = dlc.broadcast %x {shape = array<i64: 3>} : (tensor<3x1xf32>) -> tensor<3xf32>
  return
}

// -----

// A target dim of 1 where the input has more is not a broadcast either.
func.func @broadcast_shrink(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{'dlc.broadcast' op cannot broadcast [3, 4] to [3, 1]}}
  %0 = dlc.broadcast %x {shape = array<i64: 3, 1>} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  return
}

// -----

// The custom form infers the result type from the value while parsing.
func.func @constant_vector() {
  // expected-error @+1 {{'dlc.constant' op expects a ranked tensor value}}
  %0 = dlc.constant dense<1.0> : vector<2xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

func.func @sce_logits_rank(%l: tensor<2x3x10xf32>, %y: tensor<2xi64>) {
  // expected-error @+1 {{'dlc.softmax_cross_entropy' op expects 2-D logits [N, C], got rank 3}}
  %0 = dlc.softmax_cross_entropy %l, %y : (tensor<2x3x10xf32>, tensor<2xi64>) -> tensor<f32>
  return
}

// -----

func.func @sce_labels_batch(%l: tensor<4x10xf32>, %y: tensor<5xi64>) {
  // expected-error @+1 {{'dlc.softmax_cross_entropy' op expects labels of shape [4], got [5]}}
  %0 = dlc.softmax_cross_entropy %l, %y : (tensor<4x10xf32>, tensor<5xi64>) -> tensor<f32>
  return
}

// -----

// Labels are class indices, not one-hot rows.
func.func @sce_labels_rank(%l: tensor<4x10xf32>, %y: tensor<4x10xi32>) {
  // expected-error @+1 {{'dlc.softmax_cross_entropy' op expects labels of shape [4], got [4, 10]}}
  %0 = dlc.softmax_cross_entropy %l, %y : (tensor<4x10xf32>, tensor<4x10xi32>) -> tensor<f32>
  return
}

// -----

func.func @mse_shapes(%p: tensor<4x3xf32>, %t: tensor<4x1xf32>) {
  // expected-error @+1 {{'dlc.mse_loss' op expects input and target of one shape, got [4, 3] and [4, 1]}}
  %0 = dlc.mse_loss %p, %t : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<f32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ODS constraints (operand/result types, traits)
//===----------------------------------------------------------------------===//

func.func @relu_integer(%x: tensor<4xi32>) {
  // expected-error @+1 {{'dlc.relu' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = dlc.relu %x : tensor<4xi32>
  return
}

// -----

func.func @where_condition_f32(%c: tensor<4xf32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.where' op operand #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = dlc.where %c, %a, %a : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @sce_labels_f32(%l: tensor<4x10xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.softmax_cross_entropy' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = dlc.softmax_cross_entropy %l, %y : (tensor<4x10xf32>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @sce_logits_i32(%l: tensor<4x10xi32>, %y: tensor<4xi32>) {
  // expected-error @+1 {{'dlc.softmax_cross_entropy' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4x10xi32>'}}
  %0 = dlc.softmax_cross_entropy %l, %y : (tensor<4x10xi32>, tensor<4xi32>) -> tensor<i32>
  return
}

// -----

// Shapes are static: a '?' would enter the shape arithmetic as INT64_MIN.
func.func @dynamic_shape(%a: tensor<?x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.add' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 1-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<?x3xf32>'}}
  %0 = dlc.add %a, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return
}

// -----

func.func @unranked(%a: tensor<*xf32>) {
  // expected-error @+1 {{'dlc.exp' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<*xf32>'}}
  %0 = "dlc.exp"(%a) : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @binary_mixed_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'dlc.add' op requires the same element type for all operands}}
  %0 = dlc.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_mixed_types(%a: tensor<4xi32>, %b: tensor<4xi64>) {
  // expected-error @+1 {{'dlc.compare' op requires the same element type for all operands}}
  %0 = dlc.compare %a, %b {predicate = "eq"} : (tensor<4xi32>, tensor<4xi64>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_result_not_i1(%a: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.compare' op result #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = dlc.compare %a, %a {predicate = "eq"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_result_type(%a: tensor<2x8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{'dlc.matmul' op requires the same element type for all operands and results}}
  %0 = dlc.matmul %a, %b : (tensor<2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf16>
  return
}

// -----

func.func @conv_bias_type(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'dlc.conv2d' op requires the same element type for all operands and results}}
  %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf16>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_missing_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'dlc.conv2d' op requires attribute 'stride'}}
  %0 = dlc.conv2d %x, %w {padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @constant_i8() {
  // expected-error @+1 {{'dlc.constant' op result #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 1-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xi8>'}}
  %0 = dlc.constant dense<1> : tensor<2xi8>
  return
}

// -----

func.func @unary_type_mismatch(%x: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.neg' op requires the same type for all operands and results}}
  %0 = "dlc.neg"(%x) : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<10x8xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{'dlc.gather' op expects axis in [0, 2), got 2}}
  %0 = dlc.gather %x, %i {axis = 2 : i64} : (tensor<10x8xf32>, tensor<3xi64>) -> tensor<10x8xf32>
  return
}

// -----

func.func @gather_float_indices(%x: tensor<10x8xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{'dlc.gather' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = dlc.gather %x, %i {axis = 0 : i64} : (tensor<10x8xf32>, tensor<3xf32>) -> tensor<3x8xf32>
  return
}
