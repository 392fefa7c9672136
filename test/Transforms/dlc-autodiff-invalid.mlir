// RUN: dlc-opt %s --split-input-file --dlc-autodiff --verify-diagnostics

// expected-error @+1 {{expects a 'dlc.training' module attribute with a 'loss' name}}
module {
  func.func @forward(%w: tensor<3xf32> {dlc.param = "w", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "loss"}) {
    %0 = dlc.reduce_sum %w : (tensor<3xf32>) -> tensor<f32>
    return %0 : tensor<f32>
  }
}

// -----

module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  // expected-error @+1 {{has no result named 'loss' (the dlc.training loss)}}
  func.func @forward(%w: tensor<3xf32> {dlc.param = "w", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "total"}) {
    %0 = dlc.reduce_sum %w : (tensor<3xf32>) -> tensor<f32>
    return %0 : tensor<f32>
  }
}

// -----

module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  // expected-error @+1 {{expects the loss 'loss' to be a 0-d float tensor, got 'tensor<3xf32>'}}
  func.func @forward(%w: tensor<3xf32> {dlc.param = "w", dlc.init = {scheme = "zeros"}})
      -> (tensor<3xf32> {dlc.output = "loss"}) {
    %0 = dlc.exp %w : tensor<3xf32>
    return %0 : tensor<3xf32>
  }
}

// -----

module attributes {dlc.training = {loss = "loss", optimizer = {name = "sgd"}}} {
  func.func @forward(%w: tensor<3xf32> {dlc.param = "w", dlc.init = {scheme = "zeros"}})
      -> (tensor<f32> {dlc.output = "loss"}) {
    // expected-error @+1 {{'dlc.fusion' op has no differentiation rule, but the loss 'loss' depends on it through a differentiated argument}}
    %0 = dlc.fusion elementwise "k0" (%a = %w : tensor<3xf32>) -> tensor<3xf32> {
      %1 = dlc.exp %a : tensor<3xf32>
      dlc.yield %1 : tensor<3xf32>
    }
    %2 = dlc.reduce_sum %0 : (tensor<3xf32>) -> tensor<f32>
    return %2 : tensor<f32>
  }
}
