// RUN: dlc-opt %s --split-input-file --verify-diagnostics

// One case per verifier message of dlc.lstm and dlc.gru (ir/ShapeRules.cpp).

func.func @direction(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{'dlc.lstm' op expects direction "forward", "reverse" or "bidirectional", got "both"}}
  %y, %yh, %yc = dlc.lstm %x, %w, %r {hidden_size = 4 : i64, direction = "both"} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @hidden(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{'dlc.gru' op expects hidden_size >= 1, got 0}}
  %y, %yh = dlc.gru %x, %w, %r {hidden_size = 0 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @input_rank(%x: tensor<2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{'dlc.lstm' op expects input [seq, batch, input_size], got [2, 3]}}
  %y, %yh, %yc = dlc.lstm %x, %w, %r {hidden_size = 4 : i64} : (tensor<2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @weight_gates(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x12x4xf32>) {
  // The GRU has three gates: weight is [1, 12, 3].
  // expected-error @+1 {{'dlc.gru' op expects weight of shape [1, 12, 3], got [1, 16, 3]}}
  %y, %yh = dlc.gru %x, %w, %r {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x12x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @recurrence_dirs(%x: tensor<5x2x3xf32>, %w: tensor<2x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{'dlc.lstm' op expects recurrence of shape [2, 16, 4], got [1, 16, 4]}}
  %y, %yh, %yc = dlc.lstm %x, %w, %r {hidden_size = 4 : i64, direction = "bidirectional"} : (tensor<5x2x3xf32>, tensor<2x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>)
  return
}

// -----

func.func @bias(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %b: tensor<1x16xf32>) {
  // expected-error @+1 {{'dlc.lstm' op expects bias of shape [1, 32], got [1, 16]}}
  %y, %yh, %yc = dlc.lstm %x, %w, %r bias %b {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x16xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @initial_c(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %c: tensor<1x3x4xf32>) {
  // expected-error @+1 {{'dlc.lstm' op expects initial_c of shape [1, 2, 4], got [1, 3, 4]}}
  %y, %yh, %yc = dlc.lstm %x, %w, %r initial_c %c {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x3x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @initial_h(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x12x4xf32>, %h: tensor<2x2x4xf32>) {
  // expected-error @+1 {{'dlc.gru' op expects initial_h of shape [1, 2, 4], got [2, 2, 4]}}
  %y, %yh = dlc.gru %x, %w, %r initial_h %h {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32>, tensor<2x2x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @result_type(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x12x4xf32>) {
  // expected-error @+1 {{'dlc.gru' op expects result types 'tensor<5x1x2x4xf32>', 'tensor<1x2x4xf32>', got 'tensor<5x2x4xf32>', 'tensor<1x2x4xf32>'}}
  %y, %yh = dlc.gru %x, %w, %r {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32>) -> (tensor<5x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @element_type(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf64>, %r: tensor<1x12x4xf32>) {
  // expected-error @+1 {{'dlc.gru' op requires the same element type for all operands and results}}
  %y, %yh = dlc.gru %x, %w, %r {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x12x3xf64>, tensor<1x12x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}
