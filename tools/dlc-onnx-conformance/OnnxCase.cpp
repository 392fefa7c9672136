//===- OnnxCase.cpp - one ONNX backend test case through dlc --------------===//
#include "tools/dlc-onnx-conformance/OnnxCase.h"

#include "codegen/CudaEmitter.h"
#include "frontend/OnnxImport.h"
#include "frontend/OnnxTensor.h"
#include "ir/DlcDialect.h"
#include "ir/Interpreter.h"
#include "ir/ModelAttrs.h"
#include "passes/Pipeline.h"
#include "runtime/core/AtomicFile.h"
#include "runtime/core/Program.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace dlc::conformance {

const char *statusName(Status s) {
  return s == Status::Pass ? "PASS" : s == Status::Fail ? "FAIL" : "UNSUPPORTED";
}

std::string Result::serialize() const {
  std::string s = std::to_string(int(status)) + "\n";
  for (const std::string &op : ops)
    s += op + " ";
  s += "\n";
  for (char c : detail)
    s += c == '\n' ? ' ' : c;
  return s + "\n";
}

bool Result::deserialize(const std::string &text, Result &r) {
  std::istringstream in(text);
  std::string status, ops;
  if (!std::getline(in, status) || !std::getline(in, ops) || status.empty() ||
      status[0] < '0' || status[0] > '2')
    return false;
  std::getline(in, r.detail);
  r.status = Status(status[0] - '0');
  r.ops.clear();
  std::istringstream os(ops);
  for (std::string op; os >> op;)
    r.ops.push_back(op);
  return true;
}

namespace {

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f,
           man = h & 0x3ff;
  float f;
  if (exp == 0)
    f = std::ldexp(float(man), -24);
  else if (exp == 31)
    f = man ? NAN : INFINITY;
  else
    f = std::ldexp(float(man | 0x400), int(exp) - 25);
  return sign ? -f : f;
}

double elementAt(const HostTensor &t, int64_t i) {
  const uint8_t *p = t.bytes.data();
  switch (t.dtype) {
  case DType::F16: {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    return halfToFloat(h);
  }
  case DType::BF16: {
    uint32_t b = 0;
    std::memcpy(reinterpret_cast<char *>(&b) + 2, p + 2 * i, 2);
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
  case DType::F32: {
    float f;
    std::memcpy(&f, p + 4 * i, 4);
    return f;
  }
  case DType::F64: {
    double d;
    std::memcpy(&d, p + 8 * i, 8);
    return d;
  }
  case DType::I1:
    return p[i];
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    return double(v);
  }
  }
  return 0;
}

/// The tensors <prefix><i>.pb of a data set, in order. The backend tests
/// store bfloat16 data as UINT16 bits: `types` (the model's declared ONNX
/// types, by position) turns those back into bfloat16.
bool readSet(const std::string &dir, const char *prefix,
             const std::vector<int> &types, std::vector<HostTensor> &out,
             std::string &err) {
  for (size_t i = 0;; ++i) {
    std::string p = dir + "/" + prefix + std::to_string(i) + ".pb";
    if (!llvm::sys::fs::exists(p))
      return true;
    std::ifstream in(p, std::ios::binary);
    onnx::TensorProto t;
    if (!in || !t.ParseFromIstream(&in)) {
      err = p + ": not a valid ONNX TensorProto";
      return false;
    }
    if (t.data_type() == onnx::TensorProto::UINT16 && i < types.size() &&
        types[i] == onnx::TensorProto::BFLOAT16)
      t.set_data_type(onnx::TensorProto::BFLOAT16);
    HostTensor h;
    if (!tensorFromProto(t, h, err)) {
      err = p + ": " + err;
      return false;
    }
    out.push_back(std::move(h));
  }
}

} // namespace

double bf16Ulp(double x) {
  if (x == 0 || !std::isfinite(x))
    return std::ldexp(1.0, -133); // the least subnormal
  int e = 0;
  std::frexp(x, &e); // |x| = m * 2^e, m in [0.5, 1): 8 significant bits
  return std::ldexp(1.0, std::max(e, -125) - 8);
}

std::string compareTensors(const HostTensor &got, const HostTensor &want) {
  if (got.dtype != want.dtype)
    return std::string(dtypeName(got.dtype)) + ", expected " +
           std::string(dtypeName(want.dtype));
  if (got.shape != want.shape)
    return "shape " + formatShape(got.shape) + ", expected " +
           formatShape(want.shape);
  bool exact = !isFloat(want.dtype);
  for (int64_t i = 0, n = want.numel(); i < n; ++i) {
    double g = elementAt(got, i), w = elementAt(want, i);
    double tol = kAtol + kRtol * std::abs(w);
    if (want.dtype == DType::BF16)
      tol = std::max(tol, bf16Ulp(w));
    bool ok = exact ? g == w
                    : (std::isnan(w) ? std::isnan(g)
                                     : (g == w || std::abs(g - w) <= tol));
    if (!ok) {
      std::ostringstream os;
      os << "element " << i << " is " << g << ", expected " << w;
      return os.str();
    }
  }
  return "";
}

Result OnnxCase::failure(const std::string &what) const {
  return {Status::Fail, what, ops_};
}

std::unique_ptr<OnnxCase> OnnxCase::load(const std::string &dir, Result &r) {
  std::unique_ptr<OnnxCase> c(new OnnxCase);
  c->model_ = dir + "/model.onnx";
  std::string err;
  onnx::ModelProto proto;
  r = {};
  if (!readOnnxModel(c->model_, proto, err))
    return r.detail = err, nullptr;
  std::set<std::string> ops;
  for (const auto &n : proto.graph().node())
    ops.insert(n.op_type());
  r.ops = c->ops_ = {ops.begin(), ops.end()};
  auto supported = supportedOnnxOps();
  for (const std::string &op : r.ops)
    if (!std::binary_search(supported.begin(), supported.end(), op)) {
      r.status = Status::Unsupported;
      r.detail = "op " + op + " is not mapped";
      return nullptr;
    }
  // Inputs and outputs of a type dlc does not have (uint8, string,
  // sequences) make the case unsupported before anything runs.
  for (const auto *list : {&proto.graph().input(), &proto.graph().output()})
    for (const auto &vi : *list)
      if (!vi.type().has_tensor_type() ||
          !dtypeOfOnnx(vi.type().tensor_type().elem_type())) {
        r.status = Status::Unsupported;
        r.detail = "value '" + vi.name() + "' has a type dlc lacks (" +
                   (vi.type().has_tensor_type()
                        ? onnxTypeName(vi.type().tensor_type().elem_type())
                        : std::string("not a tensor")) +
                   ")";
        return nullptr;
      }
  std::set<std::string> inits;
  for (const auto &t : proto.graph().initializer())
    inits.insert(t.name());
  std::vector<int> inTypes, outTypes;
  for (const auto &vi : proto.graph().input())
    if (!inits.count(vi.name())) {
      c->inputNames_.push_back(vi.name());
      inTypes.push_back(vi.type().tensor_type().elem_type());
    }
  for (const auto &vi : proto.graph().output()) {
    outTypes.push_back(vi.type().tensor_type().elem_type());
    c->f64_ |= outTypes.back() == onnx::TensorProto::DOUBLE;
  }
  std::string dataSet = dir + "/test_data_set_0";
  if (!readSet(dataSet, "input_", inTypes, c->inputs_, err) ||
      !readSet(dataSet, "output_", outTypes, c->expected_, err))
    return r.detail = err, nullptr;
  if (c->inputNames_.size() != c->inputs_.size()) {
    r.detail = "the model has " + std::to_string(c->inputNames_.size()) +
               " inputs, the data set " + std::to_string(c->inputs_.size());
    return nullptr;
  }

  c->ctx_ = std::make_unique<mlir::MLIRContext>();
  c->ctx_->loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
  c->ctx_->printOpOnDiagnostic(false);
  OnnxCase *self = c.get();
  c->ctx_->getDiagEngine().registerHandler([self](mlir::Diagnostic &d) {
    if (self->message_.empty() &&
        d.getSeverity() == mlir::DiagnosticSeverity::Error)
      self->message_ = d.str();
    return mlir::success();
  });
  c->module_ = importOnnxModel(*c->ctx_, c->model_);
  if (!c->module_) {
    bool unsupported = c->message_.find("unsupported") != std::string::npos;
    r.status = unsupported ? Status::Unsupported : Status::Fail;
    r.detail = "import: " + c->message_;
    return nullptr;
  }
  // An input no output depends on (CastLike's `like`: only its type
  // matters) is dropped with its data: the data set's tensor for it need
  // not have the declared shape.
  mlir::func::FuncOp func = getModelFunction(*c->module_);
  if (!func) {
    r.detail = "import: " + c->message_;
    return nullptr;
  }
  llvm::BitVector unused(func.getNumArguments());
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<mlir::StringAttr>(i, attrs::kInput);
    if (!name || !func.getArgument(i).use_empty())
      continue;
    unused.set(i);
    auto it = std::find(c->inputNames_.begin(), c->inputNames_.end(),
                        name.getValue().str());
    if (it != c->inputNames_.end()) {
      c->inputs_.erase(c->inputs_.begin() + (it - c->inputNames_.begin()));
      c->inputNames_.erase(it);
    }
  }
  (void)func.eraseArguments(unused);
  return c;
}

Result OnnxCase::check(const std::vector<HostTensor> &got) {
  if (got.size() != expected_.size())
    return failure(std::to_string(got.size()) + " outputs, expected " +
                   std::to_string(expected_.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    std::string diff = compareTensors(got[i], expected_[i]);
    if (!diff.empty())
      return failure("output " + std::to_string(i) + ": " + diff);
  }
  return {Status::Pass, "", ops_};
}

Result OnnxCase::runReference() {
  std::map<std::string, HostTensor> bound;
  for (size_t i = 0; i < inputs_.size(); ++i)
    bound[inputNames_[i]] = inputs_[i];
  // f64 models run in f64 (F32 mode holds f64 values in float).
  InterpreterOptions opts;
  if (f64_)
    opts.precision = Precision::F64;
  message_.clear();
  auto outs = runModel(*module_, bound, opts);
  if (failed(outs))
    return failure("run: " + message_);
  std::vector<HostTensor> got;
  for (NamedTensor &t : *outs)
    got.push_back(std::move(t.tensor));
  return check(got);
}

bool OnnxCase::compile(const std::string &programDir, Result &r) {
  // A clone: the params and model values come from the imported module.
  mlir::OwningOpRef<mlir::ModuleOp> module = module_->clone();
  mlir::func::FuncOp func = getModelFunction(*module);
  mlir::PassManager pm(module.get()->getName());
  mlir::dlc::buildCompilePipeline(pm, {});
  message_.clear();
  if (failed(pm.run(*module))) {
    r = failure("compile: " + message_);
    return false;
  }
  auto emitted = mlir::dlc::emitCuda(func);
  if (failed(emitted)) {
    r = failure("emit: " + message_);
    return false;
  }
  std::string err;
  if (!writeFileAtomically(programDir + "/manifest.json",
                           {emitted->manifestJson}, err) ||
      !writeFileAtomically(programDir + "/kernels.cu", {emitted->source},
                           err)) {
    r = failure(err);
    return false;
  }
  return true;
}

Result OnnxCase::runCpu(const std::string &programDir,
                        const CpuDeviceOptions &opts) {
  std::string err;
  Program program;
  if (!Program::load(programDir, program, err))
    return failure(err);
  message_.clear();
  auto params = materializeParams(*module_);
  if (failed(params))
    return failure("params: " + message_);
  auto values = describeModel(getModelFunction(*module_));
  if (failed(values))
    return failure("describe: " + message_);
  std::map<std::string, HostTensor> inputs;
  for (size_t i = 0; i < inputs_.size(); ++i)
    inputs[inputNames_[i]] = inputs_[i];
  // Bind by the manifest's model_name (buffer names are C identifiers);
  // outputs are poisoned, so an element no kernel writes shows.
  auto outputs = makeOutputs(program, /*poison=*/true);
  std::map<std::string, std::string> outputBuffer; // model name -> buffer
  BufferBindings bindings;
  for (const ProgramBuffer &b : program.buffers()) {
    HostTensor *t = nullptr;
    if (b.role == BufferRole::Input && inputs.count(b.modelName))
      t = &inputs.at(b.modelName);
    else if (b.role == BufferRole::Param && params->count(b.modelName))
      t = &params->at(b.modelName);
    else if (b.role == BufferRole::Output)
      t = &outputs.at(b.name), outputBuffer[b.modelName] = b.name;
    else if (b.role == BufferRole::Intermediate)
      continue;
    if (!t)
      return failure(std::string("manifest ") + bufferRoleName(b.role) +
                     " '" + b.name + "' matches no model value");
    bindings[b.name] = t;
  }
  CpuDevice device(opts);
  if (!device.load(program, err) || !device.run(bindings, err))
    return failure(err);
  std::vector<HostTensor> got;
  for (const ModelValue &mv : *values) {
    if (mv.kind != ModelValue::Kind::Output)
      continue;
    auto it = outputBuffer.find(mv.name);
    if (it == outputBuffer.end())
      return failure("the program has no output '" + mv.name + "'");
    got.push_back(std::move(outputs.at(it->second)));
  }
  return check(got);
}

} // namespace dlc::conformance
