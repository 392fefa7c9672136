//===- KernelText.h - pieces of CUDA source text every emitter writes -----===//
//
// The strategy emitters (KernelEmitter.h, BackwardKernels.cpp,
// MultiTensorKernels.cpp) all write kernel bodies line by line, spell float
// constants and name the model node an op came from; they share these.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_KERNELTEXT_H
#define DLC_CODEGEN_KERNELTEXT_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace mlir::dlc {

inline std::string num(int64_t v) { return std::to_string(v); }

/// The shortest spelling of `v` that reads back exactly in the compute type
/// (0.5f, not 5e-01f); NaN and infinities through the prelude's helpers.
std::string floatLiteral(double v, bool isDouble);

/// The model node an op came from (its NameLoc), or "".
std::string nodeName(Location loc);

/// A kernel body, line by line, with `{`/`}` indentation.
class KernelWriter {
public:
  KernelWriter(llvm::raw_ostream &os, StringRef indent)
      : os(os), ind(indent) {}
  void line(const Twine &s) { os << ind << s << "\n"; }
  void open(const Twine &s) {
    line(s + " {");
    ind += "  ";
  }
  void close() {
    ind.resize(ind.size() - 2);
    line("}");
  }
  void closeElse() {
    ind.resize(ind.size() - 2);
    line("} else {");
    ind += "  ";
  }

private:
  llvm::raw_ostream &os;
  std::string ind;
};

} // namespace mlir::dlc

#endif // DLC_CODEGEN_KERNELTEXT_H
