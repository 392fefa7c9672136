//===- OnnxConformance.cpp - the ONNX backend test data through dlc -------===//
//
// dlc-onnx-conformance [--data=DIR] [--suite=node,...] [--filter=SUBSTR]
//     [--device=cpu|reference] [-j N] [--batch=N] [--report=FILE.md]
//     [--expect-passing=FILE] [--write-passing=FILE] [--min-pass-rate=0.9]
//
// Walks <data>/<suite>/<case>/ (model.onnx, test_data_set_0/input_*.pb,
// output_*.pb), imports each model, runs it on test_data_set_0 and compares
// every output with the expected one (OnnxCase.h has the tolerances). A
// case is
//   unsupported  an op type the importer does not map, or the importer
//                reports something unsupported (an attribute, a type),
//   fail         anything else that goes wrong (a wrong value, an import,
//                compile or run error, a crash, a timeout),
//   pass         every output matches.
//
// --device=cpu (default) is the real compile path, as `dlc run
// --device=cpu`: import -> fuse -> tile -> plan memory -> CUDA emission ->
// the host C++ compiler -> the CPU device. It runs in three steps, each case
// in a child process of its own (a crash is one failed case), -j at a time:
//   1. import and compile every case, writing its manifest and kernels;
//   2. build the kernels of --batch cases at a time into one host library
//      (buildCpuLibrary: one compiler start and one parse of the host
//      prelude per batch instead of per case, which is most of the cost of
//      a small program); a batch the compiler rejects is split in halves
//      until the culprit stands alone, and that case compiles by itself in
//      step 3, which reports the compiler's error;
//   3. run every case from its batch's library and compare.
// --device=reference runs the reference interpreter in step 1 instead.
//
// Exit status: 1 when --expect-passing lists a case that does not pass, or
// when passes / (passes + fails) is below --min-pass-rate; else 0.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc-onnx-conformance/ForkPool.h"
#include "tools/dlc-onnx-conformance/OnnxCase.h"

#include "runtime/core/CacheDir.h"
#include "runtime/core/Env.h"
#include "runtime/core/Program.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

namespace cl = llvm::cl;
using namespace dlc;
using namespace dlc::conformance;

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
static cl::opt<std::string> device(
    "device",
    cl::desc("cpu: the compile pipeline, CUDA emission and the host compiler, "
             "run on the CPU device (default); reference: the reference "
             "interpreter"),
    cl::init("cpu"));
static cl::opt<unsigned>
    jobs("j", cl::desc("Child processes at a time (default: the hardware's "
                       "threads)"),
         cl::init(0));
static cl::opt<unsigned> batchSize(
    "batch",
    cl::desc("Cases whose kernels one host compiler run builds (cpu)"),
    cl::init(48));
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

struct Case {
  std::string suite, name, dir;
  std::string id() const { return suite + "/" + name; }
};

std::vector<std::string> sortedSubdirs(const std::string &dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()))
      out.push_back(llvm::sys::path::filename(it->path()).str());
  std::sort(out.begin(), out.end());
  return out;
}

/// A child's result, or a failure saying what happened to the child.
Result resultOf(const ChildResult &c) {
  Result r;
  if (!c.finished || !Result::deserialize(c.text, r))
    r = {Status::Fail, c.finished ? "unreadable result" : c.text, {}};
  return r;
}

/// Step 2: builds libraries for the cases in `ready`, --batch at a time,
/// splitting a batch the compiler rejects. Sets library[i] and prefix[i] for
/// every case whose kernels are in a library.
void buildLibraries(const std::vector<size_t> &ready,
                    const std::string &workDir, const CpuDeviceOptions &opts,
                    std::vector<std::string> &library,
                    std::vector<std::string> &prefix) {
  std::vector<std::vector<size_t>> todo;
  for (size_t i = 0; i < ready.size(); i += batchSize)
    todo.emplace_back(ready.begin() + i,
                      ready.begin() + std::min(ready.size(),
                                               i + std::max(1u, unsigned(batchSize))));
  while (!todo.empty()) {
    auto built = runForked(
        todo.size(), jobs, 10 * timeoutS, workDir, [&](size_t b) {
          std::vector<Program> programs(todo[b].size());
          std::vector<const Program *> ptrs;
          std::string err, lib;
          for (size_t k = 0; k < todo[b].size(); ++k) {
            if (!Program::load(workDir + "/" + std::to_string(todo[b][k]),
                               programs[k], err))
              return "error " + err;
            ptrs.push_back(&programs[k]);
          }
          if (!buildCpuLibrary(ptrs, opts, lib, err))
            return "error " + err;
          return "ok " + lib;
        });
    std::vector<std::vector<size_t>> next;
    for (size_t b = 0; b < todo.size(); ++b) {
      const std::string &text = built[b].text;
      if (built[b].finished && text.rfind("ok ", 0) == 0) {
        for (size_t k = 0; k < todo[b].size(); ++k) {
          library[todo[b][k]] = text.substr(3);
          prefix[todo[b][k]] = batchLauncherPrefix(k);
        }
      } else if (todo[b].size() > 1) { // find the culprit
        size_t half = todo[b].size() / 2;
        next.emplace_back(todo[b].begin(), todo[b].begin() + half);
        next.emplace_back(todo[b].begin() + half, todo[b].end());
      }
    }
    todo = std::move(next);
  }
}

struct Counts {
  unsigned pass = 0, fail = 0, unsupported = 0;
  void add(Status s) {
    (s == Status::Pass ? pass : s == Status::Fail ? fail : unsupported)++;
  }
  unsigned all() const { return pass + fail + unsupported; }
  /// Over the supported cases (what --min-pass-rate checks).
  double rate() const { return pass + fail ? double(pass) / (pass + fail) : 1; }
  /// Over all cases, unsupported ones included: the headline.
  double rateAll() const { return all() ? double(pass) / all() : 1; }
};

/// The cases of every selected suite whose name contains --filter; false
/// after reporting a missing suite directory.
bool collectCases(std::vector<Case> &cases) {
  std::vector<std::string> suiteList(suites.begin(), suites.end());
  if (suiteList.empty())
    suiteList = {"node", "pytorch-converted", "pytorch-operator", "simple"};
  for (const std::string &suite : suiteList) {
    std::string dir = dataDir + "/" + suite;
    if (!llvm::sys::fs::is_directory(dir)) {
      llvm::errs() << "error: no suite directory " << dir << "\n";
      return false;
    }
    for (const std::string &c : sortedSubdirs(dir))
      if (filter.empty() || c.find(filter) != std::string::npos)
        cases.push_back({suite, c, dir + "/" + c});
  }
  return true;
}

/// Step 1 for one case, in its child: imported, then compiled into
/// <workDir>/<i> (cpu: "ready" when it compiles) or run (reference).
std::string importAndCompile(const Case &kase, size_t i,
                             const std::string &workDir, bool cpu) {
  Result r;
  auto c = OnnxCase::load(kase.dir, r);
  if (!c)
    return r.serialize();
  if (!cpu)
    return c->runReference().serialize();
  std::string programDir = workDir + "/" + std::to_string(i);
  if (std::error_code ec = llvm::sys::fs::create_directories(programDir))
    return Result{Status::Fail,
                  "cannot create " + programDir + ": " + ec.message(),
                  c->ops()}
        .serialize();
  if (!c->compile(programDir, r)) {
    r.detail += c->runReference().status == Status::Pass
                    ? " (the reference interpreter passes)"
                    : " (the reference interpreter fails too)";
    return r.serialize();
  }
  return Result{Status::Pass, "ready", c->ops()}.serialize();
}

/// Step 3 for one ready case, in its child: run from its batch's library
/// (or compiled alone when it has none) and compared.
std::string runCase(const Case &kase, size_t i, const std::string &workDir,
                    CpuDeviceOptions run) {
  Result r;
  auto c = OnnxCase::load(kase.dir, r);
  if (!c)
    return r.serialize();
  r = c->runCpu(workDir + "/" + std::to_string(i), run);
  if (r.status == Status::Fail) // for triage: a compiler or data bug?
    r.detail += c->runReference().status == Status::Pass
                    ? " (the reference interpreter passes)"
                    : " (the reference interpreter fails too)";
  return r.serialize();
}

/// Steps 2 and 3 for the `ready` cases: their libraries built, then each
/// run; their results replace the "ready" ones.
void runReadyCases(const std::vector<Case> &cases,
                   const std::vector<size_t> &ready, const std::string &workDir,
                   std::vector<Result> &results) {
  CpuDeviceOptions opts;
  // Libraries of several programs live in the kernel cache, or in the
  // work directory when it is off.
  auto cacheSetting = getEnv(Env::KernelCache);
  if ((cacheSetting && (*cacheSetting == "0" || *cacheSetting == "off")) ||
      cacheRoot().empty())
    opts.cacheRoot = workDir + "/cache";
  std::vector<std::string> library(cases.size()), prefix(cases.size());
  buildLibraries(ready, workDir, opts, library, prefix);
  // Step 3: run. A case whose library could not be built compiles alone.
  auto ran = runForked(ready.size(), jobs, timeoutS, workDir, [&](size_t k) {
    size_t i = ready[k];
    CpuDeviceOptions run = opts;
    run.library = library[i];
    run.libraryPrefix = prefix[i];
    return runCase(cases[i], i, workDir, run);
  });
  for (size_t k = 0; k < ready.size(); ++k) {
    Result r = resultOf(ran[k]);
    if (r.ops.empty())
      r.ops = results[ready[k]].ops;
    results[ready[k]] = std::move(r);
  }
}

/// Every case's result, in a fresh work directory; false after reporting
/// that it cannot be created.
bool runAll(const std::vector<Case> &cases, std::vector<Result> &results) {
  llvm::SmallString<128> tmp;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("dlc-onnx-conformance", tmp)) {
    llvm::errs() << "error: cannot create a temporary directory: "
                 << ec.message() << "\n";
    return false;
  }
  std::string workDir = tmp.str().str();
  bool cpu = device == "cpu";

  // Step 1: every case imported, then compiled (cpu) or run (reference).
  // A compiled case comes back as "ready".
  results.assign(cases.size(), Result());
  std::vector<size_t> ready;
  auto first = runForked(cases.size(), jobs, timeoutS, workDir, [&](size_t i) {
    return importAndCompile(cases[i], i, workDir, cpu);
  });
  for (size_t i = 0; i < cases.size(); ++i) {
    results[i] = resultOf(first[i]);
    if (cpu && results[i].status == Status::Pass)
      ready.push_back(i);
  }
  if (cpu && !ready.empty())
    runReadyCases(cases, ready, workDir, results);
  llvm::sys::fs::remove_directories(workDir);
  return true;
}

/// The results counted per suite, per op type and in total, by case id.
struct Tally {
  std::map<std::string, Counts> perSuite, perOp;
  std::map<std::string, const Result *> byId;
  Counts total;
};

/// Counts the results, printing the failures (every case with -v).
Tally tally(const std::vector<Case> &cases,
            const std::vector<Result> &results) {
  Tally t;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Result &r = results[i];
    std::string id = cases[i].id();
    t.byId[id] = &r;
    t.perSuite[cases[i].suite].add(r.status);
    t.total.add(r.status);
    for (const std::string &op : r.ops)
      t.perOp[op].add(r.status);
    if (verbose || r.status == Status::Fail)
      llvm::outs() << statusName(r.status) << ": " << id
                   << (r.detail.empty() ? "" : ": " + r.detail.substr(0, 600))
                   << "\n";
  }
  return t;
}

/// The pass counts per suite and in total, and the time taken.
void printSummary(const Tally &t, size_t numCases, double seconds) {
  char rate[64];
  auto line = [&](const std::string &name, const Counts &c) {
    snprintf(rate, sizeof rate, "%.1f%% of all %u cases pass, %.1f%% of "
             "supported", 100 * c.rateAll(), c.all(), 100 * c.rate());
    llvm::outs() << name << ": " << c.pass << " pass, " << c.fail << " fail, "
                 << c.unsupported << " unsupported (" << rate << ")\n";
  };
  for (const auto &[suite, c] : t.perSuite)
    line("suite " + suite, c);
  line("total", t.total);
  snprintf(rate, sizeof rate, "%.1f", seconds);
  llvm::outs() << "device " << device << ", " << numCases << " cases in "
               << rate << " s with -j " << jobs << "\n";
}

/// "| name | pass | fail | unsupported | rate (all) | rate (supported) |"
/// of the report's tables.
void reportRow(std::ofstream &md, const std::string &name, const Counts &c) {
  char rate[64];
  snprintf(rate, sizeof rate, "%.1f%% | %.1f%%", 100 * c.rateAll(),
           100 * c.rate());
  md << "| " << name << " | " << c.pass << " | " << c.fail << " | "
     << c.unsupported << " | " << rate << " |\n";
}

/// The report's last section: op types not mapped (by cases), then each
/// case the importer turned down, with its reason.
void reportUnsupported(std::ofstream &md, const std::vector<Case> &cases,
                       const std::vector<Result> &results) {
  std::map<std::string, std::map<std::string, unsigned>> unmapped;
  std::vector<std::pair<std::string, std::string>> refused;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Result &r = results[i];
    if (r.status != Status::Unsupported)
      continue;
    llvm::StringRef d = r.detail;
    if (d.consume_front("op ") && d.consume_back(" is not mapped"))
      unmapped[d.str()][cases[i].suite]++;
    else
      refused.emplace_back(cases[i].id(), r.detail);
  }
  md << "\n## Unsupported cases\n\nOp types the importer does not map, "
        "with the cases (per suite) that use them:\n\n";
  for (const auto &[op, bySuite] : unmapped) {
    md << "- " << op << ":";
    for (const auto &[suite, n] : bySuite)
      md << " " << suite << " " << n;
    md << "\n";
  }
  md << "\nCases the importer turns down (an attribute, a form or a type "
        "it does not support):\n\n";
  for (const auto &[id, why] : refused)
    md << "- `" << id << "`: " << why << "\n";
}

/// --report: the markdown report; false after reporting a failed write.
bool writeReport(const std::vector<Case> &cases,
                 const std::vector<Result> &results, const Tally &t) {
  std::ofstream md(reportPath);
  md << "# ONNX backend conformance\n\n"
     << "Generated by `dlc-onnx-conformance --device=" << device
     << " --report=...` over " << dataDir << " (test_data_set_0 of each "
     << "case; floats within rtol " << kRtol << ", atol " << kAtol
     << ", bf16 within one bf16 ulp). ";
  if (device == "cpu")
    md << "Each case goes through the real compile path on the CPU: "
          "import -> fuse -> tile -> plan memory -> CUDA emission -> the "
          "host C++ compiler -> the CPU device (as `dlc run "
          "--device=cpu`). ";
  else
    md << "Each case runs on the reference interpreter. ";
  md << "A case is *unsupported* when it uses an op type the importer "
        "does not map or the importer reports an unsupported attribute or "
        "type; *fail* is anything else that goes wrong. See "
        "docs/onnx.md.\n\n";
  char headline[160];
  snprintf(headline, sizeof headline,
           "**%u of all %u cases pass (%.1f%%): %u fail, %u unsupported.** ",
           t.total.pass, t.total.all(), 100 * t.total.rateAll(), t.total.fail,
           t.total.unsupported);
  md << headline << "Of the supported cases, ";
  snprintf(headline, sizeof headline, "%.1f%%", 100 * t.total.rate());
  md << headline << " pass.\n\n"
     << "## Per suite\n\n| suite | pass | fail | unsupported | pass rate "
        "(all) | pass rate (supported) |\n|---|---:|---:|---:|---:|---:|\n";
  for (const auto &[suite, c] : t.perSuite)
    reportRow(md, suite, c);
  reportRow(md, "**total**", t.total);
  md << "\n## Per op type\n\nA case counts under every op type its model "
        "uses.\n\n| op | pass | fail | unsupported | pass rate (all) | pass "
        "rate (supported) |\n|---|---:|---:|---:|---:|---:|\n";
  for (const auto &[op, c] : t.perOp)
    reportRow(md, op, c);
  md << "\n## Failing cases\n\n";
  if (!t.total.fail)
    md << "None.\n";
  for (const auto &[id, r] : t.byId)
    if (r->status == Status::Fail)
      md << "- `" << id << "`: " << r->detail << "\n";
  reportUnsupported(md, cases, results);
  if (!md) {
    llvm::errs() << "error: cannot write " << reportPath << "\n";
    return false;
  }
  return true;
}

/// --write-passing: the passing case ids, one per line.
bool writePassingList(const Tally &t) {
  std::ofstream out(writePassing);
  for (const auto &[id, r] : t.byId)
    if (r->status == Status::Pass)
      out << id << "\n";
  if (!out) {
    llvm::errs() << "error: cannot write " << writePassing << "\n";
    return false;
  }
  return true;
}

/// --expect-passing: 1 when a listed case (among those run) does not pass,
/// else 0; -1 after reporting that the list cannot be read.
int checkExpectedPasses(const Tally &t) {
  std::ifstream in(expectPassing);
  if (!in) {
    llvm::errs() << "error: cannot read " << expectPassing << "\n";
    return -1;
  }
  int rc = 0;
  for (std::string id; std::getline(in, id);) {
    if (id.empty() || id[0] == '#')
      continue;
    auto it = t.byId.find(id);
    if (it == t.byId.end())
      continue; // not selected by --suite/--filter
    if (it->second->status != Status::Pass) {
      llvm::outs() << "REGRESSION: " << id << " passed before: "
                   << it->second->detail << "\n";
      rc = 1;
    }
  }
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv, "Runs the ONNX backend test data through dlc\n");
  if (device != "reference" && device != "cpu") {
    llvm::errs() << "error: --device must be cpu or reference\n";
    return 1;
  }
  if (!jobs)
    jobs = std::max(1u, std::thread::hardware_concurrency());
  auto start = std::chrono::steady_clock::now();
  std::vector<Case> cases;
  std::vector<Result> results;
  if (!collectCases(cases) || !runAll(cases, results))
    return 1;
  Tally t = tally(cases, results);
  printSummary(t, cases.size(),
               std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - start)
                   .count());
  if (!reportPath.empty() && !writeReport(cases, results, t))
    return 1;
  if (!writePassing.empty() && !writePassingList(t))
    return 1;
  int rc = 0;
  if (!expectPassing.empty() && (rc = checkExpectedPasses(t)) < 0)
    return 1;
  if (t.total.rate() < minPassRate) {
    char rate[64];
    snprintf(rate, sizeof rate, "%.1f%% is below %.1f%%", 100 * t.total.rate(),
             100 * minPassRate);
    llvm::outs() << "error: pass rate " << rate << "\n";
    rc = 1;
  }
  return rc;
}
