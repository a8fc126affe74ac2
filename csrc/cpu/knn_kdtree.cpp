// Exact all-points kNN with a kd-tree (low dimension).
//
// Every point is queried in tree order, leaf by leaf (neighbouring queries
// touch the same leaves, and the dynamic schedule hands out contiguous chunks
// of leaves): own leaf first, then the ancestors' siblings, each with a
// depth-first search that visits the nearer child first and prunes a node when
// the reduced distance to its bounding box cannot beat the current k-th best.
// The k best are kept in a sorted insertion list ordered by (distance, index),
// so results are exact, ascending, and ties go to the smaller original index.
#include <limits>
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

constexpr int kKnnLeafSize = 32;
constexpr index_t kLeafChunk = 8;  // leaves per dynamic-schedule chunk

template <class T>
struct StackEntry {
    index_t node;
    T lower;  // reduced distance from the query to the node's box
};

// Leaves are scanned a vector of points at a time (coordinate-major copy)
// for the small fixed dimensions where the tree is used.
template <int D>
constexpr bool kVectorLeaves = D >= 1 && D <= 8;

// Offers the points of tree rows [start, end) (except row `self`) to `top`:
// W reduced distances per step from the coordinate-major copy, one compare
// against the current k-th best, scalar insertion only for the survivors.
// The distances are bit-identical to the scalar ones (same differences, same
// order of accumulation).
template <class T, class P, int D>
inline void scan_leaf_vec(const KDTree<T>& tree, const T* q, index_t self, index_t start, index_t end,
                          TopK<T>& top) {
    using namespace tile;
    using V = vec_t<T>;
    constexpr int W = Vec<T>::W;
    const T* soa = tree.soa();
    const index_t stride = tree.soa_stride();
    const index_t* perm = tree.perm();
    V lane{};
    for (int l = 0; l < W; ++l) lane[l] = T(l);
    const V inf = splat<T>(std::numeric_limits<T>::infinity());
    for (index_t j0 = start; j0 < end; j0 += W) {
        V s{};
#pragma GCC unroll 8
        for (int c = 0; c < D; ++c) s = P::vacc(s, load(soa + c * stride + j0) - q[c]);
        if (end - j0 < W) s = lane < splat<T>(T(end - j0)) ? s : inf;
        unsigned bits = le_bits(s, splat<T>(top.worst()));
        // lanes past `end` are +inf, which still passes `<= worst` while the list is
        // filling (worst = +inf): drop them, or perm would be read past the leaf
        if (end - j0 < W) bits &= (1u << (end - j0)) - 1u;
        while (bits) {
            const int l = __builtin_ctz(bits);
            bits &= bits - 1;
            const index_t j = j0 + l;
            if (j == self) continue;
            const index_t oj = perm[j];
            if (top.accepts(s[l], oj)) top.insert(s[l], oj);
        }
    }
}

template <class T, class P, int D>
void knn_query_all(const KDTree<T>& tree, int k, int n_threads, T* out_dist, index_t* out_idx) {
    const int d = tree.d();
    const index_t* perm = tree.perm();
    // The queries are the tree's own points, processed leaf by leaf: a query
    // first scans its own leaf (which makes the k-th best distance tight at
    // once), then the siblings of the leaf's ancestors, deepest (nearest)
    // first, each searched depth-first with the nearer child first and pruned
    // when its box cannot beat the k-th best. This skips the descent from the
    // root and shares the ancestor path among the leaf's queries.
    std::vector<index_t> leaves;
    for (index_t v = 0; v < tree.num_nodes(); ++v)
        if (KDTree<T>::is_leaf(tree.node(v))) leaves.push_back(v);
    struct Scratch {
        TopK<T> top;
        std::vector<StackEntry<T>> stack;
        std::vector<index_t> siblings;
    };
    auto scan = [&](const T* q, index_t self, index_t start, index_t end, TopK<T>& top) {
        if constexpr (kVectorLeaves<D>) {
            scan_leaf_vec<T, P, D>(tree, q, self, start, end, top);
        } else {
            for (index_t j = start; j < end; ++j) {
                if (j == self) continue;
                const T w = top.worst();
                const T sd = reduced_dist_bounded<P, D>(q, tree.point(j), d, w);
                if (sd <= w) {
                    const index_t oj = perm[j];
                    if (top.accepts(sd, oj)) top.insert(sd, oj);
                }
            }
        }
    };
    parallel_for(
        static_cast<index_t>(leaves.size()), n_threads, kLeafChunk,
        [&] { return Scratch{TopK<T>(k), std::vector<StackEntry<T>>(256), std::vector<index_t>(128)}; },
        [&](index_t li, Scratch& s) {
            const index_t leaf = leaves[li];
            const auto& lnd = tree.node(leaf);
            // siblings of the ancestors of `leaf`, root level first
            int depth = 0;
            for (index_t u = 0; u != leaf; ++depth) {
                const auto& und = tree.node(u);
                const bool go_left = lnd.start < tree.node(u + 1).end;
                s.siblings[depth] = go_left ? und.right : u + 1;
                u = go_left ? u + 1 : und.right;
            }
            TopK<T>& top = s.top;
            StackEntry<T>* st = s.stack.data();
            for (index_t p = lnd.start; p < lnd.end; ++p) {
                const T* q = tree.point(p);
                top.reset();
                scan(q, p, lnd.start, lnd.end, top);
                int sp = 0;
                for (int i = 0; i < depth; ++i) {
                    const index_t v = s.siblings[i];
                    st[sp++] = {v, box_min_reduced<P, D>(q, tree.lo(v), tree.hi(v), d)};
                }
                while (sp > 0) {
                    const StackEntry<T> e = st[--sp];
                    const auto& nd = tree.node(e.node);
                    if (top.rejects_all(e.lower, nd.min_idx)) continue;
                    if (KDTree<T>::is_leaf(nd)) {
                        scan(q, p, nd.start, nd.end, top);
                    } else {
                        const index_t l = e.node + 1, r = nd.right;
                        const T dl = box_min_reduced<P, D>(q, tree.lo(l), tree.hi(l), d);
                        const T dr = box_min_reduced<P, D>(q, tree.lo(r), tree.hi(r), d);
                        // push the farther child first so the nearer one is searched first
                        if (dl <= dr) {
                            st[sp++] = {r, dr};
                            st[sp++] = {l, dl};
                        } else {
                            st[sp++] = {l, dl};
                            st[sp++] = {r, dr};
                        }
                    }
                }
                const index_t row = perm[p];
                T* od = out_dist + row * k;
                index_t* oi = out_idx + row * k;
                for (int m = 0; m < k; ++m) {
                    od[m] = P::to_dist(top.dists()[m]);
                    oi[m] = top.indices()[m];
                }
            }
        });
}

}  // namespace

template <class T>
void knn_kdtree(const T* x, index_t n, int d, int k, Metric metric, int n_jobs, T* dist, index_t* idx) {
    const int nt = resolve_threads(n_jobs);
    KDTree<T> tree(x, n, d, kKnnLeafSize, nt);
    if (d <= 8) tree.build_soa();
    dispatch_metric_dim(metric, d, [&](auto policy, auto dim) {
        using P = decltype(policy);
        constexpr int D = decltype(dim)::value;
        knn_query_all<T, P, D>(tree, k, nt, dist, idx);
    });
}

template void knn_kdtree<float>(const float*, index_t, int, int, Metric, int, float*, index_t*);
template void knn_kdtree<double>(const double*, index_t, int, int, Metric, int, double*, index_t*);

}  // namespace PYMI_ISA_NS
}  // namespace pymi
