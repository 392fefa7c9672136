//===- KernelCache.cpp - compiled kernels cached on disk --------*- C++ -*-===//

#include "runtime/nvrtc/KernelCache.h"

#include "runtime/core/AtomicFile.h"
#include "runtime/core/Env.h"
#include "runtime/nvrtc/Hash.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace dlc {

namespace {
constexpr char kMagic[8] = {'D', 'L', 'C', 'K', 'C', 'A', 'C', 'H'};
constexpr size_t kArchField = 16;
/// An entry larger than this is treated as corrupt rather than read.
constexpr uint64_t kMaxEntrySize = uint64_t(1) << 31;

void putU32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
void putU64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
uint32_t getU32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= uint32_t(p[i]) << (8 * i);
  return v;
}
uint64_t getU64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

/// 64 hex digits to 32 bytes; zeros for anything malformed (it then
/// matches no real key).
Sha256Digest parseHex(const std::string &hex) {
  Sha256Digest d{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  if (hex.size() != 64)
    return d;
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return Sha256Digest{};
    d[i] = uint8_t(hi << 4 | lo);
  }
  return d;
}

/// The arch, NUL-padded; at most kArchField - 1 characters are kept.
std::array<uint8_t, kArchField> encodeArch(const std::string &arch) {
  std::array<uint8_t, kArchField> f{};
  for (size_t i = 0; i < arch.size() && i + 1 < kArchField; ++i)
    f[i] = uint8_t(arch[i]);
  return f;
}

Sha256Digest contentChecksum(const NvrtcOutput &o) {
  Sha256 h;
  h.update(o.image.data(), o.image.size());
  h.update(o.log);
  return h.digest();
}

/// A field of the key: its length, then its bytes, so that no two field
/// lists serialize alike.
void keyField(Sha256 &h, const std::string &s) {
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = uint8_t(uint64_t(s.size()) >> (8 * i));
  h.update(len, 8);
  h.update(s);
}

enum class ReadStatus { Ok, Missing, Error };
ReadStatus readWholeFile(const std::string &path, std::vector<uint8_t> &out,
                         std::string &err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return ReadStatus::Missing;
    err = "cannot open: " + std::string(std::strerror(errno));
    return ReadStatus::Error;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || uint64_t(st.st_size) > kMaxEntrySize) {
    err = "cannot stat, or larger than 2 GiB";
    ::close(fd);
    return ReadStatus::Error;
  }
  out.resize(size_t(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += size_t(n);
  }
  ::close(fd);
  out.resize(got); // a short read shows up as a truncated entry
  return ReadStatus::Ok;
}

bool cacheTurnedOff() {
  auto v = getEnv(Env::KernelCache);
  return v && (*v == "0" || *v == "off" || *v == "OFF" || *v == "false" ||
               *v == "no");
}
} // namespace

const char *cacheOutcomeName(CacheOutcome o) {
  switch (o) {
  case CacheOutcome::Hit:
    return "hit";
  case CacheOutcome::Miss:
    return "miss";
  case CacheOutcome::Rebuilt:
    return "rebuilt";
  case CacheOutcome::Uncached:
    return "uncached";
  }
  return "?";
}

std::vector<uint8_t> encodeCacheEntry(const std::string &keyHex,
                                      const std::string &arch,
                                      const NvrtcOutput &output) {
  std::vector<uint8_t> b(kCacheHeaderSize + output.image.size() +
                         output.log.size());
  uint8_t *p = b.data();
  std::memcpy(p, kMagic, 8);
  putU32(p + 8, kCacheFormatVersion);
  putU32(p + 12, 0); // reserved
  std::memcpy(p + 16, parseHex(keyHex).data(), 32);
  std::memcpy(p + 48, encodeArch(arch).data(), kArchField);
  putU64(p + 64, output.image.size());
  putU64(p + 72, output.log.size());
  std::memcpy(p + 80, contentChecksum(output).data(), 32);
  if (!output.image.empty())
    std::memcpy(p + kCacheHeaderSize, output.image.data(), output.image.size());
  if (!output.log.empty())
    std::memcpy(p + kCacheHeaderSize + output.image.size(), output.log.data(),
                output.log.size());
  return b;
}

bool decodeCacheEntry(const std::vector<uint8_t> &bytes,
                      const std::string &keyHex, const std::string &arch,
                      NvrtcOutput &out, std::string &why) {
  if (bytes.size() < kCacheHeaderSize) {
    why = "truncated: " + std::to_string(bytes.size()) +
          " bytes, shorter than the " + std::to_string(kCacheHeaderSize) +
          "-byte header";
    return false;
  }
  const uint8_t *p = bytes.data();
  if (std::memcmp(p, kMagic, 8) != 0) {
    why = "not a dlc kernel cache entry (bad magic)";
    return false;
  }
  if (uint32_t v = getU32(p + 8); v != kCacheFormatVersion) {
    why = "format version " + std::to_string(v) + ", want " +
          std::to_string(kCacheFormatVersion);
    return false;
  }
  if (getU32(p + 12) != 0) {
    why = "corrupted header (reserved field is not zero)";
    return false;
  }
  // The whole field, padding included, must be what encode writes.
  const char *archField = reinterpret_cast<const char *>(p + 48);
  std::string entryArch(archField, strnlen(archField, kArchField));
  if (std::memcmp(p + 48, encodeArch(arch).data(), kArchField) != 0) {
    why = entryArch == arch ? "corrupted header (arch field padding)"
                            : "arch is " + entryArch + ", want " + arch;
    return false;
  }
  Sha256Digest key = parseHex(keyHex);
  if (std::memcmp(p + 16, key.data(), 32) != 0) {
    Sha256Digest entryKey;
    std::memcpy(entryKey.data(), p + 16, 32);
    why = "key mismatch: entry is for " + toHex(entryKey);
    return false;
  }
  uint64_t imageSize = getU64(p + 64), logSize = getU64(p + 72);
  uint64_t have = bytes.size() - kCacheHeaderSize;
  if (imageSize > kMaxEntrySize || logSize > kMaxEntrySize ||
      imageSize + logSize != have) {
    why = (imageSize + logSize > have ? "truncated: " : "wrong size: ") +
          std::to_string(bytes.size()) + " bytes, the header says " +
          std::to_string(kCacheHeaderSize + imageSize + logSize);
    return false;
  }
  NvrtcOutput o;
  const uint8_t *body = p + kCacheHeaderSize;
  o.image.assign(body, body + imageSize);
  o.log.assign(reinterpret_cast<const char *>(body + imageSize), logSize);
  Sha256Digest sum = contentChecksum(o);
  if (std::memcmp(p + 80, sum.data(), 32) != 0) {
    why = "checksum mismatch";
    return false;
  }
  if (arch.compare(0, 3, "sm_") == 0 &&
      (o.image.size() < 4 || std::memcmp(o.image.data(), "\x7f" "ELF", 4) != 0)) {
    why = "payload is not an ELF cubin";
    return false;
  }
  out = std::move(o);
  return true;
}

KernelCache::KernelCache(KernelCompiler &compiler, std::string root)
    : compiler_(compiler) {
  if (root.empty()) {
    if (cacheTurnedOff())
      return;
    root = cacheRoot();
    if (root.empty()) {
      offReason_ = "kernel cache off: no cache directory (HOME is unset); "
                   "set DLC_CACHE_DIR";
      return;
    }
  }
  dir_ = root + "/kernels";
}

std::string KernelCache::key(const std::string &source,
                             const NvrtcOptions &opts) const {
  Sha256 h;
  keyField(h, "dlc-kernel-cache");
  keyField(h, std::to_string(kCacheFormatVersion));
  keyField(h, compiler_.identity());
  keyField(h, opts.arch);
  keyField(h, opts.programName);
  keyField(h, opts.warningsAsErrors ? "werror" : "");
  std::vector<std::string> options = compiler_.options(opts);
  keyField(h, std::to_string(options.size()));
  for (const std::string &o : options)
    keyField(h, o);
  for (const EnvVar &v : kEnvVars) {
    if (!v.invalidatesCache)
      continue;
    auto value = getEnv(v.id);
    keyField(h, v.name);
    keyField(h, value ? "=" + *value : "unset");
  }
  keyField(h, source);
  return toHex(h.digest());
}

std::string KernelCache::entryPath(const std::string &key) const {
  return dir_.empty() ? std::string() : dir_ + "/" + key + ".bin";
}

bool KernelCache::getOrCompile(const std::string &source,
                               const NvrtcOptions &opts, CachedKernel &out,
                               std::string &err) {
  out = CachedKernel();
  out.key = key(source, opts);
  out.entryPath = entryPath(out.key);

  auto uncached = [&](const std::string &why) {
    out.outcome = CacheOutcome::Uncached;
    out.warning = why;
    if (!why.empty() && warnToStderr_ && !warned_.exchange(true)) {
      std::fprintf(stderr, "dlc: warning: %s\n", why.c_str());
    }
  };

  std::string rebuildReason;
  if (enabled()) {
    std::vector<uint8_t> bytes;
    std::string readErr;
    switch (readWholeFile(out.entryPath, bytes, readErr)) {
    case ReadStatus::Missing:
      break;
    case ReadStatus::Error:
      rebuildReason = readErr;
      break;
    case ReadStatus::Ok:
      if (decodeCacheEntry(bytes, out.key, opts.arch, out.output,
                           rebuildReason)) {
        out.outcome = CacheOutcome::Hit;
        return true;
      }
      break;
    }
  }

  if (!compiler_.compile(source, opts, out.output, err))
    return false;

  if (!enabled()) {
    out.entryPath.clear();
    uncached(offReason_);
    return true;
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    uncached("kernel cache not written: cannot create " + dir_ + ": " +
             ec.message());
    return true;
  }
  std::vector<uint8_t> entry = encodeCacheEntry(out.key, opts.arch, out.output);
  std::string writeErr;
  if (!writeFileAtomically(
          out.entryPath,
          {std::string_view(reinterpret_cast<const char *>(entry.data()),
                            entry.size())},
          writeErr)) {
    uncached("kernel cache not written: " + writeErr);
    return true;
  }
  if (rebuildReason.empty()) {
    out.outcome = CacheOutcome::Miss;
  } else {
    out.outcome = CacheOutcome::Rebuilt;
    out.warning = "rebuilt " + out.entryPath + ": " + rebuildReason;
  }
  return true;
}

} // namespace dlc
