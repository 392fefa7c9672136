//===- CacheDir.cpp - where dlc caches what it builds ---------------------===//
#include "runtime/core/CacheDir.h"

#include "runtime/core/Env.h"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace dlc {

std::string cacheRoot() {
  if (auto v = getEnv(Env::CacheDir))
    return *v;
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && x[0] == '/')
    return std::string(x) + "/dlc";
  std::string home;
  if (const char *h = std::getenv("HOME"); h && *h) {
    home = h;
  } else {
    struct passwd pw, *res = nullptr;
    char buf[4096];
    if (::getpwuid_r(::getuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
        res->pw_dir)
      home = res->pw_dir;
  }
  return home.empty() ? std::string() : home + "/.cache/dlc";
}

} // namespace dlc
