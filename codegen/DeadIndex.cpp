//===- DeadIndex.cpp - drop index variables a kernel never reads ----------===//
#include "codegen/DeadIndex.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <vector>

namespace mlir::dlc::codegen {

static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

/// The variable a line declares if it is one of indexVar's
/// (`const idx_t i<digits> = ...;`), else empty.
static llvm::StringRef declaredIndex(llvm::StringRef line) {
  llvm::StringRef s = line.ltrim();
  if (!s.consume_front("const idx_t i") || !s.rtrim().ends_with(";"))
    return {};
  size_t digits = 0;
  while (digits < s.size() && llvm::isDigit(s[digits]))
    ++digits;
  if (digits == 0 || !s.drop_front(digits).starts_with(" = "))
    return {};
  llvm::StringRef decl = line.ltrim();
  return decl.substr(std::string("const idx_t ").size(), 1 + digits);
}

unsigned dropUnusedIndexVars(std::string &body) {
  std::vector<std::string> lines;
  for (llvm::StringRef rest = body; !rest.empty();) {
    auto [line, tail] = rest.split('\n');
    lines.push_back(line.str());
    rest = tail;
  }
  std::vector<bool> dropped(lines.size(), false);
  unsigned removed = 0;
  for (bool changed = true; changed;) {
    changed = false;
    // How often each identifier occurs in the lines still kept.
    llvm::StringMap<unsigned> uses;
    for (size_t l = 0; l < lines.size(); ++l) {
      if (dropped[l])
        continue;
      llvm::StringRef s = lines[l];
      for (size_t i = 0; i < s.size();) {
        if (!isIdentChar(s[i])) {
          ++i;
          continue;
        }
        size_t j = i;
        while (j < s.size() && isIdentChar(s[j]))
          ++j;
        ++uses[s.slice(i, j)];
        i = j;
      }
    }
    for (size_t l = 0; l < lines.size(); ++l) {
      if (dropped[l])
        continue;
      llvm::StringRef name = declaredIndex(lines[l]);
      if (!name.empty() && uses.lookup(name) == 1) {
        dropped[l] = changed = true;
        ++removed;
      }
    }
  }
  if (removed == 0)
    return 0;
  std::string out;
  out.reserve(body.size());
  for (size_t l = 0; l < lines.size(); ++l)
    if (!dropped[l])
      out += lines[l] + "\n";
  // split() drops the final newline's empty tail; keep the body's ending.
  if (!body.empty() && body.back() != '\n' && !out.empty())
    out.pop_back();
  body = std::move(out);
  return removed;
}

} // namespace mlir::dlc::codegen
