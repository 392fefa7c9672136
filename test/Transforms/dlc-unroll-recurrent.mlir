// RUN: dlc-opt %s --split-input-file --dlc-unroll-recurrent | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-unroll-recurrent --dlc-fuse | FileCheck %s --check-prefix=FUSED

// LSTM, 3 steps: one input projection for all steps (both bias halves as
// its bias), no recurrent product at step 0 (h starts at zeros), then one
// dense of h with the [16, 4] recurrence per step, its step's projection
// added; gate math on [2, 4] column slices; only y_h is read, so y and y_c
// are not built.

// CHECK-LABEL: func.func @lstm
//  CHECK-SAME:   (%[[X:.+]]: tensor<3x2x3xf32>, %[[W:.+]]: tensor<1x16x3xf32>, %[[R:.+]]: tensor<1x16x4xf32>, %[[B:.+]]: tensor<1x32xf32>)
//   CHECK-NOT:   dlc.lstm
//       CHECK:   %[[WB:.+]] = dlc.slice %[[B]] {axes = array<i64: 1>, ends = array<i64: 16>, starts = array<i64: 0>}
//       CHECK:   %[[RB:.+]] = dlc.slice %[[B]] {axes = array<i64: 1>, ends = array<i64: 32>, starts = array<i64: 16>}
//       CHECK:   %[[SUM:.+]] = dlc.add %[[WB]], %[[RB]]
//       CHECK:   %[[BIAS:.+]] = dlc.reshape %[[SUM]] {shape = array<i64: 16>}
//       CHECK:   %[[W2:.+]] = dlc.reshape %[[W]] {shape = array<i64: 16, 3>}
//       CHECK:   %[[P:.+]] = dlc.dense %[[X]], %[[W2]], %[[BIAS]] : (tensor<3x2x3xf32>, tensor<16x3xf32>, tensor<16xf32>) -> tensor<3x2x16xf32>
//       CHECK:   %[[R2:.+]] = dlc.reshape %{{.+}} {shape = array<i64: 16, 4>}
// Step 0: gates straight from the projection.
//       CHECK:   %[[P0:.+]] = dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 1, 2, 16>, starts = array<i64: 0, 0, 0>}
//       CHECK:   %[[G0:.+]] = dlc.reshape %[[P0]] {shape = array<i64: 2, 16>}
//   CHECK-NOT:   dlc.dense
//       CHECK:   dlc.slice %[[G0]] {axes = array<i64: 1>, ends = array<i64: 4>, starts = array<i64: 0>}
//       CHECK:   dlc.sigmoid
//       CHECK:   %[[C0:.+]] = dlc.mul
//       CHECK:   %[[T0:.+]] = dlc.tanh %[[C0]]
//       CHECK:   %[[H0:.+]] = dlc.mul %{{.+}}, %[[T0]] : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
// Step 1: one recurrent dense for all gates.
//       CHECK:   %[[RH:.+]] = dlc.dense %[[H0]], %[[R2]] : (tensor<2x4xf32>, tensor<16x4xf32>) -> tensor<2x16xf32>
//       CHECK:   dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 2, 2, 16>, starts = array<i64: 1, 0, 0>}
//       CHECK:   %[[G1:.+]] = dlc.add %[[RH]], %{{.+}} : (tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x16xf32>
//       CHECK:   dlc.slice %[[G1]] {axes = array<i64: 1>, ends = array<i64: 12>, starts = array<i64: 8>}
// Step 2, then y_h = h of step 2.
//       CHECK:   dlc.dense
//   CHECK-NOT:   dlc.dense
//       CHECK:   %[[C2:.+]] = dlc.add %{{.+}}, %{{.+}} : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
//  CHECK-NEXT:   %[[T2:.+]] = dlc.tanh %[[C2]] : tensor<2x4xf32>
//  CHECK-NEXT:   %[[H2:.+]] = dlc.mul %{{.+}}, %[[T2]]
//  CHECK-NEXT:   %[[YH:.+]] = dlc.reshape %[[H2]] {shape = array<i64: 1, 2, 4>}
//  CHECK-NEXT:   return %[[YH]]

// Per step one contraction (the recurrent dense, the projection slice as
// its epilogue's side input) and one elementwise kernel for the gate math.
// FUSED-LABEL: func.func @lstm
//       FUSED:   dlc.fusion contraction "k{{[0-9]+}}_lstm1"
//       FUSED:   dlc.fusion elementwise "k{{[0-9]+}}_lstm1_t0"
//  FUSED-NEXT:   dlc.slice
//       FUSED:   dlc.fusion elementwise "k{{[0-9]+}}_lstm1_t0"
//   FUSED-NOT:   dlc.fusion
//       FUSED:   dlc.fusion contraction "k{{[0-9]+}}_{{[a-z0-9_]*}}lstm1_t1"
//   FUSED-NOT:   dlc.fusion
//       FUSED:   dlc.fusion elementwise "k{{[0-9]+}}_lstm1_t1"
//   FUSED-NOT:   dlc.fusion
//       FUSED:   dlc.fusion contraction "k{{[0-9]+}}_{{[a-z0-9_]*}}lstm1_t2"
//   FUSED-NOT:   dlc.fusion
//       FUSED:   dlc.fusion elementwise "k{{[0-9]+}}_lstm1_t2
//   FUSED-NOT:   dlc.fusion
//       FUSED:   return
func.func @lstm(%x: tensor<3x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %b: tensor<1x32xf32>) -> tensor<1x2x4xf32> {
  %y, %yh, %yc = dlc.lstm %x, %w, %r bias %b {hidden_size = 4 : i64} : (tensor<3x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x32xf32>) -> (tensor<3x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) loc("lstm1")
  return %yh : tensor<1x2x4xf32>
}

// -----

// Bidirectional GRU as PyTorch exports it (linear_before_reset), 2 steps,
// with initial h: the second direction runs from the last step; y stacks
// the steps' h as [seq, dirs, batch, H] in sequence order.

// CHECK-LABEL: func.func @gru
//   CHECK-NOT:   dlc.gru
// Direction 0 starts at step 0, direction 1 at step 1; the gate math reads
// the z, r, h slices of its step and direction from the projection.
//       CHECK:   %[[P:.+]] = dlc.dense %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x1x3xf32>, tensor<12x3xf32>, tensor<12xf32>) -> tensor<2x1x12xf32>
//       CHECK:   dlc.dense %{{.+}}, %{{.+}}, %{{.+}} : (tensor<1x2xf32>, tensor<6x2xf32>, tensor<6xf32>) -> tensor<1x6xf32>
//       CHECK:   dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 1, 1, 2>, starts = array<i64: 0, 0, 0>}
//       CHECK:   dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 1, 1, 4>, starts = array<i64: 0, 0, 2>}
//       CHECK:   dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 1, 1, 6>, starts = array<i64: 0, 0, 4>}
//       CHECK:   dlc.dense
//       CHECK:   dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 2, 1, 2>, starts = array<i64: 1, 0, 0>}
//       CHECK:   dlc.dense
//       CHECK:   dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 2, 1, 8>, starts = array<i64: 1, 0, 6>}
//       CHECK:   dlc.dense
//       CHECK:   dlc.slice %[[P]] {axes = array<i64: 0, 1, 2>, ends = array<i64: 1, 1, 8>, starts = array<i64: 0, 0, 6>}
//       CHECK:   %[[Y:.+]] = dlc.concat %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {axis = 0 : i64} : (tensor<1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>) -> tensor<4x1x2xf32>
//       CHECK:   dlc.reshape %[[Y]] {shape = array<i64: 2, 2, 1, 2>}
func.func @gru(%x: tensor<2x1x3xf32>, %w: tensor<2x6x3xf32>, %r: tensor<2x6x2xf32>, %b: tensor<2x12xf32>, %h: tensor<2x1x2xf32>) -> tensor<2x2x1x2xf32> {
  %y, %yh = dlc.gru %x, %w, %r bias %b initial_h %h {hidden_size = 2 : i64, direction = "bidirectional", linear_before_reset = true} : (tensor<2x1x3xf32>, tensor<2x6x3xf32>, tensor<2x6x2xf32>, tensor<2x12xf32>, tensor<2x1x2xf32>) -> (tensor<2x2x1x2xf32>, tensor<2x1x2xf32>) loc("gru1")
  return %y : tensor<2x2x1x2xf32>
}

// Per step one contraction and one elementwise kernel.
// FUSED-LABEL: func.func @gru
// FUSED-COUNT-4: dlc.fusion contraction "k{{[0-9]+}}_gru1_t{{[01]}}"
//   FUSED-NOT:   dlc.fusion contraction
//       FUSED:   return

// -----

// A slice of y along the steps (the last step, as a classifier reads it)
// stacks only those steps: no concat of every step.

// CHECK-LABEL: func.func @last_step
//   CHECK-NOT:   dlc.concat
//       CHECK:   %[[Y:.+]] = dlc.reshape %{{.+}} {shape = array<i64: 1, 1, 2, 4>} : (tensor<2x4xf32>) -> tensor<1x1x2x4xf32>
//  CHECK-NEXT:   return %[[Y]]
func.func @last_step(%x: tensor<3x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) -> tensor<1x1x2x4xf32> {
  %y, %yh, %yc = dlc.lstm %x, %w, %r {hidden_size = 4 : i64} : (tensor<3x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<3x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  %last = dlc.slice %y {starts = array<i64: -1>, ends = array<i64: 3>, axes = array<i64: 0>} : (tensor<3x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %last : tensor<1x1x2x4xf32>
}
