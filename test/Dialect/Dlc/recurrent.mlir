// RUN: dlc-opt %s | dlc-opt | FileCheck %s
// RUN: dlc-opt %s --mlir-print-op-generic | dlc-opt | FileCheck %s

// dlc.lstm and dlc.gru round-trip with and without their optional operands.

// CHECK-LABEL: func.func @lstm_full
func.func @lstm_full(%x: tensor<5x2x3xf32>, %w: tensor<2x16x3xf32>,
                     %r: tensor<2x16x4xf32>, %b: tensor<2x32xf32>,
                     %h: tensor<2x2x4xf32>, %c: tensor<2x2x4xf32>)
    -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>) {
  // CHECK: dlc.lstm %{{.+}}, %{{.+}}, %{{.+}} bias %{{.+}} initial_h %{{.+}} initial_c %{{.+}} {direction = "bidirectional", hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32>, tensor<2x32xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>)
  %y, %yh, %yc = dlc.lstm %x, %w, %r bias %b initial_h %h initial_c %c {hidden_size = 4 : i64, direction = "bidirectional"} : (tensor<5x2x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32>, tensor<2x32xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>) -> (tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>)
  return %y, %yh, %yc : tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>
}

// CHECK-LABEL: func.func @lstm_initial_c_only
func.func @lstm_initial_c_only(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>,
                               %r: tensor<1x16x4xf32>, %c: tensor<1x2x4xf32>)
    -> tensor<1x2x4xf32> {
  // CHECK: dlc.lstm %{{.+}}, %{{.+}}, %{{.+}} initial_c %{{.+}} {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x2x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  %y, %yh, %yc = dlc.lstm %x, %w, %r initial_c %c {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x2x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return %yc : tensor<1x2x4xf32>
}

// CHECK-LABEL: func.func @gru
func.func @gru(%x: tensor<5x2x3xf64>, %w: tensor<1x12x3xf64>,
               %r: tensor<1x12x4xf64>, %b: tensor<1x24xf64>)
    -> (tensor<5x1x2x4xf64>, tensor<1x2x4xf64>) {
  // CHECK: dlc.gru %{{.+}}, %{{.+}}, %{{.+}} bias %{{.+}} {direction = "reverse", hidden_size = 4 : i64, linear_before_reset = true} : (tensor<5x2x3xf64>, tensor<1x12x3xf64>, tensor<1x12x4xf64>, tensor<1x24xf64>) -> (tensor<5x1x2x4xf64>, tensor<1x2x4xf64>)
  %y, %yh = dlc.gru %x, %w, %r bias %b {hidden_size = 4 : i64, direction = "reverse", linear_before_reset = true} : (tensor<5x2x3xf64>, tensor<1x12x3xf64>, tensor<1x12x4xf64>, tensor<1x24xf64>) -> (tensor<5x1x2x4xf64>, tensor<1x2x4xf64>)
  return %y, %yh : tensor<5x1x2x4xf64>, tensor<1x2x4xf64>
}
