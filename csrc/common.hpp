// Shared helpers for pymi kernels: thread counts, exception-safe parallel loops,
// the finite-input check.
#pragma once

#include <omp.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>

namespace pymi {

using index_t = std::int64_t;

// n_jobs follows the scikit-learn convention: <= 0 means "all cores"
// (-1, or 0), a positive value is the exact number of threads.
inline int resolve_threads(int n_jobs) {
    if (n_jobs > 0) return n_jobs;
    return omp_get_max_threads();
}

// Collects the first exception thrown inside an OpenMP region and rethrows it
// on the calling thread (an exception must never escape an OpenMP block).
class ExceptionCollector {
  public:
    template <class F>
    void run(F&& f) noexcept {
        try {
            f();
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!first_) first_ = std::current_exception();
        }
    }
    void rethrow() const {
        if (first_) std::rethrow_exception(first_);
    }

  private:
    std::mutex mutex_;
    std::exception_ptr first_;
};

enum class Metric { Euclidean, Chebyshev };

inline Metric parse_metric(const std::string& name) {
    if (name == "euclidean") return Metric::Euclidean;
    if (name == "chebyshev") return Metric::Chebyshev;
    throw std::invalid_argument("metric must be 'euclidean' or 'chebyshev'; got '" + name + "'");
}

// Points must be finite (std::invalid_argument -> ValueError); shared by the
// CPU kernels and the CUDA bindings, so both reject bad input alike.
template <class T>
void check_finite_points(const T* x, index_t n, int d, const char* name) {
    const std::size_t total = static_cast<std::size_t>(n) * static_cast<std::size_t>(d);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < total; ++i) bad += !std::isfinite(x[i]);
    if (bad)
        throw std::invalid_argument(std::string(name) + " contains " + std::to_string(bad) +
                                    " NaN or infinite values; remove or impute them first");
}

}  // namespace pymi
