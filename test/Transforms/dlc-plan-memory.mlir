// RUN: dlc-opt %s --split-input-file --allow-unregistered-dialect --dlc-fuse --dlc-plan-memory | FileCheck %s
// RUN: dlc-opt %s --split-input-file --allow-unregistered-dialect --dlc-plan-memory="alignment=1024" | FileCheck %s --check-prefix=A1K
// RUN: dlc-opt %s --split-input-file --allow-unregistered-dialect --dlc-fuse --dlc-plan-memory | dlc-opt --split-input-file --allow-unregistered-dialect --dlc-plan-memory | FileCheck %s
// RUN: not dlc-opt %s --split-input-file --allow-unregistered-dialect --dlc-plan-memory="alignment=0" 2>&1 | FileCheck %s --check-prefix=BAD

// Offsets of intermediates in one arena (docs/memory-plan.md). The first RUN
// line fuses first (each matmul is its own kernel, an elementwise consumer
// joins it as an epilogue; hand-written fusions are left alone); the second
// plans the ops as written, with 1024-byte alignment; the third shows that
// planning again gives the same plan. A 16x16xf32 tensor is 1024 bytes.

// A chain of 12 kernels: the 11 intermediates ping-pong between two slots,
// 2 buffers' worth instead of 11. The last result is an output: -1.
// CHECK-LABEL: func.func @chain
//  CHECK-SAME:   attributes {dlc.arena_bytes = 2048 : i64, dlc.peak_live_bytes = 2048 : i64, dlc.unplanned_bytes = 11264 : i64}
//       CHECK:   dlc.fusion contraction "k0_mm0"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k1_mm1"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion contraction "k2_mm2"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k3_mm3"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion contraction "k4_mm4"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k5_mm5"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion contraction "k6_mm6"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k7_mm7"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion contraction "k8_mm8"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k9_mm9"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion contraction "k10_mm10"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k11_mm11"
//  CHECK-SAME:     attributes {buffer_offsets = array<i64: -1>}
//       CHECK:   return
// A1K-LABEL: func.func @chain
//  A1K-SAME:   attributes {dlc.arena_bytes = 2048 : i64, dlc.peak_live_bytes = 2048 : i64, dlc.unplanned_bytes = 11264 : i64}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: -1>}
func.func @chain(%x: tensor<16x16xf32>, %w: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %0 = dlc.matmul %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm0")
  %1 = dlc.matmul %0, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm1")
  %2 = dlc.matmul %1, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm2")
  %3 = dlc.matmul %2, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm3")
  %4 = dlc.matmul %3, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm4")
  %5 = dlc.matmul %4, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm5")
  %6 = dlc.matmul %5, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm6")
  %7 = dlc.matmul %6, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm7")
  %8 = dlc.matmul %7, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm8")
  %9 = dlc.matmul %8, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm9")
  %10 = dlc.matmul %9, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm10")
  %11 = dlc.matmul %10, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm11")
  return %11 : tensor<16x16xf32>
}

// -----

// A value read at the end (the residual) keeps its slot for the whole
// function while the chain ping-pongs in the two slots above it. Fused, the
// residual add is the last kernel's epilogue.
// CHECK-LABEL: func.func @long_lived
//  CHECK-SAME:   attributes {dlc.arena_bytes = 3072 : i64, dlc.peak_live_bytes = 3072 : i64, dlc.unplanned_bytes = 5120 : i64}
//       CHECK:   dlc.fusion contraction "k0_keep" {{.+}} attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k1_mm0" {{.+}} attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion contraction "k2_mm1" {{.+}} attributes {buffer_offsets = array<i64: 2048>}
//       CHECK:   dlc.fusion contraction "k3_mm2" {{.+}} attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion contraction "k4_mm3" {{.+}} attributes {buffer_offsets = array<i64: 2048>}
//       CHECK:   dlc.fusion contraction "k5_mm4_residual" {{.+}} attributes {buffer_offsets = array<i64: -1>}
// A1K-LABEL: func.func @long_lived
//  A1K-SAME:   attributes {dlc.arena_bytes = 3072 : i64, dlc.peak_live_bytes = 3072 : i64, dlc.unplanned_bytes = 6144 : i64}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 2048>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 2048>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.add {{.+}} {buffer_offsets = array<i64: -1>}
func.func @long_lived(%x: tensor<16x16xf32>, %w: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %a = dlc.matmul %x, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("keep")
  %0 = dlc.matmul %a, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm0")
  %1 = dlc.matmul %0, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm1")
  %2 = dlc.matmul %1, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm2")
  %3 = dlc.matmul %2, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm3")
  %4 = dlc.matmul %3, %w : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("mm4")
  %5 = dlc.add %4, %a : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32> loc("residual")
  return %5 : tensor<16x16xf32>
}

// -----

// Alignment: a 4x4xf32 tensor is 64 bytes, a 256-byte slot by default and a
// 1024-byte one with alignment=1024.
// CHECK-LABEL: func.func @small
//  CHECK-SAME:   attributes {dlc.arena_bytes = 512 : i64, dlc.peak_live_bytes = 512 : i64, dlc.unplanned_bytes = 512 : i64}
//       CHECK:   dlc.fusion contraction "k0_m0" {{.+}} attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion contraction "k1_m1" {{.+}} attributes {buffer_offsets = array<i64: 256>}
//       CHECK:   dlc.fusion contraction "k2_m2" {{.+}} attributes {buffer_offsets = array<i64: -1>}
// A1K-LABEL: func.func @small
//  A1K-SAME:   attributes {dlc.arena_bytes = 2048 : i64, dlc.peak_live_bytes = 2048 : i64, dlc.unplanned_bytes = 2048 : i64}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 0>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.matmul {{.+}} {buffer_offsets = array<i64: -1>}
// BAD: error: expects a positive alignment, got 0
func.func @small(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = dlc.matmul %x, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("m0")
  %1 = dlc.matmul %0, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("m1")
  %2 = dlc.matmul %1, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("m2")
  return %2 : tensor<4x4xf32>
}

// -----

// A diamond of hand-written fusions: a is read by b and c, both by d. At c,
// a, b and c are live (the peak); d reuses a's slot.
// CHECK-LABEL: func.func @diamond
//  CHECK-SAME:   attributes {dlc.arena_bytes = 3072 : i64, dlc.peak_live_bytes = 3072 : i64, dlc.unplanned_bytes = 4096 : i64}
//       CHECK:   dlc.fusion elementwise "k0_a" {{.+}} attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion elementwise "k1_b" {{.+}} attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion elementwise "k2_c" {{.+}} attributes {buffer_offsets = array<i64: 2048>}
//       CHECK:   dlc.fusion elementwise "k3_d" {{.+}} attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   dlc.fusion elementwise "k4_e" {{.+}} attributes {buffer_offsets = array<i64: -1>}
// A1K-LABEL: func.func @diamond
//  A1K-SAME:   attributes {dlc.arena_bytes = 3072 : i64, dlc.peak_live_bytes = 3072 : i64, dlc.unplanned_bytes = 4096 : i64}
func.func @diamond(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %a = dlc.fusion elementwise "k0_a" (%p = %x : tensor<16x16xf32>) -> tensor<16x16xf32> {
    %0 = dlc.exp %p : tensor<16x16xf32>
    dlc.yield %0 : tensor<16x16xf32>
  }
  %b = dlc.fusion elementwise "k1_b" (%p = %a : tensor<16x16xf32>) -> tensor<16x16xf32> {
    %0 = dlc.relu %p : tensor<16x16xf32>
    dlc.yield %0 : tensor<16x16xf32>
  }
  %c = dlc.fusion elementwise "k2_c" (%p = %a : tensor<16x16xf32>) -> tensor<16x16xf32> {
    %0 = dlc.neg %p : tensor<16x16xf32>
    dlc.yield %0 : tensor<16x16xf32>
  }
  %d = dlc.fusion elementwise "k3_d" (%p = %b : tensor<16x16xf32>, %q = %c : tensor<16x16xf32>) -> tensor<16x16xf32> {
    %0 = dlc.add %p, %q : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
    dlc.yield %0 : tensor<16x16xf32>
  }
  %e = dlc.fusion elementwise "k4_e" (%p = %d : tensor<16x16xf32>) -> tensor<16x16xf32> {
    %0 = dlc.exp %p : tensor<16x16xf32>
    dlc.yield %0 : tensor<16x16xf32>
  }
  return %e : tensor<16x16xf32>
}

// -----

// Several results: the returned one is -1, the i1 mask (32 bytes, one per
// element) gets a slot. A use inside a nested region counts at the enclosing
// op: %w stays live until test.wrap, so the 1024-byte dead result of k2 (live
// at its own op only) cannot take its slot.
// CHECK-LABEL: func.func @results
//  CHECK-SAME:   attributes {dlc.arena_bytes = 1280 : i64, dlc.peak_live_bytes = 1280 : i64, dlc.unplanned_bytes = 1536 : i64}
//       CHECK:   dlc.fusion elementwise "k0_mask" {{.+}} attributes {buffer_offsets = array<i64: -1, 0>}
//       CHECK:   dlc.fusion elementwise "k1_where" {{.+}} attributes {buffer_offsets = array<i64: 1024>}
//       CHECK:   dlc.fusion elementwise "k2_dead" {{.+}} attributes {buffer_offsets = array<i64: 0>}
//       CHECK:   "test.wrap"
//   CHECK-NOT:   buffer_offsets
//       CHECK:   return
// A1K-LABEL: func.func @results
//  A1K-SAME:   attributes {dlc.arena_bytes = 2048 : i64, dlc.peak_live_bytes = 2048 : i64, dlc.unplanned_bytes = 3072 : i64}
//       A1K:   dlc.fusion elementwise "k0_mask" {{.+}} attributes {buffer_offsets = array<i64: -1, 0>}
//       A1K:   dlc.fusion elementwise "k1_where" {{.+}} attributes {buffer_offsets = array<i64: 1024>}
//       A1K:   dlc.fusion elementwise "k2_dead" {{.+}} attributes {buffer_offsets = array<i64: 0>}
func.func @results(%x: tensor<4x8xf32>, %y: tensor<16x16xf32>) -> tensor<4x8xf32> {
  %m:2 = dlc.fusion elementwise "k0_mask" (%p = %x : tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xi1>) {
    %0 = dlc.exp %p : tensor<4x8xf32>
    %1 = dlc.compare %0, %p {predicate = "gt"} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
    dlc.yield %0, %1 : tensor<4x8xf32>, tensor<4x8xi1>
  }
  %w = dlc.fusion elementwise "k1_where" (%c = %m#1 : tensor<4x8xi1>, %p = %x : tensor<4x8xf32>) -> tensor<4x8xf32> {
    %0 = dlc.where %c, %p, %p : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
    dlc.yield %0 : tensor<4x8xf32>
  }
  %dead = dlc.fusion elementwise "k2_dead" (%p = %y : tensor<16x16xf32>) -> tensor<16x16xf32> {
    %0 = dlc.exp %p : tensor<16x16xf32>
    dlc.yield %0 : tensor<16x16xf32>
  }
  "test.wrap"() ({
    "test.use"(%w) : (tensor<4x8xf32>) -> ()
  }) : () -> ()
  return %m#0 : tensor<4x8xf32>
}
