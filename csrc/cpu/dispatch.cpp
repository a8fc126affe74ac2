// pymi::cpu (csrc/kernels.hpp): routes every CPU kernel to the instruction-set
// variant chosen once per process.
//
// CMakeLists.txt compiles the kernel sources once per variant into its own
// namespace (cpu/isa.hpp): pymi::isa_base always (portable x86-64, or the
// target's default elsewhere; with PYMI_NATIVE=ON: -march=native), and on
// x86-64 unless PYMI_NATIVE=ON pymi::isa_avx2 (AVX2 + FMA) and, for the KDE
// sums, whose vectorised exponentials gain from AVX-512's 32 vector registers,
// pymi::isa_avx512 (x86-64-v4). A variant runs when the CPU and the OS support
// its instructions (__builtin_cpu_supports checks both) and it is not
// disabled: PYMI_DISABLE_AVX2 (set, not empty, not "0") forces the baseline,
// PYMI_DISABLE_AVX512 stops at AVX2. Both are read once, when the module is
// imported. This file itself is compiled for the baseline.
#include <cstdlib>
#include <cstring>

#include "kernels.hpp"

namespace pymi {

namespace isa_base {
#include "cpu/kernels_decl.inc"
}  // namespace isa_base

#ifdef PYMI_HAVE_AVX2_VARIANT
namespace isa_avx2 {
#include "cpu/kernels_decl.inc"
}  // namespace isa_avx2
#endif

#ifdef PYMI_HAVE_AVX512_VARIANT
namespace isa_avx512 {  // only the KDE sums are compiled for it
#include "cpu/kernels_decl.inc"
}  // namespace isa_avx512
#endif

namespace cpu {

namespace {

enum class Level { Base, Avx2, Avx512 };

bool disabled_by_env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
}

Level detect() {
#ifdef PYMI_HAVE_AVX2_VARIANT
    __builtin_cpu_init();
    if (disabled_by_env("PYMI_DISABLE_AVX2") || !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return Level::Base;
#ifdef PYMI_HAVE_AVX512_VARIANT
    if (!disabled_by_env("PYMI_DISABLE_AVX512") && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        return Level::Avx512;
#endif
    return Level::Avx2;
#else
    return Level::Base;
#endif
}

Level level() {
    static const Level chosen = detect();  // thread-safe, evaluated once
    return chosen;
}

// Calls isa_avx2::NAME or isa_base::NAME with the same arguments.
#ifdef PYMI_HAVE_AVX2_VARIANT
#define PYMI_ISA_CALL(NAME, ...)                      \
    do {                                              \
        if (level() != Level::Base)                   \
            isa_avx2::NAME(__VA_ARGS__);              \
        else                                          \
            isa_base::NAME(__VA_ARGS__);              \
    } while (0)
#else
#define PYMI_ISA_CALL(NAME, ...) isa_base::NAME(__VA_ARGS__)
#endif

}  // namespace

const char* simd_level() noexcept {
#ifdef PYMI_NATIVE_BUILD
    return "native";
#else
    switch (level()) {
        case Level::Avx512: return "avx512";
        case Level::Avx2: return "avx2";
        default: return "baseline";
    }
#endif
}

const char* simd_levels_compiled() noexcept {
#if defined(PYMI_NATIVE_BUILD)
    return "native";
#elif defined(PYMI_HAVE_AVX512_VARIANT)
    return "baseline,avx2,avx512";
#elif defined(PYMI_HAVE_AVX2_VARIANT)
    return "baseline,avx2";
#else
    return "baseline";
#endif
}

template <class T>
void knn(const T* x, index_t n, int d, int k, Metric metric, const Exec& exec, T* dist, index_t* idx) {
    if (exec.algorithm == Algorithm::KDTree)
        PYMI_ISA_CALL(knn_kdtree<T>, x, n, d, k, metric, exec.n_jobs, dist, idx);
    else
        PYMI_ISA_CALL(knn_brute<T>, x, n, d, k, metric, exec.n_jobs, dist, idx);
}

template <class T>
void count_within(const T* x, index_t n, int d, const T* radius, Metric metric, const Exec& exec,
                  index_t* counts) {
    if (exec.algorithm == Algorithm::KDTree)
        PYMI_ISA_CALL(count_within_kdtree<T>, x, n, d, radius, metric, exec.n_jobs, counts);
    else
        PYMI_ISA_CALL(count_within_brute<T>, x, n, d, radius, metric, exec.n_jobs, counts);
}

template <class T>
void count_within_radii(const T* x, index_t n, int d, const T* radius, int m, Metric metric, const Exec& exec,
                        index_t* counts) {
    PYMI_ISA_CALL(count_within_radii_kdtree<T>, x, n, d, radius, m, metric, exec.n_jobs, counts);
}

template <class T>
void count_within_pair(const T* x, int dx, const T* y, int dy, index_t n, const T* radius, Metric metric,
                       const Exec& exec, index_t* counts_x, index_t* counts_y) {
    PYMI_ISA_CALL(count_within_pair_brute<T>, x, dx, y, dy, n, radius, metric, exec.n_jobs, counts_x,
                  counts_y);
}

template <class T>
void kde_log_kernel_sums(const T* x, index_t n, int d, const double* bandwidths, int m, const double* shift_sq,
                         const Exec& exec, double* out) {
#ifdef PYMI_HAVE_AVX512_VARIANT
    if (level() == Level::Avx512) {
        isa_avx512::kde_log_kernel_sums<T>(x, n, static_cast<index_t>(d), bandwidths, static_cast<index_t>(m),
                                           shift_sq, out, exec.n_jobs);
        return;
    }
#endif
    PYMI_ISA_CALL(kde_log_kernel_sums<T>, x, n, static_cast<index_t>(d), bandwidths,
                  static_cast<index_t>(m), shift_sq, out, exec.n_jobs);
}

template <class T>
void kl_point_terms(const T* dist, index_t n, int k, const double* weights, double dim, const double* offsets,
                    const Exec& exec, double* out) {
    PYMI_ISA_CALL(kl_point_terms<T>, dist, n, k, weights, dim, offsets, exec.n_jobs, out);
}

#define PYMI_CPU_INSTANTIATE(T)                                                                        \
    template void knn<T>(const T*, index_t, int, int, Metric, const Exec&, T*, index_t*);             \
    template void count_within<T>(const T*, index_t, int, const T*, Metric, const Exec&, index_t*);   \
    template void count_within_pair<T>(const T*, int, const T*, int, index_t, const T*, Metric,       \
                                       const Exec&, index_t*, index_t*);                               \
    template void kde_log_kernel_sums<T>(const T*, index_t, int, const double*, int, const double*,   \
                                         const Exec&, double*);                                        \
    template void kl_point_terms<T>(const T*, index_t, int, const double*, double, const double*,     \
                                    const Exec&, double*);                                        \
    template void count_within_radii<T>(const T*, index_t, int, const T*, int, Metric, const Exec&,   \
                                        index_t*);
PYMI_CPU_INSTANTIATE(float)
PYMI_CPU_INSTANTIATE(double)
#undef PYMI_CPU_INSTANTIATE

}  // namespace cpu
}  // namespace pymi
