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
// to float and the exponentials are float32 (fast_exp2f_scaled, <= 1.6e-7 relative);
// within a chunk each of kLanes float lanes sums 8 terms, and the lanes are
// accumulated per row in double. The shift is added back in double with the
// exact c_b.
//
// Negligible terms: the points are first put in kd-tree order (so a panel of
// kChunk columns is a compact cloud with a bounding box), and a row block walks
// the column tiles starting from its own tile (its neighbours come first).
// For each (row, chunk), a bandwidth whose every term in the chunk is below
// 2^-K times the largest term already summed for that row is skipped, and a
// whole chunk is skipped (distances included) when the bounding-box lower
// bound of its distances already makes that true for the widest bandwidth.
// K = kSkipMarginLog2 + ceil(log2 n): the skipped terms of a row add up to
// less than 2^-kSkipMarginLog2 (2.3e-10) of its sum, far below the float32
// exponentials' own 2e-7. The largest term of a row is never skipped (a chunk
// that lowers the row minimum is always summed in full), so the bound holds
// for any shift. At small bandwidths (the ML/LSCV optimum at large n) most of
// the pairs are skipped; at bandwidths comparable to the data scale none are.
//
// Robustness (any shift >= 0 gives the right answer; the nearest-neighbour one
// is just the fastest). Every exponent carries a rounding error of ~u |rs c2|
// (rs rounded to float), so the terms that matter must have exponents near 0:
// - too large a shift (e.g. an upper bound such as the distance to any other
//   point): when a chunk holds a term above 2^kRescaleLog2, the row's shift
//   moves down to that chunk's minimum and the partial sums are rescaled
//   (online log-sum-exp; O(log n) times per row for a random upper bound),
//   then settles once more if the float rounding of that move left the chunk's
//   largest term below 2^-kSettleLog2;
// - too small a shift (e.g. 0): a row whose largest term comes out below
//   2^-kSettleLog2 is swept a second time with its shift moved up to its
//   smallest distance (rows with a good shift are not swept again);
// - h so small that float32 loses the nearest term, or a sum that is not
//   finite and positive: the row is recomputed exactly in double with its own
//   minimum as the shift. With the nearest-neighbour shift this never
//   triggers for h > ~1e-4 * nearest-neighbour distance.
// Measured on clustered data at h = 0.01 (n = 6000, d = 2..20): <= 2.6e-7
// relative for upper-bound, zero and nearest-neighbour shifts alike.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <vector>
#include <utility>
#include <type_traits>

#include "cpu/common.hpp"
#include "cpu/kde_exp.hpp"
#include "cpu/neighbors.hpp"
#include "cpu/kdtree.hpp"

namespace pymi {
namespace PYMI_ISA_NS {
namespace {

constexpr index_t kChunk = 128;       // columns per distance buffer / float partial sum
constexpr index_t kTileCols = 1024;   // columns per L2 tile (multiple of kChunk)
constexpr index_t kBlockRows = 32;    // query rows per OpenMP work item
constexpr index_t kGroupRows = 4;     // rows that sweep a panel together (it stays in L1)
constexpr float kMaxLog2Term = 86.0f;  // fast path iff the largest term is in [2^-86, 2^86]
constexpr float kRescaleLog2 = 4.0f;   // move the shift down once a term exceeds 2^4
constexpr float kSettleLog2 = 1.0f;    // after a move, settle again if the chunk's largest term < 2^-1
constexpr int kSkipMarginLog2 = 32;    // skipped terms add up to < 2^-32 of a row's sum
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
    float c2max;          // the least negative c2 (widest bandwidth)
    float skip_log2;      // K: skip terms below 2^-K of the row's largest term
    const T* box;         // npanels x 2 x db: per-panel bounding box (lo, hi)
    index_t db;           // box dimensions: kBoxDims (padded) when d <= kBoxDims, else d
    const double* shift;  // n
    double* out;          // m x n
};

// Lower bound of ||x_i - x_j||^2 for x_i in box a and x_j in box b, each
// stored as lo[db] then hi[db] (db = kBoxDims when d <= kBoxDims: unused
// dimensions are padded so that they contribute exactly 0).
constexpr index_t kBoxDims = 16;

template <class T>
PYMI_KDE_INLINE T box_gap_r2(const T* __restrict a, const T* __restrict b, index_t db) {
    T acc = 0;
    if (db == kBoxDims) {  // fixed trip count: vectorises
#pragma omp simd reduction(+ : acc)
        for (index_t k = 0; k < kBoxDims; ++k) {
            const T below = b[k] - a[kBoxDims + k], above = a[k] - b[kBoxDims + k];
            T g = below > above ? below : above;
            g = g > T(0) ? g : T(0);
            acc += g * g;
        }
        return acc;
    }
    for (index_t k = 0; k < db; ++k) {
        const T below = b[k] - a[db + k], above = a[k] - b[db + k];
        T g = below > above ? below : above;
        g = g > T(0) ? g : T(0);
        acc += g * g;
    }
    return acc;
}

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

// d <= kMaxFixedDim, known at compile time: the whole distance in registers, in four
// independent accumulation chains (k mod 4) to keep the FMA latency hidden.
template <int D, class T>
PYMI_KDE_INLINE void chunk_shifted_r2_fixed(const T* __restrict panel, const T* __restrict xi,
                                            T s, float* __restrict rs) {
#pragma omp simd
    for (index_t j = 0; j < kChunk; ++j) {
        T a[4] = {0, 0, 0, 0};
#pragma GCC unroll 16
        for (int k = 0; k < D; ++k) {
            const T e = panel[k * kChunk + j] - xi[k];
            a[k % 4] += e * e;
        }
        rs[j] = static_cast<float>(((a[0] + a[1]) + (a[2] + a[3])) - s);
    }
}

// Calls f(std::integral_constant<int, D>{}) with D == d when 1 <= d <= kMaxFixedDim
// (so the kernel is compiled with the dimension known) and returns true; returns
// false, calling nothing, for larger d.
constexpr int kMaxFixedDim = 16;

template <class F, int... Ds>
PYMI_KDE_INLINE bool with_fixed_dim_impl(index_t d, F&& f, std::integer_sequence<int, Ds...>) {
    return ((d == Ds + 1 ? (f(std::integral_constant<int, Ds + 1>{}), true) : false) || ...);
}

template <class F>
PYMI_KDE_INLINE bool with_fixed_dim(index_t d, F&& f) {
    return with_fixed_dim_impl(d, std::forward<F>(f), std::make_integer_sequence<int, kMaxFixedDim>{});
}

// rs[j] = ||x_i - x_{j0+j}||^2 - s for the kChunk columns of one panel.
template <class T>
PYMI_KDE_INLINE void chunk_shifted_r2(const T* __restrict panel, index_t d,
                                      const T* __restrict xi, T s, float* __restrict rs) {
    if (with_fixed_dim(d, [&](auto D) { chunk_shifted_r2_fixed<decltype(D)::value>(panel, xi, s, rs); }))
        return;
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

// The same for kGroupRows query rows at once, written with GCC/Clang vector
// extensions (32-byte vectors: one AVX2 register; two SSE registers on older
// x86, NEON pairs on ARM) so that the register blocking is explicit: each
// panel vector is loaded once for all kGroupRows rows and each row coordinate
// is broadcast from memory (a load-port operation), which leaves the loop bound by
// the FP pipes (one subtract and one FMA per pair-coordinate) instead of by
// loads,
// rs[r * kChunk + j] = ||x_r - x_{j0+j}||^2 - s[r]. d <= kMaxFixedDim (compile time).
template <class T>
struct Vec32 {
    typedef T type __attribute__((vector_size(32)));
};

template <int D, class T>
PYMI_KDE_INLINE void group_shifted_r2_fixed(const T* __restrict panel, const T* const* xr,
                                            const T* __restrict s, float* __restrict rs) {
    using V = typename Vec32<T>::type;
    constexpr int L = static_cast<int>(32 / sizeof(T));  // lanes: 8 floats or 4 doubles
    constexpr int R = static_cast<int>(kGroupRows);
    static_assert(kChunk % L == 0, "a chunk is a whole number of vectors");
    T xl[R][D];
    for (int r = 0; r < R; ++r)
        for (int k = 0; k < D; ++k) xl[r][k] = xr[r][k];
    for (index_t j = 0; j < kChunk; j += L) {
        // Hide from the optimiser that xl is invariant in j: otherwise gcc hoists
        // all R * D broadcasts out of the loop, runs out of vector registers and
        // spills an accumulator through memory (a store-forwarding chain that
        // halves the speed). Broadcasting from L1 inside the loop is free (a
        // load-port operation).
        const T* xlp = &xl[0][0];
#if defined(__GNUC__)
        __asm__("" : "+r"(xlp));
#endif
        // one accumulator per row: 4 independent FMA chains per k, and the
        // out-of-order core overlaps consecutive j iterations (more chains make
        // gcc spill an accumulator through memory, which is far slower)
        V a[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) a[r] = V{};
#pragma GCC unroll 16
        for (int k = 0; k < D; ++k) {
            V p;
            std::memcpy(&p, panel + k * kChunk + j, sizeof(V));
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const V e = p - xlp[r * D + k];
                a[r] += e * e;
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const V v = a[r] - s[r];
            float* out = rs + r * kChunk + j;
            if constexpr (sizeof(T) == sizeof(float)) {
                std::memcpy(out, &v, sizeof(V));
            } else {
                for (int l = 0; l < L; ++l) out[l] = static_cast<float>(v[l]);
            }
        }
    }
}

template <class T>
PYMI_KDE_INLINE void group_shifted_r2(const T* __restrict panel, index_t d, const T* const* xr,
                                      const T* __restrict s, float* __restrict rs) {
    if (with_fixed_dim(d, [&](auto D) { group_shifted_r2_fixed<decltype(D)::value>(panel, xr, s, rs); }))
        return;
    for (index_t r = 0; r < kGroupRows; ++r) chunk_shifted_r2(panel, d, xr[r], s[r], rs + r * kChunk);
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
// bandwidth b whose largest term in the chunk, 2^(mu * c2[b]), is at least
// 2^-skip_log2 times the row's largest term so far, 2^(rowmin * c2[b]). Each lane
// sums kChunk / kLanes = 8 terms in float, then goes to double.
PYMI_KDE_INLINE void chunk_exp_sums(const float* __restrict rs, const float* __restrict c2,
                                    index_t m, float mu, float rowmin, float skip_log2,
                                    double* __restrict acc) {
    const float gap = mu - rowmin;  // -inf on a row's first chunk: nothing skipped
    for (index_t b = 0; b < m; ++b) {
        const float c = c2[b];
        if (gap * c < -skip_log2) continue;
        alignas(64) float part[kLanes];
#pragma omp simd
        for (index_t l = 0; l < kLanes; ++l) part[l] = kde::fast_exp2f_scaled(rs[l], c);
        for (index_t j0 = kLanes; j0 < kChunk; j0 += kLanes) {
#pragma omp simd
            for (index_t l = 0; l < kLanes; ++l) part[l] += kde::fast_exp2f_scaled(rs[j0 + l], c);
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
    alignas(64) float rs[kGroupRows * kChunk];

    // Tiles from the block's own one onwards, wrapping around: in kd-tree order
    // the nearest columns come first, so the row minima (and with them the
    // skip thresholds) are set early.
    // bounding box of each row group (the rows are consecutive in kd-tree
    // order, so it is small), padded like the panel boxes
    const index_t ngroups = (nb + kGroupRows - 1) / kGroupRows;
    std::vector<T> gbox(static_cast<std::size_t>(ngroups * 2 * P.db));
    for (index_t gi = 0; gi < ngroups; ++gi) {
        T* lo = gbox.data() + gi * 2 * P.db;
        T* hi = lo + P.db;
        for (index_t k = 0; k < P.db; ++k) {
            lo[k] = k < P.d ? std::numeric_limits<T>::infinity() : T(0);
            hi[k] = k < P.d ? -std::numeric_limits<T>::infinity() : T(0);
        }
        for (index_t i = i0 + gi * kGroupRows; i < std::min(i0 + (gi + 1) * kGroupRows, i1); ++i) {
            for (index_t k = 0; k < P.d; ++k) {
                lo[k] = std::min(lo[k], P.x[i * P.d + k]);
                hi[k] = std::max(hi[k], P.x[i * P.d + k]);
            }
        }
    }

    const index_t ntiles = (P.ncols + kTileCols - 1) / kTileCols;
    const index_t first_tile = i0 / kTileCols;
    // Sweep 0 takes every row; sweep 1 redoes the rows whose largest term came out
    // below 2^-kSettleLog2 (the shift was too small, e.g. 0), with the shift moved
    // up to their smallest distance, so that their largest term is ~1 as well.
    std::vector<char> in_sweep(static_cast<std::size_t>(nb), 1);
    // One sweep over the column tiles for the rows marked in in_sweep.
    const auto sweep_tiles = [&] {
        for (index_t t = 0; t < ntiles; ++t) {
            const index_t jt = ((first_tile + t) % ntiles) * kTileCols;
            const index_t jt1 = std::min(jt + kTileCols, P.ncols);
            for (index_t g = i0; g < i1; g += kGroupRows) {
                const index_t rows = std::min(kGroupRows, i1 - g);
                for (index_t j0 = jt; j0 < jt1; j0 += kChunk) {
                    const T* panel = P.xt + j0 * P.d;
                    // which rows of the group need this panel: skip it for a row when the
                    // box bound makes every term negligible at the widest bandwidth (the
                    // bound is shrunk by a relative 1e-5 against rounding)
                    const T lb = box_gap_r2(gbox.data() + ((g - i0) / kGroupRows) * 2 * P.db,
                                            P.box + (j0 / kChunk) * 2 * P.db, P.db) *
                                 T(0.99999);
                    bool active[kGroupRows] = {};
                    bool any_active = false;
                    for (index_t r = 0; r < rows; ++r) {
                        const index_t i = g + r;
                        const index_t ri = i - i0;
                        if (rowmin[ri] == kPoisoned || !in_sweep[ri]) continue;  // poisoned: exact_row
                        const bool diag = i >= j0 && i < j0 + kChunk;
                        const float lb_rs = static_cast<float>(lb - shift[ri]);
                        if (!diag && (lb_rs - rowmin[ri]) * P.c2max < -P.skip_log2) continue;
                        active[r] = true;
                        any_active = true;
                    }
                    if (!any_active) continue;
                    // distances of the whole group (a short last group repeats its last row)
                    const T* xr[kGroupRows];
                    T sr[kGroupRows];
                    for (index_t r = 0; r < kGroupRows; ++r) {
                        const index_t i = g + std::min(r, rows - 1);
                        xr[r] = P.x + i * P.d;
                        sr[r] = shift[i - i0];
                    }
                    group_shifted_r2(panel, P.d, xr, sr, rs);
                    for (index_t r = 0; r < rows; ++r) {
                        if (!active[r]) continue;
                        const index_t i = g + r;
                        const index_t ri = i - i0;
                        float* rsr = rs + r * kChunk;
                        double* a = acc.data() + ri * m * kLanes;
                        const bool diag = i >= j0 && i < j0 + kChunk;
                        if (diag) rsr[i - j0] = std::numeric_limits<float>::infinity();  // j == i
                        float mu = chunk_min(rsr);
                        // Every exponent carries a rounding error of ~u |rs c2|, so the
                        // terms that matter must have small exponents. Invariant: every
                        // exponent rs * c2 <= kRescaleLog2; a chunk with a larger term
                        // moves the shift down to its minimum (the shift was too large),
                        // then settles once more if the float rounding of that move
                        // (u |mu|, large when the old shift was far off) left the chunk's
                        // largest term below 2^-kSettleLog2. (A shift that was too small
                        // is corrected by the second sweep below.)
                        for (int tries = 0;
                             mu * P.c2min > kRescaleLog2 || (tries > 0 && mu * P.c2min < -kSettleLog2);
                             ++tries) {
                            if (tries == 3) {  // h so small that rounding keeps it from settling
                                mu = kPoisoned;
                                break;
                            }
                            // Move the shift to this chunk's minimum, rescale what was summed
                            // so far (online log-sum-exp) and redo the chunk's distances
                            // against the new shift.
                            for (index_t b = 0; b < m; ++b) {
                                const double f = std::exp2(-static_cast<double>(mu) * P.c2[b]);
                                for (index_t l = 0; l < kLanes; ++l) a[b * kLanes + l] *= f;
                            }
                            shift[ri] += static_cast<T>(mu);
                            rowmin[ri] -= mu;
                            chunk_shifted_r2(panel, P.d, P.x + i * P.d, shift[ri], rsr);
                            if (diag) rsr[i - j0] = std::numeric_limits<float>::infinity();
                            mu = chunk_min(rsr);
                        }
                        if (mu != kPoisoned) chunk_exp_sums(rsr, P.c2, m, mu, rowmin[ri], P.skip_log2, a);
                        rowmin[ri] = std::min(rowmin[ri], mu);
                    }
                }
            }
        }
    };
    sweep_tiles();
    bool any_low = false;
    for (index_t ri = 0; ri < nb; ++ri) {
        const bool low = rowmin[ri] != kPoisoned && std::isfinite(rowmin[ri]) &&
                         rowmin[ri] * P.c2min < -kSettleLog2;
        in_sweep[ri] = low;
        if (!low) continue;
        any_low = true;
        shift[ri] += static_cast<T>(rowmin[ri]);
        rowmin[ri] = std::numeric_limits<float>::infinity();
        std::fill(acc.begin() + ri * m * kLanes, acc.begin() + (ri + 1) * m * kLanes, 0.0);
    }
    if (any_low) sweep_tiles();

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
    // no more threads than row blocks (n_jobs may exceed the work, e.g. n_jobs=2000 at n=200)
    const int nt = static_cast<int>(std::min<index_t>(
        resolve_threads(n_jobs), std::max<index_t>(1, (n + kBlockRows - 1) / kBlockRows)));
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
    const float c2max = *std::max_element(c2.begin(), c2.end());
    const float skip_log2 =
        static_cast<float>(kSkipMarginLog2) + std::ceil(std::log2(static_cast<float>(std::max<index_t>(n, 2))));

    // Everything below runs in kd-tree order (tree.perm()[p] = original row of
    // tree row p); the results are scattered back at the end.
    const KDTree<T> tree(x, n, static_cast<int>(d), static_cast<int>(kChunk), nt);
    const T* xs = tree.points();
    const index_t* perm = tree.perm();
    std::vector<double> shift_sorted(static_cast<std::size_t>(n));
    std::vector<double> out_sorted(static_cast<std::size_t>(m * n));
    const index_t npanels = ncols / kChunk;
    const index_t db = d <= kBoxDims ? kBoxDims : d;
    std::vector<T> box(static_cast<std::size_t>(npanels * 2 * db));

    const Problem<T> P{xs,        n,         d,         xt.data(), ncols,
                       m,         c.data(),  c2.data(), c2min,     c2max,
                       skip_log2, box.data(), db,       shift_sorted.data(), out_sorted.data()};
    const index_t nblocks = (n + kBlockRows - 1) / kBlockRows;

    ExceptionCollector errors;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
        for (index_t j = 0; j < n; ++j) {
            const index_t p = j / kChunk, jj = j % kChunk;
            for (index_t k = 0; k < d; ++k) xt[(p * d + k) * kChunk + jj] = xs[j * d + k];
            shift_sorted[j] = shift_sq[perm[j]];
        }
#pragma omp for schedule(static)
        for (index_t p = 0; p < npanels; ++p) {
            T* lo = box.data() + p * 2 * db;
            T* hi = lo + db;
            const index_t j1 = std::min((p + 1) * kChunk, n);
            for (index_t k = 0; k < db; ++k) {  // padding dimensions: (-inf, +inf), gap 0
                T a = -std::numeric_limits<T>::infinity(), z = std::numeric_limits<T>::infinity();
                if (k < d) {
                    a = std::numeric_limits<T>::infinity();
                    z = -a;
                    for (index_t j = p * kChunk; j < j1; ++j) {
                        a = std::min(a, xs[j * d + k]);
                        z = std::max(z, xs[j * d + k]);
                    }
                }
                lo[k] = a;
                hi[k] = z;
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (index_t blk = 0; blk < nblocks; ++blk) {
            errors.run([&] {
                const index_t i0 = blk * kBlockRows;
                process_block(P, i0, std::min(i0 + kBlockRows, n));
            });
        }
#pragma omp for schedule(static)
        for (index_t j = 0; j < n; ++j) {
            for (index_t b = 0; b < m; ++b) out[b * n + perm[j]] = out_sorted[b * n + j];
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

}  // namespace PYMI_ISA_NS
}  // namespace pymi
