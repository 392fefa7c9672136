//===- Pointwise.cpp - the pointwise strategy -----------------------------===//
//
// A grid-stride loop over the output elements, each gathered through the
// fusion's ops; with vector_width > 1, each thread takes that many
// consecutive elements and loads and stores them as vectors where it can.
//
//===----------------------------------------------------------------------===//
#include "codegen/KernelEmitter.h"

#include "ir/ShapeUtils.h"

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

/// A grid-stride loop over the elements of the results (all the same size).
LogicalResult KernelEmitter::emitPointwise() {
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  int64_t n = numElements(yield.getValues()[0]);
  for (Value v : yield.getValues())
    if (numElements(v) != n)
      return fail(fusion, "an elementwise fusion whose results differ in "
                          "size");
  const int64_t vw = sched.vectorWidth;
  Dims outShape(shapeOf(yield.getValues()[0]));
  if (vw <= 1 || outShape.empty() || outShape.back() % vw != 0) {
    open("for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + "
         "dlc::threadInBlock(); i < " +
         std::to_string(n) +
         "; i += dlc::blocksPerGrid() * "
         "dlc::threadsPerBlock())");
    for (auto [r, v] : llvm::enumerate(yield.getValues())) {
      FailureOr<std::string> x = at(v, "i");
      if (failed(x))
        return failure();
      for (const std::string &ptr : ctx.resultPtrs[r])
        line("dlc::store(" + ptr + ", i, " + *x + ");");
    }
    close();
    return success();
  }
  return emitVectorPointwise(outShape, n);
}

/// vector_width consecutive elements per thread: operands read contiguously
/// (or at one element) are loaded as vectors, results are stored as
/// vectors, the rest is gathered element by element.
LogicalResult KernelEmitter::emitVectorPointwise(ArrayRef<int64_t> outShape,
                                                 int64_t n) {
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  const int64_t vw = sched.vectorWidth;
  const std::string w = std::to_string(vw);
  line("// " + w + " consecutive elements per thread (vector_width)");
  open("for (idx_t first = (dlc::blockInGrid() * dlc::threadsPerBlock() + "
       "dlc::threadInBlock()) * " +
       w + "; first < " + std::to_string(n) +
       "; first += dlc::blocksPerGrid() * dlc::threadsPerBlock() * " + w + ")");
  bool sameShapes = llvm::all_of(
      yield.getValues(), [&](Value v) { return shapeOf(v) == outShape; });
  for (BlockArgument a : fusion.getBodyBlock().getArguments()) {
    if (!sameShapes || !readsBroadcastOnly(a))
      continue;
    Dims as(shapeOf(a));
    std::string base = broadcastIndex("first", outShape, as);
    const std::string &ptr = ctx.operandPtr[a.getArgNumber()];
    std::string name = fresh("p");
    if (as.empty() || as.back() != outShape.back()) {
      line(Twine("const ") + computeType(a) + " " + name + " = dlc::load(" +
           ptr + ", " + base + ");");
      vectorLoaded[a] = name;
    } else {
      line(Twine(computeType(a)) + " " + name + "[" + w + "];");
      line("dlc::loadVec(" + ptr + ", " + base + ", " + name + ");");
      vectorLoaded[a] = name + "[u]";
    }
  }
  SmallVector<std::string> results;
  for (Value v : yield.getValues()) {
    results.push_back(fresh("p"));
    line(Twine(computeType(v)) + " " + results.back() + "[" + w + "];");
  }
  open("for (int u = 0; u < " + w + "; ++u)");
  std::string &text = bodyStream.str();
  size_t mark = text.size();
  line("const idx_t i = first + u;");
  size_t after = text.size();
  for (auto [r, v] : llvm::enumerate(yield.getValues())) {
    FailureOr<std::string> x = at(v, "i");
    if (failed(x))
      return failure();
    line(results[r] + "[u] = " + *x + ";");
  }
  // Drop `i` when every operand came from a vector load.
  bool usesI = false;
  auto isIdent = [](char c) { return llvm::isAlnum(c) || c == '_'; };
  for (size_t p = text.find('i', after); p != std::string::npos && !usesI;
       p = text.find('i', p + 1))
    usesI = !isIdent(text[p - 1]) &&
            (p + 1 == text.size() || !isIdent(text[p + 1]));
  if (!usesI)
    text.erase(mark, after - mark);
  close();
  for (auto [r, v] : llvm::enumerate(yield.getValues()))
    for (const std::string &ptr : ctx.resultPtrs[r])
      line("dlc::storeVec(" + ptr + ", first, " + results[r] + ");");
  close();
  vectorLoaded.clear();
  return success();
}

bool KernelEmitter::readsBroadcastOnly(Value v) {
  if (auto it = broadcastOnly.find(v); it != broadcastOnly.end())
    return it->second;
  bool ok = !v.use_empty();
  for (Operation *user : v.getUsers()) {
    if (!ok || isa<YieldOp>(user))
      continue;
    ok = isBroadcastingElementwise(user) &&
         readsBroadcastOnly(user->getResult(0));
  }
  return broadcastOnly[v] = ok;
}
