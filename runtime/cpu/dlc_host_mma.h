//===- dlc_host_mma.h - tensor cores on the CPU device ----------*- C++ -*-===//
//
// Part of the host prelude: dlc_host.h includes it where the emulation
// needs the builtins and the scheduler, and runtime/cpu/CMakeLists.txt
// splices it into the embedded prelude text, so a change here changes the
// CPU library cache key. Not a header of its own.
//
//===----------------------------------------------------------------------===//
// Tensor cores and asynchronous copies (the device prelude's mmaTile,
// cpAsync; dlc_device.cuh)
//===----------------------------------------------------------------------===//
//
// No warp collective: each lane computes its own accumulator elements of
// mma.m16n8k16 / m16n8k8 straight from shared memory, in the documented
// m16n8 C layout (row lane / 4 + 8 (e / 2), column lane % 4 * 2 + e % 2),
// products and sums in float, k in order. tf32 operands are rounded as
// cvt.rna.tf32.f32 rounds them. test/unit/MmaFragmentTest.cpp checks that
// the GPU path's ldmatrix addresses and fragment layouts compute the same.

namespace dlc_host {

inline void copyZeroFill(void *dst, const void *src, int bytes, int srcBytes) {
  if (srcBytes > 0)
    memcpy(dst, src, size_t(srcBytes));
  if (srcBytes < bytes)
    memset(static_cast<char *>(dst) + srcBytes, 0, size_t(bytes - srcBytes));
}

/// An operand of mma.sync as the tensor core sees it.
inline float mmaOperand(__half h) { return float(h); }
inline float mmaOperand(__nv_bfloat16 b) { return float(b); }
inline float mmaOperand(float f) { // tf32: round to nearest, ties away
  uint32_t x = __float_as_uint(f);
  if ((x & 0x7f800000u) != 0x7f800000u)
    x = (x + 0x1000u) & 0xffffe000u;
  return __uint_as_float(x);
}

template <int kFM, int kFN, int kTK, typename AAt, typename BAt>
inline void mmaTile(float (&acc)[kFM][kFN][4], AAt a, BAt b, int wm0, int wn0,
                    int lane) {
  const int g = lane / 4, q = lane % 4;
  for (int i = 0; i < kFM; ++i)
    for (int j = 0; j < kFN; ++j)
      for (int e = 0; e < 4; ++e) {
        const int m = wm0 + i * 16 + g + e / 2 * 8, n = wn0 + j * 8 + q * 2 + e % 2;
        float s = acc[i][j][e];
        for (int k = 0; k < kTK; ++k)
          s += a(m, k) * b(k, n);
        acc[i][j][e] = s;
      }
}

/// The most dynamic shared memory a launch may ask for: the largest a
/// target allows one block (sm_90: 227 KiB); more fails the launch.
constexpr size_t kDynamicSharedBytes = 232448;

} // namespace dlc_host

//===----------------------------------------------------------------------===//
// Dynamic shared memory and Hopper warpgroup MMA (wgmma)
//===----------------------------------------------------------------------===//
//
// Kernels that use more than 48 KiB declare `extern __shared__ unsigned char
// dlc_smem[]`: here one buffer per worker, as large as any GPU block may use,
// 1024-byte aligned. It is the host's shared window: smemAddr is the offset
// in it, as __cvta_generic_to_shared is on a GPU, so that a wgmma descriptor
// (14 bits of address >> 4) addresses it as on the GPU. wgmma needs no
// fibers switch: each thread computes its own accumulator elements from
// shared memory through the descriptors (the barrier before every wgmma in
// the emitted kernels makes the tiles complete), k in order, in float.

constexpr size_t kDlcHostSharedBytes = 256 * 1024;
inline thread_local unsigned char dlc_smem[kDlcHostSharedBytes]
    __attribute__((aligned(1024), visibility("hidden")));

namespace dlc_host {

/// The byte offset in the shared window of element (row, k) of a K-major
/// operand of 16-bit elements described by `desc` (PTX "Matrix Descriptor
/// Format": start address, leading and stride byte offsets >> 4, swizzle
/// mode in bits 62-63), or -1 for what the emulation does not model (a base
/// offset, or a k step crossing the swizzle width).
inline long wgmmaOperandOffset(uint64_t desc, int row, int k) {
  const unsigned start = unsigned(desc & 0x3fff) << 4;
  const unsigned lbo = unsigned((desc >> 16) & 0x3fff) << 4;
  const unsigned sbo = unsigned((desc >> 32) & 0x3fff) << 4;
  const unsigned baseOffset = unsigned((desc >> 49) & 7);
  const unsigned mode = unsigned(desc >> 62);
  const unsigned kb = unsigned(k) * 2; // byte of k in the row
  if (baseOffset != 0)
    return -1;
  if (mode == 0) // interleaved 8x16-byte core matrices
    return long(start + unsigned(row / 8) * sbo + kb / 16 * lbo +
                unsigned(row % 8) * 16 + kb % 16);
  // Swizzled: rows of `width` bytes, 8-row groups sbo apart; the 16-byte
  // chunk bits [4, 4 + log2(width / 16)) of the address are XORed with the
  // bits from bit 7 up.
  const unsigned width = mode == 1 ? 128 : mode == 2 ? 64 : 32;
  if (start % width + kb + 2 > width)
    return -1;
  unsigned a = start + unsigned(row / 8) * sbo + unsigned(row % 8) * width + kb;
  a ^= ((a >> 7) & (width / 16 - 1)) << 4;
  return long(a);
}

inline void wgmmaFail(const char *why) {
  if (!kernelError)
    kernelError = why;
}

} // namespace dlc_host

namespace dlc {
inline unsigned smemAddr(const void *p) {
  return unsigned(static_cast<const unsigned char *>(p) - dlc_smem);
}
inline void fenceProxyAsync() {}
inline void wgmmaFence() {}
inline void wgmmaCommit() {}
template <int N> inline void wgmmaWait() {}
template <int N> inline void wgmmaFenceAcc(float (&)[N]) {}
/// This thread's elements of D (m64nNk16) += A * B, in the documented
/// register layout: d[4j + 2i + c] = D(16w + l / 4 + 8i, 8j + 2(l % 4) + c)
/// for warp w and lane l of the warpgroup.
template <int N, typename T> struct Wgmma {
  static void run(float (&d)[N / 2], uint64_t a, uint64_t b) {
    const ::dlc_host::Builtins &bi = ::dlc_host::builtins;
    const unsigned t =
        bi.thread.x + bi.blockDims.x * (bi.thread.y + bi.blockDims.y * bi.thread.z);
    const int w = int(t % 128 / 32), l = int(t % 32);
    long offA[2][16], offB[N / 8][2][16];
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 16; ++k)
        offA[i][k] =
            ::dlc_host::wgmmaOperandOffset(a, 16 * w + l / 4 + 8 * i, k);
    for (int j = 0; j < N / 8; ++j)
      for (int c = 0; c < 2; ++c)
        for (int k = 0; k < 16; ++k)
          offB[j][c][k] =
              ::dlc_host::wgmmaOperandOffset(b, 8 * j + 2 * (l % 4) + c, k);
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 16; ++k)
        if (offA[i][k] < 0 || offA[i][k] + 2 > long(kDlcHostSharedBytes))
          return ::dlc_host::wgmmaFail("a wgmma descriptor outside the model");
    for (int j = 0; j < N / 8; ++j)
      for (int c = 0; c < 2; ++c)
        for (int k = 0; k < 16; ++k)
          if (offB[j][c][k] < 0 ||
              offB[j][c][k] + 2 > long(kDlcHostSharedBytes))
            return ::dlc_host::wgmmaFail(
                "a wgmma descriptor outside the model");
    auto at = [](long off) {
      T v;
      memcpy(&v, dlc_smem + off, sizeof(T));
      return float(v);
    };
    float av[2][16];
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 16; ++k)
        av[i][k] = at(offA[i][k]);
    for (int j = 0; j < N / 8; ++j)
      for (int c = 0; c < 2; ++c) {
        float bv[16];
        for (int k = 0; k < 16; ++k)
          bv[k] = at(offB[j][c][k]);
        for (int i = 0; i < 2; ++i) {
          float acc = d[4 * j + 2 * i + c];
          for (int k = 0; k < 16; ++k)
            acc += av[i][k] * bv[k];
          d[4 * j + 2 * i + c] = acc;
        }
      }
  }
};
} // namespace dlc
