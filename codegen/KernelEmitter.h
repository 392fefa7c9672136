//===- KernelEmitter.h - one dlc.fusion -> one CUDA kernel body -*- C++ -*-===//
//
// The kernel-emitter core that every strategy file shares, as Triton's
// TritonGPUToLLVM shares its utilities across one file per op family. The
// body is built from two ideas:
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
// `emit` switches on the schedule's strategy (passes/Schedule.h). Where the
// members are defined:
//
//   KernelEmitter.cpp  the core: index maps, gather, views, forward, stores,
//                      the strategy switch
//   Elementwise.cpp    the elementwise ops: the CUDA spelling each op
//                      carries (CudaSpelledOpInterface, from ODS) and the
//                      ops that need more than one spelling
//   Pointwise.cpp      pointwise: a grid-stride loop, vectorized
//   RowReduce.cpp      row_reduce: softmax, layer_norm, reduce_*, losses
//   Gemm.cpp           contractions as GEMMs: tiled_gemm on FMA, and one
//                      thread per output element (direct)
//   ConvGemm.cpp       conv2d and its gradients as implicit GEMMs
//   MmaGemm.cpp        tiled_gemm on tensor cores (mma.sync): tiles, tile
//                      order, epilogue from the accumulator registers
//   MmaMainloop.cpp    its k loop: cp.async / register-staged stages
//   WgmmaGemm.cpp      tiled_gemm on Hopper warpgroup MMA (wgmma, sm_90a)
//   Pool.cpp           direct_pool: pools, alone or after a contraction
//   CudaEmitter.cpp    the program: buffers, kernel list, source, manifest
//
// BackwardKernels.cpp and MultiTensorKernels.cpp write their kernels with
// KernelText.h alone (they gather nothing).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_KERNELEMITTER_H
#define DLC_CODEGEN_KERNELEMITTER_H

#include "codegen/CudaEmitter.h"
#include "codegen/KernelText.h"
#include "passes/Schedule.h"

#include "ir/DlcOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::dlc::codegen {

using Dims = SmallVector<int64_t>;

/// Element types: the type in memory, the type computed in, manifest name.
struct TypeNames {
  const char *storage, *compute, *dtype;
};
TypeNames typeNames(Type t);
inline Type elementType(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}
inline const char *computeType(Value v) {
  return typeNames(elementType(v)).compute;
}
/// Row-major strides of `shape`, in elements.
Dims stridesOf(ArrayRef<int64_t> shape);

/// Whether `op` is an elementwise op with numpy broadcasting (Elementwise.cpp
/// spells it), so that it reads its operands at the output's index.
bool isBroadcastingElementwise(Operation *op);

struct KernelContext {
  /// Per fusion operand: the pointer it reads, and the byte alignment that
  /// pointer is known to have (buffers are 256-byte aligned; intermediates
  /// sit at their arena offset).
  SmallVector<std::string> operandPtr;
  SmallVector<int64_t> operandAlign;
  /// Per fusion result: the pointers it is stored to.
  SmallVector<SmallVector<std::string, 1>> resultPtrs;
};

/// Dynamic shared memory of a wgmma GEMM (WgmmaGemm.cpp) with a tm x tn
/// tile and `stages` stages.
int64_t wgmmaSharedBytes(int64_t tm, int64_t tn, int64_t stages);

/// A row reduction's loop: what RowReduce.cpp's passes share.
struct RowLoop;
/// The tile shape of a tensor-core GEMM: what MmaGemm.cpp's steps share.
struct MmaTiles;

class KernelEmitter {
public:
  KernelEmitter(FusionOp fusion, const Schedule &sched, KernelContext ctx,
                llvm::raw_ostream &decls, std::string &body)
      : fusion(fusion), sched(sched), ctx(std::move(ctx)), decls(decls),
        bodyStream(body) {}

  LogicalResult emit(KernelInfo &info);
  bool usesF16 = false, usesBf16 = false, usesMma = false, usesWgmma = false;
  /// Dynamic shared memory the kernel declares (extern dlc_smem), bytes.
  int64_t dynamicSharedBytes = 0;
  /// `__launch_bounds__(...) ` for the kernel's declaration, or "".
  std::string launchBounds;

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
    line("// " +
         (node.empty() ? std::string("(unnamed)") : sanitizeComment(node)) +
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
  std::string coord(const std::string &idx, ArrayRef<int64_t> shape, size_t d);
  std::string broadcastIndex(const std::string &idx, ArrayRef<int64_t> out,
                             ArrayRef<int64_t> in);
  std::string transposeIndex(const std::string &idx, ArrayRef<int64_t> inShape,
                             ArrayRef<int64_t> perm, bool forward);

  // Gather (KernelEmitter.cpp) and forward.
  FailureOr<std::string> at(Value v, const std::string &idx);
  FailureOr<std::string> atOp(Operation *op, const std::string &idx);
  FailureOr<std::string> constant(ConstantOp op, const std::string &idx);
  FailureOr<std::string> slice(SliceOp op, const std::string &idx);
  FailureOr<std::string> gather(GatherOp op, const std::string &idx);
  FailureOr<std::string> concat(ConcatOp op, const std::string &idx);
  /// With `anchor` known at `idx` (cached), emits the ops after it that
  /// depend on it, up to `stop`, and stores yielded values; returns the
  /// index each reached value is known at.
  FailureOr<llvm::DenseMap<Value, std::string>>
  forward(Value anchor, const std::string &idx, Operation *stop = nullptr);
  LogicalResult storeYields(const llvm::DenseMap<Value, std::string> &known);
  /// forward from `v` known at `idx`, then the stores.
  LogicalResult forwardAndStore(Value v, const std::string &idx);
  /// Records the ops of the fusion (nodes, f16/bf16 use); fails on an op
  /// that is not a dlc compute op. Sets the anchor and the pool.
  LogicalResult scan(KernelInfo &info, Operation *&anchor, Operation *&pool);

  // Elementwise ops (Elementwise.cpp).
  /// Operand i of `op` at output element `idx` (broadcast to its shape).
  FailureOr<std::string> operandAt(Operation *op, unsigned i,
                                   const std::string &idx);
  FailureOr<std::string> atElementwise(Operation *op, const std::string &idx);
  /// `op` through the spelling it carries (CudaSpelledOpInterface); an
  /// error when it has none.
  FailureOr<std::string> atSpelled(Operation *op, const std::string &idx);

  // Strategies, one file each.
  LogicalResult emitForOps(Operation *anchor, Operation *pool);
  LogicalResult emitPointwise();
  LogicalResult emitVectorPointwise(ArrayRef<int64_t> outShape, int64_t n);
  LogicalResult emitRowReduce(Operation *anchor);
  LogicalResult emitPool(Operation *pool, Operation *contraction);
  LogicalResult emitTiledGemm(Operation *anchor);
  LogicalResult emitDirectContraction(Operation *anchor);
  /// Whether every use of `v` (transitively, up to the yields) is an
  /// elementwise op with numpy broadcasting, so that within a vector of
  /// consecutive output elements v is read contiguously or at one element.
  bool readsBroadcastOnly(Value v);

  // Row reductions (RowReduce.cpp).
  using RowTerm = std::function<FailureOr<std::string>(const std::string &x)>;
  using RowElement = std::function<FailureOr<std::string>(
      const std::string &x, const std::string &k)>;
  /// acc = combine(acc, term(x)) over a row, then across its threads.
  LogicalResult rowPass(const RowLoop &r, const std::string &acc,
                        const std::string &init, bool isMax,
                        const RowTerm &term);
  /// Each element of the row through `f`, then the epilogue.
  LogicalResult rowElementPass(const RowLoop &r, const RowElement &f);
  LogicalResult rowSoftmax(const RowLoop &r);
  LogicalResult rowLayerNorm(const RowLoop &r, LayerNormOp ln);
  LogicalResult rowReduce(const RowLoop &r);
  LogicalResult rowCrossEntropy(const RowLoop &r, SoftmaxCrossEntropyOp sce);
  LogicalResult rowMse(const RowLoop &r, MseLossOp mse);
  /// The scalar losses: the block's rows summed, then the mean.
  LogicalResult rowScalarTotal(const RowLoop &r);

public:
  // Contractions as GEMMs (Gemm.cpp).
  struct Gemm {
    int64_t batch = 1, m = 0, n = 0, k = 0;
    Value bias;
    /// The bias element of column n in batch b (default: n).
    std::function<std::string(const std::string &b, const std::string &n)>
        biasIndex;
    /// Emits the load of A(b, m, k) (B(b, k, n)) and returns its value.
    std::function<FailureOr<std::string>(
        const std::string &b, const std::string &m, const std::string &k,
        const std::string &n)>
        loadA, loadB;
    /// The linear output index of (b, m, n).
    std::function<std::string(const std::string &b, const std::string &m,
                              const std::string &n)>
        outIndex;
    /// Emits b, m, n of an output index; returns their names.
    std::function<std::array<std::string, 3>(const std::string &idx)> split;
    /// Operand A (B) as a plain strided array in global memory, when it is
    /// one: A(b, m, k) = ptr[b * batchStride + m * rowStride + k *
    /// colStride] (B: rows are k, columns n), converted when `element` is
    /// not the operand's type (a float cast of the array). Lets the
    /// mainloop use cp.async (same type) or 128-bit loads; without it the
    /// mainloop uses loadA/loadB (gathers, fused producers).
    struct StridedOperand {
      std::string ptr;
      mlir::Type element;
      int64_t batchStride, rowStride, colStride;
      /// Byte alignment of ptr (KernelContext::operandAlign).
      int64_t align = 16;
    };
    std::optional<StridedOperand> stridedA, stridedB;
  };

private:
  FailureOr<Gemm> gemmOf(Operation *op);
  Gemm gemmOfMatmul(Operation *op);
  Gemm gemmOfDense(DenseOp op);
  // Convolutions (ConvGemm.cpp).
  Gemm gemmOfConv(Conv2dOp op);
  Gemm gemmOfConvInput(Conv2dBackwardInputOp op);
  Gemm gemmOfConvWeight(Conv2dBackwardWeightOp op);
  /// A strided operand of `v` when v is a fusion operand (a block
  /// argument) with these strides.
  std::optional<Gemm::StridedOperand> stridedOf(Value v, int64_t batchStride,
                                                int64_t rowStride,
                                                int64_t colStride);
  /// An index variable for `expr`, `int` when `narrow`, else idx_t.
  std::string convIndex(bool narrow, const std::string &expr);
  /// `T a = 0; if (cond) a = v[index];`: returns a.
  FailureOr<std::string> guardedLoad(Value v, const std::string &cond,
                                     const std::string &index);
  /// Emits the full dot product of output element `idx` of `op`; returns
  /// the accumulator.
  FailureOr<std::string> dotAt(Operation *op, const std::string &idx);
  /// The FMA GEMM's loads of the A and B tiles at k0 into shared memory.
  LogicalResult emitFmaTileLoads(Gemm &g, const char *ct, const std::string &b);
  /// A GEMM's epilogue at output (m, n): bias, fused ops, stores.
  LogicalResult gemmEpilogue(Operation *anchor, Gemm &g, const std::string &b,
                             const std::string &acc);

  // Tensor cores (MmaGemm.cpp: tiles, kernel, epilogue; MmaMainloop.cpp:
  // the cp.async / register-staged pipeline).
  /// The tensor-core path of tiled_gemm; `why` gets the reason when the
  /// schedule's mma cannot be honoured (the FMA path is used then).
  LogicalResult emitMmaGemm(Operation *anchor, Gemm &g, std::string &why,
                            bool &emitted);
  /// The tiles of the schedule, or std::nullopt with `why` set.
  std::optional<MmaTiles> mmaTilesFor(Operation *anchor, const Gemm &g,
                                      std::string &why);
  /// The k loop: prologue, waits, loads of tile kt + stages - 1, mmaTile.
  LogicalResult mmaMainLoop(const MmaTiles &t, Gemm &g);
  /// Operand `op` (0: A, 1: B) of k tile `kt` into stage `stage`: cp.async
  /// (phase 0 issues it) or register-staged (phase 0 loads into registers,
  /// phase 1 stores them to shared memory).
  LogicalResult mmaOperandLoad(const MmaTiles &t, Gemm &g, unsigned op,
                               const std::string &kt, const std::string &stage,
                               int phase);
  LogicalResult mmaEpilogue(Operation *anchor, const MmaTiles &t, Gemm &g);

  // Hopper warpgroup MMA (WgmmaGemm.cpp), for mma wgmma_f16/wgmma_bf16.
  LogicalResult emitWgmmaGemm(Operation *anchor, Gemm &g, std::string &why,
                              bool &emitted);
  LogicalResult wgmmaMainLoop(Gemm &g, const char *T, bool bAlongK);
  LogicalResult wgmmaEpilogue(Operation *anchor, Gemm &g);
  void wgmmaVectorChunk(const Gemm::StridedOperand &o, const std::string &dst,
                        const std::string &row, const std::string &rows,
                        int64_t k, const char *T, bool batched,
                        const std::string &chunk = "e % 8");

  FusionOp fusion;
  const Schedule &sched;
  KernelContext ctx;
  llvm::raw_ostream &decls;
  llvm::raw_string_ostream bodyStream;
  std::string indent = "  ";
  std::vector<std::map<std::pair<void *, std::string>, std::string>> scopes{1};
  llvm::DenseSet<Operation *> commented;
  unsigned counter = 0, constCounter = 0;
  /// Values that depend on the anchor (known only where forward put them).
  llvm::DenseSet<Value> dependsOnAnchor;
  /// In a vectorized pointwise loop: fusion operands loaded before the
  /// per-element loop, and the expression of their element there.
  llvm::DenseMap<Value, std::string> vectorLoaded;
  llvm::DenseMap<Value, bool> broadcastOnly; // readsBroadcastOnly's memo
};

} // namespace mlir::dlc::codegen

#endif // DLC_CODEGEN_KERNELEMITTER_H
