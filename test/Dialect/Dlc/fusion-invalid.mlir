// RUN: dlc-opt %s --split-input-file --allow-unregistered-dialect --verify-diagnostics

// One case per dlc.fusion / dlc.yield verifier message.

func.func @bad_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects kind 'elementwise', 'reduction', 'contraction' or 'multi_tensor', got 'pointwise'}}
  %r = dlc.fusion pointwise "k0" (%a = %x : tensor<4xf32>) -> tensor<4xf32> {
    %0 = dlc.relu %a : tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @bad_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects name to be an identifier of [A-Za-z0-9_] not starting with a digit, got "k0-relu.1"}}
  %r = dlc.fusion elementwise "k0-relu.1" (%a = %x : tensor<4xf32>) -> tensor<4xf32> {
    %0 = dlc.relu %a : tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @name_starts_with_digit(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects name to be an identifier of [A-Za-z0-9_] not starting with a digit, got "0k"}}
  %r = dlc.fusion elementwise "0k" (%a = %x : tensor<4xf32>) -> tensor<4xf32> {
    %0 = dlc.relu %a : tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @block_arg_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects block argument #0 to have the operand's type 'tensor<4xf32>', got 'tensor<4xf16>'}}
  %r = "dlc.fusion"(%x) <{kind = "elementwise", name = "k0"}> ({
  ^bb0(%a: tensor<4xf16>):
    %0 = dlc.relu %a : tensor<4xf16>
    %1 = dlc.cast %0 {to = f32} : (tensor<4xf16>) -> tensor<4xf32>
    dlc.yield %1 : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @block_arg_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects one block argument per operand, got 0 and 1}}
  %r = "dlc.fusion"(%x) <{kind = "elementwise", name = "k0"}> ({
    %c = dlc.constant dense<1.0> : tensor<4xf32>
    dlc.yield %c : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @yield_count(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{'dlc.fusion' op expects 'dlc.yield' of 2 values (one per result), got 1}}
  %r:2 = dlc.fusion elementwise "k0" (%a = %x : tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    %0 = dlc.relu %a : tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @yield_type(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'dlc.fusion' op expects yielded value #0 to have the result's type 'tensor<4xf16>', got 'tensor<4xf32>'}}
  %r = dlc.fusion elementwise "k0" (%a = %x : tensor<4xf32>) -> tensor<4xf16> {
    %0 = dlc.relu %a : tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf16>
}

// -----

func.func @missing_yield(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects the body to end in 'dlc.yield'}}
  %r = dlc.fusion elementwise "k0" (%a = %x : tensor<4xf32>) -> tensor<4xf32> {
    %0 = dlc.relu %a : tensor<4xf32>
    "test.terminator"(%0) : (tensor<4xf32>) -> ()
  }
  return %r : tensor<4xf32>
}

// -----

func.func @foreign_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects only dlc compute ops in its body, got 'test.foo'}}
  %r = dlc.fusion elementwise "k0" (%a = %x : tensor<4xf32>) -> tensor<4xf32> {
    %0 = "test.foo"(%a) : (tensor<4xf32>) -> tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @nested_fusion(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects only dlc compute ops in its body, got 'dlc.fusion'}}
  %r = dlc.fusion elementwise "k0" (%a = %x : tensor<4xf32>) -> tensor<4xf32> {
    %0 = dlc.fusion elementwise "k1" (%b = %a : tensor<4xf32>) -> tensor<4xf32> {
      %1 = dlc.relu %b : tensor<4xf32>
      dlc.yield %1 : tensor<4xf32>
    }
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @two_anchors(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects at most one contraction or reduction op, got 2}}
  %r = dlc.fusion contraction "k0" (%a = %x : tensor<4x4xf32>) -> tensor<4x4xf32> {
    %0 = dlc.matmul %a, %a : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %1 = dlc.softmax %0 : tensor<4x4xf32>
    dlc.yield %1 : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

func.func @two_pools(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x2x2xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects at most one pooling op, got 2}}
  %r = dlc.fusion reduction "k0" (%a = %x : tensor<1x1x8x8xf32>) -> tensor<1x1x2x2xf32> {
    %0 = dlc.avg_pool2d %a {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x1x8x8xf32>) -> tensor<1x1x4x4xf32>
    %1 = dlc.avg_pool2d %0 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
    dlc.yield %1 : tensor<1x1x2x2xf32>
  }
  return %r : tensor<1x1x2x2xf32>
}

// -----

func.func @kind_mismatch(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects kind 'contraction' for its body, got 'elementwise'}}
  %r = dlc.fusion elementwise "k0" (%a = %x : tensor<4x4xf32>) -> tensor<4x4xf32> {
    %0 = dlc.matmul %a, %a : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    dlc.yield %0 : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

func.func @kind_mismatch_reduction(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'dlc.fusion' op expects kind 'elementwise' for its body, got 'reduction'}}
  %r = dlc.fusion reduction "k0" (%a = %x : tensor<4x4xf32>) -> tensor<4x4xf32> {
    %0 = dlc.relu %a : tensor<4x4xf32>
    dlc.yield %0 : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

func.func @isolated(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %r = dlc.fusion elementwise "k0" () -> tensor<4xf32> {
    // expected-error @+1 {{'dlc.relu' op using value defined outside the region}}
    %0 = dlc.relu %x : tensor<4xf32>
    dlc.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield_outside_fusion(%x: tensor<4xf32>) {
  // expected-error @+1 {{'dlc.yield' op expects parent op 'dlc.fusion'}}
  dlc.yield %x : tensor<4xf32>
}
