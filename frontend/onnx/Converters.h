//===- Converters.h - ONNX op converters, by op type and opset --*- C++ -*-===//
//
// One registry maps an ONNX op type to its converters, each valid from an
// opset on (its since-version): the importer picks the newest one at most
// the model's opset, so an op whose meaning changed between opsets (Reshape's
// shape moving from an attribute to an input at 5) has two registrations
// rather than an `if (opset < 5)` inside one. Each family file
// (Elementwise.cpp, Reductions.cpp, NN.cpp, ShapeIndex.cpp, Recurrent.cpp,
// Misc.cpp) registers its converters; adding a unary op that has a dlc op
// of its own is one line there:
//
//   r.on("Sin", 7, unary("sin"));
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_ONNX_CONVERTERS_H
#define DLC_FRONTEND_ONNX_CONVERTERS_H

#include "frontend/onnx/OnnxImporter.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dlc::onnx_import {

/// Lowers the importer's current node onto dlc ops; reports its own errors.
using ConvertFn = std::function<LogicalResult(OnnxImporter &)>;

/// `requiredInputs` of a variadic op: every input it lists, at least one.
inline constexpr unsigned kAllInputs = ~0u;

struct OnnxConverter {
  int64_t since;
  ConvertFn convert;
  /// How many leading inputs the op needs (the rest are optional). They
  /// are checked before the converter runs, which reads them unchecked.
  unsigned requiredInputs;

  unsigned required(unsigned listed) const {
    return requiredInputs == kAllInputs ? std::max(listed, 1u) : requiredInputs;
  }
};

class OnnxConverterRegistry {
public:
  /// Registers `convert` for `opType` from opset `since` on.
  void on(llvm::StringRef opType, int64_t since, ConvertFn convert,
          unsigned requiredInputs = 1);
  /// The newest converter of `opType` with since-version <= `opset`, or
  /// null.
  const OnnxConverter *lookup(llvm::StringRef opType, int64_t opset) const;
  /// Every op type with a converter, sorted.
  std::vector<std::string> opTypes() const;

private:
  /// Per op type, sorted by since-version.
  std::map<std::string, std::vector<OnnxConverter>, std::less<>> converters;
};

/// The registry with every family's converters, built on first use.
const OnnxConverterRegistry &onnxConverters();

void registerElementwiseConverters(OnnxConverterRegistry &r);
void registerReductionConverters(OnnxConverterRegistry &r);
void registerNNConverters(OnnxConverterRegistry &r);
void registerShapeIndexConverters(OnnxConverterRegistry &r);
void registerRecurrentConverters(OnnxConverterRegistry &r);
void registerMiscConverters(OnnxConverterRegistry &r);

//===--- shared by the families ---===//

/// |x| as max(x, -x).
Value absOf(OnnxImporter &m, Value x);

} // namespace dlc::onnx_import

#endif // DLC_FRONTEND_ONNX_CONVERTERS_H
