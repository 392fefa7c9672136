//===- TensorFile.cpp - .npy and .safetensors files -----------------------===//
#include "runtime/io/TensorFile.h"

#include "runtime/core/AtomicFile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <limits>
#include <optional>
#include <string_view>
#include <unistd.h>

namespace fs = std::filesystem;

namespace dlc {

namespace {

//===----------------------------------------------------------------------===//
// Plumbing: errors, bounded reads, atomic writes
//===----------------------------------------------------------------------===//

bool fail(std::string &err, const std::string &path, const std::string &what) {
  err = path + ": " + what;
  return false;
}

/// Opens `path` and returns its size; a missing file, a directory or an
/// unreadable file is an error.
bool openFile(const std::string &path, std::ifstream &in, uint64_t &size,
              std::string &err) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    return fail(err, path, "cannot open: no such file");
  if (!fs::is_regular_file(status))
    return fail(err, path, "cannot open: not a regular file");
  size = fs::file_size(path, ec);
  if (ec)
    return fail(err, path, "cannot open: " + ec.message());
  in.open(path, std::ios::binary);
  if (!in)
    return fail(err, path, "cannot open: permission denied or I/O error");
  return true;
}

bool readBytes(std::istream &in, uint64_t offset, void *dst, uint64_t n,
               const std::string &path, std::string &err) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(static_cast<char *>(dst), static_cast<std::streamsize>(n));
  if (!in || static_cast<uint64_t>(in.gcount()) != n)
    return fail(err, path, "read error");
  return true;
}

bool writeAtomically(const std::string &path,
                     const std::vector<std::string_view> &chunks,
                     std::string &err) {
  std::string why;
  return writeFileAtomically(path, chunks, why) ||
         fail(err, path, "cannot write: " + why);
}

/// Checks a shape read from a file: non-negative dims whose product fits
/// int64 and is at most kMaxFileElements.
std::optional<int64_t> fileNumel(const std::vector<int64_t> &shape) {
  auto n = checkedNumel(shape);
  if (!n || *n > kMaxFileElements)
    return std::nullopt;
  return n;
}

/// Checks an in-memory tensor before writing it.
bool checkTensor(const HostTensor &t, const std::string &path,
                 const std::string &what, std::string &err) {
  auto n = checkedNumel(t.shape);
  if (!n)
    return fail(err, path,
                what + "invalid shape " + formatShape(t.shape));
  if (static_cast<uint64_t>(*n) * dtypeSize(t.dtype) != t.bytes.size())
    return fail(err, path,
                what + "holds " + std::to_string(t.bytes.size()) +
                    " bytes, but shape " + formatShape(t.shape) + " of " +
                    std::string(dtypeName(t.dtype)) + " needs " +
                    std::to_string(*n * dtypeSize(t.dtype)));
  return true;
}

/// i1 is stored as 0 or 1; files may hold any non-zero byte for true.
void normalizeBools(HostTensor &t) {
  if (t.dtype == DType::I1)
    for (uint8_t &b : t.bytes)
      b = b != 0;
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicLen = 6;

struct NpyDType {
  DType type;
  std::string_view descr;
};
constexpr std::array<NpyDType, 6> kNpyDTypes = {{
    {DType::F16, "<f2"},
    {DType::F32, "<f4"},
    {DType::F64, "<f8"},
    {DType::I1, "|b1"},
    {DType::I32, "<i4"},
    {DType::I64, "<i8"},
}};

/// Parses the Python dict literal of an .npy header, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class NpyHeaderParser {
public:
  explicit NpyHeaderParser(std::string_view s) : s(s) {}

  /// Returns an empty string on success, else what is wrong.
  std::string parse(std::string &descr, bool &fortran,
                    std::vector<int64_t> &shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipSpace();
    if (!eat('{'))
      return "header is not a Python dict";
    while (true) {
      skipSpace();
      if (eat('}'))
        break;
      std::string key;
      if (!parseString(key))
        return "header: expected a quoted key";
      skipSpace();
      if (!eat(':'))
        return "header: expected ':' after '" + key + "'";
      skipSpace();
      if (key == "descr") {
        if (!parseString(descr))
          return "header: 'descr' is not a string";
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (s.substr(i, 4) == "True") {
          fortran = true;
          i += 4;
        } else if (s.substr(i, 5) == "False") {
          fortran = false;
          i += 5;
        } else {
          return "header: 'fortran_order' is not True or False";
        }
        haveFortran = true;
      } else if (key == "shape") {
        std::string e = parseShape(shape);
        if (!e.empty())
          return e;
        haveShape = true;
      } else {
        return "header: unexpected key '" + key + "'";
      }
      skipSpace();
      if (eat(','))
        continue;
      skipSpace();
      if (!eat('}'))
        return "header: expected ',' or '}'";
      break;
    }
    skipSpace();
    if (i != s.size())
      return "header: unexpected text after the dict";
    if (!haveDescr || !haveFortran || !haveShape)
      return "header: missing 'descr', 'fortran_order' or 'shape'";
    return "";
  }

private:
  void skipSpace() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' ||
                            s[i] == '\r' || s[i] == '\0'))
      ++i;
  }
  bool eat(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool parseString(std::string &out) {
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
      return false;
    char q = s[i++];
    size_t end = s.find(q, i);
    if (end == std::string_view::npos)
      return false;
    out = std::string(s.substr(i, end - i));
    i = end + 1;
    return true;
  }
  std::string parseShape(std::vector<int64_t> &shape) {
    if (!eat('('))
      return "header: 'shape' is not a tuple";
    while (true) {
      skipSpace();
      if (eat(')'))
        return "";
      if (i >= s.size() || s[i] < '0' || s[i] > '9')
        return "header: 'shape' holds something other than non-negative "
               "integers";
      int64_t v = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        int d = s[i++] - '0';
        if (v > (std::numeric_limits<int64_t>::max() - d) / 10)
          return "header: a dimension in 'shape' overflows int64";
        v = v * 10 + d;
      }
      if (i < s.size() && s[i] == 'L') // Python 2 longs
        ++i;
      shape.push_back(v);
      skipSpace();
      if (eat(','))
        continue;
      if (eat(')'))
        return "";
      return "header: 'shape' is not a tuple of integers";
    }
  }

  std::string_view s;
  size_t i = 0;
};

/// Reads and checks an .npy header; `dataOffset` is where the data starts.
/// Checks that the file holds exactly the data the header describes.
bool parseNpyInfo(const std::string &path, std::istream &in, uint64_t size,
                  TensorInfo &info, uint64_t &dataOffset, std::string &err) {
  char pre[12];
  if (size < 10)
    return fail(err, path,
                "truncated: " + std::to_string(size) +
                    " bytes is too short for an .npy header");
  if (!readBytes(in, 0, pre, 10, path, err))
    return false;
  if (std::memcmp(pre, kNpyMagic, kNpyMagicLen) != 0)
    return fail(err, path, "bad magic: not an .npy file");
  int major = static_cast<uint8_t>(pre[6]);
  uint64_t headerLen = 0, prefix = 0;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(pre[8]) |
                (static_cast<uint64_t>(static_cast<uint8_t>(pre[9])) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return fail(err, path, "truncated: the .npy header length is cut off");
    if (!readBytes(in, 0, pre, 12, path, err))
      return false;
    for (int b = 0; b < 4; ++b)
      headerLen |= static_cast<uint64_t>(static_cast<uint8_t>(pre[8 + b]))
                   << (8 * b);
    prefix = 12;
  } else {
    return fail(err, path,
                "unsupported .npy format version " + std::to_string(major) +
                    " (expected 1, 2 or 3)");
  }
  if (prefix + headerLen > size)
    return fail(err, path,
                "truncated: the header says " + std::to_string(headerLen) +
                    " bytes, the file has " + std::to_string(size - prefix) +
                    " after the prefix");
  std::string header(headerLen, '\0');
  if (!readBytes(in, prefix, header.data(), headerLen, path, err))
    return false;
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  std::string what = NpyHeaderParser(header).parse(descr, fortran, shape);
  if (!what.empty())
    return fail(err, path, what);
  if (fortran)
    return fail(err, path,
                "fortran_order is True; only C-order arrays are supported "
                "(save with np.ascontiguousarray)");
  auto it = std::find_if(kNpyDTypes.begin(), kNpyDTypes.end(),
                         [&](const NpyDType &d) { return d.descr == descr; });
  if (it == kNpyDTypes.end()) {
    std::string hint;
    if (!descr.empty() && descr[0] == '>')
      hint = " (big-endian data is not supported)";
    return fail(err, path,
                "unsupported dtype '" + descr + "'" + hint +
                    "; expected one of <f2 <f4 <f8 |b1 <i4 <i8");
  }
  auto n = fileNumel(shape);
  if (!n)
    return fail(err, path,
                "shape " + formatShape(shape) +
                    " is too large (more than 2^40 elements)");
  uint64_t need = static_cast<uint64_t>(*n) * dtypeSize(it->type);
  uint64_t have = size - prefix - headerLen;
  if (have < need)
    return fail(err, path,
                "truncated: shape " + formatShape(shape) + " of " + descr +
                    " needs " + std::to_string(need) + " bytes of data, found " +
                    std::to_string(have));
  if (have > need)
    return fail(err, path,
                "size mismatch: shape " + formatShape(shape) + " of " + descr +
                    " needs " + std::to_string(need) +
                    " bytes of data, found " + std::to_string(have));
  info.dtype = it->type;
  info.shape = std::move(shape);
  dataOffset = prefix + headerLen;
  return true;
}

bool readNpyInfo(const std::string &path, std::ifstream &in, TensorInfo &info,
                 uint64_t &dataOffset, std::string &err) {
  uint64_t size = 0;
  return openFile(path, in, size, err) &&
         parseNpyInfo(path, in, size, info, dataOffset, err);
}

/// The data after a parsed header.
bool readNpyData(const std::string &path, std::istream &in, TensorInfo info,
                 uint64_t offset, HostTensor &out, std::string &err) {
  HostTensor t;
  t.dtype = info.dtype;
  t.shape = std::move(info.shape);
  t.bytes.resize(t.numel() * dtypeSize(t.dtype));
  if (!readBytes(in, offset, t.bytes.data(), t.bytes.size(), path, err))
    return false;
  normalizeBools(t);
  out = std::move(t);
  return true;
}

//===----------------------------------------------------------------------===//
// .safetensors
//===----------------------------------------------------------------------===//

struct StDType {
  DType type;
  std::string_view name;
};
constexpr std::array<StDType, 7> kStDTypes = {{
    {DType::F16, "F16"},
    {DType::BF16, "BF16"},
    {DType::F32, "F32"},
    {DType::F64, "F64"},
    {DType::I1, "BOOL"},
    {DType::I32, "I32"},
    {DType::I64, "I64"},
}};
constexpr uint64_t kMaxStHeader = 100u << 20;

struct StEntry {
  TensorInfo info;
  uint64_t begin = 0, end = 0;
};

/// Reads and checks a .safetensors header; offsets in the entries are
/// absolute file offsets.
bool readStInfo(const std::string &path, std::ifstream &in,
                std::map<std::string, StEntry> &out, std::string &err) {
  uint64_t size = 0;
  if (!openFile(path, in, size, err))
    return false;
  if (size < 8)
    return fail(err, path,
                "truncated: " + std::to_string(size) +
                    " bytes is too short for a .safetensors header");
  uint8_t pre[8];
  if (!readBytes(in, 0, pre, 8, path, err))
    return false;
  uint64_t n = 0;
  for (int b = 0; b < 8; ++b)
    n |= static_cast<uint64_t>(pre[b]) << (8 * b);
  if (n > kMaxStHeader)
    return fail(err, path,
                "bad header: header length " + std::to_string(n) +
                    " is implausible (not a .safetensors file?)");
  if (n > size - 8)
    return fail(err, path,
                "truncated: the header length is " + std::to_string(n) +
                    " bytes, the file has " + std::to_string(size - 8) +
                    " after it");
  std::string text(n, '\0');
  if (!readBytes(in, 8, text.data(), n, path, err))
    return false;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception &e) {
    return fail(err, path, std::string("bad header: invalid JSON: ") +
                               e.what());
  }
  if (!header.is_object())
    return fail(err, path, "bad header: not a JSON object");
  uint64_t dataStart = 8 + n, dataSize = size - dataStart;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto &[key, v] : header.items()) {
    if (key == "__metadata__")
      continue;
    std::string where = "tensor '" + key + "': ";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets"))
      return fail(err, path,
                  "bad header: " + where +
                      "expected an object with dtype, shape and data_offsets");
    const auto &dt = v["dtype"];
    if (!dt.is_string())
      return fail(err, path, "bad header: " + where + "dtype is not a string");
    std::string dname = dt.get<std::string>();
    auto it = std::find_if(kStDTypes.begin(), kStDTypes.end(),
                           [&](const StDType &d) { return d.name == dname; });
    if (it == kStDTypes.end())
      return fail(err, path,
                  where + "unsupported dtype '" + dname +
                      "'; expected one of F16 BF16 F32 F64 BOOL I32 I64");
    const auto &sh = v["shape"];
    if (!sh.is_array())
      return fail(err, path, "bad header: " + where + "shape is not a list");
    StEntry e;
    e.info.dtype = it->type;
    for (const auto &d : sh) {
      if (!d.is_number_unsigned() ||
          d.get<uint64_t>() >
              static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return fail(err, path,
                    "bad header: " + where +
                        "shape holds something other than non-negative "
                        "integers");
      e.info.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    auto numel = fileNumel(e.info.shape);
    if (!numel)
      return fail(err, path,
                  where + "shape " + formatShape(e.info.shape) +
                      " is too large (more than 2^40 elements)");
    const auto &off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      return fail(err, path,
                  "bad header: " + where +
                      "data_offsets is not a pair of non-negative integers");
    uint64_t b = off[0].get<uint64_t>(), en = off[1].get<uint64_t>();
    uint64_t need = static_cast<uint64_t>(*numel) * dtypeSize(e.info.dtype);
    if (b > en || en - b != need)
      return fail(err, path,
                  where + "data_offsets [" + std::to_string(b) + ", " +
                      std::to_string(en) + "] do not match shape " +
                      formatShape(e.info.shape) + " of " + dname + " (" +
                      std::to_string(need) + " bytes)");
    if (en > dataSize)
      return fail(err, path,
                  "truncated: " + where + "data ends at byte " +
                      std::to_string(en) + " of the data section, which has " +
                      std::to_string(dataSize));
    ranges.push_back({b, en});
    e.begin = dataStart + b;
    e.end = dataStart + en;
    out[key] = std::move(e);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      return fail(err, path, "bad header: tensors' data_offsets overlap");
  return true;
}

bool endsWith(const std::string &s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

bool readNpyHeader(const std::string &path, TensorInfo &out,
                   std::string &err) {
  std::ifstream in;
  uint64_t offset = 0;
  return readNpyInfo(path, in, out, offset, err);
}

bool readNpy(const std::string &path, HostTensor &out, std::string &err) {
  std::ifstream in;
  TensorInfo info;
  uint64_t offset = 0;
  return readNpyInfo(path, in, info, offset, err) &&
         readNpyData(path, in, std::move(info), offset, out, err);
}

bool readNpyBytes(const std::string &name, const std::string &bytes,
                  HostTensor &out, std::string &err) {
  std::istringstream in(bytes);
  TensorInfo info;
  uint64_t offset = 0;
  return parseNpyInfo(name, in, bytes.size(), info, offset, err) &&
         readNpyData(name, in, std::move(info), offset, out, err);
}

bool writeNpy(const std::string &path, const HostTensor &t, std::string &err) {
  auto it = std::find_if(kNpyDTypes.begin(), kNpyDTypes.end(),
                         [&](const NpyDType &d) { return d.type == t.dtype; });
  if (it == kNpyDTypes.end())
    return fail(err, path,
                "cannot write " + std::string(dtypeName(t.dtype)) +
                    " as .npy: NumPy has no such dtype (use .safetensors)");
  if (!checkTensor(t, path, "cannot write: the tensor ", err))
    return false;
  std::string dict = "{'descr': '" + std::string(it->descr) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape.size(); ++i)
    dict += std::to_string(t.shape[i]) + (t.shape.size() == 1 ? "," : "") +
            (i + 1 < t.shape.size() ? ", " : "");
  dict += "), }";
  // Pad with spaces and a final newline so the data starts 64-aligned, as
  // NumPy does; fall back to format 2 when the header outgrows 16 bits.
  size_t prefix = 10;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  }
  size_t headerLen = total - prefix;
  std::string head(kNpyMagic, kNpyMagicLen);
  head += static_cast<char>(prefix == 10 ? 1 : 2);
  head += '\0';
  for (size_t b = 0; b < prefix - 8; ++b)
    head += static_cast<char>((headerLen >> (8 * b)) & 0xff);
  head += dict;
  head.append(headerLen - dict.size() - 1, ' ');
  head += '\n';
  std::string_view data(reinterpret_cast<const char *>(t.bytes.data()),
                        t.bytes.size());
  return writeAtomically(path, {head, data}, err);
}

bool readSafetensorsHeader(const std::string &path,
                           std::map<std::string, TensorInfo> &out,
                           std::string &err) {
  std::ifstream in;
  std::map<std::string, StEntry> entries;
  if (!readStInfo(path, in, entries, err))
    return false;
  out.clear();
  for (auto &[k, e] : entries)
    out[k] = std::move(e.info);
  return true;
}

bool readSafetensors(const std::string &path,
                     std::map<std::string, HostTensor> &out,
                     std::string &err) {
  std::ifstream in;
  std::map<std::string, StEntry> entries;
  if (!readStInfo(path, in, entries, err))
    return false;
  std::map<std::string, HostTensor> result;
  for (auto &[k, e] : entries) {
    HostTensor t;
    t.dtype = e.info.dtype;
    t.shape = std::move(e.info.shape);
    t.bytes.resize(e.end - e.begin);
    if (!readBytes(in, e.begin, t.bytes.data(), t.bytes.size(), path, err))
      return false;
    normalizeBools(t);
    result[k] = std::move(t);
  }
  out = std::move(result);
  return true;
}

bool writeSafetensors(const std::string &path,
                      const std::map<std::string, HostTensor> &tensors,
                      std::string &err) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  std::vector<std::string_view> chunks(1);
  for (const auto &[k, t] : tensors) {
    if (k == "__metadata__")
      return fail(err, path,
                  "cannot write: '__metadata__' is reserved, not a tensor "
                  "name");
    if (!checkTensor(t, path, "cannot write: tensor '" + k + "' ", err))
      return false;
    auto it = std::find_if(kStDTypes.begin(), kStDTypes.end(),
                           [&](const StDType &d) { return d.type == t.dtype; });
    header[k] = {{"dtype", std::string(it->name)},
                 {"shape", t.shape},
                 {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
    chunks.emplace_back(reinterpret_cast<const char *>(t.bytes.data()),
                        t.bytes.size());
  }
  std::string text = header.dump();
  // The data section starts 8-aligned, as the reference implementation does.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string head(8, '\0');
  for (int b = 0; b < 8; ++b)
    head[b] = static_cast<char>((text.size() >> (8 * b)) & 0xff);
  head += text;
  chunks[0] = head;
  return writeAtomically(path, chunks, err);
}

bool isTensorFile(const std::string &path) {
  return endsWith(path, ".npy") || endsWith(path, ".safetensors");
}

namespace {
/// Picks the entry `key` (or the only entry when `key` is empty).
template <typename T>
bool pickKey(const std::string &path, const std::string &key,
             std::map<std::string, T> &all, T &out, std::string &err) {
  if (key.empty()) {
    if (all.size() != 1)
      return fail(err, path,
                  "holds " + std::to_string(all.size()) +
                      " tensors; say which with \"key\"");
    out = std::move(all.begin()->second);
    return true;
  }
  auto it = all.find(key);
  if (it == all.end()) {
    std::string names;
    for (const auto &[k, v] : all)
      names += (names.empty() ? "" : ", ") + k;
    return fail(err, path,
                "no tensor named '" + key + "' (it holds: " +
                    (names.empty() ? "nothing" : names) + ")");
  }
  out = std::move(it->second);
  return true;
}
} // namespace

bool readTensorFile(const std::string &path, const std::string &key,
                    HostTensor &out, std::string &err) {
  if (endsWith(path, ".npy")) {
    if (!key.empty())
      return fail(err, path, "an .npy file holds one tensor; it has no keys");
    return readNpy(path, out, err);
  }
  if (endsWith(path, ".safetensors")) {
    std::ifstream in;
    std::map<std::string, StEntry> entries;
    StEntry e;
    if (!readStInfo(path, in, entries, err) ||
        !pickKey(path, key, entries, e, err))
      return false;
    HostTensor t;
    t.dtype = e.info.dtype;
    t.shape = std::move(e.info.shape);
    t.bytes.resize(e.end - e.begin);
    if (!readBytes(in, e.begin, t.bytes.data(), t.bytes.size(), path, err))
      return false;
    normalizeBools(t);
    out = std::move(t);
    return true;
  }
  return fail(err, path, "unknown tensor file type (expected .npy or "
                         ".safetensors)");
}

bool readTensorFileHeader(const std::string &path, const std::string &key,
                          TensorInfo &out, std::string &err) {
  if (endsWith(path, ".npy")) {
    if (!key.empty())
      return fail(err, path, "an .npy file holds one tensor; it has no keys");
    return readNpyHeader(path, out, err);
  }
  if (endsWith(path, ".safetensors")) {
    std::map<std::string, TensorInfo> infos;
    return readSafetensorsHeader(path, infos, err) &&
           pickKey(path, key, infos, out, err);
  }
  return fail(err, path, "unknown tensor file type (expected .npy or "
                         ".safetensors)");
}

} // namespace dlc
