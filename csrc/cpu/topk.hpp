// Bounded sorted list of the k best (reduced distance, index) pairs seen so far.
//
// For the small k of the estimators (k <= ~20) an insertion list beats a heap:
// the threshold test (`accepts`) is one compare, and insertions are rare once
// the list is full. Order is lexicographic in (distance, index), so ties are
// broken by the smaller index whatever order candidates arrive in.
#pragma once

#include <limits>
#include <vector>

#include "cpu/common.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

template <class T>
class TopK {
  public:
    explicit TopK(int k) : k_(k), dist_(k), idx_(k) { reset(); }

    void reset() {
        for (int m = 0; m < k_; ++m) {
            dist_[m] = std::numeric_limits<T>::infinity();
            idx_[m] = std::numeric_limits<index_t>::max();
        }
    }

    T worst() const { return dist_[k_ - 1]; }
    index_t worst_index() const { return idx_[k_ - 1]; }

    // Whether (s, j) would enter the list.
    bool accepts(T s, index_t j) const {
        const T w = dist_[k_ - 1];
        return s < w || (s == w && j < idx_[k_ - 1]);
    }

    // Whether no candidate with reduced distance >= lower and index >= min_idx
    // can enter the list (used to prune kd-tree nodes).
    bool rejects_all(T lower, index_t min_idx) const {
        const T w = dist_[k_ - 1];
        return lower > w || (lower == w && min_idx > idx_[k_ - 1]);
    }

    // Inserts (s, j); call only when accepts(s, j).
    void insert(T s, index_t j) {
        int m = k_ - 1;
        while (m > 0 && (dist_[m - 1] > s || (dist_[m - 1] == s && idx_[m - 1] > j))) {
            dist_[m] = dist_[m - 1];
            idx_[m] = idx_[m - 1];
            --m;
        }
        dist_[m] = s;
        idx_[m] = j;
    }

    const T* dists() const { return dist_.data(); }
    const index_t* indices() const { return idx_.data(); }
    int k() const { return k_; }

  private:
    int k_;
    std::vector<T> dist_;
    std::vector<index_t> idx_;
};

}  // namespace PYMI_ISA_NS
}  // namespace pymi
