// RUN: dlc-opt %s --split-input-file --verify-diagnostics

// The loss-scaling operands of the optimizer updates, and where update ops
// may appear in a dlc.fusion.

func.func @grad_scale_not_scalar(%p: tensor<4xf32>, %s: tensor<f32>, %gs: tensor<1xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.sgd_update' op expects grad_scale to be a 0-d f32 tensor, got tensor<1xf32>}}
  %0:2 = dlc.sgd_update %p, %p, %p, %s, %s grad_scale %gs : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<1xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %0#0 : tensor<4xf32>
}

// -----

func.func @skip_not_f32(%p: tensor<4xf64>, %s: tensor<f64>) -> tensor<4xf64> {
  // expected-error @+1 {{'dlc.adam_update' op expects skip to be a 0-d f32 tensor, got tensor<f64>}}
  %0:3 = dlc.adam_update %p, %p, %p, %p, %s, %s skip %s : (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<f64>, tensor<f64>, tensor<f64>) -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>)
  return %0#0 : tensor<4xf64>
}

// -----

func.func @update_in_elementwise(%p: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects optimizer updates only in a 'multi_tensor' fusion, got 'dlc.sgd_update'}}
  %r = dlc.fusion elementwise "k0" (%a = %p : tensor<4xf32>, %b = %s : tensor<f32>) -> tensor<4xf32> {
    %0:2 = dlc.sgd_update %a, %a, %a, %b, %b : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>)
    dlc.yield %0#0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @relu_in_multi_tensor(%p: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects only optimizer updates in a 'multi_tensor' body, got 'dlc.relu'}}
  %r = dlc.fusion multi_tensor "k0" (%a = %p : tensor<4xf32>) -> tensor<4xf32> {
    %0 = dlc.relu %a : tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
