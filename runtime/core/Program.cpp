//===- Program.cpp - manifest parsing and checks --------------------------===//
#include "runtime/core/Program.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <optional>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace dlc {

const char *bufferRoleName(BufferRole r) {
  switch (r) {
  case BufferRole::Input:
    return "input";
  case BufferRole::Param:
    return "param";
  case BufferRole::Output:
    return "output";
  case BufferRole::Intermediate:
    return "intermediate";
  }
  return "?";
}

int64_t ProgramBuffer::numel() const {
  return checkedNumel(shape).value_or(0);
}
int64_t ProgramBuffer::byteSize() const {
  return numel() * int64_t(dtypeSize(dtype));
}

namespace {

using Json = nlohmann::json;

/// Field lookups that say which field is wrong.
struct Reader {
  std::string &err;
  bool fail(const std::string &where, const std::string &what) {
    err = "manifest: " + where + ": " + what;
    return false;
  }
  const Json *field(const Json &obj, const std::string &where,
                    const char *key) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      std::string what = std::string("missing field '") + key + "'";
      if (where.empty())
        err = "manifest: " + what;
      else
        fail(where, what);
      return nullptr;
    }
    return &*it;
  }
  bool getString(const Json &obj, const std::string &where, const char *key,
                 std::string &out) {
    const Json *v = field(obj, where, key);
    if (!v)
      return false;
    if (!v->is_string())
      return fail(join(where, key), "expects a string");
    out = v->get<std::string>();
    return true;
  }
  bool getInt(const Json &obj, const std::string &where, const char *key,
              int64_t &out, int64_t min) {
    const Json *v = field(obj, where, key);
    if (!v)
      return false;
    if (!v->is_number_integer())
      return fail(join(where, key), "expects an integer");
    out = v->get<int64_t>();
    if (out < min)
      return fail(join(where, key),
                  "expects at least " + std::to_string(min) + ", got " +
                      std::to_string(out));
    return true;
  }
  static std::string join(const std::string &where, const char *key) {
    return where.empty() ? std::string(key) : where + "." + key;
  }
};

} // namespace

/// The role named in a manifest ("input", ...), if it is one.
static std::optional<BufferRole> parseRole(const std::string &role) {
  if (role == "input")
    return BufferRole::Input;
  if (role == "param")
    return BufferRole::Param;
  if (role == "output")
    return BufferRole::Output;
  if (role == "intermediate")
    return BufferRole::Intermediate;
  return std::nullopt;
}

/// buffers[i]: name (unique), model name, dtype, role, shape, and the
/// offset of an intermediate inside the arena of `arenaBytes`.
static bool parseBuffer(Reader &r, const Json &b, size_t i, int64_t arenaBytes,
                        std::set<std::string> &names, ProgramBuffer &buf) {
  std::string where = "buffers[" + std::to_string(i) + "]";
  if (!b.is_object())
    return r.fail(where, "expects an object");
  std::string dtype, role;
  if (!r.getString(b, where, "name", buf.name))
    return false;
  if (buf.name.empty() || buf.name == kArenaArg)
    return r.fail(where + ".name", "'" + buf.name + "' is not a usable name");
  if (!names.insert(buf.name).second)
    return r.fail(where + ".name", "'" + buf.name + "' appears twice");
  where += " ('" + buf.name + "')";
  if (b.contains("model_name") &&
      !r.getString(b, where, "model_name", buf.modelName))
    return false;
  if (!r.getString(b, where, "dtype", dtype))
    return false;
  auto dt = parseDType(dtype);
  if (!dt)
    return r.fail(where + ".dtype", "unknown element type '" + dtype + "'");
  buf.dtype = *dt;
  if (!r.getString(b, where, "role", role))
    return false;
  auto parsedRole = parseRole(role);
  if (!parsedRole)
    return r.fail(where + ".role", "expects input, param, output or "
                                   "intermediate, got '" + role + "'");
  buf.role = *parsedRole;
  const Json *shape = r.field(b, where, "shape");
  if (!shape)
    return false;
  if (!shape->is_array())
    return r.fail(where + ".shape", "expects an array of integers");
  for (const Json &d : *shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      return r.fail(where + ".shape", "expects non-negative integers");
    buf.shape.push_back(d.get<int64_t>());
  }
  auto n = checkedNumel(buf.shape);
  if (!n || *n > (int64_t(1) << 50) / int64_t(dtypeSize(buf.dtype)))
    return r.fail(where + ".shape", formatShape(buf.shape) + " is too large");
  if (buf.role == BufferRole::Intermediate) {
    if (!r.getInt(b, where, "offset", buf.offset, 0))
      return false;
    if (buf.offset > arenaBytes || buf.byteSize() > arenaBytes - buf.offset)
      return r.fail(where + ".offset",
                    "bytes [" + std::to_string(buf.offset) + ", " +
                        std::to_string(buf.offset + buf.byteSize()) +
                        ") are outside the arena (" +
                        std::to_string(arenaBytes) + " bytes)");
  } else if (b.contains("offset")) {
    return r.fail(where + ".offset", "only intermediates live in the arena");
  }
  return true;
}

/// A kernel's "grid" or "block": 3 positive integers.
static bool parseDims(Reader &r, const Json &k, const std::string &where,
                      const char *key, std::array<int64_t, 3> &dims) {
  const Json *v = r.field(k, where, key);
  if (!v)
    return false;
  if (!v->is_array() || v->size() != 3)
    return r.fail(Reader::join(where, key), "expects 3 positive integers");
  for (int d = 0; d < 3; ++d) {
    const Json &e = (*v)[d];
    if (!e.is_number_integer() || e.get<int64_t>() < 1 ||
        e.get<int64_t>() > (int64_t(1) << 31) - 1)
      return r.fail(Reader::join(where, key), "expects 3 positive integers");
    dims[d] = e.get<int64_t>();
  }
  return true;
}

/// A kernel's "args": the arena, or names of non-intermediate `buffers`.
static bool parseArgs(Reader &r, const Json &k, const std::string &where,
                      const std::vector<ProgramBuffer> &buffers,
                      ProgramKernel &kern) {
  const Json *args = r.field(k, where, "args");
  if (!args)
    return false;
  if (!args->is_array())
    return r.fail(where + ".args", "expects an array of buffer names");
  for (const Json &a : *args) {
    if (!a.is_string())
      return r.fail(where + ".args", "expects an array of buffer names");
    std::string name = a.get<std::string>();
    if (name != kArenaArg) {
      const ProgramBuffer *buf = nullptr;
      for (const ProgramBuffer &b : buffers)
        if (b.name == name)
          buf = &b;
      if (!buf)
        return r.fail(where + ".args", "'" + name + "' names no buffer");
      if (buf->role == BufferRole::Intermediate)
        return r.fail(where + ".args",
                      "'" + name +
                          "' is an intermediate: kernels reach those "
                          "through the arena");
    }
    kern.args.push_back(std::move(name));
  }
  return true;
}

/// kernels[i]: a C identifier, grid, block (at most 1024 threads), shared
/// bytes, args and the model nodes it computes.
static bool parseKernel(Reader &r, const Json &k, size_t i,
                        const std::vector<ProgramBuffer> &buffers,
                        ProgramKernel &kern) {
  std::string where = "kernels[" + std::to_string(i) + "]";
  if (!k.is_object())
    return r.fail(where, "expects an object");
  if (!r.getString(k, where, "name", kern.name))
    return false;
  bool ident = !kern.name.empty() && !std::isdigit((unsigned char)kern.name[0]);
  for (char c : kern.name)
    ident &= std::isalnum((unsigned char)c) || c == '_';
  if (!ident)
    return r.fail(where + ".name", "'" + kern.name + "' is not a C identifier");
  where += " ('" + kern.name + "')";
  if (!parseDims(r, k, where, "grid", kern.grid) ||
      !parseDims(r, k, where, "block", kern.block))
    return false;
  if (kern.block[0] * kern.block[1] * kern.block[2] > 1024)
    return r.fail(where + ".block", "more than 1024 threads per block");
  if (k.contains("shared_bytes") &&
      !r.getInt(k, where, "shared_bytes", kern.sharedBytes, 0))
    return false;
  if (!parseArgs(r, k, where, buffers, kern))
    return false;
  if (k.contains("nodes") && k["nodes"].is_array())
    for (const Json &n : k["nodes"])
      if (n.is_string())
        kern.nodes.push_back(n.get<std::string>());
  for (auto [key, field] : {std::pair{"strategy", &kern.strategy},
                            std::pair{"mma", &kern.mma},
                            std::pair{"anchor", &kern.anchor}})
    if (k.contains(key) && !r.getString(k, where, key, *field))
      return false;
  if (k.contains("flops") && !r.getInt(k, where, "flops", kern.flops, 0))
    return false;
  if (k.contains("dram_bytes") &&
      !r.getInt(k, where, "dram_bytes", kern.dramBytes, 0))
    return false;
  return true;
}

/// The manifest's top-level array `key` ("buffers", "kernels"), or null
/// after reporting.
static const Json *topArray(Reader &r, const Json &j, const char *key) {
  const Json *list = r.field(j, "", key);
  if (list && !list->is_array()) {
    r.fail(key, "expects an array");
    return nullptr;
  }
  return list;
}

bool Program::parse(const std::string &manifestJson, std::string source,
                    Program &out, std::string &err) {
  Json j = Json::parse(manifestJson, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return err = "manifest: not valid JSON", false;
  if (!j.is_object())
    return err = "manifest: expects a JSON object", false;
  Reader r{err};
  Program p;
  int64_t version = 0;
  if (!r.getInt(j, "", "version", version, 0))
    return false;
  if (version != 1)
    return r.fail("version", "expects 1, got " + std::to_string(version));
  if (j.contains("target") && !r.getString(j, "", "target", p.target_))
    return false;
  if (!r.getInt(j, "", "arena_bytes", p.arenaBytes_, 0))
    return false;

  const Json *buffers = topArray(r, j, "buffers");
  if (!buffers)
    return false;
  std::set<std::string> names;
  for (size_t i = 0; i < buffers->size(); ++i) {
    ProgramBuffer buf;
    if (!parseBuffer(r, (*buffers)[i], i, p.arenaBytes_, names, buf))
      return false;
    p.buffers_.push_back(std::move(buf));
  }
  const Json *kernels = topArray(r, j, "kernels");
  if (!kernels)
    return false;
  for (size_t i = 0; i < kernels->size(); ++i) {
    ProgramKernel kern;
    if (!parseKernel(r, (*kernels)[i], i, p.buffers_, kern))
      return false;
    p.kernels_.push_back(std::move(kern));
  }
  p.source_ = std::move(source);
  out = std::move(p);
  return true;
}

static bool readWholeFile(const std::string &path, std::string &out,
                          std::string &err) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return err = "cannot read '" + path + "': " + std::strerror(errno), false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool Program::load(const std::string &dir, Program &out, std::string &err) {
  std::string manifest, source;
  if (!readWholeFile(dir + "/manifest.json", manifest, err) ||
      !readWholeFile(dir + "/kernels.cu", source, err))
    return false;
  if (!parse(manifest, std::move(source), out, err)) {
    err = dir + "/" + err;
    return false;
  }
  return true;
}

const ProgramBuffer *Program::buffer(const std::string &name) const {
  for (const ProgramBuffer &b : buffers_)
    if (b.name == name)
      return &b;
  return nullptr;
}

static std::string describe(DType t, const std::vector<int64_t> &shape) {
  return std::string(dtypeName(t)) + " " + formatShape(shape);
}

bool checkBindings(const Program &program, const BufferBindings &bindings,
                   std::string &err) {
  std::set<std::string> expected;
  for (const ProgramBuffer &b : program.buffers()) {
    if (b.role == BufferRole::Intermediate)
      continue;
    expected.insert(b.name);
    auto it = bindings.find(b.name);
    if (it == bindings.end() || !it->second) {
      err = std::string("no tensor bound to ") + bufferRoleName(b.role) +
            " '" + b.name + "' (" + describe(b.dtype, b.shape) + ")";
      return false;
    }
    const HostTensor &t = *it->second;
    if (t.dtype != b.dtype || t.shape != b.shape ||
        int64_t(t.bytes.size()) != b.byteSize()) {
      err = std::string(bufferRoleName(b.role)) + " '" + b.name + "' is " +
            describe(t.dtype, t.shape) + " (" + std::to_string(t.bytes.size()) +
            " bytes), the program's is " + describe(b.dtype, b.shape);
      return false;
    }
  }
  for (const auto &[name, t] : bindings)
    if (!expected.count(name)) {
      const ProgramBuffer *b = program.buffer(name);
      err = "'" + name + "' is bound but " +
            (b ? std::string("is an intermediate")
               : std::string("names no input, param or output"));
      return false;
    }
  return true;
}

std::map<std::string, HostTensor> makeOutputs(const Program &program,
                                              bool poison) {
  std::map<std::string, HostTensor> outs;
  for (const ProgramBuffer &b : program.buffers()) {
    if (b.role != BufferRole::Output)
      continue;
    HostTensor t = HostTensor::zeros(b.dtype, b.shape);
    if (poison) {
      uint8_t *p = t.bytes.data();
      int64_t n = t.numel();
      for (int64_t i = 0; i < n; ++i) {
        switch (b.dtype) {
        case DType::F16: {
          uint16_t v = 0x7e00;
          std::memcpy(p + 2 * i, &v, 2);
          break;
        }
        case DType::BF16: {
          uint16_t v = 0x7fc0;
          std::memcpy(p + 2 * i, &v, 2);
          break;
        }
        case DType::F32: {
          float v = NAN;
          std::memcpy(p + 4 * i, &v, 4);
          break;
        }
        case DType::F64: {
          double v = NAN;
          std::memcpy(p + 8 * i, &v, 8);
          break;
        }
        default:
          std::memset(p, 0x5a, t.bytes.size());
          i = n;
        }
      }
    }
    outs.emplace(b.name, std::move(t));
  }
  return outs;
}

} // namespace dlc
