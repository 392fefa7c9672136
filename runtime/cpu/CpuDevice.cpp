//===- CpuDevice.cpp - the emitted kernels compiled for and run on the host ===//
#include "runtime/cpu/CpuDevice.h"

#include "runtime/core/Env.h"
#include "runtime/cpu/CpuLibrary.h"
#include "runtime/nvrtc/Hash.h"

#define DLC_HOST_ABI_ONLY
#include "runtime/cpu/dlc_host.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace dlc {

namespace {
#include "runtime/cpu/HostPrelude.inc"
} // namespace

const char *hostPrelude() { return kHostPrelude; }

namespace {

//===----------------------------------------------------------------------===//
// Thread pool: blocks of a launch spread over workers
//===----------------------------------------------------------------------===//

class ThreadPool {
public:
  explicit ThreadPool(unsigned threads) {
    for (unsigned i = 1; i < threads; ++i)
      workers_.emplace_back([this, i] { work(int(i)); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
      t.join();
  }
  unsigned size() const { return unsigned(workers_.size()) + 1; }

  /// Runs body(ctx, i, worker) for i in [0, n); the caller is worker 0.
  void parallel(int64_t n, void *ctx, dlc_host_block_fn body) {
    if (workers_.empty() || n <= 1) {
      for (int64_t i = 0; i < n; ++i)
        body(ctx, i, 0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      n_ = n;
      next_.store(0);
      ctx_ = ctx;
      body_ = body;
      busy_ = unsigned(workers_.size());
      ++generation_;
    }
    wake_.notify_all();
    drain(0);
    std::unique_lock<std::mutex> lock(m_);
    done_.wait(lock, [&] { return busy_ == 0; });
  }

  static void parallelThunk(void *pool, int64_t n, void *ctx,
                            dlc_host_block_fn body) {
    static_cast<ThreadPool *>(pool)->parallel(n, ctx, body);
  }

private:
  void drain(int worker) {
    for (int64_t i; (i = next_.fetch_add(1)) < n_;)
      body_(ctx_, i, worker);
  }
  void work(int worker) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_)
          return;
        seen = generation_;
      }
      drain(worker);
      std::lock_guard<std::mutex> lock(m_);
      if (--busy_ == 0)
        done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  unsigned busy_ = 0;
  int64_t n_ = 0;
  std::atomic<int64_t> next_{0};
  void *ctx_ = nullptr;
  dlc_host_block_fn body_ = nullptr;
};

/// Line numbers (1-based) where each kernel's text starts in `source`.
std::vector<std::pair<int, std::string>>
kernelLines(const std::string &source, const Program &program) {
  std::vector<std::pair<int, std::string>> lines;
  for (const ProgramKernel &k : program.kernels()) {
    size_t pos = source.find("__global__ void " + k.name + "(");
    if (pos == std::string::npos)
      continue;
    int line = 1 + int(std::count(source.begin(), source.begin() + pos, '\n'));
    lines.emplace_back(line, k.name);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// The kernel whose text holds the first "kernels.cu:<line>:" the compiler
/// complains about; empty if none does.
std::string kernelOfLog(const std::string &log, const std::string &source,
                        const Program &program) {
  size_t pos = 0;
  while ((pos = log.find("kernels.cu:", pos)) != std::string::npos &&
         !std::isdigit((unsigned char)log[pos + 11]))
    ++pos;
  if (pos == std::string::npos)
    return {};
  int line = std::atoi(log.c_str() + pos + 11);
  std::string name;
  for (const auto &[start, kernel] : kernelLines(source, program))
    if (start <= line)
      name = kernel;
  return name;
}

} // namespace

std::string hostLaunchers(const Program &program) {
  std::string s = "// dlc cpu device: one launcher per kernel "
                  "(runtime/cpu/dlc_host.h).\n"
                  "extern \"C\" __attribute__((visibility(\"default\"))) "
                  "const int dlc_host_abi_version = DLC_HOST_ABI_VERSION;\n";
  for (const ProgramKernel &k : program.kernels())
    s += "extern \"C\" __attribute__((visibility(\"default\"))) int "
         "dlc_host_launch_" +
         k.name + "(const dlc_host_launch *l) {\n  return ::dlc_host::launch(l, "
                  "[](void *const *a) { ::dlc_host::call(" +
         k.name + ", a); });\n}\n";
  return s;
}

bool kernelNeedsFibers(const std::string &source, const std::string &kernel) {
  size_t pos = source.find("__global__ void " + kernel + "(");
  if (pos == std::string::npos)
    return true;
  size_t body = source.find('{', pos);
  if (body == std::string::npos)
    return true;
  size_t end = source.find("__global__", body);
  std::string text = source.substr(body, end == std::string::npos
                                             ? std::string::npos
                                             : end - body);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const char *needle :
       {"sync", "barrier", "shfl", "shuffle", "reduce<", "reduce(", "vote",
        "ballot"})
    if (text.find(needle) != std::string::npos)
      return true;
  return false;
}

struct CpuDevice::Impl {
  CpuDeviceOptions opts;
  std::unique_ptr<ThreadPool> pool;
  void *handle = nullptr;
  std::string libPath, note;
  bool hit = false;
  std::vector<CpuKernelInfo> kernels;
  std::vector<dlc_host_launcher_fn> launchers;
  uint8_t *arena = nullptr;
  int64_t arenaBytes = 0;
  Program program; // for checkBindings
  uint64_t runs = 0;

  ~Impl() {
    if (getEnv(Env::CpuStats).value_or("0") != "0")
      printStats();
    std::free(arena);
    if (handle)
      ::dlclose(handle);
  }

  bool compile(const Program &program, std::string &err);
  /// dlopens libPath (checked beforehand) and checks its ABI version and,
  /// unless `key` is empty, the key it exports; false with `why`.
  bool open(const std::string &key, std::string &why);
  /// Records a cache note, printed unless the options say otherwise.
  void addNote(const std::string &n) {
    note += (note.empty() ? "" : "\n") + n;
    if (opts.warnToStderr)
      std::fprintf(stderr, "dlc: warning: %s\n", n.c_str());
  }
  void printStats() const;
};

CpuDevice::CpuDevice(CpuDeviceOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(opts);
  unsigned threads = impl_->opts.threads;
  if (!threads)
    if (auto v = getEnv(Env::CpuThreads))
      threads = unsigned(std::max(1L, std::atol(v->c_str())));
  if (!threads)
    threads = std::max(1u, std::thread::hardware_concurrency());
  impl_->pool = std::make_unique<ThreadPool>(threads);
}

CpuDevice::~CpuDevice() = default;

const std::vector<CpuKernelInfo> &CpuDevice::kernels() const {
  return impl_->kernels;
}
bool CpuDevice::cacheHit() const { return impl_->hit; }
const std::string &CpuDevice::cacheNote() const { return impl_->note; }
const std::string &CpuDevice::libraryPath() const { return impl_->libPath; }
unsigned CpuDevice::threads() const { return impl_->pool->size(); }

CpuRunStats CpuDevice::stats() const {
  CpuRunStats s;
  s.runs = impl_->runs;
  for (const CpuKernelInfo &k : impl_->kernels) {
    s.launches += k.launches;
    s.fiberSwitches += k.fiberSwitches;
    s.fiberBlocks += k.fiberBlocks;
    s.loopBlocks += k.loopBlocks;
  }
  return s;
}

void CpuDevice::resetStats() {
  impl_->runs = 0;
  for (CpuKernelInfo &k : impl_->kernels)
    k.launches = k.fiberSwitches = k.fiberBlocks = k.loopBlocks = 0;
}

void CpuDevice::Impl::printStats() const {
  CpuRunStats s;
  s.runs = runs;
  std::vector<const CpuKernelInfo *> byCost;
  for (const CpuKernelInfo &k : kernels) {
    s.launches += k.launches;
    s.fiberSwitches += k.fiberSwitches;
    s.fiberBlocks += k.fiberBlocks;
    s.loopBlocks += k.loopBlocks;
    byCost.push_back(&k);
  }
  std::stable_sort(byCost.begin(), byCost.end(), [](auto *a, auto *b) {
    return a->fiberSwitches > b->fiberSwitches;
  });
  double per = runs ? double(s.fiberSwitches) / double(runs) : 0.0;
  std::fprintf(stderr,
               "dlc cpu device %s: %llu runs, %llu launches, %llu fiber "
               "switches (%.0f per run), %llu blocks as fibers, %llu as "
               "loops\n",
               libPath.c_str(), (unsigned long long)runs,
               (unsigned long long)s.launches,
               (unsigned long long)s.fiberSwitches, per,
               (unsigned long long)s.fiberBlocks,
               (unsigned long long)s.loopBlocks);
  for (const CpuKernelInfo *k : byCost)
    std::fprintf(stderr,
                 "  %-32s %s %8llu launches %12llu switches %10llu fiber "
                 "blocks %10llu loop blocks\n",
                 k->name.c_str(), k->fibers ? "fibers" : "loop  ",
                 (unsigned long long)k->launches,
                 (unsigned long long)k->fiberSwitches,
                 (unsigned long long)k->fiberBlocks,
                 (unsigned long long)k->loopBlocks);
}

namespace {

/// Macros the emitted source defines for its device prelude (codegen's
/// CudaEmitter); undefined before each program of a batch so that every
/// program gets the prelude it asks for.
const char *kSourceMacros[] = {"DLC_PRELUDE", "DLC_USE_F16", "DLC_USE_BF16",
                               "DLC_USE_MMA"};

/// The key in a library's name (<dir>/<64 hex digits>.so), else "".
std::string libraryKeyOfPath(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string base = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (base.size() != 67 || base.compare(64, 3, ".so") != 0)
    return {};
  base.resize(64);
  for (char c : base)
    if (!std::isxdigit((unsigned char)c))
      return {};
  return base;
}

/// Removes what compileCpuLibrary put in a private directory, and it.
void removeTemporaryDirectory(const std::string &dir, const std::string &key) {
  std::string incDir = dir + "/include";
  ::unlink((dir + "/" + key + ".so").c_str());
  ::unlink((dir + "/" + key + ".cpp").c_str());
  for (const char *hdr : {"cuda_fp16.h", "cuda_bf16.h"})
    ::unlink((incDir + "/" + hdr).c_str());
  ::rmdir(incDir.c_str());
  ::rmdir(dir.c_str());
}

} // namespace

bool CpuDevice::Impl::compile(const Program &program, std::string &err) {
  HostCompiler hc;
  if (!findHostCompiler(opts, hc, err))
    return false;
  std::string tu = std::string(kHostPrelude) + "\n#line 1 \"kernels.cu\"\n" +
                   program.source() + "\n#line 1 \"dlc-launchers\"\n" +
                   hostLaunchers(program);
  CpuLibraryStamp stamp = stampOf(hc, tu);
  tu += keySymbolSource(stamp);
  std::string key = toHex(stamp.key);

  // Where the library goes: the cache, else a private temporary directory.
  std::string dir = cpuCacheDirectory(opts), why;
  bool temporary = dir.empty();
  if (temporary) {
    const char *tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/dlc-cpu-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
      err = "cpu device: cannot create a directory for the kernels (" + tmpl +
            "): " + std::strerror(errno);
      return false;
    }
    dir = tmpl;
  }
  libPath = dir + "/" + key + ".so";

  hit = false;
  if (!temporary) {
    LibraryCheck c = checkCpuLibrary(libPath, &stamp, why);
    if (c == LibraryCheck::Ok && open(key, why)) {
      hit = true;
      return true;
    }
    if (c != LibraryCheck::Missing)
      addNote("rebuilt " + libPath + ": " + why);
  }

  CompiledLibrary built;
  if (!compileCpuLibrary(hc, tu, stamp, dir, built, err)) {
    if (temporary)
      removeTemporaryDirectory(dir, key);
    if (built.exitCode == 0)
      return false;
    std::string kernel = kernelOfLog(built.log, program.source(), program);
    err = "cpu device: the host compiler failed" +
          (kernel.empty() ? std::string() : " in kernel " + kernel) +
          " (exit " + std::to_string(built.exitCode) + ")\n  command: " +
          built.command + "\n  source: " + built.sourcePath + "\n" +
          built.log;
    return false;
  }
  if (!built.note.empty())
    addNote(built.note);
  libPath = built.path;
  bool ok = open(key, why);
  if (built.temporary)
    ::unlink(built.path.c_str());
  if (temporary)
    removeTemporaryDirectory(dir, key);
  if (!ok) {
    err = "cpu device: cannot load '" + libPath + "': " + why;
    return false;
  }
  return true;
}

bool CpuDevice::Impl::open(const std::string &key, std::string &why) {
  handle = ::dlopen(libPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *e = ::dlerror();
    why = e ? e : "dlopen failed";
    return false;
  }
  if (!checkLoadedLibrary(handle, key, why)) {
    ::dlclose(handle);
    handle = nullptr;
    return false;
  }
  return true;
}

std::string batchLauncherPrefix(size_t i) {
  return "p" + std::to_string(i) + "_";
}

bool buildCpuLibrary(const std::vector<const Program *> &programs,
                     const CpuDeviceOptions &opts, std::string &libPath,
                     std::string &err) {
  HostCompiler hc;
  if (!findHostCompiler(opts, hc, err))
    return false;
  std::string dir = cpuCacheDirectory(opts);
  if (dir.empty())
    return err = "cpu device: a library of several programs needs a cache "
                 "directory (CpuDeviceOptions::cacheRoot, or the kernel "
                 "cache on)",
           false;
  // Program i: the kernels renamed p<i>_<kernel> by macros (they are
  // extern "C", so a namespace alone would not keep them apart), its source
  // in namespace dlc_p<i>, then its launchers.
  std::string tu = std::string(kHostPrelude) +
                   "extern \"C\" __attribute__((visibility(\"default\"))) "
                   "const int dlc_host_abi_version = DLC_HOST_ABI_VERSION;\n";
  for (size_t i = 0; i < programs.size(); ++i) {
    const Program &p = *programs[i];
    std::string prefix = batchLauncherPrefix(i), ns = "dlc_" + prefix;
    ns.pop_back();
    for (const char *m : kSourceMacros)
      tu += std::string("#undef ") + m + "\n";
    for (const ProgramKernel &k : p.kernels())
      tu += "#define " + k.name + " " + prefix + k.name + "\n";
    tu += "namespace " + ns + " {\n#line 1 \"" + ns + "/kernels.cu\"\n" +
          p.source() + "\n} // namespace " + ns + "\n";
    for (const ProgramKernel &k : p.kernels())
      tu += "#undef " + k.name + "\n";
    for (const ProgramKernel &k : p.kernels())
      tu += "extern \"C\" __attribute__((visibility(\"default\"))) int "
            "dlc_host_launch_" +
            prefix + k.name +
            "(const dlc_host_launch *l) {\n  return ::dlc_host::launch(l, "
            "[](void *const *a) { ::dlc_host::call(" +
            ns + "::" + prefix + k.name + ", a); });\n}\n";
  }
  CpuLibraryStamp stamp = stampOf(hc, tu);
  tu += keySymbolSource(stamp);
  libPath = dir + "/" + toHex(stamp.key) + ".so";
  std::string why;
  LibraryCheck c = checkCpuLibrary(libPath, &stamp, why);
  if (c == LibraryCheck::Ok)
    return true;
  if (c == LibraryCheck::Bad && opts.warnToStderr)
    std::fprintf(stderr, "dlc: warning: rebuilt %s: %s\n", libPath.c_str(),
                 why.c_str());
  CompiledLibrary built;
  if (!compileCpuLibrary(hc, tu, stamp, dir, built, err))
    return false;
  if (built.temporary) {
    // The loaders open it by name later: it must be in the cache.
    ::unlink(built.path.c_str());
    return err = "cpu device: " + built.note, false;
  }
  return true;
}

bool CpuDevice::load(const Program &program, std::string &err) {
  Impl &d = *impl_;
  if (d.handle) {
    ::dlclose(d.handle);
    d.handle = nullptr;
  }
  d.kernels.clear();
  d.launchers.clear();
  d.note.clear();
  d.runs = 0;
  if (!d.opts.library.empty()) {
    // Built beforehand with other programs (buildCpuLibrary).
    // Checked as a cache entry (its own trailer; the key it exports is the
    // one its name says).
    std::string why;
    d.libPath = d.opts.library;
    d.hit = true;
    if (checkCpuLibrary(d.libPath, nullptr, why) != LibraryCheck::Ok) {
      if (why.empty())
        why = "no such file";
      return err = "cpu device: cannot load '" + d.libPath + "': " + why,
             false;
    }
    if (!d.open(libraryKeyOfPath(d.libPath), why))
      return err = "cpu device: cannot load '" + d.libPath + "': " + why,
             false;
  } else if (!d.compile(program, err)) {
    return false;
  }
  for (const ProgramKernel &k : program.kernels()) {
    std::string sym = "dlc_host_launch_" + d.opts.libraryPrefix + k.name;
    auto fn = reinterpret_cast<dlc_host_launcher_fn>(
        ::dlsym(d.handle, sym.c_str()));
    if (!fn) {
      err = "cpu device: kernel " + k.name + ": no symbol '" + sym + "' in " +
            d.libPath;
      return false;
    }
    d.launchers.push_back(fn);
    CpuKernelInfo info;
    info.name = k.name;
    info.fibers = kernelNeedsFibers(program.source(), k.name);
    d.kernels.push_back(info);
  }
  std::free(d.arena);
  d.arenaBytes = program.arenaBytes();
  size_t bytes = size_t((std::max<int64_t>(d.arenaBytes, 1) + 255) / 256 * 256);
  d.arena = static_cast<uint8_t *>(std::aligned_alloc(256, bytes));
  if (!d.arena) {
    err = "cpu device: cannot allocate the arena (" +
          std::to_string(d.arenaBytes) + " bytes)";
    return false;
  }
  d.program = program;
  return true;
}

bool CpuDevice::run(const BufferBindings &bindings, std::string &err) {
  Impl &d = *impl_;
  if (!d.handle)
    return err = "cpu device: no program loaded", false;
  if (!checkBindings(d.program, bindings, err))
    return false;
  const auto &kernels = d.program.kernels();
  std::vector<void *> args;
  char message[1024];
  for (size_t i = 0; i < kernels.size(); ++i) {
    const ProgramKernel &k = kernels[i];
    args.clear();
    for (const std::string &a : k.args)
      args.push_back(a == kArenaArg
                         ? static_cast<void *>(d.arena)
                         : static_cast<void *>(bindings.at(a)->bytes.data()));
    dlc_host_launch l{};
    for (int j = 0; j < 3; ++j) {
      l.grid[j] = unsigned(k.grid[j]);
      l.block[j] = unsigned(k.block[j]);
    }
    l.shared_bytes = size_t(k.sharedBytes);
    l.fibers = d.kernels[i].fibers ? 1 : 0;
    l.args = args.data();
    l.pool = d.pool.get();
    l.parallel = &ThreadPool::parallelThunk;
    message[0] = 0;
    l.error = message;
    l.error_size = sizeof(message);
    dlc_host_stats stats{};
    l.stats = &stats;
    int rc = d.launchers[i](&l);
    CpuKernelInfo &info = d.kernels[i];
    ++info.launches;
    info.fiberSwitches += stats.fiber_switches;
    info.fiberBlocks += stats.fiber_blocks;
    info.loopBlocks += stats.loop_blocks;
    if (rc != 0) {
      err = "cpu device: kernel " + k.name + " (launch " +
            std::to_string(i + 1) + " of " + std::to_string(kernels.size()) +
            "): " + message;
      return false;
    }
  }
  ++d.runs;
  return true;
}

} // namespace dlc
