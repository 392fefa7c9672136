//===- CudaEmitter.cpp - the program: buffers, kernels, source, manifest -===//
//
// emitCuda over a whole function: the buffers (inputs, params, outputs, and
// intermediates at their arena offsets), then one kernel per dlc.fusion in
// order, each emitted by a KernelEmitter (KernelEmitter.h) with the
// fusion's schedule (DefaultSchedule.h), then the source text (header,
// device prelude, constant tables, kernels) and the JSON manifest.
//
//===----------------------------------------------------------------------===//
#include "codegen/CudaEmitter.h"
#include "codegen/DeadIndex.h"
#include "codegen/DefaultSchedule.h"
#include "codegen/KernelEmitter.h"

#include "ir/FusionOps.h"
#include "ir/ModelAttrs.h"
#include "ir/ShapeUtils.h"
#include "runtime/core/AtomicFile.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include <nlohmann/json.hpp>

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::codegen;

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
      "q", "p", "wg", "wr", "sa", "sb", "smem", "ra", "rb", "dlc_smem", "sA",
      "sB", "kn", "sn", "g", "grp", "rr", "ch", "off", "bytes", "regA",
      "regB", "gA", "gB", "kTM", "kTN", "kTK", "kStages", "kThreads", "kFM",
      "kFN", "kWarpsN", "kNumK", "kItA", "kItB", "kChA", "kChB", "kRowA",
      "kRowB", "ti", "cr", "cc", "rows", "v", "kGroup", "kTilesM", "kTilesN",
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

/// A kernel's parameters as its buffers are bound: inputs and outputs as
/// pointer parameters (each once), intermediates as pointers into the arena.
struct KernelSignature {
  explicit KernelSignature(KernelInfo &info) : info(info) {}

  KernelInfo &info;
  SmallVector<std::string> params;
  std::string prologue;
  bool usesArena = false;
  llvm::StringSet<> seen;

  std::string pointerFor(const Buffer &b, bool isConst) {
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
  }
};

class ProgramEmitter {
public:
  explicit ProgramEmitter(func::FuncOp func)
      : func(func), ret(func.getBody().front().getTerminator()) {}

  FailureOr<CudaProgram> run();

private:
  LogicalResult addArgumentsAndOutputs();
  LogicalResult addOutput(unsigned i, Value v);
  /// Intermediates: at buffer_offsets, or packed when there is no plan.
  LogicalResult placeIntermediates();
  LogicalResult emitKernel(FusionOp fusion);
  std::string sourceText() const;
  std::string manifestText() const;

  func::FuncOp func;
  Operation *ret;
  CudaProgram program;
  NameTable names;
  std::vector<Buffer> buffers;
  /// Where each value lives: an index into `buffers`.
  llvm::DenseMap<Value, SmallVector<size_t, 1>> where;
  std::string decls, kernels;
  llvm::raw_string_ostream declStream{decls}, kernelStream{kernels};
  bool usesF16 = false, usesBf16 = false, usesMma = false, usesWgmma = false;
  std::string target = "sm_80";
};

} // namespace

LogicalResult ProgramEmitter::addArgumentsAndOutputs() {
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
  for (auto [i, v] : llvm::enumerate(ret->getOperands()))
    if (failed(addOutput(i, v)))
      return failure();
  return success();
}

LogicalResult ProgramEmitter::addOutput(unsigned i, Value v) {
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
  return success();
}

LogicalResult ProgramEmitter::placeIntermediates() {
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
  return success();
}

/// The arithmetic of one launch: 2 MNK per contraction the schedule tiles,
/// one operation per element of every other op's larger side.
static int64_t kernelFlops(FusionOp fusion, const Schedule &sched) {
  int64_t flops = 0;
  for (Operation &op : fusion.getBodyBlock().without_terminator()) {
    // Attention: S = QK^T and O = PV forward; backward recomputes S and
    // forms dP, dV, dK, dQ. Causal masks skip about half (not counted).
    if (isa<AttentionOp, AttentionBackwardOp>(op)) {
      ArrayRef<int64_t> q = shapeOf(op.getOperand(0)), v = shapeOf(op.getOperand(2));
      int64_t pairs = product(q.drop_back()) * v[v.size() - 2];
      int64_t d = q.back(), dv = v.back();
      flops += 2 * pairs * (isa<AttentionOp>(op) ? d + dv : 3 * d + 2 * dv);
      continue;
    }
    if (classifyOp(&op) == OpClass::Contraction && sched.gemm.size() == 4) {
      flops += 2 * sched.gemm[0] * sched.gemm[1] * sched.gemm[2] * sched.gemm[3];
      continue;
    }
    int64_t elems = 0;
    for (Value v : op.getOperands())
      elems = std::max(elems, numElements(v));
    for (Value v : op.getResults())
      elems = std::max(elems, numElements(v));
    flops += elems;
  }
  return flops;
}

LogicalResult ProgramEmitter::emitKernel(FusionOp fusion) {
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
  info.strategy = stringifyStrategy(sched.strategy).str();
  info.mma = stringifyMmaMode(sched.mma).str();
  if (anchor)
    info.anchor = anchor->getName().getStringRef().str();
  info.flops = kernelFlops(fusion, sched);
  for (Value v : fusion->getOperands())
    info.dramBytes += storageBytes(v);
  for (Value v : fusion->getResults())
    info.dramBytes += storageBytes(v);
  // Parameters: inputs, then outputs, then the arena.
  KernelContext ctx;
  KernelSignature sig(info);
  for (Value in : fusion.getInputs()) {
    auto it = where.find(in);
    if (it == where.end() || it->second.empty())
      return fusion.emitOpError("cannot be emitted as CUDA: an operand has "
                                "no buffer");
    const Buffer &buf = buffers[it->second.front()];
    ctx.operandPtr.push_back(sig.pointerFor(buf, true));
    // Device buffers are 256-byte aligned; an intermediate sits at its
    // offset in the (256-byte aligned) arena.
    int64_t align = 256;
    if (buf.role == "intermediate" && buf.offset % 256)
      align = buf.offset & -buf.offset;
    ctx.operandAlign.push_back(align);
  }
  for (Value r : fusion.getResults()) {
    ctx.resultPtrs.emplace_back();
    for (size_t b : where.lookup(r))
      ctx.resultPtrs.back().push_back(sig.pointerFor(buffers[b], false));
  }
  if (sig.usesArena) {
    sig.params.push_back("unsigned char *__restrict__ arena");
    info.args.push_back("arena");
  }
  std::string body;
  KernelEmitter emitter(fusion, sched, ctx, declStream, body);
  if (failed(emitter.emit(info)))
    return failure();
  dropUnusedIndexVars(body);
  usesF16 |= emitter.usesF16;
  usesBf16 |= emitter.usesBf16;
  usesMma |= emitter.usesMma;
  usesWgmma |= emitter.usesWgmma;
  info.sharedBytes = emitter.dynamicSharedBytes;
  kernelStream << "\n// " << info.name << ": " << fusion.getKind() << ", "
               << sched.strategy << "\n";
  kernelStream << "extern \"C\" " << emitter.launchBounds
               << "__global__ void " << info.name << "(";
  for (auto [i, p] : llvm::enumerate(sig.params))
    kernelStream << (i ? ",\n    " : "") << p;
  kernelStream << ") {\n" << sig.prologue << body << "}\n";
  program.kernels.push_back(info);
  return success();
}

/// The model's name, the headers and feature macros the kernels need, the
/// device prelude, the constant tables, the kernels.
std::string ProgramEmitter::sourceText() const {
  auto module = func->getParentOfType<ModuleOp>();
  StringRef model = "?";
  if (module && module->getAttr(::dlc::attrs::kModel))
    model = cast<StringAttr>(module->getAttr(::dlc::attrs::kModel)).getValue();
  std::string src = "// Generated by dlc from model \"" +
                    sanitizeComment(model) +
                    "\", one kernel per dlc.fusion.\n";
  if (usesF16 || usesBf16) {
    src += "#ifndef DLC_PRELUDE\n";
    if (usesF16)
      src += "#include <cuda_fp16.h>\n";
    if (usesBf16)
      src += "#include <cuda_bf16.h>\n";
    src += "#endif\n";
  }
  if (usesF16)
    src += "#define DLC_USE_F16\n";
  if (usesBf16)
    src += "#define DLC_USE_BF16\n";
  if (usesMma)
    src += "#define DLC_USE_MMA\n";
  if (usesWgmma)
    src += "#define DLC_USE_WGMMA\n";
  src += kDevicePrelude;
  if (!decls.empty())
    src += "\n" + decls;
  src += kernels;
  return src;
}

std::string ProgramEmitter::manifestText() const {
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
                                   {"nodes", k.nodes},
                                   {"strategy", k.strategy},
                                   {"mma", k.mma},
                                   {"anchor", k.anchor},
                                   {"flops", k.flops},
                                   {"dram_bytes", k.dramBytes}});
  return manifest.dump(2) + "\n";
}

FailureOr<CudaProgram> ProgramEmitter::run() {
  if (failed(addArgumentsAndOutputs()) || failed(placeIntermediates()))
    return failure();
  for (Operation &op : func.getBody().front().without_terminator())
    if (failed(emitKernel(cast<FusionOp>(op))))
      return failure();
  program.source = sourceText();
  program.manifestJson = manifestText();
  return std::move(program);
}

FailureOr<CudaProgram> mlir::dlc::emitCuda(func::FuncOp func) {
  return ProgramEmitter(func).run();
}

bool mlir::dlc::writeCudaProgram(StringRef dir, const CudaProgram &program,
                                 std::string &err) {
  for (auto [name, text] : {std::pair<const char *, const std::string *>{
                                "kernels.cu", &program.source},
                            {"manifest.json", &program.manifestJson}}) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    if (!::dlc::writeFileAtomically(std::string(path), {*text}, err))
      return false;
  }
  return true;
}
