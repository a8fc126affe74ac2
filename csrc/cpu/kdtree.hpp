// A static kd-tree over the rows of x, built for all-points queries.
//
// - The points are stored permuted into tree order in one contiguous array
//   (`pts`), so a leaf is a contiguous block and a query point's neighbours are
//   usually close in memory; `perm[p]` is the original index of tree row p.
// - Nodes are laid out in depth-first preorder: the left child of node v is
//   v + 1, the right child is `right`. Every node covers a contiguous range
//   [start, end) of tree rows and stores the tight bounding box of its points
//   and the smallest original index among them (for exact tie-breaking).
// - Splits are on the widest dimension (spread of a sample of the node's
//   rows), at the median row
//   (so the shape depends only on n and leaf_size and is balanced even with
//   many duplicate coordinates). The median is found by an in-place
//   quickselect on the rows themselves (sequential memory access, no index
//   indirection), and subtrees above a size threshold are built as OpenMP
//   tasks.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu/common.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

template <class T>
class KDTree {
  public:
    struct Node {
        index_t start, end;  // rows [start, end) of pts
        index_t right;       // right child, or -1 for a leaf (left child is this + 1)
        index_t min_idx;     // smallest original index in the node
    };

    KDTree(const T* x, index_t n, int d, int leaf_size, int n_threads)
        : n_(n), d_(d), leaf_size_(std::max(leaf_size, 1)) {
        pts_.assign(x, x + static_cast<std::size_t>(n) * d);
        perm_.resize(n);
        for (index_t i = 0; i < n; ++i) perm_[i] = i;
        const index_t nn = count_nodes(n);
        nodes_.resize(nn);
        boxes_.resize(static_cast<std::size_t>(nn) * 2 * d);
        if (n_threads > 1 && n > kTaskThreshold) {
#pragma omp parallel num_threads(n_threads)
#pragma omp single
            build(0, 0, n);
        } else {
            build(0, 0, n);
        }
        finish_nodes(n_threads);
    }

    // Optional coordinate-major copy of the tree-ordered points for vectorised
    // leaf scans: coordinate c of tree row p is soa()[c * soa_stride() + p].
    // Each coordinate array is padded by kSoaPad entries, so a full vector load
    // that starts inside a leaf never leaves the allocation.
    static constexpr index_t kSoaPad = 16;
    void build_soa() {
        soa_stride_ = n_ + kSoaPad;
        soa_.assign(static_cast<std::size_t>(soa_stride_) * d_, T(0));
        for (index_t p = 0; p < n_; ++p)
            for (int c = 0; c < d_; ++c) soa_[static_cast<std::size_t>(c) * soa_stride_ + p] = pts_[p * d_ + c];
    }
    const T* soa() const { return soa_.data(); }
    index_t soa_stride() const { return soa_stride_; }

    index_t n() const { return n_; }
    int d() const { return d_; }
    const T* point(index_t p) const { return pts_.data() + static_cast<std::size_t>(p) * d_; }
    const T* points() const { return pts_.data(); }
    const index_t* perm() const { return perm_.data(); }
    const Node& node(index_t v) const { return nodes_[v]; }
    index_t num_nodes() const { return static_cast<index_t>(nodes_.size()); }
    const T* lo(index_t v) const { return boxes_.data() + static_cast<std::size_t>(v) * 2 * d_; }
    const T* hi(index_t v) const { return lo(v) + d_; }
    static bool is_leaf(const Node& nd) { return nd.right < 0; }

  private:
    static constexpr index_t kTaskThreshold = 1 << 15;
    static constexpr index_t kSpreadSample = 256;

    index_t count_nodes(index_t m) const {
        if (m <= leaf_size_) return 1;
        return 1 + count_nodes(m / 2) + count_nodes(m - m / 2);
    }

    T key(index_t row, int dim) const { return pts_[static_cast<std::size_t>(row) * d_ + dim]; }

    // Swaps rows a and b (points and original indices); D > 0: d known at
    // compile time (a fixed-size copy instead of a loop).
    template <int D = 0>
    void swap_rows(index_t a, index_t b) {
        T* pa = pts_.data() + static_cast<std::size_t>(a) * d_;
        T* pb = pts_.data() + static_cast<std::size_t>(b) * d_;
        if constexpr (D > 0) {
            T tmp[D];
            std::memcpy(tmp, pa, sizeof tmp);
            std::memmove(pa, pb, sizeof tmp);
            std::memcpy(pb, tmp, sizeof tmp);
        } else {
            for (int c = 0; c < d_; ++c) std::swap(pa[c], pb[c]);
        }
        std::swap(perm_[a], perm_[b]);
    }

    // Moves the rows of [l, r) whose key satisfies pred to the front, keeping
    // no order; returns the end of that front part. Branch-free (Lomuto with an
    // unconditional swap and a conditional advance): partitioning random keys
    // with branches mispredicts about every other row, which dominated the build.
    template <int D, class Pred>
    index_t partition_rows_d(index_t l, index_t r, int dim, Pred pred) {
        index_t store = l;
        for (index_t i = l; i < r; ++i) {
            const bool take = pred(key(i, dim));
            swap_rows<D>(i, store);
            store += take;
        }
        return store;
    }
    template <class Pred>
    index_t partition_rows(index_t l, index_t r, int dim, Pred pred) {
        switch (d_) {
            case 1: return partition_rows_d<1>(l, r, dim, pred);
            case 2: return partition_rows_d<2>(l, r, dim, pred);
            case 3: return partition_rows_d<3>(l, r, dim, pred);
            case 4: return partition_rows_d<4>(l, r, dim, pred);
            default: return partition_rows_d<0>(l, r, dim, pred);
        }
    }

    // Reorders rows [l, r) so that row m holds the key a sort would put there,
    // with keys <= it before m and keys >= it after (quickselect, median-of-3
    // pivot, three-way split so runs of equal keys finish at once).
    void select(index_t l, index_t r, index_t m, int dim) {
        while (r - l > 16) {
            T a = key(l, dim), b = key(l + (r - l) / 2, dim), c = key(r - 1, dim);
            if (a > b) std::swap(a, b);
            if (b > c) std::swap(b, c);
            if (a > b) std::swap(a, b);
            const T pivot = b;
            const index_t lt_end = partition_rows(l, r, dim, [pivot](T v) { return v < pivot; });
            if (m < lt_end) {
                r = lt_end;
                continue;
            }
            const index_t eq_end = partition_rows(lt_end, r, dim, [pivot](T v) { return v == pivot; });
            if (m < eq_end) return;
            l = eq_end;
        }
        for (index_t i = l + 1; i < r; ++i)
            for (index_t j = i; j > l && key(j - 1, dim) > key(j, dim); --j) swap_rows(j - 1, j);
    }

    // Split dimension of rows [start, end): the widest spread, measured on at
    // most kSpreadSample evenly spaced rows (exact for small nodes). A sample
    // finds the widest dimension just as well and saves a full pass over the
    // rows at every level; the tight boxes are computed bottom-up afterwards.
    int split_dim(index_t start, index_t end) const {
        const index_t size = end - start;
        const index_t step = std::max<index_t>(1, size / kSpreadSample);
        int best = 0;
        T best_w = T(-1);
        for (int c = 0; c < d_; ++c) {
            T lo = key(start, c), hi = lo;
            for (index_t p = start + step; p < end; p += step) {
                const T v = key(p, c);
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            if (hi - lo > best_w) {
                best_w = hi - lo;
                best = c;
            }
        }
        return best;
    }

    void build(index_t v, index_t start, index_t end) {
        Node& nd = nodes_[v];
        nd.start = start;
        nd.end = end;
        const index_t size = end - start;
        if (size <= leaf_size_) {
            nd.right = -1;
            return;
        }
        const index_t mid = start + size / 2;
        select(start, end, mid, split_dim(start, end));
        const index_t left = v + 1;
        const index_t right = v + 1 + count_nodes(mid - start);
        nd.right = right;
        if (size > kTaskThreshold && omp_in_parallel()) {
#pragma omp task firstprivate(left, start, mid)
            build(left, start, mid);
            build(right, mid, end);
#pragma omp taskwait
        } else {
            build(left, start, mid);
            build(right, mid, end);
        }
    }

    // Tight bounding boxes and smallest original indices, bottom-up: leaves
    // from their points, inner nodes as the union of their children (children
    // come after their parent in preorder).
    void finish_nodes(int n_threads) {
        const index_t nn = static_cast<index_t>(nodes_.size());
#pragma omp parallel for num_threads(n_threads) schedule(static) if (n_threads > 1 && n_ > kTaskThreshold)
        for (index_t v = 0; v < nn; ++v) {
            Node& nd = nodes_[v];
            if (!is_leaf(nd)) continue;
            T* lo = boxes_.data() + static_cast<std::size_t>(v) * 2 * d_;
            T* hi = lo + d_;
            const T* p0 = point(nd.start);
            for (int c = 0; c < d_; ++c) lo[c] = hi[c] = p0[c];
            index_t min_idx = perm_[nd.start];
            for (index_t p = nd.start + 1; p < nd.end; ++p) {
                const T* pp = point(p);
                for (int c = 0; c < d_; ++c) {
                    lo[c] = std::min(lo[c], pp[c]);
                    hi[c] = std::max(hi[c], pp[c]);
                }
                min_idx = std::min(min_idx, perm_[p]);
            }
            nd.min_idx = min_idx;
        }
        for (index_t v = nn - 1; v >= 0; --v) {
            Node& nd = nodes_[v];
            if (is_leaf(nd)) continue;
            const index_t l = v + 1, r = nd.right;
            T* lo = boxes_.data() + static_cast<std::size_t>(v) * 2 * d_;
            const T* llo = boxes_.data() + static_cast<std::size_t>(l) * 2 * d_;
            const T* rlo = boxes_.data() + static_cast<std::size_t>(r) * 2 * d_;
            for (int c = 0; c < d_; ++c) {
                lo[c] = std::min(llo[c], rlo[c]);
                lo[d_ + c] = std::max(llo[d_ + c], rlo[d_ + c]);
            }
            nd.min_idx = std::min(nodes_[l].min_idx, nodes_[r].min_idx);
        }
    }

    index_t n_;
    int d_;
    index_t leaf_size_;
    std::vector<T> pts_;
    std::vector<index_t> perm_;
    std::vector<Node> nodes_;
    std::vector<T> boxes_;
    std::vector<T> soa_;
    index_t soa_stride_ = 0;
};

}  // namespace PYMI_ISA_NS
}  // namespace pymi
