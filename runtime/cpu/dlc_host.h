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
//  - Threads of a block run as cooperative fibers (a hand-written context
//    switch, no syscall; 64 KiB stacks with a guard page) when the kernel
//    has barriers or warp operations;
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

/// What a launch did, added to by the launcher when dlc_host_launch::stats
/// is set (one launch at a time per record).
struct dlc_host_stats {
  /// Context switches between a block's fibers and its scheduler.
  uint64_t fiber_switches;
  /// Blocks run as fibers, and as a plain loop of their threads.
  uint64_t fiber_blocks, loop_blocks;
};

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
  /// Null, or where to add this launch's counts.
  struct dlc_host_stats *stats;
};

/// Every kernel K gets `int dlc_host_launch_K(const dlc_host_launch *)`.
typedef int (*dlc_host_launcher_fn)(const struct dlc_host_launch *);

/// Version of this ABI, exported by every compiled program.
#define DLC_HOST_ABI_VERSION 2
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
// thread_local alone is static at block scope and lets `extern __shared__`
// name the dynamic shared memory (dlc_smem, below).
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
//
// A fiber switch saves the callee-saved registers and the stack pointer of
// one fiber and restores another's: a dozen instructions, no system call
// (swapcontext saves and restores the signal mask, a syscall per switch).
// x86-64 and aarch64 have a hand-written switch; other ISAs fall back to
// ucontext, and so do kernels built with AddressSanitizer
// (DLC_HOST_CXXFLAGS=-fsanitize=address), whose runtime follows swapcontext
// but not a hand-made switch. The floating-point control registers (MXCSR,
// FPCR) are not switched: no kernel changes them.

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DLC_HOST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DLC_HOST_ASAN 1
#endif

// -DDLC_HOST_FIBER_UCONTEXT (in DLC_HOST_CXXFLAGS) forces the fallback.
#if (defined(__x86_64__) || defined(__aarch64__)) && \
    !defined(DLC_HOST_ASAN) && !defined(DLC_HOST_FIBER_UCONTEXT)
#define DLC_HOST_FIBER_ASM 1
extern "C" DLC_HOST_HIDDEN void dlc_host_fiber_switch(void **saveSp,
                                                      void *loadSp);
#if defined(__x86_64__)
// Pushes rbp rbx r12-r15, saves rsp in *rdi, loads rsi, pops, returns.
__asm__(".text\n"
        ".p2align 4\n"
        ".weak dlc_host_fiber_switch\n"
        ".hidden dlc_host_fiber_switch\n"
        ".type dlc_host_fiber_switch,@function\n"
        "dlc_host_fiber_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n"
        "  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n"
        "  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size dlc_host_fiber_switch,.-dlc_host_fiber_switch\n");
#else
// Stores x19-x30 and d8-d15 below sp, saves sp in *x0, loads x1, reloads,
// returns to the restored x30.
__asm__(".text\n"
        ".p2align 4\n"
        ".weak dlc_host_fiber_switch\n"
        ".hidden dlc_host_fiber_switch\n"
        ".type dlc_host_fiber_switch,%function\n"
        "dlc_host_fiber_switch:\n"
        "  sub sp, sp, #160\n"
        "  stp x19, x20, [sp, #0]\n  stp x21, x22, [sp, #16]\n"
        "  stp x23, x24, [sp, #32]\n  stp x25, x26, [sp, #48]\n"
        "  stp x27, x28, [sp, #64]\n  stp x29, x30, [sp, #80]\n"
        "  stp d8, d9, [sp, #96]\n  stp d10, d11, [sp, #112]\n"
        "  stp d12, d13, [sp, #128]\n  stp d14, d15, [sp, #144]\n"
        "  mov x9, sp\n  str x9, [x0]\n  mov sp, x1\n"
        "  ldp x19, x20, [sp, #0]\n  ldp x21, x22, [sp, #16]\n"
        "  ldp x23, x24, [sp, #32]\n  ldp x25, x26, [sp, #48]\n"
        "  ldp x27, x28, [sp, #64]\n  ldp x29, x30, [sp, #80]\n"
        "  ldp d8, d9, [sp, #96]\n  ldp d10, d11, [sp, #112]\n"
        "  ldp d12, d13, [sp, #128]\n  ldp d14, d15, [sp, #144]\n"
        "  add sp, sp, #160\n"
        "  ret\n"
        ".size dlc_host_fiber_switch,.-dlc_host_fiber_switch\n");
#endif
#endif

namespace dlc_host {

/// A suspended fiber (or the scheduler's own context).
struct Context {
#ifdef DLC_HOST_FIBER_ASM
  void *sp = nullptr;
#else
  ucontext_t uc;
#endif
};

/// Saves the running context in `from` and resumes `to`.
__forceinline__ void switchContext(Context &from, Context &to) {
#ifdef DLC_HOST_FIBER_ASM
  dlc_host_fiber_switch(&from.sp, to.sp);
#else
  swapcontext(&from.uc, &to.uc);
#endif
}

/// Makes `c` start `entry` (which must never return) on the stack
/// [lo, lo + bytes) at its first switch.
inline void prepareContext(Context &c, char *lo, size_t bytes,
                           void (*entry)()) {
#ifdef DLC_HOST_FIBER_ASM
  uintptr_t top = (uintptr_t(lo) + bytes) & ~uintptr_t(15);
  void **sp = reinterpret_cast<void **>(top);
#if defined(__x86_64__)
  // A null return address (entry never returns), then entry for `ret`,
  // then six zeroed registers: entry starts with rsp + 8 16-byte aligned,
  // as after a call.
  *--sp = nullptr;
  *--sp = reinterpret_cast<void *>(entry);
  for (int i = 0; i < 6; ++i)
    *--sp = nullptr;
#else
  // The 160-byte frame the switch reloads: x30 (at 88) = entry, the rest 0.
  sp -= 20;
  for (int i = 0; i < 20; ++i)
    sp[i] = nullptr;
  sp[11] = reinterpret_cast<void *>(entry);
#endif
  c.sp = sp;
#else
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = lo;
  c.uc.uc_stack.ss_size = bytes;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, entry, 0);
#endif
}

enum class FiberState : uint8_t { Runnable, AtBarrier, AtWarpSync, Done };

struct Fiber {
  Context ctx;
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
  Context main;
  int current = -1;
  // Warp exchange: [warp][bank][lane], 8 bytes per value.
  std::vector<uint64_t> slots;
  void (*body)(void *const *) = nullptr;
  void *const *args = nullptr;
  const char *failure = nullptr;
  /// Context switches made (the launch's stats add them up).
  uint64_t switches = 0;

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

  /// Leaves the running fiber (already marked waiting or done) for the
  /// next runnable one after it in this round, else for the scheduler:
  /// one switch, fiber to fiber.
  void yield() {
    Fiber &f = fibers[size_t(current)];
    const int n = int(fibers.size());
    int next = current + 1;
    while (next < n && fibers[size_t(next)].state != FiberState::Runnable)
      ++next;
    ++switches;
    if (next == n)
      return switchContext(f.ctx, main);
    current = next;
    builtins.thread = fibers[size_t(next)].tid;
    switchContext(f.ctx, fibers[size_t(next)].ctx);
  }
};
DLC_HOST_HIDDEN inline thread_local Scheduler *scheduler = nullptr;
DLC_HOST_HIDDEN inline thread_local const char *loopModeError = nullptr;
/// What an emulated instruction could not do (the launch fails with it).
DLC_HOST_HIDDEN inline thread_local const char *kernelError = nullptr;

/// Where every fiber starts; runs the kernel for its thread, then leaves
/// for good (the stack is reused by the next block).
inline void fiberMain() {
  Scheduler *s = scheduler;
  s->body(s->args);
  s = scheduler; // the same; reloaded after the call
  s->fibers[size_t(s->current)].state = FiberState::Done;
  s->yield();
  __builtin_unreachable();
}

/// Parks the running fiber in `state` until the scheduler releases it.
inline void wait(FiberState state) {
  Scheduler *s = scheduler;
  s->fibers[size_t(s->current)].state = state;
  s->yield();
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

#include "dlc_host_mma.h" // spliced into the prelude text by CMake

namespace dlc_host {

struct LaunchState {
  const dlc_host_launch *launch;
  void (*body)(void *const *);
  std::atomic<bool> failed{false};
  char *error;
  size_t errorSize;
  std::atomic<uint64_t> switches{0}, fiberBlocks{0}, loopBlocks{0};

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
  void *const *args = st.launch->args;
  loopModeError = nullptr;
  Builtins &bi = builtins;
  for (unsigned z = 0; z < bd[2]; ++z)
    for (unsigned y = 0; y < bd[1]; ++y)
      for (unsigned x = 0; x < bd[0]; ++x) {
        bi.thread = uint3{x, y, z};
        st.body(args);
      }
  st.loopBlocks.fetch_add(1, std::memory_order_relaxed);
  if (loopModeError)
    st.fail("block (%u, %u, %u) reached %s, but the kernel was run without "
            "fibers (it has no barrier or warp operation in its text)",
            builtins.block.x, builtins.block.y, builtins.block.z,
            loopModeError);
}

/// Makes the warps whose live lanes all wait at a warp sync runnable, else
/// the block when all its live threads wait at the barrier. False when
/// nothing can run (a deadlock if some thread is still alive).
inline bool releaseWaiting(Scheduler &s) {
  const int n = int(s.fibers.size());
  bool released = false, allAtBarrier = true;
  for (int w = 0; w * 32 < n; ++w) {
    int waiting = 0, alive = 0;
    for (int i = w * 32; i < std::min(n, w * 32 + 32); ++i) {
      FiberState st = s.fibers[size_t(i)].state;
      alive += st != FiberState::Done;
      waiting += st == FiberState::AtWarpSync;
      allAtBarrier &= st == FiberState::Done || st == FiberState::AtBarrier;
    }
    if (alive > 0 && waiting == alive) {
      for (int i = w * 32; i < std::min(n, w * 32 + 32); ++i)
        s.fibers[size_t(i)].state = FiberState::Runnable;
      released = true;
    }
  }
  if (!released && allAtBarrier) {
    for (Fiber &f : s.fibers)
      if (f.state == FiberState::AtBarrier) {
        f.state = FiberState::Runnable;
        released = true;
      }
  }
  return released;
}

/// Runs the threads of the current block as fibers: rounds in which the
/// scheduler resumes the first runnable fiber and each fiber, when it
/// waits or returns, resumes the next; after each round the waiting ones
/// are released.
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
  s.switches = 0;
  for (int i = 0; i < n; ++i) {
    Fiber &f = s.fibers[size_t(i)];
    f.tid = unflatten(i, bd);
    f.state = FiberState::Runnable;
    f.shuffles = 0;
    prepareContext(f.ctx,
                   s.stacks + size_t(i) * (Scheduler::kStackBytes +
                                           Scheduler::kGuardBytes) +
                       Scheduler::kGuardBytes,
                   Scheduler::kStackBytes, fiberMain);
  }
  scheduler = &s;
  for (;;) {
    int first = 0;
    while (first < n && s.fibers[size_t(first)].state != FiberState::Runnable)
      ++first;
    if (first < n) {
      s.current = first;
      builtins.thread = s.fibers[size_t(first)].tid;
      ++s.switches;
      switchContext(s.main, s.fibers[size_t(first)].ctx);
    }
    bool live = false;
    for (const Fiber &f : s.fibers)
      live |= f.state != FiberState::Done;
    if (!live)
      break;
    if (!releaseWaiting(s)) {
      st.fail("block (%u, %u, %u): %s", b.x, b.y, b.z,
              "deadlock: its threads wait at different barriers (a barrier "
              "or warp operation not reached by every thread)");
      break; // the parked fibers are abandoned; their stacks are reused
    }
  }
  scheduler = nullptr;
  st.switches.fetch_add(s.switches, std::memory_order_relaxed);
  st.fiberBlocks.fetch_add(1, std::memory_order_relaxed);
}

/// Makes this thread allocate the library's thread-local block here, in a
/// call where no vector register is live: with TLS descriptors
/// (-mtls-dialect=gnu2) the first access of a thread takes glibc's slow
/// path, which before glibc 2.40 may clobber vector registers the caller
/// relies on (sourceware bug 31372). Later accesses take the fast path.
__attribute__((noinline)) inline void touchThreadLocals() {
  Builtins *p = &builtins;
  __asm__ volatile("" : : "r"(p) : "memory");
}

inline void runBlock(void *ctx, int64_t b, int /*worker*/) {
  LaunchState &st = *static_cast<LaunchState *>(ctx);
  if (st.failed.load(std::memory_order_relaxed))
    return;
  touchThreadLocals();
  const dlc_host_launch *l = st.launch;
  builtins.gridDims = dim3(l->grid[0], l->grid[1], l->grid[2]);
  builtins.blockDims = dim3(l->block[0], l->block[1], l->block[2]);
  builtins.block = unflatten(b, l->grid);
  kernelError = nullptr;
  if (l->fibers)
    runBlockFibers(st);
  else
    runBlockLoop(st);
  if (kernelError)
    st.fail("block (%u, %u, %u): %s", builtins.block.x, builtins.block.y,
            builtins.block.z, kernelError);
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
  if (l->stats) {
    l->stats->fiber_switches += st.switches.load();
    l->stats->fiber_blocks += st.fiberBlocks.load();
    l->stats->loop_blocks += st.loopBlocks.load();
  }
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

