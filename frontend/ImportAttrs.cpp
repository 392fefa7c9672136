//===- ImportAttrs.cpp - model-file values to MLIR attributes -------------===//
//
// Op attributes by the schema table, constants, parameter initializers and
// the optimizer. Each check names the field it rejects and quotes the value.
//
//===----------------------------------------------------------------------===//
#include "frontend/Importer.h"

#include "ir/ModelAttrs.h"
#include "runtime/io/TensorFile.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace dlc {

namespace {
constexpr int64_t kMaxElements = int64_t(1) << 40;
/// At most this many dimensions, and so at most this many entries in a
/// per-dimension attribute list (perm, axes, shape, starts...): keeps a
/// 10^6-entry list from costing seconds and a megabyte-long error message.
constexpr size_t kMaxRank = 64;
constexpr const char *kDTypeList = "f16, bf16, f32, f64, i1, i32, i64";
} // namespace

Type Importer::elementType(DType t) {
  switch (t) {
  case DType::F16: return builder.getF16Type();
  case DType::BF16: return builder.getBF16Type();
  case DType::F32: return builder.getF32Type();
  case DType::F64: return builder.getF64Type();
  case DType::I1: return builder.getI1Type();
  case DType::I32: return builder.getI32Type();
  case DType::I64: return builder.getI64Type();
  }
  return {};
}

FailureOr<DType> Importer::parseDType(const Subject &s,
                                      const std::string &field,
                                      const json::Value &v) {
  if (v.is_string())
    if (auto t = dlc::parseDType(v.get<std::string>()))
      return *t;
  return error(s, field) << "unknown dtype " << json::quote(v)
                         << " (expected one of " << kDTypeList << ")";
}

FailureOr<SmallVector<int64_t>> Importer::parseShape(const Subject &s,
                                                     const std::string &field,
                                                     const json::Value &v) {
  if (!v.is_array())
    return error(s, field) << "expected a list of positive integers, got "
                           << json::quote(v);
  if (v.size() > kMaxRank)
    return error(s, field) << "expected at most " << kMaxRank
                           << " dimensions, got " << v.size();
  SmallVector<int64_t> dims;
  for (size_t i = 0; i < v.size(); ++i) {
    auto d = json::asInt(v[i]);
    // Integers past uint64 reach us as floats; name the real problem.
    bool tooBig = v[i].is_number_integer() ||
                  (v[i].is_number_float() &&
                   std::fabs(v[i].get<double>()) >= 9.2e18);
    if (!d)
      return error(s, field + "/" + std::to_string(i))
             << "expected a positive integer dimension, got "
             << (tooBig ? "a number that overflows int64" : json::quote(v[i]));
    if (*d <= 0)
      return error(s, field + "/" + std::to_string(i))
             << "expected a positive integer dimension, got " << *d;
    dims.push_back(*d);
  }
  auto n = checkedNumel(std::vector<int64_t>(dims.begin(), dims.end()));
  if (!n || *n > kMaxElements)
    return error(s, field) << "shape " << json::quote(v)
                           << " has more than 2^40 elements";
  return dims;
}

//===----------------------------------------------------------------------===//
// Op attributes
//===----------------------------------------------------------------------===//

FailureOr<Attribute> Importer::convertAttr(const Subject &s,
                                           const std::string &field,
                                           const AttrSpec &spec,
                                           const json::Value &v) {
  auto intList = [&](size_t minSize) -> std::optional<SmallVector<int64_t>> {
    if (!v.is_array() || v.size() < minSize)
      return std::nullopt;
    SmallVector<int64_t> out;
    for (const auto &e : v) {
      auto i = json::asInt(e);
      if (!i)
        return std::nullopt;
      out.push_back(*i);
    }
    return out;
  };
  switch (spec.kind) {
  case AttrKind::Int:
    if (auto i = json::asInt(v))
      return Attribute(builder.getI64IntegerAttr(*i));
    return error(s, field) << "expected an integer, got " << json::quote(v);
  case AttrKind::Float:
    if (auto d = json::asNumber(v))
      return Attribute(builder.getF64FloatAttr(*d));
    return error(s, field) << "expected a number, got " << json::quote(v);
  case AttrKind::Bool:
    if (v.is_boolean())
      return Attribute(builder.getBoolAttr(v.get<bool>()));
    return error(s, field) << "expected true or false, got "
                           << json::quote(v);
  case AttrKind::String:
    if (v.is_string())
      return Attribute(builder.getStringAttr(v.get<std::string>()));
    return error(s, field) << "expected a string, got " << json::quote(v);
  case AttrKind::IntList:
    if (v.is_array() && v.size() > kMaxRank)
      return error(s, field) << "expected at most " << kMaxRank
                             << " integers (one per dimension), got a list of "
                             << v.size();
    if (auto l = intList(0))
      return Attribute(builder.getDenseI64ArrayAttr(*l));
    return error(s, field) << "expected a list of integers, got "
                           << json::quote(v);
  case AttrKind::Pair: {
    std::optional<SmallVector<int64_t>> l;
    if (auto i = json::asInt(v))
      l = SmallVector<int64_t>{*i, *i};
    else if (v.is_array() && v.size() == 2)
      l = intList(2);
    if (l && (*l)[0] > 0 && (*l)[1] > 0)
      return Attribute(builder.getDenseI64ArrayAttr(*l));
    return error(s, field) << "expected a positive integer or a list of 2 "
                              "positive integers [h, w], got "
                           << json::quote(v);
  }
  case AttrKind::Padding: {
    std::optional<SmallVector<int64_t>> l;
    if (auto i = json::asInt(v))
      l = SmallVector<int64_t>{*i, *i, *i, *i};
    else if (v.is_array() && (v.size() == 2 || v.size() == 4))
      l = intList(2);
    if (l && l->size() == 2)
      l = SmallVector<int64_t>{(*l)[0], (*l)[1], (*l)[0], (*l)[1]};
    if (l && llvm::all_of(*l, [](int64_t p) { return p >= 0; }))
      return Attribute(builder.getDenseI64ArrayAttr(*l));
    return error(s, field)
           << "expected a non-negative integer, [h, w] or [top, left, "
              "bottom, right], got "
           << json::quote(v);
  }
  case AttrKind::DType: {
    auto t = parseDType(s, field, v);
    if (failed(t))
      return failure();
    return Attribute(TypeAttr::get(elementType(*t)));
  }
  case AttrKind::Value:
  case AttrKind::ValueType:
    break; // handled by parseConstant
  }
  return failure();
}

FailureOr<NamedAttrList> Importer::parseAttributes(const Subject &s,
                                                   const OpSchema &op,
                                                   const json::Value *v) {
  static const json::Value kEmpty = json::Value::object();
  if (!v)
    v = &kEmpty;
  if (!v->is_object())
    return error(s, "attributes") << "expected an object, got "
                                  << json::quote(*v);
  for (const auto &[key, val] : v->items()) {
    if (op.findAttr(key))
      continue;
    std::string takes;
    for (const AttrSpec &a : op.attrs)
      takes += (takes.empty() ? "" : ", ") + std::string(a.name);
    return error(s, JsonPositions::child("attributes", key))
           << "unknown attribute '" << key << "' (" << op.name << " takes "
           << (takes.empty() ? "no attributes" : takes) << ")";
  }
  NamedAttrList attrs;
  if (!strcmp(op.name, "constant")) {
    auto it = v->find("value");
    if (it == v->end())
      return error(s, "attributes") << "missing required attribute 'value'";
    auto dt = v->find("dtype");
    auto value = parseConstant(s, *it, dt == v->end() ? nullptr : &*dt);
    if (failed(value))
      return failure();
    attrs.append("value", *value);
    return attrs;
  }
  // Given values first, then defaults, since a default may copy another
  // attribute ("@kernel_size").
  for (const AttrSpec &a : op.attrs) {
    auto it = v->find(a.name);
    if (it == v->end()) {
      if (a.required)
        return error(s, "attributes")
               << "missing required attribute '" << a.name << "'";
      continue;
    }
    auto attr = convertAttr(s, std::string("attributes/") + a.name, a, *it);
    if (failed(attr))
      return failure();
    attrs.append(a.name, *attr);
  }
  for (const AttrSpec &a : op.attrs) {
    if (v->contains(a.name) || !a.defaultJson)
      continue;
    if (a.defaultJson[0] == '@') {
      attrs.append(a.name, attrs.get(a.defaultJson + 1));
      continue;
    }
    auto attr = convertAttr(s, "attributes", a,
                            json::Value::parse(a.defaultJson));
    if (failed(attr))
      return failure();
    attrs.append(a.name, *attr);
  }
  return attrs;
}

FailureOr<Attribute> Importer::parseConstant(const Subject &s,
                                             const json::Value &value,
                                             const json::Value *dtypeJson) {
  DType dtype = DType::F32;
  if (dtypeJson) {
    auto t = parseDType(s, "attributes/dtype", *dtypeJson);
    if (failed(t))
      return failure();
    dtype = *t;
  }
  const std::string field = "attributes/value";
  // The shape is the nesting of the first elements; every other element
  // must match it (a rectangular nested list).
  SmallVector<int64_t> shape;
  for (const json::Value *e = &value; e->is_array(); e = &(*e)[0]) {
    if (e->empty())
      return error(s, field) << "expected a number or a non-empty nested "
                                "list of numbers, got an empty list";
    if (shape.size() == 16)
      return error(s, field) << "expected at most 16 levels of nesting";
    shape.push_back(e->size());
  }
  Type elem = elementType(dtype);
  SmallVector<Attribute> elements;
  std::string bad;
  // Row-major walk with an explicit index, checking each element's nesting.
  auto leaf = [&](const json::Value &e) -> bool {
    if (isFloat(dtype)) {
      auto d = json::asNumber(e);
      if (!d)
        return false;
      elements.push_back(FloatAttr::get(elem, *d));
      return true;
    }
    std::optional<int64_t> i = json::asInt(e);
    if (dtype == DType::I1 && e.is_boolean())
      i = e.get<bool>();
    if (!i)
      return false;
    int64_t lo = dtype == DType::I1   ? 0
                 : dtype == DType::I32 ? std::numeric_limits<int32_t>::min()
                                       : std::numeric_limits<int64_t>::min();
    int64_t hi = dtype == DType::I1   ? 1
                 : dtype == DType::I32 ? std::numeric_limits<int32_t>::max()
                                       : std::numeric_limits<int64_t>::max();
    if (*i < lo || *i > hi)
      return false;
    elements.push_back(IntegerAttr::get(elem, *i));
    return true;
  };
  std::function<bool(const json::Value &, size_t)> walk =
      [&](const json::Value &e, size_t depth) -> bool {
    if (depth == shape.size()) {
      if (!leaf(e)) {
        bad = json::quote(e);
        return false;
      }
      return true;
    }
    if (!e.is_array() || (int64_t)e.size() != shape[depth]) {
      bad = "a ragged list: " + json::quote(e);
      return false;
    }
    for (const auto &c : e)
      if (!walk(c, depth + 1))
        return false;
    return true;
  };
  if (!walk(value, 0))
    return error(s, field) << "expected " << dtypeName(dtype)
                           << " values in a rectangular nested list, got "
                           << bad;
  auto type = RankedTensorType::get(shape, elem);
  return Attribute(DenseElementsAttr::get(type, elements));
}

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

namespace {
struct HyperParam {
  const char *name;
  std::optional<double> defaultValue; // nullopt: required
};
struct Scheme {
  const char *name;
  std::vector<HyperParam> params;
  bool needsFloat, needsFan;
};
const std::vector<Scheme> &schemes() {
  static const std::vector<Scheme> s = {
      {"zeros", {}, false, false},
      {"ones", {}, false, false},
      {"constant", {{"value", std::nullopt}}, false, false},
      {"uniform", {{"low", -0.05}, {"high", 0.05}}, true, false},
      {"normal", {{"mean", 0.0}, {"std", 0.05}}, true, false},
      {"he_normal", {}, true, true},
      {"he_uniform", {}, true, true},
      {"glorot_uniform", {}, true, true},
  };
  return s;
}
} // namespace

FailureOr<DictionaryAttr> Importer::parseInit(const Subject &s,
                                              const json::Value &v,
                                              ArrayRef<int64_t> shape,
                                              DType dtype) {
  if (!v.is_object())
    return error(s, "init") << "expected an object such as {\"scheme\": "
                               "\"he_normal\"} or {\"file\": \"w.npy\"}, got "
                            << json::quote(v);
  bool hasScheme = v.contains("scheme"), hasFile = v.contains("file");
  if (hasScheme == hasFile)
    return error(s, "init") << "expected exactly one of \"scheme\" and "
                               "\"file\"";
  return hasFile ? parseFileInit(s, v, shape, dtype)
                 : parseSchemeInit(s, v, shape, dtype);
}

/// {"file": "w.npy"} or {"file": "w.safetensors", "key": "w"}: the file's
/// header must hold this parameter's dtype and shape.
FailureOr<DictionaryAttr> Importer::parseFileInit(const Subject &s,
                                                  const json::Value &v,
                                                  ArrayRef<int64_t> shape,
                                                  DType dtype) {
  NamedAttrList out;
  for (const auto &[key, val] : v.items())
    if (key != "file" && key != "key")
      return error(s, JsonPositions::child("init", key))
             << "unknown key '" << key << "' (a file init takes file, key)";
  const auto &file = v["file"];
  if (!file.is_string() || file.get<std::string>().empty())
    return error(s, "init/file") << "expected a file name, got "
                                 << json::quote(file);
  std::string key;
  if (v.contains("key")) {
    if (!v["key"].is_string())
      return error(s, "init/key") << "expected a string, got "
                                  << json::quote(v["key"]);
    key = v["key"].get<std::string>();
  }
  // Relative paths are relative to the model file's directory.
  llvm::SmallString<256> resolved(file.get<std::string>());
  if (llvm::sys::path::is_relative(resolved)) {
    llvm::SmallString<256> dir(llvm::sys::path::parent_path(path));
    llvm::sys::path::append(dir, resolved);
    resolved = dir;
  }
  std::string fileName = resolved.str().str();
  if (!isTensorFile(fileName))
    return error(s, "init/file") << "expected a .npy or .safetensors file, "
                                    "got "
                                 << json::quote(file);
  if (!key.empty() && llvm::StringRef(fileName).ends_with(".npy"))
    return error(s, "init/key") << "an .npy file holds one tensor; 'key' is "
                                   "only for .safetensors files";
  TensorInfo info;
  std::string err;
  if (!readTensorFileHeader(fileName, key, info, err)) {
    bool keyProblem = err.find("no tensor named") != std::string::npos ||
                      err.find("say which with") != std::string::npos;
    return error(s, keyProblem && !key.empty() ? "init/key" : "init/file")
           << "cannot use weight file: " << err;
  }
  if (info.dtype != dtype ||
      ArrayRef<int64_t>(info.shape) != ArrayRef<int64_t>(shape))
    return error(s, "init/file")
           << "weight file " << fileName << (key.empty() ? "" : " key '")
           << key << (key.empty() ? "" : "'") << " holds "
           << dtypeName(info.dtype) << formatShape(info.shape)
           << ", expected " << dtypeName(dtype)
           << formatShape(std::vector<int64_t>(shape.begin(), shape.end()));
  out.append("file", builder.getStringAttr(fileName));
  if (!key.empty())
    out.append("key", builder.getStringAttr(key));
  return out.getDictionary(&ctx);
}

/// {"scheme": "normal", "std": 0.1, "seed": 3}: a scheme and its
/// hyper-parameters, defaults filled in.
FailureOr<DictionaryAttr> Importer::parseSchemeInit(const Subject &s,
                                                    const json::Value &v,
                                                    ArrayRef<int64_t> shape,
                                                    DType dtype) {
  NamedAttrList out;
  const auto &nameJson = v["scheme"];
  const Scheme *scheme = nullptr;
  for (const Scheme &sc : schemes())
    if (nameJson.is_string() && nameJson.get<std::string>() == sc.name)
      scheme = &sc;
  if (!scheme) {
    std::string names;
    for (const Scheme &sc : schemes())
      names += (names.empty() ? "" : ", ") + std::string(sc.name);
    return error(s, "init/scheme") << "unknown init scheme "
                                   << json::quote(nameJson) << " (expected one of "
                                   << names << ")";
  }
  out.append("scheme", builder.getStringAttr(scheme->name));
  for (const auto &[key, val] : v.items()) {
    if (key == "scheme")
      continue;
    if (key == "seed") {
      auto seed = json::asInt(val);
      if (!seed || *seed < 0)
        return error(s, "init/seed") << "expected a non-negative integer, got "
                                     << json::quote(val);
      out.append("seed", builder.getI64IntegerAttr(*seed));
      continue;
    }
    bool known = llvm::any_of(scheme->params, [&](const HyperParam &p) {
      return key == p.name;
    });
    if (!known) {
      std::string takes;
      for (const HyperParam &p : scheme->params)
        takes += std::string(p.name) + ", ";
      return error(s, JsonPositions::child("init", key))
             << "unknown hyper-parameter '" << key << "' for scheme '"
             << scheme->name << "' (it takes " << takes << "seed)";
    }
  }
  for (const HyperParam &p : scheme->params) {
    double value;
    if (v.contains(p.name)) {
      auto d = json::asNumber(v[p.name]);
      if (!d)
        return error(s, std::string("init/") + p.name)
               << "expected a number, got " << json::quote(v[p.name]);
      value = *d;
    } else if (p.defaultValue) {
      value = *p.defaultValue;
    } else {
      return error(s, "init") << "scheme '" << scheme->name
                              << "' needs '" << p.name << "'";
    }
    out.append(p.name, builder.getF64FloatAttr(value));
  }
  if (scheme->needsFloat && !isFloat(dtype))
    return error(s, "init/scheme") << "scheme '" << scheme->name
                                   << "' needs a float parameter, got "
                                   << dtypeName(dtype);
  if (scheme->needsFan && shape.empty())
    return error(s, "init/scheme") << "scheme '" << scheme->name
                                   << "' needs a parameter of rank at least "
                                      "1 (for fan_in and fan_out)";
  auto num = [&](const char *n) {
    return cast<FloatAttr>(out.get(n)).getValueAsDouble();
  };
  if (scheme->name == llvm::StringRef("uniform") &&
      !(num("low") < num("high")))
    return error(s, "init") << "expected low < high, got low "
                            << json::quote(v.value("low", json::Value(-0.05)))
                            << " and high "
                            << json::quote(v.value("high", json::Value(0.05)));
  if (scheme->name == llvm::StringRef("normal") && num("std") < 0)
    return error(s, "init/std") << "expected a non-negative std, got "
                                << json::quote(v["std"]);
  return out.getDictionary(&ctx);
}

//===----------------------------------------------------------------------===//
// Optimizer
//===----------------------------------------------------------------------===//

FailureOr<DictionaryAttr> Importer::parseOptimizer(const Subject &s,
                                                   const json::Value &v) {
  struct Param {
    const char *name;
    std::optional<double> defaultValue; // nullopt: required
    bool isBool = false;
  };
  static const std::vector<std::pair<const char *, std::vector<Param>>>
      optimizers = {
          {"sgd",
           {{"lr", std::nullopt},
            {"momentum", 0.0},
            {"weight_decay", 0.0},
            {"nesterov", 0.0, true}}},
          {"adam",
           {{"lr", std::nullopt},
            {"beta1", 0.9},
            {"beta2", 0.999},
            {"eps", 1e-8},
            {"weight_decay", 0.0}}},
          {"adamw",
           {{"lr", std::nullopt},
            {"beta1", 0.9},
            {"beta2", 0.999},
            {"eps", 1e-8},
            {"weight_decay", 0.01}}},
      };
  const std::string field = "optimizer";
  if (!v.is_object())
    return error(s, field) << "expected an object such as {\"name\": "
                              "\"adam\", \"lr\": 0.001}, got "
                           << json::quote(v);
  auto nameIt = v.find("name");
  const std::vector<Param> *params = nullptr;
  std::string name;
  if (nameIt != v.end() && nameIt->is_string()) {
    name = nameIt->get<std::string>();
    for (const auto &[n, p] : optimizers)
      if (name == n)
        params = &p;
  }
  if (!params)
    return error(s, nameIt == v.end() ? field : field + "/name")
           << "unknown optimizer "
           << (nameIt == v.end() ? "(no 'name')" : json::quote(*nameIt))
           << " (expected sgd, adam or adamw)";
  NamedAttrList out;
  out.append("name", builder.getStringAttr(name));
  for (const auto &[key, val] : v.items()) {
    if (key == "name" || llvm::any_of(*params, [&](const Param &p) {
          return key == p.name;
        }))
      continue;
    std::string takes;
    for (const Param &p : *params)
      takes += (takes.empty() ? "" : ", ") + std::string(p.name);
    return error(s, JsonPositions::child(field, key))
           << "unknown hyper-parameter '" << key << "' for optimizer '" << name
           << "' (it takes " << takes << ")";
  }
  for (const Param &p : *params) {
    std::string f = field + "/" + p.name;
    auto it = v.find(p.name);
    if (p.isBool) {
      if (it != v.end() && !it->is_boolean())
        return error(s, f) << "expected true or false, got "
                           << json::quote(*it);
      out.append(p.name, builder.getBoolAttr(it != v.end() && it->get<bool>()));
      continue;
    }
    double value;
    if (it != v.end()) {
      auto d = json::asNumber(*it);
      if (!d)
        return error(s, f) << "expected a number, got " << json::quote(*it);
      value = *d;
    } else if (p.defaultValue) {
      value = *p.defaultValue;
    } else {
      return error(s, field) << "optimizer '" << name << "' needs '" << p.name
                             << "'";
    }
    llvm::StringRef n = p.name;
    bool ok = n == "lr" || n == "eps" ? value > 0
              : n.starts_with("beta") ? value >= 0 && value < 1
                                      : value >= 0;
    if (!ok)
      return error(s, it != v.end() ? f : field)
             << "expected " << p.name
             << (n == "lr" || n == "eps"  ? " > 0"
                 : n.starts_with("beta") ? " in [0, 1)"
                                         : " >= 0")
             << ", got " << (it != v.end() ? json::quote(*it) : "0");
    out.append(p.name, builder.getF64FloatAttr(value));
  }
  if (name == "sgd" && cast<BoolAttr>(out.get("nesterov")).getValue() &&
      cast<FloatAttr>(out.get("momentum")).getValueAsDouble() <= 0)
    return error(s, field + "/nesterov") << "nesterov needs momentum > 0";
  return out.getDictionary(&ctx);
}

} // namespace dlc
