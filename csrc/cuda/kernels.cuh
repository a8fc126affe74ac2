// The CUDA kernels of pymi and their launch planning.
//
// Compiled by nvcc through csrc/cuda/pymi_cuda.cu. The host self-test
// (csrc/cuda/selftest_host.cpp) compiles this same file with g++ and
// PYMI_CUDA_EMULATION, running every thread of a block as a std::thread, so
// that the indexing, tiling, tie-breaking and split logic below is exercised
// without a GPU. Keep warp-level intrinsics out of this file for that reason.
//
// Common scheme: one query row per thread, kThreads rows per block
// (blockIdx.x), the reference points streamed in tiles of kTile rows through
// shared memory, DC feature columns at a time (DC = 4, 8 or 16 chosen from d).
// Each thread keeps kTile partial distances in registers; the query chunk is
// held in registers too, the reference chunk is read from shared memory by all
// threads at the same address (broadcast, conflict-free).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#ifndef PYMI_CUDA_EMULATION
#include "cuda/runtime.cuh"
#endif

namespace pymi::cuda::detail {

using index_t = std::int64_t;

constexpr int kThreads = 128;        // query rows per block (one per thread)
constexpr int kTile = 32;            // reference rows per shared-memory tile
constexpr int kMaxBands = 8;         // KDE bandwidths per pass (more: several passes)
constexpr int kTargetBlocksPerSM = 8;
constexpr int kMinTilesPerSplit = 8;  // never split the reference range finer than this
constexpr std::size_t kKnnSharedListCap = 96 * 1024;  // bytes of per-block top-k lists

#define PYMI_HD __host__ __device__ __forceinline__

// ---- scalar helpers: device intrinsics, std:: on the host ---------------------------------

template <class T>
struct Num;

template <>
struct Num<float> {
    static PYMI_HD float min_normal() { return 1.17549435e-38f; }
    static PYMI_HD float inf() {
#ifdef __CUDA_ARCH__
        return __int_as_float(0x7f800000);
#else
        return std::numeric_limits<float>::infinity();
#endif
    }
    static PYMI_HD float fma(float a, float b, float c) {
#ifdef __CUDA_ARCH__
        return __fmaf_rn(a, b, c);
#else
        return std::fma(a, b, c);
#endif
    }
    static PYMI_HD float abs(float a) {
#ifdef __CUDA_ARCH__
        return fabsf(a);
#else
        return std::fabs(a);
#endif
    }
    static PYMI_HD float max(float a, float b) {
#ifdef __CUDA_ARCH__
        return fmaxf(a, b);
#else
        return std::fmax(a, b);
#endif
    }
    // Correctly rounded whatever the build flags (under --use_fast_math sqrtf is not).
    static PYMI_HD float sqrt_rn(float a) {
#ifdef __CUDA_ARCH__
        return __fsqrt_rn(a);
#else
        return std::sqrt(a);
#endif
    }
};

template <>
struct Num<double> {
    static PYMI_HD double min_normal() { return 2.2250738585072014e-308; }
    static PYMI_HD double inf() {
#ifdef __CUDA_ARCH__
        return __longlong_as_double(0x7ff0000000000000LL);
#else
        return std::numeric_limits<double>::infinity();
#endif
    }
    static PYMI_HD double fma(double a, double b, double c) {
#ifdef __CUDA_ARCH__
        return __fma_rn(a, b, c);
#else
        return std::fma(a, b, c);
#endif
    }
    static PYMI_HD double abs(double a) {
#ifdef __CUDA_ARCH__
        return fabs(a);
#else
        return std::fabs(a);
#endif
    }
    static PYMI_HD double max(double a, double b) {
#ifdef __CUDA_ARCH__
        return fmax(a, b);
#else
        return std::fmax(a, b);
#endif
    }
    static PYMI_HD double sqrt_rn(double a) {
#ifdef __CUDA_ARCH__
        return __dsqrt_rn(a);
#else
        return std::sqrt(a);
#endif
    }
};

// 2^x in float32: one MUFU.EX2 on the device (what __expf uses after scaling
// by log2(e); we fold that factor into the per-band constants).
PYMI_HD float fast_exp2(float x) {
#ifdef __CUDA_ARCH__
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
#else
    return std::exp2(x);
#endif
}

__device__ __forceinline__ void atomic_add(unsigned long long* p, unsigned long long v) {
#ifdef PYMI_CUDA_EMULATION
    __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
#else
    atomicAdd(p, v);
#endif
}

// ---- metrics (template policies) ----------------------------------------------------------

// Kernels accumulate the squared distance and compare it with a threshold
// equivalent to the strict radius test on the true (sqrt) distance.
struct SqEuclidean {
    template <class T>
    static PYMI_HD T accum(T acc, T diff) {
        return Num<T>::fma(diff, diff, acc);
    }
    template <class T>
    static PYMI_HD T finish(T acc) {
        return Num<T>::sqrt_rn(acc);
    }
    template <class T>
    static PYMI_HD bool within(T acc, T threshold) {
        return acc <= threshold;
    }
    // Largest t with sqrt_rn(t) < r, so that (acc <= t) == (sqrt_rn(acc) < r)
    // exactly (sqrt_rn is monotone). -1 (nothing qualifies) for r <= 0 or NaN.
    template <class T>
    static T threshold(T r) {
        if (!(r > T(0))) return T(-1);
        const T inf = std::numeric_limits<T>::infinity();
        T t = r * r;
        while (t > T(0) && !(std::sqrt(t) < r)) t = std::nextafter(t, T(0));
        for (;;) {
            const T up = std::nextafter(t, inf);
            if (up == inf || !(std::sqrt(up) < r)) break;
            t = up;
        }
        return t;
    }
};

// SqEuclidean that reports squared distances (finish = identity): the kNN
// output is then bit-identical to the squared distances the other kernels
// accumulate (the KDE's log-sum-exp shift, see pymi._kde).
struct SqEuclideanSquared : SqEuclidean {
    template <class T>
    static PYMI_HD T finish(T acc) {
        return acc;
    }
};

struct Chebyshev {
    template <class T>
    static PYMI_HD T accum(T acc, T diff) {
        return Num<T>::max(acc, Num<T>::abs(diff));
    }
    template <class T>
    static PYMI_HD T finish(T acc) {
        return acc;
    }
    template <class T>
    static PYMI_HD bool within(T acc, T threshold) {
        return acc < threshold;
    }
    template <class T>
    static T threshold(T r) {
        return r;
    }
};

// ---- the shared tile loop -----------------------------------------------------------------

// acc[jj] = metric accumulation between row i and row t0 + jj of x[n, d],
// jj < kTile (squared distance for SqEuclidean). Columns >= n and the query
// itself (t0 + jj == i) are set to +inf: never a neighbour, never counted,
// exp(-inf) = 0. Must be called by all threads of the block (it synchronises);
// threads with i >= n take part in the loads and get meaningless values.
template <class M, int DC, class T>
__device__ __forceinline__ void tile_distances(T (&acc)[kTile], const T* __restrict__ x, index_t n,
                                               int d, index_t i, index_t t0, T* tile) {
#pragma unroll
    for (int jj = 0; jj < kTile; ++jj) acc[jj] = T(0);
    const bool active = i < n;
    for (int c0 = 0; c0 < d; c0 += DC) {
        __syncthreads();  // the previous chunk is no longer read
        for (int e = static_cast<int>(threadIdx.x); e < kTile * DC; e += kThreads) {
            const int jj = e / DC;
            const int kk = e % DC;
            const index_t row = t0 + jj;
            const int col = c0 + kk;
            tile[e] = (row < n && col < d) ? x[row * d + col] : T(0);
        }
        T q[DC];
#pragma unroll
        for (int kk = 0; kk < DC; ++kk)
            q[kk] = (active && c0 + kk < d) ? x[i * d + c0 + kk] : T(0);
        __syncthreads();  // the chunk is loaded
        // Zero padding (col >= d) adds exactly nothing for either metric.
#pragma unroll
        for (int jj = 0; jj < kTile; ++jj) {
#pragma unroll
            for (int kk = 0; kk < DC; ++kk) acc[jj] = M::accum(acc[jj], q[kk] - tile[jj * DC + kk]);
        }
    }
    if (t0 + kTile > n || (i >= t0 && i < t0 + kTile)) {
#pragma unroll
        for (int jj = 0; jj < kTile; ++jj)
            if (t0 + jj >= n || t0 + jj == i) acc[jj] = Num<T>::inf();
    }
}

// ---- kNN -------------------------------------------------------------------------------------

// Insert (dd, j) into the sorted list ld/li (k entries, element p at p*stride).
// Called only when dd < ld[k-1]: the last entry drops out. Equal distances
// stay in front (they have smaller indices: candidates arrive in increasing j).
// Returns the new k-th distance.
template <class T>
__device__ PYMI_NOINLINE T topk_insert(T* ld, int* li, index_t stride, int k, T dd, int j) {
    int p = k - 1;
    while (p > 0 && ld[(p - 1) * stride] > dd) {
        ld[p * stride] = ld[(p - 1) * stride];
        li[p * stride] = li[(p - 1) * stride];
        --p;
    }
    ld[p * stride] = dd;
    li[p * stride] = j;
    return ld[(k - 1) * stride];
}

// One query per thread, scanning every reference row in increasing index order;
// the running top-k list lives in dynamic shared memory ([k][kThreads] layout)
// when list_dist == nullptr, else in the global scratch list_dist/list_idx
// ([k][n] layout). The list starts as k sentinels (+inf, -1): candidates at
// infinite (overflowed) or NaN distance are never inserted.
template <class T, class M, int DC>
__global__ void __launch_bounds__(kThreads)
    knn_kernel(const T* __restrict__ x, index_t n, int d, int k, T* list_dist, int* list_idx,
               T* __restrict__ out_dist, index_t* __restrict__ out_idx) {
    __shared__ __align__(16) T tile[kTile * DC];
    PYMI_DYNAMIC_SHARED(smem);
    const index_t i = static_cast<index_t>(blockIdx.x) * kThreads + threadIdx.x;
    const bool active = i < n;

    T* ld;
    int* li;
    index_t stride;
    if (list_dist == nullptr) {
        ld = reinterpret_cast<T*>(smem) + threadIdx.x;
        li = reinterpret_cast<int*>(smem + sizeof(T) * kThreads * static_cast<std::size_t>(k)) +
             threadIdx.x;
        stride = kThreads;
    } else {
        ld = list_dist + (active ? i : 0);
        li = list_idx + (active ? i : 0);
        stride = n;
    }
    T worst = -Num<T>::inf();  // inactive threads never insert
    if (active) {
        for (int p = 0; p < k; ++p) {
            ld[p * stride] = Num<T>::inf();
            li[p * stride] = -1;
        }
        worst = Num<T>::inf();
    }

    T acc[kTile];
    for (index_t t0 = 0; t0 < n; t0 += kTile) {
        tile_distances<M, DC>(acc, x, n, d, i, t0, tile);
#pragma unroll
        for (int jj = 0; jj < kTile; ++jj)
            if (acc[jj] < worst)
                worst = topk_insert(ld, li, stride, k, acc[jj], static_cast<int>(t0 + jj));
    }

    if (active) {
        for (int p = 0; p < k; ++p) {
            out_dist[i * k + p] = M::finish(ld[p * stride]);
            out_idx[i * k + p] = li[p * stride];
        }
    }
}

// ---- strict radius counts --------------------------------------------------------------------

struct Range {
    index_t begin, end;
};

// Reference rows of split blockIdx.y: tiles [y * tiles_per_split, (y+1) * tiles_per_split),
// clipped to n (tile-aligned, so every tile starting before `end` lies inside the split).
__device__ __forceinline__ Range split_range(index_t n, index_t tiles_per_split) {
    const index_t b = static_cast<index_t>(blockIdx.y) * tiles_per_split * kTile;
    const index_t e = b + tiles_per_split * kTile;
    return Range{b, e < n ? e : n};
}

// counts[i] += #{j in this split's range, j != i : within(acc_ij, thr[i])}.
template <class T, class M, int DC>
__global__ void __launch_bounds__(kThreads)
    count_kernel(const T* __restrict__ x, index_t n, int d, const T* __restrict__ thr,
                 index_t tiles_per_split, unsigned long long* __restrict__ counts) {
    __shared__ __align__(16) T tile[kTile * DC];
    const index_t i = static_cast<index_t>(blockIdx.x) * kThreads + threadIdx.x;
    const bool active = i < n;
    const T t = active ? thr[i] : T(0);
    const Range range = split_range(n, tiles_per_split);

    unsigned int c = 0;
    T acc[kTile];
    for (index_t t0 = range.begin; t0 < range.end; t0 += kTile) {
        tile_distances<M, DC>(acc, x, n, d, i, t0, tile);
#pragma unroll
        for (int jj = 0; jj < kTile; ++jj) c += M::within(acc[jj], t) ? 1u : 0u;
    }
    if (active && c != 0) atomic_add(counts + i, c);
}

// Both marginals of the same pairs in one pass (KSG): x[n, dx] and y[n, dy].
template <class T, class M, int DC>
__global__ void __launch_bounds__(kThreads)
    count_pair_kernel(const T* __restrict__ x, int dx, const T* __restrict__ y, int dy, index_t n,
                      const T* __restrict__ thr, index_t tiles_per_split,
                      unsigned long long* __restrict__ counts_x,
                      unsigned long long* __restrict__ counts_y) {
    __shared__ __align__(16) T tile[kTile * DC];
    const index_t i = static_cast<index_t>(blockIdx.x) * kThreads + threadIdx.x;
    const bool active = i < n;
    const T t = active ? thr[i] : T(0);
    const Range range = split_range(n, tiles_per_split);

    unsigned int cx = 0, cy = 0;
    T acc[kTile];
    for (index_t t0 = range.begin; t0 < range.end; t0 += kTile) {
        tile_distances<M, DC>(acc, x, n, dx, i, t0, tile);
#pragma unroll
        for (int jj = 0; jj < kTile; ++jj) cx += M::within(acc[jj], t) ? 1u : 0u;
        tile_distances<M, DC>(acc, y, n, dy, i, t0, tile);
#pragma unroll
        for (int jj = 0; jj < kTile; ++jj) cy += M::within(acc[jj], t) ? 1u : 0u;
    }
    if (active && cx != 0) atomic_add(counts_x + i, cx);
    if (active && cy != 0) atomic_add(counts_y + i, cy);
}

// ---- KDE log kernel sums ---------------------------------------------------------------------

struct KdeBands {
    int count = 0;                     // bands in this pass (<= kMaxBands)
    double gain[kMaxBands] = {};       // log2(e) / (2 h^2)
    double half_inv_h2[kMaxBands] = {};  // 1 / (2 h^2)
};

// partial[(y * count + b) * n + i] = sum_{j in split y, j != i} exp((s_i - |x_i - x_j|^2) / (2 h_b^2)).
// Per pair and band: a subtraction and a product for the exponent (in T), one
// float32 MUFU.EX2 and one float32 add; per tile and band the float partial is flushed into a
// float64 row sum.
template <class T, int DC>
__global__ void __launch_bounds__(kThreads)
    kde_kernel(const T* __restrict__ x, index_t n, int d, const double* __restrict__ shift_sq,
               KdeBands bands, index_t tiles_per_split, double* __restrict__ partial) {
    __shared__ __align__(16) T tile[kTile * DC];
    const index_t i = static_cast<index_t>(blockIdx.x) * kThreads + threadIdx.x;
    const bool active = i < n;
    const double s = active ? shift_sq[i] : 0.0;
    const Range range = split_range(n, tiles_per_split);

    // exponent (base 2) of pair (i, j) for band b: (s_i - acc_ij) * g[b]. The
    // difference is formed first (exact when the two are close, Sterbenz), so
    // the largest term is exactly 2^0 when s_i is the nearest distance as the
    // tiles compute it, however large g is; a product-then-sum form would carry
    // an error of ~1e-7 * s_i * g, i.e. garbage at tiny bandwidths. g >= the
    // smallest normal float keeps +inf distances (padding, j == i) at
    // -inf * g = -inf, i.e. 0, when 1 / (2 h^2) underflows.
    const T sT = static_cast<T>(s);
    T g[kMaxBands];
    double sum[kMaxBands];
#pragma unroll
    for (int b = 0; b < kMaxBands; ++b) {
        g[b] = static_cast<T>(bands.gain[b]);
        if (!(g[b] >= Num<T>::min_normal())) g[b] = Num<T>::min_normal();
        sum[b] = 0.0;
    }

    T acc[kTile];
    for (index_t t0 = range.begin; t0 < range.end; t0 += kTile) {
        tile_distances<SqEuclidean, DC>(acc, x, n, d, i, t0, tile);
#pragma unroll
        for (int b = 0; b < kMaxBands; ++b) {
            if (b < bands.count) {
                float p0 = 0.0f, p1 = 0.0f;  // two chains for ILP
#pragma unroll
                for (int jj = 0; jj < kTile; jj += 2) {
                    p0 += fast_exp2(static_cast<float>((sT - acc[jj]) * g[b]));
                    p1 += fast_exp2(static_cast<float>((sT - acc[jj + 1]) * g[b]));
                }
                sum[b] += static_cast<double>(p0) + static_cast<double>(p1);
            }
        }
    }
    if (active) {
#pragma unroll
        for (int b = 0; b < kMaxBands; ++b)
            if (b < bands.count)
                partial[(static_cast<index_t>(blockIdx.y) * bands.count + b) * n + i] = sum[b];
    }
}

// out[b * n + i] = log(sum over splits of partial) - s_i / (2 h_b^2), b < bands.count.
__global__ void __launch_bounds__(256)
    kde_finalize_kernel(const double* __restrict__ partial, int splits, index_t n,
                        const double* __restrict__ shift_sq, KdeBands bands,
                        double* __restrict__ out) {
    const index_t total = static_cast<index_t>(bands.count) * n;
    const index_t step = static_cast<index_t>(gridDim.x) * blockDim.x;
    for (index_t e = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
         e += step) {
        const index_t b = e / n;
        const index_t i = e - b * n;
        double v = 0.0;
        for (int y = 0; y < splits; ++y) v += partial[(static_cast<index_t>(y) * bands.count + b) * n + i];
        out[e] = ::log(v) - shift_sq[i] * bands.half_inv_h2[b];
    }
}

// ---- launch planning (device pointers in, device pointers out) -------------------------------

struct DeviceInfo {
    int sm_count = 1;
    std::size_t smem_optin = 48 * 1024;  // max shared memory per block (opt-in)
};

// Feature columns per shared-memory chunk: the padded work ceil(d/c)*c plus a
// per-chunk overhead (two barriers, the loads) of about 4 columns, minimised.
inline int choose_chunk(int d) {
    int best = 16;
    long best_cost = -1;
    for (int c : {16, 8, 4}) {
        const long chunks = (static_cast<long>(d) + c - 1) / c;
        const long cost = chunks * (c + 4);
        if (best_cost < 0 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

template <class F>
void with_chunk(int dc, F&& f) {
    switch (dc) {
        case 4: f(std::integral_constant<int, 4>{}); break;
        case 8: f(std::integral_constant<int, 8>{}); break;
        default: f(std::integral_constant<int, 16>{}); break;
    }
}

template <class F>
void with_metric(bool euclidean, F&& f) {
    if (euclidean)
        f(SqEuclidean{});
    else
        f(Chebyshev{});
}

inline index_t row_blocks(index_t n) { return (n + kThreads - 1) / kThreads; }

// Split the reference range over blockIdx.y when the row blocks alone would
// not fill the device (small n); every split gets >= kMinTilesPerSplit tiles.
inline index_t plan_splits(index_t n, const DeviceInfo& info, index_t* tiles_per_split) {
    const index_t tiles = (n + kTile - 1) / kTile;
    const index_t rows = row_blocks(n);
    const index_t target = static_cast<index_t>(kTargetBlocksPerSM) * std::max(info.sm_count, 1);
    index_t s = (target + rows - 1) / std::max<index_t>(rows, 1);
    s = std::min(s, std::max<index_t>(tiles / kMinTilesPerSplit, 1));
    s = std::min<index_t>(std::max<index_t>(s, 1), 65535);
    const index_t per = std::max<index_t>((tiles + s - 1) / s, 1);
    *tiles_per_split = per;
    return std::max<index_t>((tiles + per - 1) / per, 1);  // no empty split
}

inline dim3 grid_of(index_t x_blocks, index_t y_blocks = 1) {
    return dim3(static_cast<unsigned>(x_blocks), static_cast<unsigned>(y_blocks), 1u);
}

// squared (Euclidean only): report squared distances (SqEuclideanSquared).
template <class T>
void run_knn(const DeviceInfo& info, Stream stream, const T* x, index_t n, int d, int k,
             bool euclidean, T* out_dist, index_t* out_idx, bool squared = false) {
    if (n == 0) return;
    const std::size_t list_bytes =
        static_cast<std::size_t>(kThreads) * static_cast<std::size_t>(k) * (sizeof(T) + sizeof(int));
    auto with_knn_metric = [&](auto&& body) {
        if (euclidean && squared)
            body(SqEuclideanSquared{});
        else
            with_metric(euclidean, body);
    };
    with_knn_metric([&](auto metric) {
        using M = decltype(metric);
        with_chunk(choose_chunk(d), [&](auto chunk) {
            constexpr int DC = decltype(chunk)::value;
            auto kern = &knn_kernel<T, M, DC>;
            const std::size_t static_bytes = sizeof(T) * kTile * DC;
            const std::size_t cap = std::min(kKnnSharedListCap, info.smem_optin);
            if (list_bytes + static_bytes <= cap) {
                // Always the same value per kernel, so concurrent calls cannot race.
                if (list_bytes + static_bytes > 48 * 1024) set_dynamic_smem(kern, cap - static_bytes);
                PYMI_LAUNCH(kern, grid_of(row_blocks(n)), dim3(kThreads), list_bytes, stream, x, n,
                            d, k, static_cast<T*>(nullptr), static_cast<int*>(nullptr), out_dist,
                            out_idx);
            } else {
                DeviceBuffer<T> list_dist(static_cast<std::size_t>(n) * k);
                DeviceBuffer<int> list_idx(static_cast<std::size_t>(n) * k);
                PYMI_LAUNCH(kern, grid_of(row_blocks(n)), dim3(kThreads), std::size_t(0), stream, x,
                            n, d, k, list_dist.get(), list_idx.get(), out_dist, out_idx);
                stream_sync_before_free(stream);
            }
        });
    });
}

// thr: per-row thresholds (M::threshold of the radii), counts zeroed here.
template <class T>
void run_count(const DeviceInfo& info, Stream stream, const T* x, index_t n, int d, const T* thr,
               bool euclidean, unsigned long long* counts) {
    if (n == 0) return;
    zero_async(counts, static_cast<std::size_t>(n), stream);
    index_t per = 1;
    const index_t splits = plan_splits(n, info, &per);
    with_metric(euclidean, [&](auto metric) {
        using M = decltype(metric);
        with_chunk(choose_chunk(d), [&](auto chunk) {
            constexpr int DC = decltype(chunk)::value;
            auto kern = &count_kernel<T, M, DC>;
            PYMI_LAUNCH(kern, grid_of(row_blocks(n), splits), dim3(kThreads), std::size_t(0), stream,
                        x, n, d, thr, per, counts);
        });
    });
}

template <class T>
void run_count_pair(const DeviceInfo& info, Stream stream, const T* x, int dx, const T* y, int dy,
                    index_t n, const T* thr, bool euclidean, unsigned long long* counts_x,
                    unsigned long long* counts_y) {
    if (n == 0) return;
    zero_async(counts_x, static_cast<std::size_t>(n), stream);
    zero_async(counts_y, static_cast<std::size_t>(n), stream);
    index_t per = 1;
    const index_t splits = plan_splits(n, info, &per);
    // one chunk width for both: minimise the padded work of the two passes
    int dc = 16;
    long best = -1;
    for (int c : {16, 8, 4}) {
        const long cost = ((static_cast<long>(dx) + c - 1) / c + (static_cast<long>(dy) + c - 1) / c) * (c + 4);
        if (best < 0 || cost < best) {
            best = cost;
            dc = c;
        }
    }
    with_metric(euclidean, [&](auto metric) {
        using M = decltype(metric);
        with_chunk(dc, [&](auto chunk) {
            constexpr int DC = decltype(chunk)::value;
            auto kern = &count_pair_kernel<T, M, DC>;
            PYMI_LAUNCH(kern, grid_of(row_blocks(n), splits), dim3(kThreads), std::size_t(0), stream,
                        x, dx, y, dy, n, thr, per, counts_x, counts_y);
        });
    });
}

// out[m, n] (device), bandwidths on the host.
template <class T>
void run_kde(const DeviceInfo& info, Stream stream, const T* x, index_t n, int d,
             const double* bandwidths, int m, const double* shift_sq, double* out) {
    if (n == 0 || m == 0) return;
    index_t per = 1;
    const index_t splits = plan_splits(n, info, &per);
    DeviceBuffer<double> partial(static_cast<std::size_t>(splits) * kMaxBands * static_cast<std::size_t>(n));
    const double log2e = 1.4426950408889634074;
    with_chunk(choose_chunk(d), [&](auto chunk) {
        constexpr int DC = decltype(chunk)::value;
        auto kern = &kde_kernel<T, DC>;
        auto fin = &kde_finalize_kernel;
        for (int b0 = 0; b0 < m; b0 += kMaxBands) {
            KdeBands bands;
            bands.count = std::min(kMaxBands, m - b0);
            for (int b = 0; b < bands.count; ++b) {
                const double h = bandwidths[b0 + b];
                bands.half_inv_h2[b] = 1.0 / (2.0 * h * h);
                bands.gain[b] = log2e * bands.half_inv_h2[b];
            }
            PYMI_LAUNCH(kern, grid_of(row_blocks(n), splits), dim3(kThreads), std::size_t(0), stream,
                        x, n, d, shift_sq, bands, per, partial.get());
            const index_t total = static_cast<index_t>(bands.count) * n;
            const index_t fin_blocks = std::min<index_t>((total + 255) / 256, 65535);
            PYMI_LAUNCH(fin, grid_of(fin_blocks), dim3(256), std::size_t(0), stream, partial.get(),
                        static_cast<int>(splits), n, shift_sq, bands, out + static_cast<index_t>(b0) * n);
        }
    });
    stream_sync_before_free(stream);
}

}  // namespace pymi::cuda::detail
