// RUN: dlc-opt %s --pass-pipeline="builtin.module(func.func(dlc-mixed-precision{precision=bf16}),dlc-autodiff)" | FileCheck %s

// Mixed precision before autodiff (as dlc train does it): the backward graph
// is bf16 where the forward is (the weight gradient's matmul, the relu
// mask), f32 where the forward is (the loss rule), and the gradients of the
// f32 params arrive in f32 through the VJP of their casts.
// CHECK-LABEL: func.func @forward
//  CHECK-SAME:   -> (tensor<f32> {dlc.output = "loss"}, tensor<5x3xf32> {dlc.output = "grad:fc.weight"}, tensor<5xf32> {dlc.output = "grad:fc.bias"})
//       CHECK:   %[[X16:.+]] = dlc.cast %{{.+}} {to = bf16} : (tensor<4x3xf32>) -> tensor<4x3xbf16>
//       CHECK:   %[[Z:.+]] = dlc.dense %[[X16]], {{.*}} -> tensor<4x5xbf16>
//       CHECK:   %[[D:.+]] = dlc.sub {{.*}} : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
//       CHECK:   %[[D16:.+]] = dlc.cast %{{.+}} {to = bf16} : (tensor<4x5xf32>) -> tensor<4x5xbf16>
//       CHECK:   %[[GZ:.+]] = dlc.where %{{.+}}, %[[D16]], %{{.+}} : (tensor<4x5xi1>, tensor<4x5xbf16>, tensor<bf16>) -> tensor<4x5xbf16>
//       CHECK:   %[[T:.+]] = dlc.transpose %[[GZ]]
//       CHECK:   %[[GW:.+]] = dlc.matmul %[[T]], %[[X16]] : (tensor<5x4xbf16>, tensor<4x3xbf16>) -> tensor<5x3xbf16>
//       CHECK:   %[[GB:.+]] = dlc.reduce_sum %[[GZ]] {axes = array<i64: 0>} : (tensor<4x5xbf16>) -> tensor<5xbf16>
//       CHECK:   %[[GW32:.+]] = dlc.cast %[[GW]] {to = f32} : (tensor<5x3xbf16>) -> tensor<5x3xf32>
//       CHECK:   %[[GB32:.+]] = dlc.cast %[[GB]] {to = f32} : (tensor<5xbf16>) -> tensor<5xf32>
//       CHECK:   return %{{.+}}, %[[GW32]], %[[GB32]]
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @forward(%x: tensor<4x3xf32> {dlc.input = "x"},
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
