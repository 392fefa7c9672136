// dlc host prelude: compiles the CUDA C++ that codegen emits as ordinary
// host C++ (CpuDevice, runtime/cpu/CpuDevice.h). It defines what CUDA would:
// the __global__/__device__/__shared__ keywords, threadIdx, blockIdx,
// blockDim, gridDim, __syncthreads, warp shuffles, __half and
// __nv_bfloat16 with round-to-nearest-even conversions, atomics and a few
// bit casts. The device prelude in the source (dlc_device.cuh) then
// compiles unchanged on top of it, so the host runs the very kernels a GPU
// would. docs/runtime.md describes the execution model:
//
//  - Blocks run in parallel on the runtime's thread pool (one block per
//    worker at a time); `__shared__` is `thread_local`, so each
//    worker has its own copy, reused (not cleared) from block to block as
//    shared memory is on a GPU.
//  - Threads of a block run as cooperative fibers (ucontext, 64 KiB stacks
//    with a guard page) when the kernel has barriers or warp operations;
//    otherwise one after another as a plain loop. A fiber switches only at
//    __syncthreads, __syncwarp and shuffles (tensor-core tiles need no
//    switch, see mmaTile below); the scheduler resumes each
//    waiting fiber once every live thread of its block (barrier) or of its
//    warp (warp op) has arrived, so a shuffle reads what every lane wrote.
//    Threads that have returned count as arrived (as on sm_70+). Threads
//    waiting at different kinds of barrier with nothing left to run is a
//    deadlock: the launch fails with an error naming the block.
//
// The runtime includes only the ABI part (DLC_HOST_ABI_ONLY): the launch
// record and the launcher signature the generated wrappers export.
#ifndef DLC_HOST_H
#define DLC_HOST_H

#include <stddef.h>
#include <stdint.h>

extern "C" {
/// Runs `body(ctx, b)` for every b in [0, n), possibly in parallel; calls
/// from one thread are never nested. `worker` in [0, workers) identifies
/// the calling thread.
typedef void (*dlc_host_block_fn)(void *ctx, int64_t b, int worker);
typedef void (*dlc_host_parallel_fn)(void *pool, int64_t n, void *ctx,
                                     dlc_host_block_fn body);

struct dlc_host_launch {
  unsigned grid[3];
  unsigned block[3];
  size_t shared_bytes;
  /// 1: threads of a block as fibers; 0: one after another.
  int fibers;
  void *const *args; // one pointer per kernel parameter
  void *pool;
  dlc_host_parallel_fn parallel;
  /// Filled on failure (NUL-terminated); the launcher then returns nonzero.
  char *error;
  size_t error_size;
};

/// Every kernel K gets `int dlc_host_launch_K(const dlc_host_launch *)`.
typedef int (*dlc_host_launcher_fn)(const struct dlc_host_launch *);

/// Version of this ABI, exported by every compiled program.
#define DLC_HOST_ABI_VERSION 1
}

#ifndef DLC_HOST_ABI_ONLY

#include <math.h>
#include <string.h>
#include <ucontext.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <type_traits>
#include <utility>
#include <vector>

//===----------------------------------------------------------------------===//
// Keywords
//===----------------------------------------------------------------------===//

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
// thread_local at block scope is static: one copy per worker thread.
#define __shared__ thread_local
#define __constant__ static const
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __CUDACC_HOST_EMULATION__ 1

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1)
      : x(x), y(y), z(z) {}
};

namespace dlc_host {

#define DLC_HOST_HIDDEN __attribute__((visibility("hidden")))

/// The CUDA built-in variables of the thread that runs now (the scheduler
/// rewrites threadIdx on every switch).
struct Builtins {
  uint3 thread{0, 0, 0};
  uint3 block{0, 0, 0};
  dim3 blockDims, gridDims;
};
DLC_HOST_HIDDEN inline thread_local Builtins builtins;

} // namespace dlc_host

#define threadIdx (::dlc_host::builtins.thread)
#define blockIdx (::dlc_host::builtins.block)
#define blockDim (::dlc_host::builtins.blockDims)
#define gridDim (::dlc_host::builtins.gridDims)
#define warpSize 32

//===----------------------------------------------------------------------===//
// Bit casts, f16 and bf16 (round to nearest even)
//===----------------------------------------------------------------------===//

__forceinline__ float __int_as_float(int i) {
  float f;
  memcpy(&f, &i, 4);
  return f;
}
__forceinline__ int __float_as_int(float f) {
  int i;
  memcpy(&i, &f, 4);
  return i;
}
__forceinline__ float __uint_as_float(unsigned i) {
  float f;
  memcpy(&f, &i, 4);
  return f;
}
__forceinline__ unsigned __float_as_uint(float f) {
  unsigned i;
  memcpy(&i, &f, 4);
  return i;
}
__forceinline__ double __longlong_as_double(long long i) {
  double d;
  memcpy(&d, &i, 8);
  return d;
}
__forceinline__ long long __double_as_longlong(double d) {
  long long i;
  memcpy(&i, &d, 8);
  return i;
}

namespace dlc_host {

inline uint16_t floatToHalfBits(float f) {
  uint32_t x = __float_as_uint(f);
  uint16_t sign = uint16_t((x >> 16) & 0x8000);
  x &= 0x7fffffffu;
  if (x > 0x7f800000u) // NaN: quiet, keep the top payload bits
    return uint16_t(sign | 0x7e00 | ((x >> 13) & 0x3ff));
  if (x >= 0x477ff000u) // rounds to >= 65536 - 16: infinity
    return uint16_t(sign | 0x7c00);
  if (x < 0x38800000u) { // below 2^-14: a subnormal half (or zero)
    // |f| * 2^24 is exact in float; rint rounds it to nearest even.
    float m = std::nearbyint(__uint_as_float(x) * 16777216.0f);
    return uint16_t(sign | uint16_t(m));
  }
  uint32_t r = x + 0xc8000fffu + ((x >> 13) & 1); // rebias, round
  return uint16_t(sign | (r >> 13));
}

inline float halfBitsToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e == 0) { // zero or subnormal: m * 2^-24, exact
    float v = float(m) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (e == 31)
    return __uint_as_float(sign | 0x7f800000u | (m << 13));
  return __uint_as_float(sign | ((e + 112) << 23) | (m << 13));
}

inline uint16_t floatToBf16Bits(float f) {
  uint32_t x = __float_as_uint(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) // NaN: quiet
    return uint16_t((x >> 16) | 0x40);
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

inline float bf16BitsToFloat(uint16_t b) { return __uint_as_float(uint32_t(b) << 16); }

/// `d` rounded to float by rounding to odd, so that a second rounding (to
/// half or bf16, far fewer bits) is the same as rounding `d` directly.
inline float roundToOdd(double d) {
  if (std::isnan(d))
    return float(d);
  float f = float(d);
  if (double(f) == d)
    return f;
  if (std::fabs(double(f)) > std::fabs(d))
    f = std::nextafter(f, 0.0f);
  return __uint_as_float(__float_as_uint(f) | 1u);
}

} // namespace dlc_host

struct __half {
  uint16_t __x;
  __half() = default;
  __half(float f) : __x(dlc_host::floatToHalfBits(f)) {}
  __half(double d) : __x(dlc_host::floatToHalfBits(dlc_host::roundToOdd(d))) {}
  __half(int i) : __half(double(i)) {}
  __half(long long i) : __half(double(i)) {}
  operator float() const { return dlc_host::halfBitsToFloat(__x); }
};
typedef __half half;

struct __nv_bfloat16 {
  uint16_t __x;
  __nv_bfloat16() = default;
  __nv_bfloat16(float f) : __x(dlc_host::floatToBf16Bits(f)) {}
  __nv_bfloat16(double d)
      : __x(dlc_host::floatToBf16Bits(dlc_host::roundToOdd(d))) {}
  __nv_bfloat16(int i) : __nv_bfloat16(double(i)) {}
  __nv_bfloat16(long long i) : __nv_bfloat16(double(i)) {}
  operator float() const { return dlc_host::bf16BitsToFloat(__x); }
};
typedef __nv_bfloat16 nv_bfloat16;

__forceinline__ float __half2float(__half h) {
  return dlc_host::halfBitsToFloat(h.__x);
}
__forceinline__ __half __float2half_rn(float f) { return __half(f); }
__forceinline__ __half __float2half(float f) { return __half(f); }
__forceinline__ __half __double2half(double d) { return __half(d); }
__forceinline__ unsigned short __half_as_ushort(__half h) { return h.__x; }
__forceinline__ __half __ushort_as_half(unsigned short u) {
  __half h;
  h.__x = u;
  return h;
}
__forceinline__ float __bfloat162float(__nv_bfloat16 b) {
  return dlc_host::bf16BitsToFloat(b.__x);
}
__forceinline__ __nv_bfloat16 __float2bfloat16_rn(float f) {
  return __nv_bfloat16(f);
}
__forceinline__ __nv_bfloat16 __float2bfloat16(float f) {
  return __nv_bfloat16(f);
}
__forceinline__ __nv_bfloat16 __double2bfloat16(double d) {
  return __nv_bfloat16(d);
}
__forceinline__ unsigned short __bfloat16_as_ushort(__nv_bfloat16 b) {
  return b.__x;
}
__forceinline__ __nv_bfloat16 __ushort_as_bfloat16(unsigned short u) {
  __nv_bfloat16 b;
  b.__x = u;
  return b;
}

//===----------------------------------------------------------------------===//
// Math functions CUDA has and the C library spells differently or lacks
//===----------------------------------------------------------------------===//

__forceinline__ float __expf(float x) { return expf(x); }
__forceinline__ float __logf(float x) { return logf(x); }
__forceinline__ float __fdividef(float a, float b) { return a / b; }
__forceinline__ float rsqrtf(float x) { return 1.0f / sqrtf(x); }
__forceinline__ double rsqrt(double x) { return 1.0 / sqrt(x); }
__forceinline__ float __saturatef(float x) {
  return x != x ? 0.0f : (x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x));
}
__forceinline__ float __fmaf_rn(float a, float b, float c) {
  return fmaf(a, b, c);
}

//===----------------------------------------------------------------------===//
// Atomics (blocks run in parallel on the host too)
//===----------------------------------------------------------------------===//

template <typename T> __forceinline__ T __dlcAtomicFloatAdd(T *p, T v) {
  T old, upd;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  do
    upd = old + v;
  while (!__atomic_compare_exchange(p, &old, &upd, true, __ATOMIC_SEQ_CST,
                                    __ATOMIC_RELAXED));
  return old;
}
__forceinline__ float atomicAdd(float *p, float v) {
  return __dlcAtomicFloatAdd(p, v);
}
__forceinline__ double atomicAdd(double *p, double v) {
  return __dlcAtomicFloatAdd(p, v);
}
__forceinline__ int atomicAdd(int *p, int v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
__forceinline__ unsigned atomicAdd(unsigned *p, unsigned v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
__forceinline__ unsigned long long atomicAdd(unsigned long long *p,
                                             unsigned long long v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
template <typename T> __forceinline__ T atomicExch(T *p, T v) {
  T old;
  __atomic_exchange(p, &v, &old, __ATOMIC_SEQ_CST);
  return old;
}
template <typename T> __forceinline__ T atomicCAS(T *p, T expected, T desired) {
  __atomic_compare_exchange(p, &expected, &desired, false, __ATOMIC_SEQ_CST,
                            __ATOMIC_SEQ_CST);
  return expected; // the old value either way
}
template <typename T> __forceinline__ T atomicMax(T *p, T v) {
  T old;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  while (old < v && !__atomic_compare_exchange(p, &old, &v, true,
                                               __ATOMIC_SEQ_CST,
                                               __ATOMIC_RELAXED)) {
  }
  return old;
}
template <typename T> __forceinline__ T atomicMin(T *p, T v) {
  T old;
  __atomic_load(p, &old, __ATOMIC_RELAXED);
  while (v < old && !__atomic_compare_exchange(p, &old, &v, true,
                                               __ATOMIC_SEQ_CST,
                                               __ATOMIC_RELAXED)) {
  }
  return old;
}
__forceinline__ void __threadfence() {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
__forceinline__ void __threadfence_block() {}

//===----------------------------------------------------------------------===//
// The fiber scheduler
//===----------------------------------------------------------------------===//

namespace dlc_host {

enum class FiberState : uint8_t { Runnable, AtBarrier, AtWarpSync, Done };

struct Fiber {
  ucontext_t ctx;
  uint3 tid;
  FiberState state;
  unsigned shuffles; // shuffles done: picks the slot bank
};

/// One worker's fibers, stacks and warp exchange slots, reused from block
/// to block.
struct Scheduler {
  static constexpr size_t kStackBytes = 64 * 1024;
  static constexpr size_t kGuardBytes = 4096;
  std::vector<Fiber> fibers;
  char *stacks = nullptr;
  size_t stackCount = 0;
  ucontext_t main;
  int current = -1;
  // Warp exchange: [warp][bank][lane], 8 bytes per value.
  std::vector<uint64_t> slots;
  void (*body)(void *const *) = nullptr;
  void *const *args = nullptr;
  const char *failure = nullptr;

  ~Scheduler() {
    if (stacks)
      munmap(stacks, stackCount * (kStackBytes + kGuardBytes));
  }
  bool reserve(size_t n) {
    if (n <= stackCount)
      return true;
    if (stacks)
      munmap(stacks, stackCount * (kStackBytes + kGuardBytes));
    stacks = nullptr;
    stackCount = 0;
    size_t bytes = n * (kStackBytes + kGuardBytes);
    void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      return false;
    stacks = static_cast<char *>(p);
    stackCount = n;
    for (size_t i = 0; i < n; ++i) // guard page below each stack
      mprotect(stacks + i * (kStackBytes + kGuardBytes), kGuardBytes,
               PROT_NONE);
    return true;
  }
};
DLC_HOST_HIDDEN inline thread_local Scheduler *scheduler = nullptr;
DLC_HOST_HIDDEN inline thread_local const char *loopModeError = nullptr;

inline void fiberMain() {
  Scheduler *s = scheduler;
  s->body(s->args);
  s->fibers[s->current].state = FiberState::Done;
  // uc_link returns to the scheduler.
}

/// Parks the running fiber in `state` until the scheduler releases it.
inline void wait(FiberState state) {
  Scheduler *s = scheduler;
  Fiber &f = s->fibers[s->current];
  f.state = state;
  swapcontext(&f.ctx, &s->main);
}

inline unsigned threadCount() {
  return builtins.blockDims.x * builtins.blockDims.y * builtins.blockDims.z;
}

} // namespace dlc_host

inline void __syncthreads() {
  if (::dlc_host::scheduler)
    ::dlc_host::wait(::dlc_host::FiberState::AtBarrier);
  else if (::dlc_host::threadCount() > 1)
    ::dlc_host::loopModeError = "__syncthreads";
}
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  if (::dlc_host::scheduler)
    ::dlc_host::wait(::dlc_host::FiberState::AtWarpSync);
  else if (::dlc_host::threadCount() > 1)
    ::dlc_host::loopModeError = "__syncwarp";
}

namespace dlc_host {

/// Every live lane of the warp writes `v`, waits for the others, then
/// reads lane `src(lane)`'s value (its own when that lane is absent or
/// returned before this shuffle). Two banks of slots alternate, so a lane that runs ahead to the
/// next shuffle cannot overwrite a value another lane has still to read.
template <typename T, typename Src> inline T exchange(T v, Src src) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  Scheduler *s = scheduler;
  if (!s) {
    if (threadCount() > 1)
      loopModeError = "a warp shuffle";
    return v;
  }
  const int self = s->current;
  Fiber &f = s->fibers[self];
  const int lane = self % 32, warp = self / 32;
  uint64_t *bank = &s->slots[(size_t(warp) * 2 + (f.shuffles & 1)) * 32];
  memcpy(&bank[lane], &v, sizeof(T));
  ++f.shuffles;
  wait(FiberState::AtWarpSync);
  const int from = src(lane);
  const int other = warp * 32 + from;
  // A lane that returned before this shuffle wrote nothing here.
  if (from < 0 || from >= 32 || other >= int(s->fibers.size()) ||
      s->fibers[other].shuffles < f.shuffles)
    return v;
  T r;
  memcpy(&r, &bank[from], sizeof(T));
  return r;
}

} // namespace dlc_host

template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
  return ::dlc_host::exchange(v, [&](int lane) {
    int src = lane ^ laneMask;
    return (src / width == lane / width) ? src : lane;
  });
}
template <typename T>
inline T __shfl_sync(unsigned mask, T v, int srcLane, int width = 32) {
  return ::dlc_host::exchange(
      v, [&](int lane) { return lane / width * width + srcLane % width; });
}
template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::dlc_host::exchange(v, [&](int lane) {
    int src = lane + int(delta);
    return (src / width == lane / width) ? src : lane;
  });
}
template <typename T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::dlc_host::exchange(v, [&](int lane) {
    int src = lane - int(delta);
    return (src >= 0 && src / width == lane / width) ? src : lane;
  });
}

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

/// Dynamic shared memory (`extern __shared__ ... dlc_smem[]`): one buffer
/// per worker thread, of the largest size a target allows (sm_90: 227
/// KiB); a launch asking for more fails.
constexpr size_t kDynamicSharedBytes = 232448;

} // namespace dlc_host

extern "C" {
alignas(128) inline thread_local unsigned char dlc_smem[::dlc_host::kDynamicSharedBytes];
}

namespace dlc_host {

struct LaunchState {
  const dlc_host_launch *launch;
  void (*body)(void *const *);
  std::atomic<bool> failed{false};
  char *error;
  size_t errorSize;

  void fail(const char *fmt, unsigned bx, unsigned by, unsigned bz,
            const char *what) {
    bool expected = false;
    if (failed.compare_exchange_strong(expected, true) && error && errorSize)
      snprintf(error, errorSize, fmt, bx, by, bz, what);
  }
};

inline uint3 unflatten(int64_t i, const unsigned *dims) {
  uint3 r;
  r.x = unsigned(i % dims[0]);
  r.y = unsigned(i / dims[0] % dims[1]);
  r.z = unsigned(i / dims[0] / dims[1]);
  return r;
}

/// Runs the threads of the current block one after another.
inline void runBlockLoop(LaunchState &st) {
  const unsigned *bd = st.launch->block;
  const int64_t n = int64_t(bd[0]) * bd[1] * bd[2];
  loopModeError = nullptr;
  for (int64_t t = 0; t < n; ++t) {
    builtins.thread = unflatten(t, bd);
    st.body(st.launch->args);
  }
  if (loopModeError)
    st.fail("block (%u, %u, %u) reached %s, but the kernel was run without "
            "fibers (it has no barrier or warp operation in its text)",
            builtins.block.x, builtins.block.y, builtins.block.z,
            loopModeError);
}

/// Runs the threads of the current block as fibers.
inline void runBlockFibers(LaunchState &st) {
  static thread_local Scheduler *mine = nullptr;
  static thread_local struct Owner {
    ~Owner() { delete mine; }
  } owner;
  (void)owner;
  if (!mine)
    mine = new Scheduler;
  Scheduler &s = *mine;
  const unsigned *bd = st.launch->block;
  const int n = int(bd[0] * bd[1] * bd[2]);
  const uint3 b = builtins.block;
  if (!s.reserve(size_t(n)))
    return st.fail("block (%u, %u, %u): %s", b.x, b.y, b.z,
                   "cannot map fiber stacks");
  s.fibers.resize(size_t(n));
  s.slots.assign(size_t((n + 31) / 32) * 2 * 32, 0);
  s.body = st.body;
  s.args = st.launch->args;
  for (int i = 0; i < n; ++i) {
    Fiber &f = s.fibers[size_t(i)];
    f.tid = unflatten(i, bd);
    f.state = FiberState::Runnable;
    f.shuffles = 0;
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = s.stacks + size_t(i) * (Scheduler::kStackBytes +
                                                   Scheduler::kGuardBytes) +
                           Scheduler::kGuardBytes;
    f.ctx.uc_stack.ss_size = Scheduler::kStackBytes;
    f.ctx.uc_link = &s.main;
    makecontext(&f.ctx, fiberMain, 0);
  }
  scheduler = &s;
  int live = n;
  while (live > 0) {
    for (int i = 0; i < n; ++i) {
      Fiber &f = s.fibers[size_t(i)];
      if (f.state != FiberState::Runnable)
        continue;
      s.current = i;
      builtins.thread = f.tid;
      swapcontext(&s.main, &f.ctx);
      if (f.state == FiberState::Done)
        --live;
    }
    // Release warps whose live lanes all wait at a warp sync, then the
    // block when all its live threads wait at the barrier.
    bool released = false, allAtBarrier = live > 0;
    for (int w = 0; w * 32 < n; ++w) {
      int waiting = 0, alive = 0;
      for (int i = w * 32; i < std::min(n, w * 32 + 32); ++i) {
        FiberState st2 = s.fibers[size_t(i)].state;
        alive += st2 != FiberState::Done;
        waiting += st2 == FiberState::AtWarpSync;
        allAtBarrier &= st2 == FiberState::Done || st2 == FiberState::AtBarrier;
      }
      if (alive > 0 && waiting == alive) {
        for (int i = w * 32; i < std::min(n, w * 32 + 32); ++i)
          s.fibers[size_t(i)].state = FiberState::Runnable;
        released = true;
      }
    }
    if (!released && allAtBarrier) {
      for (Fiber &f : s.fibers)
        if (f.state == FiberState::AtBarrier)
          f.state = FiberState::Runnable;
      released = true;
    }
    if (live > 0 && !released) {
      st.fail("block (%u, %u, %u): %s", b.x, b.y, b.z,
              "deadlock: its threads wait at different barriers (a barrier "
              "or warp operation not reached by every thread)");
      break; // the parked fibers are abandoned; their stacks are reused
    }
  }
  scheduler = nullptr;
}

inline void runBlock(void *ctx, int64_t b, int /*worker*/) {
  LaunchState &st = *static_cast<LaunchState *>(ctx);
  if (st.failed.load(std::memory_order_relaxed))
    return;
  const dlc_host_launch *l = st.launch;
  builtins.gridDims = dim3(l->grid[0], l->grid[1], l->grid[2]);
  builtins.blockDims = dim3(l->block[0], l->block[1], l->block[2]);
  builtins.block = unflatten(b, l->grid);
  if (l->fibers)
    runBlockFibers(st);
  else
    runBlockLoop(st);
}

inline int launch(const dlc_host_launch *l, void (*body)(void *const *)) {
  LaunchState st;
  st.launch = l;
  if (l->shared_bytes > kDynamicSharedBytes) {
    if (l->error && l->error_size)
      snprintf(l->error, l->error_size,
               "%zu bytes of dynamic shared memory; the cpu device has %zu",
               l->shared_bytes, kDynamicSharedBytes);
    return 1;
  }
  st.body = body;
  st.error = l->error;
  st.errorSize = l->error_size;
  const int64_t blocks = int64_t(l->grid[0]) * l->grid[1] * l->grid[2];
  l->parallel(l->pool, blocks, &st, runBlock);
  return st.failed.load() ? 1 : 0;
}

/// Calls `kernel` with its parameters cast from `args`.
template <typename... Ts, size_t... I>
__forceinline__ void callWith(void (*kernel)(Ts...), void *const *args,
                              std::index_sequence<I...>) {
  kernel(static_cast<Ts>(args[I])...);
}
template <typename... Ts>
__forceinline__ void call(void (*kernel)(Ts...), void *const *args) {
  static_assert((std::is_pointer_v<Ts> && ...),
                "kernel parameters must all be pointers");
  callWith(kernel, args, std::index_sequence_for<Ts...>{});
}

} // namespace dlc_host

#endif // DLC_HOST_ABI_ONLY
#endif // DLC_HOST_H
