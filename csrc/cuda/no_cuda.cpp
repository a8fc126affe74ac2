// pymi::cuda (csrc/kernels.hpp) in a build without CUDA: the interface exists,
// so the bindings route to it unconditionally, and every kernel raises
// RuntimeError with the way to get a CUDA build.
#include <stdexcept>

#include "kernels.hpp"

namespace pymi::cuda {

namespace {
[[noreturn]] void not_compiled() {
    throw std::runtime_error(
        "pymi was built without CUDA support; reinstall it from source with the CUDA toolkit "
        "(nvcc) installed: pip install --force-reinstall --no-binary pymi pymi "
        "-Ccmake.define.PYMI_CUDA=ON, or use device='cpu'");
}
}  // namespace

bool compiled() noexcept { return false; }
int device_count() noexcept { return 0; }

template <class T>
void knn(const T*, index_t, int, int, Metric, const Exec&, T*, index_t*) {
    not_compiled();
}
template <class T>
void count_within(const T*, index_t, int, const T*, Metric, const Exec&, index_t*) {
    not_compiled();
}
template <class T>
void count_within_pair(const T*, int, const T*, int, index_t, const T*, Metric, const Exec&, index_t*,
                       index_t*) {
    not_compiled();
}
template <class T>
void kde_log_kernel_sums(const T*, index_t, int, const double*, int, const double*, const Exec&, double*) {
    not_compiled();
}

#define PYMI_CUDA_INSTANTIATE(T)                                                                     \
    template void knn<T>(const T*, index_t, int, int, Metric, const Exec&, T*, index_t*);           \
    template void count_within<T>(const T*, index_t, int, const T*, Metric, const Exec&, index_t*); \
    template void count_within_pair<T>(const T*, int, const T*, int, index_t, const T*, Metric,     \
                                       const Exec&, index_t*, index_t*);                             \
    template void kde_log_kernel_sums<T>(const T*, index_t, int, const double*, int, const double*, \
                                         const Exec&, double*);
PYMI_CUDA_INSTANTIATE(float)
PYMI_CUDA_INSTANTIATE(double)
#undef PYMI_CUDA_INSTANTIATE

}  // namespace pymi::cuda
