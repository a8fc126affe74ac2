// Exact all-points kNN with a kd-tree (low dimension).
//
// Every point is queried in tree order (neighbouring queries touch the same
// leaves, and the dynamic schedule hands out contiguous chunks of them), with a
// depth-first search that visits the nearer child first and prunes a node when
// the reduced distance to its bounding box cannot beat the current k-th best.
// The k best are kept in a sorted insertion list ordered by (distance, index),
// so results are exact, ascending, and ties go to the smaller original index.
#include <vector>

#include "cpu/kdtree.hpp"
#include "cpu/metric.hpp"
#include "cpu/neighbors.hpp"
#include "cpu/parallel.hpp"
#include "cpu/topk.hpp"

namespace pymi {

namespace {

constexpr int kKnnLeafSize = 16;
constexpr index_t kQueryChunk = 256;

template <class T>
struct StackEntry {
    index_t node;
    T lower;  // reduced distance from the query to the node's box
};

template <class T, class P, int D>
void knn_query_all(const KDTree<T>& tree, int k, int n_threads, T* out_dist, index_t* out_idx) {
    const index_t n = tree.n();
    const int d = tree.d();
    const index_t* perm = tree.perm();
    struct Scratch {
        TopK<T> top;
        std::vector<StackEntry<T>> stack;
    };
    parallel_for(
        n, n_threads, kQueryChunk, [&] { return Scratch{TopK<T>(k), std::vector<StackEntry<T>>(256)}; },
        [&](index_t p, Scratch& s) {
            const T* q = tree.point(p);
            TopK<T>& top = s.top;
            top.reset();
            StackEntry<T>* st = s.stack.data();
            int sp = 0;
            st[sp++] = {0, T(0)};
            while (sp > 0) {
                const StackEntry<T> e = st[--sp];
                const auto& nd = tree.node(e.node);
                if (top.rejects_all(e.lower, nd.min_idx)) continue;
                if (KDTree<T>::is_leaf(nd)) {
                    for (index_t j = nd.start; j < nd.end; ++j) {
                        if (j == p) continue;
                        const T w = top.worst();
                        const T sd = reduced_dist_bounded<P, D>(q, tree.point(j), d, w);
                        if (sd <= w) {
                            const index_t oj = perm[j];
                            if (top.accepts(sd, oj)) top.insert(sd, oj);
                        }
                    }
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
        });
}

}  // namespace

template <class T>
void knn_kdtree(const T* x, index_t n, int d, int k, Metric metric, int n_jobs, T* dist, index_t* idx) {
    check_points_shape(n, d, "x");
    check_k(k, n);
    check_finite_points(x, n, d, "x");
    const int nt = resolve_threads(n_jobs);
    const KDTree<T> tree(x, n, d, kKnnLeafSize, nt);
    dispatch_metric_dim(metric, d, [&](auto policy, auto dim) {
        using P = decltype(policy);
        constexpr int D = decltype(dim)::value;
        knn_query_all<T, P, D>(tree, k, nt, dist, idx);
    });
}

template void knn_kdtree<float>(const float*, index_t, int, int, Metric, int, float*, index_t*);
template void knn_kdtree<double>(const double*, index_t, int, int, Metric, int, double*, index_t*);

}  // namespace pymi
