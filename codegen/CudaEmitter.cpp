//===- CudaEmitter.cpp - dlc.fusion -> CUDA C++ + manifest ----------------===//
//
// One KernelEmitter per dlc.fusion. The kernel body is built from two ideas:
//
//  - Gather: `at(v, i)` returns a C expression for element i (a linear index)
//    of value v, emitting the statements it needs. Elementwise ops gather
//    their operands; views (broadcast, reshape, flatten, transpose, slice,
//    concat) only change the index. Results are cached per (value, index).
//  - Forward: an anchor (contraction, reduction, pool) computes its element
//    at its own index; `forward` then walks the ops after it (the epilogue),
//    carrying that element's index through reshapes and transposes, and
//    stores the yielded values.
//
// Strategies (the fusion's `schedule`): pointwise (grid-stride loop over the
// output), row_reduce (threads_per_row threads per row, warp shuffles and
// shared memory), tiled_gemm (shared-memory tiles, FMA with f32
// accumulation), direct_pool (one thread per pooled element).
//
//===----------------------------------------------------------------------===//
#include "codegen/CudaEmitter.h"
#include "codegen/DefaultSchedule.h"
#include "ir/ShapeUtils.h"
#include "codegen/KernelText.h"
#include "codegen/BackwardKernels.h"
#include "codegen/MultiTensorKernels.h"

#include "ir/DlcOps.h"
#include "ir/FusionOps.h"
#include "ir/ModelAttrs.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

using namespace mlir;
using namespace mlir::dlc;

namespace {
#include "codegen/DevicePrelude.inc"
} // namespace

const char *mlir::dlc::devicePrelude() { return kDevicePrelude; }

std::string mlir::dlc::sanitizeComment(StringRef s) {
  std::string out;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '\\')
      c = '?';
    if (c == '/' && !out.empty() && out.back() == '*')
      out.push_back(' ');
    out.push_back(c);
  }
  return out;
}

namespace {

using Dims = SmallVector<int64_t>;

//===----------------------------------------------------------------------===//
// Spellings
//===----------------------------------------------------------------------===//

/// Element types: the type in memory, the type computed in, manifest name.
struct TypeNames {
  const char *storage, *compute, *dtype;
};
TypeNames typeNames(Type t) {
  if (t.isF16())
    return {"__half", "float", "f16"};
  if (t.isBF16())
    return {"__nv_bfloat16", "float", "bf16"};
  if (t.isF32())
    return {"float", "float", "f32"};
  if (t.isF64())
    return {"double", "double", "f64"};
  if (t.isInteger(1))
    return {"bool", "bool", "i1"};
  if (t.isInteger(32))
    return {"int", "int", "i32"};
  return {"long long", "long long", "i64"};
}
Type elementType(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}
const char *computeType(Value v) { return typeNames(elementType(v)).compute; }

/// Elementwise op spellings: {0}, {1}, {2} are the operands.
const llvm::StringMap<const char *> &opSpellings() {
  static const llvm::StringMap<const char *> table = {
      {"dlc.neg", "-{0}"},
      {"dlc.exp", "dlc::exp({0})"},
      {"dlc.log", "dlc::log({0})"},
      {"dlc.sqrt", "dlc::sqrt({0})"},
      {"dlc.rsqrt", "dlc::rsqrt({0})"},
      {"dlc.tanh", "dlc::tanh({0})"},
      {"dlc.sigmoid", "dlc::sigmoid({0})"},
      {"dlc.relu", "dlc::relu({0})"},
      {"dlc.erf", "dlc::erf({0})"},
      {"dlc.add", "{0} + {1}"},
      {"dlc.sub", "{0} - {1}"},
      {"dlc.mul", "{0} * {1}"},
      {"dlc.div", "{0} / {1}"},
      {"dlc.maximum", "dlc::maximum({0}, {1})"},
      {"dlc.minimum", "dlc::minimum({0}, {1})"},
      {"dlc.where", "{0} ? {1} : {2}"},
  };
  return table;
}
const llvm::StringMap<const char *> &comparePredicates() {
  static const llvm::StringMap<const char *> table = {
      {"eq", "=="}, {"ne", "!="}, {"lt", "<"},
      {"le", "<="}, {"gt", ">"},  {"ge", ">="}};
  return table;
}

Dims stridesOf(ArrayRef<int64_t> shape) {
  Dims s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

//===----------------------------------------------------------------------===//
// Buffers of the program
//===----------------------------------------------------------------------===//

struct Buffer {
  /// `name` is the C identifier in the kernels; `modelName` the model's own
  /// name of an input, parameter or output ("conv1.weight").
  std::string name, modelName, role;
  Type type;
  Dims shape;
  int64_t offset = -1;
};

bool isReserved(StringRef s) {
  static const llvm::StringSet<> words = {
      "arena", "i", "k", "k0", "kk", "e", "r", "t", "row", "base", "lane",
      "active", "acc", "tile", "tiles", "best", "count", "scratch", "total",
      "b", "m", "n", "m0", "n0", "mm", "nn", "img", "c", "wy", "wx", "a", "w",
      "plane", "py", "px", "iy", "ix", "rowMax", "rowSum", "logSum", "mean",
      "invStd", "sqSum", "sum", "main", "tileA", "tileB", "staging", "warp",
      "wm0", "wn0", "fi", "fj", "kt", "buf", "fragA", "fragB", "first", "u",
      "auto", "bool", "break", "case", "char", "const", "continue",
      "default", "do", "double", "else", "enum", "extern", "float", "for",
      "goto", "if", "int", "long", "register", "return", "short", "signed",
      "sizeof", "static", "struct", "switch", "typedef", "union",
      "unsigned", "void", "volatile", "while", "class", "namespace",
      "template", "this", "new", "delete", "true", "false", "dlc", "idx_t",
      "half", "inline", "operator", "private", "public", "virtual", "try",
      "catch", "throw", "using", "friend", "mutable", "explicit", "export",
      // The rest of C++17's keywords, its alternative operator spellings (a
      // model value named "and" or "xor"), and CUDA's built-in variables.
      "alignas", "alignof", "asm", "char16_t", "char32_t", "char8_t",
      "concept", "consteval", "constexpr", "constinit", "const_cast",
      "co_await", "co_return", "co_yield", "decltype", "dynamic_cast",
      "noexcept", "nullptr", "protected", "reinterpret_cast", "requires",
      "static_assert", "static_cast", "thread_local", "typeid", "typename",
      "wchar_t", "and", "and_eq", "bitand", "bitor", "compl", "not",
      "not_eq", "or", "or_eq", "xor", "xor_eq", "threadIdx", "blockIdx",
      "blockDim", "gridDim", "warpSize"};
  if (words.contains(s) || s.starts_with("__") || s.starts_with("k_"))
    return true;
  // Locals are v<N>, i<N>, p<N>.
  return s.size() > 1 && (s[0] == 'v' || s[0] == 'i' || s[0] == 'p') &&
         llvm::all_of(s.drop_front(), llvm::isDigit);
}

class NameTable {
public:
  std::string unique(StringRef raw) {
    std::string s = sanitizeIdentifier(raw);
    if (s.empty() || llvm::isDigit(s[0]))
      s = "t_" + s;
    if (isReserved(s))
      s += "_";
    std::string candidate = s;
    for (int n = 2; !used.insert(candidate).second; ++n)
      candidate = s + "_" + std::to_string(n);
    return candidate;
  }

private:
  llvm::StringSet<> used;
};

//===----------------------------------------------------------------------===//
// One kernel
//===----------------------------------------------------------------------===//

struct KernelContext {
  /// Per fusion operand: the pointer it reads.
  SmallVector<std::string> operandPtr;
  /// Per fusion result: the pointers it is stored to.
  SmallVector<SmallVector<std::string, 1>> resultPtrs;
};

class KernelEmitter {
public:
  KernelEmitter(FusionOp fusion, const Schedule &sched, KernelContext ctx,
                llvm::raw_ostream &decls, std::string &body)
      : fusion(fusion), sched(sched), ctx(std::move(ctx)), decls(decls),
        bodyStream(body) {}

  LogicalResult emit(KernelInfo &info);
  bool usesF16 = false, usesBf16 = false, usesMma = false;

private:
  // Output helpers.
  void line(const Twine &s) { bodyStream << indent << s << "\n"; }
  void open(const Twine &s) {
    line(s + " {");
    indent += "  ";
    scopes.emplace_back();
  }
  void close(StringRef tail = "") {
    scopes.pop_back();
    indent.resize(indent.size() - 2);
    line("}" + Twine(tail));
  }
  std::string fresh(StringRef prefix) {
    return (prefix + Twine(counter++)).str();
  }
  /// A named index variable for `expr` (or expr itself when it is a name or
  /// a number).
  std::string indexVar(const std::string &expr) {
    if (llvm::all_of(expr, [](char c) { return llvm::isAlnum(c) || c == '_'; }))
      return expr;
    std::string v = fresh("i");
    line("const idx_t " + v + " = " + expr + ";");
    return v;
  }
  void comment(Operation *op) {
    if (!commented.insert(op).second)
      return;
    std::string node = nodeName(op->getLoc());
    line("// " + (node.empty() ? std::string("(unnamed)")
                               : sanitizeComment(node)) +
         ": " + op->getName().getStringRef());
  }
  LogicalResult fail(Operation *op, const Twine &why) {
    return op->emitOpError("cannot be emitted as CUDA: ") << why;
  }

  // Cache of computed elements, per scope.
  std::string *lookup(Value v, const std::string &idx) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto f = it->find({v.getAsOpaquePointer(), idx});
      if (f != it->end())
        return &f->second;
    }
    return nullptr;
  }
  void remember(Value v, const std::string &idx, const std::string &expr) {
    scopes.back()[{v.getAsOpaquePointer(), idx}] = expr;
  }
  /// `expr` bound to a new const variable of v's compute type.
  std::string bind(Value v, const std::string &expr) {
    if (Operation *op = v.getDefiningOp())
      comment(op);
    std::string name = fresh("v");
    line(Twine("const ") + computeType(v) + " " + name + " = " + expr + ";");
    return name;
  }

  // Index maps.
  std::string coord(const std::string &idx, ArrayRef<int64_t> shape,
                    size_t d);
  std::string broadcastIndex(const std::string &idx, ArrayRef<int64_t> out,
                             ArrayRef<int64_t> in);
  std::string transposeIndex(const std::string &idx, ArrayRef<int64_t> inShape,
                             ArrayRef<int64_t> perm, bool forward);

  // Gather and forward.
  FailureOr<std::string> at(Value v, const std::string &idx);
  FailureOr<std::string> atOp(Operation *op, const std::string &idx);
  FailureOr<std::string> constant(ConstantOp op, const std::string &idx);
  FailureOr<std::string> concat(ConcatOp op, const std::string &idx);
  /// With `anchor` known at `idx` (cached), emits the ops after it that
  /// depend on it, up to `stop`, and stores yielded values; returns the
  /// index each reached value is known at.
  FailureOr<llvm::DenseMap<Value, std::string>>
  forward(Value anchor, const std::string &idx, Operation *stop = nullptr);
  LogicalResult storeYields(const llvm::DenseMap<Value, std::string> &known);

  // Strategies.
  LogicalResult emitForOps(Operation *anchor, Operation *pool);
  LogicalResult emitPointwise();
  LogicalResult emitRowReduce(Operation *anchor);
  LogicalResult emitPool(Operation *pool, Operation *contraction);
  LogicalResult emitTiledGemm(Operation *anchor);
  LogicalResult emitDirectContraction(Operation *anchor);
  /// Whether every use of `v` (transitively, up to the yields) is an
  /// elementwise op with numpy broadcasting, so that within a vector of
  /// consecutive output elements v is read contiguously or at one element.
  bool readsBroadcastOnly(Value v);

  struct Gemm {
    int64_t batch = 1, m = 0, n = 0, k = 0;
    Value bias;
    /// Emits the load of A(b, m, k) (B(b, k, n)) and returns its value.
    std::function<FailureOr<std::string>(const std::string &b,
                                         const std::string &m,
                                         const std::string &k,
                                         const std::string &n)>
        loadA, loadB;
    /// The linear output index of (b, m, n).
    std::function<std::string(const std::string &b, const std::string &m,
                              const std::string &n)>
        outIndex;
    /// Emits b, m, n of an output index; returns their names.
    std::function<std::array<std::string, 3>(const std::string &idx)> split;
  };
  FailureOr<Gemm> gemmOf(Operation *op);
  /// The tensor-core path of tiled_gemm; `why` gets the reason when the
  /// schedule's mma cannot be honoured (the FMA path is used then).
  LogicalResult emitMmaGemm(Operation *anchor, Gemm &g, std::string &why,
                            bool &emitted);
  /// Emits the full dot product of output element `idx` of `op`; returns
  /// the accumulator.
  FailureOr<std::string> dotAt(Operation *op, const std::string &idx);

  FusionOp fusion;
  const Schedule &sched;
  KernelContext ctx;
  llvm::raw_ostream &decls;
  llvm::raw_string_ostream bodyStream;
  std::string indent = "  ";
  std::vector<std::map<std::pair<void *, std::string>, std::string>> scopes{
      1};
  llvm::DenseSet<Operation *> commented;
  unsigned counter = 0, constCounter = 0;
  /// Values that depend on the anchor (known only where forward put them).
  llvm::DenseSet<Value> dependsOnAnchor;
  /// In a vectorized pointwise loop: fusion operands loaded before the
  /// per-element loop, and the expression of their element there.
  llvm::DenseMap<Value, std::string> vectorLoaded;
  llvm::DenseMap<Value, bool> broadcastOnly; // readsBroadcastOnly's memo
};

std::string KernelEmitter::coord(const std::string &idx,
                                 ArrayRef<int64_t> shape, size_t d) {
  int64_t stride = product(shape.drop_front(d + 1));
  std::string e = idx;
  if (stride != 1)
    e = "(" + e + " / " + std::to_string(stride) + ")";
  if (d != 0)
    e = "(" + e + " % " + std::to_string(shape[d]) + ")";
  if (e.front() == '(' && e.back() == ')' && d == 0)
    e = e.substr(1, e.size() - 2);
  return e;
}

std::string KernelEmitter::broadcastIndex(const std::string &idx,
                                          ArrayRef<int64_t> out,
                                          ArrayRef<int64_t> in) {
  if (out == in)
    return idx;
  if (product(in) == 1)
    return "0";
  Dims inStrides = stridesOf(in);
  size_t lead = out.size() - in.size();
  std::string expr;
  for (size_t d = lead; d < out.size(); ++d) {
    int64_t id = in[d - lead];
    if (id == 1)
      continue;
    std::string term = coord(idx, out, d);
    if (inStrides[d - lead] != 1)
      term += " * " + std::to_string(inStrides[d - lead]);
    expr += (expr.empty() ? "" : " + ") + term;
  }
  return indexVar(expr);
}

/// forward = false: the input index of output element idx (gather);
/// forward = true: the output index of input element idx.
std::string KernelEmitter::transposeIndex(const std::string &idx,
                                          ArrayRef<int64_t> inShape,
                                          ArrayRef<int64_t> perm,
                                          bool forward) {
  Dims outShape;
  for (int64_t p : perm)
    outShape.push_back(inShape[p]);
  Dims inStrides = stridesOf(inShape), outStrides = stridesOf(outShape);
  std::string expr;
  for (size_t d = 0; d < perm.size(); ++d) {
    // Output dim d is input dim perm[d].
    std::string term;
    int64_t stride;
    if (forward) {
      if (inShape[perm[d]] == 1)
        continue;
      term = coord(idx, inShape, perm[d]);
      stride = outStrides[d];
    } else {
      if (outShape[d] == 1)
        continue;
      term = coord(idx, outShape, d);
      stride = inStrides[perm[d]];
    }
    if (stride != 1)
      term += " * " + std::to_string(stride);
    expr += (expr.empty() ? "" : " + ") + term;
  }
  return indexVar(expr.empty() ? "0" : expr);
}

FailureOr<std::string> KernelEmitter::at(Value v, const std::string &idx) {
  if (auto it = vectorLoaded.find(v); it != vectorLoaded.end())
    return it->second;
  if (std::string *hit = lookup(v, idx))
    return *hit;
  std::string expr;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    expr = bind(v, "dlc::load(" + ctx.operandPtr[arg.getArgNumber()] + ", " +
                       idx + ")");
  } else {
    Operation *op = v.getDefiningOp();
    if (dependsOnAnchor.contains(v))
      return fail(op, "its result is needed at an element its anchor does "
                      "not compute there (an index map other than reshape or "
                      "transpose after a contraction or reduction)");
    FailureOr<std::string> e = atOp(op, idx);
    if (failed(e))
      return failure();
    expr = *e;
  }
  remember(v, idx, expr);
  return expr;
}

FailureOr<std::string> KernelEmitter::atOp(Operation *op,
                                           const std::string &idx) {
  Value result = op->getResult(0);
  Dims outShape(shapeOf(result));
  auto operandAt = [&](unsigned i) -> FailureOr<std::string> {
    Value in = op->getOperand(i);
    if (auto it = vectorLoaded.find(in); it != vectorLoaded.end())
      return it->second;
    return at(in, broadcastIndex(idx, outShape, shapeOf(in)));
  };
  if (auto c = dyn_cast<ConstantOp>(op))
    return constant(c, idx);
  if (isa<ReshapeOp, FlattenOp>(op))
    return at(op->getOperand(0), idx);
  if (auto b = dyn_cast<BroadcastOp>(op))
    return operandAt(0);
  if (auto t = dyn_cast<TransposeOp>(op))
    return at(t.getInput(),
              transposeIndex(idx, shapeOf(t.getInput()), t.getPerm(), false));
  if (auto s = dyn_cast<SliceOp>(op)) {
    Dims in(shapeOf(s.getInput()));
    size_t rank = in.size();
    Dims start(rank, 0), step(rank, 1);
    ArrayRef<int64_t> axes = s.getAxes();
    for (size_t j = 0; j < s.getStarts().size(); ++j) {
      int64_t a = axes.empty() ? int64_t(j) : axes[j];
      if (a < 0)
        a += rank;
      int64_t st = s.getStarts()[j];
      if (st < 0)
        st += in[a];
      start[a] = std::clamp<int64_t>(st, 0, in[a]);
      if (!s.getSteps().empty())
        step[a] = s.getSteps()[j];
    }
    Dims inStrides = stridesOf(in);
    std::string expr;
    for (size_t d = 0; d < rank; ++d) {
      std::string term = outShape[d] == 1 ? "0" : coord(idx, outShape, d);
      if (step[d] != 1)
        term = "(" + term + " * " + std::to_string(step[d]) + ")";
      if (start[d] != 0)
        term = "(" + term + " + " + std::to_string(start[d]) + ")";
      if (term == "0")
        continue;
      if (inStrides[d] != 1)
        term += " * " + std::to_string(inStrides[d]);
      expr += (expr.empty() ? "" : " + ") + term;
    }
    return at(s.getInput(), indexVar(expr.empty() ? "0" : expr));
  }
  if (auto c = dyn_cast<ConcatOp>(op))
    return concat(c, idx);

  StringRef name = op->getName().getStringRef();
  const char *ct = computeType(result);
  if (auto g = dyn_cast<GeluOp>(op)) {
    FailureOr<std::string> x = operandAt(0);
    if (failed(x))
      return failure();
    return bind(result, (g.getApproximate() == "tanh" ? "dlc::geluTanh("
                                                      : "dlc::gelu(") +
                            *x + ")");
  }
  if (auto c = dyn_cast<CompareOp>(op)) {
    auto pred = comparePredicates().find(c.getPredicate());
    if (pred == comparePredicates().end())
      return fail(op, "unknown predicate");
    FailureOr<std::string> a = operandAt(0), b = operandAt(1);
    if (failed(a) || failed(b))
      return failure();
    return bind(result, *a + " " + pred->second + " " + *b);
  }
  if (auto c = dyn_cast<CastOp>(op)) {
    FailureOr<std::string> x = operandAt(0);
    if (failed(x))
      return failure();
    if (elementType(result).isInteger(1))
      return bind(result, "(" + *x + ") != 0");
    // static_cast: a functional cast cannot spell "long long".
    return bind(result, "static_cast<" + std::string(ct) + ">(" + *x + ")");
  }
  if (auto bn = dyn_cast<BatchNormOp>(op)) {
    std::string ch = indexVar(coord(idx, outShape, 1));
    FailureOr<std::string> x = at(bn.getInput(), idx),
                           s = at(bn.getScale(), ch), b = at(bn.getBias(), ch),
                           m = at(bn.getMean(), ch),
                           var = at(bn.getVariance(), ch);
    if (failed(x) || failed(s) || failed(b) || failed(m) || failed(var))
      return failure();
    std::string eps = floatLiteral(bn.getEpsilon().convertToDouble(),
                                   StringRef(ct) == "double");
    return bind(result, "(" + *x + " - " + *m + ") * dlc::rsqrt(" + *var +
                            " + " + eps + ") * " + *s + " + " + *b);
  }
  if (isa<PowOp>(op)) {
    FailureOr<std::string> a = operandAt(0), b = operandAt(1);
    if (failed(a) || failed(b))
      return failure();
    bool isInt = isa<IntegerType>(elementType(result));
    return bind(result, std::string(isInt ? "dlc::ipow(" : "dlc::pow(") + *a +
                            ", " + *b + ")");
  }
  auto spelling = opSpellings().find(name);
  if (spelling == opSpellings().end())
    return fail(op, "no spelling for this op in an elementwise position");
  SmallVector<std::string, 3> args;
  for (unsigned i = 0; i < op->getNumOperands(); ++i) {
    FailureOr<std::string> a = operandAt(i);
    if (failed(a))
      return failure();
    args.push_back(*a);
  }
  std::string expr = spelling->second;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string key = "{" + std::to_string(i) + "}";
    for (size_t p; (p = expr.find(key)) != std::string::npos;)
      expr.replace(p, key.size(), args[i]);
  }
  return bind(result, expr);
}

FailureOr<std::string> KernelEmitter::constant(ConstantOp op,
                                               const std::string &idx) {
  auto attr = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!attr)
    return fail(op, "only dense constants are supported");
  Type et = attr.getElementType();
  bool isDouble = et.isF64();
  auto literal = [&](int64_t i) -> std::string {
    if (isa<FloatType>(et))
      return floatLiteral(
          attr.getValues<APFloat>()[i].convertToDouble(), isDouble);
    APInt v = attr.getValues<APInt>()[i];
    if (et.isInteger(1))
      return v.isZero() ? "false" : "true";
    return std::to_string(v.getSExtValue()) + (et.isInteger(64) ? "LL" : "");
  };
  if (attr.isSplat())
    return literal(0);
  // A table next to the kernel.
  std::string name = "k_" + fusion.getName().str() + "_const" +
                     std::to_string(constCounter++);
  decls << "__device__ const " << typeNames(et).compute << " " << name
        << "[] = {";
  for (int64_t i = 0; i < attr.getNumElements(); ++i)
    decls << (i ? ", " : "") << literal(i);
  decls << "};\n";
  return bind(op.getResult(), name + "[" + idx + "]");
}

FailureOr<std::string> KernelEmitter::concat(ConcatOp op,
                                             const std::string &idx) {
  Dims outShape(shapeOf(op.getResult()));
  int64_t axis = op.getAxis();
  if (axis < 0)
    axis += outShape.size();
  std::string c = indexVar(coord(idx, outShape, axis));
  std::string var = fresh("v");
  comment(op);
  line(Twine(computeType(op.getResult())) + " " + var + ";");
  int64_t begin = 0;
  int64_t inner = product(ArrayRef<int64_t>(outShape).drop_front(axis + 1));
  for (auto [i, in] : llvm::enumerate(op.getInputs())) {
    int64_t size = shapeOf(in)[axis];
    bool last = i + 1 == op.getInputs().size();
    if (i == 0)
      open("if (" + c + " < " + std::to_string(begin + size) + ")");
    else if (!last)
      open("else if (" + c + " < " + std::to_string(begin + size) + ")");
    else
      open("else");
    // Element idx is element idx - begin*inner*(outer index) ... computed
    // from coordinates: outer * size * inner + (c - begin) * inner + rest.
    std::string outer = axis == 0 ? "0" : "(" + idx + " / " +
                                              std::to_string(outShape[axis] *
                                                             inner) +
                                              ")";
    std::string rest = inner == 1 ? "0" : "(" + idx + " % " +
                                              std::to_string(inner) + ")";
    std::string e = indexVar(outer + " * " + std::to_string(size * inner) +
                             " + (" + c + " - " + std::to_string(begin) +
                             ") * " + std::to_string(inner) + " + " + rest);
    FailureOr<std::string> x = at(in, e);
    if (failed(x))
      return failure();
    line(var + " = " + *x + ";");
    close();
    begin += size;
  }
  return var;
}

FailureOr<llvm::DenseMap<Value, std::string>>
KernelEmitter::forward(Value anchor, const std::string &idx, Operation *stop) {
  llvm::DenseMap<Value, std::string> known;
  known[anchor] = idx;
  Block &body = fusion.getBodyBlock();
  Operation *start = anchor.getDefiningOp();
  for (Operation &op : llvm::make_range(std::next(start->getIterator()),
                                        body.end())) {
    if (&op == stop || isa<YieldOp>(op))
      break;
    Value known0;
    for (Value in : op.getOperands())
      if (known.count(in)) {
        known0 = in;
        break;
      }
    if (!known0)
      continue;
    Value result = op.getResult(0);
    const std::string &in = known[known0];
    if (isa<ReshapeOp, FlattenOp, TransposeOp>(op))
      comment(&op);
    if (isa<ReshapeOp, FlattenOp>(op)) {
      known[result] = in;
      remember(result, in, *lookup(known0, in));
      continue;
    }
    if (auto t = dyn_cast<TransposeOp>(op)) {
      std::string outIdx =
          transposeIndex(in, shapeOf(known0), t.getPerm(), true);
      known[result] = outIdx;
      remember(result, outIdx, *lookup(known0, in));
      continue;
    }
    OpClass cls = classifyOp(&op);
    if (cls != OpClass::Elementwise || isa<SliceOp, ConcatOp>(op) ||
        shapeOf(result) != shapeOf(known0))
      return fail(&op, "it changes the shape of a contraction or reduction "
                       "result in an epilogue");
    dependsOnAnchor.erase(result);
    FailureOr<std::string> v = at(result, in);
    dependsOnAnchor.insert(result);
    if (failed(v))
      return failure();
    known[result] = in;
  }
  return known;
}

LogicalResult
KernelEmitter::storeYields(const llvm::DenseMap<Value, std::string> &known) {
  auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    auto it = known.find(v);
    if (it == known.end())
      continue;
    for (const std::string &ptr : ctx.resultPtrs[i])
      line("dlc::store(" + ptr + ", " + it->second + ", " +
           *lookup(v, it->second) + ");");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Strategies
//===----------------------------------------------------------------------===//

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
         std::to_string(n) + "; i += dlc::blocksPerGrid() * "
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
  // vector_width consecutive elements per thread: operands read
  // contiguously (or at one element) are loaded as vectors, results are
  // stored as vectors, the rest is gathered element by element.
  const std::string w = std::to_string(vw);
  line("// " + w + " consecutive elements per thread (vector_width)");
  open("for (idx_t first = (dlc::blockInGrid() * dlc::threadsPerBlock() + "
       "dlc::threadInBlock()) * " +
       w + "; first < " + std::to_string(n) +
       "; first += dlc::blocksPerGrid() * dlc::threadsPerBlock() * " + w +
       ")");
  bool sameShapes = llvm::all_of(yield.getValues(), [&](Value v) {
    return shapeOf(v) == ArrayRef<int64_t>(outShape);
  });
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
    usesI = !isIdent(text[p - 1]) && (p + 1 == text.size() ||
                                      !isIdent(text[p + 1]));
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
    bool broadcasting =
        isa<CompareOp, CastOp, GeluOp, PowOp, BroadcastOp>(user) ||
        opSpellings().count(user->getName().getStringRef());
    ok = broadcasting && readsBroadcastOnly(user->getResult(0));
  }
  return broadcastOnly[v] = ok;
}

/// The gather index of (row, k) for a reduction over `reduced` dims.
std::string rowIndex(ArrayRef<int64_t> shape, ArrayRef<bool> reduced) {
  Dims keptShape, redShape;
  for (size_t d = 0; d < shape.size(); ++d)
    (reduced[d] ? redShape : keptShape).push_back(shape[d]);
  // Trailing reduced dims: row * len + k.
  size_t firstRed = shape.size();
  while (firstRed > 0 && reduced[firstRed - 1])
    --firstRed;
  bool trailing = llvm::all_of(ArrayRef<bool>(reduced).take_front(firstRed),
                               [](bool r) { return !r; });
  int64_t len = product(redShape);
  if (trailing)
    return len == 1 ? "row" : "row * " + std::to_string(len) + " + k";
  Dims strides = stridesOf(shape);
  std::string expr;
  size_t ki = 0, ri = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    std::string term;
    if (reduced[d]) {
      int64_t inner = product(ArrayRef<int64_t>(redShape).drop_front(ri + 1));
      term = "(k / " + std::to_string(inner) + " % " +
             std::to_string(redShape[ri]) + ")";
      ++ri;
    } else {
      int64_t inner =
          product(ArrayRef<int64_t>(keptShape).drop_front(ki + 1));
      term = "(row / " + std::to_string(inner) + " % " +
             std::to_string(keptShape[ki]) + ")";
      ++ki;
    }
    if (shape[d] == 1)
      continue;
    expr += (expr.empty() ? "" : " + ") + term + " * " +
            std::to_string(strides[d]);
  }
  return expr.empty() ? "0" : expr;
}

LogicalResult KernelEmitter::emitRowReduce(Operation *anchor) {
  Value input = anchor->getOperand(0);
  Dims shape(shapeOf(input));
  int64_t rank = shape.size();
  SmallVector<bool> reduced(rank, false);
  auto norm = [&](int64_t a) { return a < 0 ? a + rank : a; };
  bool scalar = isa<SoftmaxCrossEntropyOp, MseLossOp>(anchor);
  if (auto r = dyn_cast<ReduceSumOp>(anchor); r || isa<ReduceMeanOp,
                                                       ReduceMaxOp>(anchor)) {
    ArrayRef<int64_t> axes =
        cast<DenseI64ArrayAttr>(anchor->getAttr("axes")).asArrayRef();
    for (int64_t d = 0; d < rank; ++d)
      reduced[d] = axes.empty();
    for (int64_t a : axes)
      reduced[norm(a)] = true;
  } else if (isa<SoftmaxOp, LogSoftmaxOp>(anchor)) {
    reduced[norm(cast<IntegerAttr>(anchor->getAttr("axis")).getInt())] = true;
  } else if (auto ln = dyn_cast<LayerNormOp>(anchor)) {
    for (int64_t d = norm(ln.getAxis()); d < rank; ++d)
      reduced[d] = true;
  } else if (isa<SoftmaxCrossEntropyOp>(anchor)) {
    reduced[1] = true;
  } else if (isa<MseLossOp>(anchor)) {
    reduced.assign(rank, true);
  }
  int64_t len = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      len *= shape[d];
  int64_t rows = numElements(input) / std::max<int64_t>(len, 1);
  std::string inIdx = rowIndex(shape, reduced);

  int64_t tpr = sched.threadsPerRow, rpb = sched.rowsPerBlock;
  int64_t threads = sched.threadsPerBlock();
  if (tpr <= 0 || (tpr & (tpr - 1)) != 0 || tpr * rpb != threads ||
      (threads > 32 && threads % 32 != 0))
    return fail(anchor, "schedule has threads_per_row " + std::to_string(tpr) +
                            " (a power of two expected) and rows_per_block " +
                            std::to_string(rpb) + " for a block of " +
                            std::to_string(threads) + " threads");
  const char *ct = computeType(input);
  bool isDouble = StringRef(ct) == "double";
  std::string zero = isDouble ? "0.0" : "0.0f";
  std::string lenLit = floatLiteral(double(len), isDouble);
  comment(anchor);
  line("constexpr int kThreadsPerRow = " + std::to_string(tpr) +
       ", kRowsPerBlock = " + std::to_string(rpb) + ";");
  int64_t scratchSize = std::max<int64_t>(1, tpr * rpb / 32);
  line(Twine("__shared__ ") + ct + " scratch[" + std::to_string(scratchSize) +
       "];");
  line("const int lane = dlc::threadInBlock() % kThreadsPerRow;");
  if (scalar)
    line(Twine(ct) + " total = " + zero + ";");
  open("for (idx_t base = dlc::blockInGrid() * kRowsPerBlock; base < " +
       std::to_string(rows) +
       "; base += dlc::blocksPerGrid() * kRowsPerBlock)");
  line("const idx_t row = base + dlc::threadInBlock() / kThreadsPerRow;");
  line("const bool active = row < " + std::to_string(rows) + ";");

  // One pass over the row: acc = combine(acc, f(x)) for each element.
  auto pass = [&](const std::string &acc, const std::string &init,
                  bool isMax, const std::function<FailureOr<std::string>(
                                  const std::string &x)> &f) -> LogicalResult {
    line(Twine(ct) + " " + acc + " = " + init + ";");
    open("for (idx_t k = lane; active && k < " + std::to_string(len) +
         "; k += kThreadsPerRow)");
    std::string i = indexVar(inIdx);
    FailureOr<std::string> x = at(input, i);
    if (failed(x))
      return failure();
    FailureOr<std::string> term = f(*x);
    if (failed(term))
      return failure();
    line(isMax ? acc + " = dlc::maxAcc(" + acc + ", " + *term + ");"
               : acc + " += " + *term + ";");
    close();
    line(acc + " = dlc::rowAllReduce<kThreadsPerRow>(" + acc +
         (isMax ? ", dlc::Max(), scratch);" : ", dlc::Sum(), scratch);"));
    return success();
  };
  auto identity = [](const std::string &x) -> FailureOr<std::string> {
    return x;
  };
  std::string negInf = isDouble ? "-dlc::infinity<double>()"
                                : "-dlc::infinity<float>()";
  Value result = anchor->getResult(0);
  // Per-element outputs (softmax, log_softmax, layer_norm): a last pass
  // computes each element and runs the epilogue.
  auto elementPass =
      [&](const std::function<FailureOr<std::string>(const std::string &x,
                                                     const std::string &k)>
              &f) -> LogicalResult {
    open("for (idx_t k = lane; active && k < " + std::to_string(len) +
         "; k += kThreadsPerRow)");
    std::string i = indexVar(inIdx);
    FailureOr<std::string> x = at(input, i);
    if (failed(x))
      return failure();
    FailureOr<std::string> y = f(*x, "k");
    if (failed(y))
      return failure();
    comment(anchor);
    remember(result, i, bind(result, *y));
    auto known = forward(result, i);
    if (failed(known) || failed(storeYields(*known)))
      return failure();
    close();
    return success();
  };

  if (isa<SoftmaxOp, LogSoftmaxOp>(anchor)) {
    if (failed(pass("rowMax", negInf, true, identity)) ||
        failed(pass("rowSum", zero, false,
                    [&](const std::string &x) -> FailureOr<std::string> {
                      return "dlc::exp(" + x + " - rowMax)";
                    })))
      return failure();
    bool log = isa<LogSoftmaxOp>(anchor);
    if (log)
      line(Twine("const ") + ct + " logSum = dlc::log(rowSum);");
    if (failed(elementPass([&](const std::string &x, const std::string &) {
          return log ? "(" + x + " - rowMax) - logSum"
                     : "dlc::exp(" + x + " - rowMax) / rowSum";
        })))
      return failure();
  } else if (auto ln = dyn_cast<LayerNormOp>(anchor)) {
    if (failed(pass("rowSum", zero, false, identity)))
      return failure();
    line(Twine("const ") + ct + " mean = rowSum / " + lenLit + ";");
    if (failed(pass("sqSum", zero, false,
                    [&](const std::string &x) -> FailureOr<std::string> {
                      return "(" + x + " - mean) * (" + x + " - mean)";
                    })))
      return failure();
    line(Twine("const ") + ct + " invStd = dlc::rsqrt(sqSum / " + lenLit +
         " + " + floatLiteral(ln.getEpsilon().convertToDouble(), isDouble) +
         ");");
    if (failed(elementPass([&](const std::string &x,
                               const std::string &k) -> FailureOr<std::string> {
          FailureOr<std::string> s = at(ln.getScale(), k),
                                 b = at(ln.getBias(), k);
          if (failed(s) || failed(b))
            return failure();
          return "(" + x + " - mean) * invStd * " + *s + " + " + *b;
        })))
      return failure();
  } else if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>(anchor)) {
    bool isMax = isa<ReduceMaxOp>(anchor);
    if (failed(pass("acc", isMax ? negInf : zero, isMax, identity)))
      return failure();
    open("if (active && lane == 0)");
    comment(anchor);
    remember(result, "row",
             bind(result, isa<ReduceMeanOp>(anchor) ? "acc / " + lenLit
                                                    : std::string("acc")));
    auto known = forward(result, "row");
    if (failed(known) || failed(storeYields(*known)))
      return failure();
    close();
  } else if (auto sce = dyn_cast<SoftmaxCrossEntropyOp>(anchor)) {
    if (failed(pass("rowMax", negInf, true, identity)) ||
        failed(pass("rowSum", zero, false,
                    [&](const std::string &x) -> FailureOr<std::string> {
                      return "dlc::exp(" + x + " - rowMax)";
                    })))
      return failure();
    open("if (active && lane == 0)");
    FailureOr<std::string> label = at(sce.getLabels(), "row");
    if (failed(label))
      return failure();
    std::string li = indexVar("row * " + std::to_string(len) + " + " + *label);
    FailureOr<std::string> x = at(input, li);
    if (failed(x))
      return failure();
    line("total += rowMax + dlc::log(rowSum) - " + *x + ";");
    close();
  } else if (auto mse = dyn_cast<MseLossOp>(anchor)) {
    if (failed(pass("acc", zero, false,
                    [&](const std::string &x) -> FailureOr<std::string> {
                      FailureOr<std::string> t = at(mse.getTarget(), "k");
                      if (failed(t))
                        return failure();
                      return "(" + x + " - " + *t + ") * (" + x + " - " + *t +
                             ")";
                    })))
      return failure();
    line("if (active && lane == 0) total += acc;");
  } else {
    return fail(anchor, "not a row reduction");
  }
  close();
  if (scalar) {
    // One block: the rows' partial sums, then the mean over rows/elements.
    line("total = dlc::rowAllReduce<kThreadsPerRow * kRowsPerBlock>(total, "
         "dlc::Sum(), scratch);");
    open("if (dlc::threadInBlock() == 0)");
    comment(anchor);
    remember(result, "0",
             bind(result, "total / " +
                              floatLiteral(double(isa<MseLossOp>(anchor)
                                                      ? len
                                                      : rows),
                                           isDouble)));
    auto known = forward(result, "0");
    if (failed(known) || failed(storeYields(*known)))
      return failure();
    close();
  }
  return success();
}

/// The contraction as a GEMM with index functions.
FailureOr<KernelEmitter::Gemm> KernelEmitter::gemmOf(Operation *op) {
  Gemm g;
  if (isa<MatmulOp, BatchMatmulOp>(op)) {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    Dims ls(shapeOf(lhs)), rs(shapeOf(rhs)), os(shapeOf(op->getResult(0)));
    size_t r = os.size();
    g.m = os[r - 2];
    g.n = os[r - 1];
    g.k = ls.back();
    Dims batch(os.begin(), os.end() - 2);
    Dims lb(ls.begin(), ls.end() - 2), rb(rs.begin(), rs.end() - 2);
    g.batch = product(batch);
    int64_t M = g.m, N = g.n, K = g.k;
    g.loadA = [=](const std::string &b, const std::string &m,
                  const std::string &k,
                  const std::string &) -> FailureOr<std::string> {
      std::string bi = broadcastIndex(b, batch, lb);
      return at(lhs, indexVar((bi == "0" ? "" : bi + " * " + num(M * K) +
                                                    " + ") +
                              m + " * " + num(K) + " + " + k));
    };
    g.loadB = [=](const std::string &b, const std::string &m,
                  const std::string &k,
                  const std::string &n) -> FailureOr<std::string> {
      std::string bi = broadcastIndex(b, batch, rb);
      return at(rhs, indexVar((bi == "0" ? "" : bi + " * " + num(K * N) +
                                                    " + ") +
                              k + " * " + num(N) + " + " + n));
    };
    g.outIndex = [=](const std::string &b, const std::string &m,
                     const std::string &n) {
      return (g.batch == 1 ? "" : b + " * " + num(M * N) + " + ") + m +
             " * " + num(N) + " + " + n;
    };
    g.split = [=](const std::string &i) -> std::array<std::string, 3> {
      line("const idx_t b = " + i + " / " + num(M * N) + ", m = " + i +
           " / " + num(N) + " % " + num(M) + ", n = " + i + " % " + num(N) +
           ";");
      return {"b", "m", "n"};
    };
    return g;
  }
  if (auto d = dyn_cast<DenseOp>(op)) {
    Value in = d.getInput(), w = d.getWeight();
    g.n = shapeOf(w)[0];
    g.k = shapeOf(w)[1];
    g.m = numElements(in) / g.k;
    g.bias = d.getBias();
    int64_t N = g.n, K = g.k;
    g.loadA = [=](const std::string &, const std::string &m,
                  const std::string &k,
                  const std::string &) -> FailureOr<std::string> {
      return at(in, indexVar(m + " * " + num(K) + " + " + k));
    };
    g.loadB = [=](const std::string &, const std::string &,
                  const std::string &k,
                  const std::string &n) -> FailureOr<std::string> {
      return at(w, indexVar(n + " * " + num(K) + " + " + k));
    };
    g.outIndex = [=](const std::string &, const std::string &m,
                     const std::string &n) {
      return m + " * " + num(N) + " + " + n;
    };
    g.split = [=](const std::string &i) -> std::array<std::string, 3> {
      line("const idx_t m = " + i + " / " + num(N) + ", n = " + i + " % " +
           num(N) + ";");
      return {"0", "m", "n"};
    };
    return g;
  }
  auto c = cast<Conv2dOp>(op);
  Value in = c.getInput(), w = c.getWeight();
  Dims is(shapeOf(in)), ws(shapeOf(w)), os(shapeOf(c.getResult()));
  int64_t C = is[1], H = is[2], W = is[3];
  int64_t O = ws[0], CG = ws[1], KH = ws[2], KW = ws[3];
  int64_t OH = os[2], OW = os[3];
  ArrayRef<int64_t> st = c.getStride(), pad = c.getPadding(),
                    dil = c.getDilation();
  int64_t groups = c.getGroups();
  int64_t outPerGroup = O / groups;
  g.m = os[0] * OH * OW;
  g.n = O;
  g.k = CG * KH * KW;
  g.bias = c.getBias();
  int64_t K = g.k;
  g.loadA = [=](const std::string &, const std::string &m,
                const std::string &k,
                const std::string &n) -> FailureOr<std::string> {
    std::string img = indexVar(m + " / " + num(OH * OW));
    std::string oy = indexVar(m + " / " + num(OW) + " % " + num(OH));
    std::string ox = indexVar(m + " % " + num(OW));
    std::string ch = indexVar(k + " / " + num(KH * KW));
    if (groups != 1)
      ch = indexVar(n + " / " + num(outPerGroup) + " * " + num(CG) + " + " +
                    ch);
    std::string iy = indexVar(oy + " * " + num(st[0]) + " - " + num(pad[0]) +
                              " + " + k + " / " + num(KW) + " % " + num(KH) +
                              " * " + num(dil[0]));
    std::string ix = indexVar(ox + " * " + num(st[1]) + " - " + num(pad[1]) +
                              " + " + k + " % " + num(KW) + " * " +
                              num(dil[1]));
    std::string a = fresh("v");
    line(Twine(computeType(in)) + " " + a + " = 0;");
    open("if (" + iy + " >= 0 && " + iy + " < " + num(H) + " && " + ix +
         " >= 0 && " + ix + " < " + num(W) + ")");
    FailureOr<std::string> x =
        at(in, indexVar("((" + img + " * " + num(C) + " + " + ch + ") * " +
                        num(H) + " + " + iy + ") * " + num(W) + " + " + ix));
    if (failed(x))
      return failure();
    line(a + " = " + *x + ";");
    close();
    return a;
  };
  g.loadB = [=](const std::string &, const std::string &,
                const std::string &k,
                const std::string &n) -> FailureOr<std::string> {
    return at(w, indexVar(n + " * " + num(K) + " + " + k));
  };
  g.outIndex = [=](const std::string &, const std::string &m,
                   const std::string &n) {
    return "(" + m + " / " + num(OH * OW) + " * " + num(O) + " + " + n +
           ") * " + num(OH * OW) + " + " + m + " % " + num(OH * OW);
  };
  g.split = [=](const std::string &i) -> std::array<std::string, 3> {
    line("const idx_t n = " + i + " / " + num(OH * OW) + " % " + num(O) +
         ", m = " + i + " / " + num(O * OH * OW) + " * " + num(OH * OW) +
         " + " + i + " % " + num(OH * OW) + ";");
    return {"0", "m", "n"};
  };
  return g;
}

FailureOr<std::string> KernelEmitter::dotAt(Operation *op,
                                            const std::string &idx) {
  FailureOr<Gemm> g = gemmOf(op);
  if (failed(g))
    return failure();
  comment(op);
  const char *ct = computeType(op->getResult(0));
  std::array<std::string, 3> bmn = g->split(idx);
  std::string acc = fresh("acc");
  std::string init = StringRef(ct) == "double" ? "0.0" : "0.0f";
  if (g->bias) {
    FailureOr<std::string> b = at(g->bias, bmn[2]);
    if (failed(b))
      return failure();
    init = *b;
  }
  line(Twine(ct) + " " + acc + " = " + init + ";");
  open("for (idx_t k = 0; k < " + std::to_string(g->k) + "; ++k)");
  FailureOr<std::string> a = g->loadA(bmn[0], bmn[1], "k", bmn[2]);
  if (failed(a))
    return failure();
  FailureOr<std::string> b = g->loadB(bmn[0], bmn[1], "k", bmn[2]);
  if (failed(b))
    return failure();
  line(acc + " += " + *a + " * " + *b + ";");
  close();
  return acc;
}

/// One thread per output element: the whole dot product, then the epilogue.
LogicalResult KernelEmitter::emitDirectContraction(Operation *anchor) {
  Value result = anchor->getResult(0);
  open("for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + "
       "dlc::threadInBlock(); i < " +
       std::to_string(numElements(result)) +
       "; i += dlc::blocksPerGrid() * dlc::threadsPerBlock())");
  FailureOr<std::string> acc = dotAt(anchor, "i");
  if (failed(acc))
    return failure();
  remember(result, "i", *acc);
  auto known = forward(result, "i");
  if (failed(known) || failed(storeYields(*known)))
    return failure();
  close();
  return success();
}

/// Shared-memory tiles of A (tileM x tileK) and B (tileK x tileN); each
/// thread accumulates tileM * tileN / threads outputs of the block's tile.
LogicalResult KernelEmitter::emitTiledGemm(Operation *anchor) {
  if (auto c = dyn_cast<Conv2dOp>(anchor); c && c.getGroups() != 1)
    return emitDirectContraction(anchor);
  FailureOr<Gemm> g = gemmOf(anchor);
  if (failed(g))
    return failure();
  if (sched.mma != MmaMode::None) {
    std::string why;
    bool emitted = false;
    if (failed(emitMmaGemm(anchor, *g, why, emitted)))
      return failure();
    if (emitted)
      return success();
    line("// " + stringifyMmaMode(sched.mma).str() + " not honoured: " + why +
         "; FMA path");
  }
  int64_t threads = sched.threadsPerBlock();
  int64_t tm = sched.tile[0], tn = sched.tile[1], tk = sched.tile[2];
  if (threads <= 0 || (tm * tn) % threads != 0)
    return fail(anchor, "tile " + std::to_string(tm) + "x" +
                            std::to_string(tn) + " is not a multiple of " +
                            std::to_string(threads) + " threads");
  const char *ct = computeType(anchor->getResult(0));
  int64_t bytes = (tk * tm + tk * tn) * (StringRef(ct) == "double" ? 8 : 4);
  if (bytes > 48 * 1024)
    return fail(anchor, "tiles need " + std::to_string(bytes) +
                            " bytes of shared memory (48 KiB at most)");
  int64_t tilesM = (g->m + tm - 1) / tm, tilesN = (g->n + tn - 1) / tn;
  comment(anchor);
  line("// GEMM batch " + num(g->batch) + ", M " + num(g->m) + ", N " +
       num(g->n) + ", K " + num(g->k));
  line("constexpr int kTileM = " + num(tm) + ", kTileN = " + num(tn) +
       ", kTileK = " + num(tk) + ", kThreads = " + num(threads) +
       ", kPerThread = kTileM * kTileN / kThreads;");
  line(Twine("__shared__ ") + ct + " tileA[kTileK][kTileM];");
  line(Twine("__shared__ ") + ct + " tileB[kTileK][kTileN];");
  line("const int t = dlc::threadInBlock();");
  open("for (idx_t tile = dlc::blockInGrid(); tile < " +
       num(g->batch * tilesM * tilesN) + "; tile += dlc::blocksPerGrid())");
  if (g->batch != 1)
    line("const idx_t b = tile / " + num(tilesM * tilesN) + ";");
  line("const idx_t m0 = tile / " + num(tilesN) + " % " + num(tilesM) +
       " * kTileM, n0 = tile % " + num(tilesN) + " * kTileN;");
  line(Twine(ct) + " acc[kPerThread];");
  line("for (int r = 0; r < kPerThread; ++r) acc[r] = 0;");
  open("for (idx_t k0 = 0; k0 < " + num(g->k) + "; k0 += kTileK)");
  // A tile: consecutive threads read consecutive k.
  open("for (int e = t; e < kTileM * kTileK; e += kThreads)");
  line("const idx_t m = m0 + e / kTileK, k = k0 + e % kTileK;");
  line(Twine(ct) + " a = 0;");
  open("if (m < " + num(g->m) + " && k < " + num(g->k) + ")");
  std::string bv0 = g->batch != 1 ? "b" : "0";
  FailureOr<std::string> a = g->loadA(bv0, "m", "k", "0");
  if (failed(a))
    return failure();
  line("a = " + *a + ";");
  close();
  line("tileA[e % kTileK][e / kTileK] = a;");
  close();
  // B tile: consecutive threads read consecutive n.
  open("for (int e = t; e < kTileK * kTileN; e += kThreads)");
  line("const idx_t k = k0 + e / kTileN, n = n0 + e % kTileN;");
  line(Twine(ct) + " w = 0;");
  open("if (k < " + num(g->k) + " && n < " + num(g->n) + ")");
  FailureOr<std::string> bv = g->loadB(bv0, "0", "k", "n");
  if (failed(bv))
    return failure();
  line("w = " + *bv + ";");
  close();
  line("tileB[e / kTileN][e % kTileN] = w;");
  close();
  line("dlc::barrier();");
  open("for (int kk = 0; kk < kTileK; ++kk)");
  line("for (int r = 0; r < kPerThread; ++r)");
  line("  acc[r] += tileA[kk][(t + r * kThreads) / kTileN] * "
       "tileB[kk][(t + r * kThreads) % kTileN];");
  close();
  line("dlc::barrier();");
  close();
  // Epilogue: bias, then the fused ops, then the stores.
  open("for (int r = 0; r < kPerThread; ++r)");
  line("const idx_t m = m0 + (t + r * kThreads) / kTileN, n = n0 + (t + r * "
       "kThreads) % kTileN;");
  open("if (m < " + num(g->m) + " && n < " + num(g->n) + ")");
  std::string out = indexVar(g->outIndex(bv0, "m", "n"));
  std::string value = "acc[r]";
  if (g->bias) {
    FailureOr<std::string> bias = at(g->bias, "n");
    if (failed(bias))
      return failure();
    value = bind(anchor->getResult(0), "acc[r] + " + *bias);
  }
  remember(anchor->getResult(0), out, value);
  auto known = forward(anchor->getResult(0), out);
  if (failed(known) || failed(storeYields(*known)))
    return failure();
  close();
  close();
  close();
  return success();
}

/// Tensor cores: each warp owns a (tm/wm) x (tn/wn) part of the block tile
/// as 16x16 WMMA accumulators; A (tm x tk, row-major) and B (tk x tn,
/// row-major) tiles of T in shared memory, zero-filled past M/N/K, double
/// buffered when stages >= 2 (k tile kt is loaded while kt - 1 is
/// multiplied). The epilogue runs per element from a per-warp float
/// staging tile, one 16x16 accumulator at a time.
LogicalResult KernelEmitter::emitMmaGemm(Operation *anchor, Gemm &g,
                                         std::string &why, bool &emitted) {
  Type want;
  MLIRContext *mctx = anchor->getContext();
  switch (sched.mma) {
  case MmaMode::F16:
    want = Float16Type::get(mctx);
    break;
  case MmaMode::Bf16:
    want = BFloat16Type::get(mctx);
    break;
  case MmaMode::None:
    return why = "no tensor-core mode", success();
  }
  for (unsigned i = 0; i < 2; ++i)
    if (elementType(anchor->getOperand(i)) != want)
      return why = "the operands are not " +
                   std::string(typeNames(want).dtype),
             success();
  int64_t threads = sched.threadsPerBlock();
  int64_t tm = sched.tile[0], tn = sched.tile[1], tk = sched.tile[2];
  int64_t wm = sched.warps[0], wn = sched.warps[1];
  if (wm <= 0 || wn <= 0 || threads != 32 * wm * wn || tm % (16 * wm) ||
      tn % (16 * wn) || tk % 16)
    return why = "tile " + num(tm) + "x" + num(tn) + "x" + num(tk) +
                 ", warps " + num(wm) + "x" + num(wn) + " on " +
                 num(threads) + " threads is not whole 16x16x16 fragments "
                 "per warp",
           success();
  const char *T = typeNames(want).storage;
  int64_t ldA = tk + 8, ldB = tn + 8;
  auto bytesFor = [&](int64_t bufs) {
    return bufs * (tm * ldA + tk * ldB) * 2 + wm * wn * 16 * 16 * 4;
  };
  int64_t bufs = sched.stages >= 2 ? 2 : 1;
  if (bufs == 2 && bytesFor(2) > 48 * 1024)
    bufs = 1;
  if (bytesFor(bufs) > 48 * 1024)
    return why = "the tiles need " + num(bytesFor(bufs)) +
                 " bytes of shared memory (48 KiB at most)",
           success();
  emitted = usesMma = true;
  int64_t tilesM = (g.m + tm - 1) / tm, tilesN = (g.n + tn - 1) / tn;
  int64_t numK = (g.k + tk - 1) / tk;
  comment(anchor);
  line("// GEMM batch " + num(g.batch) + ", M " + num(g.m) + ", N " +
       num(g.n) + ", K " + num(g.k) + " on tensor cores (" +
       stringifyMmaMode(sched.mma).str() +
       ": WMMA 16x16x16, float accumulator)" +
       (bufs == 2 ? ", double-buffered" : ""));
  line("constexpr int kTileM = " + num(tm) + ", kTileN = " + num(tn) +
       ", kTileK = " + num(tk) + ", kWarpsN = " + num(wn) +
       ", kThreads = " + num(threads) + ";");
  line("constexpr int kFragsM = kTileM / " + num(wm) +
       " / 16, kFragsN = kTileN / kWarpsN / 16;");
  line("constexpr int kLdA = kTileK + 8, kLdB = kTileN + 8; // padded rows");
  line(Twine("__shared__ __align__(32) ") + T + " tileA[" + num(bufs) +
       "][kTileM * kLdA];");
  line(Twine("__shared__ __align__(32) ") + T + " tileB[" + num(bufs) +
       "][kTileK * kLdB];");
  line("__shared__ __align__(32) float staging[kThreads / 32][16 * 16];");
  line("const int t = dlc::threadInBlock(), warp = t / 32, lane = t % 32;");
  line("const int wm0 = warp / kWarpsN * kFragsM * 16, wn0 = warp % kWarpsN "
       "* kFragsN * 16;");
  open("for (idx_t tile = dlc::blockInGrid(); tile < " +
       num(g.batch * tilesM * tilesN) + "; tile += dlc::blocksPerGrid())");
  if (g.batch != 1)
    line("const idx_t b = tile / " + num(tilesM * tilesN) + ";");
  line("const idx_t m0 = tile / " + num(tilesN) + " % " + num(tilesM) +
       " * kTileM, n0 = tile % " + num(tilesN) + " * kTileN;");
  line("dlc::MmaAcc acc[kFragsM][kFragsN];");
  line("for (int fi = 0; fi < kFragsM; ++fi)");
  line("  for (int fj = 0; fj < kFragsN; ++fj)");
  line("    dlc::mmaZero(acc[fi][fj]);");
  std::string bv0 = g.batch != 1 ? "b" : "0";
  // Loads of the k tile at k0 into buffer `buf`, zero past the edges.
  auto loadTiles = [&](const std::string &buf) -> LogicalResult {
    open("for (int e = t; e < kTileM * kTileK; e += kThreads)");
    line("const idx_t m = m0 + e / kTileK, k = k0 + e % kTileK;");
    line("float a = 0;");
    open("if (m < " + num(g.m) + " && k < " + num(g.k) + ")");
    FailureOr<std::string> a = g.loadA(bv0, "m", "k", "0");
    if (failed(a))
      return failure();
    line("a = " + *a + ";");
    close();
    line("tileA[" + buf + "][e / kTileK * kLdA + e % kTileK] = " + T +
         "(a);");
    close();
    open("for (int e = t; e < kTileK * kTileN; e += kThreads)");
    line("const idx_t k = k0 + e / kTileN, n = n0 + e % kTileN;");
    line("float w = 0;");
    open("if (k < " + num(g.k) + " && n < " + num(g.n) + ")");
    FailureOr<std::string> b = g.loadB(bv0, "0", "k", "n");
    if (failed(b))
      return failure();
    line("w = " + *b + ";");
    close();
    line("tileB[" + buf + "][e / kTileN * kLdB + e % kTileN] = " + T +
         "(w);");
    close();
    return success();
  };
  auto multiply = [&](const std::string &buf) {
    open("for (int kk = 0; kk < kTileK; kk += 16)");
    line(Twine("dlc::MmaA<") + T + "> fragA[kFragsM];");
    line(Twine("dlc::MmaB<") + T + "> fragB[kFragsN];");
    line("for (int fi = 0; fi < kFragsM; ++fi)");
    line("  dlc::mmaLoadA(fragA[fi], &tileA[" + buf +
         "][(wm0 + fi * 16) * kLdA + kk], kLdA);");
    line("for (int fj = 0; fj < kFragsN; ++fj)");
    line("  dlc::mmaLoadB(fragB[fj], &tileB[" + buf +
         "][kk * kLdB + wn0 + fj * 16], kLdB);");
    line("for (int fi = 0; fi < kFragsM; ++fi)");
    line("  for (int fj = 0; fj < kFragsN; ++fj)");
    line("    dlc::mma(acc[fi][fj], fragA[fi], fragB[fj]);");
    close();
  };
  if (bufs == 2) {
    line("// k tile kt is loaded into buffer kt % 2 while kt - 1 is "
         "multiplied from the other");
    open("for (idx_t kt = 0; kt <= " + num(numK) + "; ++kt)");
    open("if (kt < " + num(numK) + ")");
    line("const idx_t k0 = kt * kTileK;");
    if (failed(loadTiles("kt % 2")))
      return failure();
    close();
    open("if (kt > 0)");
    multiply("(kt - 1) % 2");
    close();
    line("dlc::barrier();");
    close();
  } else {
    open("for (idx_t k0 = 0; k0 < " + num(g.k) + "; k0 += kTileK)");
    if (failed(loadTiles("0")))
      return failure();
    line("dlc::barrier();");
    multiply("0");
    line("dlc::barrier();");
    close();
  }
  // Epilogue: one accumulator at a time through the warp's staging tile.
  open("for (int fi = 0; fi < kFragsM; ++fi)");
  open("for (int fj = 0; fj < kFragsN; ++fj)");
  line("dlc::mmaStore(staging[warp], acc[fi][fj], 16);");
  line("dlc::warpBarrier();");
  open("for (int e = lane; e < 16 * 16; e += 32)");
  line("const idx_t m = m0 + wm0 + fi * 16 + e / 16, n = n0 + wn0 + fj * 16 "
       "+ e % 16;");
  open("if (m < " + num(g.m) + " && n < " + num(g.n) + ")");
  std::string out = indexVar(g.outIndex(bv0, "m", "n"));
  std::string value = "staging[warp][e]";
  if (g.bias) {
    FailureOr<std::string> bias = at(g.bias, "n");
    if (failed(bias))
      return failure();
    value = bind(anchor->getResult(0), value + " + " + *bias);
  }
  remember(anchor->getResult(0), out, value);
  auto known = forward(anchor->getResult(0), out);
  if (failed(known) || failed(storeYields(*known)))
    return failure();
  close();
  close();
  line("dlc::warpBarrier(); // the next accumulator reuses staging");
  close();
  close();
  close();
  return success();
}

/// One thread per pooled element; the window's elements are gathered (a
/// lone pool) or computed from the contraction and its epilogue.
LogicalResult KernelEmitter::emitPool(Operation *pool, Operation *contraction) {
  Value in = pool->getOperand(0), result = pool->getResult(0);
  Dims is(shapeOf(in)), os(shapeOf(result));
  ArrayRef<int64_t> ks =
      cast<DenseI64ArrayAttr>(pool->getAttr("kernel_size")).asArrayRef();
  ArrayRef<int64_t> st =
      cast<DenseI64ArrayAttr>(pool->getAttr("stride")).asArrayRef();
  ArrayRef<int64_t> pad =
      cast<DenseI64ArrayAttr>(pool->getAttr("padding")).asArrayRef();
  Dims dil{1, 1};
  if (auto d = pool->getAttrOfType<DenseI64ArrayAttr>("dilation"))
    dil = Dims(d.asArrayRef());
  bool isMax = isa<MaxPool2dOp>(pool);
  const char *ct = computeType(result);
  bool isDouble = StringRef(ct) == "double";
  open("for (idx_t i = dlc::blockInGrid() * dlc::threadsPerBlock() + "
       "dlc::threadInBlock(); i < " +
       num(numElements(result)) +
       "; i += dlc::blocksPerGrid() * dlc::threadsPerBlock())");
  comment(pool);
  line("const idx_t plane = i / " + num(os[2] * os[3]) + ", py = i / " +
       num(os[3]) + " % " + num(os[2]) + ", px = i % " + num(os[3]) + ";");
  if (isMax)
    line(Twine(ct) + " best = " +
         (isDouble ? "-dlc::infinity<double>()" : "-dlc::infinity<float>()") +
         ";");
  else
    line(Twine(ct) + " sum = 0;");
  bool counts = !isMax && !cast<AvgPool2dOp>(pool).getCountIncludePad();
  if (counts)
    line("int count = 0;");
  open("for (int wy = 0; wy < " + num(ks[0]) + "; ++wy)");
  line("const idx_t iy = py * " + num(st[0]) + " - " + num(pad[0]) +
       " + wy * " + num(dil[0]) + ";");
  open("for (int wx = 0; iy >= 0 && iy < " + num(is[2]) + " && wx < " +
       num(ks[1]) + "; ++wx)");
  line("const idx_t ix = px * " + num(st[1]) + " - " + num(pad[1]) +
       " + wx * " + num(dil[1]) + ";");
  line("if (ix < 0 || ix >= " + num(is[3]) + ") continue;");
  line("const idx_t w = (plane * " + num(is[2]) + " + iy) * " + num(is[3]) +
       " + ix;");
  std::string v;
  if (contraction) {
    Value c = contraction->getResult(0);
    FailureOr<std::string> acc = dotAt(contraction, "w");
    if (failed(acc))
      return failure();
    remember(c, "w", *acc);
    auto known = forward(c, "w", pool);
    if (failed(known))
      return failure();
    auto it = known->find(in);
    if (it == known->end() || it->second != "w")
      return fail(pool, "its input is not the contraction's output element "
                        "for element");
    v = *lookup(in, "w");
  } else {
    FailureOr<std::string> x = at(in, "w");
    if (failed(x))
      return failure();
    v = *x;
  }
  line(isMax ? "best = dlc::maxAcc(best, " + v + ");" : "sum += " + v + ";");
  if (counts)
    line("++count;");
  close();
  close();
  comment(pool);
  std::string y;
  if (isMax)
    y = "best";
  else if (cast<AvgPool2dOp>(pool).getCountIncludePad())
    y = "sum / " + floatLiteral(double(ks[0] * ks[1]), isDouble);
  else
    y = "sum / " + std::string(ct) + "(count)";
  remember(result, "i", bind(result, y));
  auto known = forward(result, "i");
  if (failed(known) || failed(storeYields(*known)))
    return failure();
  close();
  return success();
}

LogicalResult KernelEmitter::emit(KernelInfo &info) {
  Operation *anchor = nullptr, *pool = nullptr;
  for (Operation &op : fusion.getBodyBlock().without_terminator()) {
    OpClass c = classifyOp(&op);
    if (c == OpClass::Pool)
      pool = &op;
    else if (c == OpClass::Contraction || c == OpClass::Reduction)
      anchor = &op;
    else if (c == OpClass::Other && !isOptimizerUpdate(&op))
      return fail(&op, "not a dlc compute op");
    std::string node = nodeName(op.getLoc());
    if (!node.empty() && !isa<ConstantOp>(op) &&
        llvm::find(info.nodes, node) == info.nodes.end())
      info.nodes.push_back(node);
    for (Value r : op.getResults())
      for (Type t : {r.getType()}) {
        Type et = cast<RankedTensorType>(t).getElementType();
        usesF16 |= et.isF16();
        usesBf16 |= et.isBF16();
      }
  }
  for (Value a : fusion.getBodyBlock().getArguments()) {
    Type et = elementType(a);
    usesF16 |= et.isF16();
    usesBf16 |= et.isBF16();
  }
  if (findBackwardOp(fusion)) // codegen/BackwardKernels.cpp
    return emitBackwardKernel(fusion, ctx.operandPtr, ctx.resultPtrs,
                              bodyStream, indent);
  if (isMultiTensorFusion(fusion)) // codegen/MultiTensorKernels.cpp
    return emitMultiTensorKernel(
        fusion, {sched.block[0], sched.vectorWidth, sched.chunk, sched.grid[0]},
        ctx.operandPtr, ctx.resultPtrs, bodyStream, indent);
  // Everything computed from the anchor (or a contraction's pool).
  if (Operation *root = anchor ? anchor : pool) {
    SmallVector<Value> work{root->getResult(0)};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (!dependsOnAnchor.insert(v).second)
        continue;
      for (Operation *user : v.getUsers())
        if (!isa<YieldOp>(user))
          work.push_back(user->getResult(0));
    }
  }
  bool contraction = anchor && classifyOp(anchor) == OpClass::Contraction;
  switch (sched.strategy) {
  case Strategy::TiledGemm:
    if (contraction && !pool)
      return emitTiledGemm(anchor);
    break;
  case Strategy::RowReduce:
    if (anchor && !contraction)
      return emitRowReduce(anchor);
    break;
  case Strategy::DirectPool:
    if (pool && (!anchor || contraction))
      return emitPool(pool, anchor);
    break;
  case Strategy::Pointwise:
    if (!anchor && !pool)
      return emitPointwise();
    break;
  case Strategy::MultiTensor:
    break; // optimizer updates only, above
  }
  return emitForOps(anchor, pool);
}

/// A schedule that does not fit the fusion's ops (a default schedule names
/// a lone pool pointwise; a hand-written one may name anything): the kernel
/// the ops call for, one thread per output element for a contraction.
LogicalResult KernelEmitter::emitForOps(Operation *anchor, Operation *pool) {
  if (anchor && classifyOp(anchor) == OpClass::Contraction) {
    if (pool)
      return emitPool(pool, anchor);
    return emitDirectContraction(anchor);
  }
  if (anchor)
    return emitRowReduce(anchor);
  if (pool)
    return emitPool(pool, nullptr);
  dependsOnAnchor.clear();
  return emitPointwise();
}

//===----------------------------------------------------------------------===//
// The program
//===----------------------------------------------------------------------===//

/// The element type and shape of a buffer, in the manifest.
nlohmann::ordered_json bufferJson(const Buffer &b) {
  nlohmann::ordered_json j = {{"name", b.name},
                      {"role", b.role},
                      {"dtype", typeNames(b.type).dtype},
                      {"shape", b.shape}};
  if (!b.modelName.empty())
    j["model_name"] = b.modelName;
  if (b.role == "intermediate")
    j["offset"] = b.offset;
  return j;
}

int64_t byteSize(Value v) {
  Type et = elementType(v);
  int64_t bytes = et.isInteger(1) ? 1 : (et.getIntOrFloatBitWidth() + 7) / 8;
  return numElements(v) * bytes;
}

} // namespace

FailureOr<CudaProgram> mlir::dlc::emitCuda(func::FuncOp func) {
  CudaProgram program;
  NameTable names;
  std::vector<Buffer> buffers;
  // Where each value lives: an index into `buffers`.
  llvm::DenseMap<Value, SmallVector<size_t, 1>> where;

  for (BlockArgument arg : func.getArguments()) {
    Buffer b;
    b.type = elementType(arg);
    b.shape = Dims(shapeOf(arg));
    unsigned i = arg.getArgNumber();
    if (auto p = func.getArgAttrOfType<StringAttr>(i, ::dlc::attrs::kParam)) {
      b.role = "param";
      b.modelName = p.getValue().str();
      b.name = names.unique(p.getValue());
    } else {
      b.role = "input";
      auto in = func.getArgAttrOfType<StringAttr>(i, ::dlc::attrs::kInput);
      if (in)
        b.modelName = in.getValue().str();
      b.name = names.unique(in ? in.getValue() : ("arg" + Twine(i)).str());
    }
    where[arg].push_back(buffers.size());
    buffers.push_back(b);
  }
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    Buffer b;
    b.role = "output";
    b.type = elementType(v);
    b.shape = Dims(shapeOf(v));
    auto out = func.getResultAttrOfType<StringAttr>(i, ::dlc::attrs::kOutput);
    if (out)
      b.modelName = out.getValue().str();
    b.name = names.unique(out ? out.getValue() : ("out" + Twine(i)).str());
    if (isa<BlockArgument>(v) || !isa<FusionOp>(v.getDefiningOp()))
      return ret->emitOpError("cannot be emitted as CUDA: output ")
             << i << " is not computed by a dlc.fusion";
    where[v].push_back(buffers.size());
    buffers.push_back(b);
  }

  // Intermediates: at buffer_offsets, or packed when there is no plan.
  auto arenaAttr = func->getAttrOfType<IntegerAttr>("dlc.arena_bytes");
  int64_t arena = arenaAttr ? arenaAttr.getInt() : 0;
  bool planned = arenaAttr != nullptr;
  for (Operation &op : func.getBody().front().without_terminator()) {
    auto fusion = dyn_cast<FusionOp>(op);
    if (!fusion)
      return op.emitOpError("cannot be emitted as CUDA: not inside a "
                            "dlc.fusion (run --dlc-fuse first)");
    auto offsets = fusion->getAttrOfType<DenseI64ArrayAttr>("buffer_offsets");
    if (offsets && offsets.size() != int64_t(fusion.getNumResults()))
      return fusion.emitOpError("cannot be emitted as CUDA: buffer_offsets "
                                "has ")
             << offsets.size() << " entries for " << fusion.getNumResults()
             << " results";
    auto yield = cast<YieldOp>(fusion.getBodyBlock().getTerminator());
    for (auto [i, r] : llvm::enumerate(fusion.getResults())) {
      bool readByKernel = llvm::any_of(r.getUsers(), [&](Operation *u) {
        return u != ret;
      });
      if (!where[r].empty() || (!readByKernel && !offsets))
        continue; // an output (read from there), or dead without a plan
      int64_t offset;
      if (offsets && offsets[i] >= 0) {
        offset = offsets[i];
      } else if (!planned) {
        offset = (arena + 255) / 256 * 256;
        arena = offset + byteSize(r);
      } else {
        return fusion.emitOpError("cannot be emitted as CUDA: result ")
               << i << " has no buffer offset";
      }
      Buffer b;
      b.role = "intermediate";
      b.type = elementType(r);
      b.shape = Dims(shapeOf(r));
      b.offset = offset;
      std::string node = nodeName(yield.getValues()[i].getLoc());
      b.name = names.unique(node.empty()
                                ? fusion.getName().str() + "_r" +
                                      std::to_string(i)
                                : node);
      where[r].push_back(buffers.size());
      buffers.push_back(b);
    }
  }
  program.arenaBytes = arena;

  // Kernels.
  std::string decls, kernels;
  llvm::raw_string_ostream declStream(decls), kernelStream(kernels);
  bool usesF16 = false, usesBf16 = false, usesMma = false;
  std::string target = "sm_80";
  for (Operation &op : func.getBody().front().without_terminator()) {
    auto fusion = cast<FusionOp>(op);
    Operation *anchor = nullptr;
    for (Operation &inner : fusion.getBodyBlock().without_terminator()) {
      OpClass c = classifyOp(&inner);
      if (c == OpClass::Contraction || c == OpClass::Reduction)
        anchor = &inner;
    }
    FailureOr<Schedule> scheduled = kernelSchedule(fusion);
    if (failed(scheduled))
      return failure();
    const Schedule &sched = *scheduled;
    if (fusion->getAttrOfType<DictionaryAttr>(Schedule::kAttrName))
      target = sched.target;
    KernelInfo info;
    info.name = fusion.getName().str();
    info.block = {sched.block[0], sched.block[1], sched.block[2]};
    info.grid = {sched.grid[0], sched.grid[1], sched.grid[2]};
    if (anchor && isa<SoftmaxCrossEntropyOp, MseLossOp>(anchor))
      info.grid = {1, 1, 1}; // one block sums the whole loss
    // Parameters: inputs, then outputs, then the arena.
    KernelContext ctx;
    SmallVector<std::string> params;
    std::string prologue;
    bool usesArena = false;
    llvm::StringSet<> seen;
    auto pointerFor = [&](const Buffer &b, bool isConst) -> std::string {
      std::string ty = typeNames(b.type).storage;
      std::string cq = isConst ? "const " : "";
      if (b.role == "intermediate") {
        usesArena = true;
        if (seen.insert(b.name).second)
          prologue += "  " + cq + ty + " *" + b.name + " = (" + cq + ty +
                      " *)(arena + " + std::to_string(b.offset) + ");\n";
      } else if (seen.insert(b.name).second) {
        params.push_back(cq + ty + " *__restrict__ " + b.name);
        info.args.push_back(b.name);
      }
      return b.name;
    };
    for (Value in : fusion.getInputs()) {
      auto it = where.find(in);
      if (it == where.end() || it->second.empty())
        return fusion.emitOpError("cannot be emitted as CUDA: an operand has "
                                  "no buffer");
      ctx.operandPtr.push_back(pointerFor(buffers[it->second.front()], true));
    }
    for (Value r : fusion.getResults()) {
      ctx.resultPtrs.emplace_back();
      for (size_t b : where.lookup(r))
        ctx.resultPtrs.back().push_back(pointerFor(buffers[b], false));
    }
    if (usesArena) {
      params.push_back("unsigned char *__restrict__ arena");
      info.args.push_back("arena");
    }
    std::string body;
    KernelEmitter emitter(fusion, sched, ctx, declStream, body);
    if (failed(emitter.emit(info)))
      return failure();
    usesF16 |= emitter.usesF16;
    usesBf16 |= emitter.usesBf16;
    usesMma |= emitter.usesMma;
    kernelStream << "\n// " << info.name << ": " << fusion.getKind() << ", "
                 << sched.strategy << "\n";
    kernelStream << "extern \"C\" __global__ void " << info.name << "(";
    for (auto [i, p] : llvm::enumerate(params))
      kernelStream << (i ? ",\n    " : "") << p;
    kernelStream << ") {\n" << prologue << body << "}\n";
    program.kernels.push_back(info);
  }

  std::string &src = program.source;
  src = "// Generated by dlc from model \"" +
        sanitizeComment(func->getParentOfType<ModuleOp>() &&
                                func->getParentOfType<ModuleOp>()->getAttr(
                                    ::dlc::attrs::kModel)
                            ? cast<StringAttr>(
                                  func->getParentOfType<ModuleOp>()->getAttr(
                                      ::dlc::attrs::kModel))
                                  .getValue()
                            : StringRef("?")) +
        "\", one kernel per dlc.fusion.\n";
  if (usesF16 || usesBf16) {
    src += "#ifndef DLC_PRELUDE\n";
    if (usesF16)
      src += "#include <cuda_fp16.h>\n";
    if (usesBf16)
      src += "#include <cuda_bf16.h>\n";
    if (usesMma) // the cpu device's host prelude emulates nvcuda::wmma
      src += "#ifndef __CUDACC_HOST_EMULATION__\n#include <mma.h>\n#endif\n";
    src += "#endif\n";
  }
  if (usesF16)
    src += "#define DLC_USE_F16\n";
  if (usesBf16)
    src += "#define DLC_USE_BF16\n";
  if (usesMma)
    src += "#define DLC_USE_MMA\n";
  src += kDevicePrelude;
  if (!decls.empty())
    src += "\n" + decls;
  src += kernels;

  nlohmann::ordered_json manifest = {{"version", 1},
                             {"target", target},
                             {"arena_bytes", program.arenaBytes}};
  manifest["buffers"] = nlohmann::ordered_json::array();
  for (const Buffer &b : buffers)
    manifest["buffers"].push_back(bufferJson(b));
  manifest["kernels"] = nlohmann::ordered_json::array();
  for (const KernelInfo &k : program.kernels)
    manifest["kernels"].push_back({{"name", k.name},
                                   {"grid", k.grid},
                                   {"block", k.block},
                                   {"shared_bytes", k.sharedBytes},
                                   {"args", k.args},
                                   {"nodes", k.nodes}});
  program.manifestJson = manifest.dump(2) + "\n";
  return program;
}
