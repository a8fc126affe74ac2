// Exception-safe OpenMP loop used by the neighbour kernels.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <optional>

#include "cpu/common.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

// Runs body(i, scratch) for every i in [0, n) on n_threads OpenMP threads with
// a dynamic schedule of `chunk` iterations. make_scratch() is called once per
// thread (per-thread buffers). The first exception thrown by any thread is
// rethrown on the caller after the loop; once one is seen, the remaining
// iterations are skipped.
template <class MakeScratch, class Body>
void parallel_for(index_t n, int n_threads, index_t chunk, MakeScratch&& make_scratch, Body&& body) {
    using Scratch = decltype(make_scratch());
    if (n <= 0) return;
    chunk = std::max<index_t>(chunk, 1);
    const index_t max_useful = (n + chunk - 1) / chunk;
    const int nt = static_cast<int>(std::max<index_t>(1, std::min<index_t>(n_threads, max_useful)));
    ExceptionCollector errors;
    std::atomic<bool> failed{false};
#pragma omp parallel num_threads(nt)
    {
        std::optional<Scratch> scratch;
        errors.run([&] {
            try {
                scratch.emplace(make_scratch());
            } catch (...) {
                failed.store(true, std::memory_order_relaxed);
                throw;
            }
        });
#pragma omp for schedule(dynamic, chunk)
        for (index_t i = 0; i < n; ++i) {
            if (!scratch || failed.load(std::memory_order_relaxed)) continue;
            errors.run([&] {
                try {
                    body(i, *scratch);
                } catch (...) {
                    failed.store(true, std::memory_order_relaxed);
                    throw;
                }
            });
        }
    }
    errors.rethrow();
}

}  // namespace PYMI_ISA_NS
}  // namespace pymi
