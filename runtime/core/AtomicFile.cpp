//===- AtomicFile.cpp -----------------------------------------------------===//
#include "runtime/core/AtomicFile.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace dlc {

namespace {

/// fsync of the directory holding `path`, so that the rename itself (the
/// directory entry) survives a crash, not only the file's data.
bool syncParentDir(const std::string &path, std::string &err) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    err = "cannot open directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  // Some file systems cannot sync a directory (EINVAL): nothing to do.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    err = "cannot sync directory " + dir + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

} // namespace

bool writeFileAtomically(
    const std::string &path, const std::vector<std::string_view> &chunks,
    std::string &err,
    const std::function<void(const std::string &tmp)> &midWrite) {
  // pid + counter: unique across processes and threads writing one path.
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  auto abandon = [&](const std::string &what, int code) {
    err = what + " " + tmp + ": " + std::strerror(code);
    ::unlink(tmp.c_str());
    return false;
  };
  size_t half = (chunks.size() + 1) / 2;
  for (size_t c = 0; c < chunks.size(); ++c) {
    std::string_view chunk = chunks[c];
    size_t done = 0;
    while (done < chunk.size()) {
      ssize_t n = ::write(fd, chunk.data() + done, chunk.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        int code = n < 0 ? errno : EIO;
        ::close(fd);
        return abandon("cannot write", code);
      }
      done += size_t(n);
    }
    if (midWrite && c + 1 == half)
      midWrite(tmp);
  }
  // The data must be on disk before the rename makes it the file: else a
  // crash can leave `path` naming an empty or partial file.
  if (::fsync(fd) != 0) {
    int code = errno;
    ::close(fd);
    return abandon("cannot sync", code);
  }
  if (::close(fd) != 0)
    return abandon("cannot write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int code = errno;
    ::unlink(tmp.c_str());
    err = "cannot rename " + tmp + " to " + path + ": " + std::strerror(code);
    return false;
  }
  return syncParentDir(path, err);
}

} // namespace dlc
