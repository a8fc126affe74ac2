// Exact all-points kNN by tiled brute force with a fused top-k (high dimension).
//
// The points are first put in kd-tree order (a cheap O(n log n) build), so a
// block of consecutive queries is a spatially compact group, and each block
// starts its sweep at its own tiles: the first candidates are near ones, the
// k-th best distance (the threshold) is tight almost at once, and later tiles
// rarely produce a candidate. Work is split into blocks of kQueryBlock query
// rows (one OpenMP task each, dynamic schedule). A block sweeps the reference
// tiles in cache blocks, MQ rows at a time: the microkernel produces MQ x NR
// exact reduced distances in registers, one vector compare per half-tile
// against each row's threshold and one OR-reduction decide whether anything
// can enter a top-k; only the rare survivors reach the scalar insertion list,
// which orders by (distance, original index), so ties go to the smaller index
// whatever the sweep order. Distances are formed as differences (not by the
// norm expansion), so they are exact and need no recomputation.
#include <vector>

#include "cpu/kdtree.hpp"
#include "cpu/metric.hpp"
#include "cpu/neighbors.hpp"
#include "cpu/parallel.hpp"
#include "cpu/tile.hpp"
#include "cpu/topk.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

namespace {

// query rows per microkernel call: their 2 * kMQ accumulators stay in
// registers (without AVX a 256-bit vector takes two of the 16 SSE registers)
#if defined(__AVX__)
constexpr int kMQ = 4;
#else
constexpr int kMQ = 2;
#endif
constexpr index_t kQueryBlock = 64;  // query rows per task
constexpr std::size_t kTileBlockBytes = 16 * 1024;

// Sweeps tiles [t, t1) for MQ query rows and returns the first tile in which
// some row has a lane <= its threshold (its distances are left in acc), or t1.
// Kept out of line so the microkernel and the combined threshold test get the
// registers to themselves; one vector OR-reduction and one test per tile.
template <class T, class P>
__attribute__((noinline)) index_t scan_until_candidate(const T* const* qp, const tile::Tiled<T>& ref, int d,
                                                       index_t t, index_t t1, const tile::vec_t<T> (&thr)[kMQ],
                                                       tile::vec_t<T> (&acc)[kMQ][2]) {
    using namespace tile;
    for (; t < t1; ++t) {
        vec_t<T> a[kMQ][2];
        microkernel<T, P, kMQ>(qp, ref.tile(t), d, a);
        auto hit = (a[0][0] <= thr[0]) | (a[0][1] <= thr[0]);
#pragma GCC unroll 8
        for (int i = 1; i < kMQ; ++i) hit |= (a[i][0] <= thr[i]) | (a[i][1] <= thr[i]);
        if (any_lane(hit)) {
#pragma GCC unroll 8
            for (int i = 0; i < kMQ; ++i) {
                acc[i][0] = a[i][0];
                acc[i][1] = a[i][1];
            }
            return t;
        }
    }
    return t1;
}

template <class T, class P>
void knn_brute_impl(const T* x, index_t n, int d, int k, int n_threads, T* out_dist, index_t* out_idx) {
    using namespace tile;
    using V = vec_t<T>;
    constexpr int W = Vec<T>::W;
    constexpr int NR = Tiled<T>::NR;
    // tree order: rows of `xs` are the points permuted, perm[row] = original index
    const KDTree<T> tree(x, n, d, static_cast<int>(kQueryBlock), n_threads);
    const T* xs = tree.points();
    const index_t* perm = tree.perm();
    const Tiled<T> ref(xs, d, nullptr, 0, n);
    const index_t ntiles = ref.ntiles();
    const index_t tb = tiles_per_block<T>(d, kTileBlockBytes);
    const index_t nblocks = (n + kQueryBlock - 1) / kQueryBlock;

    struct Scratch {
        std::vector<TopK<T>> tops;
    };
    parallel_for(
        nblocks, n_threads, 1, [&] { return Scratch{std::vector<TopK<T>>(kQueryBlock, TopK<T>(k))}; },
        [&](index_t b, Scratch& s) {
            const index_t q0 = b * kQueryBlock;
            const index_t q1 = std::min(n, q0 + kQueryBlock);
            for (index_t i = q0; i < q1; ++i) s.tops[i - q0].reset();
            alignas(64) T buf[NR];
            // sweep all tiles, starting with the block's own (its nearest candidates)
            const index_t first = q0 / NR;
            for (index_t done = 0, len = 0; done < ntiles; done += len) {
                // next cache block of tiles, wrapping around the end once
                const index_t t0 = (first + done) % ntiles;
                len = std::min({tb, ntiles - done, ntiles - t0});
                const index_t t1 = t0 + len;
                for (index_t g = q0; g < q1; g += kMQ) {
                    const int rows = static_cast<int>(std::min<index_t>(kMQ, q1 - g));
                    const T* qp[kMQ];
                    V thr[kMQ];
                    for (int i = 0; i < kMQ; ++i) {
                        // padding rows repeat the last real row and never get a candidate
                        const index_t row = g + std::min(i, rows - 1);
                        qp[i] = xs + row * d;
                        thr[i] = i < rows ? splat<T>(s.tops[row - q0].worst()) : splat<T>(-T(1));
                    }
                    V acc[kMQ][2];
                    for (index_t t = t0;; ++t) {
                        t = scan_until_candidate<T, P>(qp, ref, d, t, t1, thr, acc);
                        if (t >= t1) break;
                        for (int i = 0; i < rows; ++i) {
                            unsigned bits = le_bits(acc[i][0], thr[i]) | (le_bits(acc[i][1], thr[i]) << W);
                            if (!bits) continue;
                            // copy by value (taking acc's address would keep it out of registers)
                            const V a0 = acc[i][0], a1 = acc[i][1];
                            std::memcpy(buf, &a0, sizeof(V));
                            std::memcpy(buf + W, &a1, sizeof(V));
                            const index_t row = g + i;
                            TopK<T>& top = s.tops[row - q0];
                            do {
                                const int lane = __builtin_ctz(bits);
                                bits &= bits - 1;
                                const index_t j = t * NR + lane;
                                if (j == row || j >= n) continue;
                                const index_t oj = perm[j];
                                if (top.accepts(buf[lane], oj)) top.insert(buf[lane], oj);
                            } while (bits);
                            thr[i] = splat<T>(top.worst());
                        }
                    }
                }
            }
            for (index_t i = q0; i < q1; ++i) {
                const TopK<T>& top = s.tops[i - q0];
                const index_t row = perm[i];
                for (int m = 0; m < k; ++m) {
                    out_dist[row * k + m] = P::to_dist(top.dists()[m]);
                    out_idx[row * k + m] = top.indices()[m];
                }
            }
        });
}

}  // namespace

template <class T>
void knn_brute(const T* x, index_t n, int d, int k, Metric metric, int n_jobs, T* dist, index_t* idx) {
    const int nt = resolve_threads(n_jobs);
    if (metric == Metric::Euclidean)
        knn_brute_impl<T, EuclideanPolicy>(x, n, d, k, nt, dist, idx);
    else
        knn_brute_impl<T, ChebyshevPolicy>(x, n, d, k, nt, dist, idx);
}

template void knn_brute<float>(const float*, index_t, int, int, Metric, int, float*, index_t*);
template void knn_brute<double>(const double*, index_t, int, int, Metric, int, double*, index_t*);

}  // namespace PYMI_ISA_NS
}  // namespace pymi
