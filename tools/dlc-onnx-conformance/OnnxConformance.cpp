//===- OnnxConformance.cpp - the ONNX backend test data through dlc -------===//
//
// dlc-onnx-conformance [--data=DIR] [--suite=node,...] [--filter=SUBSTR]
//     [--device=reference|cpu --dlc=PATH] [--report=FILE.md]
//     [--expect-passing=FILE] [--write-passing=FILE] [--min-pass-rate=0.9]
//
// Walks <data>/<suite>/<case>/ (model.onnx, test_data_set_0/input_*.pb,
// output_*.pb), imports each model, runs it on test_data_set_0 and compares
// every output with the expected one (same shape; floats within
// |got - want| <= atol + rtol * |want| with rtol 1e-3, atol 1e-5, NaN where
// NaN is expected; integers and bools exactly). A case is
//   unsupported  an op type the importer does not map, or the importer
//                reports something unsupported (an attribute, a type),
//   fail         anything else that goes wrong (a wrong value, an import or
//                run error, a crash, a timeout),
//   pass         every output matches.
// Each case runs in a child process, so a crash is one failed case.
//
// --device=reference (default) runs the reference interpreter in process;
// --device=cpu runs `<dlc> run --device=cpu` (the compiled kernels built for
// the host) on .npy files.
//
// Exit status: 1 when --expect-passing lists a case that does not pass, or
// when passes / (passes + fails) is below --min-pass-rate; else 0.
//
//===----------------------------------------------------------------------===//
#include "frontend/OnnxImport.h"
#include "frontend/OnnxTensor.h"
#include "ir/DlcDialect.h"
#include "ir/Interpreter.h"
#include "runtime/TensorFile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace cl = llvm::cl;
using namespace dlc;

static cl::opt<std::string>
    dataDir("data", cl::desc("Root of the ONNX backend test data"),
            cl::init("/usr/share/libonnx-testdata/data"));
static cl::list<std::string>
    suites("suite", cl::desc("Suites to run (default: node, "
                             "pytorch-converted, pytorch-operator, simple)"),
           cl::CommaSeparated);
static cl::opt<std::string> filter("filter",
                                   cl::desc("Only cases whose name contains "
                                            "this"));
static cl::opt<std::string>
    device("device", cl::desc("reference (the interpreter, in process) or "
                              "cpu (dlc run --device=cpu)"),
           cl::init("reference"));
static cl::opt<std::string> dlcPath("dlc", cl::desc("The dlc binary for "
                                                    "--device=cpu"),
                                    cl::init("dlc"));
static cl::opt<std::string> reportPath("report",
                                       cl::desc("Write a markdown report"));
static cl::opt<std::string>
    expectPassing("expect-passing",
                  cl::desc("A list of cases (suite/case per line) that must "
                           "pass"));
static cl::opt<std::string>
    writePassing("write-passing", cl::desc("Write the passing cases here"));
static cl::opt<double> minPassRate(
    "min-pass-rate",
    cl::desc("Least passes / (passes + fails) accepted (default 0.9)"),
    cl::init(0.9));
static cl::opt<unsigned> timeoutS("timeout", cl::desc("Seconds per case"),
                                  cl::init(60));
static cl::opt<bool> verbose("v", cl::desc("Print every case"));

namespace {

constexpr double kRtol = 1e-3, kAtol = 1e-5;

enum class Status { Pass, Fail, Unsupported };

struct Result {
  Status status = Status::Fail;
  std::string detail;
  std::vector<std::string> ops;
};

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
  case DType::F16: { uint16_t h; std::memcpy(&h, p + 2 * i, 2); return halfToFloat(h); }
  case DType::BF16: { uint32_t b = 0; std::memcpy(reinterpret_cast<char *>(&b) + 2, p + 2 * i, 2); float f; std::memcpy(&f, &b, 4); return f; }
  case DType::F32: { float f; std::memcpy(&f, p + 4 * i, 4); return f; }
  case DType::F64: { double d; std::memcpy(&d, p + 8 * i, 8); return d; }
  case DType::I1: return p[i];
  case DType::I32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case DType::I64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return double(v); }
  }
  return 0;
}

/// Empty when `got` matches `want`, else what differs.
std::string compare(const HostTensor &got, const HostTensor &want) {
  if (got.shape != want.shape)
    return "shape " + formatShape(got.shape) + ", expected " +
           formatShape(want.shape);
  bool exact = !isFloat(want.dtype);
  for (int64_t i = 0, n = want.numel(); i < n; ++i) {
    double g = elementAt(got, i), w = elementAt(want, i);
    bool ok = exact ? g == w
                    : (std::isnan(w) ? std::isnan(g)
                                     : (g == w || std::abs(g - w) <=
                                                      kAtol + kRtol * std::abs(w)));
    if (!ok) {
      std::ostringstream os;
      os << "element " << i << " is " << g << ", expected " << w;
      return os.str();
    }
  }
  return "";
}

std::vector<std::string> sortedDir(const std::string &dir, bool dirs) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    bool isDir = llvm::sys::fs::is_directory(it->path());
    if (isDir == dirs)
      out.push_back(llvm::sys::path::filename(it->path()).str());
  }
  std::sort(out.begin(), out.end());
  return out;
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

int runCommand(const std::string &cmd, std::string &output) {
  output.clear();
  FILE *f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f)
    return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    output.append(buf, n);
  int rc = pclose(f);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Result runCase(const std::string &caseDir) {
  Result r;
  std::string model = caseDir + "/model.onnx", err;
  onnx::ModelProto proto;
  if (!readOnnxModel(model, proto, err))
    return {Status::Fail, err, {}};
  std::set<std::string> ops;
  for (const auto &n : proto.graph().node())
    ops.insert(n.op_type());
  r.ops.assign(ops.begin(), ops.end());
  auto supported = supportedOnnxOps();
  std::vector<std::string> missing;
  for (const std::string &op : r.ops)
    if (!std::binary_search(supported.begin(), supported.end(), op))
      missing.push_back(op);
  if (!missing.empty()) {
    r.status = Status::Unsupported;
    r.detail = "op " + missing[0] + " is not mapped";
    return r;
  }
  // Inputs and outputs of a type dlc does not have (uint8, string,
  // sequences) make the case unsupported before anything runs.
  for (const auto *list : {&proto.graph().input(), &proto.graph().output()})
    for (const auto &vi : *list)
      if (!vi.type().has_tensor_type() ||
          !dtypeOfOnnx(vi.type().tensor_type().elem_type()))
        return {Status::Unsupported,
                "value '" + vi.name() + "' has a type dlc lacks (" +
                    (vi.type().has_tensor_type()
                         ? onnxTypeName(vi.type().tensor_type().elem_type())
                         : std::string("not a tensor")) +
                    ")",
                r.ops};
  std::string dataSet = caseDir + "/test_data_set_0";
  std::set<std::string> inits;
  for (const auto &t : proto.graph().initializer())
    inits.insert(t.name());
  std::vector<std::string> inputNames;
  std::vector<int> inTypes, outTypes;
  for (const auto &vi : proto.graph().input())
    if (!inits.count(vi.name())) {
      inputNames.push_back(vi.name());
      inTypes.push_back(vi.type().tensor_type().elem_type());
    }
  for (const auto &vi : proto.graph().output())
    outTypes.push_back(vi.type().tensor_type().elem_type());
  std::vector<HostTensor> inputs, expected;
  if (!readSet(dataSet, "input_", inTypes, inputs, err) ||
      !readSet(dataSet, "output_", outTypes, expected, err))
    return {Status::Fail, err, r.ops};
  if (inputNames.size() != inputs.size())
    return {Status::Fail,
            "the model has " + std::to_string(inputNames.size()) +
                " inputs, the data set " + std::to_string(inputs.size()),
            r.ops};

  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::dlc::DlcDialect, mlir::func::FuncDialect>();
  ctx.printOpOnDiagnostic(false);
  std::string message;
  mlir::ScopedDiagnosticHandler capture(&ctx, [&](mlir::Diagnostic &d) {
    if (message.empty() && d.getSeverity() == mlir::DiagnosticSeverity::Error)
      message = d.str();
    return mlir::success();
  });
  auto module = importOnnxModel(ctx, model);
  if (!module) {
    bool unsupported = message.find("unsupported") != std::string::npos;
    return {unsupported ? Status::Unsupported : Status::Fail,
            "import: " + message, r.ops};
  }
  std::vector<HostTensor> got;
  if (device == "cpu") {
    llvm::SmallString<128> tmp;
    if (llvm::sys::fs::createUniqueDirectory("dlc-onnx", tmp))
      return {Status::Fail, "cannot create a temporary directory", r.ops};
    std::string dir = tmp.str().str(), cmd = dlcPath + " run --device=cpu " +
                                             model + " -o " + dir + "/out";
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::string p = dir + "/in" + std::to_string(i) + ".npy";
      if (!writeNpy(p, inputs[i], err))
        return {Status::Fail, err, r.ops};
      cmd += " --input '" + inputNames[i] + "=" + p + "'";
    }
    llvm::sys::fs::create_directories(dir + "/out");
    std::string output;
    if (runCommand(cmd, output) != 0)
      return {Status::Fail, "dlc run: " + output.substr(0, 300), r.ops};
    auto func = getModelFunction(*module);
    auto desc = describeModel(func);
    if (failed(desc))
      return {Status::Fail, "describe: " + message, r.ops};
    for (const ModelValue &v : *desc)
      if (v.kind == ModelValue::Kind::Output) {
        HostTensor t;
        if (!readNpy(dir + "/out/" + v.name + ".npy", t, err))
          return {Status::Fail, err, r.ops};
        got.push_back(std::move(t));
      }
    llvm::sys::fs::remove_directories(dir);
  } else {
    std::map<std::string, HostTensor> bound;
    for (size_t i = 0; i < inputs.size(); ++i)
      bound[inputNames[i]] = inputs[i];
    // f64 models run in f64 (F32 mode holds f64 values in float).
    InterpreterOptions opts;
    for (const auto &vi : proto.graph().output())
      if (vi.type().tensor_type().elem_type() == onnx::TensorProto::DOUBLE)
        opts.precision = Precision::F64;
    auto outs = runModel(*module, bound, opts);
    if (failed(outs))
      return {Status::Fail, "run: " + message, r.ops};
    for (NamedTensor &t : *outs)
      got.push_back(std::move(t.tensor));
  }
  if (got.size() != expected.size())
    return {Status::Fail,
            std::to_string(got.size()) + " outputs, expected " +
                std::to_string(expected.size()),
            r.ops};
  for (size_t i = 0; i < got.size(); ++i) {
    std::string diff = compare(got[i], expected[i]);
    if (!diff.empty())
      return {Status::Fail, "output " + std::to_string(i) + ": " + diff, r.ops};
  }
  r.status = Status::Pass;
  return r;
}

/// Runs one case in a child process: a crash or a hang is a failed case.
Result runIsolated(const std::string &caseDir) {
  int fds[2];
  if (pipe(fds) != 0)
    return {Status::Fail, "pipe failed", {}};
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(timeoutS);
    Result r = runCase(caseDir);
    std::string line = std::to_string(int(r.status)) + "\n";
    for (const std::string &op : r.ops)
      line += op + " ";
    line += "\n";
    for (char c : r.detail)
      line += c == '\n' ? ' ' : c;
    line += "\n";
    (void)!write(fds[1], line.data(), line.size());
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    text.append(buf, n);
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  Result r;
  std::istringstream in(text);
  std::string status, ops;
  if (!std::getline(in, status) || !std::getline(in, ops)) {
    r.detail = WIFSIGNALED(st) ? "crashed (signal " +
                                     std::to_string(WTERMSIG(st)) + ")"
                               : "no result";
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
      r.detail = "timed out after " + std::to_string(timeoutS) + " s";
    return r;
  }
  std::getline(in, r.detail);
  r.status = Status(std::stoi(status));
  std::istringstream os(ops);
  for (std::string op; os >> op;)
    r.ops.push_back(op);
  return r;
}

struct Counts {
  unsigned pass = 0, fail = 0, unsupported = 0;
  void add(Status s) {
    (s == Status::Pass ? pass : s == Status::Fail ? fail : unsupported)++;
  }
  double rate() const { return pass + fail ? double(pass) / (pass + fail) : 1; }
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv, "Runs the ONNX backend test data through dlc\n");
  if (device != "reference" && device != "cpu") {
    llvm::errs() << "error: --device must be reference or cpu\n";
    return 1;
  }
  std::vector<std::string> suiteList(suites.begin(), suites.end());
  if (suiteList.empty())
    suiteList = {"node", "pytorch-converted", "pytorch-operator", "simple"};

  std::map<std::string, Counts> perSuite, perOp;
  std::map<std::string, Result> results;
  Counts total;
  for (const std::string &suite : suiteList) {
    std::string dir = dataDir + "/" + suite;
    if (!llvm::sys::fs::is_directory(dir)) {
      llvm::errs() << "error: no suite directory " << dir << "\n";
      return 1;
    }
    for (const std::string &c : sortedDir(dir, true)) {
      if (!filter.empty() && c.find(filter) == std::string::npos)
        continue;
      std::string id = suite + "/" + c;
      Result r = runIsolated(dir + "/" + c);
      perSuite[suite].add(r.status);
      total.add(r.status);
      for (const std::string &op : r.ops)
        perOp[op].add(r.status);
      if (verbose || r.status == Status::Fail)
        llvm::outs() << (r.status == Status::Pass   ? "PASS"
                         : r.status == Status::Fail ? "FAIL"
                                                    : "UNSUPPORTED")
                     << ": " << id
                     << (r.detail.empty() ? "" : ": " + r.detail) << "\n";
      results[id] = std::move(r);
    }
  }
  char rate[32];
  for (const auto &[suite, c] : perSuite) {
    snprintf(rate, sizeof rate, "%.1f%%", 100 * c.rate());
    llvm::outs() << "suite " << suite << ": " << c.pass << " pass, " << c.fail
                 << " fail, " << c.unsupported << " unsupported (" << rate
                 << " of supported cases pass)\n";
  }
  snprintf(rate, sizeof rate, "%.1f%%", 100 * total.rate());
  llvm::outs() << "total: " << total.pass << " pass, " << total.fail
               << " fail, " << total.unsupported << " unsupported (" << rate
               << " of supported cases pass)\n";

  if (!reportPath.empty()) {
    std::ofstream md(reportPath);
    md << "# ONNX backend conformance\n\n"
       << "Generated by `dlc-onnx-conformance --device=" << device
       << " --report=...` over " << dataDir << " (test_data_set_0 of each "
       << "case; rtol " << kRtol << ", atol " << kAtol
       << "). A case is *unsupported* when it uses an op type the importer "
          "does not map or the importer reports an unsupported attribute or "
          "type; *fail* is anything else that goes wrong. See docs/onnx.md.\n\n"
       << "## Per suite\n\n| suite | pass | fail | unsupported | pass rate "
          "(supported) |\n|---|---:|---:|---:|---:|\n";
    auto row = [&](const std::string &name, const Counts &c) {
      snprintf(rate, sizeof rate, "%.1f%%", 100 * c.rate());
      md << "| " << name << " | " << c.pass << " | " << c.fail << " | "
         << c.unsupported << " | " << rate << " |\n";
    };
    for (const auto &[suite, c] : perSuite)
      row(suite, c);
    row("**total**", total);
    md << "\n## Per op type\n\nA case counts under every op type its model "
          "uses.\n\n| op | pass | fail | unsupported | pass rate (supported) "
          "|\n|---|---:|---:|---:|---:|\n";
    for (const auto &[op, c] : perOp)
      row(op, c);
    md << "\n## Failing cases\n\n";
    for (const auto &[id, r] : results)
      if (r.status == Status::Fail)
        md << "- `" << id << "`: " << r.detail << "\n";
  }
  if (!writePassing.empty()) {
    std::ofstream out(writePassing);
    for (const auto &[id, r] : results)
      if (r.status == Status::Pass)
        out << id << "\n";
  }
  int rc = 0;
  if (!expectPassing.empty()) {
    std::ifstream in(expectPassing);
    if (!in) {
      llvm::errs() << "error: cannot read " << expectPassing << "\n";
      return 1;
    }
    for (std::string id; std::getline(in, id);) {
      if (id.empty() || id[0] == '#')
        continue;
      auto it = results.find(id);
      if (it == results.end())
        continue; // not selected by --suite/--filter
      if (it->second.status != Status::Pass) {
        llvm::outs() << "REGRESSION: " << id << " passed before: "
                     << it->second.detail << "\n";
        rc = 1;
      }
    }
  }
  if (total.rate() < minPassRate) {
    snprintf(rate, sizeof rate, "%.1f%% is below %.1f%%", 100 * total.rate(),
             100 * minPassRate);
    llvm::outs() << "error: pass rate " << rate << "\n";
    rc = 1;
  }
  return rc;
}
