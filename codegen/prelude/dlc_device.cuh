// dlc device prelude: every intrinsic and type the emitted kernels use, so
// nothing below is spelled in a kernel. The CPU device compiles this same
// prelude and the kernels for the host, after runtime/host/dlc_host.h has
// defined the CUDA built-ins it relies on (threadIdx, __syncthreads,
// __shfl_xor_sync, __half, ...) with CUDA semantics.
// The source defines DLC_USE_F16 / DLC_USE_BF16 (and includes cuda_fp16.h /
// cuda_bf16.h) only when a kernel uses those types, and DLC_USE_MMA only
// when a kernel uses tensor cores (mma.sync through inline PTX).
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

// Asynchronous copies global -> shared (cp.async, sm_80+): Bytes (4, 8 or
// 16) to `smem`, of which the first `srcBytes` come from `gmem` and the
// rest are zero (srcBytes 0: a pure zero fill; gmem is then not read but
// must still be a valid pointer). 16 bytes go through L2 only (.cg). Both
// pointers are Bytes-aligned. The copies of a thread form groups
// (cpAsyncCommit); cpAsyncWait<N> waits until at most N of its groups are
// pending; a barrier then makes them visible to the block.
template <int Bytes>
__device__ __forceinline__ void cpAsync(void *smem, const void *gmem,
                                        int srcBytes) {
#ifdef __CUDACC_HOST_EMULATION__
  dlc_host::copyZeroFill(smem, gmem, Bytes, srcBytes);
#else
  const unsigned s = unsigned(__cvta_generic_to_shared(smem));
  if constexpr (Bytes == 16)
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s),
                 "l"(gmem), "r"(srcBytes)
                 : "memory");
  else
    asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" ::"r"(s),
                 "l"(gmem), "n"(Bytes), "r"(srcBytes)
                 : "memory");
#endif
}
__device__ __forceinline__ void cpAsyncCommit() {
#ifndef __CUDACC_HOST_EMULATION__
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N> __device__ __forceinline__ void cpAsyncWait() {
#ifndef __CUDACC_HOST_EMULATION__
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

#ifdef DLC_USE_MMA
// Tensor cores through mma.sync (docs/codegen.md, "tensor cores").
//
// Shared tiles: a tile is row-major, rows of kCols elements of kBytes
// bytes, stored by 16-byte chunks whose column is XOR-swizzled with the row
// so that the 8 rows of one chunk column (what ldmatrix reads in one phase,
// or 8 lanes of a cp.async) fall in 8 distinct 16-byte bank groups: no bank
// conflicts and no padding. kCols * kBytes / 16 is a power of two.
template <int kCols, int kBytes>
__host__ __device__ __forceinline__ int swizzle(int row, int col) {
  constexpr int kPer = 16 / kBytes, kChunks = kCols / kPer;
  static_assert(kChunks > 0 && (kChunks & (kChunks - 1)) == 0,
                "swizzled rows are a power-of-two number of 16-byte chunks");
  constexpr int kRowsPerLine = kChunks >= 8 ? 1 : 8 / kChunks;
  constexpr int kMask = kChunks >= 8 ? 7 : kChunks - 1;
  const int chunk = (col / kPer) ^ ((row / kRowsPerLine) & kMask);
  return row * kCols + chunk * kPer + col % kPer;
}

// The A tile of a k step is [kTM][kTK] when kKMajor (k contiguous), else
// [kTK][kTM]; the B tile [kTN][kTK] when kKMajor, else [kTK][kTN]. These
// give the element offset of the row that `lane` hands ldmatrix.x4
// (.trans for the non-K-major tiles): for A the 16x16 fragment at (m0, k0)
// in the register order of mma.m16n8k16 (a0a1: rows 0-7, k 0-7; a2a3:
// rows 8-15; a4a5: k 8-15; a6a7), for B the two 16x8 fragments at n0 and
// n0 + 8 (b0b1 of n0, k 0-7 and 8-15, then those of n0 + 8).
template <int kTM, int kTK, bool kKMajor>
__host__ __device__ __forceinline__ int ldsmRowA(int lane, int m0, int k0) {
  if constexpr (kKMajor)
    return swizzle<kTK, 2>(m0 + lane % 16, k0 + lane / 16 * 8);
  else
    return swizzle<kTM, 2>(k0 + lane % 8 + lane / 16 * 8, m0 + lane / 8 % 2 * 8);
}
template <int kTN, int kTK, bool kKMajor>
__host__ __device__ __forceinline__ int ldsmRowB(int lane, int n0, int k0) {
  if constexpr (kKMajor)
    return swizzle<kTK, 2>(n0 + lane % 8 + lane / 16 * 8, k0 + lane / 8 % 2 * 8);
  else
    return swizzle<kTN, 2>(k0 + lane % 8 + lane / 8 % 2 * 8, n0 + lane / 16 * 8);
}
// Element offsets of A(m, k) and B(k, n) in their tiles (any element size).
template <int kTM, int kTK, bool kKMajor, int kBytes>
__host__ __device__ __forceinline__ int tileOffsetA(int m, int k) {
  if constexpr (kKMajor)
    return swizzle<kTK, kBytes>(m, k);
  else
    return swizzle<kTM, kBytes>(k, m);
}
template <int kTN, int kTK, bool kKMajor, int kBytes>
__host__ __device__ __forceinline__ int tileOffsetB(int k, int n) {
  if constexpr (kKMajor)
    return swizzle<kTK, kBytes>(n, k);
  else
    return swizzle<kTN, kBytes>(k, n);
}

// tf32 (m16n8k8, 32-bit loads): the element offset of register r of the
// lane's A fragment at (m0, k0) (a0: row lane / 4, column lane % 4; a1 row
// + 8; a2 column + 4; a3 both) and of its B fragment at (n0, k0) (b0: k
// lane % 4, column lane / 4; b1: k + 4).
template <int kTM, int kTK, bool kKMajor>
__host__ __device__ __forceinline__ int tf32OffsetA(int lane, int r, int m0,
                                                    int k0) {
  return tileOffsetA<kTM, kTK, kKMajor, 4>(m0 + lane / 4 + r % 2 * 8,
                                           k0 + lane % 4 + r / 2 * 4);
}
template <int kTN, int kTK, bool kKMajor>
__host__ __device__ __forceinline__ int tf32OffsetB(int lane, int r, int n0,
                                                    int k0) {
  return tileOffsetB<kTN, kTK, kKMajor, 4>(k0 + lane % 4 + r * 4,
                                           n0 + lane / 4);
}

#ifndef __CUDACC_HOST_EMULATION__
template <bool kTrans>
__device__ __forceinline__ void ldsm4(unsigned (&r)[4], const void *p) {
  const unsigned s = unsigned(__cvta_generic_to_shared(p));
  if constexpr (kTrans)
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 "
                 "{%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(s));
  else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 "
                 "{%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(s));
}
#ifdef DLC_USE_F16
__device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4],
                                         const unsigned (&b)[2],
                                         const __half *) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]));
}
#endif
#ifdef DLC_USE_BF16
__device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4],
                                         const unsigned (&b)[2],
                                         const __nv_bfloat16 *) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]));
}
#endif
__device__ __forceinline__ unsigned toTf32(float x) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}
__device__ __forceinline__ void mma1688(float (&d)[4], const unsigned (&a)[4],
                                        const unsigned (&b)[2]) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]));
}
#endif

// acc[i][j] += the warp's A rows wm0 + 16i .. (kFM fragments of 16) times
// its B columns wn0 + 8j .. (kFN of 8) over the kTK columns of the tiles sA
// and sB (layouts above). acc[i][j][e] is this lane's element of the m16n8
// accumulator: row lane / 4 + 8 (e / 2), column lane % 4 * 2 + e % 2.
// T: __half or __nv_bfloat16 (m16n8k16 via ldmatrix; kFN even), or float
// (tf32: m16n8k8, operands rounded to tf32 by cvt.rna, 32-bit loads).
// Warp-collective on a GPU; on the CPU device each lane computes its own
// elements from shared memory (no warp exchange).
template <int kFM, int kFN, int kTM, int kTN, int kTK, bool kAK, bool kBK,
          typename T>
__device__ __forceinline__ void mmaTile(float (&acc)[kFM][kFN][4], const T *sA,
                                        const T *sB, int wm0, int wn0,
                                        int lane) {
  constexpr int kB = int(sizeof(T));
#ifdef __CUDACC_HOST_EMULATION__
  dlc_host::mmaTile<kFM, kFN, kTK>(
      acc,
      [&](int m, int k) {
        return dlc_host::mmaOperand(sA[tileOffsetA<kTM, kTK, kAK, kB>(m, k)]);
      },
      [&](int k, int n) {
        return dlc_host::mmaOperand(sB[tileOffsetB<kTN, kTK, kBK, kB>(k, n)]);
      },
      wm0, wn0, lane);
#else
  if constexpr (kB == 2) {
    static_assert(kFN % 2 == 0, "B fragments are loaded in pairs");
#pragma unroll
    for (int kk = 0; kk < kTK; kk += 16) {
      unsigned a[kFM][4], b[kFN][2];
#pragma unroll
      for (int i = 0; i < kFM; ++i)
        ldsm4<!kAK>(a[i], sA + ldsmRowA<kTM, kTK, kAK>(lane, wm0 + i * 16, kk));
#pragma unroll
      for (int j = 0; j < kFN; j += 2) {
        unsigned r[4];
        ldsm4<!kBK>(r, sB + ldsmRowB<kTN, kTK, kBK>(lane, wn0 + j * 8, kk));
        b[j][0] = r[0], b[j][1] = r[1], b[j + 1][0] = r[2], b[j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < kFM; ++i)
#pragma unroll
        for (int j = 0; j < kFN; ++j)
          mma16816(acc[i][j], a[i], b[j], sA);
    }
  } else {
#pragma unroll
    for (int kk = 0; kk < kTK; kk += 8) {
      unsigned a[kFM][4], b[kFN][2];
#pragma unroll
      for (int i = 0; i < kFM; ++i)
#pragma unroll
        for (int r = 0; r < 4; ++r)
          a[i][r] = toTf32(
              sA[tf32OffsetA<kTM, kTK, kAK>(lane, r, wm0 + i * 16, kk)]);
#pragma unroll
      for (int j = 0; j < kFN; ++j)
#pragma unroll
        for (int r = 0; r < 2; ++r)
          b[j][r] = toTf32(
              sB[tf32OffsetB<kTN, kTK, kBK>(lane, r, wn0 + j * 8, kk)]);
#pragma unroll
      for (int i = 0; i < kFM; ++i)
#pragma unroll
        for (int j = 0; j < kFN; ++j)
          mma1688(acc[i][j], a[i], b[j]);
    }
  }
#endif
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
