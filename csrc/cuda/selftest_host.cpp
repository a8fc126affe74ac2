// Host emulation self-test of the CUDA kernels. Not part of the package (the
// build globs only csrc/cuda/*.cu). Build and run from the repository root:
//
//   g++ -std=c++20 -O1 -pthread -Wall -Wextra -Wno-unknown-pragmas -I csrc
//       csrc/cuda/selftest_host.cpp -o /tmp/pymi_cuda_selftest && /tmp/pymi_cuda_selftest
//
// kernels.cuh is compiled with the CUDA keywords defined away: every thread of
// a block runs as a std::thread, __syncthreads() is a std::barrier, __shared__
// arrays are function statics shared by the block's threads (blocks run one
// after another), dynamic shared memory is refilled with garbage per block.
// The launch planners (chunk width, splits, shared vs global top-k lists) run
// unchanged. Results are compared with naive loops; kNN and counts must match
// exactly (same floating-point operations), KDE to a tolerance (float32 exp2).
//
// What this cannot check: anything specific to the hardware or nvcc (register
// allocation, the PTX ex2 approximation, memory limits, the real scheduling of
// warps). The pytest suite on a GPU does that.
#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#define PYMI_CUDA_EMULATION 1

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct uint3 {
    unsigned x, y, z;
};

namespace pymi::cuda::emu {
inline thread_local uint3 thread_idx{0, 0, 0};
inline uint3 block_idx{0, 0, 0};
inline dim3 block_dim, grid_dim;
inline std::barrier<>* block_barrier = nullptr;
inline std::vector<unsigned char> dyn_smem;
inline long blocks_run = 0;

inline void sync() { block_barrier->arrive_and_wait(); }

template <class... P, class... A>
void launch(void (*kern)(P...), dim3 grid, dim3 block, std::size_t smem, A... args) {
    static_assert(sizeof...(P) == sizeof...(A), "kernel arity");
    grid_dim = grid;
    block_dim = block;
    for (unsigned by = 0; by < grid.y; ++by) {
        for (unsigned bx = 0; bx < grid.x; ++bx) {
            block_idx = {bx, by, 0};
            dyn_smem.assign(smem + 16, static_cast<unsigned char>(0xA5));  // garbage
            std::barrier<> bar(static_cast<std::ptrdiff_t>(block.x));
            block_barrier = &bar;
            std::vector<std::thread> threads;
            threads.reserve(block.x);
            for (unsigned t = 0; t < block.x; ++t)
                threads.emplace_back([&, t] {
                    thread_idx = {t, 0, 0};
                    kern(static_cast<P>(args)...);
                });
            for (auto& th : threads) th.join();
            ++blocks_run;
        }
    }
}
}  // namespace pymi::cuda::emu

namespace pymi::cuda::detail {
using Stream = int;
template <class U>
class DeviceBuffer {
  public:
    explicit DeviceBuffer(std::size_t n) : p_(new U[n > 0 ? n : 1]), n_(n) {
        std::memset(static_cast<void*>(p_.get()), 0x5A, sizeof(U) * (n > 0 ? n : 1));  // garbage
    }
    U* get() const { return p_.get(); }
    std::size_t size() const { return n_; }

  private:
    std::unique_ptr<U[]> p_;
    std::size_t n_;
};
template <class K>
void set_dynamic_smem(K, std::size_t) {}
template <class U>
void zero_async(U* p, std::size_t n, Stream) {
    std::fill(p, p + n, U(0));
}
inline void stream_sync_before_free(Stream) {}
}  // namespace pymi::cuda::detail

#define PYMI_LAUNCH(kern, grid, block, smem, stream, ...) \
    ::pymi::cuda::emu::launch(kern, grid, block, smem, __VA_ARGS__)
#define PYMI_DYNAMIC_SHARED(name) unsigned char* name = ::pymi::cuda::emu::dyn_smem.data()
#define PYMI_NOINLINE
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __syncthreads() ::pymi::cuda::emu::sync()
#define threadIdx (::pymi::cuda::emu::thread_idx)
#define blockIdx (::pymi::cuda::emu::block_idx)
#define blockDim (::pymi::cuda::emu::block_dim)
#define gridDim (::pymi::cuda::emu::grid_dim)

#include "cuda/kernels.cuh"

using namespace pymi::cuda::detail;

static int failures = 0;
static int checks = 0;

#define EXPECT(cond, ...)                                  \
    do {                                                   \
        ++checks;                                          \
        if (!(cond)) {                                     \
            if (++failures <= 20) {                        \
                std::printf("FAIL %s:%d: ", __FILE__, __LINE__); \
                std::printf(__VA_ARGS__);                  \
                std::printf("\n");                         \
            }                                              \
        }                                                  \
    } while (0)

// ---- naive references (same floating-point operations as the kernels) ----

template <class M, class T>
T raw_dist(const std::vector<T>& x, int d, index_t i, index_t j) {
    T acc = T(0);
    for (int c = 0; c < d; ++c) acc = M::accum(acc, x[i * d + c] - x[j * d + c]);
    return acc;
}

template <class M, class T>
void knn_ref(const std::vector<T>& x, index_t n, int d, int k, std::vector<T>& dist,
             std::vector<index_t>& idx) {
    dist.assign(n * k, T(0));
    idx.assign(n * k, 0);
    std::vector<std::pair<T, index_t>> row;
    for (index_t i = 0; i < n; ++i) {
        row.clear();
        for (index_t j = 0; j < n; ++j)
            if (j != i) row.emplace_back(raw_dist<M>(x, d, i, j), j);
        std::sort(row.begin(), row.end());
        for (int p = 0; p < k; ++p) {
            dist[i * k + p] = M::finish(row[p].first);
            idx[i * k + p] = row[p].second;
        }
    }
}

template <class M, class T>
std::vector<index_t> count_ref(const std::vector<T>& x, index_t n, int d, const std::vector<T>& r) {
    std::vector<index_t> c(n, 0);
    for (index_t i = 0; i < n; ++i)
        for (index_t j = 0; j < n; ++j)
            if (j != i && M::finish(raw_dist<M>(x, d, i, j)) < r[i]) ++c[i];
    return c;
}

template <class T>
std::vector<double> kde_ref(const std::vector<T>& x, index_t n, int d, const std::vector<double>& h,
                            const std::vector<double>& s) {
    const index_t m = static_cast<index_t>(h.size());
    std::vector<double> out(m * n);
    for (index_t b = 0; b < m; ++b)
        for (index_t i = 0; i < n; ++i) {
            const double g = 1.0 / (2.0 * h[b] * h[b]);
            double sum = 0.0;
            for (index_t j = 0; j < n; ++j) {
                if (j == i) continue;
                double dd = 0.0;
                for (int c = 0; c < d; ++c) {
                    const double df = double(x[i * d + c]) - double(x[j * d + c]);
                    dd += df * df;
                }
                sum += std::exp(-(dd - s[i]) * g);
            }
            out[b * n + i] = std::log(sum) - s[i] * g;
        }
    return out;
}

// ---- data ----

template <class T>
std::vector<T> make_data(index_t n, int d, int kind, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> gauss(0.0, 1.0);
    std::uniform_int_distribution<int> small(0, 2);
    std::vector<T> x(n * d);
    for (auto& v : x) v = kind == 0 ? static_cast<T>(gauss(rng)) : static_cast<T>(small(rng));
    return x;
}

const char* tname(float) { return "float"; }
const char* tname(double) { return "double"; }

// ---- tests ----

template <class T, class M>
void test_knn(index_t n, int d, int k, int kind, const DeviceInfo& info, const char* label) {
    const auto x = make_data<T>(n, d, kind, static_cast<unsigned>(n * 31 + d * 7 + k));
    std::vector<T> rd;
    std::vector<index_t> ri;
    knn_ref<M>(x, n, d, k, rd, ri);
    std::vector<T> gd(n * k);
    std::vector<index_t> gi(n * k);
    run_knn<T>(info, 0, x.data(), n, d, k, std::is_same_v<M, SqEuclidean>, gd.data(), gi.data());
    int bad = 0;
    for (index_t e = 0; e < n * k; ++e)
        if (gd[e] != rd[e] || gi[e] != ri[e]) {
            if (bad++ == 0)
                std::printf("  knn mismatch at row %lld col %lld: got (%g,%lld) want (%g,%lld)\n",
                            (long long)(e / k), (long long)(e % k), double(gd[e]), (long long)gi[e],
                            double(rd[e]), (long long)ri[e]);
        }
    EXPECT(bad == 0, "knn<%s,%s> %s n=%lld d=%d k=%d kind=%d: %d mismatches", tname(T{}),
           std::is_same_v<M, SqEuclidean> ? "euclid" : "cheb", label, (long long)n, d, k, kind, bad);
}

template <class T, class M>
void test_count(index_t n, int d, int kind, const DeviceInfo& info) {
    const auto x = make_data<T>(n, d, kind, static_cast<unsigned>(n * 13 + d));
    // radii: the 3rd-NN distance (exact boundary ties), with 0 and +inf sprinkled in
    std::vector<T> rd;
    std::vector<index_t> ri;
    const int kr = static_cast<int>(std::min<index_t>(3, n - 1));
    std::vector<T> r(n, T(1));
    if (kr > 0) {
        knn_ref<M>(x, n, d, kr, rd, ri);
        for (index_t i = 0; i < n; ++i) r[i] = rd[i * kr + kr - 1];
    }
    r[0] = T(0);
    if (n > 5) r[5] = std::numeric_limits<T>::infinity();
    std::vector<T> thr(n);
    for (index_t i = 0; i < n; ++i) thr[i] = M::threshold(r[i]);
    const auto want = count_ref<M>(x, n, d, r);
    std::vector<unsigned long long> got(n, 12345);
    run_count<T>(info, 0, x.data(), n, d, thr.data(), std::is_same_v<M, SqEuclidean>, got.data());
    int bad = 0;
    for (index_t i = 0; i < n; ++i)
        if (static_cast<index_t>(got[i]) != want[i]) {
            if (bad++ == 0)
                std::printf("  count mismatch at %lld: got %llu want %lld\n", (long long)i, got[i],
                            (long long)want[i]);
        }
    EXPECT(bad == 0, "count<%s,%s> n=%lld d=%d kind=%d: %d mismatches", tname(T{}),
           std::is_same_v<M, SqEuclidean> ? "euclid" : "cheb", (long long)n, d, kind, bad);
}

template <class T, class M>
void test_count_pair(index_t n, int dx, int dy, int kind, const DeviceInfo& info) {
    const auto x = make_data<T>(n, dx, kind, static_cast<unsigned>(n + 3 * dx));
    const auto y = make_data<T>(n, dy, kind, static_cast<unsigned>(n + 5 * dy + 1));
    // joint max-norm kNN radius as in KSG
    std::vector<T> z(n * (dx + dy));
    for (index_t i = 0; i < n; ++i) {
        for (int c = 0; c < dx; ++c) z[i * (dx + dy) + c] = x[i * dx + c];
        for (int c = 0; c < dy; ++c) z[i * (dx + dy) + dx + c] = y[i * dy + c];
    }
    std::vector<T> rd;
    std::vector<index_t> ri;
    knn_ref<M>(z, n, dx + dy, 4, rd, ri);
    std::vector<T> r(n), thr(n);
    for (index_t i = 0; i < n; ++i) {
        r[i] = rd[i * 4 + 3];
        thr[i] = M::threshold(r[i]);
    }
    const auto wx = count_ref<M>(x, n, dx, r);
    const auto wy = count_ref<M>(y, n, dy, r);
    std::vector<unsigned long long> gx(n, 7), gy(n, 7);
    run_count_pair<T>(info, 0, x.data(), dx, y.data(), dy, n, thr.data(),
                      std::is_same_v<M, SqEuclidean>, gx.data(), gy.data());
    int bad = 0;
    for (index_t i = 0; i < n; ++i)
        if (static_cast<index_t>(gx[i]) != wx[i] || static_cast<index_t>(gy[i]) != wy[i]) ++bad;
    EXPECT(bad == 0, "count_pair<%s,%s> n=%lld dx=%d dy=%d kind=%d: %d mismatches", tname(T{}),
           std::is_same_v<M, SqEuclidean> ? "euclid" : "cheb", (long long)n, dx, dy, kind, bad);
}

template <class T>
void test_kde(index_t n, int d, int m, const DeviceInfo& info) {
    const auto x = make_data<T>(n, d, 0, static_cast<unsigned>(n * 3 + d + m));
    std::vector<T> rd;
    std::vector<index_t> ri;
    std::vector<double> s(n, 0.0), h(m);
    if (n > 1) {
        knn_ref<SqEuclidean>(x, n, d, 1, rd, ri);
        for (index_t i = 0; i < n; ++i) s[i] = double(rd[i]) * double(rd[i]);
    }
    for (int b = 0; b < m; ++b) h[b] = 0.05 * std::pow(1.6, b);
    const auto want = kde_ref(x, n, d, h, s);
    std::vector<double> got(m * n, -7.0);
    run_kde<T>(info, 0, x.data(), n, d, h.data(), m, s.data(), got.data());
    double worst = 0.0;
    index_t at = 0;
    for (index_t e = 0; e < m * n; ++e) {
        const double err = got[e] == want[e]
                               ? 0.0
                               : std::fabs(got[e] - want[e]) / std::max(1.0, std::fabs(want[e]));
        if (!(err <= worst)) {
            worst = err;
            at = e;
        }
    }
    const double tol = std::is_same_v<T, float> ? 2e-5 : 2e-6;
    EXPECT(worst <= tol, "kde<%s> n=%lld d=%d m=%d: max rel err %.3g at b=%lld i=%lld (got %.9g want %.9g)",
           tname(T{}), (long long)n, d, m, worst, (long long)(at / n), (long long)(at % n), got[at],
           want[at]);
    std::printf("  kde<%s> n=%lld d=%d m=%d: max rel err %.3g\n", tname(T{}), (long long)n, d, m, worst);
}

// The shift pymi._kde gives the KDE kernel on the GPU: squared kNN distances
// (SqEuclideanSquared), bit-identical to the KDE kernel's own, so that even at a
// bandwidth 1e-6 of the nearest-neighbour distance every row is exactly
// c s_i + log(#nearest at that distance) (here 1: no duplicates).
template <class T>
void test_kde_tiny_h_with_knn_shift(index_t n, int d, const DeviceInfo& info) {
    const auto x = make_data<T>(n, d, 0, static_cast<unsigned>(n + 7 * d));
    std::vector<T> sd(n);
    std::vector<index_t> si(n);
    run_knn<T>(info, 0, x.data(), n, d, 1, true, sd.data(), si.data(), true);
    std::vector<double> s(n);
    double smin = 1e300;
    for (index_t i = 0; i < n; ++i) {
        s[i] = double(sd[i]);
        if (s[i] > 0) smin = std::min(smin, s[i]);
    }
    const double h = 1e-6 * std::sqrt(smin);
    std::vector<double> got(n, -7.0);
    run_kde<T>(info, 0, x.data(), n, d, &h, 1, s.data(), got.data());
    const double c = -0.5 / (h * h);
    int bad = 0;
    for (index_t i = 0; i < n; ++i) {
        const double want = c * s[i];
        if (!(std::fabs(got[i] - want) <= 1e-6 * std::max(1.0, std::fabs(want)))) ++bad;
    }
    EXPECT(bad == 0, "kde<%s> tiny h with the kNN shift, n=%lld d=%d: %d rows off", tname(T{}),
           (long long)n, d, bad);
}

template <class T>
void test_threshold() {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-3.0, 3.0);
    int bad = 0;
    for (int t = 0; t < 20000; ++t) {
        const T r = static_cast<T>(std::pow(10.0, u(rng)));
        const T thr = SqEuclidean::threshold(r);
        T v = r * r;
        for (int s = 0; s < 6; ++s) v = std::nextafter(v, T(0));
        for (int s = 0; s < 12; ++s, v = std::nextafter(v, std::numeric_limits<T>::infinity()))
            if (SqEuclidean::within(v, thr) != (std::sqrt(v) < r)) ++bad;
    }
    EXPECT(bad == 0, "threshold<%s>: %d mismatches", tname(T{}), bad);
    EXPECT(SqEuclidean::threshold(T(0)) < T(0), "threshold(0)");
    EXPECT(!(T(0) <= SqEuclidean::threshold(T(0))), "threshold(0) excludes duplicates");
    EXPECT(SqEuclidean::threshold(std::numeric_limits<T>::infinity()) ==
               std::numeric_limits<T>::max(),
           "threshold(inf)");
}

void test_planning() {
    for (int d = 1; d <= 40; ++d) {
        const int c = choose_chunk(d);
        EXPECT(c == 4 || c == 8 || c == 16, "chunk %d for d=%d", c, d);
    }
    for (index_t n : {1, 31, 32, 33, 500, 4096, 10000, 123457, 1000000}) {
        for (int sms : {1, 16, 132}) {
            DeviceInfo info;
            info.sm_count = sms;
            index_t per = 0;
            const index_t s = plan_splits(n, info, &per);
            const index_t tiles = (n + kTile - 1) / kTile;
            EXPECT(s >= 1 && per >= 1 && s * per >= tiles && (s - 1) * per < tiles,
                   "splits n=%lld sms=%d: s=%lld per=%lld tiles=%lld", (long long)n, sms,
                   (long long)s, (long long)per, (long long)tiles);
        }
    }
}

int main() {
    DeviceInfo big;  // many SMs: small n gets split over blockIdx.y
    big.sm_count = 64;
    big.smem_optin = 227 * 1024;
    DeviceInfo tiny;  // no room for shared top-k lists: global-list path
    tiny.sm_count = 1;
    tiny.smem_optin = 1024;

    test_threshold<float>();
    test_threshold<double>();
    test_planning();

    // kNN: every chunk width (d = 1, 3, 5, 8, 12, 17, 33), ties (kind 1 = {0,1,2} grid)
    for (int kind : {0, 1}) {
        for (int d : {1, 3, 5, 8, 12, 17, 33}) {
            test_knn<float, SqEuclidean>(203, d, 5, kind, big, "shared");
            test_knn<double, Chebyshev>(203, d, 5, kind, big, "shared");
        }
        test_knn<double, SqEuclidean>(300, 4, 64, kind, big, "shared");
        test_knn<float, Chebyshev>(300, 2, 64, kind, big, "shared");
        test_knn<float, SqEuclidean>(300, 6, 64, kind, tiny, "global");
        test_knn<double, Chebyshev>(150, 3, 149, kind, tiny, "global");
        test_knn<float, SqEuclidean>(2, 1, 1, kind, big, "shared");
        test_knn<float, Chebyshev>(129, 2, 1, kind, tiny, "global");
    }
    std::printf("knn done (%d checks, %d failures)\n", checks, failures);

    for (int kind : {0, 1}) {
        for (int d : {1, 3, 9, 20}) {
            test_count<float, SqEuclidean>(1000, d, kind, big);
            test_count<double, Chebyshev>(1000, d, kind, big);
        }
        test_count<double, SqEuclidean>(77, 2, kind, tiny);
        test_count<float, Chebyshev>(1, 2, kind, big);
        test_count_pair<float, Chebyshev>(1000, 1, 1, kind, big);
        test_count_pair<double, Chebyshev>(700, 3, 17, kind, big);
        test_count_pair<float, SqEuclidean>(300, 5, 2, kind, tiny);
    }
    std::printf("counts done (%d checks, %d failures)\n", checks, failures);

    test_kde<float>(1000, 3, 7, big);
    test_kde<double>(1000, 3, 7, big);
    test_kde<float>(333, 17, 11, tiny);
    test_kde<double>(260, 1, 9, big);
    test_kde<float>(1, 2, 3, big);  // single point: log(0) = -inf both ways
    test_kde_tiny_h_with_knn_shift<float>(500, 3, big);
    test_kde_tiny_h_with_knn_shift<double>(300, 17, big);

    std::printf("%d checks, %d failures, %ld emulated blocks\n", checks, failures,
                pymi::cuda::emu::blocks_run);
    return failures == 0 ? 0 : 1;
}
