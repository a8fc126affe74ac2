// Host entry points of the CUDA kernels (implemented in csrc/cuda/pymi_cuda.cu).
//
// Plain C++ (no CUDA headers), so that csrc/bind_cuda.cpp compiles with the
// host compiler alone. The functions take host pointers, copy the data to the
// chosen device, run the kernels and copy the results back; they are
// synchronous and thread-safe (each call uses its own stream and buffers).
//
// Errors: std::invalid_argument for a bad device index or sizes beyond the
// kernels' limits (-> ValueError), std::runtime_error for "no CUDA device" and
// for every CUDA error, with the cudaGetErrorString text (-> RuntimeError).
// Shapes, dtypes and radii/bandwidth values are validated by the binding.
#pragma once

#include <cstdint>

namespace pymi::cuda {

using index_t = std::int64_t;

// SqEuclidean: Euclidean neighbours, squared distances reported (kNN only).
enum class Metric { Euclidean, Chebyshev, SqEuclidean };

// Number of visible CUDA devices; 0 when the driver or the devices are missing
// (the CUDA error is cleared). Never throws.
int device_count() noexcept;

// k nearest other points of every row of x[n, d] (self excluded by index),
// ascending distance, ties by smaller index. dist[n, k] (true distances),
// idx[n, k]. Requires 1 <= k < n.
template <class T>
void knn(const T* x, index_t n, int d, int k, Metric metric, int device, T* dist, index_t* idx);

// counts[i] = #{j != i : dist(x_i, x_j) < radius[i]} (strict).
template <class T>
void count_within(const T* x, index_t n, int d, const T* radius, Metric metric, int device,
                  index_t* counts);

// Both KSG marginal counts in one pass: counts_x[i] over x[n, dx], counts_y[i]
// over y[n, dy], each with the strict radius[i].
template <class T>
void count_within_pair(const T* x, int dx, const T* y, int dy, index_t n, const T* radius,
                       Metric metric, int device, index_t* counts_x, index_t* counts_y);

// out[b, i] = log sum_{j != i} exp(-(|x_i - x_j|^2 - shift_sq[i]) / (2 h_b^2))
//             - shift_sq[i] / (2 h_b^2),   out is [m, n] row-major.
template <class T>
void kde_log_kernel_sums(const T* x, index_t n, int d, const double* bandwidths, int m,
                         const double* shift_sq, int device, double* out);

#define PYMI_CUDA_DECLARE(T)                                                                    \
    extern template void knn<T>(const T*, index_t, int, int, Metric, int, T*, index_t*);       \
    extern template void count_within<T>(const T*, index_t, int, const T*, Metric, int,        \
                                         index_t*);                                             \
    extern template void count_within_pair<T>(const T*, int, const T*, int, index_t, const T*, \
                                              Metric, int, index_t*, index_t*);                 \
    extern template void kde_log_kernel_sums<T>(const T*, index_t, int, const double*, int,    \
                                                const double*, int, double*);
PYMI_CUDA_DECLARE(float)
PYMI_CUDA_DECLARE(double)
#undef PYMI_CUDA_DECLARE

}  // namespace pymi::cuda
