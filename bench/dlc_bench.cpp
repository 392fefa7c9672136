//===- dlc_bench.cpp - time a compiled model's kernels --------------------===//
//
// dlc-bench runs a `dlc model.json -o DIR` directory and times it. MLIR-free:
// links the runtime only, so it builds on a GPU machine without LLVM
// (-DDLC_ENABLE_COMPILER=OFF). docs/bench.md.
//
//   dlc-bench DIR [--device=cuda|cpu] [--warmup=N] [--iters=N] [--rotate=K]
//                 [--json=FILE] [--name=NAME] [--outputs=FILE] [--dump=FILE]
//   dlc-bench --copy=MiB [--device=cuda] ...   a float4 copy kernel of that
//                 many MiB, through the same path: the copy-bandwidth ceiling
//
// cuda: the kernels are compiled with NVRTC (kernel cache) for the GPU's
// arch; K sets of input/param/output buffers are allocated and filled with
// random data (never zeros), K CUDA graphs are captured (one per set, the
// kernels in manifest order), the first set is run once eagerly with a
// synchronize after each kernel (a fault names the kernel), then graph
// replays cycle through the sets: --warmup replays, then --iters replays
// each between two CUDA events; the median is the figure. K (--rotate,
// default auto) is chosen so the sets together exceed 256 MiB, so the
// 50-60 MB L2 of an H100/H200 cannot hold the inputs between replays. Then
// five eager passes with an event around each kernel give the per-kernel
// medians. No host<->device copy is timed.
//
// cpu: the same program on the CPU device (runtime/cpu/CpuDevice.h), timed with
// the host clock: proves the harness end to end where there is no GPU.
//
// A training program's optimizer inputs hold what a real step would
// (fillOf). --outputs writes the first run's outputs (input set 0; both
// devices) and --dump (cpu) every input, param and output, as .safetensors
// by model name: bench/autotune.py and torch_bench.py --check compare them.
//
// Prints one line per figure and writes the whole result as JSON with
// --json. Exit code 0 ok, 1 any error (printed).
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuDevice.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/nvrtc/KernelCache.h"
#include "runtime/nvrtc/Nvrtc.h"
#include "runtime/core/Program.h"
#include "runtime/io/TensorFile.h"
#include "runtime/core/FloatConvert.h"
#include "runtime/core/RandomFill.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace dlc;
using json = nlohmann::ordered_json;

namespace {

struct Options {
  std::string dir, device = "cuda", jsonPath, name, dumpPath, outputsPath;
  int warmup = 10, iters = 100, rotate = 0;
  double copyMiB = 0;
  uint64_t seed = 1;
};

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "dlc-bench: error: %s\n", msg.c_str());
  std::exit(1);
}

/// What a training step's optimizer inputs must hold to be a real step
/// (passes/TrainingStep.h names them): opt.step a step number, opt.lr a
/// learning rate, exp_avg_sq non-negative. Others: plain random values.
enum class Fill { Random, Step, Lr, NonNegative };

Fill fillOf(const ProgramBuffer &b) {
  const std::string &n = b.modelName;
  if (n == "opt.step")
    return Fill::Step;
  if (n == "opt.lr")
    return Fill::Lr;
  if (n.rfind("state/exp_avg_sq/", 0) == 0)
    return Fill::NonNegative;
  return Fill::Random;
}

/// Random contents for a buffer (runtime/core/RandomFill.h); optimizer
/// inputs as fillOf says: step 10, lr 1e-3, second moments in [0, 1).
HostTensor randomTensor(const ProgramBuffer &b, uint64_t seed) {
  double (*map)(double) = nullptr;
  switch (fillOf(b)) {
  case Fill::Random:
    break;
  case Fill::Step:
    map = [](double) { return 10.0; };
    break;
  case Fill::Lr:
    map = [](double) { return 1e-3; };
    break;
  case Fill::NonNegative:
    map = [](double u) { return std::fabs(u); };
    break;
  }
  return randomHostTensor(b.dtype, b.shape,
                          seed * 0x2545f4914f6cdd1dull + 12345, map);
}

struct Stats {
  double median = 0, min = 0, mean = 0, p10 = 0, p90 = 0;
};

Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[size_t(q * double(v.size() - 1) + 0.5)]; };
  s.median = v.size() % 2 ? v[v.size() / 2]
                          : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  s.min = v.front();
  double sum = 0;
  for (double x : v)
    sum += x;
  s.mean = sum / double(v.size());
  s.p10 = at(0.1);
  s.p90 = at(0.9);
  return s;
}

json statsJson(const Stats &s) {
  return json{{"median", s.median}, {"min", s.min}, {"mean", s.mean},
              {"p10", s.p10},       {"p90", s.p90}};
}

/// Bytes of every input, param and output: what one run must move at least.
int64_t ioBytes(const Program &p) {
  int64_t n = 0;
  for (const ProgramBuffer &b : p.buffers())
    if (b.role != BufferRole::Intermediate)
      n += b.byteSize();
  return n;
}

/// A Program of one grid-stride float4 copy kernel over `bytes` bytes.
Program copyProgram(double mib) {
  int64_t n4 = int64_t(mib * 1024 * 1024 / 16);
  if (n4 < 1)
    die("--copy: at least 16 bytes");
  std::string manifest =
      R"({"version": 1, "arena_bytes": 0, "buffers": [)"
      R"({"name": "x", "role": "input", "dtype": "f32", "shape": [)" +
      std::to_string(n4 * 4) +
      R"(]}, {"name": "y", "role": "output", "dtype": "f32", "shape": [)" +
      std::to_string(n4 * 4) +
      R"(]}], "kernels": [{"name": "k_copy", "grid": [1056, 1, 1], )"
      R"("block": [512, 1, 1], "shared_bytes": 0, "args": ["x", "y"], )"
      R"("nodes": ["copy"]}]})";
  std::string source =
      "#ifdef __CUDACC_RTC__\n"
      "typedef float4 v4;\n"
      "#else\n"
      "struct alignas(16) v4 { float x, y, z, w; };\n"
      "#endif\n"
      "extern \"C\" __global__ void k_copy(const float *__restrict__ x, "
      "float *__restrict__ y) {\n"
      "  const v4 *s = (const v4 *)x;\n"
      "  v4 *d = (v4 *)y;\n"
      "  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;"
      " i < " + std::to_string(n4) + "LL;"
      " i += (long long)gridDim.x * blockDim.x)\n"
      "    d[i] = s[i];\n"
      "}\n";
  Program p;
  std::string err;
  if (!Program::parse(manifest, source, p, err))
    die("the copy program: " + err);
  return p;
}

//===----------------------------------------------------------------------===//
// CPU
//===----------------------------------------------------------------------===//

json benchCpu(const Program &program, const Options &o) {
  std::map<std::string, HostTensor> tensors = makeOutputs(program, true);
  uint64_t seed = o.seed;
  for (const ProgramBuffer &b : program.buffers())
    if (b.role == BufferRole::Input || b.role == BufferRole::Param)
      tensors[b.name] = randomTensor(b, seed++);
  BufferBindings bind;
  for (auto &[name, t] : tensors)
    bind[name] = &t;
  CpuDevice device;
  std::string err;
  if (!device.load(program, err))
    die(err);
  std::vector<double> times;
  for (int i = 0; i < o.warmup + o.iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (!device.run(bind, err))
      die(err);
    auto t1 = std::chrono::steady_clock::now();
    if (i >= o.warmup)
      times.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  // Every output element written (no NaN left from the poison)?
  int64_t unwritten = 0;
  for (const ProgramBuffer &b : program.buffers()) {
    if (b.role != BufferRole::Output || !isFloat(b.dtype))
      continue;
    const HostTensor &t = tensors[b.name];
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v = 0;
      if (b.dtype == DType::F32) {
        float f;
        std::memcpy(&f, t.bytes.data() + 4 * i, 4);
        v = f;
      } else if (b.dtype == DType::F64) {
        std::memcpy(&v, t.bytes.data() + 8 * i, 8);
      } else {
        uint16_t h;
        std::memcpy(&h, t.bytes.data() + 2 * i, 2);
        v = b.dtype == DType::F16 ? ref::halfToDouble(h)
                                  : ref::bfloat16ToDouble(h);
      }
      if (std::isnan(v))
        ++unwritten;
    }
  }
  if (!o.outputsPath.empty()) {
    std::map<std::string, HostTensor> outs;
    for (const ProgramBuffer &b : program.buffers())
      if (b.role == BufferRole::Output)
        outs[b.modelName.empty() ? b.name : b.modelName] = tensors[b.name];
    if (!writeSafetensors(o.outputsPath, outs, err))
      die("--outputs: " + err);
  }
  if (!o.dumpPath.empty()) {
    // Every input, param and output by its model name, for
    // bench/torch_bench.py --check (the same values through PyTorch).
    std::map<std::string, HostTensor> dump;
    for (const ProgramBuffer &b : program.buffers())
      if (b.role != BufferRole::Intermediate)
        dump[b.modelName.empty() ? b.name : b.modelName] = tensors[b.name];
    if (!writeSafetensors(o.dumpPath, dump, err))
      die("--dump: " + err);
  }
  json r;
  r["device"] = "cpu";
  r["device_name"] = "host (CpuDevice, " + std::to_string(device.threads()) +
                     " threads)";
  r["time_us"] = statsJson(stats(times));
  r["nan_outputs"] = unwritten;
  // What the fibers cost: context switches per run (0 when every kernel
  // runs its threads as a plain loop), and the kernels that make them.
  CpuRunStats cs = device.stats();
  r["fiber_switches_per_run"] = cs.runs ? cs.fiberSwitches / cs.runs : 0;
  json perKernel = json::object();
  for (const CpuKernelInfo &k : device.kernels())
    if (k.fiberSwitches && cs.runs)
      perKernel[k.name] = k.fiberSwitches / cs.runs;
  r["fiber_switches_per_kernel"] = perKernel;
  return r;
}

//===----------------------------------------------------------------------===//
// CUDA
//===----------------------------------------------------------------------===//

using namespace dlc::cuda;

#define CK(call)                                                               \
  do {                                                                         \
    if (!(call))                                                               \
      die(err);                                                                \
  } while (0)

struct Launch {
  CUfunction fn;
  LaunchContext ctx;
  unsigned shared = 0;
  std::vector<CUdeviceptr> args;
  std::vector<void *> argPtrs;
};

json benchCuda(const Program &program, const Options &o) {
  std::string err;
  CudaDriver *drv = CudaDriver::get(err);
  if (!drv)
    die(err);
  CudaDriver &d = *drv;
  CUdevice dev;
  int major = 0, minor = 0;
  std::string devName;
  CK(d.deviceGet(dev, 0, err));
  CK(d.deviceName(dev, devName, err));
  CK(d.computeCapability(dev, major, minor, err));
  Nvrtc *nvrtc = Nvrtc::get(err);
  if (!nvrtc)
    die(err);
  std::string arch = chooseArch(major, minor, nvrtc->supportedArchs());
  if (arch.empty())
    die(devName + " is older than NVRTC supports");
  CUcontext ctx;
  CK(d.retainPrimaryContext(dev, ctx, err));

  NvrtcOptions no;
  no.arch = arch;
  no.programName = "kernels.cu";
  KernelCache cache(*nvrtc);
  CachedKernel ck;
  auto c0 = std::chrono::steady_clock::now();
  CK(cache.getOrCompile(program.source(), no, ck, err));
  double compileMs = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - c0)
                         .count();
  std::vector<uint8_t> image = std::move(ck.output.image);
  if (arch.rfind("compute_", 0) == 0 && (image.empty() || image.back() != 0))
    image.push_back(0);
  CUmodule mod;
  CK(d.moduleLoadData(mod, image.data(), err));
  CUstream stream;
  CK(d.streamCreate(stream, kStreamNonBlocking, err));

  // Rotation: enough sets that together they overflow the L2 several times.
  int64_t setBytes = std::max<int64_t>(ioBytes(program), 1);
  int rotate = o.rotate;
  if (rotate <= 0)
    rotate = int(std::clamp<int64_t>((int64_t(256) << 20) / setBytes + 1, 1, 8));

  CUdeviceptr arena = 0;
  if (program.arenaBytes() > 0)
    CK(d.memAlloc(arena, size_t(program.arenaBytes()), err));
  std::vector<std::map<std::string, CUdeviceptr>> sets(rotate);
  uint64_t seed = o.seed;
  for (int s = 0; s < rotate; ++s) {
    for (const ProgramBuffer &b : program.buffers()) {
      if (b.role == BufferRole::Intermediate)
        continue;
      CUdeviceptr p;
      CK(d.memAlloc(p, size_t(b.byteSize()), err));
      sets[s][b.name] = p;
      if (b.role == BufferRole::Output) {
        CK(d.memsetD8Async(p, 0xff, size_t(b.byteSize()), stream, err));
      } else {
        HostTensor t = randomTensor(b, seed++);
        CK(d.memcpyHtoD(p, t.bytes.data(), t.bytes.size(), err));
      }
    }
  }
  CK(d.streamSynchronize(stream, err));

  // Launch lists, one per set.
  std::vector<std::vector<Launch>> launches(rotate);
  for (int s = 0; s < rotate; ++s) {
    launches[s].reserve(program.kernels().size());
    for (const ProgramKernel &pk : program.kernels()) {
      Launch &l = launches[s].emplace_back();
      CK(d.moduleGetFunction(l.fn, mod, pk.name, err));
      l.ctx.kernel = pk.name;
      l.ctx.nodes = pk.nodes;
      for (int i = 0; i < 3; ++i) {
        l.ctx.grid[i] = unsigned(pk.grid[i]);
        l.ctx.block[i] = unsigned(pk.block[i]);
      }
      l.shared = unsigned(pk.sharedBytes);
      if (pk.sharedBytes > 48 * 1024)
        CK(d.funcSetAttribute(l.fn, kFuncAttrMaxDynamicSharedBytes,
                              int(pk.sharedBytes), err));
      for (const std::string &a : pk.args) {
        if (a == kArenaArg)
          l.args.push_back(arena);
        else if (auto it = sets[s].find(a); it != sets[s].end())
          l.args.push_back(it->second);
        else if (const ProgramBuffer *b = program.buffer(a))
          l.args.push_back(arena + CUdeviceptr(b->offset));
        else
          die("kernel " + pk.name + ": argument '" + a + "' names no buffer");
      }
      for (CUdeviceptr &p : l.args)
        l.argPtrs.push_back(&p);
    }
  }
  auto launchAll = [&](int s, bool syncEach, std::vector<CUevent> *evs) {
    for (size_t i = 0; i < launches[s].size(); ++i) {
      Launch &l = launches[s][i];
      if (evs)
        CK(d.eventRecord((*evs)[i], stream, err));
      CK(d.launchKernel(l.fn, l.ctx, l.shared, stream, l.argPtrs.data(), err));
      if (syncEach) {
        if (!d.streamSynchronize(stream, err))
          die(describeLaunch(l.ctx) + ": " + err);
      }
    }
    if (evs)
      CK(d.eventRecord(evs->back(), stream, err));
  };

  // First run: eager, synchronized per kernel, so a fault names its kernel.
  launchAll(0, true, nullptr);
  if (!o.outputsPath.empty()) {
    std::map<std::string, HostTensor> outs;
    for (const ProgramBuffer &b : program.buffers())
      if (b.role == BufferRole::Output) {
        HostTensor t = HostTensor::zeros(b.dtype, b.shape);
        CK(d.memcpyDtoH(t.bytes.data(), sets[0][b.name], t.bytes.size(), err));
        outs[b.modelName.empty() ? b.name : b.modelName] = std::move(t);
      }
    if (!writeSafetensors(o.outputsPath, outs, err))
      die("--outputs: " + err);
  }

  // One graph per set.
  std::vector<CUgraphExec> execs(rotate);
  for (int s = 0; s < rotate; ++s) {
    CUgraph g;
    CK(d.streamBeginCapture(stream, kCaptureModeThreadLocal, err));
    launchAll(s, false, nullptr);
    CK(d.streamEndCapture(stream, g, err));
    CK(d.graphInstantiate(execs[s], g, err));
    CK(d.graphDestroy(g, err));
  }
  for (int i = 0; i < o.warmup; ++i)
    CK(d.graphLaunch(execs[i % rotate], stream, err));
  CK(d.streamSynchronize(stream, err));

  // Timed replays, each between two events.
  std::vector<CUevent> ev(2 * size_t(o.iters));
  for (CUevent &e : ev)
    CK(d.eventCreate(e, kEventDefault, err));
  for (int i = 0; i < o.iters; ++i) {
    CK(d.eventRecord(ev[2 * i], stream, err));
    CK(d.graphLaunch(execs[i % rotate], stream, err));
    CK(d.eventRecord(ev[2 * i + 1], stream, err));
  }
  CK(d.streamSynchronize(stream, err));
  std::vector<double> times;
  for (int i = 0; i < o.iters; ++i) {
    float ms = 0;
    CK(d.eventElapsedTime(ms, ev[2 * i], ev[2 * i + 1], err));
    times.push_back(double(ms) * 1000.0);
  }
  // Back to back: the whole sequence of replays between the first and last
  // event, over the count (launch gaps between replays included).
  float totalMs = 0;
  CK(d.eventElapsedTime(totalMs, ev.front(), ev.back(), err));

  // Per kernel: five eager passes with an event before every kernel.
  size_t nk = program.kernels().size();
  std::vector<CUevent> kev(nk + 1);
  for (CUevent &e : kev)
    CK(d.eventCreate(e, kEventDefault, err));
  std::vector<std::vector<double>> perKernel(nk);
  for (int pass = 0; pass < 5; ++pass) {
    launchAll(pass % rotate, false, &kev);
    CK(d.streamSynchronize(stream, err));
    for (size_t i = 0; i < nk; ++i) {
      float ms = 0;
      CK(d.eventElapsedTime(ms, kev[i], kev[i + 1], err));
      perKernel[i].push_back(double(ms) * 1000.0);
    }
  }

  json r;
  r["device"] = "cuda";
  r["device_name"] = devName;
  r["arch"] = arch;
  r["nvrtc"] = nvrtc->version();
  r["kernel_cache"] = cacheOutcomeName(ck.outcome);
  r["compile_ms"] = compileMs;
  r["rotate"] = rotate;
  r["set_bytes"] = setBytes;
  r["time_us"] = statsJson(stats(times));
  r["back_to_back_us"] = double(totalMs) * 1000.0 / double(o.iters);
  json ks = json::array();
  for (size_t i = 0; i < nk; ++i) {
    const ProgramKernel &pk = program.kernels()[i];
    ks.push_back({{"name", pk.name},
                  {"nodes", pk.nodes},
                  {"grid", pk.grid},
                  {"block", pk.block},
                  {"shared_bytes", pk.sharedBytes},
                  {"median_us", stats(perKernel[i]).median}});
  }
  r["kernels"] = ks;

  for (CUevent e : ev)
    d.eventDestroy(e, err);
  for (CUevent e : kev)
    d.eventDestroy(e, err);
  for (CUgraphExec e : execs)
    d.graphExecDestroy(e, err);
  for (auto &set : sets)
    for (auto &[n, p] : set)
      d.memFree(p, err);
  if (arena)
    d.memFree(arena, err);
  d.streamDestroy(stream, err);
  d.moduleUnload(mod, err);
  return r;
}

void usage() {
  std::printf(
      "usage: dlc-bench DIR [options]     time a `dlc model.json -o DIR` program\n"
      "       dlc-bench --copy=MiB [...]  time a float4 copy of MiB (bandwidth ceiling)\n"
      "options:\n"
      "  --device=cuda|cpu  where to run (default cuda)\n"
      "  --warmup=N         untimed runs first (default 10)\n"
      "  --iters=N          timed runs; the median is reported (default 100)\n"
      "  --rotate=K         input sets cycled between runs (default: auto,\n"
      "                     together > 256 MiB; cuda only)\n"
      "  --seed=N           random inputs' seed (default 1)\n"
      "  --name=NAME        the name in the JSON (default: the directory's)\n"
      "  --json=FILE        write the result as JSON\n"
      "  --outputs=FILE     write the outputs of the first run (input set 0) as\n"
      "                     .safetensors (bench/autotune.py compares schedules)\n"
      "  --dump=FILE        cpu: write every input, param and output (by model\n"
      "                     name) as .safetensors, for torch_bench.py --check\n");
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](const char *flag, std::string &out) {
      std::string f = std::string(flag) + "=";
      if (a.rfind(f, 0) != 0)
        return false;
      out = a.substr(f.size());
      return true;
    };
    auto num = [&](const std::string &s) {
      char *end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end)
        die("'" + a + "': expects a number");
      return v;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (val("--device", v)) {
      if (v != "cuda" && v != "cpu")
        die("--device: cuda or cpu, not '" + v + "'");
      o.device = v;
    } else if (val("--warmup", v)) {
      o.warmup = int(num(v));
    } else if (val("--iters", v)) {
      o.iters = std::max(1, int(num(v)));
    } else if (val("--rotate", v)) {
      o.rotate = int(num(v));
    } else if (val("--seed", v)) {
      o.seed = uint64_t(num(v));
    } else if (val("--copy", v)) {
      o.copyMiB = num(v);
    } else if (val("--json", v)) {
      o.jsonPath = v;
    } else if (val("--outputs", v)) {
      o.outputsPath = v;
    } else if (val("--dump", v)) {
      o.dumpPath = v;
    } else if (val("--name", v)) {
      o.name = v;
    } else if (!a.empty() && a[0] == '-') {
      die("unknown option '" + a + "' (--help lists them)");
    } else if (o.dir.empty()) {
      o.dir = a;
    } else {
      die("one directory only ('" + o.dir + "', then '" + a + "')");
    }
  }
  if (o.dir.empty() && o.copyMiB <= 0) {
    usage();
    return 1;
  }
  Program program;
  std::string err;
  if (o.copyMiB > 0) {
    program = copyProgram(o.copyMiB);
    if (o.name.empty())
      o.name = "copy";
  } else {
    if (!Program::load(o.dir, program, err))
      die(err);
    if (o.name.empty()) {
      std::string d = o.dir;
      while (d.size() > 1 && d.back() == '/')
        d.pop_back();
      size_t slash = d.find_last_of('/');
      o.name = slash == std::string::npos ? d : d.substr(slash + 1);
    }
  }
  if (!o.dumpPath.empty() && o.device != "cpu")
    die("--dump is for --device=cpu (the check of bench/check_cpu.sh)");
  json r = o.device == "cpu" ? benchCpu(program, o) : benchCuda(program, o);
  json out;
  out["name"] = o.name;
  out["target"] = program.target();
  out["kernels_count"] = program.kernels().size();
  out["io_bytes"] = ioBytes(program);
  out["arena_bytes"] = program.arenaBytes();
  out["warmup"] = o.warmup;
  out["iters"] = o.iters;
  for (auto &[k, v] : r.items())
    out[k] = v;
  const json &t = out["time_us"];
  double med = t["median"].get<double>();
  std::printf("%-24s %-5s %3zu kernels  median %10.2f us  min %10.2f us  "
              "p90 %10.2f us  %8.1f GB/s (io bytes)\n",
              o.name.c_str(), o.device.c_str(), program.kernels().size(), med,
              t["min"].get<double>(), t["p90"].get<double>(),
              med > 0 ? double(ioBytes(program)) / (med * 1e3) : 0.0);
  if (out.contains("nan_outputs") && out["nan_outputs"].get<int64_t>() > 0)
    die(std::to_string(out["nan_outputs"].get<int64_t>()) +
        " output elements are NaN (unwritten, or computed as NaN)");
  if (!o.jsonPath.empty()) {
    std::ofstream f(o.jsonPath);
    f << out.dump(2) << "\n";
    if (!f)
      die("cannot write " + o.jsonPath);
  }
  return 0;
}
