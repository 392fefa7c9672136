//===- CacheDir.h - where dlc caches what it builds -------------*- C++ -*-===//
#ifndef DLC_RUNTIME_CORE_CACHEDIR_H
#define DLC_RUNTIME_CORE_CACHEDIR_H

#include <string>

namespace dlc {

/// The root of every dlc cache (kernels, host libraries, ONNX initializers):
/// $DLC_CACHE_DIR, else $XDG_CACHE_HOME/dlc, else $HOME/.cache/dlc (HOME
/// from the password database when unset); empty if none can be found.
std::string cacheRoot();

} // namespace dlc

#endif // DLC_RUNTIME_CORE_CACHEDIR_H
