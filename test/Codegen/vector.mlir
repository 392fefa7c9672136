// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s

// pointwise with vector_width: each thread handles vector_width consecutive
// elements. Operands read with the output's innermost dim are loaded as
// vectors (dlc::loadVec), operands broadcast along it (here [4, 1]) once per
// vector, others (a transpose) element by element; results stored as
// vectors (dlc::storeVec).

// CHECK-LABEL: extern "C" __global__ void k0_vec(
//       CHECK: // 4 consecutive elements per thread (vector_width)
//  CHECK-NEXT: for (idx_t first = (dlc::blockInGrid() * dlc::threadsPerBlock() + dlc::threadInBlock()) * 4; first < 32; first += dlc::blocksPerGrid() * dlc::threadsPerBlock() * 4) {
//  CHECK-NEXT:   float [[X:p[0-9]+]][4];
//  CHECK-NEXT:   dlc::loadVec(x, first, [[X]]);
//  CHECK-NEXT:   const idx_t [[BI:i[0-9]+]] = (first % 8);
//  CHECK-NEXT:   float [[B:p[0-9]+]][4];
//  CHECK-NEXT:   dlc::loadVec(bias, [[BI]], [[B]]);
//  CHECK-NEXT:   const idx_t [[RI:i[0-9]+]] = first / 8;
//  CHECK-NEXT:   const float [[R:p[0-9]+]] = dlc::load(rs, [[RI]]);
//  CHECK-NEXT:   float [[Y:p[0-9]+]][4];
//  CHECK-NEXT:   for (int u = 0; u < 4; ++u) {
//  CHECK-NEXT:     // add: dlc.add
//  CHECK-NEXT:     const float [[S:v[0-9]+]] = [[X]][u] + [[B]][u];
//  CHECK-NEXT:     // mul: dlc.mul
//  CHECK-NEXT:     const float [[M:v[0-9]+]] = [[S]] * [[R]];
//  CHECK-NEXT:     [[Y]][u] = [[M]];
//  CHECK-NEXT:   }
//  CHECK-NEXT:   dlc::storeVec(y, first, [[Y]]);
//  CHECK-NEXT: }

// A transposed operand is gathered per element at i = first + u; f16 with
// 8 elements per thread.
// CHECK-LABEL: extern "C" __global__ void k1_half(
//       CHECK: // 8 consecutive elements per thread (vector_width)
//       CHECK:   float [[H:p[0-9]+]][8];
//  CHECK-NEXT:   dlc::loadVec(h, first, [[H]]);
//       CHECK:   for (int u = 0; u < 8; ++u) {
//  CHECK-NEXT:     const idx_t i = first + u;
//       CHECK:     dlc::load(ht, {{i[0-9]+}});
//       CHECK:   dlc::storeVec(z, first, {{p[0-9]+}});
func.func @forward(%x: tensor<4x8xf32> {dlc.input = "x"}, %b: tensor<8xf32> {dlc.param = "bias"}, %r: tensor<4x1xf32> {dlc.param = "rs"},
                   %h: tensor<16x16xf16> {dlc.input = "h"}, %ht: tensor<16x16xf16> {dlc.input = "ht"})
    -> (tensor<4x8xf32> {dlc.output = "y"}, tensor<16x16xf16> {dlc.output = "z"}) {
  %0 = dlc.fusion elementwise "k0_vec" (%a = %x : tensor<4x8xf32>, %c = %b : tensor<8xf32>, %d = %r : tensor<4x1xf32>) -> tensor<4x8xf32> attributes {schedule = {strategy = "pointwise", target = "sm_90", block = array<i64: 256, 1, 1>, grid = array<i64: 1, 1, 1>, vector_width = 4 : i64}} {
    %1 = dlc.add %a, %c : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> loc("add")
    %2 = dlc.mul %1, %d : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32> loc("mul")
    dlc.yield %2 : tensor<4x8xf32>
  }
  %3 = dlc.fusion elementwise "k1_half" (%a = %h : tensor<16x16xf16>, %c = %ht : tensor<16x16xf16>) -> tensor<16x16xf16> attributes {schedule = {strategy = "pointwise", target = "sm_90", block = array<i64: 256, 1, 1>, grid = array<i64: 1, 1, 1>, vector_width = 8 : i64}} {
    %4 = dlc.transpose %c {perm = array<i64: 1, 0>} : (tensor<16x16xf16>) -> tensor<16x16xf16> loc("tr")
    %5 = dlc.add %a, %4 : (tensor<16x16xf16>, tensor<16x16xf16>) -> tensor<16x16xf16> loc("sum")
    dlc.yield %5 : tensor<16x16xf16>
  }
  return %0, %3 : tensor<4x8xf32>, tensor<16x16xf16>
}
