//===- CpuLibrary.cpp - the CPU device's compiler and library cache --------===//
#include "runtime/cpu/CpuLibrary.h"

#include "runtime/core/AtomicFile.h"
#include "runtime/core/Env.h"
#include "runtime/cpu/CpuDevice.h"
#include "runtime/nvrtc/KernelCache.h"

#define DLC_HOST_ABI_ONLY
#include "runtime/cpu/dlc_host.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

namespace dlc {

namespace {

/// Bumped when the layout of the generated library or its trailer changes.
constexpr int kCpuCacheVersion = 2;

const char *kDefaultFlags[] = {"-std=c++17", "-O3",  "-fPIC", "-shared",
                               "-fvisibility=hidden", "-fno-math-errno",
                               "-w"};

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

std::string joinWords(const std::vector<std::string> &w) {
  std::string s;
  for (const std::string &x : w)
    s += (s.empty() ? "" : " ") + x;
  return s;
}

/// Runs `argv` through the shell with stderr joined to stdout and stdin
/// from /dev/null; returns the exit status (-1 if it could not start) and
/// the output in `out`.
int runCommand(const std::vector<std::string> &argv, std::string &out) {
  std::string cmd;
  for (const std::string &a : argv)
    cmd += (cmd.empty() ? "" : " ") + shellQuote(a);
  cmd += " </dev/null 2>&1";
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

/// The output of `cmd args...` when it succeeds, else "", cached per
/// process.
std::string cachedOutput(const std::vector<std::string> &argv) {
  static std::mutex m;
  static std::map<std::vector<std::string>, std::string> seen;
  std::lock_guard<std::mutex> lock(m);
  auto it = seen.find(argv);
  if (it != seen.end())
    return it->second;
  std::string out;
  std::string id = runCommand(argv, out) == 0 ? out : std::string();
  seen[argv] = id;
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

bool isRegularFile(const std::string &p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

//===----------------------------------------------------------------------===//
// The trailer: the last kTrailerBytes of every library dlc writes
//===----------------------------------------------------------------------===//
//
//   0  8  magic "DLCCPULB"      144  8  payload size (the ELF image)
//   8  4  trailer version (1)   152 32  SHA-256 of the payload
//  12  4  reserved, 0           184  8  magic "DLCCPUND"
//  16 32  key                   (little-endian; 192 bytes)
//  48 32  source hash
//  80 32  compiler hash
// 112 32  flags hash
//
// dlopen ignores bytes after the ELF image, so the stamped file loads as is.

constexpr size_t kTrailerBytes = 192;
constexpr char kMagic[9] = "DLCCPULB", kEndMagic[9] = "DLCCPUND";
constexpr uint32_t kTrailerVersion = 1;

void putU64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
uint64_t getU64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

std::string makeTrailer(const CpuLibraryStamp &s, uint64_t size,
                        const Sha256Digest &sum) {
  std::string t(kTrailerBytes, '\0');
  auto *p = reinterpret_cast<uint8_t *>(t.data());
  std::memcpy(p, kMagic, 8);
  p[8] = uint8_t(kTrailerVersion);
  std::memcpy(p + 16, s.key.data(), 32);
  std::memcpy(p + 48, s.source.data(), 32);
  std::memcpy(p + 80, s.compiler.data(), 32);
  std::memcpy(p + 112, s.flags.data(), 32);
  putU64(p + 144, size);
  std::memcpy(p + 152, sum.data(), 32);
  std::memcpy(p + 184, kEndMagic, 8);
  return t;
}

/// Reads all of the regular file open as `fd`.
bool readAll(int fd, std::string &data, std::string &why) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return why = std::string("cannot read: ") + std::strerror(errno), false;
    if (n == 0)
      return true;
    data.append(buf, size_t(n));
  }
}

/// Appends the trailer to the freshly compiled library at `path`.
bool stampLibrary(const std::string &path, const CpuLibraryStamp &stamp,
                  std::string &err) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  std::string data, why;
  if (fd < 0 || !readAll(fd, data, why)) {
    err = "cannot read '" + path + "': " +
          (why.empty() ? std::strerror(errno) : why);
    if (fd >= 0)
      ::close(fd);
    return false;
  }
  std::string t = makeTrailer(stamp, data.size(), sha256(data));
  bool ok = ::pwrite(fd, t.data(), t.size(), off_t(data.size())) ==
            ssize_t(t.size());
  if (!ok)
    err = "cannot write '" + path + "': " + std::strerror(errno);
  ::close(fd);
  return ok;
}

const char *fileKind(mode_t m) {
  if (S_ISLNK(m))
    return "a symbolic link";
  if (S_ISDIR(m))
    return "a directory";
  if (S_ISFIFO(m))
    return "a FIFO";
  if (S_ISSOCK(m))
    return "a socket";
  if (S_ISCHR(m) || S_ISBLK(m))
    return "a device";
  return "not a regular file";
}

} // namespace

bool findHostCompiler(const CpuDeviceOptions &opts, HostCompiler &hc,
                      std::string &err) {
  hc.cmd = splitWords(!opts.compiler.empty()
                          ? opts.compiler
                          : getEnv(Env::HostCxx).value_or("c++"));
  if (hc.cmd.empty())
    hc.cmd = {"c++"};
  std::vector<std::string> argv = hc.cmd;
  argv.push_back("--version");
  hc.identity = cachedOutput(argv);
  if (hc.identity.empty()) {
    err = "cpu device: cannot run the host C++ compiler '" +
          joinWords(hc.cmd) + " --version' (set DLC_HOST_CXX)";
    return false;
  }
  hc.flags.assign(std::begin(kDefaultFlags), std::end(kDefaultFlags));
  std::string arch = getEnv(Env::HostArch).value_or("native");
  if (arch != "none")
    hc.flags.push_back("-march=" + arch);
#if defined(__x86_64__)
  // TLS descriptors: a kernel's __shared__ arrays and threadIdx are
  // thread_local in a dlopen'ed library, and every access otherwise calls
  // __tls_get_addr through the PLT (11% of the seed CNN step). GCC only
  // (clang 22 has no such flag); the prelude touches the TLS block first
  // where no vector register is live (dlc_host::touchThreadLocals).
  if (hc.identity.find("Free Software Foundation") != std::string::npos)
    hc.flags.push_back("-mtls-dialect=gnu2");
#endif
  for (const std::string &f :
       splitWords(getEnv(Env::HostCxxFlags).value_or("")))
    hc.flags.push_back(f);
  // "native" differs from machine to machine: the key gets what the
  // compiler makes of it (its driver's cc1 line), so a cache shared by two
  // machines never hands one the other's vector code.
  for (const std::string &f : hc.flags)
    if (f.find("=native") != std::string::npos) {
      std::vector<std::string> probe = hc.cmd;
      probe.insert(probe.end(), {f, "-###", "-E", "-x", "c++", "/dev/null"});
      hc.nativeFlags += f + ": " + cachedOutput(probe) + "\n";
    }
  return true;
}

CpuLibraryStamp stampOf(const HostCompiler &hc, const std::string &tu) {
  CpuLibraryStamp s;
  Sha256 h;
  auto field = [&](const std::string &v) {
    h.update(std::to_string(v.size()) + ":");
    h.update(v);
  };
  field("dlc-cpu-kernels");
  field(std::to_string(kCpuCacheVersion));
  field(joinWords(hc.cmd));
  field(hc.identity);
  field(joinWords(hc.flags));
  field(hc.nativeFlags);
  for (const EnvVar &v : kEnvVars)
    if (v.invalidatesCache)
      field(std::string(v.name) + "=" + getEnv(v.id).value_or(""));
  field(tu);
  s.key = h.digest();
  s.source = sha256(tu);
  s.compiler = sha256(joinWords(hc.cmd) + "\n" + hc.identity);
  s.flags = sha256(joinWords(hc.flags) + "\n" + hc.nativeFlags);
  return s;
}

std::string keySymbolSource(const CpuLibraryStamp &stamp) {
  return "extern \"C\" __attribute__((visibility(\"default\"))) const char "
         "dlc_host_library_key[] = \"" +
         toHex(stamp.key) + "\";\n";
}

std::string cpuCacheDirectory(const CpuDeviceOptions &opts) {
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

LibraryCheck checkCpuLibrary(const std::string &path,
                             const CpuLibraryStamp *want, std::string &why) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return LibraryCheck::Missing;
    why = std::string("cannot stat: ") + std::strerror(errno);
    return LibraryCheck::Bad;
  }
  if (!S_ISREG(st.st_mode))
    return why = fileKind(st.st_mode), LibraryCheck::Bad;
  // O_NONBLOCK and O_NOFOLLOW: should the entry turn into a FIFO or a link
  // after the lstat, the open neither blocks nor follows it.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return why = std::string("cannot open: ") + std::strerror(errno),
           LibraryCheck::Bad;
  std::string data;
  bool read = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              readAll(fd, data, why);
  ::close(fd);
  if (!read)
    return why = why.empty() ? "not a regular file" : why, LibraryCheck::Bad;
  if (data.size() < kTrailerBytes)
    return why = "truncated: " + std::to_string(data.size()) +
                 " bytes, shorter than the trailer",
           LibraryCheck::Bad;
  const auto *t =
      reinterpret_cast<const uint8_t *>(data.data() + data.size() - kTrailerBytes);
  bool reservedZero = true;
  for (int i = 9; i < 16; ++i)
    reservedZero &= t[i] == 0;
  if (std::memcmp(t, kMagic, 8) != 0 || std::memcmp(t + 184, kEndMagic, 8) != 0)
    return why = "no dlc trailer at its end (truncated, or not written by "
                 "dlc)",
           LibraryCheck::Bad;
  if (t[8] != kTrailerVersion || !reservedZero)
    return why = "trailer version " + std::to_string(t[8]) + ", want " +
                 std::to_string(kTrailerVersion),
           LibraryCheck::Bad;
  uint64_t size = getU64(t + 144);
  if (size != data.size() - kTrailerBytes)
    return why = "size mismatch: the trailer records " + std::to_string(size) +
                 " bytes of library, the file holds " +
                 std::to_string(data.size() - kTrailerBytes),
           LibraryCheck::Bad;
  Sha256Digest sum = sha256(std::string_view(data.data(), size));
  if (std::memcmp(sum.data(), t + 152, 32) != 0)
    return why = "checksum mismatch", LibraryCheck::Bad;
  if (size < 4 || std::memcmp(data.data(), "\x7f" "ELF", 4) != 0)
    return why = "not an ELF file", LibraryCheck::Bad;
  if (want) {
    auto differs = [&](const Sha256Digest &d, size_t at) {
      return std::memcmp(d.data(), t + at, 32) != 0;
    };
    if (differs(want->source, 48))
      return why = "built from another source", LibraryCheck::Bad;
    if (differs(want->compiler, 80))
      return why = "built by another compiler", LibraryCheck::Bad;
    if (differs(want->flags, 112))
      return why = "built with other flags", LibraryCheck::Bad;
    if (differs(want->key, 16))
      return why = "key mismatch (another format version or DLC_* "
                   "variables)",
             LibraryCheck::Bad;
  }
  return LibraryCheck::Ok;
}

bool compileCpuLibrary(const HostCompiler &hc, const std::string &tu,
                       const CpuLibraryStamp &stamp, const std::string &dir,
                       CompiledLibrary &out, std::string &err) {
  std::string key = toHex(stamp.key);
  std::string libPath = dir + "/" + key + ".so",
              srcPath = dir + "/" + key + ".cpp", incDir = dir + "/include";
  out = CompiledLibrary();
  out.sourcePath = srcPath;
  if (!makeDirs(incDir, err))
    return err = "cpu device: " + err, false;
  const char *stub = "// dlc cpu device: __half and __nv_bfloat16 come from "
                     "the host prelude (dlc_host.h).\n#pragma once\n";
  for (const char *hdr : {"cuda_fp16.h", "cuda_bf16.h"})
    if (!isRegularFile(incDir + "/" + hdr) &&
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
  out.command = joinWords(argv);
  out.exitCode = runCommand(argv, out.log);
  if (out.exitCode != 0) {
    ::unlink(tmpLib.c_str());
    err = "cpu device: the host compiler failed (exit " +
          std::to_string(out.exitCode) + ")\n  command: " + out.command +
          "\n  source: " + srcPath + "\n" + out.log;
    return false;
  }
  if (!stampLibrary(tmpLib, stamp, err)) {
    ::unlink(tmpLib.c_str());
    return err = "cpu device: " + err, false;
  }
  out.path = libPath;
  if (::rename(tmpLib.c_str(), libPath.c_str()) != 0) {
    // E.g. a directory sits at the entry's name: use the library without
    // caching it.
    out.note = "cpu library not cached: cannot rename '" + tmpLib +
               "' to '" + libPath + "': " + std::strerror(errno);
    out.path = tmpLib;
    out.temporary = true;
  }
  return true;
}

bool checkLoadedLibrary(void *handle, const std::string &key,
                        std::string &why) {
  auto *abi = static_cast<const int *>(::dlsym(handle, "dlc_host_abi_version"));
  if (!abi || *abi != DLC_HOST_ABI_VERSION) {
    why = "not a dlc cpu library of ABI version " +
          std::to_string(DLC_HOST_ABI_VERSION);
    return false;
  }
  if (key.empty())
    return true;
  auto *k = static_cast<const char *>(::dlsym(handle, "dlc_host_library_key"));
  if (!k || std::strncmp(k, key.c_str(), key.size() + 1) != 0) {
    why = "its dlc_host_library_key is not " + key;
    return false;
  }
  return true;
}

} // namespace dlc
