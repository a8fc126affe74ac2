// CUDA runtime plumbing for the kernels: error checks, RAII device buffers,
// streams and device selection. The host self-test (selftest_host.cpp)
// provides host-memory stand-ins with the same names.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace pymi::cuda::detail {

using Stream = cudaStream_t;

[[noreturn]] inline void throw_cuda(cudaError_t err, const char* what) {
    // Clear a non-sticky error so that later calls in this thread start clean.
    (void)cudaGetLastError();
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(err) +
                             " (" + cudaGetErrorName(err) + ")");
}

inline void check(cudaError_t err, const char* what) {
    if (err != cudaSuccess) throw_cuda(err, what);
}

// Owns count elements of device memory; freed on every path (cudaFree waits
// for the kernels that might still use the buffer).
template <class U>
class DeviceBuffer {
  public:
    explicit DeviceBuffer(std::size_t count) : count_(count) {
        if (count_ > 0) check(cudaMalloc(reinterpret_cast<void**>(&ptr_), count_ * sizeof(U)),
                              "cudaMalloc");
    }
    ~DeviceBuffer() {
        if (ptr_) (void)cudaFree(ptr_);
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    U* get() const { return ptr_; }
    std::size_t size() const { return count_; }

    void zero(Stream s) {
        if (count_ > 0) check(cudaMemsetAsync(ptr_, 0, count_ * sizeof(U), s), "cudaMemsetAsync");
    }
    void upload(const U* host, Stream s) {
        if (count_ > 0)
            check(cudaMemcpyAsync(ptr_, host, count_ * sizeof(U), cudaMemcpyHostToDevice, s),
                  "cudaMemcpyAsync (host to device)");
    }
    void download(U* host, Stream s) const {
        if (count_ > 0)
            check(cudaMemcpyAsync(host, ptr_, count_ * sizeof(U), cudaMemcpyDeviceToHost, s),
                  "cudaMemcpyAsync (device to host)");
    }

  private:
    U* ptr_ = nullptr;
    std::size_t count_;
};

// A non-blocking stream owned by one call.
class StreamGuard {
  public:
    StreamGuard() { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "cudaStreamCreate"); }
    ~StreamGuard() { (void)cudaStreamDestroy(s_); }
    StreamGuard(const StreamGuard&) = delete;
    StreamGuard& operator=(const StreamGuard&) = delete;
    Stream get() const { return s_; }
    void sync() const { check(cudaStreamSynchronize(s_), "kernel execution (cudaStreamSynchronize)"); }

  private:
    cudaStream_t s_ = nullptr;
};

template <class Kernel>
void set_dynamic_smem(Kernel kern, std::size_t bytes) {
    check(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(bytes)),
          "cudaFuncSetAttribute (dynamic shared memory)");
}

inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

template <class U>
void zero_async(U* ptr, std::size_t count, Stream s) {
    if (count > 0) check(cudaMemsetAsync(ptr, 0, count * sizeof(U), s), "cudaMemsetAsync");
}

// Wait for the stream before a scratch buffer used by its kernels goes out of scope.
inline void stream_sync_before_free(Stream s) {
    check(cudaStreamSynchronize(s), "kernel execution (cudaStreamSynchronize)");
}

}  // namespace pymi::cuda::detail

#define PYMI_LAUNCH(kern, grid, block, smem, stream, ...)             \
    do {                                                              \
        kern<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__);     \
        ::pymi::cuda::detail::check_launch("kernel launch (" #kern ")"); \
    } while (0)

#define PYMI_DYNAMIC_SHARED(name) extern __shared__ __align__(16) unsigned char name[]

#define PYMI_NOINLINE __noinline__
