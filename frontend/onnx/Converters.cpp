//===- Converters.cpp - the registry of ONNX op converters ----------------===//
#include "frontend/onnx/Converters.h"

namespace dlc::onnx_import {

void OnnxConverterRegistry::on(llvm::StringRef opType, int64_t since,
                               ConvertFn convert, unsigned requiredInputs) {
  auto &versions = converters[opType.str()];
  auto at = llvm::find_if(
      versions, [&](const OnnxConverter &c) { return c.since >= since; });
  assert((at == versions.end() || at->since != since) &&
         "two converters for one op type and since-version");
  versions.insert(at, {since, std::move(convert), requiredInputs});
}

const OnnxConverter *OnnxConverterRegistry::lookup(llvm::StringRef opType,
                                                   int64_t opset) const {
  auto it = converters.find(opType);
  if (it == converters.end())
    return nullptr;
  const OnnxConverter *best = nullptr;
  for (const OnnxConverter &c : it->second)
    if (c.since <= opset)
      best = &c;
  return best;
}

std::vector<std::string> OnnxConverterRegistry::opTypes() const {
  std::vector<std::string> out;
  for (const auto &[opType, versions] : converters)
    out.push_back(opType);
  return out;
}

const OnnxConverterRegistry &onnxConverters() {
  static const OnnxConverterRegistry registry = [] {
    OnnxConverterRegistry r;
    registerElementwiseConverters(r);
    registerReductionConverters(r);
    registerNNConverters(r);
    registerShapeIndexConverters(r);
    registerRecurrentConverters(r);
    registerMiscConverters(r);
    return r;
  }();
  return registry;
}

Value absOf(OnnxImporter &m, Value x) {
  return m.op("maximum", {x, m.op("neg", {x})});
}

} // namespace dlc::onnx_import
