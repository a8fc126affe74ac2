// Leave-one-out Gaussian kernel log sums, all bandwidths in one pass.
//
//   L[b, i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2))
//           = log sum_{j != i} exp(c_b (r2_ij - s_i)) + c_b s_i,  c_b = -1 / (2 h_b^2)
//
// with s_i a per-row shift: the caller's (ideally the squared nearest-neighbour
// distance, so that the largest term is exp(0) = 1 and nothing underflows),
// corrected online when it is too large (see Robustness below).
//
// Layout: x is transposed once into a structure-of-arrays copy xt, packed in
// panels of kChunk columns (d x kChunk each, columns padded to a multiple of
// kChunk with +inf, whose terms are exactly 0), so the inner j loops are
// unit-stride with compile-time strides and vectorise. OpenMP hands out
// blocks of kBlockRows query rows; a block walks the columns tile by tile
// (kTileCols columns, d * kTileCols values stay in L2) and, within a tile, row
// group by row group: for each chunk of kChunk columns the shifted squared
// distances r2_ij - s_i are computed by direct (x_i - x_j)^2 sums (no
// |x|^2 - 2 x.y cancellation), kept in an L1 buffer, and every bandwidth's
// exponentials are summed from that buffer. Memory is O(n d + n m).
//
// Precision: distances in T (float or double); the shifted distance is rounded
// to float and the exponentials are float32 (fast_exp2f, ~1e-7 relative);
// within a chunk each of kLanes float lanes sums 8 terms, and the lanes are
// accumulated per row in double. The shift is added back in double with the
// exact c_b.
//
// Robustness (any shift >= 0 gives the right answer; the nearest-neighbour one
// is just the fastest):
// - too large a shift (e.g. an upper bound such as the distance to any other
//   point): when a chunk holds a term above 2^kRescaleLog2, the row's shift
//   moves down to that chunk's minimum and the partial sums are rescaled
//   (online log-sum-exp; O(log n) times per row for a random upper bound);
// - too small a shift (e.g. 0), or h so small that float32 loses the nearest
//   term: a row whose largest term is below 2^-kMaxLog2Term = e^-60, or whose
//   sum is not finite and positive, is recomputed exactly in double with its
//   own minimum as the shift. With the nearest-neighbour shift this never
//   triggers for h > ~1e-4 * nearest-neighbour distance.
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

constexpr index_t kChunk = 128;       // columns per distance buffer / float partial sum
constexpr index_t kTileCols = 1024;   // columns per L2 tile (multiple of kChunk)
constexpr index_t kBlockRows = 32;    // query rows per OpenMP work item
constexpr index_t kGroupRows = 4;     // rows that sweep a panel together (it stays in L1)
constexpr float kMaxLog2Term = 86.0f;  // fast path iff the largest term is in [2^-86, 2^86]
constexpr float kRescaleLog2 = 16.0f;  // move the shift down once a term exceeds 2^16
// rowmin marker of a row left to exact_row (its g = -inf * c2 = +inf fails the check)
constexpr float kPoisoned = -std::numeric_limits<float>::infinity();

// Largest float32 exponent factor used in the fast path: keeps c2_b < 0 even
// when 1/(2h^2) underflows in float, so that +inf distances still give 2^-inf = 0.
constexpr float kMinNegC = -1e-30f;

template <class T>
struct Problem {
    const T* x;           // n x d, row-major
    index_t n, d;
    const T* xt;          // npanels x d x kChunk panels, padded with +inf
    index_t ncols;        // npanels * kChunk
    index_t m;
    const double* c;      // m: -1/(2 h^2), double
    const float* c2;      // m: c * log2(e) in float (clamped to <= kMinNegC)
    float c2min;          // the most negative c2 (smallest bandwidth)
    const double* shift;  // n
    double* out;          // m x n
};

// Distances. xt is packed in panels of kChunk columns: panel p holds
// x[p*kChunk + jj][k] at xt[(p * d + k) * kChunk + jj], so within a panel every
// stride is a compile-time constant and one pointer addresses all d rows.

// acc[j] (+)= sum_{k < KB} (panel[k][j] - xi[k])^2 for the kChunk columns of a panel.
template <int KB, bool First, class T>
PYMI_KDE_INLINE void chunk_r2_block(const T* __restrict panel, const T* __restrict xi,
                                    T* __restrict acc) {
#pragma omp simd
    for (index_t j = 0; j < kChunk; ++j) {
        T a0 = First ? T(0) : acc[j];
        T a1 = 0;
        for (int k = 0; k + 1 < KB; k += 2) {  // two chains halve the FMA latency
            const T e0 = panel[k * kChunk + j] - xi[k];
            const T e1 = panel[(k + 1) * kChunk + j] - xi[k + 1];
            a0 += e0 * e0;
            a1 += e1 * e1;
        }
        if (KB % 2) {
            const T e = panel[(KB - 1) * kChunk + j] - xi[KB - 1];
            a0 += e * e;
        }
        acc[j] = a0 + a1;
    }
}

// d <= 16, known at compile time: the whole distance in registers, in four
// independent accumulation chains (k mod 4) to keep the FMA latency hidden.
template <int D, class T>
PYMI_KDE_INLINE void chunk_shifted_r2_fixed(const T* __restrict panel, const T* __restrict xi,
                                            T s, float* __restrict rs) {
#pragma omp simd
    for (index_t j = 0; j < kChunk; ++j) {
        T a[4] = {0, 0, 0, 0};
        for (int k = 0; k < D; ++k) {
            const T e = panel[k * kChunk + j] - xi[k];
            a[k % 4] += e * e;
        }
        rs[j] = static_cast<float>(((a[0] + a[1]) + (a[2] + a[3])) - s);
    }
}

// rs[j] = ||x_i - x_{j0+j}||^2 - s for the kChunk columns of one panel.
template <class T>
PYMI_KDE_INLINE void chunk_shifted_r2(const T* __restrict panel, index_t d,
                                      const T* __restrict xi, T s, float* __restrict rs) {
    switch (d) {
#define PYMI_KDE_CASE(D) \
    case D:              \
        return chunk_shifted_r2_fixed<D>(panel, xi, s, rs);
        PYMI_KDE_CASE(1) PYMI_KDE_CASE(2) PYMI_KDE_CASE(3) PYMI_KDE_CASE(4)
        PYMI_KDE_CASE(5) PYMI_KDE_CASE(6) PYMI_KDE_CASE(7) PYMI_KDE_CASE(8)
        PYMI_KDE_CASE(9) PYMI_KDE_CASE(10) PYMI_KDE_CASE(11) PYMI_KDE_CASE(12)
        PYMI_KDE_CASE(13) PYMI_KDE_CASE(14) PYMI_KDE_CASE(15) PYMI_KDE_CASE(16)
#undef PYMI_KDE_CASE
        default:
            break;
    }
    // d > 16: blocks of 16 / 4 / 1 dimensions through an L1 accumulator
    alignas(64) T acc[kChunk];
    chunk_r2_block<16, true>(panel, xi, acc);
    index_t k = 16;
    for (; k + 16 <= d; k += 16) chunk_r2_block<16, false>(panel + k * kChunk, xi + k, acc);
    for (; k + 4 <= d; k += 4) chunk_r2_block<4, false>(panel + k * kChunk, xi + k, acc);
    for (; k < d; ++k) chunk_r2_block<1, false>(panel + k * kChunk, xi + k, acc);
#pragma omp simd
    for (index_t j = 0; j < kChunk; ++j) rs[j] = static_cast<float>(acc[j] - s);
}

// Lanes of the explicit partial sums: one AVX-512 register or two AVX2
// registers of float. Keeping lanes apart until the end of a row avoids a
// horizontal reduction per chunk and bandwidth.
constexpr index_t kLanes = 16;
static_assert(kChunk % kLanes == 0, "a chunk is a whole number of lane groups");

// min_j rs[j] over a chunk (the ternary form vectorises; std::min does not).
PYMI_KDE_INLINE float chunk_min(const float* __restrict rs) {
    float mn = std::numeric_limits<float>::infinity();
#pragma omp simd reduction(min : mn)
    for (index_t j = 0; j < kChunk; ++j) mn = rs[j] < mn ? rs[j] : mn;
    return mn;
}

// acc[b][l] += sum_{j = l mod kLanes} 2^(rs[j] * c2[b])  (= exp(rs[j] * c_b)), for every
// bandwidth b. Each lane sums kChunk / kLanes = 8 terms in float, then goes to double.
PYMI_KDE_INLINE void chunk_exp_sums(const float* __restrict rs, const float* __restrict c2,
                                    index_t m, double* __restrict acc) {
    for (index_t b = 0; b < m; ++b) {
        const float c = c2[b];
        alignas(64) float part[kLanes];
#pragma omp simd
        for (index_t l = 0; l < kLanes; ++l) part[l] = kde::fast_exp2f(rs[l] * c);
        for (index_t j0 = kLanes; j0 < kChunk; j0 += kLanes) {
#pragma omp simd
            for (index_t l = 0; l < kLanes; ++l) part[l] += kde::fast_exp2f(rs[j0 + l] * c);
        }
        double* a = acc + b * kLanes;
#pragma omp simd
        for (index_t l = 0; l < kLanes; ++l) a[l] += static_cast<double>(part[l]);
    }
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
    // per row: m x kLanes double partial sums, the current shift, and the
    // smallest r2 - shift seen so far (log2 of the largest term is that * c2)
    std::vector<double> acc(static_cast<std::size_t>(nb * m * kLanes), 0.0);
    std::vector<T> shift(static_cast<std::size_t>(nb));
    std::vector<float> rowmin(static_cast<std::size_t>(nb), std::numeric_limits<float>::infinity());
    for (index_t r = 0; r < nb; ++r) shift[r] = static_cast<T>(P.shift[i0 + r]);
    alignas(64) float rs[kChunk];

    for (index_t jt = 0; jt < P.ncols; jt += kTileCols) {
        const index_t jt1 = std::min(jt + kTileCols, P.ncols);
        for (index_t g = i0; g < i1; g += kGroupRows) {
            const index_t rows = std::min(kGroupRows, i1 - g);
            for (index_t j0 = jt; j0 < jt1; j0 += kChunk) {
                for (index_t r = 0; r < rows; ++r) {
                    const index_t i = g + r;
                    const index_t ri = i - i0;
                    if (rowmin[ri] == kPoisoned) continue;  // row goes to exact_row
                    double* a = acc.data() + ri * m * kLanes;
                    const T* panel = P.xt + j0 * P.d;
                    const T* xi = P.x + i * P.d;
                    const bool diag = i >= j0 && i < j0 + kChunk;
                    chunk_shifted_r2(panel, P.d, xi, shift[ri], rs);
                    if (diag) rs[i - j0] = std::numeric_limits<float>::infinity();  // j == i
                    float mu = chunk_min(rs);
                    // Invariant for fast_exp2f: every exponent rs * c2 <= kRescaleLog2.
                    for (int tries = 0; mu * P.c2min > kRescaleLog2; ++tries) {
                        if (tries == 3) {  // h so small that rounding keeps it from settling
                            mu = kPoisoned;
                            break;
                        }
                        // A term above 2^kRescaleLog2: the shift was too large (not the
                        // nearest-neighbour distance). Move it down to this chunk's
                        // minimum, rescale what was summed so far (online log-sum-exp)
                        // and redo the chunk's distances against the new shift.
                        for (index_t b = 0; b < m; ++b) {
                            const double f = std::exp2(-static_cast<double>(mu) * P.c2[b]);
                            for (index_t l = 0; l < kLanes; ++l) a[b * kLanes + l] *= f;
                        }
                        shift[ri] += static_cast<T>(mu);
                        rowmin[ri] -= mu;
                        chunk_shifted_r2(panel, P.d, xi, shift[ri], rs);
                        if (diag) rs[i - j0] = std::numeric_limits<float>::infinity();
                        mu = chunk_min(rs);
                    }
                    rowmin[ri] = std::min(rowmin[ri], mu);
                    if (mu != kPoisoned) chunk_exp_sums(rs, P.c2, m, a);
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
            const double* a = acc.data() + (ri * m + b) * kLanes;
            double s = 0.0;
            for (index_t l = 0; l < kLanes; ++l) s += a[l];
            const float g = rowmin[ri] * P.c2[b];  // log2 of the largest term, as computed
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
    const index_t ncols = (n + kChunk - 1) / kChunk * kChunk;
    std::vector<T> xt(static_cast<std::size_t>(d * ncols), std::numeric_limits<T>::infinity());
    std::vector<double> c(static_cast<std::size_t>(m));
    std::vector<float> c2(static_cast<std::size_t>(m));
    for (index_t b = 0; b < m; ++b) {
        c[b] = -0.5 / (h[b] * h[b]);
        // clamp in double: converting an out-of-range double to float is undefined
        const double c2d = std::max(c[b] * 1.4426950408889634,
                                    -static_cast<double>(std::numeric_limits<float>::max()));
        c2[b] = std::min(static_cast<float>(c2d), kMinNegC);
    }
    const float c2min = *std::min_element(c2.begin(), c2.end());
    const Problem<T> P{x, n, d, xt.data(), ncols, m, c.data(), c2.data(), c2min, shift_sq, out};
    const index_t nblocks = (n + kBlockRows - 1) / kBlockRows;

    ExceptionCollector errors;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (index_t j = 0; j < n; ++j) {
            const index_t p = j / kChunk, jj = j % kChunk;
            for (index_t k = 0; k < d; ++k) xt[(p * d + k) * kChunk + jj] = x[j * d + k];
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
