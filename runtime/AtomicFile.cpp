//===- AtomicFile.cpp -----------------------------------------------------===//
#include "runtime/AtomicFile.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace dlc {

bool writeFileAtomically(const std::string &path,
                         const std::vector<std::string_view> &chunks,
                         std::string &err) {
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
  for (std::string_view chunk : chunks) {
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
  }
  if (::close(fd) != 0)
    return abandon("cannot write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int code = errno;
    ::unlink(tmp.c_str());
    err = "cannot rename " + tmp + " to " + path + ": " + std::strerror(code);
    return false;
  }
  return true;
}

} // namespace dlc
