// dlc device prelude: every intrinsic and type the emitted kernels use, so
// nothing below is spelled in a kernel. The CPU device compiles this same
// prelude and the kernels for the host, after runtime/host/dlc_host.h has
// defined the CUDA built-ins it relies on (threadIdx, __syncthreads,
// __shfl_xor_sync, __half, ...) with CUDA semantics.
// The source defines DLC_USE_F16 / DLC_USE_BF16 (and includes cuda_fp16.h /
// cuda_bf16.h) only when a kernel uses those types, and DLC_USE_MMA (and
// includes mma.h, on a GPU) only when a kernel uses tensor cores.
#ifndef DLC_PRELUDE
#define DLC_PRELUDE
// Indices and sizes.
typedef long long idx_t;

namespace dlc {

// Loads and stores: storage type -> compute type (f16/bf16 compute in f32).
template <typename T> __device__ __forceinline__ T load(const T *p, idx_t i) {
  return p[i];
}
template <typename T, typename V>
__device__ __forceinline__ void store(T *p, idx_t i, V v) {
  p[i] = T(v);
}
#ifdef DLC_USE_F16
__device__ __forceinline__ float load(const __half *p, idx_t i) {
  return __half2float(p[i]);
}
__device__ __forceinline__ void store(__half *p, idx_t i, float v) {
  p[i] = __float2half_rn(v);
}
#endif
#ifdef DLC_USE_BF16
__device__ __forceinline__ float load(const __nv_bfloat16 *p, idx_t i) {
  return __bfloat162float(p[i]);
}
__device__ __forceinline__ void store(__nv_bfloat16 *p, idx_t i, float v) {
  p[i] = __float2bfloat16_rn(v);
}
#endif

// Vector loads and stores of N consecutive elements from p + i, converted to
// and from the compute type; scalar accesses where p + i is not aligned to
// the vector.
template <int N, typename T> struct alignas(N * sizeof(T)) Vec {
  T v[N];
};
template <int N, typename T, typename C>
__device__ __forceinline__ void loadVec(const T *p, idx_t i, C (&out)[N]) {
  if (reinterpret_cast<unsigned long long>(p + i) % sizeof(Vec<N, T>) == 0) {
    const Vec<N, T> x = *reinterpret_cast<const Vec<N, T> *>(p + i);
    for (int u = 0; u < N; ++u)
      out[u] = load(x.v, u);
  } else {
    for (int u = 0; u < N; ++u)
      out[u] = load(p, i + u);
  }
}
template <int N, typename T, typename C>
__device__ __forceinline__ void storeVec(T *p, idx_t i, const C (&in)[N]) {
  if (reinterpret_cast<unsigned long long>(p + i) % sizeof(Vec<N, T>) == 0) {
    Vec<N, T> x;
    for (int u = 0; u < N; ++u)
      store(x.v, u, in[u]);
    *reinterpret_cast<Vec<N, T> *>(p + i) = x;
  } else {
    for (int u = 0; u < N; ++u)
      store(p, i + u, in[u]);
  }
}

// Threads, blocks and barriers.
__device__ __forceinline__ idx_t threadInBlock() {
  return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}
__device__ __forceinline__ idx_t threadsPerBlock() {
  return idx_t(blockDim.x) * blockDim.y * blockDim.z;
}
__device__ __forceinline__ idx_t blockInGrid() {
  return blockIdx.x + idx_t(gridDim.x) * (blockIdx.y + idx_t(gridDim.y) * blockIdx.z);
}
__device__ __forceinline__ idx_t blocksPerGrid() {
  return idx_t(gridDim.x) * gridDim.y * gridDim.z;
}
__device__ __forceinline__ void barrier() { __syncthreads(); }
__device__ __forceinline__ void warpBarrier() { __syncwarp(); }

#ifdef DLC_USE_MMA
// Tensor cores through WMMA: 16x16x16 tiles of T (__half or
// __nv_bfloat16, row-major in memory) and a float accumulator. Each call
// is warp-collective: every lane of the warp makes it, with the same
// arguments; the pointers are 32-byte aligned and `ld` (elements) a
// multiple of 8 (16-bit T) or 4 (float).
template <typename T>
using MmaA = nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 16, T,
                                    nvcuda::wmma::row_major>;
template <typename T>
using MmaB = nvcuda::wmma::fragment<nvcuda::wmma::matrix_b, 16, 16, 16, T,
                                    nvcuda::wmma::row_major>;
using MmaAcc =
    nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 16, float>;
__device__ __forceinline__ void mmaZero(MmaAcc &c) {
  nvcuda::wmma::fill_fragment(c, 0.0f);
}
template <typename T>
__device__ __forceinline__ void mmaLoadA(MmaA<T> &a, const T *p, unsigned ld) {
  nvcuda::wmma::load_matrix_sync(a, p, ld);
}
template <typename T>
__device__ __forceinline__ void mmaLoadB(MmaB<T> &b, const T *p, unsigned ld) {
  nvcuda::wmma::load_matrix_sync(b, p, ld);
}
// acc += a * b, products and sums in float.
template <typename T>
__device__ __forceinline__ void mma(MmaAcc &acc, const MmaA<T> &a,
                                    const MmaB<T> &b) {
  nvcuda::wmma::mma_sync(acc, a, b, acc);
}
// The accumulator to p[row * ld + col], row-major.
__device__ __forceinline__ void mmaStore(float *p, const MmaAcc &c,
                                         unsigned ld) {
  nvcuda::wmma::store_matrix_sync(p, c, ld, nvcuda::wmma::mem_row_major);
}
#endif

#ifdef DLC_USE_WGMMA
// Hopper warpgroup matrix multiply (wgmma, sm_90a): D (64 x N, float) +=
// A (64 x 16) * B (16 x N) by the 128 threads of a warpgroup, A and B read
// from shared memory through matrix descriptors. Both operands are staged
// K-major with the 128-byte swizzle: row r (of M for A, of N for B) holds 64
// consecutive k of the 16-bit type in the 128 bytes at r * 128, its 16-byte
// chunk c (k = 8c .. 8c + 7) stored at chunk c ^ (r % 8); a tile starts on a
// 1024-byte boundary of the shared window. Thread t of a warpgroup (warp
// w = t / 32, lane l) holds d[4j + 2i + c] = D(16w + l / 4 + 8i,
// 8j + 2(l % 4) + c). On the CPU device, runtime/cpu/dlc_host.h defines
// smemAddr, the fences and Wgmma: each thread computes its elements of D
// from shared memory through the same descriptors.

// Byte offset of chunk c (k = 8c .. 8c + 7) of row r in a swizzled tile.
__device__ __forceinline__ unsigned wgmmaChunk(int r, int c) {
  return unsigned(r) * 128u + (unsigned(c ^ (r & 7)) << 4);
}
// The descriptor of a K-major 128-byte-swizzled operand whose first row is
// at shared address `addr` (+ 32 bytes per k step of 16): start address >> 4
// in bits 0-13, leading byte offset 16 (unused by this swizzle) in 16-29,
// stride byte offset 1024 (one group of 8 rows to the next) in 32-45, base
// offset 0, swizzle mode 1 (128 bytes) in 62-63.
__device__ __forceinline__ unsigned long long wgmmaDesc(unsigned addr) {
  return (unsigned long long)((addr >> 4) & 0x3fffu) | (1ull << 16) |
         (64ull << 32) | (1ull << 62);
}
#ifndef __CUDACC_HOST_EMULATION__
__device__ __forceinline__ unsigned smemAddr(const void *p) {
  return unsigned(__cvta_generic_to_shared(p));
}
// Keeps the compiler from moving accesses of the accumulators across a
// wgmma wait.
template <int N> __device__ __forceinline__ void wgmmaFenceAcc(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
    asm volatile("" : "+f"(d[i])::"memory");
}
template <int N, typename T> struct Wgmma;
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// Orders this thread's generic stores to shared memory before the async
// proxy (wgmma) reads them.
__device__ __forceinline__ void fenceProxyAsync() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
__device__ __forceinline__ void wgmmaFence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmmaCommit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int N> __device__ __forceinline__ void wgmmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
#define DLC_WGMMA_D8(i)                                                        \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]),                  \
      "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define DLC_WGMMA_D32(i)                                                       \
  DLC_WGMMA_D8(i), DLC_WGMMA_D8(i + 8), DLC_WGMMA_D8(i + 16),                  \
      DLC_WGMMA_D8(i + 24)
// d += a * b: scale-d true (predicate p), scale-a and scale-b 1, neither
// operand transposed (both K-major). REGS names the N / 2 accumulator
// operands, ABS the descriptors and the scale-d flag that follow them.
#define DLC_WGMMA(N, T, PTXTYPE, REGS, A, B, S, ...)                           \
  template <> struct Wgmma<N, T> {                                             \
    static __device__ __forceinline__ void                                     \
    run(float (&d)[N / 2], unsigned long long a, unsigned long long b) {       \
      asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, " S ", 0;\n"              \
                   "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." PTXTYPE   \
                   "." PTXTYPE " " REGS ", " A ", " B ", p, 1, 1, 0, 0;\n}\n"  \
                   : __VA_ARGS__                                               \
                   : "l"(a), "l"(b), "r"(1));                                  \
    }                                                                          \
  };
#define DLC_WGMMA_REGS64 \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, " \
  "%12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, " \
  "%24, %25, %26, %27, %28, %29, %30, %31}"
#define DLC_WGMMA_REGS128 \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, " \
  "%12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, " \
  "%24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, " \
  "%36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, " \
  "%60, %61, %62, %63}"
#define DLC_WGMMA_REGS256 \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, " \
  "%12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, " \
  "%24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, " \
  "%36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, " \
  "%60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, " \
  "%72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, " \
  "%84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, " \
  "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, " \
  "%108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, " \
  "%120, %121, %122, %123, %124, %125, %126, %127}"
#ifdef DLC_USE_BF16
DLC_WGMMA(64, __nv_bfloat16, "bf16", DLC_WGMMA_REGS64, "%32", "%33",
          "%34", DLC_WGMMA_D32(0))
DLC_WGMMA(128, __nv_bfloat16, "bf16", DLC_WGMMA_REGS128, "%64", "%65",
          "%66", DLC_WGMMA_D32(0), DLC_WGMMA_D32(32))
DLC_WGMMA(256, __nv_bfloat16, "bf16", DLC_WGMMA_REGS256, "%128", "%129",
          "%130", DLC_WGMMA_D32(0), DLC_WGMMA_D32(32), DLC_WGMMA_D32(64), DLC_WGMMA_D32(96))
#endif
#ifdef DLC_USE_F16
DLC_WGMMA(64, __half, "f16", DLC_WGMMA_REGS64, "%32", "%33",
          "%34", DLC_WGMMA_D32(0))
DLC_WGMMA(128, __half, "f16", DLC_WGMMA_REGS128, "%64", "%65",
          "%66", DLC_WGMMA_D32(0), DLC_WGMMA_D32(32))
DLC_WGMMA(256, __half, "f16", DLC_WGMMA_REGS256, "%128", "%129",
          "%130", DLC_WGMMA_D32(0), DLC_WGMMA_D32(32), DLC_WGMMA_D32(64), DLC_WGMMA_D32(96))
#endif
#else
// Kernels with wgmma run only on sm_90a; elsewhere (a program emitted for
// sm_90 compiled for another arch) they trap.
__device__ __forceinline__ void fenceProxyAsync() {}
__device__ __forceinline__ void wgmmaFence() {}
__device__ __forceinline__ void wgmmaCommit() {}
template <int N> __device__ __forceinline__ void wgmmaWait() {}
template <int N, typename T> struct Wgmma {
  static __device__ __forceinline__ void
  run(float (&)[N / 2], unsigned long long, unsigned long long) {
    __trap();
  }
};
#endif // __CUDA_ARCH_FEAT_SM90_ALL
#endif // __CUDACC_HOST_EMULATION__
// acc += A * B, one k step of 16, for this thread's accumulators.
template <int N, typename T>
__device__ __forceinline__ void wgmma(float (&d)[N / 2], unsigned long long a,
                                      unsigned long long b) {
  Wgmma<N, T>::run(d, a, b);
}
// The first 1024-byte boundary of the shared window at or after p.
__device__ __forceinline__ unsigned char *wgmmaAlign(unsigned char *p) {
  return p + ((1024u - (smemAddr(p) & 1023u)) & 1023u);
}
#endif // DLC_USE_WGMMA

// Warp shuffles: combine with the lane `mask` apart (butterfly).
__device__ __forceinline__ float shuffleXor(float v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}
__device__ __forceinline__ double shuffleXor(double v, int mask) {
  return __shfl_xor_sync(0xffffffffu, v, mask);
}

// Math, overloaded on the compute type.
__device__ __forceinline__ float exp(float x) { return expf(x); }
__device__ __forceinline__ double exp(double x) { return ::exp(x); }
__device__ __forceinline__ float log(float x) { return logf(x); }
__device__ __forceinline__ double log(double x) { return ::log(x); }
__device__ __forceinline__ float sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double sqrt(double x) { return ::sqrt(x); }
__device__ __forceinline__ float tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double tanh(double x) { return ::tanh(x); }
__device__ __forceinline__ float erf(float x) { return erff(x); }
__device__ __forceinline__ double erf(double x) { return ::erf(x); }
__device__ __forceinline__ float sin(float x) { return sinf(x); }
__device__ __forceinline__ double sin(double x) { return ::sin(x); }
__device__ __forceinline__ float cos(float x) { return cosf(x); }
__device__ __forceinline__ double cos(double x) { return ::cos(x); }
__device__ __forceinline__ float pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double pow(double x, double y) { return ::pow(x, y); }
__device__ __forceinline__ bool isnan(float x) { return ::isnan(x); }
__device__ __forceinline__ bool isnan(double x) { return ::isnan(x); }
template <typename T> __device__ __forceinline__ T infinity() {
  return T(__int_as_float(0x7f800000));
}
template <typename T> __device__ __forceinline__ T quietNan() {
  return T(__int_as_float(0x7fc00000));
}
// Integer power by squaring (wraps like the reference); e < 0 gives 0.
template <typename T> __device__ __forceinline__ T ipow(T b, T e) {
  T r = 1;
  if (e < 0)
    return 0;
  for (; e; e >>= 1, b *= b)
    if (e & 1)
      r *= b;
  return r;
}
// NaN-propagating maximum/minimum (float); plain for integers.
template <typename T> __device__ __forceinline__ T maximum(T a, T b) {
  return a > b ? a : b;
}
template <typename T> __device__ __forceinline__ T minimum(T a, T b) {
  return a < b ? a : b;
}
__device__ __forceinline__ float maximum(float a, float b) {
  return isnan(a) || isnan(b) ? quietNan<float>() : (a > b ? a : b);
}
__device__ __forceinline__ double maximum(double a, double b) {
  return isnan(a) || isnan(b) ? quietNan<double>() : (a > b ? a : b);
}
__device__ __forceinline__ float minimum(float a, float b) {
  return isnan(a) || isnan(b) ? quietNan<float>() : (a < b ? a : b);
}
__device__ __forceinline__ double minimum(double a, double b) {
  return isnan(a) || isnan(b) ? quietNan<double>() : (a < b ? a : b);
}
// Running max of a reduction: a NaN, once there, stays.
template <typename T> __device__ __forceinline__ T maxAcc(T acc, T v) {
  return isnan(v) || v > acc ? v : acc;
}
template <typename T> __device__ __forceinline__ T relu(T x) {
  return isnan(x) ? x : (x > T(0) ? x : T(0));
}
template <typename T> __device__ __forceinline__ T sigmoid(T x) {
  return T(1) / (T(1) + exp(-x));
}
template <typename T> __device__ __forceinline__ T rsqrt(T x) {
  return T(1) / sqrt(x);
}
template <typename T> __device__ __forceinline__ T gelu(T x) {
  return x * (T(1) + erf(x / sqrt(T(2)))) / T(2);
}
template <typename T> __device__ __forceinline__ T geluTanh(T x) {
  const T c = sqrt(T(2) / T(3.14159265358979323846));
  return x * (T(1) + tanh(c * (x + T(0.044715) * x * x * x))) / T(2);
}

// Combiners for rowAllReduce.
struct Sum {
  template <typename T> __device__ T operator()(T a, T b) const { return a + b; }
};
struct Max { // a NaN, once there, stays
  template <typename T> __device__ T operator()(T a, T b) const {
    return isnan(a) ? a : maxAcc(a, b);
  }
};

// Combines v over each group of kThreads consecutive threads of the block
// (a power of two; rows of a row reduction); every thread gets its group's
// result. Warp shuffles within a warp, then `scratch` (shared, one entry
// per warp of the block) across the warps of a group. Every thread of the
// block must call it (it may contain barriers).
template <int kThreads, typename T, typename Op>
__device__ T rowAllReduce(T v, Op op, T *scratch) {
  constexpr int kWidth = kThreads < 32 ? kThreads : 32;
  for (int mask = kWidth / 2; mask > 0; mask /= 2)
    v = op(v, shuffleXor(v, mask));
  if constexpr (kThreads > 32) {
    constexpr int kWarps = kThreads / 32;
    const int t = int(threadInBlock());
    const int first = t / 32 / kWarps * kWarps; // first warp of the group
    barrier(); // scratch may still be read by the previous call
    if (t % 32 == 0)
      scratch[t / 32] = v;
    barrier();
    v = scratch[first];
    for (int w = 1; w < kWarps; ++w)
      v = op(v, scratch[first + w]);
  }
  return v;
}

} // namespace dlc
#endif // DLC_PRELUDE
