// CPU neighbour kernels: exact all-points kNN, strict radius counts, KL terms.
// Pure kernels on raw C-contiguous arrays; the bindings (bind_knn.cpp) convert,
// validate shapes and release the GIL. See csrc/API.md for the contract.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include "common.hpp"

namespace pymi {

// ---- argument checks shared by the kernels (std::invalid_argument -> ValueError)

inline void check_points_shape(index_t n, int d, const char* name) {
    if (n < 2)
        throw std::invalid_argument(std::string(name) + " must have at least 2 samples; got n_samples=" +
                                    std::to_string(n));
    if (d < 1)
        throw std::invalid_argument(std::string(name) + " must have at least 1 feature; got n_features=" +
                                    std::to_string(d));
}

inline void check_k(int k, index_t n) {
    if (k < 1) throw std::invalid_argument("k=" + std::to_string(k) + " must be at least 1");
    if (k >= n)
        throw std::invalid_argument("k=" + std::to_string(k) + " must be smaller than n_samples=" +
                                    std::to_string(n));
}

template <class T>
void check_radius(const T* radius, index_t n) {
    for (index_t i = 0; i < n; ++i) {
        if (!(radius[i] >= 0))  // also catches NaN
            throw std::invalid_argument("radius must be non-negative and not NaN; got radius[" +
                                        std::to_string(i) + "]=" + std::to_string(radius[i]));
    }
}

// dist[n, k] (true distances, ascending, ties by smaller index) and idx[n, k]
// of the k nearest other points of every row of x[n, d].
template <class T>
void knn_kdtree(const T* x, index_t n, int d, int k, Metric metric, int n_jobs, T* dist, index_t* idx);
template <class T>
void knn_brute(const T* x, index_t n, int d, int k, Metric metric, int n_jobs, T* dist, index_t* idx);

// counts[i] = #{j != i : dist(x_i, x_j) < radius[i]}.
template <class T>
void count_within_kdtree(const T* x, index_t n, int d, const T* radius, Metric metric, int n_jobs,
                         index_t* counts);
template <class T>
void count_within_brute(const T* x, index_t n, int d, const T* radius, Metric metric, int n_jobs,
                        index_t* counts);

// Both marginal strict counts of KSG in one fused brute-force pass.
template <class T>
void count_within_pair_brute(const T* x, int dx, const T* y, int dy, index_t n, const T* radius,
                             Metric metric, int n_jobs, index_t* counts_x, index_t* counts_y);

// t[i] = sum_j w[j] * (dim * log dist[i, j] + offsets[j]) over j with w[j] != 0.
template <class T>
void kl_point_terms(const T* dist, index_t n, int k, const double* weights, double dim,
                    const double* offsets, int n_jobs, double* out);

}  // namespace pymi
