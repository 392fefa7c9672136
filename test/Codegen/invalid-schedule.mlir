// RUN: not dlc-emit %s 2>&1 | FileCheck %s
// RUN: sed -e 's/"tiled_gemmm"/"tiled_gemm"/' -e 's/target = "sm_80"/target = "sm_80", mma = "wmma"/' %s > %t.mlir
// RUN: not dlc-emit %t.mlir 2>&1 | FileCheck %s --check-prefix=MMA
// A hand-written schedule is read through the typed schedule
// (passes/Schedule.h): a strategy or tensor-core mode it does not know is an
// error at the fusion, not a kernel of some other strategy.

// CHECK: error: 'dlc.fusion' op schedule: unknown strategy 'tiled_gemmm'
// MMA: error: 'dlc.fusion' op schedule: expects mma 'none', 'mma_sync_f16', 'mma_sync_bf16' or 'mma_sync_tf32', got 'wmma'
func.func @forward(%x: tensor<4x8xf32> {dlc.input = "x"}, %w: tensor<4x8xf32> {dlc.param = "w"}) -> (tensor<4x4xf32> {dlc.output = "y"}) {
  %0 = dlc.fusion contraction "k0_fc" (%a = %x : tensor<4x8xf32>, %b = %w : tensor<4x8xf32>) -> tensor<4x4xf32> attributes {schedule = {strategy = "tiled_gemmm", target = "sm_80"}} {
    %1 = dlc.dense %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x4xf32> loc("fc")
    dlc.yield %1 : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}
