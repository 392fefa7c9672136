//===- Hash.h - SHA-256, MLIR-free ------------------------------*- C++ -*-===//
//
// FIPS 180-4 SHA-256, used for kernel cache keys and entry checksums. Small
// and dependency-free; tested against the FIPS/NIST vectors.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_RUNTIME_NVRTC_HASH_H
#define DLC_RUNTIME_NVRTC_HASH_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dlc {

using Sha256Digest = std::array<uint8_t, 32>;

/// Incremental SHA-256: update() any number of times, then digest() once.
class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Finishes the hash; the object must not be updated afterwards.
  Sha256Digest digest();

private:
  void block(const uint8_t *p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t bufLen_ = 0;
  uint64_t totalLen_ = 0;
};

Sha256Digest sha256(std::string_view data);
/// 64 lowercase hex digits.
std::string toHex(const Sha256Digest &d);

} // namespace dlc

#endif // DLC_RUNTIME_NVRTC_HASH_H
