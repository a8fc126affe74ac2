// pymi::cuda (csrc/kernels.hpp): select the device, move the data, run the
// planned kernels (kernels.cuh), copy back. Inputs arrive validated by the
// bindings (bind_util.hpp), including the kernels' size limits.
#include "cuda/kernels.cuh"
#include "kernels.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace pymi::cuda {

namespace {

using detail::check;
using detail::DeviceBuffer;
using detail::DeviceInfo;
using detail::StreamGuard;

// Makes `device` current for the duration of a call and restores the
// caller's device afterwards.
class DeviceScope {
  public:
    explicit DeviceScope(int device) {
        int count = 0;
        const cudaError_t err = cudaGetDeviceCount(&count);
        if (err != cudaSuccess || count == 0) {
            (void)cudaGetLastError();
            throw std::runtime_error(
                std::string("no CUDA device available (cudaGetDeviceCount: ") +
                (err != cudaSuccess ? cudaGetErrorString(err) : "0 devices") +
                "); use device='cpu'");
        }
        if (device < 0 || device >= count)
            throw std::invalid_argument("device=" + std::to_string(device) + " is out of range; " +
                                        std::to_string(count) + " CUDA device(s) visible");
        check(cudaGetDevice(&previous_), "cudaGetDevice");
        check(cudaSetDevice(device), "cudaSetDevice");
        int sms = 0, optin = 0;
        check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
              "cudaDeviceGetAttribute");
        check(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
              "cudaDeviceGetAttribute");
        info_.sm_count = sms;
        info_.smem_optin = static_cast<std::size_t>(optin);
    }
    ~DeviceScope() { (void)cudaSetDevice(previous_); }
    DeviceScope(const DeviceScope&) = delete;
    DeviceScope& operator=(const DeviceScope&) = delete;
    const DeviceInfo& info() const { return info_; }

  private:
    int previous_ = 0;
    DeviceInfo info_;
};

std::size_t sz(index_t v) { return static_cast<std::size_t>(v); }

template <class T>
std::vector<T> thresholds(const T* radius, index_t n, Metric metric) {
    std::vector<T> thr(sz(n));
    for (index_t i = 0; i < n; ++i)
        thr[sz(i)] = metric == Metric::Euclidean ? detail::SqEuclidean::threshold(radius[i])
                                                 : detail::Chebyshev::threshold(radius[i]);
    return thr;
}

}  // namespace

bool compiled() noexcept { return true; }

int device_count() noexcept {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return count;
}

template <class T>
void knn(const T* x, index_t n, int d, int k, Metric metric, const Exec& exec, T* dist,
         index_t* idx) {
    DeviceScope scope(exec.device);
    StreamGuard stream;
    DeviceBuffer<T> dx(sz(n) * sz(d));
    DeviceBuffer<T> ddist(sz(n) * sz(k));
    DeviceBuffer<index_t> didx(sz(n) * sz(k));
    dx.upload(x, stream.get());
    detail::run_knn(scope.info(), stream.get(), dx.get(), n, d, k, metric != Metric::Chebyshev,
                    ddist.get(), didx.get(), metric == Metric::SqEuclidean);
    ddist.download(dist, stream.get());
    didx.download(idx, stream.get());
    stream.sync();
}

template <class T>
void count_within(const T* x, index_t n, int d, const T* radius, Metric metric, const Exec& exec,
                  index_t* counts) {
    DeviceScope scope(exec.device);
    const std::vector<T> thr = thresholds(radius, n, metric);
    StreamGuard stream;
    DeviceBuffer<T> dx(sz(n) * sz(d));
    DeviceBuffer<T> dthr(sz(n));
    DeviceBuffer<unsigned long long> dcount(sz(n));
    dx.upload(x, stream.get());
    dthr.upload(thr.data(), stream.get());
    detail::run_count(scope.info(), stream.get(), dx.get(), n, d, dthr.get(),
                      metric == Metric::Euclidean, dcount.get());
    static_assert(sizeof(unsigned long long) == sizeof(index_t), "count width");
    dcount.download(reinterpret_cast<unsigned long long*>(counts), stream.get());
    stream.sync();
}

template <class T>
void count_within_pair(const T* x, int dx, const T* y, int dy, index_t n, const T* radius,
                       Metric metric, const Exec& exec, index_t* counts_x, index_t* counts_y) {
    DeviceScope scope(exec.device);
    const std::vector<T> thr = thresholds(radius, n, metric);
    StreamGuard stream;
    DeviceBuffer<T> bx(sz(n) * sz(dx));
    DeviceBuffer<T> by(sz(n) * sz(dy));
    DeviceBuffer<T> dthr(sz(n));
    DeviceBuffer<unsigned long long> cx(sz(n)), cy(sz(n));
    bx.upload(x, stream.get());
    by.upload(y, stream.get());
    dthr.upload(thr.data(), stream.get());
    detail::run_count_pair(scope.info(), stream.get(), bx.get(), dx, by.get(), dy, n, dthr.get(),
                           metric == Metric::Euclidean, cx.get(), cy.get());
    cx.download(reinterpret_cast<unsigned long long*>(counts_x), stream.get());
    cy.download(reinterpret_cast<unsigned long long*>(counts_y), stream.get());
    stream.sync();
}

template <class T>
void kde_log_kernel_sums(const T* x, index_t n, int d, const double* bandwidths, int m,
                         const double* shift_sq, const Exec& exec, double* out) {
    DeviceScope scope(exec.device);
    StreamGuard stream;
    DeviceBuffer<T> dx(sz(n) * sz(d));
    DeviceBuffer<double> dshift(sz(n));
    DeviceBuffer<double> dout(sz(n) * sz(m));
    dx.upload(x, stream.get());
    dshift.upload(shift_sq, stream.get());
    detail::run_kde(scope.info(), stream.get(), dx.get(), n, d, bandwidths, m, dshift.get(),
                    dout.get());
    dout.download(out, stream.get());
    stream.sync();
}

#define PYMI_CUDA_INSTANTIATE(T)                                                                 \
    template void knn<T>(const T*, index_t, int, int, Metric, const Exec&, T*, index_t*);       \
    template void count_within<T>(const T*, index_t, int, const T*, Metric, const Exec&,        \
                                  index_t*);                                                     \
    template void count_within_pair<T>(const T*, int, const T*, int, index_t, const T*, Metric, \
                                       const Exec&, index_t*, index_t*);                         \
    template void kde_log_kernel_sums<T>(const T*, index_t, int, const double*, int,            \
                                         const double*, const Exec&, double*);
PYMI_CUDA_INSTANTIATE(float)
PYMI_CUDA_INSTANTIATE(double)
#undef PYMI_CUDA_INSTANTIATE

}  // namespace pymi::cuda
