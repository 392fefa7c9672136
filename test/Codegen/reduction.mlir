// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s

// reduce_mean over a middle axis: the row index is rebuilt from kept and
// reduced coordinates; 64 threads per row combine through shared memory.
// A concat and a transpose in an elementwise kernel are index maps.

// CHECK-LABEL: extern "C" __global__ void k0_mean(
// CHECK: constexpr int kThreadsPerRow = 64, kRowsPerBlock = 2;
// CHECK: const idx_t [[I:i[0-9]+]] = (row / 5 % 2) * 15 + (k / 1 % 3) * 5 + (row / 1 % 5) * 1;
// CHECK: acc = dlc::rowAllReduce<kThreadsPerRow>(acc, dlc::Sum(), scratch);
// CHECK: if (active && lane == 0) {
// CHECK: acc / 3.0f
// CHECK-LABEL: extern "C" __global__ void k1_cat(
// CHECK: if ({{i[0-9]+}} < 5) {
// CHECK: else {
func.func @forward(%x: tensor<2x3x5xf32> {dlc.input = "x"}, %y: tensor<5x2xf32> {dlc.input = "y"}) -> (tensor<2x5xf32> {dlc.output = "m"}, tensor<2x10xf32> {dlc.output = "c"}) {
  %0 = dlc.fusion reduction "k0_mean" (%a = %x : tensor<2x3x5xf32>) -> tensor<2x5xf32> attributes {schedule = {strategy = "row_reduce", block = array<i64: 128, 1, 1>, grid = array<i64: 2, 1, 1>, threads_per_row = 64 : i64, rows_per_block = 2 : i64}} {
    %1 = dlc.reduce_mean %a {axes = array<i64: 1>} : (tensor<2x3x5xf32>) -> tensor<2x5xf32> loc("mean")
    dlc.yield %1 : tensor<2x5xf32>
  }
  %2 = dlc.fusion elementwise "k1_cat" (%a = %0 : tensor<2x5xf32>, %b = %y : tensor<5x2xf32>) -> tensor<2x10xf32> {
    %3 = dlc.transpose %b {perm = array<i64: 1, 0>} : (tensor<5x2xf32>) -> tensor<2x5xf32> loc("yt")
    %4 = dlc.concat %a, %3 {axis = 1 : i64} : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x10xf32> loc("cat")
    dlc.yield %4 : tensor<2x10xf32>
  }
  return %0, %2 : tensor<2x5xf32>, tensor<2x10xf32>
}
