//===- FusionOps.cpp - dlc.fusion and dlc.yield ---------------------------===//
//
// The op classes that fusion works with, and the verifier and custom
// assembly of dlc.fusion:
//
//   %r = dlc.fusion <kind> "<name>" (%arg = %operand : type, ...) -> types
//            [attributes {...}] { body ending in dlc.yield }
//
//===----------------------------------------------------------------------===//
#include "ir/FusionOps.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::dlc;

// The classes are traits on the ops (ir/DlcTraits.td), so a new op says how
// it fuses where it is defined.
OpClass mlir::dlc::classifyOp(Operation *op) {
  if (isa<ConstantOp>(op))
    return OpClass::Constant;
  if (op->hasTrait<OpTrait::dlc::View>())
    return OpClass::View;
  if (op->hasTrait<OpTrait::dlc::Elementwise>())
    return OpClass::Elementwise;
  if (op->hasTrait<OpTrait::dlc::Reduction>())
    return OpClass::Reduction;
  if (op->hasTrait<OpTrait::dlc::Contraction>())
    return OpClass::Contraction;
  if (op->hasTrait<OpTrait::dlc::Pooling>())
    return OpClass::Pool;
  return OpClass::Other;
}

bool mlir::dlc::isOptimizerUpdate(Operation *op) {
  return op->hasTrait<OpTrait::dlc::OptimizerUpdate>();
}

std::pair<Value, Value> mlir::dlc::optimizerLossScaling(Operation *update) {
  if (auto o = dyn_cast<SgdUpdateOp>(update))
    return {o.getGradScale(), o.getSkip()};
  if (auto o = dyn_cast<AdamUpdateOp>(update))
    return {o.getGradScale(), o.getSkip()};
  if (auto o = dyn_cast<AdamwUpdateOp>(update))
    return {o.getGradScale(), o.getSkip()};
  return {};
}

bool mlir::dlc::isDepthwiseConv(Operation *op) {
  int64_t groups = 0, in = 0, out = 0, perGroup = 0;
  if (auto c = dyn_cast<Conv2dOp>(op)) {
    groups = c.getGroups(); // I64Attr getters return uint64_t
    in = shapeOf(c.getInput())[1];
    out = shapeOf(c.getWeight())[0];
    perGroup = shapeOf(c.getWeight())[1];
  } else if (auto c = dyn_cast<Conv2dBackwardInputOp>(op)) {
    groups = c.getGroups();
    in = c.getInputShape()[1];
    out = shapeOf(c.getWeight())[0];
    perGroup = shapeOf(c.getWeight())[1];
  } else if (auto c = dyn_cast<Conv2dBackwardWeightOp>(op)) {
    groups = c.getGroups();
    in = shapeOf(c.getInput())[1];
    out = shapeOf(c.getGradOutput())[1];
    perGroup = in / std::max<int64_t>(1, groups);
  } else {
    return false;
  }
  return groups > 1 && in == groups && out == groups && perGroup == 1;
}

bool mlir::dlc::isDirectBackwardOp(Operation *op) {
  if (isa<MaxPool2dBackwardOp, AvgPool2dBackwardOp, SliceBackwardOp>(op))
    return true;
  return isa<Conv2dBackwardInputOp, Conv2dBackwardWeightOp>(op) &&
         isDepthwiseConv(op);
}

FusionAnchors mlir::dlc::findAnchors(FusionOp fusion) {
  FusionAnchors found;
  for (Operation &op : fusion.getBodyBlock().without_terminator()) {
    OpClass c = classifyOp(&op);
    if (c == OpClass::Pool)
      found.pool = &op;
    else if (c == OpClass::Contraction || c == OpClass::Reduction)
      found.anchor = &op;
  }
  return found;
}

StringRef mlir::dlc::fusionKindFor(bool hasContraction,
                                   bool hasReductionOrPool) {
  if (hasContraction)
    return FusionOp::kContraction;
  if (hasReductionOrPool)
    return FusionOp::kReduction;
  return FusionOp::kElementwise;
}

std::string mlir::dlc::sanitizeIdentifier(StringRef s) {
  std::string out = s.str();
  for (char &c : out)
    if (!llvm::isAlnum(c) && c != '_')
      c = '_';
  return out;
}

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

LogicalResult FusionOp::verify() {
  StringRef kind = getKind();
  if (kind != kElementwise && kind != kReduction && kind != kContraction &&
      kind != kMultiTensor)
    return emitOpError() << "expects kind 'elementwise', 'reduction', "
                            "'contraction' or 'multi_tensor', got '"
                         << kind << "'";
  StringRef name = getName();
  if (name.empty() || llvm::isDigit(name.front()) ||
      sanitizeIdentifier(name) != name)
    return emitOpError() << "expects name to be an identifier of "
                            "[A-Za-z0-9_] not starting with a digit, got \""
                         << name << "\"";
  return success();
}

LogicalResult FusionOp::verifyRegions() {
  Block &body = getBodyBlock();
  if (body.getNumArguments() != getNumOperands())
    return emitOpError() << "expects one block argument per operand, got "
                         << body.getNumArguments() << " and "
                         << getNumOperands();
  for (auto [i, arg, operand] :
       llvm::enumerate(body.getArguments(), getOperands()))
    if (arg.getType() != operand.getType())
      return emitOpError() << "expects block argument #" << i
                           << " to have the operand's type "
                           << operand.getType() << ", got " << arg.getType();

  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "expects the body to end in 'dlc.yield'";
  if (yield.getNumOperands() != getNumResults())
    return emitOpError() << "expects 'dlc.yield' of " << getNumResults()
                         << " values (one per result), got "
                         << yield.getNumOperands();
  for (auto [i, value, result] :
       llvm::enumerate(yield.getValues(), getResults()))
    if (value.getType() != result.getType())
      return emitOpError() << "expects yielded value #" << i
                           << " to have the result's type " << result.getType()
                           << ", got " << value.getType();

  // A multi_tensor body is optimizer updates (and constants) only; updates
  // appear nowhere else.
  bool multiTensor = getKind() == kMultiTensor;
  for (Operation &op : body.without_terminator())
    if (multiTensor != isOptimizerUpdate(&op) && !isa<ConstantOp>(op))
      return emitOpError() << (multiTensor
                                   ? "expects only optimizer updates in a "
                                     "'multi_tensor' body, got '"
                                   : "expects optimizer updates only in a "
                                     "'multi_tensor' fusion, got '")
                           << op.getName() << "'";
  if (multiTensor)
    return success();

  int anchors = 0, pools = 0;
  bool hasContraction = false, hasReductionOrPool = false;
  for (Operation &op : body.without_terminator()) {
    OpClass cls = classifyOp(&op);
    if (cls == OpClass::Other)
      return emitOpError() << "expects only dlc compute ops in its body, got '"
                           << op.getName() << "'";
    hasContraction |= cls == OpClass::Contraction;
    hasReductionOrPool |= cls == OpClass::Reduction || cls == OpClass::Pool;
    anchors += cls == OpClass::Contraction || cls == OpClass::Reduction;
    pools += cls == OpClass::Pool;
  }
  if (anchors > 1)
    return emitOpError() << "expects at most one contraction or reduction op, "
                            "got "
                         << anchors;
  if (pools > 1)
    return emitOpError() << "expects at most one pooling op, got " << pools;
  StringRef expected = fusionKindFor(hasContraction, hasReductionOrPool);
  if (getKind() != expected)
    return emitOpError() << "expects kind '" << expected
                         << "' for its body, got '" << getKind() << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Assembly
//===----------------------------------------------------------------------===//

ParseResult FusionOp::parse(OpAsmParser &parser, OperationState &result) {
  MLIRContext *ctx = parser.getContext();
  StringRef kind;
  std::string name;
  if (parser.parseKeyword(&kind) || parser.parseString(&name))
    return failure();
  result.addAttribute(getKindAttrName(result.name), StringAttr::get(ctx, kind));
  result.addAttribute(getNameAttrName(result.name), StringAttr::get(ctx, name));

  SmallVector<OpAsmParser::Argument> args;
  SmallVector<OpAsmParser::UnresolvedOperand> operands;
  SmallVector<Type> types;
  llvm::SMLoc operandsLoc = parser.getCurrentLocation();
  if (parser.parseCommaSeparatedList(
          OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
            OpAsmParser::Argument arg;
            OpAsmParser::UnresolvedOperand operand;
            if (parser.parseArgument(arg) || parser.parseEqual() ||
                parser.parseOperand(operand) || parser.parseColonType(arg.type))
              return failure();
            args.push_back(arg);
            operands.push_back(operand);
            types.push_back(arg.type);
            return success();
          }))
    return failure();
  if (parser.resolveOperands(operands, types, operandsLoc, result.operands) ||
      parser.parseOptionalArrowTypeList(result.types) ||
      parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  Region *body = result.addRegion();
  return parser.parseRegion(*body, args);
}

void FusionOp::print(OpAsmPrinter &p) {
  p << ' ' << getKind() << ' ';
  p.printString(getName());
  p << " (";
  llvm::interleaveComma(
      llvm::zip(getBodyBlock().getArguments(), getInputs()), p, [&](auto pair) {
        auto [arg, input] = pair;
        p << arg << " = " << input << " : " << input.getType();
      });
  p << ")";
  if (getNumResults())
    p.printArrowTypeList(getResultTypes());
  p.printOptionalAttrDictWithKeyword((*this)->getAttrs(),
                                     {getKindAttrName(), getNameAttrName()});
  p << ' ';
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/true);
}
