// RUN: not dlc-emit %s 2>&1 | FileCheck %s

// An epilogue that needs the contraction's result at another element (a
// slice of it) cannot be emitted: an error at the op, no crash.
// CHECK: error: loc("cut"): 'dlc.slice' op cannot be emitted as CUDA: it changes the shape of a contraction or reduction result in an epilogue
// CHECK-NOT: see current operation
func.func @forward(%x: tensor<4x8xf32> {dlc.input = "x"}, %w: tensor<8x8xf32> {dlc.param = "w"}) -> (tensor<4x4xf32> {dlc.output = "y"}) {
  %0 = dlc.fusion contraction "k0_fc" (%a = %x : tensor<4x8xf32>, %b = %w : tensor<8x8xf32>) -> tensor<4x4xf32> {
    %1 = dlc.dense %a, %b : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("fc")
    %2 = dlc.slice %1 {starts = array<i64: 0>, ends = array<i64: 4>, axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x4xf32> loc("cut")
    dlc.yield %2 : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}
