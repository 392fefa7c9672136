// RUN: dlc-opt %s --split-input-file --dlc-autodiff | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-autodiff=wrt-inputs=x | FileCheck %s --check-prefix=WRT

// A broadcast parameter used through a value read twice: the two cotangents
// of %0 are summed, then reduced over the broadcast dim.
// CHECK-LABEL: func.func @bias_square
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x3xf32> {dlc.input = "x"}, %[[B:.+]]: tensor<3xf32> {{.*}}dlc.param = "b"})
//  CHECK-SAME:   -> (tensor<f32> {dlc.output = "loss"}, tensor<3xf32> {dlc.output = "grad:b"})
//       CHECK:   %[[S:.+]] = dlc.add %[[X]], %[[B]]
//       CHECK:   %[[L:.+]] = dlc.reduce_sum
//       CHECK:   %[[ONE:.+]] = dlc.constant dense<1.000000e+00> : tensor<f32>
//       CHECK:   %[[R:.+]] = dlc.reshape %[[ONE]] {shape = array<i64: 1, 1>}
//       CHECK:   %[[G:.+]] = dlc.broadcast %[[R]] {shape = array<i64: 2, 3>}
//       CHECK:   %[[G1:.+]] = dlc.mul %[[G]], %[[S]]
//       CHECK:   %[[G2:.+]] = dlc.mul %[[G]], %[[S]]
//       CHECK:   %[[GS:.+]] = dlc.add %[[G1]], %[[G2]]
//       CHECK:   %[[GB:.+]] = dlc.reduce_sum %[[GS]] {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<3xf32>
//       CHECK:   return %[[L]], %[[GB]] : tensor<f32>, tensor<3xf32>
// WRT-LABEL: func.func @bias_square
//  WRT-SAME:   -> (tensor<f32> {dlc.output = "loss"}, tensor<2x3xf32> {dlc.output = "grad:x"}, tensor<3xf32> {dlc.output = "grad:b"})
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @bias_square(%x: tensor<2x3xf32> {dlc.input = "x"},
                         %b: tensor<3xf32> {dlc.param = "b", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "loss"}) {
    %0 = dlc.add %x, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    %1 = dlc.mul %0, %0 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    %2 = dlc.reduce_sum %1 : (tensor<2x3xf32>) -> tensor<f32>
    return %2 : tensor<f32>
  }
}

// -----

// dense + relu + softmax_cross_entropy: the loss rule is softmax - onehot
// (built from existing ops), the labels get no gradient.
// CHECK-LABEL: func.func @classifier
//  CHECK-SAME:   -> (tensor<f32> {dlc.output = "loss"}, tensor<5x3xf32> {dlc.output = "grad:fc.weight"}, tensor<5xf32> {dlc.output = "grad:fc.bias"})
//       CHECK:   %[[Z:.+]] = dlc.dense
//       CHECK:   %[[A:.+]] = dlc.relu %[[Z]]
//       CHECK:   dlc.softmax_cross_entropy
//       CHECK:   %[[IDS:.+]] = dlc.constant dense<[0, 1, 2, 3, 4]> : tensor<5xi64>
//       CHECK:   %[[EQ:.+]] = dlc.compare {{.*}}, %[[IDS]] {predicate = "eq"}
//       CHECK:   %[[HOT:.+]] = dlc.cast %[[EQ]] {to = f32}
//       CHECK:   %[[P:.+]] = dlc.softmax %[[A]]
//       CHECK:   dlc.sub %[[P]], %[[HOT]]
//       CHECK:   dlc.compare %[[Z]], {{.*}} {predicate = "gt"}
//       CHECK:   %[[GZ:.+]] = dlc.where
//       CHECK:   %[[T:.+]] = dlc.transpose %[[GZ]] {perm = array<i64: 1, 0>}
//       CHECK:   %[[GW:.+]] = dlc.matmul %[[T]], %{{.+}} : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
//       CHECK:   %[[GB:.+]] = dlc.reduce_sum %[[GZ]] {axes = array<i64: 0>}
//       CHECK:   return %{{.+}}, %[[GW]], %[[GB]]
// WRT-LABEL: func.func @classifier
//       WRT:   dlc.matmul %{{.+}}, %{{.+}} : (tensor<4x5xf32>, tensor<5x3xf32>) -> tensor<4x3xf32>
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @classifier(%x: tensor<4x3xf32> {dlc.input = "x"},
                        %w: tensor<5x3xf32> {dlc.param = "fc.weight", dlc.init = {scheme = "zeros"}},
                        %b: tensor<5xf32> {dlc.param = "fc.bias", dlc.init = {scheme = "zeros"}},
                        %l: tensor<4xi64> {dlc.input = "labels"})
      -> (tensor<f32> {dlc.output = "loss"}) {
    %0 = dlc.dense %x, %w, %b : (tensor<4x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<4x5xf32>
    %1 = dlc.relu %0 : tensor<4x5xf32>
    %2 = dlc.softmax_cross_entropy %1, %l : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<f32>
    return %2 : tensor<f32>
  }
}

// -----

// conv2d + max_pool2d: the backward ops; no conv2d_backward_input unless the
// input is differentiated too (wrt-inputs). The gradients follow the existing
// results.
// CHECK-LABEL: func.func @conv_pool
//  CHECK-SAME:   -> (tensor<1x2x2x2xf32> {dlc.output = "y"}, tensor<f32> {dlc.output = "loss"}, tensor<2x1x3x3xf32> {dlc.output = "grad:conv.weight"}, tensor<2xf32> {dlc.output = "grad:conv.bias"})
//       CHECK:   %[[C:.+]] = dlc.conv2d
//       CHECK:   %[[GP:.+]] = dlc.max_pool2d_backward %{{.+}}, %[[C]] {dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 3, 3>} : (tensor<1x2x2x2xf32>, tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
//   CHECK-NOT:   dlc.conv2d_backward_input
//       CHECK:   %[[GW:.+]] = dlc.conv2d_backward_weight %[[GP]], %{{.+}} {dilation = array<i64: 1, 1>, kernel_size = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x2x6x6xf32>, tensor<1x1x6x6xf32>) -> tensor<2x1x3x3xf32>
//       CHECK:   %[[GB:.+]] = dlc.reduce_sum %[[GP]] {axes = array<i64: 0, 2, 3>}
//       CHECK:   return %{{.+}}, %{{.+}}, %[[GW]], %[[GB]]
// WRT-LABEL: func.func @conv_pool
//       WRT:   dlc.conv2d_backward_input %{{.+}}, %{{.+}} {dilation = array<i64: 1, 1>, input_shape = array<i64: 1, 1, 6, 6>, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x2x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<1x1x6x6xf32>
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @conv_pool(%x: tensor<1x1x6x6xf32> {dlc.input = "x"},
                       %w: tensor<2x1x3x3xf32> {dlc.param = "conv.weight", dlc.init = {scheme = "zeros"}},
                       %b: tensor<2xf32> {dlc.param = "conv.bias", dlc.init = {scheme = "zeros"}})
      -> (tensor<1x2x2x2xf32> {dlc.output = "y"}, tensor<f32> {dlc.output = "loss"}) {
    %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32>
    %1 = dlc.max_pool2d %0 {kernel_size = array<i64: 3, 3>, stride = array<i64: 3, 3>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x2x6x6xf32>) -> tensor<1x2x2x2xf32>
    %2 = dlc.reduce_mean %1 : (tensor<1x2x2x2xf32>) -> tensor<f32>
    return %1, %2 : tensor<1x2x2x2xf32>, tensor<f32>
  }
}

// -----

// A parameter the loss does not depend on gets zeros.
// CHECK-LABEL: func.func @unused
//  CHECK-SAME:   -> (tensor<f32> {dlc.output = "loss"}, tensor<2xf32> {dlc.output = "grad:u"})
//       CHECK:   %[[Z:.+]] = dlc.constant dense<0.000000e+00> : tensor<2xf32>
//       CHECK:   return %{{.+}}, %[[Z]]
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @unused(%x: tensor<3xf32> {dlc.input = "x"},
                    %u: tensor<2xf32> {dlc.param = "u", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "loss"}) {
    %0 = dlc.reduce_sum %x : (tensor<3xf32>) -> tensor<f32>
    return %0 : tensor<f32>
  }
}

// -----

// Slices that tile a value along one axis: its cotangent is the concat of
// theirs (one elementwise op that fuses), not a sum of zero-padded
// slice_backwards (a kernel each). The slices are read out of order.
// CHECK-LABEL: func.func @tiling_slices
//       CHECK:   %[[GB:.+]] = dlc.broadcast %{{.+}} {shape = array<i64: 2, 3>}
//   CHECK-NOT:   dlc.slice_backward
//       CHECK:   %[[B5:.+]] = dlc.broadcast %{{.+}} {shape = array<i64: 2, 5>}
//       CHECK:   %[[GA:.+]] = dlc.mul %[[B5]], %{{.+}} : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
//   CHECK-NOT:   dlc.slice_backward
//       CHECK:   %[[G:.+]] = dlc.concat %[[GB]], %[[GA]] {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
//   CHECK-NOT:   dlc.add
//       CHECK:   return %{{.+}}, %[[G]] : tensor<f32>, tensor<2x8xf32>
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @tiling_slices(%x: tensor<2xf32> {dlc.input = "x"}, %p: tensor<2x8xf32> {dlc.param = "p", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "loss"}) {
    %a = dlc.slice %p {starts = array<i64: 3>, ends = array<i64: 8>, axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x5xf32>
    %b = dlc.slice %p {starts = array<i64: 0>, ends = array<i64: 3>, axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x3xf32>
    %ta = dlc.tanh %a : tensor<2x5xf32>
    %sa = dlc.reduce_sum %ta : (tensor<2x5xf32>) -> tensor<f32>
    %sb = dlc.reduce_sum %b : (tensor<2x3xf32>) -> tensor<f32>
    %l = dlc.add %sa, %sb : (tensor<f32>, tensor<f32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// A gap (column 3 is read by nobody): the slice_backwards are summed.
// CHECK-LABEL: func.func @slices_with_a_gap
//   CHECK-NOT:   dlc.concat
//       CHECK:   %[[A:.+]] = dlc.slice_backward
//       CHECK:   %[[B:.+]] = dlc.slice_backward
//       CHECK:   %[[G:.+]] = dlc.add %[[A]], %[[B]]
//       CHECK:   return %{{.+}}, %[[G]] : tensor<f32>, tensor<2x8xf32>
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @slices_with_a_gap(%x: tensor<2xf32> {dlc.input = "x"}, %p: tensor<2x8xf32> {dlc.param = "p", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "loss"}) {
    %a = dlc.slice %p {starts = array<i64: 4>, ends = array<i64: 8>, axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x4xf32>
    %b = dlc.slice %p {starts = array<i64: 0>, ends = array<i64: 3>, axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x3xf32>
    %sa = dlc.reduce_sum %a : (tensor<2x4xf32>) -> tensor<f32>
    %sb = dlc.reduce_sum %b : (tensor<2x3xf32>) -> tensor<f32>
    %l = dlc.add %sa, %sb : (tensor<f32>, tensor<f32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}
