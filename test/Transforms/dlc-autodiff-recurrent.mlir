// RUN: dlc-opt %s --split-input-file --dlc-autodiff --verify-diagnostics
// RUN: dlc-opt %s --split-input-file --dlc-unroll-recurrent --dlc-autodiff | FileCheck %s

// dlc.lstm and dlc.gru have no rule of their own: autodiff refuses them
// (instead of dropping their cotangents), and differentiates the graph that
// --dlc-unroll-recurrent builds (numerics: test/unit/GradientCheckTest.cpp).

// CHECK-LABEL: func.func @forward
//  CHECK-SAME:   {dlc.output = "grad:w"}, tensor<1x12x3xf32> {dlc.output = "grad:r"})
//   CHECK-NOT:   dlc.lstm
//       CHECK:   return
module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @forward(%x: tensor<3x1x2xf32> {dlc.input = "x"},
                     %w: tensor<1x12x2xf32> {dlc.param = "w", dlc.init = {scheme = "zeros"}},
                     %r: tensor<1x12x3xf32> {dlc.param = "r", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "loss"}) {
    // expected-error @+1 {{'dlc.lstm' op has several results and no differentiation rule; run --dlc-unroll-recurrent before --dlc-autodiff}}
    %y, %h, %c = dlc.lstm %x, %w, %r {hidden_size = 3 : i64} : (tensor<3x1x2xf32>, tensor<1x12x2xf32>, tensor<1x12x3xf32>) -> (tensor<3x1x1x3xf32>, tensor<1x1x3xf32>, tensor<1x1x3xf32>)
    %0 = dlc.reduce_sum %h : (tensor<1x1x3xf32>) -> tensor<f32>
    return %0 : tensor<f32>
  }
}
