//===- OpSchema.h - how each dlc op is spelled in a model file --*- C++ -*-===//
//
// One table: for every op, its JSON name (the dialect mnemonic), its inputs
// in ODS operand order, and its attributes with their JSON kinds, defaults
// and whether they are required. The importer is generic over this table;
// the names come from ODS (generated from ir/DlcOps.td at build time).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_OPSCHEMA_H
#define DLC_FRONTEND_OPSCHEMA_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <climits>
#include <vector>

namespace dlc {

enum class AttrKind {
  Int,      // integer -> i64
  Float,    // number -> f64
  Bool,     // true/false
  String,   // string
  IntList,  // [int, ...] -> dense i64 array
  Pair,     // positive int or [h, w] -> [h, w]
  Padding,  // int, [h, w] or [top, left, bottom, right] -> 4 entries
  DType,    // "f32", ... -> a type
  Value,    // number or nested list -> a dense tensor (constant only)
  ValueType // "f32", ...: the element type of `value`, not an IR attribute
};

struct AttrSpec {
  const char *name;
  AttrKind kind;
  bool required;
  /// JSON text of the value the frontend fills in when the attribute is
  /// absent; "@other" copies attribute `other`. Null: leave it out (the
  /// op's ODS default applies).
  const char *defaultJson = nullptr;
};

inline constexpr unsigned kVariadic = UINT_MAX;

struct OpSchema {
  const char *name;
  /// Input names in ODS order, as documented ("input, weight, bias?").
  const char *inputNames;
  unsigned minInputs, maxInputs;
  std::vector<AttrSpec> attrs;

  const AttrSpec *findAttr(llvm::StringRef attr) const;
};

/// The schema of op `name`, or null.
const OpSchema *lookupOp(llvm::StringRef name);
llvm::ArrayRef<OpSchema> allOps();
/// The op name closest to `name` by edit distance, or "" if none is close.
llvm::StringRef nearestOpName(llvm::StringRef name);

} // namespace dlc

#endif // DLC_FRONTEND_OPSCHEMA_H
