// RUN: dlc-opt %s --dlc-fuse-optimizer --dlc-fuse --dlc-tile --dlc-plan-memory --mlir-print-debuginfo > %t.mlir
// RUN: dlc-emit %t.mlir --check-nvrtc=sm_80,sm_90 -o %t 2>&1 | FileCheck %s --check-prefix=NVRTC
// RUN: FileCheck %s < %t/kernels.cu
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/manifest.json

// The Adam updates of three params (15, 7 and 2115 elements) with grad_scale
// and skip: one kernel (codegen/MultiTensorKernels.cpp) of 1 + 1 + 2 blocks
// of 2048 elements; each block picks its param from a comparison chain,
// loads 4-wide vectors (the last partial vector element by element), skips
// the math when `skip` is set and stores param, exp_avg and exp_avg_sq.
// NVRTC compiles it for sm_80 and sm_90 without a warning (skipped without
// NVRTC).

// NVRTC-NOT: error
// NVRTC-NOT: warning

// CHECK-LABEL: // optimizer_adam_update: multi_tensor, multi_tensor
//  CHECK-NEXT: extern "C" __global__ void optimizer_adam_update(const float *__restrict__ [[W:[a-z0-9_]+]],
//       CHECK:     {{^    }}float *__restrict__ new_param_w,
//       CHECK:   const idx_t k_blk = dlc::blockInGrid();
//  CHECK-NEXT:   // w: dlc.adam_update of 15 elements, blocks [0, 1)
//  CHECK-NEXT:   if (k_blk < 1) {
//  CHECK-NEXT:     const idx_t k_base = k_blk * 2048;
//  CHECK-NEXT:     const idx_t k_end = k_base + 2048 < 15 ? k_base + 2048 : 15;
//  CHECK-NEXT:     const float k_lr = dlc::load([[LR:[a-z0-9_]+]], 0);
//  CHECK-NEXT:     const float k_gs = dlc::load([[GS:[a-z0-9_]+]], 0);
//  CHECK-NEXT:     const bool k_skip = dlc::load([[SKIP:[a-z0-9_]+]], 0) != 0;
//  CHECK-NEXT:     const float k_step = dlc::load([[STEP:[a-z0-9_]+]], 0);
//  CHECK-NEXT:     const float k_c1 = 1.0f - dlc::pow(0.9f, k_step);
//  CHECK-NEXT:     const float k_c2 = 1.0f - dlc::pow(0.999f, k_step);
//  CHECK-NEXT:     for (idx_t k_first = k_base + dlc::threadInBlock() * 4; k_first < k_end; k_first += dlc::threadsPerBlock() * 4) {
//  CHECK-NEXT:       float k_p[4], k_g[4], k_m[4], k_v[4];
//  CHECK-NEXT:       if (k_first + 4 <= k_end) {
//  CHECK-NEXT:         dlc::loadVec([[W]], k_first, k_p);
//       CHECK:       } else {
//  CHECK-NEXT:         for (int k_u = 0; k_u < 4; ++k_u) {
//  CHECK-NEXT:           k_p[k_u] = k_first + k_u < k_end ? dlc::load([[W]], k_first + k_u) : 0.0f;
//       CHECK:       if (!k_skip) {
//  CHECK-NEXT:         for (int k_u = 0; k_u < 4; ++k_u) {
//  CHECK-NEXT:           float k_pi = k_p[k_u];
//  CHECK-NEXT:           const float k_gi = k_g[k_u] * k_gs + 0.01f * k_pi;
//  CHECK-NEXT:           k_m[k_u] = 0.9f * k_m[k_u] + 0.1f * k_gi;
//  CHECK-NEXT:           k_v[k_u] = 0.999f * k_v[k_u] + 0.001f * k_gi * k_gi;
//  CHECK-NEXT:           k_p[k_u] = k_pi - k_lr * (k_m[k_u] / k_c1) / (dlc::sqrt(k_v[k_u] / k_c2) + 1e-08f);
//       CHECK:       if (k_first + 4 <= k_end) {
//  CHECK-NEXT:         dlc::storeVec(new_param_w, k_first, k_p);
//       CHECK:     return;
//       CHECK:   // b: dlc.adam_update of 7 elements, blocks [1, 2)
//  CHECK-NEXT:   if (k_blk < 2) {
//  CHECK-NEXT:     const idx_t k_base = (k_blk - 1) * 2048;
//       CHECK:   // v: dlc.adam_update of 2115 elements, blocks [2, 4)
//  CHECK-NEXT:   if (k_blk < 4) {
//  CHECK-NEXT:     const idx_t k_base = (k_blk - 2) * 2048;
//  CHECK-NEXT:     const idx_t k_end = k_base + 2048 < 2115 ? k_base + 2048 : 2115;
//   CHECK-NOT: __global__

// MANIFEST: "name": "optimizer_adam_update",
// MANIFEST-NEXT: "grid": [
// MANIFEST-NEXT: 4,

func.func @forward(%w: tensor<3x5xf32> {dlc.input = "w"}, %b: tensor<7xf32> {dlc.input = "b"}, %v: tensor<45x47xf32> {dlc.input = "v"},
                   %gw: tensor<3x5xf32>, %gb: tensor<7xf32>, %gv: tensor<45x47xf32>,
                   %mw: tensor<3x5xf32>, %mb: tensor<7xf32>, %mv: tensor<45x47xf32>,
                   %vw: tensor<3x5xf32>, %vb: tensor<7xf32>, %vv: tensor<45x47xf32>,
                   %step: tensor<f32> {dlc.input = "opt.step"}, %lr: tensor<f32> {dlc.input = "opt.lr"},
                   %gs: tensor<f32> {dlc.input = "opt.grad_scale"}, %skip: tensor<f32> {dlc.input = "opt.skip"})
    -> (tensor<3x5xf32> {dlc.output = "new/param/w"}, tensor<3x5xf32>, tensor<3x5xf32>, tensor<7xf32>, tensor<7xf32>, tensor<7xf32>, tensor<45x47xf32>, tensor<45x47xf32>, tensor<45x47xf32>) {
  %0:3 = dlc.adam_update %w, %gw, %mw, %vw, %step, %lr grad_scale %gs skip %skip {weight_decay = 0.01 : f64} : (tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>) loc("w")
  %1:3 = dlc.adam_update %b, %gb, %mb, %vb, %step, %lr grad_scale %gs skip %skip {weight_decay = 0.01 : f64} : (tensor<7xf32>, tensor<7xf32>, tensor<7xf32>, tensor<7xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<7xf32>, tensor<7xf32>, tensor<7xf32>) loc("b")
  %2:3 = dlc.adam_update %v, %gv, %mv, %vv, %step, %lr grad_scale %gs skip %skip {weight_decay = 0.01 : f64} : (tensor<45x47xf32>, tensor<45x47xf32>, tensor<45x47xf32>, tensor<45x47xf32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<45x47xf32>, tensor<45x47xf32>, tensor<45x47xf32>) loc("v")
  return %0#0, %0#1, %0#2, %1#0, %1#1, %1#2, %2#0, %2#1, %2#2 : tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<7xf32>, tensor<7xf32>, tensor<7xf32>, tensor<45x47xf32>, tensor<45x47xf32>, tensor<45x47xf32>
}
