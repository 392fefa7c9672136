// RUN: dlc-opt %s --split-input-file --verify-diagnostics

// One case per verifier message of dlc.attention and dlc.attention_backward
// (ir/ShapeRulesAttention.cpp).

func.func @rank(%q: tensor<2x3x4xf32>, %k: tensor<1x2x3x4xf32>) {
  // expected-error @+1 {{'dlc.attention' op expects query of rank 4 [B, H, T, D], got [2, 3, 4]}}
  %o, %l = dlc.attention %q, %k, %k {scale = 1.0 : f64} : (tensor<2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3xf32>)
  return
}

// -----

func.func @elem(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf16>) {
  // expected-error @+1 {{'dlc.attention' op expects key of element type f32, got f16}}
  %o, %l = dlc.attention %q, %k, %q {scale = 1.0 : f64} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf16>, tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3xf32>)
  return
}

// -----

func.func @key(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x5x8xf32>) {
  // expected-error @+1 {{'dlc.attention' op expects key [1, 2, Tk, 4] for query [1, 2, 3, 4], got [1, 2, 5, 8]}}
  %o, %l = dlc.attention %q, %k, %k {scale = 1.0 : f64} : (tensor<1x2x3x4xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> (tensor<1x2x3x8xf32>, tensor<1x2x3xf32>)
  return
}

// -----

func.func @value(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x6x4xf32>) {
  // expected-error @+1 {{'dlc.attention' op expects value [1, 2, 5, Dv] for key [1, 2, 5, 4], got [1, 2, 6, 4]}}
  %o, %l = dlc.attention %q, %k, %v {scale = 1.0 : f64} : (tensor<1x2x3x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x6x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3xf32>)
  return
}

// -----

func.func @scale(%q: tensor<1x2x3x4xf32>) {
  // expected-error @+1 {{'dlc.attention' op expects a positive finite scale, got -5.000000e-01}}
  %o, %l = dlc.attention %q, %q, %q {scale = -0.5 : f64} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3xf32>)
  return
}

// -----

func.func @mask(%q: tensor<1x2x3x4xf32>, %m: tensor<2x1x3x3xf32>) {
  // expected-error @+1 {{'dlc.attention' op expects a mask broadcastable to the scores [1, 2, 3, 3], got [2, 1, 3, 3]}}
  %o, %l = dlc.attention %q, %q, %q, %m {scale = 1.0 : f64} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<2x1x3x3xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3xf32>)
  return
}

// -----

func.func @lse_type(%q: tensor<1x2x3x4xbf16>) {
  // expected-error @+1 {{'dlc.attention' op expects result types 'tensor<1x2x3x4xbf16>', 'tensor<1x2x3xf32>', got 'tensor<1x2x3x4xbf16>', 'tensor<1x2x3xbf16>'}}
  %o, %l = dlc.attention %q, %q, %q {scale = 1.0 : f64} : (tensor<1x2x3x4xbf16>, tensor<1x2x3x4xbf16>, tensor<1x2x3x4xbf16>) -> (tensor<1x2x3x4xbf16>, tensor<1x2x3xbf16>)
  return
}

// -----

func.func @backward_lse(%q: tensor<1x2x3x4xf32>, %l: tensor<1x2x4xf32>) {
  // expected-error @+1 {{'dlc.attention_backward' op expects logsumexp of type tensor<1x2x3xf32>, got tensor<1x2x4xf32>}}
  %dq, %dk, %dv = dlc.attention_backward %q, %q, %q, %q, %l, %q {scale = 1.0 : f64} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x4xf32>, tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>)
  return
}
