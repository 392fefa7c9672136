//===- JsonPositions.cpp --------------------------------------------------===//
#include "frontend/JsonPositions.h"

#include <algorithm>
#include <set>

namespace dlc {

namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// Decodes a JSON string starting at text[i] == '"'; returns the index past
/// the closing quote. Escapes other than \uXXXX are decoded; \u escapes are
/// kept verbatim, which is enough to compare keys for duplicates and to
/// build pointers for the ASCII keys a model file uses.
size_t scanString(std::string_view text, size_t i, std::string *out) {
  ++i;
  while (i < text.size() && text[i] != '"') {
    if (text[i] == '\\' && i + 1 < text.size()) {
      char e = text[i + 1];
      if (out) {
        switch (e) {
        case 'n': *out += '\n'; break;
        case 't': *out += '\t'; break;
        case 'r': *out += '\r'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'u': *out += "\\u"; break;
        default: *out += e; break;
        }
      }
      i += 2;
      continue;
    }
    if (out)
      *out += text[i];
    ++i;
  }
  return i + 1;
}

} // namespace

std::string JsonPositions::child(const std::string &pointer,
                                 std::string_view key) {
  std::string s = pointer + "/";
  for (char c : key) {
    if (c == '~')
      s += "~0";
    else if (c == '/')
      s += "~1";
    else
      s += c;
  }
  return s;
}

JsonPositions::JsonPositions(std::string_view text, unsigned maxDepth) {
  lineStarts.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n')
      lineStarts.push_back(i + 1);

  // An explicit stack (no recursion), so deep nesting cannot overflow.
  struct Frame {
    std::string pointer;
    bool isObject;
    size_t nextIndex = 0;
    std::set<std::string> keys;
  };
  std::vector<Frame> stack;
  // The pointer the next value gets; set by a key or an array slot.
  std::string pending;
  size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && isSpace(text[i]))
      ++i;
  };
  auto record = [&](size_t at) {
    if (stack.size() <= maxDepth)
      offsets.emplace(pending, at);
  };
  // Reads `"key" :` of the innermost object and sets `pending`.
  auto readKey = [&] {
    skip();
    if (i >= text.size() || text[i] != '"')
      return false;
    std::string key;
    i = scanString(text, i, &key);
    skip();
    if (i >= text.size() || text[i] != ':')
      return false;
    ++i;
    // Below the recorded depth no pointer is needed; building one would
    // make deep nesting quadratic.
    pending = stack.size() <= maxDepth ? child(stack.back().pointer, key) : "";
    if (!stack.back().keys.insert(key).second && !duplicate)
      duplicate = pending;
    return true;
  };
  // Sets `pending` for the next member of the innermost container.
  auto nextMember = [&] {
    Frame &f = stack.back();
    if (f.isObject)
      return readKey();
    pending = stack.size() <= maxDepth ? child(f.pointer, f.nextIndex) : "";
    ++f.nextIndex;
    return true;
  };
  bool atValue = true;
  while (true) {
    skip();
    if (i >= text.size())
      return;
    if (atValue) {
      char c = text[i];
      record(i);
      if (c == '{' || c == '[') {
        stack.push_back(Frame{pending, c == '{', 0, {}});
        ++i;
        skip();
        if (i < text.size() && (text[i] == '}' || text[i] == ']')) {
          ++i;
          stack.pop_back();
          atValue = false;
        } else if (!nextMember()) {
          return;
        }
      } else if (c == '"') {
        i = scanString(text, i, nullptr);
        atValue = false;
      } else {
        while (i < text.size() && !isSpace(text[i]) && text[i] != ',' &&
               text[i] != ']' && text[i] != '}')
          ++i;
        atValue = false;
      }
      continue;
    }
    // After a value: close containers or move to the next member.
    if (stack.empty())
      return;
    if (text[i] == '}' || text[i] == ']') {
      ++i;
      stack.pop_back();
    } else if (text[i] == ',') {
      ++i;
      if (!nextMember())
        return;
      atValue = true;
    } else {
      return; // not valid JSON; nlohmann has already said so
    }
  }
}

std::optional<size_t> JsonPositions::offset(const std::string &pointer) const {
  auto it = offsets.find(pointer);
  if (it == offsets.end())
    return std::nullopt;
  return it->second;
}

std::pair<unsigned, unsigned> JsonPositions::lineCol(size_t offset) const {
  auto it = std::upper_bound(lineStarts.begin(), lineStarts.end(), offset);
  size_t line = it - lineStarts.begin();
  return {static_cast<unsigned>(line),
          static_cast<unsigned>(offset - lineStarts[line - 1] + 1)};
}

} // namespace dlc
