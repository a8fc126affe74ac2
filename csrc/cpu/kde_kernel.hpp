// Gaussian-kernel log sums for leave-one-out KDE (see csrc/API.md).
#pragma once

#include "common.hpp"

namespace pymi {

// out[b * n + i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2))
//
// x: n x d row-major (T = float or double), finite; h: m bandwidths with
// 1/(2h^2) finite and > 0; shift_sq: n finite values >= 0, the per-row
// log-sum-exp shift. The result does not depend on it: the squared
// nearest-neighbour distance is the fastest, any upper bound costs the same
// (the shift moves down online), too small a value costs a second sweep of
// the rows concerned (see kde.cpp). Inputs are validated by the caller
// (bind_kde.cpp). Threads: resolve_threads(n_jobs). Memory O(n d + n m).
template <class T>
void kde_log_kernel_sums(const T* x, index_t n, index_t d, const double* h, index_t m,
                         const double* shift_sq, double* out, int n_jobs);

}  // namespace pymi
