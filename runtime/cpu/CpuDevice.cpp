//===- CpuDevice.cpp - the emitted kernels compiled for and run on the host ===//
#include "runtime/cpu/CpuDevice.h"

#include "runtime/core/AtomicFile.h"
#include "runtime/core/Env.h"
#include "runtime/nvrtc/Hash.h"
#include "runtime/nvrtc/KernelCache.h"

#define DLC_HOST_ABI_ONLY
#include "runtime/cpu/dlc_host.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace dlc {

namespace {
#include "runtime/cpu/HostPrelude.inc"
} // namespace

const char *hostPrelude() { return kHostPrelude; }

namespace {

/// Bumped when the layout of the generated library changes.
constexpr int kCpuCacheVersion = 1;

const char *kDefaultFlags[] = {"-std=c++17", "-O2",  "-fPIC", "-shared",
                               "-fvisibility=hidden", "-fno-math-errno",
                               "-w"};

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

//===----------------------------------------------------------------------===//
// Running the host compiler
//===----------------------------------------------------------------------===//

std::vector<std::string> splitWords(const std::string &s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  for (std::string w; in >> w;)
    words.push_back(w);
  return words;
}

std::string shellQuote(const std::string &s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs `argv` through the shell with stderr joined to stdout; returns the
/// exit status (-1 if it could not start) and the output in `out`.
int runCommand(const std::vector<std::string> &argv, std::string &out) {
  std::string cmd;
  for (const std::string &a : argv)
    cmd += (cmd.empty() ? "" : " ") + shellQuote(a);
  cmd += " 2>&1";
  FILE *p = ::popen(cmd.c_str(), "r");
  if (!p)
    return -1;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;)
    out.append(buf, n);
  int status = ::pclose(p);
  if (status == -1)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string joinWords(const std::vector<std::string> &w) {
  std::string s;
  for (const std::string &x : w)
    s += (s.empty() ? "" : " ") + x;
  return s;
}

/// "<command> --version" output (first line kept whole), cached per process.
std::string compilerIdentity(const std::vector<std::string> &cmd) {
  static std::mutex m;
  static std::map<std::vector<std::string>, std::string> seen;
  std::lock_guard<std::mutex> lock(m);
  auto it = seen.find(cmd);
  if (it != seen.end())
    return it->second;
  std::vector<std::string> argv = cmd;
  argv.push_back("--version");
  std::string out;
  int rc = runCommand(argv, out);
  std::string id = rc == 0 ? out : std::string();
  seen[cmd] = id;
  return id;
}

bool makeDirs(const std::string &dir, std::string &err) {
  for (size_t i = 1; i <= dir.size(); ++i)
    if (i == dir.size() || dir[i] == '/') {
      std::string p = dir.substr(0, i);
      if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) {
        err = "cannot create '" + p + "': " + std::strerror(errno);
        return false;
      }
    }
  return true;
}

bool fileExists(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

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
  std::string libPath;
  bool hit = false;
  std::vector<CpuKernelInfo> kernels;
  std::vector<dlc_host_launcher_fn> launchers;
  std::vector<std::vector<std::string>> args;
  std::vector<ProgramKernel> launches;
  std::vector<ProgramBuffer> buffers;
  uint8_t *arena = nullptr;
  int64_t arenaBytes = 0;
  Program program; // for checkBindings

  ~Impl() {
    std::free(arena);
    if (handle)
      ::dlclose(handle);
  }

  bool compile(const Program &program, std::string &err);
  /// dlopens libPath and checks its ABI version; false with `why`.
  bool open(std::string &why);
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
const std::string &CpuDevice::libraryPath() const { return impl_->libPath; }
unsigned CpuDevice::threads() const { return impl_->pool->size(); }

namespace {

/// The host compiler command and flags (options, then $DLC_HOST_CXX and
/// $DLC_HOST_CXXFLAGS) and its --version output.
struct HostCompiler {
  std::vector<std::string> cmd, flags;
  std::string identity;
};

bool findHostCompiler(const CpuDeviceOptions &opts, HostCompiler &hc,
                      std::string &err) {
  hc.cmd = splitWords(!opts.compiler.empty()
                          ? opts.compiler
                          : getEnv(Env::HostCxx).value_or("c++"));
  if (hc.cmd.empty())
    hc.cmd = {"c++"};
  hc.identity = compilerIdentity(hc.cmd);
  if (hc.identity.empty()) {
    err = "cpu device: cannot run the host C++ compiler '" +
          joinWords(hc.cmd) + " --version' (set DLC_HOST_CXX)";
    return false;
  }
  hc.flags.assign(std::begin(kDefaultFlags), std::end(kDefaultFlags));
  for (const std::string &f :
       splitWords(getEnv(Env::HostCxxFlags).value_or("")))
    hc.flags.push_back(f);
  return true;
}

/// The cache key of `tu` built by `hc`.
std::string libraryKey(const HostCompiler &hc, const std::string &tu) {
  Sha256 h;
  auto field = [&](const std::string &s) {
    h.update(std::to_string(s.size()) + ":");
    h.update(s);
  };
  field("dlc-cpu-kernels");
  field(std::to_string(kCpuCacheVersion));
  field(joinWords(hc.cmd));
  field(hc.identity);
  field(joinWords(hc.flags));
  for (const EnvVar &v : kEnvVars)
    if (v.invalidatesCache)
      field(std::string(v.name) + "=" + getEnv(v.id).value_or(""));
  field(tu);
  return toHex(h.digest());
}

/// <root>/cpu, created, where `root` is the options' cache root, else
/// cacheRoot() unless $DLC_KERNEL_CACHE turns the cache off; empty when
/// there is no cache.
std::string cacheDirectory(const CpuDeviceOptions &opts) {
  std::string root = opts.cacheRoot, why;
  if (root.empty()) {
    auto v = getEnv(Env::KernelCache);
    if (v && (*v == "0" || *v == "off"))
      return {};
    root = cacheRoot();
  }
  if (root.empty() || !makeDirs(root + "/cpu", why))
    return {};
  return root + "/cpu";
}

/// Compiles `tu` into <dir>/<key>.so (through a temporary file and a
/// rename), keeping the source as <dir>/<key>.cpp and the stub CUDA headers
/// in <dir>/include. On a compiler failure, `log` holds its output,
/// `command` the command line and `exitCode` its status; other failures set
/// only `err`.
bool compileLibrary(const HostCompiler &hc, const std::string &tu,
                    const std::string &dir, const std::string &key,
                    std::string &log, std::string &command, int &exitCode,
                    std::string &err) {
  std::string libPath = dir + "/" + key + ".so",
              srcPath = dir + "/" + key + ".cpp", incDir = dir + "/include";
  if (!makeDirs(incDir, err))
    return err = "cpu device: " + err, false;
  const char *stub = "// dlc cpu device: __half and __nv_bfloat16 come from "
                     "the host prelude (dlc_host.h).\n#pragma once\n";
  for (const char *hdr : {"cuda_fp16.h", "cuda_bf16.h"})
    if (!fileExists(incDir + "/" + hdr) &&
        !writeFileAtomically(incDir + "/" + hdr, {stub}, err))
      return err = "cpu device: " + err, false;
  if (!writeFileAtomically(srcPath, {tu}, err))
    return err = "cpu device: " + err, false;
  static std::atomic<uint64_t> counter{0};
  std::string tmpLib = libPath + ".tmp." + std::to_string(::getpid()) + "." +
                       std::to_string(counter++);
  std::vector<std::string> argv = hc.cmd;
  argv.insert(argv.end(), hc.flags.begin(), hc.flags.end());
  argv.insert(argv.end(), {"-I", incDir, "-x", "c++", srcPath, "-o", tmpLib});
  command = joinWords(argv);
  exitCode = runCommand(argv, log);
  if (exitCode != 0) {
    ::unlink(tmpLib.c_str());
    err = "cpu device: the host compiler failed (exit " +
          std::to_string(exitCode) + ")\n  command: " + command +
          "\n  source: " + srcPath + "\n" + log;
    return false;
  }
  if (::rename(tmpLib.c_str(), libPath.c_str()) != 0) {
    err = "cpu device: cannot rename '" + tmpLib + "' to '" + libPath +
          "': " + std::strerror(errno);
    ::unlink(tmpLib.c_str());
    return false;
  }
  return true;
}

/// Macros the emitted source defines for its device prelude (codegen's
/// CudaEmitter); undefined before each program of a batch so that every
/// program gets the prelude it asks for.
const char *kSourceMacros[] = {"DLC_PRELUDE", "DLC_USE_F16", "DLC_USE_BF16",
                               "DLC_USE_MMA"};

} // namespace

bool CpuDevice::Impl::compile(const Program &program, std::string &err) {
  HostCompiler hc;
  if (!findHostCompiler(opts, hc, err))
    return false;
  std::string tu = std::string(kHostPrelude) + "\n#line 1 \"kernels.cu\"\n" +
                   program.source() + "\n#line 1 \"dlc-launchers\"\n" +
                   hostLaunchers(program);
  std::string key = libraryKey(hc, tu);

  // Where the library goes: the cache, else a private temporary directory.
  std::string dir = cacheDirectory(opts), why;
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
  if (!temporary && fileExists(libPath) && open(why)) {
    hit = true;
    return true;
  }

  std::string log, command;
  int rc = 0;
  if (!compileLibrary(hc, tu, dir, key, log, command, rc, err)) {
    if (rc == 0)
      return false;
    std::string kernel = kernelOfLog(log, program.source(), program);
    err = "cpu device: the host compiler failed" +
          (kernel.empty() ? std::string() : " in kernel " + kernel) +
          " (exit " + std::to_string(rc) + ")\n  command: " + command +
          "\n  source: " + dir + "/" + key + ".cpp\n" + log;
    return false;
  }
  bool ok = open(why);
  if (temporary) {
    std::string incDir = dir + "/include";
    ::unlink(libPath.c_str());
    ::unlink((dir + "/" + key + ".cpp").c_str());
    for (const char *hdr : {"cuda_fp16.h", "cuda_bf16.h"})
      ::unlink((incDir + "/" + hdr).c_str());
    ::rmdir(incDir.c_str());
    ::rmdir(dir.c_str());
  }
  if (!ok) {
    err = "cpu device: cannot load '" + libPath + "': " + why;
    return false;
  }
  return true;
}

bool CpuDevice::Impl::open(std::string &why) {
  handle = ::dlopen(libPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *e = ::dlerror();
    why = e ? e : "dlopen failed";
    return false;
  }
  auto *abi = static_cast<const int *>(::dlsym(handle, "dlc_host_abi_version"));
  if (!abi || *abi != DLC_HOST_ABI_VERSION) {
    why = "not a dlc cpu library of ABI version " +
          std::to_string(DLC_HOST_ABI_VERSION);
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
  std::string dir = cacheDirectory(opts);
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
  std::string key = libraryKey(hc, tu);
  libPath = dir + "/" + key + ".so";
  if (fileExists(libPath))
    return true;
  std::string log, command;
  int rc = 0;
  return compileLibrary(hc, tu, dir, key, log, command, rc, err);
}

bool CpuDevice::load(const Program &program, std::string &err) {
  Impl &d = *impl_;
  if (d.handle) {
    ::dlclose(d.handle);
    d.handle = nullptr;
  }
  d.kernels.clear();
  d.launchers.clear();
  if (!d.opts.library.empty()) {
    // Built beforehand with other programs (buildCpuLibrary).
    std::string why;
    d.libPath = d.opts.library;
    d.hit = true;
    if (!d.open(why))
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
    d.kernels.push_back({k.name, kernelNeedsFibers(program.source(), k.name)});
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
    if (d.launchers[i](&l) != 0) {
      err = "cpu device: kernel " + k.name + " (launch " +
            std::to_string(i + 1) + " of " + std::to_string(kernels.size()) +
            "): " + message;
      return false;
    }
  }
  return true;
}

} // namespace dlc
