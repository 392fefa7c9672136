//===- OpSchema.cpp - the table of ops a model file may use ---------------===//
#include "frontend/OpSchema.h"

#include <algorithm>

namespace dlc {

namespace {
using K = AttrKind;
constexpr bool kReq = true, kOpt = false;

const std::vector<OpSchema> &table() {
  static const std::vector<OpSchema> ops = [] {
    std::vector<OpSchema> t;
    for (const char *u : {"neg", "exp", "log", "sqrt", "rsqrt", "tanh",
                          "sigmoid", "relu", "erf"})
      t.push_back({u, "input", 1, 1, {}});
    t.push_back({"gelu", "input", 1, 1, {{"approximate", K::String, kOpt}}});
    for (const char *b :
         {"add", "sub", "mul", "div", "pow", "maximum", "minimum"})
      t.push_back({b, "lhs, rhs", 2, 2, {}});
    t.push_back({"compare", "lhs, rhs", 2, 2,
                 {{"predicate", K::String, kReq}}});
    t.push_back({"where", "cond, lhs, rhs", 3, 3, {}});
    t.push_back({"cast", "input", 1, 1, {{"to", K::DType, kReq}}});
    for (const char *r : {"reduce_sum", "reduce_mean", "reduce_max"})
      t.push_back({r, "input", 1, 1,
                   {{"axes", K::IntList, kOpt}, {"keepdims", K::Bool, kOpt}}});
    for (const char *s : {"softmax", "log_softmax"})
      t.push_back({s, "input", 1, 1, {{"axis", K::Int, kOpt}}});
    t.push_back({"layer_norm", "input, scale, bias", 3, 3,
                 {{"axis", K::Int, kOpt}, {"epsilon", K::Float, kOpt}}});
    t.push_back({"batch_norm", "input, scale, bias, mean, variance", 5, 5,
                 {{"epsilon", K::Float, kOpt}}});
    t.push_back({"matmul", "lhs, rhs", 2, 2, {}});
    t.push_back({"batch_matmul", "lhs, rhs", 2, 2, {}});
    t.push_back({"dense", "input, weight, bias?", 2, 3, {}});
    t.push_back({"conv2d", "input, weight, bias?", 2, 3,
                 {{"stride", K::Pair, kOpt, "[1, 1]"},
                  {"padding", K::Padding, kOpt, "0"},
                  {"dilation", K::Pair, kOpt, "[1, 1]"},
                  {"groups", K::Int, kOpt}}});
    t.push_back({"max_pool2d", "input", 1, 1,
                 {{"kernel_size", K::Pair, kReq},
                  {"stride", K::Pair, kOpt, "@kernel_size"},
                  {"padding", K::Padding, kOpt, "0"},
                  {"dilation", K::Pair, kOpt, "[1, 1]"}}});
    t.push_back({"avg_pool2d", "input", 1, 1,
                 {{"kernel_size", K::Pair, kReq},
                  {"stride", K::Pair, kOpt, "@kernel_size"},
                  {"padding", K::Padding, kOpt, "0"},
                  {"count_include_pad", K::Bool, kOpt}}});
    t.push_back({"reshape", "input", 1, 1, {{"shape", K::IntList, kReq}}});
    t.push_back({"flatten", "input", 1, 1, {{"axis", K::Int, kOpt}}});
    t.push_back({"transpose", "input", 1, 1, {{"perm", K::IntList, kReq}}});
    t.push_back({"concat", "inputs...", 1, kVariadic,
                 {{"axis", K::Int, kReq}}});
    t.push_back({"slice", "input", 1, 1,
                 {{"starts", K::IntList, kReq},
                  {"ends", K::IntList, kReq},
                  {"axes", K::IntList, kOpt},
                  {"steps", K::IntList, kOpt}}});
    t.push_back({"broadcast", "input", 1, 1, {{"shape", K::IntList, kReq}}});
    t.push_back({"constant", "", 0, 0,
                 {{"value", K::Value, kReq}, {"dtype", K::ValueType, kOpt}}});
    t.push_back({"softmax_cross_entropy", "logits, labels", 2, 2, {}});
    t.push_back({"mse_loss", "input, target", 2, 2, {}});
    // Recurrent layers: the node's value is y [seq, dirs, batch, hidden].
    t.push_back({"lstm",
                 "input, weight, recurrence, bias?, initial_h?, initial_c?", 3,
                 6,
                 {{"hidden_size", K::Int, kReq},
                  {"direction", K::String, kOpt}}});
    t.push_back({"gru", "input, weight, recurrence, bias?, initial_h?", 3, 5,
                 {{"hidden_size", K::Int, kReq},
                  {"direction", K::String, kOpt},
                  {"linear_before_reset", K::Bool, kOpt}}});
    return t;
  }();
  return ops;
}
} // namespace

const AttrSpec *OpSchema::findAttr(llvm::StringRef attr) const {
  for (const AttrSpec &a : attrs)
    if (attr == a.name)
      return &a;
  return nullptr;
}

const OpSchema *lookupOp(llvm::StringRef name) {
  for (const OpSchema &op : table())
    if (name == op.name)
      return &op;
  return nullptr;
}

llvm::ArrayRef<OpSchema> allOps() { return table(); }

llvm::StringRef nearestOpName(llvm::StringRef name) {
  llvm::StringRef best;
  unsigned bestDist = UINT_MAX;
  for (const OpSchema &op : table()) {
    unsigned d = name.lower() == op.name
                     ? 0
                     : name.edit_distance(op.name, /*AllowReplacements=*/true);
    if (d < bestDist) {
      bestDist = d;
      best = op.name;
    }
  }
  // Close enough to be a typo: a third of the name, at least 2 edits.
  unsigned limit = std::max<unsigned>(2, name.size() / 3);
  return bestDist <= limit ? best : llvm::StringRef();
}

} // namespace dlc
