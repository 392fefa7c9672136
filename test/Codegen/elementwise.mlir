// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s
// RUN: dlc-emit %s --manifest | FileCheck %s --check-prefix=MANIFEST

// An elementwise fusion: one grid-stride loop, the bias broadcast folded in
// as index math ([4, 8] -> [8]: i % 8; [4, 1] -> i / 8), a constant inline,
// a comment per op naming its node, buffers named after the model.

// CHECK-NOT:   #include <cuda_fp16.h>
// CHECK-LABEL: // k0_bias_scale: elementwise, pointwise
//       CHECK: extern "C" __global__ void k0_bias_scale(const float *__restrict__ x,
//  CHECK-NEXT:     const float *__restrict__ fc_bias,
//  CHECK-NEXT:     const float *__restrict__ rowscale,
//  CHECK-NEXT:     float *__restrict__ y) {
//       CHECK:   for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + dlc::threadInBlock(); i < 32; i += dlc::blocksPerGrid() * dlc::threadsPerBlock()) {
//  CHECK-NEXT:     const float [[X:v[0-9]+]] = dlc::load(x, i);
//  CHECK-NEXT:     const idx_t [[BI:i[0-9]+]] = (i % 8);
//  CHECK-NEXT:     const float [[B:v[0-9]+]] = dlc::load(fc_bias, [[BI]]);
//  CHECK-NEXT:     // bias: dlc.add
//  CHECK-NEXT:     const float [[S:v[0-9]+]] = [[X]] + [[B]];
//  CHECK-NEXT:     // scale: dlc.mul
//  CHECK-NEXT:     const float [[M:v[0-9]+]] = [[S]] * 0.5f;
//  CHECK-NEXT:     const idx_t [[RI:i[0-9]+]] = i / 8;
//  CHECK-NEXT:     const float [[R:v[0-9]+]] = dlc::load(rowscale, [[RI]]);
//  CHECK-NEXT:     // rows: dlc.mul
//  CHECK-NEXT:     const float [[Y:v[0-9]+]] = [[M]] * [[R]];
//  CHECK-NEXT:     // act: dlc.gelu
//  CHECK-NEXT:     const float [[G:v[0-9]+]] = dlc::geluTanh([[Y]]);
//  CHECK-NEXT:     dlc::store(y, i, [[G]]);
//  CHECK-NEXT:   }

// MANIFEST: "arena_bytes": 0,
// MANIFEST: "name": "x",
// MANIFEST-NEXT: "role": "input",
// MANIFEST: "dtype": "f32",
// MANIFEST: "name": "fc_bias",
// MANIFEST-NEXT: "role": "param",
// MANIFEST: "name": "y",
// MANIFEST-NEXT: "role": "output",
// MANIFEST: "kernels": [
// MANIFEST: "name": "k0_bias_scale",
// MANIFEST: "args": [
// MANIFEST-NEXT: "x",
// MANIFEST-NEXT: "fc_bias",
// MANIFEST-NEXT: "rowscale",
// MANIFEST-NEXT: "y"
// MANIFEST: "nodes": [
// MANIFEST-NEXT: "bias.bcast",
// MANIFEST-NEXT: "bias",
// MANIFEST-NEXT: "scale",
func.func @forward(%x: tensor<4x8xf32> {dlc.input = "x"}, %b: tensor<8xf32> {dlc.param = "fc.bias"}, %r: tensor<4x1xf32> {dlc.param = "rowscale"}) -> (tensor<4x8xf32> {dlc.output = "y"}) {
  %0 = dlc.fusion elementwise "k0_bias_scale" (%a0 = %x : tensor<4x8xf32>, %a1 = %b : tensor<8xf32>, %a2 = %r : tensor<4x1xf32>) -> tensor<4x8xf32> {
    %c = dlc.constant dense<0.5> : tensor<f32>
    %1 = dlc.broadcast %a1 {shape = array<i64: 4, 8>} : (tensor<8xf32>) -> tensor<4x8xf32> loc("bias.bcast")
    %2 = dlc.add %a0, %1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("bias")
    %3 = dlc.mul %2, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32> loc("scale")
    %4 = dlc.mul %3, %a2 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32> loc("rows")
    %5 = dlc.gelu %4 {approximate = "tanh"} : tensor<4x8xf32> loc("act")
    dlc.yield %5 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}
