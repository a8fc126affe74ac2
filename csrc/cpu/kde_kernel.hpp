// Gaussian-kernel log sums for leave-one-out KDE (see csrc/API.md).
#pragma once

#include "common.hpp"

namespace pymi {

// out[b * n + i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2))
//
// x: n x d row-major (T = float or double), h: m positive bandwidths,
// shift_sq: n finite values >= 0, ideally the squared nearest-neighbour
// distance of each point (the log-sum-exp shift; any value is accepted, rows
// whose shift is far off are recomputed exactly). Inputs are assumed
// validated by the caller (bind_kde.cpp). Threads: resolve_threads(n_jobs).
template <class T>
void kde_log_kernel_sums(const T* x, index_t n, index_t d, const double* h, index_t m,
                         const double* shift_sq, double* out, int n_jobs);

}  // namespace pymi
