//===- MmaFragmentTest.cpp - the GPU mma path's fragment indexing ---------===//
//
// The CPU device runs dlc::mmaTile as plain per-lane sums; the GPU runs it
// as ldmatrix.x4(.trans) + mma.sync.m16n8k16 at the row addresses that
// dlc::ldsmRowA / ldsmRowB compute. Here both are checked against each
// other: ldmatrix and mma are modelled from the PTX ISA's tables (matrix i
// takes its 8 row addresses from lanes 8i .. 8i+7; lane l receives row
// l / 4, elements 2 (l % 4) and 2 (l % 4) + 1, or with .trans column l / 4,
// rows 2 (l % 4) and 2 (l % 4) + 1; the m16n8k16 A, B and C fragment
// layouts by groupID = l / 4 and threadID_in_group = l % 4), fed the exact
// per-lane offsets the GPU path computes, and must give the host path's
// accumulators exactly (small integers: every sum is exact). The swizzle
// must also keep each ldmatrix phase (8 rows) free of bank conflicts.
//
//===----------------------------------------------------------------------===//
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <set>
#include <vector>

#define DLC_USE_BF16
#define DLC_USE_MMA
#include "runtime/cpu/dlc_host.h"
// The device prelude, as the CPU device compiles it.
#include "codegen/prelude/dlc_device.cuh"

namespace {

using Bf16 = __nv_bfloat16;
using Regs = std::array<std::array<uint32_t, 4>, 32>; // [lane][register]

uint32_t pack(Bf16 lo, Bf16 hi) { return uint32_t(lo.__x) | uint32_t(hi.__x) << 16; }
float lo(uint32_t r) { return float(__ushort_as_bfloat16(uint16_t(r))); }
float hi(uint32_t r) { return float(__ushort_as_bfloat16(uint16_t(r >> 16))); }

/// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16 over `smem` with the
/// row offsets `rowOf[lane]` (elements).
Regs ldmatrixX4(const Bf16 *smem, const std::array<int, 32> &rowOf, bool trans) {
  Regs r{};
  for (int i = 0; i < 4; ++i) {
    // Matrix i: row j starts at lane 8i + j's address.
    auto at = [&](int row, int col) { return smem[rowOf[8 * i + row] + col]; };
    for (int l = 0; l < 32; ++l) {
      int a = l / 4, b = 2 * (l % 4);
      r[l][i] = trans ? pack(at(b, a), at(b + 1, a)) : pack(at(a, b), at(a, b + 1));
    }
  }
  return r;
}

/// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32: d += a * b with
/// the fragments of all 32 lanes (a: 4 registers, b: 2, d: 4 floats).
void mmaM16n8k16(std::array<std::array<float, 4>, 32> &d, const Regs &a,
                 const std::array<std::array<uint32_t, 2>, 32> &b) {
  float A[16][16], B[16][8];
  for (int l = 0; l < 32; ++l) {
    int g = l / 4, t = l % 4;
    for (int i = 0; i < 8; ++i) { // a0..a7: two per register
      int row = g + ((i / 2) % 2) * 8, col = t * 2 + i % 2 + (i >= 4) * 8;
      uint32_t reg = a[l][i / 2];
      A[row][col] = i % 2 ? hi(reg) : lo(reg);
    }
    for (int i = 0; i < 4; ++i) { // b0..b3
      int row = t * 2 + i % 2 + (i >= 2) * 8, col = g;
      uint32_t reg = b[l][i / 2];
      B[row][col] = i % 2 ? hi(reg) : lo(reg);
    }
  }
  for (int l = 0; l < 32; ++l) {
    int g = l / 4, t = l % 4;
    for (int i = 0; i < 4; ++i) { // c0..c3
      int row = g + (i >= 2) * 8, col = t * 2 + i % 2;
      float s = 0;
      for (int k = 0; k < 16; ++k)
        s += A[row][k] * B[k][col];
      d[l][i] += s;
    }
  }
}

/// Each phase of ldmatrix (8 rows of 16 bytes) touches 8 distinct 16-byte
/// bank groups of a 128-byte line.
void expectConflictFree(const std::array<int, 32> &rowOf) {
  for (int i = 0; i < 4; ++i) {
    std::set<int> groups;
    for (int j = 0; j < 8; ++j) {
      int offset = rowOf[8 * i + j];
      ASSERT_EQ(offset % 8, 0) << "row " << j << " of matrix " << i
                               << " is not 16-byte aligned";
      groups.insert(offset * 2 / 16 % 8);
    }
    EXPECT_EQ(groups.size(), 8u) << "bank conflict in matrix " << i;
  }
}

template <int kFM, int kFN, int kTM, int kTN, int kTK, bool kAK, bool kBK>
void checkWarpTile(int wm0, int wn0) {
  std::vector<Bf16> sA(kTM * kTK), sB(kTK * kTN);
  std::mt19937 rng(kTM * 7 + kTN * 3 + kTK + kAK * 2 + kBK);
  std::uniform_int_distribution<int> value(-4, 4);
  float A[kTM][kTK], B[kTK][kTN];
  for (int m = 0; m < kTM; ++m)
    for (int k = 0; k < kTK; ++k) {
      A[m][k] = float(value(rng));
      sA[dlc::tileOffsetA<kTM, kTK, kAK, 2>(m, k)] = Bf16(A[m][k]);
    }
  for (int k = 0; k < kTK; ++k)
    for (int n = 0; n < kTN; ++n) {
      B[k][n] = float(value(rng));
      sB[dlc::tileOffsetB<kTN, kTK, kBK, 2>(k, n)] = Bf16(B[k][n]);
    }
  // The GPU path: ldmatrix at ldsmRowA/B, then mma.sync, per k step.
  std::array<std::array<float, 4>, 32> gpu[kFM][kFN] = {};
  for (int kk = 0; kk < kTK; kk += 16) {
    Regs a[kFM];
    std::array<std::array<uint32_t, 2>, 32> b[kFN];
    for (int i = 0; i < kFM; ++i) {
      std::array<int, 32> rowOf;
      for (int l = 0; l < 32; ++l)
        rowOf[l] = dlc::ldsmRowA<kTM, kTK, kAK>(l, wm0 + i * 16, kk);
      expectConflictFree(rowOf);
      a[i] = ldmatrixX4(sA.data(), rowOf, !kAK);
    }
    for (int j = 0; j < kFN; j += 2) {
      std::array<int, 32> rowOf;
      for (int l = 0; l < 32; ++l)
        rowOf[l] = dlc::ldsmRowB<kTN, kTK, kBK>(l, wn0 + j * 8, kk);
      expectConflictFree(rowOf);
      Regs r = ldmatrixX4(sB.data(), rowOf, !kBK);
      for (int l = 0; l < 32; ++l) {
        b[j][l] = {r[l][0], r[l][1]};
        b[j + 1][l] = {r[l][2], r[l][3]};
      }
    }
    for (int i = 0; i < kFM; ++i)
      for (int j = 0; j < kFN; ++j)
        mmaM16n8k16(gpu[i][j], a[i], b[j]);
  }
  // The host path, lane by lane; and the plain product.
  for (int l = 0; l < 32; ++l) {
    float acc[kFM][kFN][4] = {};
    dlc::mmaTile<kFM, kFN, kTM, kTN, kTK, kAK, kBK>(acc, sA.data(), sB.data(),
                                                    wm0, wn0, l);
    for (int i = 0; i < kFM; ++i)
      for (int j = 0; j < kFN; ++j)
        for (int e = 0; e < 4; ++e) {
          int m = wm0 + i * 16 + l / 4 + e / 2 * 8,
              n = wn0 + j * 8 + l % 4 * 2 + e % 2;
          float want = 0;
          for (int k = 0; k < kTK; ++k)
            want += A[m][k] * B[k][n];
          ASSERT_EQ(acc[i][j][e], want) << "host, lane " << l;
          ASSERT_EQ(gpu[i][j][l][e], want)
              << "ldmatrix + mma model, lane " << l << " fragment (" << i
              << ", " << j << ") element " << e;
        }
  }
}

TEST(MmaFragment, KMajorOperands) {
  checkWarpTile<2, 4, 64, 64, 32, true, true>(32, 32);
  checkWarpTile<4, 4, 128, 128, 32, true, true>(64, 96);
  checkWarpTile<1, 2, 16, 16, 16, true, true>(0, 0);
  checkWarpTile<2, 2, 64, 32, 64, true, true>(0, 16);
}

TEST(MmaFragment, MnMajorOperands) {
  checkWarpTile<2, 4, 64, 64, 32, false, false>(32, 32);
  checkWarpTile<4, 4, 128, 128, 16, true, false>(64, 96);
  checkWarpTile<1, 2, 16, 16, 16, false, true>(0, 0);
  checkWarpTile<2, 2, 32, 256, 32, false, false>(0, 224);
}

/// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 (PTX ISA: a0 (g, t),
/// a1 (g + 8, t), a2 (g, t + 4), a3 (g + 8, t + 4); b0 (k t, n g), b1 (k t +
/// 4, n g); C as for m16n8k16), with the operands the GPU path loads at
/// tf32OffsetA/B (exact small integers: tf32 rounding keeps them).
template <int kFM, int kFN, int kTM, int kTN, int kTK, bool kAK, bool kBK>
void checkTf32WarpTile(int wm0, int wn0) {
  std::vector<float> sA(kTM * kTK), sB(kTK * kTN);
  std::mt19937 rng(kTM + kTN + kTK);
  std::uniform_int_distribution<int> value(-4, 4);
  float A[kTM][kTK], B[kTK][kTN];
  for (int m = 0; m < kTM; ++m)
    for (int k = 0; k < kTK; ++k)
      sA[dlc::tileOffsetA<kTM, kTK, kAK, 4>(m, k)] = A[m][k] = float(value(rng));
  for (int k = 0; k < kTK; ++k)
    for (int n = 0; n < kTN; ++n)
      sB[dlc::tileOffsetB<kTN, kTK, kBK, 4>(k, n)] = B[k][n] = float(value(rng));
  for (int i = 0; i < kFM; ++i)
    for (int j = 0; j < kFN; ++j) {
      float gpu[32][4] = {};
      for (int kk = 0; kk < kTK; kk += 8) {
        float a[16][8], b[8][8];
        for (int l = 0; l < 32; ++l) {
          int g = l / 4, t = l % 4;
          const int aRow[4] = {g, g + 8, g, g + 8}, aCol[4] = {t, t, t + 4, t + 4};
          for (int r = 0; r < 4; ++r)
            a[aRow[r]][aCol[r]] =
                sA[dlc::tf32OffsetA<kTM, kTK, kAK>(l, r, wm0 + i * 16, kk)];
          for (int r = 0; r < 2; ++r)
            b[t + 4 * r][g] =
                sB[dlc::tf32OffsetB<kTN, kTK, kBK>(l, r, wn0 + j * 8, kk)];
        }
        for (int l = 0; l < 32; ++l)
          for (int e = 0; e < 4; ++e)
            for (int k = 0; k < 8; ++k)
              gpu[l][e] += a[l / 4 + e / 2 * 8][k] * b[k][l % 4 * 2 + e % 2];
      }
      for (int l = 0; l < 32; ++l) {
        float acc[kFM][kFN][4] = {};
        dlc::mmaTile<kFM, kFN, kTM, kTN, kTK, kAK, kBK>(acc, sA.data(),
                                                        sB.data(), wm0, wn0, l);
        for (int e = 0; e < 4; ++e) {
          int m = wm0 + i * 16 + l / 4 + e / 2 * 8,
              n = wn0 + j * 8 + l % 4 * 2 + e % 2;
          float want = 0;
          for (int k = 0; k < kTK; ++k)
            want += A[m][k] * B[k][n];
          ASSERT_EQ(acc[i][j][e], want) << "host, lane " << l;
          ASSERT_EQ(gpu[l][e], want) << "tf32 mma model, lane " << l;
        }
      }
    }
}

TEST(MmaFragment, Tf32Operands) {
  checkTf32WarpTile<2, 2, 64, 32, 16, true, true>(32, 16);
  checkTf32WarpTile<1, 2, 32, 32, 32, false, false>(16, 16);
  checkTf32WarpTile<2, 4, 32, 64, 16, true, false>(0, 32);
}

TEST(MmaFragment, Swizzle) {
  // A bijection on each tile shape: every element has its own slot.
  auto check = [](auto f, int rows, int cols) {
    std::set<int> seen;
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        int o = f(r, c);
        EXPECT_TRUE(o >= 0 && o < rows * cols);
        seen.insert(o);
      }
    EXPECT_EQ(int(seen.size()), rows * cols);
  };
  check([](int r, int c) { return dlc::swizzle<16, 2>(r, c); }, 32, 16);
  check([](int r, int c) { return dlc::swizzle<32, 2>(r, c); }, 64, 32);
  check([](int r, int c) { return dlc::swizzle<256, 2>(r, c); }, 16, 256);
  check([](int r, int c) { return dlc::swizzle<16, 4>(r, c); }, 32, 16);
}

TEST(MmaFragment, CpAsyncZeroFills) {
  unsigned char dst[16], src[16];
  for (int i = 0; i < 16; ++i)
    dst[i] = 0xff, src[i] = uint8_t(i + 1);
  dlc::cpAsync<16>(dst, src, 6);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(dst[i], i < 6 ? i + 1 : 0);
}

} // namespace
