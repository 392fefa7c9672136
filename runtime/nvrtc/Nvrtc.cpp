//===- Nvrtc.cpp - NVRTC loaded with dlopen ---------------------*- C++ -*-===//

#include "runtime/nvrtc/Nvrtc.h"

#include "runtime/core/AtomicFile.h"
#include "runtime/core/Env.h"
#include "runtime/nvrtc/Hash.h"
#include "runtime/nvrtc/KernelCache.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <mutex>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace dlc {

namespace {
// The NVRTC C API, declared here so that no nvrtc.h is needed to build. It
// has been stable since CUDA 11: nvrtcResult is an enum (int-sized) with
// NVRTC_SUCCESS == 0, nvrtcProgram an opaque pointer.
using Result = int;
using Program = struct NvrtcProgramOpaque *;
constexpr Result kSuccess = 0;

std::atomic<uint64_t> gCompileCount{0};

bool isFile(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string joinStrings(const std::vector<std::string> &v, const char *sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? sep : "") + v[i];
  return s;
}

/// The CUDA header directory for a libnvrtc at `libPath` (symlinks
/// resolved), or empty.
std::string findIncludeDir(const std::string &libPath) {
  if (auto v = getEnv(Env::CudaInclude))
    return *v;
  std::vector<std::string> candidates;
  if (!libPath.empty()) {
    fs::path dir = fs::path(libPath).parent_path();
    // <root>/lib64, <root>/lib, <root>/targets/<triple>/lib.
    candidates.push_back((dir.parent_path() / "include").string());
    candidates.push_back((dir.parent_path().parent_path() / "include").string());
  }
  for (const std::string &r : toolkitRoots())
    candidates.push_back(r + "/include");
#ifdef DLC_CUDA_INCLUDE_DIR
  candidates.push_back(DLC_CUDA_INCLUDE_DIR);
#endif
  for (const std::string &c : candidates)
    if (isFile(c + "/cuda_fp16.h") && isFile(c + "/cuda_bf16.h")) {
      std::error_code ec;
      fs::path canon = fs::canonical(c, ec);
      return ec ? c : canon.string();
    }
  return {};
}
} // namespace

std::vector<std::string> toolkitRoots() {
  std::vector<std::string> roots;
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *v = std::getenv(var); v && *v)
      roots.push_back(v);
  roots.push_back("/usr/local/cuda");
  return roots;
}

struct Nvrtc::Api {
  void *handle = nullptr;
  const char *(*getErrorString)(Result) = nullptr;
  Result (*version)(int *, int *) = nullptr;
  Result (*getNumSupportedArchs)(int *) = nullptr;
  Result (*getSupportedArchs)(int *) = nullptr;
  Result (*createProgram)(Program *, const char *, const char *, int,
                          const char *const *, const char *const *) = nullptr;
  Result (*destroyProgram)(Program *) = nullptr;
  Result (*compileProgram)(Program, int, const char *const *) = nullptr;
  Result (*getPTXSize)(Program, size_t *) = nullptr;
  Result (*getPTX)(Program, char *) = nullptr;
  Result (*getCUBINSize)(Program, size_t *) = nullptr;
  Result (*getCUBIN)(Program, char *) = nullptr;
  Result (*getProgramLogSize)(Program, size_t *) = nullptr;
  Result (*getProgramLog)(Program, char *) = nullptr;

  std::string errorName(Result r) const {
    const char *s = getErrorString ? getErrorString(r) : nullptr;
    return s ? s : "NVRTC error " + std::to_string(r);
  }
};

Nvrtc::~Nvrtc() = default;

std::unique_ptr<Nvrtc> Nvrtc::open(const std::string &path, std::string &err) {
  void *h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = ::dlerror();
    std::string why = e ? e : "unknown dlopen error";
    if (why.rfind(path + ": ", 0) == 0) // dlerror often repeats the path
      why = why.substr(path.size() + 2);
    err = "cannot load " + path + ": " + why;
    return nullptr;
  }
  auto api = std::make_unique<Api>();
  api->handle = h;
  std::string missing;
  auto bind = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        ::dlsym(h, name));
    if (!fn)
      missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  bind(api->getErrorString, "nvrtcGetErrorString");
  bind(api->version, "nvrtcVersion");
  bind(api->getNumSupportedArchs, "nvrtcGetNumSupportedArchs");
  bind(api->getSupportedArchs, "nvrtcGetSupportedArchs");
  bind(api->createProgram, "nvrtcCreateProgram");
  bind(api->destroyProgram, "nvrtcDestroyProgram");
  bind(api->compileProgram, "nvrtcCompileProgram");
  bind(api->getPTXSize, "nvrtcGetPTXSize");
  bind(api->getPTX, "nvrtcGetPTX");
  bind(api->getCUBINSize, "nvrtcGetCUBINSize");
  bind(api->getCUBIN, "nvrtcGetCUBIN");
  bind(api->getProgramLogSize, "nvrtcGetProgramLogSize");
  bind(api->getProgramLog, "nvrtcGetProgramLog");
  if (!missing.empty()) {
    err = path + " is not a usable libnvrtc: missing " + missing;
    return nullptr; // the handle stays open: dlclose of a half-used
                    // library buys nothing
  }

  std::unique_ptr<Nvrtc> n(new Nvrtc());
  if (Result r = api->version(&n->major_, &n->minor_); r != kSuccess) {
    err = path + ": nvrtcVersion failed: " + api->errorName(r);
    return nullptr;
  }
  // The file actually loaded, found through one of its symbols.
  Dl_info info{};
  std::string loaded = path;
  if (::dladdr(reinterpret_cast<void *>(api->compileProgram), &info) &&
      info.dli_fname)
    loaded = info.dli_fname;
  std::error_code ec;
  fs::path canon = fs::canonical(loaded, ec);
  n->libraryPath_ = ec ? loaded : canon.string();
  uintmax_t size = fs::file_size(n->libraryPath_, ec);
  n->librarySize_ = ec ? 0 : uint64_t(size);
  n->includeDir_ = findIncludeDir(n->libraryPath_);
  n->api_ = std::move(api);
  return n;
}

Nvrtc *Nvrtc::get(std::string &err) {
  static std::once_flag once;
  static std::unique_ptr<Nvrtc> instance;
  static std::string loadError;
  std::call_once(once, [] {
    if (auto p = getEnv(Env::NvrtcPath)) {
      std::string e;
      instance = open(*p, e);
      if (!instance)
        loadError = "NVRTC not found: " + e + " (from DLC_NVRTC_PATH)";
      return;
    }
    std::vector<std::string> names = {"libnvrtc.so.13", "libnvrtc.so",
                                      "libnvrtc.so.12"};
    std::vector<std::string> more;
    for (const std::string &r : toolkitRoots())
      for (const char *sub : {"/lib64/", "/lib/"})
        more.push_back(r + sub + "libnvrtc.so");
#ifdef DLC_CUDA_LIBRARY_DIR
    more.push_back(DLC_CUDA_LIBRARY_DIR "/libnvrtc.so");
#endif
    for (const std::string &m : more)
      if (std::find(names.begin(), names.end(), m) == names.end())
        names.push_back(m);
    // A library that exists but does not load says more than the misses.
    std::vector<std::string> notable;
    std::string firstMiss;
    for (const std::string &name : names) {
      std::string e;
      if ((instance = open(name, e)))
        return;
      if (e.find("No such file or directory") == std::string::npos)
        notable.push_back(e);
      else if (firstMiss.empty())
        firstMiss = e;
    }
    loadError = "NVRTC not found: tried " + joinStrings(names, ", ") + " (" +
                (notable.empty() ? firstMiss : joinStrings(notable, "; ")) +
                "). Install the CUDA toolkit or set DLC_NVRTC_PATH to a "
                "libnvrtc.so";
  });
  if (!instance)
    err = loadError;
  return instance.get();
}

std::string Nvrtc::version() const {
  return std::to_string(major_) + "." + std::to_string(minor_);
}

std::vector<int> Nvrtc::supportedArchs() const {
  int n = 0;
  if (api_->getNumSupportedArchs(&n) != kSuccess || n <= 0)
    return {};
  std::vector<int> archs(size_t(n), 0);
  if (api_->getSupportedArchs(archs.data()) != kSuccess)
    return {};
  return archs;
}

std::string Nvrtc::identity() const {
  return "nvrtc " + version() + " " + libraryPath_ + " " +
         std::to_string(librarySize_);
}

std::vector<std::string> Nvrtc::options(const NvrtcOptions &opts) const {
  std::vector<std::string> o = {"--gpu-architecture=" + opts.arch,
                                "-std=c++17"};
  if (!includeDir_.empty())
    o.push_back("-I" + includeDir_);
  o.insert(o.end(), opts.extraOptions.begin(), opts.extraOptions.end());
  return o;
}

std::string archForTarget(const std::string &target) {
  return target == "sm_90" ? "sm_90a" : target;
}

bool isValidArch(const std::string &arch) {
  if (arch.size() > 15) // the cache entry's arch field holds 15 characters
    return false;
  size_t us = arch.find('_');
  if (us == std::string::npos)
    return false;
  std::string prefix = arch.substr(0, us);
  if (prefix != "sm" && prefix != "compute")
    return false;
  size_t i = us + 1, digits = 0;
  while (i < arch.size() && std::isdigit(static_cast<unsigned char>(arch[i])))
    ++i, ++digits;
  if (digits == 0)
    return false;
  if (i < arch.size() && std::islower(static_cast<unsigned char>(arch[i])))
    ++i;
  return i == arch.size();
}

std::string dumpSource(const std::string &source, const std::string &programName,
                       const std::string &dir, std::string &err) {
  std::string stem = fs::path(programName).stem().string();
  if (stem.empty())
    stem = "kernels";
  std::string file =
      stem + "-" + toHex(sha256(source)).substr(0, 16) + ".cu";
  std::vector<std::string> dirs;
  if (!dir.empty()) {
    dirs.push_back(dir);
  } else {
    if (std::string root = cacheRoot(); !root.empty())
      dirs.push_back(root + "/failed");
    const char *tmp = std::getenv("TMPDIR");
    dirs.push_back(tmp && *tmp ? tmp : "/tmp");
  }
  std::vector<std::string> why;
  for (const std::string &d : dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) {
      why.push_back("cannot create " + d + ": " + ec.message());
      continue;
    }
    std::string path = d + "/" + file, e;
    if (writeFileAtomically(path, {source}, e))
      return path;
    why.push_back(e);
  }
  err = joinStrings(why, "; ");
  return {};
}

bool Nvrtc::compile(const std::string &source, const NvrtcOptions &opts,
                    NvrtcOutput &out, std::string &err) {
  out = NvrtcOutput();
  const std::string &name = opts.programName;
  if (!isValidArch(opts.arch)) {
    err = name + ": invalid arch '" + opts.arch +
          "' (expected sm_XX or compute_XX, e.g. sm_90)";
    return false;
  }
  {
    size_t us = opts.arch.find('_');
    int sm = std::atoi(opts.arch.c_str() + us + 1);
    std::vector<int> archs = supportedArchs();
    bool found = archs.empty(); // unknown: let NVRTC decide
    std::string list;
    for (int a : archs) {
      found |= a == sm;
      list += (list.empty() ? "" : " ") + std::to_string(a);
    }
    if (!found) {
      err = name + ": NVRTC " + version() + " cannot compile for " +
            opts.arch + " (it supports " + list + ")";
      return false;
    }
  }

  // Writes the source where a person can read it against the log.
  auto fail = [&](const std::string &what) {
    std::string dumpErr;
    std::string dumped = dumpSource(source, name, opts.dumpDir, dumpErr);
    err = name + ": NVRTC " + version() + " " + what + " for " + opts.arch;
    err += dumped.empty() ? "; the source could not be written (" + dumpErr + ")"
                          : "; source written to " + dumped;
    if (size_t end = out.log.find_last_not_of(" \t\r\n");
        end != std::string::npos)
      err += "\n" + out.log.substr(0, end + 1);
    if (includeDir_.empty() &&
        out.log.find("could not open source file") != std::string::npos)
      err += "\nno CUDA include directory was found (looked next to " +
             libraryPath_ + " and under CUDA_HOME, CUDA_PATH, "
             "/usr/local/cuda); set DLC_CUDA_INCLUDE";
    return false;
  };

  Program prog = nullptr;
  if (Result r = api_->createProgram(&prog, source.c_str(), name.c_str(), 0,
                                     nullptr, nullptr);
      r != kSuccess) {
    err = name + ": nvrtcCreateProgram failed: " + api_->errorName(r);
    return false;
  }
  struct Destroy {
    Api &api;
    Program &p;
    ~Destroy() { api.destroyProgram(&p); }
  } destroy{*api_, prog};

  std::vector<std::string> optStrings = options(opts);
  std::vector<const char *> optPtrs;
  for (const std::string &o : optStrings)
    optPtrs.push_back(o.c_str());
  ++gCompileCount;
  Result cr = api_->compileProgram(prog, int(optPtrs.size()), optPtrs.data());

  size_t logSize = 0;
  if (api_->getProgramLogSize(prog, &logSize) == kSuccess && logSize > 1) {
    std::string log(logSize, '\0');
    if (api_->getProgramLog(prog, log.data()) == kSuccess) {
      log.resize(log.find('\0') == std::string::npos ? log.size()
                                                     : log.find('\0'));
      // A clean compile's log is empty or blank.
      if (log.find_first_not_of(" \t\r\n") != std::string::npos)
        out.log = std::move(log);
    }
  }
  if (cr != kSuccess)
    return fail("failed to compile (" + api_->errorName(cr) + ")");
  if (opts.warningsAsErrors && !out.log.empty())
    return fail("reported warnings (warnings are errors)");

  bool cubin = opts.arch.compare(0, 3, "sm_") == 0;
  size_t size = 0;
  Result r = cubin ? api_->getCUBINSize(prog, &size)
                   : api_->getPTXSize(prog, &size);
  if (r != kSuccess || size == 0)
    return fail(std::string("produced no ") + (cubin ? "cubin" : "PTX") +
                " (" + api_->errorName(r) + ")");
  out.image.resize(size);
  char *data = reinterpret_cast<char *>(out.image.data());
  r = cubin ? api_->getCUBIN(prog, data) : api_->getPTX(prog, data);
  if (r != kSuccess)
    return fail(std::string("could not return the ") +
                (cubin ? "cubin" : "PTX") + " (" + api_->errorName(r) + ")");
  if (!cubin && !out.image.empty() && out.image.back() == 0)
    out.image.pop_back(); // PTX size counts the terminating NUL
  return true;
}

uint64_t Nvrtc::compileCount() { return gCompileCount.load(); }

} // namespace dlc
