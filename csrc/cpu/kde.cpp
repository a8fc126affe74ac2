// Leave-one-out Gaussian kernel log sums, all bandwidths in one pass.
//
//   L[b, i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2))
//           = log sum_{j != i} exp(c_b (r2_ij - s_i)) + c_b s_i,  c_b = -1 / (2 h_b^2)
//
// with s_i the caller's shift (squared nearest-neighbour distance), so that the
// largest term is exp(0) = 1 and nothing underflows.
//
// Layout: x is transposed once into a d x ldn structure-of-arrays copy xt
// (columns padded to a multiple of kChunk with +inf, whose terms are exactly
// 0), so the inner j loops are unit-stride and vectorise. OpenMP hands out
// blocks of kBlockRows query rows; a block walks the columns tile by tile
// (kTileCols columns, d * kTileCols values stay in L2) and, within a tile, row
// group by row group: for each chunk of kChunk columns the shifted squared
// distances r2_ij - s_i are computed by direct (x_i - x_j)^2 sums (no
// |x|^2 - 2 x.y cancellation), kept in an L1 buffer, and every bandwidth's
// exponentials are summed from that buffer. Memory is O(n d + n m).
//
// Precision: distances in T (float or double); the shifted distance is rounded
// to float and the exponentials are float32 (fast_expf, ~1e-7 relative); each
// chunk's <= 64 terms are summed in float and every chunk sum is accumulated
// per row in double. The shift is added back in double with the exact c_b.
//
// Robustness: a row whose largest term exp(c_b * min_j(r2_ij - s_i)) is not
// within 2^(+-kMaxLog2Term) = e^(+-60) (wrong shift, or h so small that float32 loses
// the nearest term), or whose sum is not finite and positive, is recomputed
// exactly in double with its own minimum as the shift. With a correct shift
// this never triggers for h > ~1e-4 * nearest-neighbour distance.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "common.hpp"
#include "cpu/kde_exp.hpp"
#include "cpu/kde_kernel.hpp"

namespace pymi {
namespace {

constexpr index_t kChunk = 64;        // columns per distance buffer / float partial sum
constexpr index_t kTileCols = 1024;   // columns per L2 tile (multiple of kChunk)
constexpr index_t kBlockRows = 32;    // query rows per OpenMP work item
constexpr index_t kGroupRows = 4;     // rows that sweep a tile together
constexpr float kMaxLog2Term = 86.0f;  // fast path iff the largest term is in [2^-86, 2^86]

// Largest float32 exponent factor used in the fast path: keeps c2_b < 0 even
// when 1/(2h^2) underflows in float, so that +inf distances still give 2^-inf = 0.
constexpr float kMinNegC = -1e-30f;

template <class T>
struct Problem {
    const T* x;           // n x d, row-major
    index_t n, d;
    const T* xt;          // d x ldn, padded with +inf
    index_t ldn;
    index_t m;
    const double* c;      // m: -1/(2 h^2), double
    const float* c2;      // m: c * log2(e) in float (clamped to <= kMinNegC)
    const double* shift;  // n
    double* out;          // m x n
};

// acc[j] (+)= sum_{k0 <= k < k0+KB} (xt[k][j] - xi[k])^2 for kChunk columns. KB is a
// compile-time constant so the k loop unrolls and the j loop vectorises.
template <int KB, bool First, class T>
PYMI_KDE_INLINE void chunk_r2_block(const T* __restrict xt, index_t ldn, const T* __restrict xi,
                                    T* __restrict acc) {
#pragma omp simd
    for (index_t j = 0; j < kChunk; ++j) {
        T a = First ? T(0) : acc[j];
        for (int k = 0; k < KB; ++k) {
            const T diff = xt[k * ldn + j] - xi[k];
            a += diff * diff;
        }
        acc[j] = a;
    }
}

// rs[j] = ||x_i - x_{j0+j}||^2 - s for kChunk columns (xt points at column j0).
template <class T>
PYMI_KDE_INLINE void chunk_shifted_r2(const T* __restrict xt, index_t ldn, index_t d,
                                      const T* __restrict xi, T s, float* __restrict rs) {
    alignas(64) T acc[kChunk];
    index_t k = 0;
    // the first block initialises acc; d >= 1
    if (d >= 8) {
        chunk_r2_block<8, true>(xt, ldn, xi, acc);
        k = 8;
    } else if (d >= 4) {
        chunk_r2_block<4, true>(xt, ldn, xi, acc);
        k = 4;
    } else {
        chunk_r2_block<1, true>(xt, ldn, xi, acc);
        k = 1;
    }
    for (; k + 8 <= d; k += 8) chunk_r2_block<8, false>(xt + k * ldn, ldn, xi + k, acc);
    for (; k + 4 <= d; k += 4) chunk_r2_block<4, false>(xt + k * ldn, ldn, xi + k, acc);
    for (; k < d; ++k) chunk_r2_block<1, false>(xt + k * ldn, ldn, xi + k, acc);
#pragma omp simd
    for (index_t j = 0; j < kChunk; ++j) rs[j] = static_cast<float>(acc[j] - s);
}

PYMI_KDE_INLINE float chunk_min(const float* __restrict rs, float mn) {
#pragma omp simd reduction(min : mn)
    for (index_t j = 0; j < kChunk; ++j) mn = std::min(mn, rs[j]);
    return mn;
}

// sum_j 2^(rs[j] * c2) = sum_j exp(rs[j] * c) over kChunk columns.
PYMI_KDE_INLINE float chunk_exp_sum(const float* __restrict rs, float c2) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (index_t j = 0; j < kChunk; ++j) s += kde::fast_exp2f(rs[j] * c2);
    return s;
}

// Exact double-precision row, shifted by its own minimum.
template <class T>
void exact_row(const Problem<T>& P, index_t i, const std::vector<char>& need,
               std::vector<double>& r2) {
    r2.resize(static_cast<std::size_t>(P.n));
    const T* xi = P.x + i * P.d;
    double mn = std::numeric_limits<double>::infinity();
    for (index_t j = 0; j < P.n; ++j) {
        const T* xj = P.x + j * P.d;
        double acc = 0.0;
        for (index_t k = 0; k < P.d; ++k) {
            const double diff = static_cast<double>(xi[k]) - static_cast<double>(xj[k]);
            acc += diff * diff;
        }
        r2[j] = acc;
        if (j != i) mn = std::min(mn, acc);
    }
    for (index_t b = 0; b < P.m; ++b) {
        if (!need[b]) continue;
        const double c = P.c[b];
        double s = 0.0;
        for (index_t j = 0; j < P.n; ++j) {
            if (j != i) s += std::exp((r2[j] - mn) * c);
        }
        P.out[b * P.n + i] = std::log(s) + c * mn;
    }
}

template <class T>
void process_block(const Problem<T>& P, index_t i0, index_t i1) {
    const index_t nb = i1 - i0;
    const index_t m = P.m;
    std::vector<double> acc(static_cast<std::size_t>(nb * m), 0.0);
    std::vector<float> minrs(static_cast<std::size_t>(nb), std::numeric_limits<float>::infinity());
    std::vector<T> shift(static_cast<std::size_t>(nb));
    for (index_t r = 0; r < nb; ++r) shift[r] = static_cast<T>(P.shift[i0 + r]);
    alignas(64) float rs[kGroupRows][kChunk];

    for (index_t jt = 0; jt < P.ldn; jt += kTileCols) {
        const index_t jt1 = std::min(jt + kTileCols, P.ldn);
        for (index_t g = i0; g < i1; g += kGroupRows) {
            const index_t rows = std::min(kGroupRows, i1 - g);
            for (index_t j0 = jt; j0 < jt1; j0 += kChunk) {
                for (index_t r = 0; r < rows; ++r) {
                    const index_t i = g + r;
                    const index_t ri = i - i0;
                    chunk_shifted_r2(P.xt + j0, P.ldn, P.d, P.x + i * P.d, shift[ri], rs[r]);
                    if (i >= j0 && i < j0 + kChunk) {
                        rs[r][i - j0] = std::numeric_limits<float>::infinity();  // j == i
                    }
                    minrs[ri] = chunk_min(rs[r], minrs[ri]);
                    double* a = acc.data() + ri * m;
                    for (index_t b = 0; b < m; ++b) a[b] += chunk_exp_sum(rs[r], P.c2[b]);
                }
            }
        }
    }

    std::vector<char> need(static_cast<std::size_t>(m));
    std::vector<double> scratch;
    for (index_t ri = 0; ri < nb; ++ri) {
        const index_t i = i0 + ri;
        bool any = false;
        for (index_t b = 0; b < m; ++b) {
            const double s = acc[ri * m + b];
            const float g = minrs[ri] * P.c2[b];  // log2 of the largest term, as computed
            const bool ok = std::isfinite(s) && s > 0.0 && g >= -kMaxLog2Term && g <= kMaxLog2Term;
            need[b] = !ok;
            any = any || !ok;
            if (ok) P.out[b * P.n + i] = std::log(s) + P.c[b] * static_cast<double>(shift[ri]);
        }
        if (any) exact_row(P, i, need, scratch);
    }
}

template <class T>
void run(const T* x, index_t n, index_t d, const double* h, index_t m, const double* shift_sq,
         double* out, int n_jobs) {
    const int nt = resolve_threads(n_jobs);
    const index_t ldn = (n + kChunk - 1) / kChunk * kChunk;
    std::vector<T> xt(static_cast<std::size_t>(d * ldn), std::numeric_limits<T>::infinity());
    std::vector<double> c(static_cast<std::size_t>(m));
    std::vector<float> c2(static_cast<std::size_t>(m));
    for (index_t b = 0; b < m; ++b) {
        c[b] = -0.5 / (h[b] * h[b]);
        c2[b] = std::min(static_cast<float>(c[b] * 1.4426950408889634), kMinNegC);
    }
    const Problem<T> P{x, n, d, xt.data(), ldn, m, c.data(), c2.data(), shift_sq, out};
    const index_t nblocks = (n + kBlockRows - 1) / kBlockRows;

    ExceptionCollector errors;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (index_t j = 0; j < n; ++j) {
            for (index_t k = 0; k < d; ++k) xt[k * ldn + j] = x[j * d + k];
        }
#pragma omp for schedule(dynamic, 1)
        for (index_t blk = 0; blk < nblocks; ++blk) {
            errors.run([&] {
                const index_t i0 = blk * kBlockRows;
                process_block(P, i0, std::min(i0 + kBlockRows, n));
            });
        }
    }
    errors.rethrow();
}

}  // namespace

template <class T>
void kde_log_kernel_sums(const T* x, index_t n, index_t d, const double* h, index_t m,
                         const double* shift_sq, double* out, int n_jobs) {
    run(x, n, d, h, m, shift_sq, out, n_jobs);
}

template void kde_log_kernel_sums<float>(const float*, index_t, index_t, const double*, index_t,
                                         const double*, double*, int);
template void kde_log_kernel_sums<double>(const double*, index_t, index_t, const double*, index_t,
                                          const double*, double*, int);

}  // namespace pymi
