// The one C++ interface of pymi's kernels, implemented twice with the same
// signatures: pymi::cpu (csrc/cpu/dispatch.cpp, which calls the instruction-set
// variant the CPU supports) and pymi::cuda (csrc/cuda/pymi_cuda.cu, or
// csrc/cuda/no_cuda.cpp in a build without CUDA, whose functions throw).
//
// Plain C++ (no CUDA or pybind11 headers). All functions are pure kernels on
// C-contiguous host arrays: the bindings (bind_util.hpp) validate every input
// first (csrc/API.md). They are synchronous, thread-safe, and report failures
// as std::runtime_error (CUDA errors, with cudaGetErrorString's text) or
// std::invalid_argument (a CUDA device index out of range).
#pragma once

#include "types.hpp"

namespace pymi {

// Where and how a kernel runs: the CPU reads n_jobs (<= 0: all cores) and
// algorithm (kNN and single counts), CUDA reads device (the device index).
struct Exec {
    int n_jobs = 0;
    Algorithm algorithm = Algorithm::KDTree;
    int device = 0;
};

#define PYMI_KERNEL_INTERFACE                                                                        \
    /* dist[n, k] (true distances, or squared for SqEuclidean; ascending, ties by the smaller   \
       index) and idx[n, k] of the k nearest other points of every row of x[n, d]. */           \
    template <class T>                                                                               \
    void knn(const T* x, index_t n, int d, int k, Metric metric, const Exec& exec, T* dist,         \
             index_t* idx);                                                                          \
    /* counts[i] = #{j != i : dist(x_i, x_j) < radius[i]} (strict). */                               \
    template <class T>                                                                               \
    void count_within(const T* x, index_t n, int d, const T* radius, Metric metric,                 \
                      const Exec& exec, index_t* counts);                                            \
    /* Both KSG marginal strict counts (x[n, dx] and y[n, dy], same radius[i]) in one pass. */      \
    template <class T>                                                                               \
    void count_within_pair(const T* x, int dx, const T* y, int dy, index_t n, const T* radius,      \
                           Metric metric, const Exec& exec, index_t* counts_x, index_t* counts_y);  \
    /* out[b, i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2)), [m, n] row-major,        \
       shifted per row by shift_sq[i] (csrc/API.md). */                                              \
    template <class T>                                                                               \
    void kde_log_kernel_sums(const T* x, index_t n, int d, const double* bandwidths, int m,         \
                             const double* shift_sq, const Exec& exec, double* out);

namespace cpu {
PYMI_KERNEL_INTERFACE

// t[i] = sum_j w[j] * (dim * log dist[i, j] + offsets[j]) over j with w[j] != 0
// (host arithmetic on a kNN result: CPU only).
template <class T>
void kl_point_terms(const T* dist, index_t n, int k, const double* weights, double dim,
                    const double* offsets, const Exec& exec, double* out);

// Strict counts at m <= 8 radii per point in one kd-tree traversal, CPU only
// (elsewhere: one count_within per radius): counts[i * m + j] =
// #{i' != i : dist(x_i, x_i') < radius[i * m + j]}, radius and counts [n, m]
// row-major. Equal to count_within on each column of radius.
template <class T>
void count_within_radii(const T* x, index_t n, int d, const T* radius, int m, Metric metric, const Exec& exec,
                        index_t* counts);

// The instruction set the CPU kernels run with: "avx512" (the AVX2 + FMA
// kernels and the AVX-512 KDE sums), "avx2", "baseline" (portable x86-64 or
// the target's default) or "native" (a PYMI_NATIVE build, compiled for the
// building machine only).
const char* simd_level() noexcept;
// The variants this build contains, e.g. "baseline,avx2,avx512".
const char* simd_levels_compiled() noexcept;
}  // namespace cpu

namespace cuda {
PYMI_KERNEL_INTERFACE

// True when built with nvcc.
bool compiled() noexcept;
// Number of visible CUDA devices; 0 without CUDA, driver or device. Never throws.
int device_count() noexcept;
}  // namespace cuda

#undef PYMI_KERNEL_INTERFACE

}  // namespace pymi
