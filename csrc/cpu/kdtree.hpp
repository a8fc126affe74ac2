// A static kd-tree over the rows of x, built for all-points queries.
//
// - The points are stored permuted into tree order in one contiguous array
//   (`pts`), so a leaf is a contiguous block and a query point's neighbours are
//   usually close in memory; `perm[p]` is the original index of tree row p.
// - Nodes are laid out in depth-first preorder: the left child of node v is
//   v + 1, the right child is `right`. Every node covers a contiguous range
//   [start, end) of tree rows and stores the tight bounding box of its points
//   and the smallest original index among them (for exact tie-breaking).
// - Splits are on the widest dimension of the tight box, at the median row
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

#include "common.hpp"

namespace pymi {

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
    }

    index_t n() const { return n_; }
    int d() const { return d_; }
    const T* point(index_t p) const { return pts_.data() + static_cast<std::size_t>(p) * d_; }
    const T* points() const { return pts_.data(); }
    const index_t* perm() const { return perm_.data(); }
    const Node& node(index_t v) const { return nodes_[v]; }
    const T* lo(index_t v) const { return boxes_.data() + static_cast<std::size_t>(v) * 2 * d_; }
    const T* hi(index_t v) const { return lo(v) + d_; }
    static bool is_leaf(const Node& nd) { return nd.right < 0; }

  private:
    static constexpr index_t kTaskThreshold = 1 << 15;

    index_t count_nodes(index_t m) const {
        if (m <= leaf_size_) return 1;
        return 1 + count_nodes(m / 2) + count_nodes(m - m / 2);
    }

    T key(index_t row, int dim) const { return pts_[static_cast<std::size_t>(row) * d_ + dim]; }

    void swap_rows(index_t a, index_t b) {
        T* pa = pts_.data() + static_cast<std::size_t>(a) * d_;
        T* pb = pts_.data() + static_cast<std::size_t>(b) * d_;
        for (int c = 0; c < d_; ++c) std::swap(pa[c], pb[c]);
        std::swap(perm_[a], perm_[b]);
    }

    // Reorders rows [l, r) so that key(m) is the value a sort would put there,
    // with keys <= it before m and keys >= it after (Hoare/Wirth quickselect
    // with a median-of-three pivot, insertion sort for short ranges).
    void select(index_t l, index_t r, index_t m, int dim) {
        while (r - l > 16) {
            T a = key(l, dim), b = key(l + (r - l) / 2, dim), c = key(r - 1, dim);
            if (a > b) std::swap(a, b);
            if (b > c) std::swap(b, c);
            if (a > b) std::swap(a, b);
            const T pivot = b;
            index_t i = l, j = r - 1;
            while (i <= j) {
                while (key(i, dim) < pivot) ++i;
                while (key(j, dim) > pivot) --j;
                if (i <= j) {
                    swap_rows(i, j);
                    ++i;
                    --j;
                }
            }
            // now rows [l, j] <= pivot, rows [i, r) >= pivot, rows in between == pivot
            if (m <= j)
                r = j + 1;
            else if (m >= i)
                l = i;
            else
                return;
        }
        for (index_t i = l + 1; i < r; ++i)
            for (index_t j = i; j > l && key(j - 1, dim) > key(j, dim); --j) swap_rows(j - 1, j);
    }

    void build(index_t v, index_t start, index_t end) {
        T* lo = boxes_.data() + static_cast<std::size_t>(v) * 2 * d_;
        T* hi = lo + d_;
        const T* p0 = point(start);
        for (int c = 0; c < d_; ++c) lo[c] = hi[c] = p0[c];
        index_t min_idx = perm_[start];
        for (index_t p = start + 1; p < end; ++p) {
            const T* pp = point(p);
            for (int c = 0; c < d_; ++c) {
                lo[c] = std::min(lo[c], pp[c]);
                hi[c] = std::max(hi[c], pp[c]);
            }
            min_idx = std::min(min_idx, perm_[p]);
        }
        Node& nd = nodes_[v];
        nd.start = start;
        nd.end = end;
        nd.min_idx = min_idx;
        const index_t size = end - start;
        if (size <= leaf_size_) {
            nd.right = -1;
            return;
        }
        int dim = 0;
        T width = hi[0] - lo[0];
        for (int c = 1; c < d_; ++c) {
            if (hi[c] - lo[c] > width) {
                width = hi[c] - lo[c];
                dim = c;
            }
        }
        const index_t mid = start + size / 2;
        select(start, end, mid, dim);
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

    index_t n_;
    int d_;
    index_t leaf_size_;
    std::vector<T> pts_;
    std::vector<index_t> perm_;
    std::vector<Node> nodes_;
    std::vector<T> boxes_;
};

}  // namespace pymi
