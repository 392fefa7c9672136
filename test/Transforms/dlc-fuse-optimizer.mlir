// RUN: dlc-opt %s --split-input-file --dlc-fuse-optimizer | FileCheck %s
// RUN: dlc-opt %s --split-input-file --dlc-fuse-optimizer=max-tensors=2 | FileCheck %s --check-prefix=MAX2
// RUN: dlc-opt %s --split-input-file --dlc-fuse | FileCheck %s --check-prefix=FUSE

// --dlc-fuse alone leaves the updates alone (they are not elementwise ops
// of one size; the fusion verifier admits them in multi_tensor bodies only).
// FUSE-LABEL: func.func @sgd_step
//   FUSE-NOT:   dlc.fusion
//       FUSE:   dlc.sgd_update
//   FUSE-NOT:   dlc.fusion
//       FUSE:   return

// Every update of a step, of odd sizes and two ranks, becomes one
// multi-tensor fusion at the place of the last one; the shared step and lr
// are one operand each.
// CHECK-LABEL: func.func @sgd_step
//  CHECK-SAME:   (%[[W:[^:]+]]: tensor<3x5xf32>, %[[B:[^:]+]]: tensor<7xf32>, %[[V:[^:]+]]: tensor<1xf32>,
//       CHECK:   %[[F:.+]]:6 = dlc.fusion multi_tensor "optimizer_sgd_update"
//  CHECK-SAME:     (%[[A0:.+]] = %[[W]] : tensor<3x5xf32>, %[[A1:.+]] = %{{.+}} : tensor<3x5xf32>, %[[A2:.+]] = %{{.+}} : tensor<3x5xf32>, %[[S:.+]] = %{{.+}} : tensor<f32>, %[[L:.+]] = %{{.+}} : tensor<f32>, %[[A5:.+]] = %[[B]] : tensor<7xf32>,
//       CHECK:     %[[P0:.+]], %[[B0:.+]] = dlc.sgd_update %[[A0]], %[[A1]], %[[A2]], %[[S]], %[[L]] {momentum = 9.000000e-01 : f64, nesterov = true}
//       CHECK:     %[[P1:.+]], %[[B1:.+]] = dlc.sgd_update %[[A5]], %{{.+}}, %{{.+}}, %[[S]], %[[L]]
//       CHECK:     %[[P2:.+]], %[[B2:.+]] = dlc.sgd_update
//       CHECK:     dlc.yield %[[P0]], %[[B0]], %[[P1]], %[[B1]], %[[P2]], %[[B2]] :
//   CHECK-NOT:   dlc.sgd_update
//       CHECK:   return %[[F]]#0, %[[F]]#1, %[[F]]#2, %[[F]]#3, %[[F]]#4, %[[F]]#5
// With max-tensors=2: two fusions, the second named with a suffix.
// MAX2-LABEL: func.func @sgd_step
//       MAX2:   dlc.fusion multi_tensor "optimizer_sgd_update"
//       MAX2:   dlc.fusion multi_tensor "optimizer_sgd_update_2"
func.func @sgd_step(%w: tensor<3x5xf32>, %b: tensor<7xf32>, %v: tensor<1xf32>,
                    %gw: tensor<3x5xf32>, %gb: tensor<7xf32>, %gv: tensor<1xf32>,
                    %mw: tensor<3x5xf32>, %mb: tensor<7xf32>, %mv: tensor<1xf32>,
                    %step: tensor<f32>, %lr: tensor<f32>)
    -> (tensor<3x5xf32>, tensor<3x5xf32>, tensor<7xf32>, tensor<7xf32>, tensor<1xf32>, tensor<1xf32>) {
  %0:2 = dlc.sgd_update %w, %gw, %mw, %step, %lr {momentum = 0.9 : f64, nesterov = true} : (tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<f32>, tensor<f32>) -> (tensor<3x5xf32>, tensor<3x5xf32>)
  %1:2 = dlc.sgd_update %b, %gb, %mb, %step, %lr {momentum = 0.9 : f64, nesterov = true} : (tensor<7xf32>, tensor<7xf32>, tensor<7xf32>, tensor<f32>, tensor<f32>) -> (tensor<7xf32>, tensor<7xf32>)
  %2:2 = dlc.sgd_update %v, %gv, %mv, %step, %lr {momentum = 0.9 : f64, nesterov = true} : (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<f32>, tensor<f32>) -> (tensor<1xf32>, tensor<1xf32>)
  return %0#0, %0#1, %1#0, %1#1, %2#0, %2#1 : tensor<3x5xf32>, tensor<3x5xf32>, tensor<7xf32>, tensor<7xf32>, tensor<1xf32>, tensor<1xf32>
}

// -----

// Adam and AdamW in one kernel, with the loss-scaling operands; a constant
// gradient (an unused param's zero) is cloned into the body.
// CHECK-LABEL: func.func @adam_mix
//       CHECK:   %[[F:.+]]:6 = dlc.fusion multi_tensor "optimizer"
//       CHECK:     %[[Z:.+]] = dlc.constant dense<0.000000e+00> : tensor<5xf32>
//       CHECK:     dlc.adam_update %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} grad_scale %[[GS:[^ ]+]] skip %[[SK:[^ ]+]] {
//       CHECK:     dlc.adamw_update %{{.+}}, %[[Z]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} grad_scale %[[GS]] skip %[[SK]] {
//       CHECK:     dlc.yield
//   CHECK-NOT:   dlc.adam
//   CHECK-NOT:   dlc.constant
func.func @adam_mix(%w: tensor<2x3xf32>, %g: tensor<2x3xf32>, %m: tensor<2x3xf32>, %v: tensor<2x3xf32>,
                    %u: tensor<5xf32>, %mu: tensor<5xf32>, %vu: tensor<5xf32>,
                    %step: tensor<f32>, %lr: tensor<f32>, %gs: tensor<f32>, %skip: tensor<f32>)
    -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) {
  %zero = dlc.constant dense<0.0> : tensor<5xf32>
  %0:3 = dlc.adam_update %w, %g, %m, %v, %step, %lr grad_scale %gs skip %skip {weight_decay = 0.01 : f64} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  %1:3 = dlc.adamw_update %u, %zero, %mu, %vu, %step, %lr grad_scale %gs skip %skip {weight_decay = 0.1 : f64} : (tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<5xf32>, tensor<5xf32>, tensor<5xf32>)
  return %0#0, %0#1, %0#2, %1#0, %1#1, %1#2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>
}

// -----

// Not one kernel: an op between two updates reads the first one's result
// (the fusion could not move below it), and a third update reads the
// second's result (one kernel cannot chain updates). Three fusions.
// CHECK-LABEL: func.func @split
//       CHECK:   %[[F0:.+]]:2 = dlc.fusion multi_tensor "optimizer_sgd_update"
//       CHECK:   %[[R:.+]] = dlc.relu %[[F0]]#0
//       CHECK:   %[[F1:.+]]:2 = dlc.fusion multi_tensor "optimizer_sgd_update_2"
//  CHECK-SAME:     = %[[R]] :
//       CHECK:   %[[F2:.+]]:2 = dlc.fusion multi_tensor "optimizer_sgd_update_3"
//  CHECK-SAME:     = %[[F1]]#0 :
func.func @split(%w: tensor<4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>,
                 %step: tensor<f32>, %lr: tensor<f32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0:2 = dlc.sgd_update %w, %g, %b, %step, %lr : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>)
  %r = dlc.relu %0#0 : tensor<4xf32>
  %1:2 = dlc.sgd_update %r, %g, %b, %step, %lr : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>)
  %2:2 = dlc.sgd_update %1#0, %g, %b, %step, %lr : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %0#1, %1#1, %2#0 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// No update: nothing changes.
// CHECK-LABEL: func.func @no_update
//   CHECK-NOT:   dlc.fusion
//       CHECK:   dlc.relu
func.func @no_update(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dlc.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
