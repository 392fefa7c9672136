//===- ModelAttrs.h - how a model is spelled in a dlc module ----*- C++ -*-===//
//
// The frontend produces, and the interpreter, passes and runtime read, one
// func.func per model:
//
//   module attributes {dlc.model = "seed_cnn", dlc.seed = 0 : i64,
//                      dlc.training = {...}} {
//     func.func @forward(
//         %x: tensor<64x1x28x28xf32> {dlc.input = "x"},
//         %w: tensor<32x1x3x3xf32> {dlc.param = "conv1.weight",
//                                  dlc.init = {scheme = "he_normal"}})
//         -> (tensor<64x10xf32> {dlc.output = "probs"})
//
// Parameters are arguments (not constants) so that training can
// differentiate with respect to them and the runtime can bind weights.
// `dlc.init` is a dictionary: {scheme = "<name>", <hyper-parameters>} or
// {file = "<path>", key = "<tensor name in a .safetensors file>"}.
//
// Plain string constants: no MLIR include, so MLIR-free code can use them.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_IR_MODELATTRS_H
#define DLC_IR_MODELATTRS_H

namespace dlc::attrs {
inline constexpr const char *kEntry = "forward";
inline constexpr const char *kModel = "dlc.model";
inline constexpr const char *kSeed = "dlc.seed";
inline constexpr const char *kTraining = "dlc.training";
inline constexpr const char *kInput = "dlc.input";
inline constexpr const char *kParam = "dlc.param";
inline constexpr const char *kInit = "dlc.init";
inline constexpr const char *kOutput = "dlc.output";
} // namespace dlc::attrs

#endif // DLC_IR_MODELATTRS_H
