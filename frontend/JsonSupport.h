//===- JsonSupport.h - checked reads of nlohmann::json values ---*- C++ -*-===//
//
// Small helpers shared by the importer's parts: typed reads that never throw
// and the short rendering of a value that error messages quote.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_FRONTEND_JSONSUPPORT_H
#define DLC_FRONTEND_JSONSUPPORT_H

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace dlc::json {

using Value = nlohmann::json;

/// An integer that fits int64, else nullopt (not an integer, or too big).
inline std::optional<int64_t> asInt(const Value &v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer())
    return v.get<int64_t>();
  return std::nullopt;
}

/// A finite number, else nullopt.
inline std::optional<double> asNumber(const Value &v) {
  if (!v.is_number())
    return std::nullopt;
  double d = v.get<double>();
  if (!std::isfinite(d))
    return std::nullopt;
  return d;
}

namespace detail {
/// Appends v's compact JSON text to `out`, stopping once `out` is longer
/// than `limit`. Each level of nesting adds a character before it recurses,
/// so the recursion is at most `limit` deep however deep `v` is
/// (nlohmann's dump() recurses once per level and overflows the stack on a
/// value nested 100,000 lists deep).
inline void quoteInto(const Value &v, std::string &out, size_t limit) {
  if (out.size() > limit)
    return;
  if (v.is_array() || v.is_object()) {
    out += v.is_array() ? '[' : '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (out.size() > limit)
        return;
      if (!first)
        out += ',';
      first = false;
      if (v.is_object()) {
        out += Value(it.key()).dump(-1, ' ', false,
                                    Value::error_handler_t::replace);
        out += ':';
      }
      quoteInto(*it, out, limit);
    }
    out += v.is_array() ? ']' : '}';
    return;
  }
  out += v.dump(-1, ' ', false, Value::error_handler_t::replace);
}
} // namespace detail

/// The value as JSON text, cut to about 40 characters for messages.
inline std::string quote(const Value &v) {
  std::string s;
  detail::quoteInto(v, s, 40);
  if (s.size() > 40)
    s = s.substr(0, 37) + "...";
  return s;
}

} // namespace dlc::json

#endif // DLC_FRONTEND_JSONSUPPORT_H
