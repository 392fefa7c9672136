//===- ForkPool.cpp - tasks in child processes, a few at a time -----------===//
#include "tools/dlc-onnx-conformance/ForkPool.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace dlc::conformance {

namespace {

std::string resultFile(const std::string &workDir, size_t i) {
  return workDir + "/result." + std::to_string(i);
}

/// In the child: runs the task and writes its result (through a rename, so
/// a half-written file never counts), then leaves without running the
/// parent's atexit handlers or destructors.
[[noreturn]] void child(size_t i, unsigned timeoutS,
                        const std::string &workDir,
                        const std::function<std::string(size_t)> &task) {
  alarm(timeoutS);
  std::string text = task(i), path = resultFile(workDir, i),
              tmp = path + ".tmp";
  FILE *f = std::fopen(tmp.c_str(), "wb");
  bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = f && std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "error: cannot write '%s': %s\n", path.c_str(),
                 std::strerror(errno));
    _exit(2);
  }
  _exit(0);
}

} // namespace

std::vector<ChildResult>
runForked(size_t n, unsigned jobs, unsigned timeoutS,
          const std::string &workDir,
          const std::function<std::string(size_t)> &task) {
  std::vector<ChildResult> results(n);
  std::map<pid_t, size_t> running;
  size_t next = 0;
  while (next < n || !running.empty()) {
    while (next < n && running.size() < std::max(1u, jobs)) {
      std::fflush(nullptr);
      pid_t pid = fork();
      if (pid == 0)
        child(next, timeoutS, workDir, task);
      if (pid < 0) {
        results[next].text = std::string("fork failed: ") +
                             std::strerror(errno);
        ++next;
        continue;
      }
      running[pid] = next++;
    }
    if (running.empty())
      break;
    int st = 0;
    pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      for (auto &[p, i] : running)
        results[i].text = std::string("waitpid failed: ") +
                          std::strerror(errno);
      break;
    }
    auto it = running.find(pid);
    if (it == running.end())
      continue;
    size_t i = it->second;
    running.erase(it);
    ChildResult &r = results[i];
    std::string path = resultFile(workDir, i);
    std::ifstream in(path, std::ios::binary);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && in) {
      std::ostringstream text;
      text << in.rdbuf();
      r.finished = true;
      r.text = text.str();
    } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
      r.text = "timed out after " + std::to_string(timeoutS) + " s";
    } else if (WIFSIGNALED(st)) {
      r.text = "crashed (signal " + std::to_string(WTERMSIG(st)) + ", " +
               strsignal(WTERMSIG(st)) + ")";
    } else {
      r.text = "exited with status " + std::to_string(WEXITSTATUS(st)) +
               " and no result";
    }
    in.close();
    std::remove(path.c_str());
  }
  return results;
}

} // namespace dlc::conformance
