// RUN: dlc-emit %s --check-nvrtc=sm_80 | FileCheck %s

// Node and buffer names from a model never break the source: a node name
// with a quote, a newline, a backslash and `*/` becomes a safe comment, and
// buffer names become identifiers (a C keyword gets a suffix, collisions a
// number). NVRTC compiling it is the proof.

// CHECK: extern "C" __global__ void k0_evil(const float *__restrict__ in_put,
// CHECK-NEXT: const float *__restrict__ in_put_2,
// CHECK-NEXT: float *__restrict__ int_) {
// CHECK: // a"b?c* /d?e: dlc.add
// CHECK-NOT: */
func.func @forward(%x: tensor<4xf32> {dlc.input = "in.put"}, %y: tensor<4xf32> {dlc.input = "in put"}) -> (tensor<4xf32> {dlc.output = "int"}) {
  %0 = dlc.fusion elementwise "k0_evil" (%a = %x : tensor<4xf32>, %b = %y : tensor<4xf32>) -> tensor<4xf32> {
    %1 = dlc.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("a\"b\nc*/d\\e")
    dlc.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
