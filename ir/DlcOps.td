//===- DlcOps.td - dlc graph ops ---------------------------*- tablegen -*-===//
//
// Every op is Pure and infers its result type from its operands and
// attributes (InferTypeOpAdaptor); the shape rules live in ShapeRules*.cpp so
// that the verifier and the builders share one definition, and ops whose
// rule cannot fail (the unary ops) have no verifier.
//
// What passes need to know about an op is said here, on the op: its fusion
// class and mixed-precision category (traits of ir/DlcTraits.td) and whether
// it has a gradient (Dlc_Differentiable: the rule is XOp::buildGradient in
// ir/Gradients.cpp, so a declared but missing rule does not link).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_OPS_TD
#define DLC_OPS_TD

include "ir/DlcDialect.td"
include "ir/DlcInterfaces.td"
include "ir/DlcTraits.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

// Shapes are static (the design says so, and the shape rules do arithmetic on
// every dim: a `?` would enter it as INT64_MIN). The C++ type stays
// RankedTensorType.
def Dlc_FloatTensor : StaticShapeTensorOf<[F16, BF16, F32, F64]>;
def Dlc_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def Dlc_BoolTensor : StaticShapeTensorOf<[I1]>;
def Dlc_Tensor : StaticShapeTensorOf<[F16, BF16, F32, F64, I1, I32, I64]>;

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

class Dlc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Dlc_Dialect, mnemonic,
         !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  // verify() runs the same shape rule as inferReturnTypes, so a bad op gets
  // one precise message instead of "failed to infer returned types".
  let hasVerifier = 1;
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

// Ops whose result type is their input type: ODS derives inferReturnTypes
// from the trait, and verify() checks only the attributes.
class Dlc_SameTypeOp<string mnemonic, list<Trait> traits = []>
    : Op<Dlc_Dialect, mnemonic,
         !listconcat(traits, [Pure, SameOperandsAndResultType,
                              InferTypeOpInterface])> {
  let hasVerifier = 1;
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

// y = f(x), computed by the reference interpreter from the table keyed by
// the mnemonic in ir/reference/Elementwise.cpp. Its shape rule (the input
// type) cannot fail, so there is nothing to verify.
// `cuda` is the op's CUDA spelling (CudaSpelledOpInterface): `{0}` is the
// input element, `dlc::f` a device function of codegen/prelude.
class Dlc_UnaryOp<string mnemonic, string what, string cuda,
                  list<Trait> traits = []>
    : Dlc_SameTypeOp<mnemonic, !listconcat(traits, [Dlc_Elementwise,
          Dlc_UnaryElementwise, Dlc_Differentiable,
          DlcCudaSpelledOpInterface])> {
  let summary = "elementwise " # what;
  let hasVerifier = 0;
  let arguments = (ins Dlc_FloatTensor:$input);
  let results = (outs Dlc_FloatTensor:$result);
  let extraClassDeclaration = "static ::llvm::StringRef getCudaSpelling() "
                              "{ return \"" # cuda # "\"; }";
}

// `cuda` as for Dlc_UnaryOp with `{1}` the rhs element; empty for ops that
// codegen spells itself (pow: integer and float forms).
class Dlc_BinaryOp<string mnemonic, string what, string cuda,
                   list<Trait> traits = []>
    : Dlc_Op<mnemonic, !listconcat(traits, [SameOperandsElementType,
        Dlc_Elementwise, Dlc_BinaryElementwise, Dlc_Differentiable],
        !if(!empty(cuda), [], [DlcCudaSpelledOpInterface]))> {
  let summary = "elementwise " # what # " with numpy broadcasting";
  let arguments = (ins Dlc_Tensor:$lhs, Dlc_Tensor:$rhs);
  let results = (outs Dlc_Tensor:$result);
  let extraClassDeclaration = !if(!empty(cuda), "",
      "static ::llvm::StringRef getCudaSpelling() { return \"" # cuda #
      "\"; }");
}

class Dlc_ReduceOp<string mnemonic, string what, list<Trait> traits = []>
    : Dlc_Op<mnemonic, !listconcat(traits, [Dlc_Reduction,
                                            Dlc_Differentiable])> {
  let summary = what # " over `axes` (all axes when empty)";
  let arguments = (ins Dlc_FloatTensor:$input,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs Dlc_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Dlc_NegOp : Dlc_UnaryOp<"neg", "negation", "-{0}">;
def Dlc_ExpOp : Dlc_UnaryOp<"exp", "natural exponential", "dlc::exp({0})",
                            [Dlc_AutocastF32]>;
def Dlc_LogOp : Dlc_UnaryOp<"log", "natural logarithm", "dlc::log({0})",
                            [Dlc_AutocastF32]>;
def Dlc_SqrtOp : Dlc_UnaryOp<"sqrt", "square root", "dlc::sqrt({0})">;
def Dlc_RsqrtOp : Dlc_UnaryOp<"rsqrt", "reciprocal square root",
                              "dlc::rsqrt({0})", [Dlc_AutocastF32]>;
def Dlc_TanhOp : Dlc_UnaryOp<"tanh", "hyperbolic tangent", "dlc::tanh({0})">;
def Dlc_SigmoidOp : Dlc_UnaryOp<"sigmoid", "logistic sigmoid 1/(1+exp(-x))",
                                "dlc::sigmoid({0})">;
def Dlc_ReluOp : Dlc_UnaryOp<"relu", "max(x, 0)", "dlc::relu({0})">;
def Dlc_ErfOp : Dlc_UnaryOp<"erf", "Gauss error function", "dlc::erf({0})">;
def Dlc_SinOp : Dlc_UnaryOp<"sin", "sine", "dlc::sin({0})">;
def Dlc_CosOp : Dlc_UnaryOp<"cos", "cosine", "dlc::cos({0})">;

// Not a Dlc_UnaryOp: `approximate` changes the arithmetic and is verified.
def Dlc_GeluOp : Dlc_SameTypeOp<"gelu",
    [Dlc_Elementwise, Dlc_Differentiable]> {
  let summary = "elementwise GELU";
  let description = [{
    `approximate = "none"`: x * (1 + erf(x / sqrt(2))) / 2.
    `approximate = "tanh"`: x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2.
  }];
  let arguments = (ins Dlc_FloatTensor:$input,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_AddOp : Dlc_BinaryOp<"add", "addition", "{0} + {1}">;
def Dlc_SubOp : Dlc_BinaryOp<"sub", "subtraction", "{0} - {1}">;
def Dlc_MulOp : Dlc_BinaryOp<"mul", "multiplication", "{0} * {1}">;
def Dlc_DivOp : Dlc_BinaryOp<"div", "division", "{0} / {1}">;
def Dlc_PowOp : Dlc_BinaryOp<"pow", "power lhs^rhs", "", [Dlc_AutocastF32]>;
def Dlc_MaximumOp : Dlc_BinaryOp<"maximum", "maximum",
                                "dlc::maximum({0}, {1})">;
def Dlc_MinimumOp : Dlc_BinaryOp<"minimum", "minimum",
                                "dlc::minimum({0}, {1})">;

def Dlc_CompareOp : Dlc_Op<"compare",
    [SameOperandsElementType, Dlc_Elementwise]> {
  let summary = "elementwise comparison with numpy broadcasting, giving i1";
  let description = [{ `predicate` is one of eq, ne, lt, le, gt, ge. }];
  let arguments = (ins Dlc_Tensor:$lhs, Dlc_Tensor:$rhs, StrAttr:$predicate);
  let results = (outs Dlc_BoolTensor:$result);
}

def Dlc_WhereOp : Dlc_Op<"where", [Dlc_Elementwise, Dlc_Differentiable,
                                   DlcCudaSpelledOpInterface]> {
  let summary = "select lhs where cond is true, else rhs (numpy broadcasting)";
  let arguments = (ins Dlc_BoolTensor:$cond, Dlc_Tensor:$lhs, Dlc_Tensor:$rhs);
  let results = (outs Dlc_Tensor:$result);
  let extraClassDeclaration = [{
    static ::llvm::StringRef getCudaSpelling() { return "{0} ? {1} : {2}"; }
  }];
}

def Dlc_CastOp : Dlc_Op<"cast",
    [Dlc_Elementwise, Dlc_AutocastKeep, Dlc_Differentiable]> {
  let summary = "convert elements to the element type `to`";
  let description = [{
    Float to integer truncates toward zero; anything to i1 is `x != 0`.
  }];
  let arguments = (ins Dlc_Tensor:$input, TypeAttr:$to);
  let results = (outs Dlc_Tensor:$result);
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

def Dlc_ReduceSumOp : Dlc_ReduceOp<"reduce_sum", "sum", [Dlc_AutocastF32]>;
def Dlc_ReduceMeanOp : Dlc_ReduceOp<"reduce_mean", "mean", [Dlc_AutocastF32]>;
def Dlc_ReduceMaxOp : Dlc_ReduceOp<"reduce_max", "maximum">;

def Dlc_SoftmaxOp : Dlc_SameTypeOp<"softmax",
    [Dlc_Reduction, Dlc_AutocastF32, Dlc_Differentiable]> {
  let summary = "softmax along `axis`";
  let arguments = (ins Dlc_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_LogSoftmaxOp : Dlc_SameTypeOp<"log_softmax",
    [Dlc_Reduction, Dlc_AutocastF32, Dlc_Differentiable]> {
  let summary = "log of softmax along `axis`, computed stably";
  let arguments = (ins Dlc_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_LayerNormOp : Dlc_Op<"layer_norm",
    [Dlc_Reduction, Dlc_AutocastF32, Dlc_Differentiable]> {
  let summary = "layer normalization over the dims from `axis` to the last";
  let description = [{
    (x - mean) / sqrt(var + epsilon) * scale + bias, with mean and biased
    variance over dims [axis, rank); scale and bias have shape
    input.shape[axis:].
  }];
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$scale,
                       Dlc_FloatTensor:$bias,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs Dlc_FloatTensor:$result);
}

// Elementwise: inference uses the running statistics, reducing nothing.
def Dlc_BatchNormOp : Dlc_Op<"batch_norm",
    [Dlc_Elementwise, Dlc_AutocastF32, Dlc_Differentiable]> {
  let summary = "batch normalization with running statistics (inference)";
  let description = [{
    input is [N, C, ...]; scale, bias, mean and variance are [C]:
    (x - mean) / sqrt(variance + epsilon) * scale + bias.
  }];
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$scale,
                       Dlc_FloatTensor:$bias, Dlc_FloatTensor:$mean,
                       Dlc_FloatTensor:$variance,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs Dlc_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Dlc_MatmulOp : Dlc_Op<"matmul", [SameOperandsAndResultElementType,
    Dlc_Contraction, Dlc_AutocastLowPrecision, Dlc_Differentiable]> {
  let summary = "matrix product [..., M, K] x [..., K, N] with broadcast batch dims";
  let arguments = (ins Dlc_FloatTensor:$lhs, Dlc_FloatTensor:$rhs);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_BatchMatmulOp : Dlc_Op<"batch_matmul", [SameOperandsAndResultElementType,
    Dlc_Contraction, Dlc_AutocastLowPrecision, Dlc_Differentiable]> {
  let summary = "batched matrix product [B, M, K] x [B, K, N] -> [B, M, N]";
  let arguments = (ins Dlc_FloatTensor:$lhs, Dlc_FloatTensor:$rhs);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_DenseOp : Dlc_Op<"dense", [SameOperandsAndResultElementType,
    Dlc_Contraction, Dlc_AutocastLowPrecision, Dlc_Differentiable]> {
  let summary = "fully connected layer: input [..., K] x weight[N, K]^T + bias[N]";
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$weight,
                       Optional<Dlc_FloatTensor>:$bias);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_Conv2dOp : Dlc_Op<"conv2d", [SameOperandsAndResultElementType,
    Dlc_Contraction, Dlc_AutocastLowPrecision, Dlc_Differentiable]> {
  let summary = "2-D convolution (cross-correlation), NCHW input, OIHW weight";
  let description = [{
    `stride` and `dilation` are [h, w]; `padding` is [top, left, bottom,
    right] (the ONNX order); weight is [O, C / groups, KH, KW]; bias is [O].
  }];
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$weight,
                       Optional<Dlc_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_MaxPool2dOp : Dlc_Op<"max_pool2d",
    [SameOperandsAndResultElementType, Dlc_Pooling, Dlc_Differentiable]> {
  let summary = "2-D max pooling over NCHW; padded positions never win";
  let arguments = (ins Dlc_FloatTensor:$input, DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_AvgPool2dOp : Dlc_Op<"avg_pool2d",
    [SameOperandsAndResultElementType, Dlc_Pooling, Dlc_Differentiable]> {
  let summary = "2-D average pooling over NCHW";
  let description = [{
    With `count_include_pad = false` the divisor counts only in-bounds
    elements (PyTorch's count_include_pad=False, ONNX's default).
  }];
  let arguments = (ins Dlc_FloatTensor:$input, DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
  let results = (outs Dlc_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Dlc_ReshapeOp : Dlc_Op<"reshape",
    [SameOperandsAndResultElementType, Dlc_View, Dlc_Differentiable]> {
  let summary = "reshape to `shape` (one entry may be -1, inferred)";
  let arguments = (ins Dlc_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Dlc_Tensor:$result);
}

def Dlc_FlattenOp : Dlc_Op<"flatten",
    [SameOperandsAndResultElementType, Dlc_View, Dlc_Differentiable]> {
  let summary = "flatten to 2-D: [prod(dims < axis), prod(dims >= axis)]";
  let arguments = (ins Dlc_Tensor:$input, DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs Dlc_Tensor:$result);
}

def Dlc_TransposeOp : Dlc_Op<"transpose",
    [SameOperandsAndResultElementType, Dlc_Elementwise, Dlc_Differentiable]> {
  let summary = "permute dims: result dim i is input dim perm[i]";
  let arguments = (ins Dlc_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Dlc_Tensor:$result);
}

def Dlc_ConcatOp : Dlc_Op<"concat",
    [SameOperandsAndResultElementType, Dlc_Elementwise, Dlc_Differentiable]> {
  let summary = "concatenate along `axis`";
  let arguments = (ins Variadic<Dlc_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
}

def Dlc_SliceOp : Dlc_Op<"slice",
    [SameOperandsAndResultElementType, Dlc_Elementwise, Dlc_Differentiable]> {
  let summary = "strided slice along `axes` (all dims in order when empty)";
  let description = [{
    Python semantics per axis: negative starts/ends count from the end and
    are clamped to [0, dim]; steps are positive.
  }];
  let arguments = (ins Dlc_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$steps);
  let results = (outs Dlc_Tensor:$result);
}

def Dlc_GatherOp : Dlc_Op<"gather", [Dlc_Elementwise]> {
  let summary = "rows of `input` along `axis` at run-time `indices`";
  let description = [{
    ONNX Gather, torch.index_select / nn.Embedding: the result's shape is
    input's dims before `axis`, then indices' dims, then input's dims after
    `axis`. A negative index counts from the end. An index still outside
    [0, dim) is clamped to the nearest row: a kernel cannot report it
    cheaply, so the reference interpreter clamps too (ONNX leaves the
    result undefined; PyTorch raises).
  }];
  let arguments = (ins Dlc_Tensor:$input, Dlc_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Dlc_Tensor:$result);
}

def Dlc_BroadcastOp : Dlc_Op<"broadcast",
    [SameOperandsAndResultElementType, Dlc_View, Dlc_Differentiable]> {
  let summary = "broadcast to `shape` by numpy rules";
  let arguments = (ins Dlc_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Dlc_Tensor:$result);
}

def Dlc_ConstantOp : Dlc_Op<"constant", [ConstantLike, Dlc_AutocastKeep]> {
  let summary = "a constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Dlc_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Dlc_SoftmaxCrossEntropyOp : Dlc_Op<"softmax_cross_entropy",
    [Dlc_Reduction, Dlc_AutocastF32, Dlc_Differentiable]> {
  let summary = "mean over the batch of -log softmax(logits)[label]";
  let description = [{
    logits are [N, C] floats, labels [N] integers in [0, C); the result is a
    0-d tensor of the logits' element type.
  }];
  let arguments = (ins Dlc_FloatTensor:$logits, Dlc_IndexTensor:$labels);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_MseLossOp : Dlc_Op<"mse_loss", [SameOperandsElementType,
    Dlc_Reduction, Dlc_AutocastF32, Dlc_Differentiable]> {
  let summary = "mean of (input - target)^2 over all elements, a 0-d tensor";
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$target);
  let results = (outs Dlc_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Recurrent layers (ONNX LSTM/GRU semantics; --dlc-unroll-recurrent lowers
// them to the ops above before autodiff and fusion)
//===----------------------------------------------------------------------===//

// Shared operands: input [seq, batch, input_size]; weight [dirs, G*H,
// input_size]; recurrence [dirs, G*H, H]; optional bias [dirs, 2*G*H] (the
// input biases, then the recurrence biases); optional initial_h (and LSTM's
// initial_c) [dirs, batch, H], zeros when absent. dirs is 2 for
// `bidirectional`, else 1. Activations are the ONNX defaults (sigmoid for
// the gates, tanh elsewhere); the sequence length is the static seq dim.
class Dlc_RecurrentOp<string mnemonic> : Dlc_Op<mnemonic,
    [AttrSizedOperandSegments, SameOperandsAndResultElementType]>;

def Dlc_LstmOp : Dlc_RecurrentOp<"lstm"> {
  let summary = "LSTM layer over a static sequence (ONNX LSTM, gates iofc)";
  let description = [{
    Per direction and step t (t = seq-1 ... 0 for `reverse` and for the
    second direction of `bidirectional`), with gate blocks in the order
    i, o, f, c of weight, recurrence and bias:
      i = sigmoid(x_t Wi^T + h Ri^T + Wbi + Rbi), o, f likewise,
      c~ = tanh(x_t Wc^T + h Rc^T + Wbc + Rbc),
      c = f * c + i * c~,  h = o * tanh(c).
    Results: y [seq, dirs, batch, H] (h of every step, in sequence order),
    y_h and y_c [dirs, batch, H] (the last step of each direction).
  }];
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$weight,
                       Dlc_FloatTensor:$recurrence,
                       Optional<Dlc_FloatTensor>:$bias,
                       Optional<Dlc_FloatTensor>:$initial_h,
                       Optional<Dlc_FloatTensor>:$initial_c,
                       I64Attr:$hidden_size,
                       DefaultValuedAttr<StrAttr, "\"forward\"">:$direction);
  let results = (outs Dlc_FloatTensor:$y, Dlc_FloatTensor:$y_h,
                      Dlc_FloatTensor:$y_c);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)?
    (`initial_h` $initial_h^)? (`initial_c` $initial_c^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Dlc_GruOp : Dlc_RecurrentOp<"gru"> {
  let summary = "GRU layer over a static sequence (ONNX GRU, gates zrh)";
  let description = [{
    Per direction and step, gate blocks in the order z, r, h:
      z = sigmoid(x_t Wz^T + h Rz^T + Wbz + Rbz), r likewise,
      n = tanh(x_t Wh^T + (r * h) Rh^T + Rbh + Wbh)       (default), or
      n = tanh(x_t Wh^T + r * (h Rh^T + Rbh) + Wbh)   (linear_before_reset,
                                                       as PyTorch exports),
      h = (1 - z) * n + z * h.
    Results: y [seq, dirs, batch, H] and y_h [dirs, batch, H].
  }];
  let arguments = (ins Dlc_FloatTensor:$input, Dlc_FloatTensor:$weight,
                       Dlc_FloatTensor:$recurrence,
                       Optional<Dlc_FloatTensor>:$bias,
                       Optional<Dlc_FloatTensor>:$initial_h,
                       I64Attr:$hidden_size,
                       DefaultValuedAttr<StrAttr, "\"forward\"">:$direction,
                       DefaultValuedAttr<BoolAttr, "false">:$linear_before_reset);
  let results = (outs Dlc_FloatTensor:$y, Dlc_FloatTensor:$y_h);
  let assemblyFormat = [{
    $input `,` $weight `,` $recurrence (`bias` $bias^)?
    (`initial_h` $initial_h^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Fusion (grouping for codegen; verifiers in FusionOps.cpp)
//===----------------------------------------------------------------------===//

def Dlc_FusionOp : Op<Dlc_Dialect, "fusion",
    [IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects,
     RecursivelySpeculatable]> {
  let summary = "a group of dlc ops that becomes one kernel";
  let description = [{
    Operands are the values the group reads from outside, results the values
    used outside. The single block has one argument per operand (same type)
    and ends in `dlc.yield` of the results. The body holds dlc ops only, no
    nested fusion; constants are cloned inside.

    `kind` is `elementwise`, `reduction` (a reduce_*, softmax, log_softmax,
    layer_norm, loss or pooling op with its elementwise prologue/epilogue)
    or `contraction` (matmul, batch_matmul, dense or conv2d with its
    epilogue, maybe a pool), or `multi_tensor` (optimizer updates only, of
    any number of params); it must agree with the body. `name` is a C
    identifier that later names the kernel (`k2_conv2_relu2`).

    ```mlir
    %r = dlc.fusion elementwise "k0_scale_relu"
        (%a = %x : tensor<4x8xf32>, %b = %y : tensor<8xf32>) -> tensor<4x8xf32> {
      %0 = dlc.mul %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
      %1 = dlc.relu %0 : tensor<4x8xf32>
      dlc.yield %1 : tensor<4x8xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Dlc_Tensor>:$inputs, StrAttr:$kind,
                       StrAttr:$name);
  let results = (outs Variadic<Dlc_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    /// The kind strings, in one place.
    static constexpr ::llvm::StringLiteral kElementwise = "elementwise";
    static constexpr ::llvm::StringLiteral kReduction = "reduction";
    static constexpr ::llvm::StringLiteral kContraction = "contraction";
    /// Optimizer updates of many params in one launch
    /// (--dlc-fuse-optimizer, codegen/MultiTensorKernels.h).
    static constexpr ::llvm::StringLiteral kMultiTensor = "multi_tensor";
  }];
}

def Dlc_YieldOp : Op<Dlc_Dialect, "yield",
    [Pure, Terminator, HasParent<"FusionOp">]> {
  let summary = "returns the results of a dlc.fusion body";
  let arguments = (ins Variadic<Dlc_Tensor>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// Backward ops (built by --dlc-autodiff where no forward op expresses the
// vector-Jacobian product; rules in Gradients.cpp)
//===----------------------------------------------------------------------===//

def Dlc_Conv2dBackwardInputOp : Dlc_Op<"conv2d_backward_input",
    [SameOperandsAndResultElementType, Dlc_Contraction,
     Dlc_AutocastLowPrecision]> {
  let summary = "gradient of conv2d with respect to its input";
  let description = [{
    `grad_output` is the cotangent of a conv2d result [N, O, OH, OW], weight
    its OIHW weight; the result has shape `input_shape` [N, C, H, W], the
    forward input's: dx[n][c][iy][ix] = sum over (o, i, j) in c's group with
    iy = y*sh - pt + i*dh, ix = x*sw - pl + j*dw of
    grad_output[n][o][y][x] * weight[o][c % (C/groups)][i][j] (a transposed
    convolution). Attributes as conv2d's.
  }];
  let arguments = (ins Dlc_FloatTensor:$grad_output, Dlc_FloatTensor:$weight,
                       DenseI64ArrayAttr:$input_shape,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_Conv2dBackwardWeightOp : Dlc_Op<"conv2d_backward_weight",
    [SameOperandsAndResultElementType, Dlc_Contraction,
     Dlc_AutocastLowPrecision]> {
  let summary = "gradient of conv2d with respect to its weight";
  let description = [{
    `grad_output` [N, O, OH, OW] is the cotangent of a conv2d of `input`
    [N, C, H, W]; the result is [O, C / groups, KH, KW] with `kernel_size`
    [KH, KW]: dw[o][c][i][j] = sum over (n, y, x) of grad_output[n][o][y][x]
    * input[n][g*C/groups + c][y*sh - pt + i*dh][x*sw - pl + j*dw] (zero
    outside the image), g = o / (O / groups). Attributes as conv2d's.

    With `k_splits` S > 1 (set by --dlc-split-k) the result is S partial
    sums [S, O, C / groups, KH, KW]: partial s sums the terms whose flat
    index (n * OH + y) * OW + x lies in [s * ceil(K / S), (s + 1) *
    ceil(K / S)), K = N * OH * OW; their sum over axis 0 is the gradient.
  }];
  let arguments = (ins Dlc_FloatTensor:$grad_output, Dlc_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       DefaultValuedAttr<I64Attr, "1">:$k_splits);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_MaxPool2dBackwardOp : Dlc_Op<"max_pool2d_backward",
    [SameOperandsAndResultElementType, Dlc_Pooling]> {
  let summary = "gradient of max_pool2d with respect to its input";
  let description = [{
    Routes each element of `grad_output` (the cotangent of
    max_pool2d(input)) to the position of its window's maximum in `input`
    (the first one in row-major window order on ties; padding never wins)
    and sums what lands on one position. The result has the input's type.
    Attributes as max_pool2d's.
  }];
  let arguments = (ins Dlc_FloatTensor:$grad_output, Dlc_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_AvgPool2dBackwardOp : Dlc_Op<"avg_pool2d_backward",
    [SameOperandsAndResultElementType, Dlc_Pooling]> {
  let summary = "gradient of avg_pool2d with respect to its input";
  let description = [{
    Spreads each element of `grad_output` evenly (divided by the forward
    divisor, see avg_pool2d's count_include_pad) over the in-bounds
    positions of its window, summing overlaps; the result has shape
    `input_shape`. Attributes as avg_pool2d's.
  }];
  let arguments = (ins Dlc_FloatTensor:$grad_output,
                       DenseI64ArrayAttr:$input_shape,
                       DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
  let results = (outs Dlc_FloatTensor:$result);
}

def Dlc_SliceBackwardOp : Dlc_Op<"slice_backward",
    [SameOperandsAndResultElementType, Dlc_Elementwise]> {
  let summary = "gradient of slice: scatter into zeros of `input_shape`";
  let description = [{
    The result has shape `input_shape`; it is zero except at the positions
    that slice(starts, ends, axes, steps) reads, which receive the elements
    of `grad` in order. Attributes as slice's.
  }];
  let arguments = (ins Dlc_FloatTensor:$grad, DenseI64ArrayAttr:$input_shape,
                       DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$ends,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$steps);
  let results = (outs Dlc_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Attention (built by --dlc-fuse-attention from matmul/softmax/matmul)
//===----------------------------------------------------------------------===//

def Dlc_AttentionOp : Dlc_Op<"attention", [Dlc_Contraction,
    Dlc_Differentiable]> {
  let summary = "scaled dot-product attention, FlashAttention-2 style";
  let description = [{
    query [B, H, Tq, D], key [B, H, Tk, D], value [B, H, Tk, Dv]:
      s = scale * query key^T + mask  (-inf where `causal` and j > i),
      result = softmax(s, axis -1) value             [B, H, Tq, Dv],
      logsumexp = log(sum_j exp(s[.., i, j]))        [B, H, Tq].
    `mask` is additive (0 keeps a key, -inf drops it), numpy-broadcastable
    to [B, H, Tq, Tk]; a padding mask is [B, 1, 1, Tk]. `causal` is top-left
    aligned (PyTorch's is_causal). logsumexp (f32; f64 for f64 operands) is
    what attention_backward needs to recompute the probabilities, so no
    [Tq, Tk] tensor is ever stored.
  }];
  let arguments = (ins Dlc_FloatTensor:$query, Dlc_FloatTensor:$key,
                       Dlc_FloatTensor:$value,
                       Optional<Dlc_FloatTensor>:$mask, F64Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal);
  let results = (outs Dlc_FloatTensor:$result, Dlc_FloatTensor:$logsumexp);
}

def Dlc_AttentionBackwardOp : Dlc_Op<"attention_backward",
    [Dlc_Contraction]> {
  let summary = "gradient of attention with respect to query, key and value";
  let description = [{
    Operands as attention's, then its `output` and `logsumexp` and the
    cotangent `grad_output` of its result (mask last, optional). With
    P = exp(s - logsumexp) and delta_i = sum_d grad_output[i, d] output[i, d]:
      grad_value = P^T grad_output,
      dS = P * (grad_output value^T - delta),
      grad_query = scale * dS key,  grad_key = scale * dS^T query.
  }];
  let arguments = (ins Dlc_FloatTensor:$query, Dlc_FloatTensor:$key,
                       Dlc_FloatTensor:$value, Dlc_FloatTensor:$output,
                       Dlc_FloatTensor:$logsumexp,
                       Dlc_FloatTensor:$grad_output,
                       Optional<Dlc_FloatTensor>:$mask, F64Attr:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal);
  let results = (outs Dlc_FloatTensor:$grad_query, Dlc_FloatTensor:$grad_key,
                      Dlc_FloatTensor:$grad_value);
}

//===----------------------------------------------------------------------===//
// Optimizer updates (built by dlc train's training step)
//===----------------------------------------------------------------------===//

// One update of one parameter tensor: `param`, `grad` and every state tensor
// share one type; `step` (the 1-based update count) and `lr` are 0-d tensors
// of that element type, so a learning-rate schedule needs no recompile. The
// results are the new parameter and the new state, in operand order.
// Semantics follow torch.optim (docs/training.md). Two optional 0-d f32
// operands serve dynamic loss scaling: `grad_scale` multiplies the gradient
// before anything else; when `skip` is nonzero every result equals its input
// (param and state unchanged, e.g. after an overflowed fp16 step).

def Dlc_SgdUpdateOp : Dlc_Op<"sgd_update",
    [AttrSizedOperandSegments, Dlc_OptimizerUpdate, Dlc_AutocastF32]> {
  let summary = "SGD with momentum (and nesterov), L2 weight decay";
  let description = [{
    g = grad + weight_decay * param; buf = momentum * buf + g (buf starts at
    zero: torch's first step); d = nesterov ? g + momentum * buf : buf (d = g
    when momentum is 0); param - lr * d. Results: new param, new buffer.
    `step` is unused (kept so every update op has the same operands).
  }];
  let arguments = (ins Dlc_FloatTensor:$param, Dlc_FloatTensor:$grad,
                       Dlc_FloatTensor:$momentum_buffer,
                       Dlc_FloatTensor:$step, Dlc_FloatTensor:$lr,
                       Optional<Dlc_FloatTensor>:$grad_scale,
                       Optional<Dlc_FloatTensor>:$skip,
                       DefaultValuedAttr<F64Attr, "0.0">:$momentum,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay,
                       DefaultValuedAttr<BoolAttr, "false">:$nesterov);
  let results = (outs Dlc_FloatTensor:$new_param,
                      Dlc_FloatTensor:$new_momentum_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $momentum_buffer `,` $step `,` $lr
    (`grad_scale` $grad_scale^)? (`skip` $skip^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

class Dlc_AdamLikeOp<string mnemonic, string what>
    : Dlc_Op<mnemonic, [AttrSizedOperandSegments, Dlc_OptimizerUpdate,
                        Dlc_AutocastF32]> {
  let summary = what;
  let arguments = (ins Dlc_FloatTensor:$param, Dlc_FloatTensor:$grad,
                       Dlc_FloatTensor:$exp_avg, Dlc_FloatTensor:$exp_avg_sq,
                       Dlc_FloatTensor:$step, Dlc_FloatTensor:$lr,
                       Optional<Dlc_FloatTensor>:$grad_scale,
                       Optional<Dlc_FloatTensor>:$skip,
                       DefaultValuedAttr<F64Attr, "0.9">:$beta1,
                       DefaultValuedAttr<F64Attr, "0.999">:$beta2,
                       DefaultValuedAttr<F64Attr, "1e-8">:$eps,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay);
  let results = (outs Dlc_FloatTensor:$new_param, Dlc_FloatTensor:$new_exp_avg,
                      Dlc_FloatTensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $step `,` $lr
    (`grad_scale` $grad_scale^)? (`skip` $skip^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Dlc_AdamUpdateOp : Dlc_AdamLikeOp<"adam_update",
    "Adam with bias correction, L2 weight decay added to the gradient"> {
  let description = [{
    g = grad + weight_decay * param; m = beta1 m + (1 - beta1) g;
    v = beta2 v + (1 - beta2) g^2; param - lr * (m / (1 - beta1^step)) /
    (sqrt(v / (1 - beta2^step)) + eps). Results: new param, m, v.
  }];
}

def Dlc_AdamwUpdateOp : Dlc_AdamLikeOp<"adamw_update",
    "AdamW: Adam with decoupled weight decay"> {
  let description = [{
    param * (1 - lr * weight_decay), then the Adam step without L2 on the
    gradient. Results: new param, m, v.
  }];
}

#endif // DLC_OPS_TD
