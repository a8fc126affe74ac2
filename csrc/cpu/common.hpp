// Shared helpers of the CPU kernels: thread counts and exception-safe parallel
// regions (in the instruction-set namespace, see cpu/isa.hpp).
#pragma once

#include <omp.h>

#include <exception>
#include <mutex>

#include "cpu/isa.hpp"
#include "types.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

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

}  // namespace PYMI_ISA_NS
}  // namespace pymi
