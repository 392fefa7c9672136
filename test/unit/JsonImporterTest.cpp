//===- JsonImporterTest.cpp - the op schema table, positions, the API -----===//
#include "frontend/Import.h"
#include "frontend/JsonPositions.h"
#include "frontend/OpSchema.h"
#include "ir/DlcDialect.h"
#include "ir/DlcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

using namespace mlir;

namespace {

// The schema table and the dialect must agree: the same graph ops (those
// with a shape rule; dlc.fusion and dlc.yield are compiler-internal), and
// each op's attributes are exactly its ODS attributes (plus frontend-only
// keys).
TEST(OpSchemaTest, MatchesTheDialect) {
  MLIRContext ctx;
  ctx.loadDialect<mlir::dlc::DlcDialect>();
  std::set<std::string> registered;
  // The backward ops (conv2d_backward_input, ...) and the optimizer updates
  // (adam_update, ...) are built by --dlc-autodiff and the training step,
  // never spelled in a model.
  for (RegisteredOperationName op : ctx.getRegisteredOperations())
    if (op.getDialectNamespace() == "dlc" &&
        op.hasInterface<InferTypeOpInterface>() &&
        !op.stripDialect().contains("_backward") &&
        !op.stripDialect().ends_with("_update"))
      registered.insert(op.stripDialect().str());
  std::set<std::string> inTable;
  for (const ::dlc::OpSchema &op : ::dlc::allOps()) {
    inTable.insert(op.name);
    auto name = RegisteredOperationName::lookup(
        std::string("dlc.") + op.name, &ctx);
    ASSERT_TRUE(name) << op.name;
    std::set<std::string> ods, ours;
    for (StringAttr a : name->getAttributeNames())
      if (a != "operandSegmentSizes") // from the inputs given (dlc.lstm)
        ods.insert(a.str());
    for (const ::dlc::AttrSpec &a : op.attrs)
      if (a.kind != ::dlc::AttrKind::ValueType)
        ours.insert(a.name);
    EXPECT_EQ(ours, ods) << op.name;
  }
  EXPECT_EQ(inTable, registered);
}

TEST(OpSchemaTest, SuggestsNearNames) {
  EXPECT_EQ(::dlc::nearestOpName("conv2"), "conv2d");
  EXPECT_EQ(::dlc::nearestOpName("maxpool2d"), "max_pool2d");
  EXPECT_EQ(::dlc::nearestOpName("Softmax"), "softmax");
  EXPECT_EQ(::dlc::nearestOpName("frobnicate"), "");
}

TEST(JsonPositionsTest, RecordsOffsetsAndDuplicates) {
  std::string text = "{\"a\": [1, {\"b\": \"x\\\"]\"}],\n \"c/d\": 2, \"a\": 3}";
  ::dlc::JsonPositions pos(text, 6);
  EXPECT_EQ(pos.offset(""), 0u);
  EXPECT_EQ(pos.offset("/a"), text.find('['));
  EXPECT_EQ(pos.offset("/a/0"), text.find('1'));
  EXPECT_EQ(pos.offset("/a/1"), text.find("{\"b\""));
  EXPECT_EQ(pos.offset("/a/1/b"), text.find("\"x"));
  // Escaped '/' in a key; the value follows a line break.
  EXPECT_EQ(pos.offset("/c~1d"), text.find('2'));
  EXPECT_EQ(pos.lineCol(*pos.offset("/c~1d")), std::make_pair(2u, 9u));
  ASSERT_TRUE(pos.duplicateKey());
  EXPECT_EQ(*pos.duplicateKey(), "/a");
  EXPECT_FALSE(pos.offset("/a/2"));
}

TEST(JsonPositionsTest, DepthLimitAndDeepNesting) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  ::dlc::JsonPositions pos(deep, 2);
  EXPECT_EQ(pos.offset("/0/0"), 2u);
  EXPECT_FALSE(pos.offset("/0/0/0"));
}

class ImportTest : public ::testing::Test {
protected:
  void SetUp() override {
    ctx.loadDialect<mlir::dlc::DlcDialect, func::FuncDialect>();
    dir = std::filesystem::path(::testing::TempDir()) /
          ("dlc-import-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  /// Imports `text`; collects the error messages.
  OwningOpRef<ModuleOp> import(const std::string &text,
                               ::dlc::ImportOptions opts = {}) {
    std::string p = (dir / "m.json").string();
    std::ofstream(p) << text;
    ScopedDiagnosticHandler h(&ctx, [&](Diagnostic &d) {
      errors.push_back(d.str());
      return success();
    });
    return ::dlc::importModel(ctx, p, opts);
  }
  MLIRContext ctx;
  std::filesystem::path dir;
  std::vector<std::string> errors;
};

TEST_F(ImportTest, NodesInAnyOrderAndBatchOverride) {
  auto m = import(R"({"format": "dlc-model", "version": 1,
    "inputs": [{"name": "x", "shape": [4, 3]}],
    "nodes": [{"name": "b", "op": "exp", "inputs": ["a"]},
              {"name": "a", "op": "relu", "inputs": ["x"]}],
    "outputs": ["b"]})",
                  ::dlc::ImportOptions{5});
  ASSERT_TRUE(m) << (errors.empty() ? "" : errors[0]);
  auto f = m->lookupSymbol<func::FuncOp>("forward");
  ASSERT_TRUE(f);
  auto &ops = f.getBody().front().getOperations();
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_TRUE(isa<mlir::dlc::ReluOp>(ops.front()));
  EXPECT_EQ(f.getFunctionType().getResult(0),
            RankedTensorType::get({5, 3}, Float32Type::get(&ctx)));
  EXPECT_EQ(m->getOperation()->getAttrOfType<StringAttr>("dlc.model").str(),
            "m");
}

TEST_F(ImportTest, BadInputNeverCrashes) {
  // Odd shapes of JSON in every slot: each is one clean error.
  const char *cases[] = {
      "", "null", "{}", "[]", "{\"format\": 1}",
      R"({"format": "dlc-model", "version": 1, "inputs": {}, "nodes": [], "outputs": []})",
      R"({"format": "dlc-model", "version": 1, "inputs": [null], "nodes": [{}], "outputs": [1]})",
      R"({"format": "dlc-model", "version": 1, "inputs": [{"name": 1, "shape": 2}], "nodes": [], "outputs": []})",
      R"({"format": "dlc-model", "version": 1, "inputs": [], "nodes": [{"name": "c", "op": "constant", "attributes": {"value": [[[]]]}}], "outputs": ["c"]})",
      R"({"format": "dlc-model", "version": 1, "inputs": [], "nodes": [{"name": "c", "op": "constant", "attributes": {"value": 1e999}}], "outputs": ["c"]})",
      R"({"format": "dlc-model", "version": 1, "inputs": [{"name": "x", "shape": [2]}], "nodes": [{"name": "c", "op": "concat", "inputs": ["x", "x"], "attributes": {"axis": 99999999999999999999}}], "outputs": ["c"]})",
      R"({"format": "dlc-model", "version": 1, "inputs": [{"name": "x", "shape": [2]}], "nodes": [{"name": "c", "op": "relu", "inputs": ["c"]}], "outputs": ["c"]})",
      R"({"format": "dlc-model", "version": 1, "inputs": [], "nodes": [{"name": "c", "op": "constant", "attributes": {"value": [[[[[[{"a": 1, "a": 2}]]]]]]}}], "outputs": ["c"]})",
      R"({"format": "dlc-model", "version": 1, "seed": -1, "inputs": [], "nodes": [], "outputs": []})",
  };
  for (const char *text : cases) {
    errors.clear();
    EXPECT_FALSE(import(text)) << text;
    EXPECT_EQ(errors.size(), 1u) << text;
    for (const std::string &e : errors)
      EXPECT_EQ(e.find("internal error"), std::string::npos) << e;
  }
  // Deep nesting: no stack overflow, no quadratic scan.
  errors.clear();
  std::string deep = R"({"format": "dlc-model", "version": 1, "nodes": )" +
                     std::string(100000, '[') + std::string(100000, ']') +
                     "}";
  EXPECT_FALSE(import(deep));
  EXPECT_EQ(errors.size(), 1u);
}

} // namespace
