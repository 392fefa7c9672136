//===- OpSchema.cpp - the table of ops a model file may use ---------------===//
//
// The ops a model file may use. Their names, operands and attributes are
// ODS's (OpSchema.inc, generated from ir/DlcOps.td by gen_op_schema.py), so
// a new op is importable from JSON with no edit here; this file adds only
// the looser spellings a model file may use.
//
//===----------------------------------------------------------------------===//
#include "frontend/OpSchema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cstring>

namespace dlc {

namespace {
using K = AttrKind;

/// How a model file may spell an attribute more loosely than ODS stores it:
/// a JSON kind other than the ODS one, a default the frontend fills in, or a
/// frontend-only key. Everything else about an op comes from ODS.
struct Spelling {
  const char *op;
  AttrSpec attr;
};
const Spelling kSpellings[] = {
    {"conv2d", {"stride", K::Pair, false, "[1, 1]"}},
    {"conv2d", {"padding", K::Padding, false, "0"}},
    {"conv2d", {"dilation", K::Pair, false, "[1, 1]"}},
    {"max_pool2d", {"kernel_size", K::Pair, true}},
    {"max_pool2d", {"stride", K::Pair, false, "@kernel_size"}},
    {"max_pool2d", {"padding", K::Padding, false, "0"}},
    {"max_pool2d", {"dilation", K::Pair, false, "[1, 1]"}},
    {"avg_pool2d", {"kernel_size", K::Pair, true}},
    {"avg_pool2d", {"stride", K::Pair, false, "@kernel_size"}},
    {"avg_pool2d", {"padding", K::Padding, false, "0"}},
    // The element type of `value`; not an IR attribute.
    {"constant", {"dtype", K::ValueType, false}},
};

const std::vector<OpSchema> &table() {
  static const std::vector<OpSchema> ops = [] {
    // Names, operands and attributes from ir/DlcOps.td (gen_op_schema.py).
    std::vector<OpSchema> t = {
#include "frontend/OpSchema.inc"
    };
    for (const Spelling &sp : kSpellings) {
      auto op = llvm::find_if(
          t, [&](const OpSchema &o) { return !strcmp(o.name, sp.op); });
      if (op == t.end())
        llvm::report_fatal_error(llvm::Twine("OpSchema.cpp: a spelling for "
                                             "dlc.") +
                                 sp.op + ", which ODS does not define");
      auto attr = llvm::find_if(op->attrs, [&](const AttrSpec &a) {
        return !strcmp(a.name, sp.attr.name);
      });
      if (attr == op->attrs.end())
        op->attrs.push_back(sp.attr);
      else
        *attr = sp.attr;
    }
    return t;
  }();
  return ops;
}
} // namespace

const AttrSpec *OpSchema::findAttr(llvm::StringRef attr) const {
  for (const AttrSpec &a : attrs)
    if (attr == a.name)
      return &a;
  return nullptr;
}

const OpSchema *lookupOp(llvm::StringRef name) {
  for (const OpSchema &op : table())
    if (name == op.name)
      return &op;
  return nullptr;
}

llvm::ArrayRef<OpSchema> allOps() { return table(); }

llvm::StringRef nearestOpName(llvm::StringRef name) {
  llvm::StringRef best;
  unsigned bestDist = UINT_MAX;
  for (const OpSchema &op : table()) {
    unsigned d = name.lower() == op.name
                     ? 0
                     : name.edit_distance(op.name, /*AllowReplacements=*/true);
    if (d < bestDist) {
      bestDist = d;
      best = op.name;
    }
  }
  // Close enough to be a typo: a third of the name, at least 2 edits.
  unsigned limit = std::max<unsigned>(2, name.size() / 3);
  return bestDist <= limit ? best : llvm::StringRef();
}

} // namespace dlc
