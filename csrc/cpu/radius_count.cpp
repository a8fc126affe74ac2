// Strict radius counts: counts[i] = #{j != i : dist(x_i, x_j) < radius[i]}.
//
// - kd-tree: depth-first search per point (points in tree order, dynamic
//   schedule); a node is skipped when the reduced distance to its box is
//   >= the reduced radius, and counted whole (without visiting its points) when
//   the farthest corner of its box is strictly inside the radius.
// - d == 1 with the kd-tree algorithm: a sorted copy and two binary searches
//   per point (the 1-D tree degenerates to a sorted array); the predicate is the
//   kernel's own distance test, which is monotone on each side of x_i, so the
//   result is exactly that of the brute-force test.
// - brute force: the register-blocked tiles of tile.hpp; per query row the
//   lanes with reduced distance < reduced radius are counted with vector
//   compares accumulated as integer vectors (no branches), and the self pair
//   (distance exactly 0) is removed at the end.
// - pair (KSG): the tiles hold [x | y]; one sweep counts both marginals.
#include <algorithm>
#include <utility>
#include <vector>

#include "cpu/kdtree.hpp"
#include "cpu/metric.hpp"
#include "cpu/neighbors.hpp"
#include "cpu/parallel.hpp"
#include "cpu/tile.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

namespace {

constexpr int kCountLeafSize = 64;
constexpr index_t kQueryChunk = 256;
constexpr int kMaxRadii = 8;  // radii per point of count_within_radii_kdtree

// Number of tree rows in [start, end) with reduced distance to q < rr, W rows
// per step from the coordinate-major copy (bit-identical distances to the
// scalar ones).
template <class T, class P, int D>
inline index_t count_leaf_vec(const KDTree<T>& tree, const T* q, index_t start, index_t end, T rr) {
    using namespace tile;
    using V = vec_t<T>;
    constexpr int W = Vec<T>::W;
    const T* soa = tree.soa();
    const index_t stride = tree.soa_stride();
    const V rv = splat<T>(rr);
    index_t count = 0;
    for (index_t j0 = start; j0 < end; j0 += W) {
        V s{};
#pragma GCC unroll 8
        for (int c = 0; c < D; ++c) s = P::vacc(s, load(soa + c * stride + j0) - q[c]);
        unsigned bits = lt_bits(s, rv);
        if (end - j0 < W) bits &= (1u << (end - j0)) - 1;
        count += __builtin_popcount(bits);
    }
    return count;
}

// count_leaf_vec for the radii rr[j] with bit j of open set: one distance per
// point, compared with every open radius.
template <class T, class P, int D>
inline void count_leaf_vec_radii(const KDTree<T>& tree, const T* q, index_t start, index_t end, const T* rr,
                                 int m, unsigned open, index_t* count) {
    using namespace tile;
    using V = vec_t<T>;
    constexpr int W = Vec<T>::W;
    const T* soa = tree.soa();
    const index_t stride = tree.soa_stride();
    V rv[kMaxRadii];
    for (int j = 0; j < m; ++j) rv[j] = splat<T>(rr[j]);
    for (index_t j0 = start; j0 < end; j0 += W) {
        V s{};
#pragma GCC unroll 8
        for (int c = 0; c < D; ++c) s = P::vacc(s, load(soa + c * stride + j0) - q[c]);
        const unsigned valid = end - j0 < W ? (1u << (end - j0)) - 1 : ~0u;
        for (int j = 0; j < m; ++j)
            if (open >> j & 1u) count[j] += __builtin_popcount(lt_bits(s, rv[j]) & valid);
    }
}

template <class T, class P, int D>
void count_tree_all(const KDTree<T>& tree, const T* radius, int n_threads, index_t* out) {
    const index_t n = tree.n();
    const int d = tree.d();
    const index_t* perm = tree.perm();
    parallel_for(
        n, n_threads, kQueryChunk, [] { return std::vector<index_t>(256); },
        [&](index_t p, std::vector<index_t>& stack) {
            const T* q = tree.point(p);
            const index_t row = perm[p];
            const T rr = P::strict_radius(radius[row]);
            index_t count = 0;
            index_t* st = stack.data();
            int sp = 0;
            if (T(0) < rr) st[sp++] = 0;
            while (sp > 0) {
                const index_t v = st[--sp];
                const auto& nd = tree.node(v);
                if (box_max_reduced<P, D>(q, tree.lo(v), tree.hi(v), d) < rr) {
                    count += nd.end - nd.start - (nd.start <= p && p < nd.end ? 1 : 0);
                    continue;
                }
                if (KDTree<T>::is_leaf(nd)) {
                    if constexpr (D >= 1 && D <= 8) {
                        count += count_leaf_vec<T, P, D>(tree, q, nd.start, nd.end, rr);
                        count -= (nd.start <= p && p < nd.end) ? 1 : 0;  // self, at distance 0 < rr
                    } else {
                        for (index_t j = nd.start; j < nd.end; ++j)
                            count += (j != p) & (reduced_dist_bounded<P, D>(q, tree.point(j), d, rr) < rr);
                    }
                } else {
                    const index_t l = v + 1, r = nd.right;
                    if (box_min_reduced<P, D>(q, tree.lo(r), tree.hi(r), d) < rr) st[sp++] = r;
                    if (box_min_reduced<P, D>(q, tree.lo(l), tree.hi(l), d) < rr) st[sp++] = l;
                }
            }
            out[row] = count;
        });
}

// Several radii per point in one traversal: out[row * m + j] counts the points
// strictly within radius[row * m + j]. A stack entry carries the radii still
// open at its node (bit j); a node fully inside radius j adds its size to
// count j and closes it, one entirely outside every open radius is skipped.
template <class T, class P, int D>
void count_tree_radii(const KDTree<T>& tree, const T* radius, int m, int n_threads, index_t* out) {
    const index_t n = tree.n();
    const int d = tree.d();
    const index_t* perm = tree.perm();
    using Entry = std::pair<index_t, unsigned>;
    parallel_for(
        n, n_threads, kQueryChunk, [] { return std::vector<Entry>(256); },
        [&](index_t p, std::vector<Entry>& stack) {
            const T* q = tree.point(p);
            const index_t row = perm[p];
            T rr[kMaxRadii];
            index_t count[kMaxRadii] = {};
            unsigned all = 0;
            for (int j = 0; j < m; ++j) {
                rr[j] = P::strict_radius(radius[row * m + j]);
                if (T(0) < rr[j]) all |= 1u << j;  // radius 0 counts nothing, self included
            }
            Entry* st = stack.data();
            int sp = 0;
            if (all) st[sp++] = {0, all};
            while (sp > 0) {
                const auto [v, mask] = st[--sp];
                const auto& nd = tree.node(v);
                const index_t self = (nd.start <= p && p < nd.end) ? 1 : 0;
                const T far = box_max_reduced<P, D>(q, tree.lo(v), tree.hi(v), d);
                unsigned open = 0;
                for (int j = 0; j < m; ++j) {
                    if (!(mask >> j & 1u)) continue;
                    if (far < rr[j])
                        count[j] += nd.end - nd.start - self;
                    else
                        open |= 1u << j;
                }
                if (!open) continue;
                if (KDTree<T>::is_leaf(nd)) {
                    if constexpr (D >= 1 && D <= 8) {
                        count_leaf_vec_radii<T, P, D>(tree, q, nd.start, nd.end, rr, m, open, count);
                        for (int j = 0; j < m; ++j) count[j] -= (open >> j & 1u) ? self : 0;
                    } else {
                        for (int j = 0; j < m; ++j) {
                            if (!(open >> j & 1u)) continue;
                            for (index_t i = nd.start; i < nd.end; ++i)
                                count[j] += (i != p) & (reduced_dist_bounded<P, D>(q, tree.point(i), d, rr[j]) < rr[j]);
                        }
                    }
                } else {
                    const index_t children[2] = {nd.right, v + 1};  // left popped first
                    for (const index_t c : children) {
                        const T near = box_min_reduced<P, D>(q, tree.lo(c), tree.hi(c), d);
                        unsigned reach = 0;
                        for (int j = 0; j < m; ++j)
                            if ((open >> j & 1u) && near < rr[j]) reach |= 1u << j;
                        if (reach) st[sp++] = {c, reach};
                    }
                }
            }
            for (int j = 0; j < m; ++j) out[row * m + j] = count[j];
        });
}

// Counts at m radii per point (radius[i * m + j] -> out[i * m + j]) from one sorted
// copy: the sort is shared by every radius.
template <class T, class P>
void count_sorted_1d(const T* x, index_t n, const T* radius, int m, int n_threads, index_t* out) {
    std::vector<T> v(x, x + n);
    std::sort(v.begin(), v.end());
    // chunks of 16384 binary-search pairs (~1 ms): small inputs stay on one
    // thread, where waking a second one would cost more than it saves
    parallel_for(
        n, n_threads, std::max<index_t>(1, 16384 / m), [] { return 0; },
        [&](index_t i, int&) {
            const T xi = x[i];
            for (int j = 0; j < m; ++j) {
                const T rr = P::strict_radius(radius[i * m + j]);
                // prefix where v_j < x_i or v_j is within the radius on the right
                const auto right = std::partition_point(v.begin(), v.end(), [&](T vj) {
                    return vj < xi || P::acc(T(0), vj - xi) < rr;
                });
                // prefix where v_j < x_i and v_j is outside the radius on the left
                const auto left = std::partition_point(v.begin(), v.end(), [&](T vj) {
                    return vj < xi && !(P::acc(T(0), xi - vj) < rr);
                });
                out[i * m + j] = static_cast<index_t>(right - left) - (T(0) < rr ? 1 : 0);
            }
        });
}

// query rows per microkernel call: their 2 * kMQ accumulators stay in
// registers (without AVX a 256-bit vector takes two of the 16 SSE registers)
#if defined(__AVX__)
constexpr int kMQ = 4;
#else
constexpr int kMQ = 2;
#endif
constexpr index_t kQueryBlock = 64;
constexpr std::size_t kTileBlockBytes = 16 * 1024;

template <class T>
struct BlockScratch {
    index_t count[2 * kQueryBlock];  // x counts, then y counts
    T rr[kQueryBlock];               // reduced strict radii of the block's rows
};

// sums[i] = number of points of tiles [t0, t1) whose reduced distance to row
// qp[i] over coordinates [c0, c0 + len) of the tiles is < rv[i]. Out of line
// so the microkernel keeps its registers; the compares are accumulated as
// integer vectors (a true lane is -1), so there are no branches.
template <class T, class P>
__attribute__((noinline)) void count_tiles(const T* const* qp, const tile::Tiled<T>& ref, int c0, int len,
                                           index_t t0, index_t t1, const tile::vec_t<T> (&rv)[kMQ],
                                           index_t (&sums)[kMQ]) {
    using namespace tile;
    constexpr int W = Vec<T>::W;
    constexpr int NR = Tiled<T>::NR;
    mask_t<T> c[kMQ][2] = {};
    for (index_t t = t0; t < t1; ++t) {
        vec_t<T> a[kMQ][2];
        microkernel<T, P, kMQ>(qp, ref.tile(t) + c0 * NR, len, a);
#pragma GCC unroll 8
        for (int i = 0; i < kMQ; ++i) {
            c[i][0] -= a[i][0] < rv[i];
            c[i][1] -= a[i][1] < rv[i];
        }
    }
    for (int i = 0; i < kMQ; ++i) {
        index_t s = 0;
        for (int l = 0; l < W; ++l) s += c[i][0][l] + c[i][1][l];
        sums[i] = s;
    }
}

// Counts for x (and y when PAIR) against the tiled [x | y] points.
template <class T, class P, bool PAIR>
void count_brute_impl(const T* x, int dx, const T* y, int dy, index_t n, const T* radius, int n_threads,
                      index_t* out_x, index_t* out_y) {
    using namespace tile;
    using V = vec_t<T>;
    const Tiled<T> ref(x, dx, PAIR ? y : nullptr, PAIR ? dy : 0, n);
    const index_t ntiles = ref.ntiles();
    const index_t tb = tiles_per_block<T>(ref.d(), kTileBlockBytes);
    const index_t nblocks = (n + kQueryBlock - 1) / kQueryBlock;
    parallel_for(
        nblocks, n_threads, 1, [] { return BlockScratch<T>{}; },
        [&](index_t b, BlockScratch<T>& s) {
            const index_t q0 = b * kQueryBlock;
            const index_t q1 = std::min(n, q0 + kQueryBlock);
            index_t* cnt = s.count;
            std::fill(cnt, cnt + 2 * kQueryBlock, 0);
            for (index_t i = q0; i < q1; ++i) s.rr[i - q0] = P::strict_radius(radius[i]);
            for (index_t t0 = 0; t0 < ntiles; t0 += tb) {
                const index_t t1 = std::min(ntiles, t0 + tb);
                for (index_t g = q0; g < q1; g += kMQ) {
                    const int rows = static_cast<int>(std::min<index_t>(kMQ, q1 - g));
                    const T* qx[kMQ];
                    const T* qy[kMQ];
                    V rv[kMQ];
                    for (int i = 0; i < kMQ; ++i) {
                        const index_t row = g + std::min(i, rows - 1);
                        qx[i] = x + row * dx;
                        qy[i] = PAIR ? y + row * dy : nullptr;
                        rv[i] = splat<T>(s.rr[row - q0]);
                    }
                    index_t sx[kMQ], sy[kMQ];
                    count_tiles<T, P>(qx, ref, 0, dx, t0, t1, rv, sx);
                    if constexpr (PAIR) count_tiles<T, P>(qy, ref, dx, dy, t0, t1, rv, sy);
                    for (int i = 0; i < rows; ++i) {
                        cnt[g + i - q0] += sx[i];
                        if constexpr (PAIR) cnt[kQueryBlock + g + i - q0] += sy[i];
                    }
                }
            }
            for (index_t i = q0; i < q1; ++i) {
                const index_t self = T(0) < s.rr[i - q0] ? 1 : 0;  // the pair (i, i) at distance 0
                out_x[i] = cnt[i - q0] - self;
                if constexpr (PAIR) out_y[i] = cnt[kQueryBlock + i - q0] - self;
            }
        });
}

// count_sorted_1d with the metric chosen at run time.
template <class T>
void count_sorted_1d_metric(const T* x, index_t n, const T* radius, int m, Metric metric, int n_threads,
                            index_t* out) {
    if (metric == Metric::Euclidean)
        count_sorted_1d<T, EuclideanPolicy>(x, n, radius, m, n_threads, out);
    else
        count_sorted_1d<T, ChebyshevPolicy>(x, n, radius, m, n_threads, out);
}

// Builds the count tree of x (coordinate-major leaves up to d = 8) and calls
// count(tree, policy, dimension tag).
template <class T, class Count>
void with_count_tree(const T* x, index_t n, int d, Metric metric, int n_threads, Count&& count) {
    KDTree<T> tree(x, n, d, kCountLeafSize, n_threads);
    if (d <= 8) tree.build_soa();
    dispatch_metric_dim(metric, d, [&](auto policy, auto dim) { count(tree, policy, dim); });
}

}  // namespace

template <class T>
void count_within_kdtree(const T* x, index_t n, int d, const T* radius, Metric metric, int n_jobs,
                         index_t* counts) {
    const int nt = resolve_threads(n_jobs);
    if (d == 1) return count_sorted_1d_metric(x, n, radius, 1, metric, nt, counts);
    with_count_tree(x, n, d, metric, nt, [&](const KDTree<T>& tree, auto policy, auto dim) {
        count_tree_all<T, decltype(policy), decltype(dim)::value>(tree, radius, nt, counts);
    });
}

template <class T>
void count_within_radii_kdtree(const T* x, index_t n, int d, const T* radius, int m, Metric metric, int n_jobs,
                               index_t* counts) {
    const int nt = resolve_threads(n_jobs);
    if (d == 1) return count_sorted_1d_metric(x, n, radius, m, metric, nt, counts);
    with_count_tree(x, n, d, metric, nt, [&](const KDTree<T>& tree, auto policy, auto dim) {
        count_tree_radii<T, decltype(policy), decltype(dim)::value>(tree, radius, m, nt, counts);
    });
}

template <class T>
void count_within_brute(const T* x, index_t n, int d, const T* radius, Metric metric, int n_jobs,
                        index_t* counts) {
    const int nt = resolve_threads(n_jobs);
    if (metric == Metric::Euclidean)
        count_brute_impl<T, EuclideanPolicy, false>(x, d, nullptr, 0, n, radius, nt, counts, nullptr);
    else
        count_brute_impl<T, ChebyshevPolicy, false>(x, d, nullptr, 0, n, radius, nt, counts, nullptr);
}

template <class T>
void count_within_pair_brute(const T* x, int dx, const T* y, int dy, index_t n, const T* radius, Metric metric,
                             int n_jobs, index_t* counts_x, index_t* counts_y) {
    const int nt = resolve_threads(n_jobs);
    if (metric == Metric::Euclidean)
        count_brute_impl<T, EuclideanPolicy, true>(x, dx, y, dy, n, radius, nt, counts_x, counts_y);
    else
        count_brute_impl<T, ChebyshevPolicy, true>(x, dx, y, dy, n, radius, nt, counts_x, counts_y);
}

template void count_within_kdtree<float>(const float*, index_t, int, const float*, Metric, int, index_t*);
template void count_within_kdtree<double>(const double*, index_t, int, const double*, Metric, int, index_t*);
template void count_within_radii_kdtree<float>(const float*, index_t, int, const float*, int, Metric, int,
                                                index_t*);
template void count_within_radii_kdtree<double>(const double*, index_t, int, const double*, int, Metric, int,
                                                 index_t*);
template void count_within_brute<float>(const float*, index_t, int, const float*, Metric, int, index_t*);
template void count_within_brute<double>(const double*, index_t, int, const double*, Metric, int, index_t*);
template void count_within_pair_brute<float>(const float*, int, const float*, int, index_t, const float*, Metric,
                                             int, index_t*, index_t*);
template void count_within_pair_brute<double>(const double*, int, const double*, int, index_t, const double*,
                                              Metric, int, index_t*, index_t*);

}  // namespace PYMI_ISA_NS
}  // namespace pymi
