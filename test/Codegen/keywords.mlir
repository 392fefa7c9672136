// RUN: dlc-emit %s --check-nvrtc=sm_80,sm_90 | FileCheck %s

// Names that are C++ alternative operator spellings ("xor", as in the ONNX
// Xor tests) or CUDA built-ins ("threadIdx") get a suffix, and a cast to
// i64 is a static_cast: a functional cast cannot spell "long long". NVRTC
// compiling it is the proof.

// CHECK:      extern "C" __global__ void k0_xor(const float *__restrict__ and_,
// CHECK-NEXT:     const bool *__restrict__ threadIdx_,
// CHECK-NEXT:     long long *__restrict__ xor_) {
// CHECK:        const long long [[C:v[0-9]+]] = static_cast<long long>(v{{[0-9]+}});
// CHECK:        dlc::store(xor_, i,
func.func @forward(%x: tensor<4xf32> {dlc.input = "and"}, %y: tensor<4xi1> {dlc.input = "threadIdx"}) -> (tensor<4xi64> {dlc.output = "xor"}) {
  %0 = dlc.fusion elementwise "k0_xor" (%a = %x : tensor<4xf32>, %b = %y : tensor<4xi1>) -> tensor<4xi64> {
    %1 = dlc.cast %a {to = i64} : (tensor<4xf32>) -> tensor<4xi64>
    %2 = dlc.cast %b {to = i64} : (tensor<4xi1>) -> tensor<4xi64>
    %3 = dlc.add %1, %2 : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
    dlc.yield %3 : tensor<4xi64>
  }
  return %0 : tensor<4xi64>
}
