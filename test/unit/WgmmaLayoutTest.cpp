//===- WgmmaLayoutTest.cpp - the wgmma path's shared-memory layout --------===//
//
// The only check of the sm_90 GEMM's layout without a GPU: the emitted
// kernels (codegen/WgmmaGemm.cpp) store operand element (row, k) of a k tile
// at wgmmaChunk(row, k / 8) + 2 (k % 8) and hand wgmma the descriptor
// wgmmaDesc(tile + 32 kk) for k step kk. An independent reading of the PTX
// ISA ("Matrix Descriptor Format", "Shared Memory Matrix Layout": K-major,
// 128-byte swizzle; "wgmma register fragments": the D layout of
// m64nNk16) must find every element where the kernel stored it, and the CPU
// device's emulation (runtime/cpu/dlc_host.h) must compute D in that layout.
//
//===----------------------------------------------------------------------===//
// The standard and gtest headers first: dlc_host.h defines CUDA keywords
// (__noinline__, ...) as macros.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "runtime/cpu/dlc_host.h"
#define DLC_USE_F16
#define DLC_USE_BF16
#define DLC_USE_WGMMA
#include "codegen/prelude/dlc_device.cuh"

namespace {

/// The descriptor's fields, as the PTX ISA's table lists them.
struct DocDescriptor {
  uint32_t startAddress;      // bits 0-13, address >> 4
  uint32_t leadingByteOffset; // bits 16-29, >> 4
  uint32_t strideByteOffset;  // bits 32-45, >> 4
  uint32_t baseOffset;        // bits 49-51
  uint32_t swizzle;           // bits 62-63: 0 none, 1 128B, 2 64B, 3 32B
};

DocDescriptor decode(uint64_t d) {
  auto bits = [&](int lo, int n) {
    return uint32_t((d >> lo) & ((uint64_t(1) << n) - 1));
  };
  return {bits(0, 14), bits(16, 14), bits(32, 14), bits(49, 3), bits(62, 2)};
}

/// Where the PTX layout puts element (row, k) (16-bit elements) of a K-major
/// operand with the 128-byte swizzle: the canonical layout is 8-row groups
/// `stride byte offset` apart, each row 128 bytes (64 elements) at
/// 128 * (row % 8) from its group; the swizzle then permutes the eight
/// 16-byte units of each 128-byte row by XOR with the row's index in the
/// 1024-byte pattern (address bits 7-9 into bits 4-6).
uint32_t docAddress(uint64_t desc, int row, int k) {
  DocDescriptor f = decode(desc);
  EXPECT_EQ(f.swizzle, 1u) << "128-byte swizzle";
  EXPECT_EQ(f.baseOffset, 0u);
  uint32_t linear = (f.startAddress << 4) + uint32_t(row / 8) *
                                                (f.strideByteOffset << 4) +
                    uint32_t(row % 8) * 128 + uint32_t(k) * 2;
  uint32_t unit = (linear >> 4) & 7, line = (linear >> 7) & 7;
  return (linear & ~uint32_t(0x70)) | ((unit ^ line) << 4);
}

/// The kernel's store position of element (row, k) of a tile.
uint32_t storedAt(int row, int k) {
  return dlc::wgmmaChunk(row, k / 8) + uint32_t(k % 8) * 2;
}

TEST(WgmmaLayout, DescriptorFields) {
  DocDescriptor f = decode(dlc::wgmmaDesc(0x12340));
  EXPECT_EQ(f.startAddress, 0x1234u);
  EXPECT_EQ(f.leadingByteOffset << 4, 16u);
  EXPECT_EQ(f.strideByteOffset << 4, 1024u); // 8 rows of 128 bytes
  EXPECT_EQ(f.baseOffset, 0u);
  EXPECT_EQ(f.swizzle, 1u);
}

// Every element of a 128-row tile, through the descriptors the kernel
// builds for each warpgroup's rows and k step, is where the kernel stored
// it; the host emulation agrees.
TEST(WgmmaLayout, DescriptorAddressesTheStoredElements) {
  const uint32_t stage = 3 * 32768; // a stage's tile, 1024-byte aligned
  for (int wg = 0; wg < 2; ++wg)
    for (int kk = 0; kk < 4; ++kk) {
      uint64_t desc = dlc::wgmmaDesc(stage + wg * 64 * 128 + kk * 32);
      for (int r = 0; r < 64; ++r)
        for (int k = 0; k < 16; ++k) {
          uint32_t want = stage + storedAt(64 * wg + r, 16 * kk + k);
          ASSERT_EQ(docAddress(desc, r, k), want)
              << "warpgroup " << wg << " k step " << kk << " (" << r << ", "
              << k << ")";
          ASSERT_EQ(dlc_host::wgmmaOperandOffset(desc, r, k), long(want));
        }
    }
}

// The stores of a tile are a permutation of its bytes (no two elements
// collide), and each 128-byte row keeps its own 16-byte units.
TEST(WgmmaLayout, StoresArePermutation) {
  std::vector<int> seen(128 * 128, 0);
  for (int r = 0; r < 128; ++r)
    for (int c = 0; c < 8; ++c) {
      uint32_t a = dlc::wgmmaChunk(r, c);
      ASSERT_EQ(a % 16, 0u);
      ASSERT_EQ(a / 128, uint32_t(r));
      ++seen[a / 16];
    }
  for (int i = 0; i < 128 * 8; ++i)
    EXPECT_EQ(seen[i], 1) << "unit " << i;
}

/// D(m, n) of thread t's register i in the m64nNk16 accumulator fragment,
/// as the PTX ISA draws it: each warp owns 16 rows; within a warp, a group
/// of four lanes shares a row, each lane two adjacent columns of every
/// 8-column block; registers go pairwise along n, then 8 rows down, then to
/// the next 8-column block.
std::pair<int, int> docFragment(int t, int i) {
  int warp = t / 32, lane = t % 32;
  int row = warp * 16 + lane / 4 + ((i / 2) % 2) * 8;
  int col = (i / 4) * 8 + (lane % 4) * 2 + i % 2;
  return {row, col};
}

template <int N, typename T> void checkWgmma() {
  std::mt19937 rng(N);
  std::uniform_int_distribution<int> small(-8, 8);
  // A: 128 x 64 (two warpgroups' rows), B: N x 64, k-tile 64, in the
  // shared window as the kernel stores them.
  const uint32_t aBase = 0, bBase = 128 * 128;
  std::vector<float> a(128 * 64), b(N * 64);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = float(small(rng)) / 4;
    T v(a[i]);
    memcpy(dlc_smem + aBase + storedAt(int(i / 64), int(i % 64)), &v, 2);
  }
  for (size_t i = 0; i < b.size(); ++i) {
    b[i] = float(small(rng)) / 4;
    T v(b[i]);
    memcpy(dlc_smem + bBase + storedAt(int(i / 64), int(i % 64)), &v, 2);
  }
  dlc_host::builtins.blockDims = dim3(256, 1, 1);
  for (int t = 0; t < 256; ++t) {
    dlc_host::builtins.thread = {unsigned(t), 0, 0};
    int wg = t / 128;
    float d[N / 2] = {};
    for (int kk = 0; kk < 4; ++kk)
      dlc::wgmma<N, T>(d,
                       dlc::wgmmaDesc(dlc::smemAddr(dlc_smem + aBase) +
                                      wg * 64 * 128 + kk * 32),
                       dlc::wgmmaDesc(dlc::smemAddr(dlc_smem + bBase) + kk * 32));
    for (int i = 0; i < N / 2; ++i) {
      auto [m, n] = docFragment(t % 128, i);
      float want = 0;
      for (int k = 0; k < 64; ++k)
        want += a[(64 * wg + m) * 64 + k] * b[n * 64 + k];
      ASSERT_EQ(d[i], want) << "thread " << t << " register " << i;
    }
  }
  EXPECT_EQ(dlc_host::kernelError, nullptr);
}

TEST(WgmmaLayout, HostWgmmaComputesTheDocumentedFragment) {
  checkWgmma<64, __nv_bfloat16>();
  checkWgmma<128, __nv_bfloat16>();
  checkWgmma<256, __nv_bfloat16>();
  checkWgmma<128, __half>();
}

// A descriptor the emulation does not model is an error, not a wrong sum.
TEST(WgmmaLayout, UnmodelledDescriptorFails) {
  uint64_t withBaseOffset = dlc::wgmmaDesc(0) | (uint64_t(3) << 49);
  EXPECT_EQ(dlc_host::wgmmaOperandOffset(withBaseOffset, 0, 0), -1);
  // A k step that runs past the 128-byte row.
  EXPECT_EQ(dlc_host::wgmmaOperandOffset(dlc::wgmmaDesc(112), 0, 15), -1);
}

} // namespace
