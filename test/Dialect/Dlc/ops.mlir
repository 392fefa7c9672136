// RUN: dlc-opt %s | dlc-opt | FileCheck %s
// RUN: dlc-opt %s --mlir-print-op-generic | dlc-opt | FileCheck %s

// Every dlc op parses, verifies, prints and parses again, in both the custom
// and the generic form; the CHECK lines pin the printed attributes and the
// result type that the shape rule inferred.

// CHECK-LABEL: func.func @unary
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3xf32>)
func.func @unary(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: %[[A:.+]] = dlc.neg %[[X]] : tensor<2x3xf32>
  %0 = dlc.neg %x : tensor<2x3xf32>
  // CHECK: %[[B:.+]] = dlc.exp %[[A]] : tensor<2x3xf32>
  %1 = dlc.exp %0 : tensor<2x3xf32>
  // CHECK: %[[C:.+]] = dlc.log %[[B]] : tensor<2x3xf32>
  %2 = dlc.log %1 : tensor<2x3xf32>
  // CHECK: %[[D:.+]] = dlc.sqrt %[[C]] : tensor<2x3xf32>
  %3 = dlc.sqrt %2 : tensor<2x3xf32>
  // CHECK: %[[E:.+]] = dlc.rsqrt %[[D]] : tensor<2x3xf32>
  %4 = dlc.rsqrt %3 : tensor<2x3xf32>
  // CHECK: %[[F:.+]] = dlc.tanh %[[E]] : tensor<2x3xf32>
  %5 = dlc.tanh %4 : tensor<2x3xf32>
  // CHECK: %[[G:.+]] = dlc.sigmoid %[[F]] : tensor<2x3xf32>
  %6 = dlc.sigmoid %5 : tensor<2x3xf32>
  // CHECK: %[[H:.+]] = dlc.relu %[[G]] : tensor<2x3xf32>
  %7 = dlc.relu %6 : tensor<2x3xf32>
  // CHECK: %[[I:.+]] = dlc.erf %[[H]] : tensor<2x3xf32>
  %8 = dlc.erf %7 : tensor<2x3xf32>
  // CHECK: return %[[I]] : tensor<2x3xf32>
  return %8 : tensor<2x3xf32>
}

// The other float types are accepted too.
// CHECK-LABEL: func.func @unary_types
func.func @unary_types(%h: tensor<4xf16>, %b: tensor<4xbf16>, %d: tensor<4xf64>)
    -> (tensor<4xf16>, tensor<4xbf16>, tensor<4xf64>) {
  // CHECK: dlc.relu %{{.+}} : tensor<4xf16>
  %0 = dlc.relu %h : tensor<4xf16>
  // CHECK: dlc.exp %{{.+}} : tensor<4xbf16>
  %1 = dlc.exp %b : tensor<4xbf16>
  // CHECK: dlc.tanh %{{.+}} : tensor<4xf64>
  %2 = dlc.tanh %d : tensor<4xf64>
  return %0, %1, %2 : tensor<4xf16>, tensor<4xbf16>, tensor<4xf64>
}

// The default approximate = "none" is elided when printed.
// CHECK-LABEL: func.func @gelu
//  CHECK-SAME:   (%[[X:.+]]: tensor<8x16xf32>)
func.func @gelu(%x: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) {
  // CHECK: %[[A:.+]] = dlc.gelu %[[X]] : tensor<8x16xf32>
  %0 = dlc.gelu %x : tensor<8x16xf32>
  // CHECK: %[[B:.+]] = dlc.gelu %[[X]] : tensor<8x16xf32>
  %1 = dlc.gelu %x {approximate = "none"} : tensor<8x16xf32>
  // CHECK: %[[C:.+]] = dlc.gelu %[[X]] {approximate = "tanh"} : tensor<8x16xf32>
  %2 = dlc.gelu %x {approximate = "tanh"} : tensor<8x16xf32>
  // CHECK: return %[[A]], %[[B]], %[[C]]
  return %0, %1, %2 : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
}

// Numpy broadcasting: trailing dims align, 1 stretches, missing leading dims
// count as 1.
// CHECK-LABEL: func.func @binary_broadcast
//  CHECK-SAME:   (%[[A:[^:]+]]: tensor<2x3x4xf32>, %[[B:[^:]+]]: tensor<4xf32>, %[[C:[^:]+]]: tensor<3x1xf32>, %[[D:[^:]+]]: tensor<1x1x4xf32>, %[[S:[^:]+]]: tensor<f32>)
func.func @binary_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<4xf32>,
                            %c: tensor<3x1xf32>, %d: tensor<1x1x4xf32>,
                            %s: tensor<f32>) -> tensor<3x4xf32> {
  // CHECK: dlc.add %[[A]], %[[B]] : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %0 = dlc.add %a, %b : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  // CHECK: dlc.sub %[[C]], %[[B]] : (tensor<3x1xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %1 = dlc.sub %c, %b : (tensor<3x1xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  // CHECK: dlc.mul %[[C]], %[[D]] : (tensor<3x1xf32>, tensor<1x1x4xf32>) -> tensor<1x3x4xf32>
  %2 = dlc.mul %c, %d : (tensor<3x1xf32>, tensor<1x1x4xf32>) -> tensor<1x3x4xf32>
  // CHECK: dlc.div %[[A]], %[[S]] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %3 = dlc.div %a, %s : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  // CHECK: dlc.pow %[[S]], %[[C]] : (tensor<f32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  %4 = dlc.pow %s, %c : (tensor<f32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  // CHECK: dlc.maximum %[[D]], %[[A]] : (tensor<1x1x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %5 = dlc.maximum %d, %a : (tensor<1x1x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: dlc.minimum %[[S]], %[[S]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %6 = dlc.minimum %s, %s : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %1 : tensor<3x4xf32>
}

// Binary ops take integer tensors too.
// CHECK-LABEL: func.func @binary_int
func.func @binary_int(%a: tensor<5xi64>, %b: tensor<1xi64>) -> tensor<5xi64> {
  // CHECK: dlc.add %{{.+}}, %{{.+}} : (tensor<5xi64>, tensor<1xi64>) -> tensor<5xi64>
  %0 = dlc.add %a, %b : (tensor<5xi64>, tensor<1xi64>) -> tensor<5xi64>
  return %0 : tensor<5xi64>
}

// CHECK-LABEL: func.func @compare
//  CHECK-SAME:   (%[[A:[^:]+]]: tensor<4x1xf32>, %[[B:[^:]+]]: tensor<3xf32>, %[[I:[^:]+]]: tensor<7xi32>)
func.func @compare(%a: tensor<4x1xf32>, %b: tensor<3xf32>, %i: tensor<7xi32>) {
  // CHECK: dlc.compare %[[A]], %[[B]] {predicate = "eq"} : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xi1>
  %0 = dlc.compare %a, %b {predicate = "eq"} : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xi1>
  // CHECK: dlc.compare %[[A]], %[[B]] {predicate = "ne"} : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xi1>
  %1 = dlc.compare %a, %b {predicate = "ne"} : (tensor<4x1xf32>, tensor<3xf32>) -> tensor<4x3xi1>
  // CHECK: dlc.compare %[[B]], %[[A]] {predicate = "lt"} : (tensor<3xf32>, tensor<4x1xf32>) -> tensor<4x3xi1>
  %2 = dlc.compare %b, %a {predicate = "lt"} : (tensor<3xf32>, tensor<4x1xf32>) -> tensor<4x3xi1>
  // CHECK: dlc.compare %[[B]], %[[B]] {predicate = "le"} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %3 = dlc.compare %b, %b {predicate = "le"} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  // CHECK: dlc.compare %[[I]], %[[I]] {predicate = "gt"} : (tensor<7xi32>, tensor<7xi32>) -> tensor<7xi1>
  %4 = dlc.compare %i, %i {predicate = "gt"} : (tensor<7xi32>, tensor<7xi32>) -> tensor<7xi1>
  // CHECK: dlc.compare %[[A]], %[[A]] {predicate = "ge"} : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<4x1xi1>
  %5 = dlc.compare %a, %a {predicate = "ge"} : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<4x1xi1>
  return
}

// The condition broadcasts with both branches.
// CHECK-LABEL: func.func @where
//  CHECK-SAME:   (%[[C:[^:]+]]: tensor<2x1x5xi1>, %[[L:[^:]+]]: tensor<3x1xf32>, %[[R:[^:]+]]: tensor<f32>)
func.func @where(%c: tensor<2x1x5xi1>, %l: tensor<3x1xf32>, %r: tensor<f32>) -> tensor<2x3x5xf32> {
  // CHECK: %[[W:.+]] = dlc.where %[[C]], %[[L]], %[[R]] : (tensor<2x1x5xi1>, tensor<3x1xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %0 = dlc.where %c, %l, %r : (tensor<2x1x5xi1>, tensor<3x1xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  // CHECK: return %[[W]]
  return %0 : tensor<2x3x5xf32>
}

// CHECK-LABEL: func.func @cast
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3xf32>)
func.func @cast(%x: tensor<2x3xf32>) {
  // CHECK: %[[I:.+]] = dlc.cast %[[X]] {to = i32} : (tensor<2x3xf32>) -> tensor<2x3xi32>
  %0 = dlc.cast %x {to = i32} : (tensor<2x3xf32>) -> tensor<2x3xi32>
  // CHECK: %[[B:.+]] = dlc.cast %[[I]] {to = i1} : (tensor<2x3xi32>) -> tensor<2x3xi1>
  %1 = dlc.cast %0 {to = i1} : (tensor<2x3xi32>) -> tensor<2x3xi1>
  // CHECK: dlc.cast %[[B]] {to = f16} : (tensor<2x3xi1>) -> tensor<2x3xf16>
  %2 = dlc.cast %1 {to = f16} : (tensor<2x3xi1>) -> tensor<2x3xf16>
  // CHECK: dlc.cast %[[X]] {to = bf16} : (tensor<2x3xf32>) -> tensor<2x3xbf16>
  %3 = dlc.cast %x {to = bf16} : (tensor<2x3xf32>) -> tensor<2x3xbf16>
  // CHECK: dlc.cast %[[X]] {to = f64} : (tensor<2x3xf32>) -> tensor<2x3xf64>
  %4 = dlc.cast %x {to = f64} : (tensor<2x3xf32>) -> tensor<2x3xf64>
  // CHECK: dlc.cast %[[I]] {to = i64} : (tensor<2x3xi32>) -> tensor<2x3xi64>
  %5 = dlc.cast %0 {to = i64} : (tensor<2x3xi32>) -> tensor<2x3xi64>
  // A cast to the same type is allowed.
  // CHECK: dlc.cast %[[X]] {to = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = dlc.cast %x {to = f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// Empty axes reduce everything; keepdims = false is the default and elided.
// CHECK-LABEL: func.func @reductions
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xf32>)
func.func @reductions(%x: tensor<2x3x4xf32>) {
  // CHECK: dlc.reduce_sum %[[X]] {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  %0 = dlc.reduce_sum %x {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  // CHECK: dlc.reduce_sum %[[X]] {axes = array<i64: 0, -1>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  %1 = dlc.reduce_sum %x {axes = array<i64: 0, -1>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  // CHECK: dlc.reduce_sum %[[X]] : (tensor<2x3x4xf32>) -> tensor<f32>
  %2 = dlc.reduce_sum %x : (tensor<2x3x4xf32>) -> tensor<f32>
  // CHECK: dlc.reduce_mean %[[X]] {axes = array<i64: -1>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  %3 = dlc.reduce_mean %x {axes = array<i64: -1>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  // CHECK: dlc.reduce_mean %[[X]] {keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x1x1xf32>
  %4 = dlc.reduce_mean %x {keepdims = true} : (tensor<2x3x4xf32>) -> tensor<1x1x1xf32>
  // CHECK: dlc.reduce_max %[[X]] {axes = array<i64: 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3xf32>
  %5 = dlc.reduce_max %x {axes = array<i64: 2, 0>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<3xf32>
  return
}

// axis = -1 is the default and elided.
// CHECK-LABEL: func.func @softmax
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x10xf32>)
func.func @softmax(%x: tensor<2x10xf32>) {
  // CHECK: dlc.softmax %[[X]] : tensor<2x10xf32>
  %0 = dlc.softmax %x : tensor<2x10xf32>
  // CHECK: dlc.softmax %[[X]] {axis = 0 : i64} : tensor<2x10xf32>
  %1 = dlc.softmax %x {axis = 0 : i64} : tensor<2x10xf32>
  // CHECK: dlc.log_softmax %[[X]] : tensor<2x10xf32>
  %2 = dlc.log_softmax %x {axis = -1 : i64} : tensor<2x10xf32>
  // CHECK: dlc.log_softmax %[[X]] {axis = -2 : i64} : tensor<2x10xf32>
  %3 = dlc.log_softmax %x {axis = -2 : i64} : tensor<2x10xf32>
  return
}

// CHECK-LABEL: func.func @layer_norm
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[G:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>, %[[G2:[^:]+]]: tensor<5x8xf32>, %[[B2:[^:]+]]: tensor<5x8xf32>)
func.func @layer_norm(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>,
                      %g2: tensor<5x8xf32>, %b2: tensor<5x8xf32>) {
  // CHECK: dlc.layer_norm %[[X]], %[[G]], %[[B]] : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %0 = dlc.layer_norm %x, %g, %b : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  // CHECK: dlc.layer_norm %[[X]], %[[G2]], %[[B2]] {axis = 1 : i64, epsilon = 9.9999999999999995E-7 : f64} : (tensor<2x5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>) -> tensor<2x5x8xf32>
  %1 = dlc.layer_norm %x, %g2, %b2 {axis = 1 : i64, epsilon = 1.0e-6 : f64} : (tensor<2x5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>) -> tensor<2x5x8xf32>
  // CHECK: dlc.layer_norm %[[X]], %[[G2]], %[[B2]] {axis = -2 : i64} : (tensor<2x5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>) -> tensor<2x5x8xf32>
  %2 = dlc.layer_norm %x, %g2, %b2 {axis = -2 : i64} : (tensor<2x5x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>) -> tensor<2x5x8xf32>
  return
}

// CHECK-LABEL: func.func @batch_norm
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<4x3x8x8xf32>, %[[C:[^:]+]]: tensor<3xf32>, %[[Y:[^:]+]]: tensor<16x3xf32>)
func.func @batch_norm(%x: tensor<4x3x8x8xf32>, %c: tensor<3xf32>, %y: tensor<16x3xf32>) {
  // CHECK: dlc.batch_norm %[[X]], %[[C]], %[[C]], %[[C]], %[[C]] : (tensor<4x3x8x8xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3x8x8xf32>
  %0 = dlc.batch_norm %x, %c, %c, %c, %c : (tensor<4x3x8x8xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3x8x8xf32>
  // A 2-D [N, C] input (BatchNorm1d) with an explicit epsilon.
  // CHECK: dlc.batch_norm %[[Y]], %[[C]], %[[C]], %[[C]], %[[C]] {epsilon = 1.000000e-03 : f64} : (tensor<16x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<16x3xf32>
  %1 = dlc.batch_norm %y, %c, %c, %c, %c {epsilon = 1.0e-3 : f64} : (tensor<16x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<16x3xf32>
  return
}

// Batch dims broadcast like numpy: [2,1,M,K] x [3,K,N] -> [2,3,M,N].
// CHECK-LABEL: func.func @matmul
//  CHECK-SAME:   (%[[A:[^:]+]]: tensor<4x8xf32>, %[[B:[^:]+]]: tensor<8x16xf32>, %[[C:[^:]+]]: tensor<2x1x4x8xf32>, %[[D:[^:]+]]: tensor<3x8x5xf32>)
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>,
                  %c: tensor<2x1x4x8xf32>, %d: tensor<3x8x5xf32>) {
  // CHECK: dlc.matmul %[[A]], %[[B]] : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %0 = dlc.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  // CHECK: dlc.matmul %[[C]], %[[D]] : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  %1 = dlc.matmul %c, %d : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  // CHECK: dlc.matmul %[[C]], %[[B]] : (tensor<2x1x4x8xf32>, tensor<8x16xf32>) -> tensor<2x1x4x16xf32>
  %2 = dlc.matmul %c, %b : (tensor<2x1x4x8xf32>, tensor<8x16xf32>) -> tensor<2x1x4x16xf32>
  return
}

// CHECK-LABEL: func.func @batch_matmul
//  CHECK-SAME:   (%[[A:[^:]+]]: tensor<6x4x8xf16>, %[[B:[^:]+]]: tensor<6x8x2xf16>)
func.func @batch_matmul(%a: tensor<6x4x8xf16>, %b: tensor<6x8x2xf16>) -> tensor<6x4x2xf16> {
  // CHECK: %[[R:.+]] = dlc.batch_matmul %[[A]], %[[B]] : (tensor<6x4x8xf16>, tensor<6x8x2xf16>) -> tensor<6x4x2xf16>
  %0 = dlc.batch_matmul %a, %b : (tensor<6x4x8xf16>, tensor<6x8x2xf16>) -> tensor<6x4x2xf16>
  // CHECK: return %[[R]]
  return %0 : tensor<6x4x2xf16>
}

// CHECK-LABEL: func.func @dense
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<32x784xf32>, %[[W:[^:]+]]: tensor<128x784xf32>, %[[B:[^:]+]]: tensor<128xf32>, %[[S:[^:]+]]: tensor<2x7x784xf32>, %[[V:[^:]+]]: tensor<784xf32>)
func.func @dense(%x: tensor<32x784xf32>, %w: tensor<128x784xf32>, %b: tensor<128xf32>,
                 %s: tensor<2x7x784xf32>, %v: tensor<784xf32>) {
  // CHECK: dlc.dense %[[X]], %[[W]], %[[B]] : (tensor<32x784xf32>, tensor<128x784xf32>, tensor<128xf32>) -> tensor<32x128xf32>
  %0 = dlc.dense %x, %w, %b : (tensor<32x784xf32>, tensor<128x784xf32>, tensor<128xf32>) -> tensor<32x128xf32>
  // CHECK: dlc.dense %[[X]], %[[W]] : (tensor<32x784xf32>, tensor<128x784xf32>) -> tensor<32x128xf32>
  %1 = dlc.dense %x, %w : (tensor<32x784xf32>, tensor<128x784xf32>) -> tensor<32x128xf32>
  // Leading dims pass through; a 1-D input gives a 1-D result.
  // CHECK: dlc.dense %[[S]], %[[W]], %[[B]] : (tensor<2x7x784xf32>, tensor<128x784xf32>, tensor<128xf32>) -> tensor<2x7x128xf32>
  %2 = dlc.dense %s, %w, %b : (tensor<2x7x784xf32>, tensor<128x784xf32>, tensor<128xf32>) -> tensor<2x7x128xf32>
  // CHECK: dlc.dense %[[V]], %[[W]] : (tensor<784xf32>, tensor<128x784xf32>) -> tensor<128xf32>
  %3 = dlc.dense %v, %w : (tensor<784xf32>, tensor<128x784xf32>) -> tensor<128xf32>
  return
}

// out = floor((in + pad_begin + pad_end - dilation * (k - 1) - 1) / stride) + 1
// CHECK-LABEL: func.func @conv2d
//  CHECK-SAME:   (%[[X:[^:]+]]: tensor<1x3x32x32xf32>, %[[W:[^:]+]]: tensor<16x3x3x3xf32>, %[[B:[^:]+]]: tensor<16xf32>, %[[G:[^:]+]]: tensor<2x8x15x20xf32>, %[[WG:[^:]+]]: tensor<12x2x3x5xf32>, %[[DW:[^:]+]]: tensor<8x1x3x3xf32>)
func.func @conv2d(%x: tensor<1x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>,
                  %g: tensor<2x8x15x20xf32>, %wg: tensor<12x2x3x5xf32>,
                  %dw: tensor<8x1x3x3xf32>) {
  // "same" padding, with bias.
  // CHECK: dlc.conv2d %[[X]], %[[W]], %[[B]] {dilation = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x32x32xf32>
  %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x32x32xf32>
  // Strided, unpadded, no bias: (32 - 3) / 2 + 1 = 15.
  // CHECK: dlc.conv2d %[[X]], %[[W]] {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x15x15xf32>
  %1 = dlc.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x15x15xf32>
  // Dilated: span 2 * (3 - 1) + 1 = 5, (32 + 2 + 2 - 5) / 1 + 1 = 32;
  // width with asymmetric padding 0/1: (32 + 0 + 1 - 5) / 3 + 1 = 10.
  // CHECK: dlc.conv2d %[[X]], %[[W]] {dilation = array<i64: 2, 2>, padding = array<i64: 2, 0, 2, 1>, stride = array<i64: 1, 3>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x32x10xf32>
  %2 = dlc.conv2d %x, %w {stride = array<i64: 1, 3>, padding = array<i64: 2, 0, 2, 1>, dilation = array<i64: 2, 2>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x32x10xf32>
  // Grouped: 8 input channels in 4 groups of 2, 12 outputs, 3x5 kernel:
  // h = (15 + 1 + 1 - 3) / 2 + 1 = 8, w = (20 + 0 + 0 - 5) / 2 + 1 = 8.
  // CHECK: dlc.conv2d %[[G]], %[[WG]] {dilation = array<i64: 1, 1>, groups = 4 : i64, padding = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<2x8x15x20xf32>, tensor<12x2x3x5xf32>) -> tensor<2x12x8x8xf32>
  %3 = dlc.conv2d %g, %wg {stride = array<i64: 2, 2>, padding = array<i64: 1, 0, 1, 0>, dilation = array<i64: 1, 1>, groups = 4 : i64} : (tensor<2x8x15x20xf32>, tensor<12x2x3x5xf32>) -> tensor<2x12x8x8xf32>
  // Depthwise (groups = channels).
  // CHECK: dlc.conv2d %[[G]], %[[DW]] {dilation = array<i64: 1, 1>, groups = 8 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<2x8x15x20xf32>, tensor<8x1x3x3xf32>) -> tensor<2x8x15x20xf32>
  %4 = dlc.conv2d %g, %dw {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 8 : i64} : (tensor<2x8x15x20xf32>, tensor<8x1x3x3xf32>) -> tensor<2x8x15x20xf32>
  // groups = 1 is the default and elided.
  // CHECK: dlc.conv2d %[[X]], %[[W]] {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32>
  %5 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x30x30xf32>
  return
}

// CHECK-LABEL: func.func @pooling
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x16x28x28xf32>)
func.func @pooling(%x: tensor<2x16x28x28xf32>) {
  // CHECK: dlc.max_pool2d %[[X]] {dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x14x14xf32>
  %0 = dlc.max_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x14x14xf32>
  // 3x3, stride 2, pad 1 (ResNet stem): (28 + 2 - 3) / 2 + 1 = 14.
  // CHECK: dlc.max_pool2d %[[X]] {dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x14x14xf32>
  %1 = dlc.max_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x14x14xf32>
  // Dilated, non-square: h span 2 * 2 + 1 = 5, (28 - 5) / 1 + 1 = 24;
  // w span 1, (28 + 0 + 0 - 1) / 3 + 1 = 10.
  // CHECK: dlc.max_pool2d %[[X]] {dilation = array<i64: 2, 1>, kernel_size = array<i64: 3, 1>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 3>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x24x10xf32>
  %2 = dlc.max_pool2d %x {kernel_size = array<i64: 3, 1>, stride = array<i64: 1, 3>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 2, 1>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x24x10xf32>
  // CHECK: dlc.avg_pool2d %[[X]] {kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x14x14xf32>
  %3 = dlc.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x14x14xf32>
  // (28 + 1 + 1 - 3) / 3 + 1 = 10 (floor mode).
  // CHECK: dlc.avg_pool2d %[[X]] {count_include_pad = true, kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 3, 3>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x10x10xf32>
  %4 = dlc.avg_pool2d %x {kernel_size = array<i64: 3, 3>, stride = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, count_include_pad = true} : (tensor<2x16x28x28xf32>) -> tensor<2x16x10x10xf32>
  // Global average pooling.
  // CHECK: dlc.avg_pool2d %[[X]] {kernel_size = array<i64: 28, 28>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<2x16x28x28xf32>) -> tensor<2x16x1x1xf32>
  %5 = dlc.avg_pool2d %x {kernel_size = array<i64: 28, 28>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, count_include_pad = false} : (tensor<2x16x28x28xf32>) -> tensor<2x16x1x1xf32>
  return
}

// CHECK-LABEL: func.func @reshape
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xf32>)
func.func @reshape(%x: tensor<2x3x4xf32>) {
  // CHECK: dlc.reshape %[[X]] {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %0 = dlc.reshape %x {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  // CHECK: dlc.reshape %[[X]] {shape = array<i64: -1, 12>} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %1 = dlc.reshape %x {shape = array<i64: -1, 12>} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  // CHECK: dlc.reshape %[[X]] {shape = array<i64: 4, 1, -1>} : (tensor<2x3x4xf32>) -> tensor<4x1x6xf32>
  %2 = dlc.reshape %x {shape = array<i64: 4, 1, -1>} : (tensor<2x3x4xf32>) -> tensor<4x1x6xf32>
  // CHECK: dlc.reshape %[[X]] {shape = array<i64: -1>} : (tensor<2x3x4xf32>) -> tensor<24xf32>
  %3 = dlc.reshape %x {shape = array<i64: -1>} : (tensor<2x3x4xf32>) -> tensor<24xf32>
  // CHECK: %[[S:.+]] = dlc.reshape %{{.+}} {shape = array<i64>} : (tensor<1x1xf32>) -> tensor<f32>
  %c = dlc.constant dense<5.0> : tensor<1x1xf32>
  %4 = dlc.reshape %c {shape = array<i64>} : (tensor<1x1xf32>) -> tensor<f32>
  return
}

// CHECK-LABEL: func.func @flatten
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4x5xf32>)
func.func @flatten(%x: tensor<2x3x4x5xf32>) {
  // CHECK: dlc.flatten %[[X]] : (tensor<2x3x4x5xf32>) -> tensor<2x60xf32>
  %0 = dlc.flatten %x : (tensor<2x3x4x5xf32>) -> tensor<2x60xf32>
  // CHECK: dlc.flatten %[[X]] {axis = 0 : i64} : (tensor<2x3x4x5xf32>) -> tensor<1x120xf32>
  %1 = dlc.flatten %x {axis = 0 : i64} : (tensor<2x3x4x5xf32>) -> tensor<1x120xf32>
  // CHECK: dlc.flatten %[[X]] {axis = 4 : i64} : (tensor<2x3x4x5xf32>) -> tensor<120x1xf32>
  %2 = dlc.flatten %x {axis = 4 : i64} : (tensor<2x3x4x5xf32>) -> tensor<120x1xf32>
  // CHECK: dlc.flatten %[[X]] {axis = -1 : i64} : (tensor<2x3x4x5xf32>) -> tensor<24x5xf32>
  %3 = dlc.flatten %x {axis = -1 : i64} : (tensor<2x3x4x5xf32>) -> tensor<24x5xf32>
  // CHECK: dlc.flatten %[[X]] {axis = -4 : i64} : (tensor<2x3x4x5xf32>) -> tensor<1x120xf32>
  %4 = dlc.flatten %x {axis = -4 : i64} : (tensor<2x3x4x5xf32>) -> tensor<1x120xf32>
  return
}

// CHECK-LABEL: func.func @transpose
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3x4xi32>)
func.func @transpose(%x: tensor<2x3x4xi32>) {
  // CHECK: dlc.transpose %[[X]] {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xi32>) -> tensor<4x2x3xi32>
  %0 = dlc.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xi32>) -> tensor<4x2x3xi32>
  // CHECK: dlc.transpose %[[X]] {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xi32>) -> tensor<2x4x3xi32>
  %1 = dlc.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xi32>) -> tensor<2x4x3xi32>
  // CHECK: dlc.transpose %[[X]] {perm = array<i64: 0, 1, 2>} : (tensor<2x3x4xi32>) -> tensor<2x3x4xi32>
  %2 = dlc.transpose %x {perm = array<i64: 0, 1, 2>} : (tensor<2x3x4xi32>) -> tensor<2x3x4xi32>
  return
}

// CHECK-LABEL: func.func @concat
//  CHECK-SAME:   (%[[A:[^:]+]]: tensor<2x3xf32>, %[[B:[^:]+]]: tensor<2x5xf32>, %[[C:[^:]+]]: tensor<4x3xf32>)
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>, %c: tensor<4x3xf32>) {
  // CHECK: dlc.concat %[[A]], %[[B]], %[[A]] {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x3xf32>) -> tensor<2x11xf32>
  %0 = dlc.concat %a, %b, %a {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>, tensor<2x3xf32>) -> tensor<2x11xf32>
  // CHECK: dlc.concat %[[A]], %[[C]] {axis = -2 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<6x3xf32>
  %1 = dlc.concat %a, %c {axis = -2 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<6x3xf32>
  // CHECK: dlc.concat %[[B]] {axis = 0 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %2 = dlc.concat %b {axis = 0 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return
}

// Python slicing: negative indices count from the end, out-of-range ones
// clamp, the count is ceil((end - start) / step), empty when end <= start.
// CHECK-LABEL: func.func @slice
//  CHECK-SAME:   (%[[X:.+]]: tensor<10x8x6xf32>)
func.func @slice(%x: tensor<10x8x6xf32>) {
  // x[1:9:2]: 4 rows.
  // CHECK: dlc.slice %[[X]] {ends = array<i64: 9>, starts = array<i64: 1>, steps = array<i64: 2>} : (tensor<10x8x6xf32>) -> tensor<4x8x6xf32>
  %0 = dlc.slice %x {starts = array<i64: 1>, ends = array<i64: 9>, steps = array<i64: 2>} : (tensor<10x8x6xf32>) -> tensor<4x8x6xf32>
  // x[:, -3:, 1:-1]: 3 and 4.
  // CHECK: dlc.slice %[[X]] {axes = array<i64: 1, 2>, ends = array<i64: 8, -1>, starts = array<i64: -3, 1>} : (tensor<10x8x6xf32>) -> tensor<10x3x4xf32>
  %1 = dlc.slice %x {starts = array<i64: -3, 1>, ends = array<i64: 8, -1>, axes = array<i64: 1, 2>} : (tensor<10x8x6xf32>) -> tensor<10x3x4xf32>
  // Negative axis, ends past the dim clamp: x[..., 4:100] -> 2.
  // CHECK: dlc.slice %[[X]] {axes = array<i64: -1>, ends = array<i64: 100>, starts = array<i64: 4>} : (tensor<10x8x6xf32>) -> tensor<10x8x2xf32>
  %2 = dlc.slice %x {starts = array<i64: 4>, ends = array<i64: 100>, axes = array<i64: -1>} : (tensor<10x8x6xf32>) -> tensor<10x8x2xf32>
  // Starts before the beginning clamp to 0: x[-100:3:2] -> 2 (rows 0, 2).
  // CHECK: dlc.slice %[[X]] {ends = array<i64: 3>, starts = array<i64: -100>, steps = array<i64: 2>} : (tensor<10x8x6xf32>) -> tensor<2x8x6xf32>
  %3 = dlc.slice %x {starts = array<i64: -100>, ends = array<i64: 3>, steps = array<i64: 2>} : (tensor<10x8x6xf32>) -> tensor<2x8x6xf32>
  // Empty: end before start.
  // CHECK: dlc.slice %[[X]] {axes = array<i64: 0>, ends = array<i64: -8>, starts = array<i64: 5>} : (tensor<10x8x6xf32>) -> tensor<0x8x6xf32>
  %4 = dlc.slice %x {starts = array<i64: 5>, ends = array<i64: -8>, axes = array<i64: 0>} : (tensor<10x8x6xf32>) -> tensor<0x8x6xf32>
  // Axes out of order, each with its own step: x[::3, :, 1::4] -> 4 and 2.
  // CHECK: dlc.slice %[[X]] {axes = array<i64: 2, 0>, ends = array<i64: 6, 10>, starts = array<i64: 1, 0>, steps = array<i64: 4, 3>} : (tensor<10x8x6xf32>) -> tensor<4x8x2xf32>
  %5 = dlc.slice %x {starts = array<i64: 1, 0>, ends = array<i64: 6, 10>, axes = array<i64: 2, 0>, steps = array<i64: 4, 3>} : (tensor<10x8x6xf32>) -> tensor<4x8x2xf32>
  return
}

// CHECK-LABEL: func.func @broadcast
//  CHECK-SAME:   (%[[X:.+]]: tensor<3x1xf32>)
func.func @broadcast(%x: tensor<3x1xf32>) {
  // CHECK: dlc.broadcast %[[X]] {shape = array<i64: 2, 3, 4>} : (tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %0 = dlc.broadcast %x {shape = array<i64: 2, 3, 4>} : (tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: dlc.broadcast %[[X]] {shape = array<i64: 3, 1>} : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %1 = dlc.broadcast %x {shape = array<i64: 3, 1>} : (tensor<3x1xf32>) -> tensor<3x1xf32>
  // CHECK: dlc.broadcast %[[X]] {shape = array<i64: 3, 0>} : (tensor<3x1xf32>) -> tensor<3x0xf32>
  %2 = dlc.broadcast %x {shape = array<i64: 3, 0>} : (tensor<3x1xf32>) -> tensor<3x0xf32>
  return
}

// The result type comes from the value; constants of every element type.
// CHECK-LABEL: func.func @constants
func.func @constants() {
  // CHECK: dlc.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  %0 = dlc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // CHECK: dlc.constant dense<0.000000e+00> : tensor<3x4xf16>
  %1 = dlc.constant dense<0.0> : tensor<3x4xf16>
  // CHECK: dlc.constant dense<[1, -2, 3]> : tensor<3xi64>
  %2 = dlc.constant dense<[1, -2, 3]> : tensor<3xi64>
  // CHECK: dlc.constant dense<[true, false]> : tensor<2xi1>
  %3 = dlc.constant dense<[true, false]> : tensor<2xi1>
  // CHECK: dlc.constant dense<2.500000e+00> : tensor<f64>
  %4 = dlc.constant dense<2.5> : tensor<f64>
  // CHECK: dlc.constant dense<7> : tensor<i32>
  %5 = dlc.constant dense<7> : tensor<i32>
  // CHECK: dlc.constant dense<1.000000e+00> : tensor<2xbf16>
  %6 = dlc.constant dense<1.0> : tensor<2xbf16>
  return
}

// CHECK-LABEL: func.func @losses
//  CHECK-SAME:   (%[[L:[^:]+]]: tensor<32x10xf32>, %[[Y:[^:]+]]: tensor<32xi64>, %[[Y32:[^:]+]]: tensor<32xi32>, %[[P:[^:]+]]: tensor<4x3xf64>, %[[T:[^:]+]]: tensor<4x3xf64>)
func.func @losses(%logits: tensor<32x10xf32>, %labels: tensor<32xi64>,
                  %labels32: tensor<32xi32>, %p: tensor<4x3xf64>,
                  %t: tensor<4x3xf64>) {
  // CHECK: dlc.softmax_cross_entropy %[[L]], %[[Y]] : (tensor<32x10xf32>, tensor<32xi64>) -> tensor<f32>
  %0 = dlc.softmax_cross_entropy %logits, %labels : (tensor<32x10xf32>, tensor<32xi64>) -> tensor<f32>
  // CHECK: dlc.softmax_cross_entropy %[[L]], %[[Y32]] : (tensor<32x10xf32>, tensor<32xi32>) -> tensor<f32>
  %1 = dlc.softmax_cross_entropy %logits, %labels32 : (tensor<32x10xf32>, tensor<32xi32>) -> tensor<f32>
  // CHECK: dlc.mse_loss %[[P]], %[[T]] : (tensor<4x3xf64>, tensor<4x3xf64>) -> tensor<f64>
  %2 = dlc.mse_loss %p, %t : (tensor<4x3xf64>, tensor<4x3xf64>) -> tensor<f64>
  return
}

// A small model, end to end: conv, relu, pool, flatten, dense, loss.
// CHECK-LABEL: func.func @lenet_step
//       CHECK:   dlc.conv2d {{.*}} -> tensor<8x6x28x28xf32>
//       CHECK:   dlc.relu {{.*}} : tensor<8x6x28x28xf32>
//       CHECK:   dlc.max_pool2d {{.*}} -> tensor<8x6x14x14xf32>
//       CHECK:   dlc.flatten {{.*}} -> tensor<8x1176xf32>
//       CHECK:   dlc.dense {{.*}} -> tensor<8x10xf32>
//       CHECK:   %[[LOSS:.+]] = dlc.softmax_cross_entropy {{.*}} -> tensor<f32>
//       CHECK:   return %[[LOSS]] : tensor<f32>
func.func @lenet_step(%x: tensor<8x1x28x28xf32>, %w: tensor<6x1x5x5xf32>,
                      %b: tensor<6xf32>, %fw: tensor<10x1176xf32>,
                      %fb: tensor<10xf32>, %y: tensor<8xi64>) -> tensor<f32> {
  %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 2, 2, 2, 2>, dilation = array<i64: 1, 1>} : (tensor<8x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<8x6x28x28xf32>
  %1 = dlc.relu %0 : tensor<8x6x28x28xf32>
  %2 = dlc.max_pool2d %1 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<8x6x28x28xf32>) -> tensor<8x6x14x14xf32>
  %3 = dlc.flatten %2 : (tensor<8x6x14x14xf32>) -> tensor<8x1176xf32>
  %4 = dlc.dense %3, %fw, %fb : (tensor<8x1176xf32>, tensor<10x1176xf32>, tensor<10xf32>) -> tensor<8x10xf32>
  %5 = dlc.softmax_cross_entropy %4, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return %5 : tensor<f32>
}
