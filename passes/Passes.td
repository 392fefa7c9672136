//===- Passes.td - dlc graph-level passes ------------------*- tablegen -*-===//
#ifndef DLC_PASSES_TD
#define DLC_PASSES_TD

include "mlir/Pass/PassBase.td"

def DlcFuse : Pass<"dlc-fuse", "::mlir::func::FuncOp"> {
  let summary = "Group dlc ops into dlc.fusion regions, one per future kernel";
  let description = [{
    Partitions the dlc ops of a function into groups, each of which becomes
    one `dlc.fusion` (one kernel). Every dlc compute op ends up in exactly one
    fusion; constants are cloned into each fusion that reads them; ops of
    other dialects and existing fusions are left alone (running the pass
    twice changes nothing).

    Op classes: elementwise (unary, binary, compare, where, cast, transpose,
    slice, concat, batch_norm), views (broadcast, reshape, flatten: index
    maps, never a kernel of their own), reductions (reduce_*, softmax,
    log_softmax, layer_norm, softmax_cross_entropy, mse_loss), contractions
    (matmul, batch_matmul, dense, conv2d) and pooling (max_pool2d,
    avg_pool2d). A group holds at most one reduction or contraction (its
    anchor); a pool is the anchor of its own group (kind `reduction`) unless
    a contraction takes it.

    Rules, applied in this order, each over the anchors in program order:
    1. A contraction takes its elementwise/view consumers whose result has as
       many elements as the contraction's (bias add, activation, residual
       add), views and casts that feed it and nothing else (a cast is a
       conversion in the GEMM's loader), side inputs of the
       epilogue (elementwise producers whose every user is in the group and
       of their own size, e.g. an activated skip), and then a max_pool2d or
       avg_pool2d when the pool is the group's only consumer (the pool
       shrinks the group's write by its window) and the contraction is not
       f16/bf16 (those stay tensor-core GEMMs, the pool a kernel of its
       own); consumers of the pool with the pool's element count follow.
    2. A reduction or an unclaimed pool takes elementwise/view producers of
       its input size whose every user is in the group (prologue) and side
       inputs of its epilogue, and
       elementwise/view consumers with its result size, or with its input
       size when they do not read its result (epilogue). Backward ops
       with a direct kernel (*_pool2d_backward, slice_backward and the
       depthwise conv2d_backward_*) stay alone; the other conv backward ops
       are contractions.
    3. Remaining elementwise/view ops merge producer-into-consumer when both
       have the same number of elements (broadcasts are folded in this way).
    A merge is refused when it would put more than `max-ops` ops in a group,
    or when another group depends on one of the two and is depended on by
    the other (merging would make a cycle between groups).

    Multi-use values (the cost rule): after grouping, a value computed by an
    elementwise op in group G and read by other groups is either recomputed
    or materialized. It is recomputed, i.e. the ops of G it is computed
    from are cloned into each consumer group and G stops writing it, when
    (a) all of its outside readers are fusions (not `return`, not an
    opaque op, which need it in memory anyway), (b) it depends inside G on
    elementwise/view ops only, at most `max-recompute-ops` of them, so the
    inputs of the clone are G's inputs (already in memory: nothing new is
    materialized), and (c) each consumer group accepts those ops under its
    own rule above. Otherwise it is materialized: G writes it once, each
    consumer reads it.

    Example:
    ```mlir
    %0 = dlc.conv2d %x, %w, %b {...} : (...) -> tensor<8x32x26x26xf32> loc("conv1")
    %1 = dlc.relu %0 : tensor<8x32x26x26xf32> loc("relu1")
    %2 = dlc.max_pool2d %1 {...} : (...) -> tensor<8x32x13x13xf32> loc("pool1")
    ```
    becomes
    ```mlir
    %f = dlc.fusion contraction "k0_conv1_relu1_pool1"
        (%a = %x : tensor<8x1x28x28xf32>, %c = %w : ..., %d = %b : ...)
        -> tensor<8x32x13x13xf32> {
      %0 = dlc.conv2d %a, %c, %d {...}
      %1 = dlc.relu %0 : tensor<8x32x26x26xf32>
      %2 = dlc.max_pool2d %1 {...}
      dlc.yield %2 : tensor<8x32x13x13xf32>
    }
    ```
    Each fusion is named `k<i>_` followed by the (sanitized) NameLoc names of
    its first four ops, `i` counting the fusions of the function in order.
    docs/fusion.md has more examples.
  }];
  let options = [
    Option<"maxOps", "max-ops", "unsigned", /*default=*/"32",
           "Most ops in one fusion (constants not counted)">,
    Option<"maxRecomputeOps", "max-recompute-ops", "unsigned",
           /*default=*/"3",
           "Most elementwise ops cloned into each consumer to recompute a "
           "multi-use value instead of materializing it (0: never)">,
  ];
}

def DlcFuseOptimizer : Pass<"dlc-fuse-optimizer", "::mlir::func::FuncOp"> {
  let summary = "Group the optimizer updates of a function into one "
                "multi-tensor dlc.fusion";
  let description = [{
    Wraps the `dlc.sgd_update` / `dlc.adam_update` / `dlc.adamw_update` ops
    of the function (one per parameter in a training step) into a
    `dlc.fusion multi_tensor`, which the CUDA emitter turns into a single
    kernel updating every parameter and its optimizer state in one launch
    (a flat index space over all params, each block on one param's chunk).
    Runs before --dlc-fuse, which leaves existing fusions alone.

    Updates are grouped in program order; the fusion takes the place of the
    group's last update. A new group starts when an update reads a result of
    the group, when an op before it reads one (the fusion could not move
    past that reader), or after `max-tensors` updates.

    ```mlir
    %p1, %m1 = dlc.sgd_update %w, %gw, %bw, %step, %lr {momentum = 0.9}
    %p2, %m2 = dlc.sgd_update %b, %gb, %bb, %step, %lr {momentum = 0.9}
    ```
    becomes
    ```mlir
    %f:4 = dlc.fusion multi_tensor "optimizer_sgd_update" (%a0 = %w : ...,
        ..., %a6 = %bb : ...) -> (...) {
      %0:2 = dlc.sgd_update %a0, %a1, %a2, %a3, %a4 {momentum = 0.9}
      %1:2 = dlc.sgd_update %a5, %a6, %a7, %a3, %a4 {momentum = 0.9}
      dlc.yield %0#0, %0#1, %1#0, %1#1
    }
    ```
  }];
  let options = [
    Option<"maxTensors", "max-tensors", "unsigned", /*default=*/"64",
           "Most updates in one fusion (each adds up to 7 kernel "
           "parameters; 64 x 7 pointers fit CUDA's 4 KiB)">,
  ];
}

def DlcPlanMemory : Pass<"dlc-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Give every intermediate a byte offset in one arena, reusing "
                "memory between values that are never live together";
  let description = [{
    Runs after --dlc-fuse (and --dlc-tile). Intermediates are the results of
    the `dlc.fusion` ops, and of any dlc op left outside a fusion, that the
    function does not return; they all live in one arena. Function arguments
    and returned values are not in it (the runtime gives them their own
    buffers); neither are results of ops of other dialects.

    A value is live from the op that defines it to its last use, in program
    order (a use inside a nested region counts at the enclosing op). Values
    whose live ranges overlap never share bytes; a value read by an op
    overlaps that op's results (no in-place reuse). A buffer's size is
    numel * element bytes (i1: 1 byte) rounded up to `alignment`; every
    offset is a multiple of `alignment`. Offsets come from the pure function
    `dlc::planMemory` (passes/MemoryPlan.h, docs/memory-plan.md), and the
    pass checks the plan it gets back (a bug guard: it fails on a conflict).

    Results:
    - on each `dlc.fusion` (or unfused dlc op): `buffer_offsets =
      array<i64: ...>`, one entry per result, its byte offset in the arena or
      -1 when the result is returned by the function;
    - on the function: `dlc.arena_bytes` (the arena size),
      `dlc.peak_live_bytes` (the largest total of intermediates live at one
      point: a lower bound for the arena) and `dlc.unplanned_bytes` (the sum
      of all intermediates: the arena without reuse), all i64.

    Example (alignment 256): a chain of three 4x8xf32 kernels
    ```mlir
    %0 = dlc.fusion elementwise "k0_a" (%a = %x : tensor<4x8xf32>) -> tensor<4x8xf32> {...}
    %1 = dlc.fusion elementwise "k1_b" (%a = %0 : tensor<4x8xf32>) -> tensor<4x8xf32> {...}
    %2 = dlc.fusion elementwise "k2_c" (%a = %1 : tensor<4x8xf32>) -> tensor<4x8xf32> {...}
    return %2 : tensor<4x8xf32>
    ```
    gets `buffer_offsets = array<i64: 0>`, `array<i64: 256>` and
    `array<i64: -1>`, and the function `dlc.arena_bytes = 512 : i64,
    dlc.peak_live_bytes = 512 : i64, dlc.unplanned_bytes = 512 : i64`.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"256",
           "Byte alignment of every offset and buffer size (> 0)">,
  ];
}

def DlcSplitK : Pass<"dlc-split-k", "::mlir::func::FuncOp"> {
  let summary = "Split the long reduction of conv weight gradients over "
                "blocks, summed by a reduce_sum";
  let description = [{
    A conv2d_backward_weight is a GEMM with a small M x N (the weight) and a
    long K = N * OH * OW. Where its output tiles (64x64, per group) would
    not fill the GPU twice over, it becomes `k_splits` = S partial GEMMs
    over chunks of K (one batch of the GEMM each, at least `min-chunk`
    terms per chunk) and a reduce_sum over the partials: deterministic,
    no atomics.

    ```mlir
    %dw = dlc.conv2d_backward_weight %dy, %x {...}
        : (tensor<256x32x26x26xf32>, tensor<256x1x28x28xf32>) -> tensor<32x1x3x3xf32>
    // becomes
    %p = dlc.conv2d_backward_weight %dy, %x {..., k_splits = 169}
        : (...) -> tensor<169x32x1x3x3xf32>
    %dw = dlc.reduce_sum %p {axes = array<i64: 0>} : ... -> tensor<32x1x3x3xf32>
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"sm_90\"",
           "GPU whose SM count the split fills: sm_80 or sm_90">,
    Option<"minChunk", "min-chunk", "int64_t", /*default=*/"1024",
           "Fewest terms of K one partial sums">,
  ];
}

def DlcTile : Pass<"dlc-tile", "::mlir::func::FuncOp"> {
  let summary = "Attach a GPU schedule (launch shape, tiles, vector width) to "
                "every dlc.fusion";
  let description = [{
    Sets a `schedule` dictionary on every `dlc.fusion` of the function for
    the target GPU; the CUDA emitter reads it through passes/Schedule.h.
    Strategies, by the fusion's body:
    - `pointwise` (elementwise fusions): one thread per `vector_width`
      consecutive output elements in a grid-stride loop, block [256, 1, 1],
      grid [min(ceil(numel / (256 * vw)), 8 * SMs), 1, 1].
    - `row_reduce` (reductions): `rows` rows of `row_length` elements; a row
      of at most 1024 elements is reduced by one warp (4 or 8 rows per
      block), a longer one by a block of 256 (up to 8192) or 1024 threads.
    - `tiled_gemm` (contractions; conv2d as an implicit GEMM): `gemm` =
      [batch, m, n, k], a `tile` [tm, tn, tk] of 64x64x16 (f32/f64) or
      128x128x32 (f16/bf16, `mma` tensor cores, f32 accumulation), powers of
      two shrunk to the problem, `warps` [wm, wn], `stages` of cp.async
      pipelining, grid [ceil(n/tn), ceil(m/tm), batch]. With `allow-tf32`,
      f32 GEMMs take the tensor-core tiles with `mma` = `mma_sync_tf32`.
    - `direct_pool` (a contraction or lone pool ending in max/avg_pool2d):
      one thread per pooled element, block [128, 1, 1].
    A tuning cache (`tuning-cache`, JSON) overrides the choices of a fusion
    with the same signature; derived numbers are recomputed and checked.

    ```mlir
    %f = dlc.fusion elementwise "k0_add1_relu1" (...) -> tensor<64x1024xf32>
        attributes {schedule = {block = array<i64: 256, 1, 1>,
          grid = array<i64: 64, 1, 1>, shared_bytes = 0 : i64,
          signature = "...", strategy = "pointwise", target = "sm_90",
          vector_width = 4 : i64}} { ... }
    ```
    docs/schedule.md has every key, the rules and the cache format.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"sm_90\"",
           "GPU to schedule for: sm_80 or sm_90">,
    Option<"tuningCache", "tuning-cache", "std::string", /*default=*/"\"\"",
           "JSON tuning cache whose entries override schedules (none by "
           "default)">,
    Option<"allowTf32", "allow-tf32", "bool", /*default=*/"false",
           "f32 contractions on tensor cores with tf32 operands "
           "(mma_sync_tf32; PyTorch's allow_tf32); off: exact FFMA">,
  ];
}

def DlcAutodiff : Pass<"dlc-autodiff", "::mlir::ModuleOp"> {
  let summary = "Append the gradients of the training loss to the model function";
  let description = [{
    Reads `dlc.training = {loss = "<output name>", ...}` from the module,
    finds the model function (@forward, or the only func.func) and its result
    named by the loss (a 0-d float tensor), and builds the backward graph by
    reverse-mode accumulation: walking the ops in reverse, each op on a path
    from a differentiated argument to the loss builds the cotangents of its
    operands from its result's cotangent with its rule
    (DifferentiableOpInterface, one rule per op in ir/Gradients.cpp). A
    value used several times gets the sum of its cotangents; broadcast
    operands get theirs summed back to their shape.

    Differentiated: every `dlc.param` argument and the `dlc.input` arguments
    named in `wrt-inputs`. Each gets one new result, appended after the
    existing ones in argument order, named
    `dlc.output = "grad:<name>"`, of the argument's type (zeros when the
    loss does not depend on it). Integer values, comparisons and constants
    are not differentiated; an op on the path without a rule is an error.

    ```mlir
    module attributes {dlc.training = {loss = "loss", optimizer = {...}}} {
      func.func @forward(%x: tensor<4xf32> {dlc.input = "x"},
                         %w: tensor<4xf32> {dlc.param = "w", ...})
          -> (tensor<f32> {dlc.output = "loss"}) {
        %0 = dlc.mul %x, %w : ...
        %1 = dlc.reduce_sum %0 : (tensor<4xf32>) -> tensor<f32>
        return %1 : tensor<f32>
      }
    }
    // becomes
      func.func @forward(...) -> (tensor<f32> {dlc.output = "loss"},
                                  tensor<4xf32> {dlc.output = "grad:w"}) {
        ...
        %g = dlc.constant dense<1.0> : tensor<f32>
        %2 = dlc.reshape %g {shape = array<i64: 1>} : ...
        %3 = dlc.broadcast %2 {shape = array<i64: 4>} : ...
        %4 = dlc.mul %3, %x : ...
        return %1, %4 : tensor<f32>, tensor<4xf32>
      }
    ```
    docs/autodiff.md lists the rules and the backward ops.
  }];
  let options = [
    ListOption<"wrtInputs", "wrt-inputs", "std::string",
               "Names of dlc.input arguments to differentiate too (none by "
               "default)">,
  ];
}

def DlcUnrollRecurrent : Pass<"dlc-unroll-recurrent", "::mlir::func::FuncOp"> {
  let summary = "Lower dlc.lstm and dlc.gru to matmuls and elementwise gate "
                "math, one step at a time";
  let description = [{
    Runs on the imported graph before --dlc-autodiff (the backward graph then
    comes from the rules of the ops it builds) and before --dlc-fuse. Per
    op: the input projection of every step and direction is one
    `dlc.dense` (x [seq, batch, input] by the weights of all gates and
    directions, the input biases, and for LSTM the recurrence biases, as its
    bias); then per direction and step one `dlc.dense` of the previous h
    with the recurrence weights of all gates ([batch, G*H]; GRU's default
    form needs a second one for the h gate, since r scales h before it),
    and the gate math on slices of the gate tensor (sigmoid, tanh, the c/h
    updates), elementwise ops of [batch, H] that --dlc-fuse puts in one
    kernel per step. The first step with no initial state skips the
    recurrent product. y stacks the steps' h with one `dlc.concat` (a
    `dlc.slice` of y along the steps stacks just those steps); results
    nobody reads are not built.

    ```mlir
    %y, %h, %c = dlc.lstm %x, %w, %r {hidden_size = 2 : i64} : ...
    // becomes, for step 1 of 2 (step 0 has no recurrent product):
    %p  = dlc.dense %x, %w2 : (tensor<2x1x3xf32>, tensor<8x3xf32>) -> tensor<2x1x8xf32>
    %x1 = dlc.slice %p {starts = [1, 0, 0], ends = [2, 1, 8], ...}
    %g1 = dlc.add (dlc.dense %h0, %r2), (dlc.reshape %x1)   // [1, 8]
    %i  = dlc.sigmoid (dlc.slice %g1 [0:2]) ...   // o, f likewise, c~ = tanh
    %c1 = dlc.add (dlc.mul %f, %c0), (dlc.mul %i, %cc)
    %h1 = dlc.mul %o, (dlc.tanh %c1)
    ```
  }];
}

def DlcFuseAttention : Pass<"dlc-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "Replace matmul/scale/mask/softmax/matmul attention by "
                "dlc.attention";
  let description = [{
    Runs on the imported graph before --dlc-autodiff, so that the backward
    graph gets one dlc.attention_backward (FlashAttention-2: no [Tq, Tk]
    tensor forward or backward), and before --dlc-fuse. Recognized, on
    [B, H, T, D] operands or [N, T, D] ones (as [N, 1, T, D]):

      matmul(q, kT) -> mul/div by scalar constants (also on q and kT, as
      PyTorch's ONNX export of scaled_dot_product_attention scales both)
      -> optional add of a mask -> optional where(cond, s, -inf) ->
      softmax(axis -1) -> matmul(p, v)

    A constant causal mask (additive: 0 on and below the diagonal, -inf
    above; boolean: lower-triangular) becomes `causal = true`; any other
    mask becomes the op's additive mask operand (a boolean cond as
    where(cond, 0, -inf)). The key operand is kT with its last two dims
    swapped (composed with a transpose that produced kT). Every intermediate
    (scores, scaled and masked scores, probabilities) must have exactly one
    user; a chain read elsewhere is left as it is.

    ```mlir
    %s = dlc.matmul %q, %kt : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
    %c = dlc.constant dense<2.500000e-01> : tensor<f32>
    %t = dlc.mul %s, %c : (tensor<2x4x16x16xf32>, tensor<f32>) -> tensor<2x4x16x16xf32>
    %p = dlc.softmax %t {axis = -1 : i64} : tensor<2x4x16x16xf32>
    %o = dlc.matmul %p, %v : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
    // becomes
    %k = dlc.transpose %kt {perm = array<i64: 0, 1, 3, 2>} : ...
    %o, %lse = dlc.attention %q, %k, %v {scale = 2.500000e-01 : f64} : ...
    ```
  }];
}

def DlcMixedPrecision : Pass<"dlc-mixed-precision", "::mlir::func::FuncOp"> {
  let summary = "Compute the float32 graph in bf16 or fp16, keeping the "
                "numerically sensitive ops in float32";
  let description = [{
    Runs on the imported graph, before --dlc-fuse (and, for training, before
    --dlc-autodiff, so the backward graph is low precision too). Policy, after
    PyTorch autocast (docs/mixed-precision.md):
    - low: matmul, batch_matmul, dense, conv2d, conv2d_backward_*: float
      operands cast to the low type; the tensor-core schedule accumulates in
      f32 and stores the low type;
    - f32: softmax, log_softmax, layer_norm, batch_norm, reduce_sum,
      reduce_mean, softmax_cross_entropy, mse_loss, exp, log, pow, rsqrt and
      the optimizer updates: low operands cast up, result f32;
    - follow: every other dlc op (elementwise, views, pools, reduce_max)
      computes in the low type when one of its float operands is low, else
      stays f32.
    Function arguments (inputs; params, the f32 master weights) and results
    keep their types: one dlc.cast per value and type is inserted after the
    value's definition, and before the return. Only f32 values change.
    Fusion later folds a cast into its producer's or consumer's kernel, so an
    f32 op feeding a low one stores the low type.

    ```mlir
    func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>) -> tensor<4x2xf32> {
      %0 = dlc.matmul %x, %w : (...) -> tensor<4x2xf32>
      %1 = dlc.relu %0 : tensor<4x2xf32>
      return %1 : tensor<4x2xf32>
    }
    // --dlc-mixed-precision=precision=bf16:
      %w16 = dlc.cast %w {to = bf16} : (tensor<8x2xf32>) -> tensor<8x2xbf16>
      %x16 = dlc.cast %x {to = bf16} : (tensor<4x8xf32>) -> tensor<4x8xbf16>
      %0 = dlc.matmul %x16, %w16 : (...) -> tensor<4x2xbf16>
      %1 = dlc.relu %0 : tensor<4x2xbf16>
      %2 = dlc.cast %1 {to = f32} : (tensor<4x2xbf16>) -> tensor<4x2xf32>
      return %2 : tensor<4x2xf32>
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"bf16\"",
           "The low type: bf16 or fp16">,
  ];
}

#endif // DLC_PASSES_TD
