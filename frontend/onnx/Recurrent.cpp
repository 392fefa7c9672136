//===- Recurrent.cpp - ONNX LSTM and GRU to dlc.lstm and dlc.gru ----------===//
//
// One dlc op per layer (the recurrence is dlc's to schedule); the ONNX
// features dlc does not implement are errors that name them.
//
//===----------------------------------------------------------------------===//
#include "frontend/onnx/Converters.h"

namespace dlc::onnx_import {

namespace {

/// ONNX LSTM and GRU as dlc.lstm / dlc.gru: default activations only, no
/// clip, no peepholes, no per-batch sequence lengths (unless known to be
/// the full length); `layout = 1` (batch first) is transposed around the op.
LogicalResult convertRecurrent(OnnxImporter &m, bool lstm) {
  const char *name = lstm ? "lstm" : "gru";
  for (unsigned i = 0; i < 3; ++i)
    if (!m.hasInput(i))
      return m.fail() << "missing input " << i << " ("
                      << (i == 0   ? "X"
                          : i == 1 ? "W"
                                   : "R")
                      << ")";
  Value x = m.in(0);
  if (!x || !m.in(1) || !m.in(2))
    return failure();
  if (shapeOf(x).size() != 3)
    return m.fail() << "expects X of rank 3, got rank " << shapeOf(x).size();
  std::string direction = m.attrString("direction", "forward");
  const AttributeProto *hidden = m.attr("hidden_size");
  if (!hidden)
    return m.fail() << "missing attribute 'hidden_size'";
  int64_t layout = m.attrInt("layout", 0);
  if (layout != 0 && layout != 1)
    return m.fail() << "attribute 'layout' must be 0 or 1, got " << layout;
  if (m.attr("clip"))
    return m.unsupported("attribute 'clip'");
  if (m.attrInt("input_forget", 0) != 0)
    return m.unsupported("input_forget = 1");
  if (const AttributeProto *a = m.attr("activations")) {
    std::vector<std::string> dflt =
        lstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
             : std::vector<std::string>{"Sigmoid", "Tanh"};
    for (int i = 0; i < a->strings_size(); ++i)
      if (a->strings(i) != dflt[i % dflt.size()])
        return m.unsupported(
            "activation '" + a->strings(i) + "' (only the defaults: " +
            (lstm ? "Sigmoid, Tanh, Tanh" : "Sigmoid, Tanh") + ")");
  }
  m.attr("activation_alpha"); // only read by activations that take them
  m.attr("activation_beta");
  bool lbr = !lstm && m.attrInt("linear_before_reset", 0) != 0;
  if (lstm && m.hasInput(7))
    return m.unsupported("input 7 (P, peepholes)");
  if (m.hasInput(4)) {
    // Sequence lengths that are all the full length change nothing.
    const auto &k = m.knownIn(4);
    int64_t seq = shapeOf(x)[layout == 1 ? 1 : 0];
    bool full = k.has_value();
    for (int64_t i = 0; full && i < k->numel(); ++i)
      full = intAt(*k, i) == seq;
    if (!full)
      return m.unsupported("input 4 (sequence_lens) other than a constant "
                           "equal to the sequence length");
  }
  // Batch-first layout: X [B, S, I] and the states [B, D, H].
  auto swap01 = [&](Value v) -> Value {
    if (!v || layout == 0)
      return v;
    return m.op("transpose", {v}, {m.na("perm", m.i64s({1, 0, 2}))});
  };
  SmallVector<Value> operands{swap01(x), m.in(1), m.in(2)};
  SmallVector<int32_t> segments{1, 1, 1};
  auto optional = [&](unsigned i, bool state) {
    segments.push_back(m.hasInput(i));
    if (m.hasInput(i))
      operands.push_back(state ? swap01(m.in(i)) : m.in(i));
  };
  optional(3, false);
  optional(5, true);
  if (lstm)
    optional(6, true);
  SmallVector<NamedAttribute> attrs{
      m.na("hidden_size", m.i64(hidden->i())),
      m.na("direction", m.builder().getStringAttr(direction)),
      m.na("operandSegmentSizes", m.builder().getDenseI32ArrayAttr(segments))};
  if (lbr)
    attrs.push_back(m.na("linear_before_reset", m.builder().getBoolAttr(true)));
  Value y = m.op(name, operands, attrs);
  if (!y)
    return failure();
  Operation *op = y.getDefiningOp();
  auto out = [&](unsigned i, ArrayRef<int64_t> perm) {
    Value v = op->getResult(i);
    if (layout == 1)
      v = m.op("transpose", {v}, {m.na("perm", m.i64s(perm))});
    m.setOut(i, v);
  };
  out(0, {2, 0, 1, 3}); // [S, D, B, H] -> [B, S, D, H]
  for (unsigned i = 1; i < op->getNumResults(); ++i)
    out(i, {1, 0, 2}); // [D, B, H] -> [B, D, H]
  return success();
}

} // namespace

void registerRecurrentConverters(OnnxConverterRegistry &r) {
  r.on("LSTM", 1, [](OnnxImporter &m) { return convertRecurrent(m, true); });
  r.on("GRU", 1, [](OnnxImporter &m) { return convertRecurrent(m, false); });
}

} // namespace dlc::onnx_import
