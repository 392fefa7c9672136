// RUN: dlc-opt %s --split-input-file --dlc-fuse | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-fuse="max-recompute-ops=0" | FileCheck %s --check-prefix=NORECOMP
// RUN: dlc-opt %s --split-input-file --dlc-fuse="max-ops=2" | FileCheck %s --check-prefix=MAXOPS
// RUN: dlc-opt %s --split-input-file --dlc-fuse | dlc-opt --split-input-file --dlc-fuse | FileCheck %s

// One case per fusion rule of passes/Passes.td, firing and not firing. The
// second RUN line turns recomputation off; the third shows that the pass
// leaves its own output alone; max-ops=2 caps the size of a group.

// Rule 3: an elementwise chain becomes one fusion, named after its nodes.
// CHECK-LABEL: func.func @chain
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x8xf32>, %[[Y:.+]]: tensor<4x8xf32>)
//       CHECK:   %[[F:.+]] = dlc.fusion elementwise "k0_add1_relu1_exp1" (%[[A:.+]] = %[[X]] : tensor<4x8xf32>, %[[B:.+]] = %[[Y]] : tensor<4x8xf32>) -> tensor<4x8xf32> {
//  CHECK-NEXT:     %[[S:.+]] = dlc.add %[[A]], %[[B]]
//  CHECK-NEXT:     %[[R:.+]] = dlc.relu %[[S]]
//  CHECK-NEXT:     %[[E:.+]] = dlc.exp %[[R]]
//  CHECK-NEXT:     dlc.yield %[[E]] : tensor<4x8xf32>
//  CHECK-NEXT:   }
//  CHECK-NEXT:   return %[[F]]
// MAXOPS-LABEL: func.func @chain
//       MAXOPS:   %[[F0:.+]] = dlc.fusion elementwise "k0_add1_relu1"
//  MAXOPS-NEXT:     dlc.add
//  MAXOPS-NEXT:     dlc.relu
//  MAXOPS-NEXT:     dlc.yield
//       MAXOPS:   dlc.fusion elementwise "k1_exp1" (%{{.+}} = %[[F0]] : tensor<4x8xf32>)
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = dlc.add %x, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("add1")
  %1 = dlc.relu %0 : tensor<4x8xf32> loc("relu1")
  %2 = dlc.exp %1 : tensor<4x8xf32> loc("exp1")
  return %2 : tensor<4x8xf32>
}

// -----

// A broadcast is an index map: it joins its consumer. The constant is cloned
// into the fusion; node names are sanitized ("bias.bcast").
// CHECK-LABEL: func.func @broadcast_folded
//   CHECK-NOT:   dlc.constant
//       CHECK:   %[[F:.+]] = dlc.fusion elementwise "k0_bias_bcast_bias_scale"
//  CHECK-NEXT:     %[[C:.+]] = dlc.constant dense<5.000000e-01> : tensor<f32>
//  CHECK-NEXT:     %[[BB:.+]] = dlc.broadcast %{{.+}} {shape = array<i64: 4, 8>}
//  CHECK-NEXT:     %[[S:.+]] = dlc.add %{{.+}}, %[[BB]]
//  CHECK-NEXT:     %[[M:.+]] = dlc.mul %[[S]], %[[C]]
//  CHECK-NEXT:     dlc.yield %[[M]]
//   CHECK-NOT:   dlc.fusion
//       CHECK:   return %[[F]]
func.func @broadcast_folded(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %c = dlc.constant dense<0.5> : tensor<f32>
  %0 = dlc.broadcast %b {shape = array<i64: 4, 8>} : (tensor<8xf32>) -> tensor<4x8xf32> loc("bias.bcast")
  %1 = dlc.add %x, %0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("bias")
  %2 = dlc.mul %1, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32> loc("scale")
  return %2 : tensor<4x8xf32>
}

// -----

// Rule 3 does not fire: the slice changes the number of elements, so exp and
// the slice+relu are two kernels.
// CHECK-LABEL: func.func @size_change
//       CHECK:   %[[F0:.+]] = dlc.fusion elementwise "k0_e" ({{.+}}) -> tensor<4x8xf32> {
//  CHECK-NEXT:     dlc.exp
//  CHECK-NEXT:     dlc.yield
//       CHECK:   %[[F1:.+]] = dlc.fusion elementwise "k1_s_r" (%{{.+}} = %[[F0]] : tensor<4x8xf32>) -> tensor<4x4xf32> {
//  CHECK-NEXT:     dlc.slice
//  CHECK-NEXT:     dlc.relu
//  CHECK-NEXT:     dlc.yield
//       CHECK:   return %[[F1]]
func.func @size_change(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  %0 = dlc.exp %x : tensor<4x8xf32> loc("e")
  %1 = dlc.slice %0 {starts = array<i64: 0>, ends = array<i64: 4>, axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x4xf32> loc("s")
  %2 = dlc.relu %1 : tensor<4x4xf32> loc("r")
  return %2 : tensor<4x4xf32>
}

// -----

// Rule 1: conv + bias (through a reshape) + relu + max_pool is one
// contraction kernel that writes only the pooled tensor.
// CHECK-LABEL: func.func @conv_bias_relu_pool
//  CHECK-SAME:   (%[[X:.+]]: tensor<1x3x8x8xf32>, %[[W:.+]]: tensor<4x3x3x3xf32>, %[[B:.+]]: tensor<4xf32>)
//       CHECK:   %[[F:.+]] = dlc.fusion contraction "k0_conv1_bias1_view_bias1_relu1" (%[[AX:.+]] = %[[X]] : tensor<1x3x8x8xf32>, %[[AW:.+]] = %[[W]] : tensor<4x3x3x3xf32>, %[[AB:.+]] = %[[B]] : tensor<4xf32>) -> tensor<1x4x4x4xf32> {
//  CHECK-NEXT:     %[[C:.+]] = dlc.conv2d %[[AX]], %[[AW]]
//  CHECK-NEXT:     %[[V:.+]] = dlc.reshape %[[AB]]
//  CHECK-NEXT:     %[[S:.+]] = dlc.add %[[C]], %[[V]]
//  CHECK-NEXT:     %[[R:.+]] = dlc.relu %[[S]]
//  CHECK-NEXT:     %[[P:.+]] = dlc.max_pool2d %[[R]]
//  CHECK-NEXT:     dlc.yield %[[P]] : tensor<1x4x4x4xf32>
//  CHECK-NEXT:   }
//  CHECK-NEXT:   return %[[F]]
func.func @conv_bias_relu_pool(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %1 = dlc.reshape %b {shape = array<i64: 1, 4, 1, 1>} : (tensor<4xf32>) -> tensor<1x4x1x1xf32> loc("bias1.view")
  %2 = dlc.add %0, %1 : (tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("bias1")
  %3 = dlc.relu %2 : tensor<1x4x8x8xf32> loc("relu1")
  %5 = dlc.max_pool2d %3 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool1")
  return %5 : tensor<1x4x4x4xf32>
}

// -----

// Rule 1, pool not taken: relu1 is also read by the gate, so the conv kernel
// writes relu1 anyway and the pool stays a kernel of its own (a reduction).
// CHECK-LABEL: func.func @conv_two_consumers
//       CHECK:   %[[F:.+]]:2 = dlc.fusion contraction "k0_conv1_relu1_gate" ({{.+}}) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
//  CHECK-NEXT:     %[[C:.+]] = dlc.conv2d
//  CHECK-NEXT:     %[[R:.+]] = dlc.relu %[[C]]
//  CHECK-NEXT:     %[[G:.+]] = dlc.sigmoid %[[R]]
//  CHECK-NEXT:     dlc.yield %[[R]], %[[G]]
//       CHECK:   %[[P:.+]] = dlc.fusion reduction "k1_pool1" (%{{.+}} = %[[F]]#0 : tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
//  CHECK-NEXT:     dlc.max_pool2d
//  CHECK-NEXT:     dlc.yield
//       CHECK:   return %[[P]], %[[F]]#1
func.func @conv_two_consumers(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x8x8xf32>) {
  %0 = dlc.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %1 = dlc.relu %0 : tensor<1x4x8x8xf32> loc("relu1")
  %2 = dlc.max_pool2d %1 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool1")
  %3 = dlc.sigmoid %1 : tensor<1x4x8x8xf32> loc("gate")
  return %2, %3 : tensor<1x4x4x4xf32>, tensor<1x4x8x8xf32>
}

// -----

// Rule 1: a producer that only feeds the epilogue, element for element (the
// activated skip of a residual), is a side input and joins the kernel.
// CHECK-LABEL: func.func @conv_residual
//  CHECK-SAME:   (%[[X:.+]]: tensor<1x4x8x8xf32>, %[[W:.+]]: tensor<4x4x3x3xf32>, %[[Y:.+]]: tensor<1x4x8x8xf32>)
//       CHECK:   %[[F:.+]] = dlc.fusion contraction "k0_conv_skip_act_res_out" (%[[AX:.+]] = %[[X]] : {{.+}}, %[[AW:.+]] = %[[W]] : {{.+}}, %[[AY:.+]] = %[[Y]] : {{.+}}) -> tensor<1x4x8x8xf32> {
//  CHECK-NEXT:     %[[C:.+]] = dlc.conv2d %[[AX]], %[[AW]]
//  CHECK-NEXT:     %[[S:.+]] = dlc.relu %[[AY]]
//  CHECK-NEXT:     %[[R:.+]] = dlc.add %[[C]], %[[S]]
//  CHECK-NEXT:     %[[O:.+]] = dlc.relu %[[R]]
//  CHECK-NEXT:     dlc.yield %[[O]]
//  CHECK-NEXT:   }
//  CHECK-NEXT:   return %[[F]]
func.func @conv_residual(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %y: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = dlc.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %1 = dlc.relu %y : tensor<1x4x8x8xf32> loc("skip_act")
  %2 = dlc.add %0, %1 : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("res")
  %3 = dlc.relu %2 : tensor<1x4x8x8xf32> loc("out")
  return %3 : tensor<1x4x8x8xf32>
}

// -----

// Rule 1 does not take an elementwise prologue: the dense would recompute
// the relu for every output column.
// CHECK-LABEL: func.func @no_contraction_prologue
//       CHECK:   %[[F0:.+]] = dlc.fusion elementwise "k0_act0"
//  CHECK-NEXT:     dlc.relu
//  CHECK-NEXT:     dlc.yield
//       CHECK:   dlc.fusion contraction "k1_fc" (%{{.+}} = %[[F0]] : tensor<4x8xf32>,
//  CHECK-NEXT:     dlc.dense
//  CHECK-NEXT:     dlc.yield
func.func @no_contraction_prologue(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %0 = dlc.relu %x : tensor<4x8xf32> loc("act0")
  %1 = dlc.dense %0, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32> loc("fc")
  return %1 : tensor<4x16xf32>
}

// -----

// Rule 2: a pool no contraction took is a reduction kernel with its own
// prologue and epilogue.
// CHECK-LABEL: func.func @pool_alone
//       CHECK:   %[[F:.+]] = dlc.fusion reduction "k0_act_pool_flip"
//  CHECK-NEXT:     dlc.relu
//  CHECK-NEXT:     dlc.max_pool2d
//  CHECK-NEXT:     dlc.neg
//  CHECK-NEXT:     dlc.yield
//  CHECK-NEXT:   }
//  CHECK-NEXT:   return %[[F]]
func.func @pool_alone(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %0 = dlc.relu %x : tensor<1x4x8x8xf32> loc("act")
  %1 = dlc.max_pool2d %0 {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool")
  %2 = dlc.neg %1 : tensor<1x4x4x4xf32> loc("flip")
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Rule 2: an epilogue of the reduction's input size that reads its result
// (x - rowmax(x)) starts a new kernel: the result is materialized.
// CHECK-LABEL: func.func @stable_exp
//       CHECK:   %[[M:.+]] = dlc.fusion reduction "k0_rowmax" (%[[A:.+]] = %{{.+}} : tensor<4x8xf32>) -> tensor<4x1xf32> {
//  CHECK-NEXT:     %[[R:.+]] = dlc.reduce_max %[[A]]
//  CHECK-NEXT:     dlc.yield %[[R]]
//  CHECK-NEXT:   }
//  CHECK-NEXT:   %[[F:.+]] = dlc.fusion elementwise "k1_shift_e" (%{{.+}} = %{{.+}} : tensor<4x8xf32>, %{{.+}} = %[[M]] : tensor<4x1xf32>) -> tensor<4x8xf32> {
//  CHECK-NEXT:     dlc.sub
//  CHECK-NEXT:     dlc.exp
//  CHECK-NEXT:     dlc.yield
//  CHECK-NEXT:   }
//  CHECK-NEXT:   return %[[F]]
func.func @stable_exp(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = dlc.reduce_max %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32> loc("rowmax")
  %1 = dlc.sub %x, %0 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32> loc("shift")
  %2 = dlc.exp %1 : tensor<4x8xf32> loc("e")
  return %2 : tensor<4x8xf32>
}

// -----

// Rule 2: softmax with its prologue (scale by a constant) and epilogue (log).
// CHECK-LABEL: func.func @softmax
//       CHECK:   %[[F:.+]] = dlc.fusion reduction "k0_scale_probs_logp" ({{.+}}) -> tensor<2x8xf32> {
//  CHECK-NEXT:     %[[C:.+]] = dlc.constant
//  CHECK-NEXT:     %[[M:.+]] = dlc.mul %{{.+}}, %[[C]]
//  CHECK-NEXT:     %[[S:.+]] = dlc.softmax %[[M]]
//  CHECK-NEXT:     %[[L:.+]] = dlc.log %[[S]]
//  CHECK-NEXT:     dlc.yield %[[L]]
//  CHECK-NEXT:   }
//  CHECK-NEXT:   return %[[F]]
func.func @softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %c = dlc.constant dense<0.125> : tensor<f32>
  %0 = dlc.mul %x, %c : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32> loc("scale")
  %1 = dlc.softmax %0 : tensor<2x8xf32> loc("probs")
  %2 = dlc.log %1 : tensor<2x8xf32> loc("logp")
  return %2 : tensor<2x8xf32>
}

// -----

// Rule 2: residual add + layer_norm + gelu. scale and bias are operands.
// CHECK-LABEL: func.func @layer_norm
//  CHECK-SAME:   (%[[X:.+]]: tensor<2x8xf32>, %[[R:.+]]: tensor<2x8xf32>, %[[G:.+]]: tensor<8xf32>, %[[B:.+]]: tensor<8xf32>)
//       CHECK:   %[[F:.+]] = dlc.fusion reduction "k0_residual_ln_act" (%{{.+}} = %[[X]] : tensor<2x8xf32>, %{{.+}} = %[[R]] : tensor<2x8xf32>, %{{.+}} = %[[G]] : tensor<8xf32>, %{{.+}} = %[[B]] : tensor<8xf32>) -> tensor<2x8xf32> {
//  CHECK-NEXT:     dlc.add
//  CHECK-NEXT:     dlc.layer_norm
//  CHECK-NEXT:     dlc.gelu
//  CHECK-NEXT:     dlc.yield
//  CHECK-NEXT:   }
//  CHECK-NEXT:   return %[[F]]
func.func @layer_norm(%x: tensor<2x8xf32>, %r: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = dlc.add %x, %r : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32> loc("residual")
  %1 = dlc.layer_norm %0, %g, %b : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32> loc("ln")
  %2 = dlc.gelu %1 : tensor<2x8xf32> loc("act")
  return %2 : tensor<2x8xf32>
}

// -----

// Recompute: the temperature division is read by two reductions. It is one
// elementwise op over function arguments, so each reduction recomputes it
// and it is never written. With max-recompute-ops=0 it is materialized by a
// kernel of its own. The loss scaling is an epilogue of the cross-entropy.
// CHECK-LABEL: func.func @log_softmax_xent
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x10xf32>, %[[T:.+]]: tensor<f32>, %[[L:.+]]: tensor<4xi64>)
//   CHECK-NOT:   dlc.div
//       CHECK:   %[[F0:.+]] = dlc.fusion reduction "k0_temperature_logp" (%{{.+}} = %[[X]] : tensor<4x10xf32>, %{{.+}} = %[[T]] : tensor<f32>) -> tensor<4x10xf32> {
//  CHECK-NEXT:     %[[D:.+]] = dlc.div
//  CHECK-NEXT:     %[[LS:.+]] = dlc.log_softmax %[[D]]
//  CHECK-NEXT:     dlc.yield %[[LS]]
//       CHECK:   %[[F1:.+]] = dlc.fusion reduction "k1_temperature_xent_loss" (%{{.+}} = %[[X]] : tensor<4x10xf32>, %{{.+}} = %[[T]] : tensor<f32>, %{{.+}} = %[[L]] : tensor<4xi64>) -> tensor<f32> {
//  CHECK-NEXT:     %[[C:.+]] = dlc.constant
//  CHECK-NEXT:     %[[D:.+]] = dlc.div
//  CHECK-NEXT:     %[[CE:.+]] = dlc.softmax_cross_entropy %[[D]]
//  CHECK-NEXT:     %[[M:.+]] = dlc.mul %[[CE]], %[[C]]
//  CHECK-NEXT:     dlc.yield %[[M]]
//       CHECK:   return %[[F0]], %[[F1]]
// NORECOMP-LABEL: func.func @log_softmax_xent
//       NORECOMP:   %[[D:.+]] = dlc.fusion elementwise "k0_temperature"
//       NORECOMP:   dlc.fusion reduction "k1_logp" (%{{.+}} = %[[D]] : tensor<4x10xf32>)
//       NORECOMP:   dlc.fusion reduction "k2_xent_loss" (%{{.+}} = %[[D]] : tensor<4x10xf32>,
func.func @log_softmax_xent(%x: tensor<4x10xf32>, %t: tensor<f32>, %l: tensor<4xi64>) -> (tensor<4x10xf32>, tensor<f32>) {
  %0 = dlc.div %x, %t : (tensor<4x10xf32>, tensor<f32>) -> tensor<4x10xf32> loc("temperature")
  %1 = dlc.log_softmax %0 : tensor<4x10xf32> loc("logp")
  %2 = dlc.softmax_cross_entropy %0, %l : (tensor<4x10xf32>, tensor<4xi64>) -> tensor<f32> loc("xent")
  %c = dlc.constant dense<0.5> : tensor<f32>
  %3 = dlc.mul %2, %c : (tensor<f32>, tensor<f32>) -> tensor<f32> loc("loss")
  return %1, %3 : tensor<4x10xf32>, tensor<f32>
}

// -----

// Materialize: the value read by both reductions costs four elementwise ops
// (more than max-recompute-ops=3), so one kernel writes it and both read it.
// CHECK-LABEL: func.func @expensive_materialized
//       CHECK:   %[[F0:.+]] = dlc.fusion elementwise "k0_a_b_c_d"
//  CHECK-NEXT:     dlc.exp
//  CHECK-NEXT:     dlc.tanh
//  CHECK-NEXT:     dlc.sigmoid
//  CHECK-NEXT:     dlc.sqrt
//  CHECK-NEXT:     dlc.yield
//       CHECK:   dlc.fusion reduction "k1_p" (%{{.+}} = %[[F0]] : tensor<4x10xf32>)
//  CHECK-NEXT:     dlc.softmax
//  CHECK-NEXT:     dlc.yield
//       CHECK:   dlc.fusion reduction "k2_q" (%{{.+}} = %[[F0]] : tensor<4x10xf32>)
//  CHECK-NEXT:     dlc.log_softmax
//  CHECK-NEXT:     dlc.yield
func.func @expensive_materialized(%x: tensor<4x10xf32>) -> (tensor<4x10xf32>, tensor<4x10xf32>) {
  %0 = dlc.exp %x : tensor<4x10xf32> loc("a")
  %1 = dlc.tanh %0 : tensor<4x10xf32> loc("b")
  %2 = dlc.sigmoid %1 : tensor<4x10xf32> loc("c")
  %3 = dlc.sqrt %2 : tensor<4x10xf32> loc("d")
  %4 = dlc.softmax %3 : tensor<4x10xf32> loc("p")
  %5 = dlc.log_softmax %3 : tensor<4x10xf32> loc("q")
  return %4, %5 : tensor<4x10xf32>, tensor<4x10xf32>
}

// -----

// Recompute inside an elementwise group: exp feeds both the add (same
// kernel) and the reduction; the reduction recomputes it, so the first kernel
// writes only the sum.
// CHECK-LABEL: func.func @recompute_from_elementwise
//       CHECK:   %[[F0:.+]] = dlc.fusion elementwise "k0_e_s" ({{.+}}) -> tensor<4x10xf32> {
//  CHECK-NEXT:     dlc.exp
//  CHECK-NEXT:     dlc.add
//  CHECK-NEXT:     dlc.yield
//       CHECK:   %[[F1:.+]] = dlc.fusion reduction "k1_e_total" ({{.+}}) -> tensor<f32> {
//  CHECK-NEXT:     dlc.exp
//  CHECK-NEXT:     dlc.reduce_sum
//  CHECK-NEXT:     dlc.yield
//       CHECK:   return %[[F0]], %[[F1]]
func.func @recompute_from_elementwise(%x: tensor<4x10xf32>, %y: tensor<4x10xf32>) -> (tensor<4x10xf32>, tensor<f32>) {
  %0 = dlc.exp %x : tensor<4x10xf32> loc("e")
  %1 = dlc.add %0, %y : (tensor<4x10xf32>, tensor<4x10xf32>) -> tensor<4x10xf32> loc("s")
  %2 = dlc.reduce_sum %0 : (tensor<4x10xf32>) -> tensor<f32> loc("total")
  return %1, %2 : tensor<4x10xf32>, tensor<f32>
}

// -----

// No cycle: the skip add reads fc1 and fc2, and fc2 reads fc1. Putting the
// add in fc1's kernel would make fc1 -> fc2 -> fc1, so it becomes fc2's
// epilogue instead.
// CHECK-LABEL: func.func @diamond
//       CHECK:   %[[F0:.+]] = dlc.fusion contraction "k0_fc1" ({{.+}}) -> tensor<4x8xf32> {
//  CHECK-NEXT:     dlc.dense
//  CHECK-NEXT:     dlc.yield
//       CHECK:   %[[F1:.+]] = dlc.fusion contraction "k1_fc2_skip" (%[[A:.+]] = %[[F0]] : tensor<4x8xf32>, {{.+}}) -> tensor<4x8xf32> {
//  CHECK-NEXT:     %[[D:.+]] = dlc.dense %[[A]]
//  CHECK-NEXT:     %[[S:.+]] = dlc.add %[[A]], %[[D]]
//  CHECK-NEXT:     dlc.yield %[[S]]
//       CHECK:   return %[[F1]]
func.func @diamond(%x: tensor<4x8xf32>, %w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %0 = dlc.dense %x, %w1 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("fc1")
  %1 = dlc.dense %0, %w2 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("fc2")
  %2 = dlc.add %0, %1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("skip")
  return %2 : tensor<4x8xf32>
}

// -----

// No cycle through an op of another dialect: the relu cannot join the
// matmul's kernel because it reads the opaque op's result, which reads the
// matmul.
// CHECK-LABEL: func.func @opaque_between
//       CHECK:   %[[F0:.+]] = dlc.fusion contraction "k0_mm"
//  CHECK-NEXT:     dlc.matmul
//  CHECK-NEXT:     dlc.yield
//       CHECK:   %[[C:.+]] = call @ext(%[[F0]])
//       CHECK:   dlc.fusion elementwise "k1_out" (%{{.+}} = %[[F0]] : tensor<4x4xf32>, %{{.+}} = %[[C]] : tensor<4x4xf32>)
func.func private @ext(tensor<4x4xf32>) -> tensor<4x4xf32>
func.func @opaque_between(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = dlc.matmul %x, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm")
  %1 = func.call @ext(%0) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = dlc.add %0, %1 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> loc("out")
  return %2 : tensor<4x4xf32>
}

// -----

// The seed CNN forward (examples/seed_cnn.json as the importer builds it):
// five kernels. The flatten rides on conv2's kernel; the logits are read by
// two reductions and are a contraction's output, so they are written once.
// CHECK-LABEL: func.func @seed_cnn
//       CHECK:   %[[K0:.+]] = dlc.fusion contraction "k0_conv1_relu1_pool1" ({{.+}}) -> tensor<8x32x13x13xf32>
//       CHECK:   %[[K1:.+]] = dlc.fusion contraction "k1_conv2_relu2_pool2_flat" (%{{.+}} = %[[K0]] : {{.+}}) -> tensor<8x1600xf32>
//       CHECK:     dlc.flatten
//       CHECK:   %[[K2:.+]] = dlc.fusion contraction "k2_logits" (%{{.+}} = %[[K1]] : {{.+}}) -> tensor<8x10xf32>
//       CHECK:   %[[K3:.+]] = dlc.fusion reduction "k3_probs" (%{{.+}} = %[[K2]] : tensor<8x10xf32>)
//       CHECK:   %[[K4:.+]] = dlc.fusion reduction "k4_loss" (%{{.+}} = %[[K2]] : tensor<8x10xf32>,
//   CHECK-NOT:   dlc.fusion
//       CHECK:   return %[[K3]], %[[K4]]
func.func @seed_cnn(%x: tensor<8x1x28x28xf32>, %labels: tensor<8xi64>, %w1: tensor<32x1x3x3xf32>, %b1: tensor<32xf32>, %w2: tensor<64x32x3x3xf32>, %b2: tensor<64xf32>, %wf: tensor<10x1600xf32>, %bf: tensor<10xf32>) -> (tensor<8x10xf32>, tensor<f32>) {
  %0 = dlc.conv2d %x, %w1, %b1 {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<8x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<8x32x26x26xf32> loc("conv1")
  %1 = dlc.relu %0 : tensor<8x32x26x26xf32> loc("relu1")
  %2 = dlc.max_pool2d %1 {dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<8x32x26x26xf32>) -> tensor<8x32x13x13xf32> loc("pool1")
  %3 = dlc.conv2d %2, %w2, %b2 {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<8x32x13x13xf32>, tensor<64x32x3x3xf32>, tensor<64xf32>) -> tensor<8x64x11x11xf32> loc("conv2")
  %4 = dlc.relu %3 : tensor<8x64x11x11xf32> loc("relu2")
  %5 = dlc.max_pool2d %4 {dilation = array<i64: 1, 1>, kernel_size = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<8x64x11x11xf32>) -> tensor<8x64x5x5xf32> loc("pool2")
  %6 = dlc.flatten %5 : (tensor<8x64x5x5xf32>) -> tensor<8x1600xf32> loc("flat")
  %7 = dlc.dense %6, %wf, %bf : (tensor<8x1600xf32>, tensor<10x1600xf32>, tensor<10xf32>) -> tensor<8x10xf32> loc("logits")
  %8 = dlc.softmax %7 : tensor<8x10xf32> loc("probs")
  %9 = dlc.softmax_cross_entropy %7, %labels : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32> loc("loss")
  return %8, %9 : tensor<8x10xf32>, tensor<f32>
}
