// RUN: dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="target=sm_90 tuning-cache=%S/Inputs/tile-cache.json" | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="target=sm_80 tuning-cache=%S/Inputs/tile-cache.json" | FileCheck %s --check-prefix=SM80
// RUN: dlc-opt %s --split-input-file --dlc-fuse --dlc-tile | FileCheck %s --check-prefix=DEFAULT
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="tuning-cache=%S/Inputs/does-not-exist.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="tuning-cache=%S/Inputs/tile-cache-bad-json.json" 2>&1 | FileCheck %s --check-prefix=BADJSON
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="tuning-cache=%S/Inputs/tile-cache-bad-key.json" 2>&1 | FileCheck %s --check-prefix=BADKEY
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="tuning-cache=%S/Inputs/tile-cache-bad-tile.json" 2>&1 | FileCheck %s --check-prefix=BADTILE
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="tuning-cache=%S/Inputs/tile-cache-bad-smem.json" 2>&1 | FileCheck %s --check-prefix=BADSMEM
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="tuning-cache=%S/Inputs/tile-cache-bad-field.json" 2>&1 | FileCheck %s --check-prefix=BADFIELD
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="tuning-cache=%S/Inputs/tile-cache-bad-threads.json" 2>&1 | FileCheck %s --check-prefix=BADTHREADS
// RUN: not dlc-opt %s --split-input-file --dlc-fuse --dlc-tile="target=sm_70" 2>&1 | FileCheck %s --check-prefix=BADTARGET

// One case per strategy and rule of docs/schedule.md. Every number is checked
// and worked out by hand in the comment above it. sm_90: 132 SMs, 227 KiB of
// shared memory per block; sm_80: 108 SMs, 163 KiB. Keys print sorted.

// Pointwise, vector width 4 (f32, innermost dim 1024 % 4 == 0).
// numel = 1048576; ceil(1048576 / (256 * 4)) = 1024 blocks.
// sm_90: min(1024, 132 * 8 = 1056) = 1024; sm_80: min(1024, 108 * 8 = 864) = 864.
// CHECK-LABEL: func.func @pointwise_vec4
//       CHECK:   dlc.fusion elementwise "k0_add1_relu1"
//  CHECK-SAME:     schedule = {block = array<i64: 256, 1, 1>, grid = array<i64: 1024, 1, 1>, shared_bytes = 0 : i64, signature = "elementwise[add,relu](tensor<1024x1024xf32>,tensor<1024x1024xf32>)->(tensor<1024x1024xf32>)", strategy = "pointwise", target = "sm_90", vector_width = 4 : i64}
// SM80-LABEL: func.func @pointwise_vec4
//       SM80:   dlc.fusion elementwise "k0_add1_relu1"
//  SM80-SAME:     schedule = {block = array<i64: 256, 1, 1>, grid = array<i64: 864, 1, 1>, shared_bytes = 0 : i64, signature = "{{[^"]+}}", strategy = "pointwise", target = "sm_80", vector_width = 4 : i64}
// The default target is sm_90.
// DEFAULT-LABEL: func.func @pointwise_vec4
//       DEFAULT:   grid = array<i64: 1024, 1, 1>, {{.*}}target = "sm_90"
func.func @pointwise_vec4(%x: tensor<1024x1024xf32>, %y: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %0 = dlc.add %x, %y : (tensor<1024x1024xf32>, tensor<1024x1024xf32>) -> tensor<1024x1024xf32> loc("add1")
  %1 = dlc.relu %0 : tensor<1024x1024xf32> loc("relu1")
  return %1 : tensor<1024x1024xf32>
}

// -----

// Pointwise, vector width 1: the innermost dim 7 is odd.
// numel = 105; ceil(105 / 256) = 1 block.
// CHECK-LABEL: func.func @pointwise_odd
//       CHECK:   dlc.fusion elementwise "k0_add2_exp2"
//  CHECK-SAME:     schedule = {block = array<i64: 256, 1, 1>, grid = array<i64: 1, 1, 1>, shared_bytes = 0 : i64, signature = "{{[^"]+}}", strategy = "pointwise", target = "sm_90", vector_width = 1 : i64}
// SM80-LABEL: func.func @pointwise_odd
//  SM80:     grid = array<i64: 1, 1, 1>, {{.*}}target = "sm_80", vector_width = 1 : i64}
func.func @pointwise_odd(%x: tensor<3x5x7xf32>, %y: tensor<3x5x7xf32>) -> tensor<3x5x7xf32> {
  %0 = dlc.add %x, %y : (tensor<3x5x7xf32>, tensor<3x5x7xf32>) -> tensor<3x5x7xf32> loc("add2")
  %1 = dlc.exp %0 : tensor<3x5x7xf32> loc("exp2")
  return %1 : tensor<3x5x7xf32>
}

// -----

// Pointwise f16: 8 elements (16 bytes) per access when the innermost dim is
// a multiple of 8; 6 is only a multiple of 2. numel = 96 -> 1 block.
// CHECK-LABEL: func.func @pointwise_f16
//       CHECK:   dlc.fusion elementwise "k0_relu3"
//  CHECK-SAME:     vector_width = 8 : i64}
//       CHECK:   dlc.fusion elementwise "k1_relu4"
//  CHECK-SAME:     grid = array<i64: 1, 1, 1>, {{.*}}vector_width = 2 : i64}
func.func @pointwise_f16(%x: tensor<16x64xf16>, %y: tensor<16x6xf16>) -> (tensor<16x64xf16>, tensor<16x6xf16>) {
  %0 = dlc.relu %x : tensor<16x64xf16> loc("relu3")
  %1 = dlc.relu %y : tensor<16x6xf16> loc("relu4")
  return %0, %1 : tensor<16x64xf16>, tensor<16x6xf16>
}

// -----

// Softmax over rows of 128 (<= 1024): one warp per row. 4096 rows;
// ceil(4096 / 8) = 512 blocks >= 132 (and >= 108) SMs, so 8 rows per block:
// block = 32 * 8 = 256, grid = 512, warp shuffles only (no shared memory).
// CHECK-LABEL: func.func @softmax_rows
//       CHECK:   dlc.fusion reduction "k0_sm1"
//  CHECK-SAME:     schedule = {block = array<i64: 256, 1, 1>, grid = array<i64: 512, 1, 1>, row_length = 128 : i64, rows = 4096 : i64, rows_per_block = 8 : i64, shared_bytes = 0 : i64, signature = "reduction[softmax](tensor<4096x128xf32>)->(tensor<4096x128xf32>)", strategy = "row_reduce", target = "sm_90", threads_per_row = 32 : i64, vector_width = 4 : i64}
// SM80-LABEL: func.func @softmax_rows
//       SM80:     schedule = {block = array<i64: 256, 1, 1>, grid = array<i64: 512, 1, 1>, row_length = 128 : i64, rows = 4096 : i64, rows_per_block = 8 : i64, shared_bytes = 0 : i64, signature = "{{[^"]+}}", strategy = "row_reduce", target = "sm_80", threads_per_row = 32 : i64, vector_width = 4 : i64}
func.func @softmax_rows(%x: tensor<4096x128xf32>) -> tensor<4096x128xf32> {
  %0 = dlc.softmax %x : tensor<4096x128xf32> loc("sm1")
  return %0 : tensor<4096x128xf32>
}

// -----

// Few rows: ceil(64 / 8) = 8 blocks < 132 SMs, so 4 rows per block:
// block = 128, grid = ceil(64 / 4) = 16. Row length 100 % 4 == 0: width 4.
// CHECK-LABEL: func.func @log_softmax_few_rows
//       CHECK:   schedule = {block = array<i64: 128, 1, 1>, grid = array<i64: 16, 1, 1>, row_length = 100 : i64, rows = 64 : i64, rows_per_block = 4 : i64, shared_bytes = 0 : i64, {{.*}}threads_per_row = 32 : i64, vector_width = 4 : i64}
func.func @log_softmax_few_rows(%x: tensor<64x100xf32>) -> tensor<64x100xf32> {
  %0 = dlc.log_softmax %x : tensor<64x100xf32> loc("lsm1")
  return %0 : tensor<64x100xf32>
}

// -----

// layer_norm over rows of 4096 (> 1024): a block of 256 threads per row,
// 1 row per block: block = 256, grid = 16 rows. Shared memory: 2 f32
// partials per warp: 1 row * (256 / 32) warps * 2 * 4 bytes = 64.
// CHECK-LABEL: func.func @layer_norm_long_rows
//       CHECK:   dlc.fusion reduction "k0_ln1"
//  CHECK-SAME:     schedule = {block = array<i64: 256, 1, 1>, grid = array<i64: 16, 1, 1>, row_length = 4096 : i64, rows = 16 : i64, rows_per_block = 1 : i64, shared_bytes = 64 : i64, signature = "{{[^"]+}}", strategy = "row_reduce", target = "sm_90", threads_per_row = 256 : i64, vector_width = 4 : i64}
// SM80-LABEL: func.func @layer_norm_long_rows
//       SM80:     schedule = {block = array<i64: 256, 1, 1>, grid = array<i64: 16, 1, 1>, row_length = 4096 : i64, rows = 16 : i64, rows_per_block = 1 : i64, shared_bytes = 64 : i64,
func.func @layer_norm_long_rows(%x: tensor<16x4096xf32>, %s: tensor<4096xf32>, %b: tensor<4096xf32>) -> tensor<16x4096xf32> {
  %0 = dlc.layer_norm %x, %s, %b : (tensor<16x4096xf32>, tensor<4096xf32>, tensor<4096xf32>) -> tensor<16x4096xf32> loc("ln1")
  return %0 : tensor<16x4096xf32>
}

// -----

// mse_loss is a full reduction: one row of 64 * 256 = 16384 elements
// (> 8192): 1024 threads, grid 1; shared 1 * 32 warps * 2 * 4 = 256 bytes.
// CHECK-LABEL: func.func @mse_full_reduction
//       CHECK:   schedule = {block = array<i64: 1024, 1, 1>, grid = array<i64: 1, 1, 1>, row_length = 16384 : i64, rows = 1 : i64, rows_per_block = 1 : i64, shared_bytes = 256 : i64, {{.*}}threads_per_row = 1024 : i64, vector_width = 4 : i64}
func.func @mse_full_reduction(%x: tensor<64x256xf32>, %y: tensor<64x256xf32>) -> tensor<f32> {
  %0 = dlc.mse_loss %x, %y : (tensor<64x256xf32>, tensor<64x256xf32>) -> tensor<f32> loc("mse1")
  return %0 : tensor<f32>
}

// -----

// f32 GEMM: m = 256, n = 128, k = 512; tile 64x64x16, 2x2 warps (128
// threads), grid [ceil(256 / 64) * ceil(128 / 64), 1, 1] = [8, 1, 1] (the
// tiles of a batch entry on x, the batch on y), no tensor cores. Stages 3 on sm_90, 2 on sm_80; shared = stages * (64 * 16 + 16 * 64)
// * 4 bytes = 24576 (sm_90), 16384 (sm_80).
// CHECK-LABEL: func.func @matmul_f32
//       CHECK:   dlc.fusion contraction "k0_mm1"
//  CHECK-SAME:     schedule = {block = array<i64: 128, 1, 1>, gemm = array<i64: 1, 256, 128, 512>, grid = array<i64: 8, 1, 1>, mma = "none", shared_bytes = 24576 : i64, signature = "contraction[matmul](tensor<256x512xf32>,tensor<512x128xf32>)->(tensor<256x128xf32>)", stages = 3 : i64, strategy = "tiled_gemm", target = "sm_90", tile = array<i64: 64, 64, 16>, vector_width = 4 : i64, warps = array<i64: 2, 2>}
// SM80-LABEL: func.func @matmul_f32
//       SM80:     schedule = {block = array<i64: 128, 1, 1>, gemm = array<i64: 1, 256, 128, 512>, grid = array<i64: 8, 1, 1>, mma = "none", shared_bytes = 16384 : i64, signature = "{{[^"]+}}", stages = 2 : i64, strategy = "tiled_gemm", target = "sm_80", tile = array<i64: 64, 64, 16>, vector_width = 4 : i64, warps = array<i64: 2, 2>}
func.func @matmul_f32(%a: tensor<256x512xf32>, %b: tensor<512x128xf32>) -> tensor<256x128xf32> {
  %0 = dlc.matmul %a, %b : (tensor<256x512xf32>, tensor<512x128xf32>) -> tensor<256x128xf32> loc("mm1")
  return %0 : tensor<256x128xf32>
}

// -----

// bf16 dense + relu: m = 2048, n = 2048, k = 1024; tensor cores. sm_80:
// mma_sync_bf16, tile 128x128x32, 2x4 warps (256 threads), grid [256, 1, 1]
// (the 16x16 tiles on x; enough blocks for every SM, so the tile is not
// halved), 4 stages: shared = 4 * (128 * 32 + 32 * 128) * 2 bytes = 65536.
// sm_90: wgmma_bf16, tile 128x128x64, warps [8, 1] (two warpgroups), 4
// stages, shared (dynamic) = 4 * (128 + 128) * 64 * 2 + 1024 = 132096. bf16
// stores 8 wide.
// CHECK-LABEL: func.func @dense_bf16
//       CHECK:   dlc.fusion contraction "k0_fc1_act1"
//  CHECK-SAME:     schedule = {block = array<i64: 256, 1, 1>, gemm = array<i64: 1, 2048, 2048, 1024>, grid = array<i64: 256, 1, 1>, mma = "wgmma_bf16", shared_bytes = 132096 : i64, signature = "{{[^"]+}}", stages = 4 : i64, strategy = "tiled_gemm", target = "sm_90", tile = array<i64: 128, 128, 64>, vector_width = 8 : i64, warps = array<i64: 8, 1>}
// SM80-LABEL: func.func @dense_bf16
//       SM80:     schedule = {block = array<i64: 256, 1, 1>, gemm = array<i64: 1, 2048, 2048, 1024>, grid = array<i64: 256, 1, 1>, mma = "mma_sync_bf16", shared_bytes = 65536 : i64, signature = "{{[^"]+}}", stages = 4 : i64, strategy = "tiled_gemm", target = "sm_80", tile = array<i64: 128, 128, 32>, vector_width = 8 : i64, warps = array<i64: 2, 4>}
func.func @dense_bf16(%x: tensor<2048x1024xbf16>, %w: tensor<2048x1024xbf16>, %b: tensor<2048xbf16>) -> tensor<2048x2048xbf16> {
  %0 = dlc.dense %x, %w, %b : (tensor<2048x1024xbf16>, tensor<2048x1024xbf16>, tensor<2048xbf16>) -> tensor<2048x2048xbf16> loc("fc1")
  %1 = dlc.relu %0 : tensor<2048x2048xbf16> loc("act1")
  return %1 : tensor<2048x2048xbf16>
}

// -----

// f16 batch_matmul that is too small for 128x128 tiles: m = n = 256, k = 64,
// batch 2: 2 * 2 * 2 = 8 blocks < 132 SMs, so the tile is halved, larger
// side first (tm on ties): 64x128 (16 blocks), then 64x64 (32 blocks),
// grid [16, 2, 1] (the 4x4 tiles on x, the batch on y). sm_90: wgmma_f16,
// tile 64x64x64, one warpgroup (warps [4, 1]); k = 64 is one k tile, and
// the ring is at least 2 deep: shared = 2 * (64 + 64) * 64 * 2 + 1024 =
// 33792.
// CHECK-LABEL: func.func @batch_matmul_f16_small
//       CHECK:   schedule = {block = array<i64: 128, 1, 1>, gemm = array<i64: 2, 256, 256, 64>, grid = array<i64: 16, 2, 1>, mma = "wgmma_f16", shared_bytes = 33792 : i64, signature = "{{[^"]+}}", stages = 2 : i64, strategy = "tiled_gemm", target = "sm_90", tile = array<i64: 64, 64, 64>, vector_width = 8 : i64, warps = array<i64: 4, 1>}
func.func @batch_matmul_f16_small(%a: tensor<2x256x64xf16>, %b: tensor<2x64x256xf16>) -> tensor<2x256x256xf16> {
  %0 = dlc.batch_matmul %a, %b : (tensor<2x256x64xf16>, tensor<2x64x256xf16>) -> tensor<2x256x256xf16> loc("bmm1")
  return %0 : tensor<2x256x256xf16>
}

// -----

// conv + relu + max_pool: one thread per pooled element, no tile. The GEMM
// the conv is (for reference): m = 8 * 26 * 26 = 5408, n = 32, k = 1 * 3 * 3.
// Pooled numel = 8 * 32 * 13 * 13 = 43264; grid = ceil(43264 / 128) = 338.
// CHECK-LABEL: func.func @conv_relu_pool
//       CHECK:   dlc.fusion contraction "k0_conv1_relu1_pool1"
//  CHECK-SAME:     schedule = {block = array<i64: 128, 1, 1>, gemm = array<i64: 1, 5408, 32, 9>, grid = array<i64: 338, 1, 1>, shared_bytes = 0 : i64, signature = "contraction[conv2d,relu,max_pool2d](tensor<8x1x28x28xf32>,tensor<32x1x3x3xf32>,tensor<32xf32>)->(tensor<8x32x13x13xf32>)", strategy = "direct_pool", target = "sm_90", vector_width = 1 : i64}
//   CHECK-NOT:     tile =
// SM80-LABEL: func.func @conv_relu_pool
//       SM80:     grid = array<i64: 338, 1, 1>, {{.*}}strategy = "direct_pool", target = "sm_80"
func.func @conv_relu_pool(%x: tensor<8x1x28x28xf32>, %w: tensor<32x1x3x3xf32>, %b: tensor<32xf32>) -> tensor<8x32x13x13xf32> {
  %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<8x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<8x32x26x26xf32> loc("conv1")
  %1 = dlc.relu %0 : tensor<8x32x26x26xf32> loc("relu1")
  %2 = dlc.max_pool2d %1 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<8x32x26x26xf32>) -> tensor<8x32x13x13xf32> loc("pool1")
  return %2 : tensor<8x32x13x13xf32>
}

// -----

// A grouped conv without a pool is an implicit GEMM per group: batch =
// groups = 2, m = 1 * 8 * 8 = 64, n = 8 / 2 = 4, k = 2 * 3 * 3 = 18.
// Tile: 64x16 (n rounded up to the 16 minimum) x 16 (k = 18 -> 32, capped
// at 16); warps [2, 1]; grid [ceil(64 / 64) * ceil(4 / 16), 2, 1] = [1, 2, 1];
// 2 k-tiles, so stages min(3, 2) = 2: shared = 2 * (64 * 16 + 16 * 16) * 4.
// CHECK-LABEL: func.func @grouped_conv
//       CHECK:   schedule = {block = array<i64: 64, 1, 1>, gemm = array<i64: 2, 64, 4, 18>, grid = array<i64: 1, 2, 1>, mma = "none", shared_bytes = 10240 : i64, {{.*}}stages = 2 : i64, strategy = "tiled_gemm", target = "sm_90", tile = array<i64: 64, 16, 16>, vector_width = 4 : i64, warps = array<i64: 2, 1>}
func.func @grouped_conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<1x8x8x8xf32> {
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 2} : (tensor<1x4x8x8xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x8x8xf32> loc("gconv")
  return %0 : tensor<1x8x8x8xf32>
}

// -----

// A tiny matmul gets a tile not much larger than the problem: m = 4, n = 16,
// k = 8 -> tile 16x16x8 (the minimums), one warp, one block; one k-tile, so
// stages 2: shared = 2 * (16 * 8 + 8 * 16) * 4 = 2048.
// CHECK-LABEL: func.func @tiny_matmul
//       CHECK:   schedule = {block = array<i64: 32, 1, 1>, gemm = array<i64: 1, 4, 16, 8>, grid = array<i64: 1, 1, 1>, mma = "none", shared_bytes = 2048 : i64, signature = "{{[^"]+}}", stages = 2 : i64, strategy = "tiled_gemm", target = "sm_90", tile = array<i64: 16, 16, 8>, vector_width = 4 : i64, warps = array<i64: 1, 1>}
func.func @tiny_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = dlc.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32> loc("mm2")
  return %0 : tensor<4x16xf32>
}

// -----

// Inputs/tile-cache.json has an sm_90 entry for this signature: tile
// [32, 32, 8], warps [1, 1], stages 4 -> block 32, grid [ceil(128 / 32) *
// ceil(64 / 32), 1, 1] = [8, 1, 1], shared = 4 * (32 * 8 + 8 * 32) * 4 = 8192.
// A second entry with the same signature names another fusion and does not
// apply. On sm_80 no entry applies: the default 64x64x16, 2 stages, grid
// [2, 1, 1], shared = 2 * (64 * 16 + 16 * 64) * 4 = 16384.
// CHECK-LABEL: func.func @tuned_matmul
//       CHECK:   dlc.fusion contraction "k0_mm3"
//  CHECK-SAME:     schedule = {block = array<i64: 32, 1, 1>, gemm = array<i64: 1, 128, 64, 256>, grid = array<i64: 8, 1, 1>, mma = "none", shared_bytes = 8192 : i64, signature = "contraction[matmul](tensor<128x256xf32>,tensor<256x64xf32>)->(tensor<128x64xf32>)", stages = 4 : i64, strategy = "tiled_gemm", target = "sm_90", tile = array<i64: 32, 32, 8>, vector_width = 4 : i64, warps = array<i64: 1, 1>}
// SM80-LABEL: func.func @tuned_matmul
//       SM80:     schedule = {block = array<i64: 128, 1, 1>, gemm = array<i64: 1, 128, 64, 256>, grid = array<i64: 2, 1, 1>, mma = "none", shared_bytes = 16384 : i64, signature = "{{[^"]+}}", stages = 2 : i64, strategy = "tiled_gemm", target = "sm_80", tile = array<i64: 64, 64, 16>, vector_width = 4 : i64, warps = array<i64: 2, 2>}
// CHECK-NOT:     dlc.fusion
func.func @tuned_matmul(%a: tensor<128x256xf32>, %b: tensor<256x64xf32>) -> tensor<128x64xf32> {
  %0 = dlc.matmul %a, %b : (tensor<128x256xf32>, tensor<256x64xf32>) -> tensor<128x64xf32> loc("mm3")
  return %0 : tensor<128x64xf32>
}

// -----

// The cache's pointwise entry (no target: any) sets vector width 2 and a
// 128-thread block: grid = ceil(8192 / (128 * 2)) = 32.
// CHECK-LABEL: func.func @tuned_pointwise
//       CHECK:   dlc.fusion elementwise "k0_out3"
//  CHECK-SAME:     schedule = {block = array<i64: 128, 1, 1>, grid = array<i64: 32, 1, 1>, shared_bytes = 0 : i64, signature = "elementwise[exp](tensor<128x64xf32>)->(tensor<128x64xf32>)", strategy = "pointwise", target = "sm_90", vector_width = 2 : i64}
// SM80-LABEL: func.func @tuned_pointwise
//       SM80:     schedule = {block = array<i64: 128, 1, 1>, grid = array<i64: 32, 1, 1>, {{.*}}target = "sm_80", vector_width = 2 : i64}
func.func @tuned_pointwise(%x: tensor<128x64xf32>) -> tensor<128x64xf32> {
  %0 = dlc.exp %x : tensor<128x64xf32> loc("out3")
  return %0 : tensor<128x64xf32>
}

// -----

// reduce_sum over axis 0 of [64, 32]: 32 rows of 64, strided (the row does
// not include the innermost dim, so vector width 1). ceil(32 / 8) = 4 < 132:
// 4 rows per block, block 128, grid 8.
// CHECK-LABEL: func.func @reduce_axis0
//       CHECK:   schedule = {block = array<i64: 128, 1, 1>, grid = array<i64: 8, 1, 1>, row_length = 64 : i64, rows = 32 : i64, rows_per_block = 4 : i64, shared_bytes = 0 : i64, {{.*}}threads_per_row = 32 : i64, vector_width = 1 : i64}
func.func @reduce_axis0(%x: tensor<64x32xf32>) -> tensor<32xf32> {
  %0 = dlc.reduce_sum %x {axes = array<i64: 0>} : (tensor<64x32xf32>) -> tensor<32xf32> loc("rs1")
  return %0 : tensor<32xf32>
}

// -----

// softmax_cross_entropy: one row of 10 classes per sample, 256 rows;
// ceil(256 / 8) = 32 < 132: 4 rows per block, grid 64. 10 % 4 != 0, 10 % 2
// == 0: vector width 2.
// CHECK-LABEL: func.func @cross_entropy
//       CHECK:   schedule = {block = array<i64: 128, 1, 1>, grid = array<i64: 64, 1, 1>, row_length = 10 : i64, rows = 256 : i64, rows_per_block = 4 : i64, shared_bytes = 0 : i64, {{.*}}threads_per_row = 32 : i64, vector_width = 2 : i64}
func.func @cross_entropy(%logits: tensor<256x10xf32>, %labels: tensor<256xi32>) -> tensor<f32> {
  %0 = dlc.softmax_cross_entropy %logits, %labels : (tensor<256x10xf32>, tensor<256xi32>) -> tensor<f32> loc("xent")
  return %0 : tensor<f32>
}

// -----

// A pool on its own (a reduction fusion) is direct_pool too: 1 * 4 * 4 * 4
// = 64 pooled elements, grid ceil(64 / 128) = 1; no gemm.
// CHECK-LABEL: func.func @lone_pool
//       CHECK:   dlc.fusion reduction "k0_ap1"
//  CHECK-SAME:     schedule = {block = array<i64: 128, 1, 1>, grid = array<i64: 1, 1, 1>, shared_bytes = 0 : i64, signature = "reduction[avg_pool2d](tensor<1x4x8x8xf32>)->(tensor<1x4x4x4xf32>)", strategy = "direct_pool", target = "sm_90", vector_width = 1 : i64}
func.func @lone_pool(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %0 = dlc.avg_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("ap1")
  return %0 : tensor<1x4x4x4xf32>
}

// The bad caches: the error is at the function, names the file, the entry
// and (once it applies to one) the fusion.
// MISSING: error: tuning cache '{{.*}}Inputs/does-not-exist.json': cannot read: {{.+}}
// BADJSON: error: tuning cache '{{.*}}Inputs/tile-cache-bad-json.json': invalid JSON: {{.+}}
// BADKEY: error: tuning cache '{{.*}}Inputs/tile-cache-bad-key.json': entry 1: unknown schedule key "tiles"
// BADTILE: error: tuning cache '{{.*}}Inputs/tile-cache-bad-tile.json': entry 0 (fusion 'k0_mm3'): tile [0, 32, 8], warps [1, 1], stages 2; expects positive sizes, warps dividing the tile
// BADSMEM: error: tuning cache '{{.*}}Inputs/tile-cache-bad-smem.json': entry 0 (fusion 'k0_mm3'): shared_bytes 524288 exceeds the 232448 bytes of sm_90
// BADFIELD: error: tuning cache '{{.*}}Inputs/tile-cache-bad-field.json': entry 0 (fusion 'k0_out3'): "tile" cannot be set on a pointwise schedule
// BADTHREADS: error: tuning cache '{{.*}}Inputs/tile-cache-bad-threads.json': entry 0 (fusion 'k0_mm3'): block of 2048 threads; expects at most 1024 and a multiple of 32
// BADTARGET: error: --dlc-tile: unknown target 'sm_70' (expects sm_80 or sm_90)
