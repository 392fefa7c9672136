//===- ShapeRulesTest.cpp - builders infer result types from the rules ----===//
#include "ir/DlcOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class ShapeRulesTest : public ::testing::Test {
protected:
  ShapeRulesTest() : builder(&ctx) {
    ctx.loadDialect<dlc::DlcDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }
  /// A value of the given type, made by a constant of zeros.
  Value zeros(ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, builder.getF32Type());
    return dlc::ConstantOp::create(builder, builder.getUnknownLoc(),
        DenseElementsAttr::get(type, builder.getF32FloatAttr(0)));
  }
  MLIRContext ctx;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(ShapeRulesTest, GroupedConvInfersOutputSize) {
  Value x = zeros({2, 3, 17, 11}), w = zeros({6, 1, 3, 3});
  auto conv = dlc::Conv2dOp::create(
      builder, builder.getUnknownLoc(), x, w, /*bias=*/Value(),
      builder.getDenseI64ArrayAttr({2, 1}),
      builder.getDenseI64ArrayAttr({1, 0, 1, 0}),
      builder.getDenseI64ArrayAttr({1, 2}), builder.getI64IntegerAttr(3));
  // H: (17 + 1 + 1 - 3) / 2 + 1 = 9; W: (11 - (2 * 2 + 1)) / 1 + 1 = 7.
  EXPECT_EQ(conv.getType().getShape(), ArrayRef<int64_t>({2, 6, 9, 7}));
  EXPECT_TRUE(succeeded(verify(conv)));
}

TEST_F(ShapeRulesTest, MatmulBroadcastsBatchDims) {
  auto mm = dlc::MatmulOp::create(builder, builder.getUnknownLoc(),
                                          zeros({4, 1, 5, 6}),
                                          zeros({3, 6, 2}));
  EXPECT_EQ(mm.getType().getShape(), ArrayRef<int64_t>({4, 3, 5, 2}));
  EXPECT_TRUE(succeeded(verify(mm)));
}

TEST_F(ShapeRulesTest, ReshapeInfersMinusOne) {
  auto r = dlc::ReshapeOp::create(builder, builder.getUnknownLoc(), zeros({6, 4}),
      builder.getDenseI64ArrayAttr({3, -1, 2}));
  EXPECT_EQ(r.getType().getShape(), ArrayRef<int64_t>({3, 4, 2}));
}

} // namespace
