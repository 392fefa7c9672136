//===- Sass.cpp - instruction counts of a cubin, from cuobjdump ------------===//
#include "runtime/report/Sass.h"

#include "runtime/nvrtc/Nvrtc.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace dlc {

static bool isExecutable(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::string findCuobjdump() {
  if (const char *env = std::getenv("DLC_CUOBJDUMP"))
    return isExecutable(env) ? std::string(env) : std::string();
  std::vector<std::string> dirs;
  if (const char *path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty())
        dirs.push_back(d);
  }
  for (const std::string &root : toolkitRoots())
    dirs.push_back(root + "/bin");
  dirs.push_back("/opt/dlc-sass-tools/nvidia/cu13/bin");
  for (const std::string &d : dirs)
    if (isExecutable(d + "/cuobjdump"))
      return d + "/cuobjdump";
  return "";
}

/// The opcode of a SASS line ("/*0040*/ @!P0 HMMA.16816.F32.BF16 R4, ..."),
/// or empty for a line that holds none.
static std::string opcodeOf(const std::string &line) {
  size_t at = line.find("*/");
  if (line.find("/*") == std::string::npos || at == std::string::npos)
    return "";
  std::istringstream in(line.substr(at + 2));
  std::string word;
  in >> word;
  if (!word.empty() && word[0] == '@') // a predicate guard
    in >> word;
  if (word.empty() || !std::isupper((unsigned char)word[0]))
    return "";
  if (!word.empty() && word.back() == ';')
    word.pop_back();
  return word;
}

static bool startsWith(const std::string &s, const char *prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::map<std::string, SassCounts> parseSass(const std::string &text) {
  std::map<std::string, SassCounts> out;
  SassCounts *cur = nullptr;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t fn = line.find("Function : ");
    if (fn != std::string::npos) {
      std::string name = line.substr(fn + 11);
      while (!name.empty() && std::isspace((unsigned char)name.back()))
        name.pop_back();
      cur = &out[name];
      continue;
    }
    std::string op = opcodeOf(line);
    if (!cur || op.empty())
      continue;
    ++cur->instructions;
    auto has128 = op.find(".128") != std::string::npos;
    if (startsWith(op, "HMMA"))
      ++cur->hmma;
    else if (startsWith(op, "HGMMA"))
      ++cur->hgmma;
    else if (startsWith(op, "LDGSTS"))
      ++cur->ldgsts;
    else if (startsWith(op, "LDSM"))
      ++cur->ldsm;
    else if (startsWith(op, "UTMALDG"))
      ++cur->tma;
    else if (startsWith(op, "LDG") && has128)
      ++cur->ldg128;
    else if (startsWith(op, "STG") && has128)
      ++cur->stg128;
    else if (startsWith(op, "FFMA"))
      ++cur->ffma;
    else if (startsWith(op, "LDL") || startsWith(op, "STL"))
      ++cur->local;
  }
  return out;
}

bool sassCounts(const std::string &cuobjdump, const std::string &cubinPath,
                std::map<std::string, SassCounts> &out, std::string &err) {
  char tmpl[] = "/tmp/dlc-sass-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) {
    err = std::string("cannot create a temporary file for cuobjdump's "
                      "output: ") + std::strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd, 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {cuobjdump, "-sass", cubinPath};
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = ::posix_spawn(&pid, cuobjdump.c_str(), &actions, nullptr,
                         argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (rc == 0)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  std::string text;
  if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    ::lseek(fd, 0, SEEK_SET);
    char buf[1 << 16];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
      text.append(buf, size_t(n));
  }
  ::close(fd);
  ::unlink(tmpl);
  if (rc != 0) {
    err = cuobjdump + ": cannot start: " + std::strerror(rc);
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    err = cuobjdump + " -sass " + cubinPath + " failed (status " +
          std::to_string(status) + ")";
    return false;
  }
  out = parseSass(text);
  return true;
}

} // namespace dlc
