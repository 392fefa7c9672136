//===- JsonPositions.h - where each JSON value starts in the text -*- C++ -*-===//
//
// nlohmann::json keeps no source positions, so diagnostics could not point
// into the model file. This scanner walks the raw text once (after nlohmann
// accepted it, so the text is valid JSON) and records the byte offset of
// every value up to a depth, keyed by its JSON pointer ("/nodes/3/inputs/1").
// It also finds duplicate object keys, which nlohmann silently merges.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_JSONPOSITIONS_H
#define DLC_FRONTEND_JSONPOSITIONS_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dlc {

class JsonPositions {
public:
  /// Scans `text`, which must be valid JSON; values deeper than `maxDepth`
  /// (the root is depth 0) are not recorded.
  JsonPositions(std::string_view text, unsigned maxDepth);

  /// The offset of the value at `pointer` ("" is the root), if recorded.
  std::optional<size_t> offset(const std::string &pointer) const;
  /// 1-based line and column of a byte offset.
  std::pair<unsigned, unsigned> lineCol(size_t offset) const;

  /// The first object key that appears twice in one object: the pointer of
  /// its second occurrence.
  const std::optional<std::string> &duplicateKey() const { return duplicate; }

  /// Appends one escaped reference token to a JSON pointer.
  static std::string child(const std::string &pointer, std::string_view key);
  static std::string child(const std::string &pointer, size_t index) {
    return pointer + "/" + std::to_string(index);
  }

private:
  std::unordered_map<std::string, size_t> offsets;
  std::vector<size_t> lineStarts;
  std::optional<std::string> duplicate;
};

} // namespace dlc

#endif // DLC_FRONTEND_JSONPOSITIONS_H
