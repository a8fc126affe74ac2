// Register-blocked distance tiles for the brute-force kernels.
//
// The reference points are stored transposed in tiles of NR = 2 vectors of
// points (16 floats / 8 doubles): tile t holds, for every coordinate c, the
// c-th coordinates of points t*NR .. t*NR+NR-1 contiguously. The microkernel
// computes the reduced distances of MQ query rows against one tile: per
// coordinate, two vector loads, MQ broadcasts, 2*MQ subtractions and 2*MQ
// multiply-adds (Euclidean) or abs/max (Chebyshev), all in registers. The
// differences are formed exactly like the scalar kernels (x_ref - x_query,
// accumulated over c = 0..d-1), so the distances are exact -- no norm-expansion
// cancellation -- and the kNN distances need no recomputation.
//
// Written with GCC/Clang vector extensions (portable across x86 ISAs; with
// -march=native they become AVX2/AVX-512 instructions); the lane-mask extraction
// uses AVX intrinsics when available.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#if defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include "cpu/common.hpp"
#include "cpu/simd.hpp"

namespace pymi {
namespace PYMI_ISA_NS {
namespace tile {

using simd::v4d;
using simd::v8f;

template <class T>
struct Vec;
template <>
struct Vec<float> {
    using type = v8f;
    static constexpr int W = 8;
};
template <>
struct Vec<double> {
    using type = v4d;
    static constexpr int W = 4;
};

template <class T>
using vec_t = typename Vec<T>::type;
template <class T>
using mask_t = decltype(vec_t<T>{} < vec_t<T>{});

template <class T>
inline vec_t<T> load(const T* p) {
    vec_t<T> v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T>
inline vec_t<T> splat(T s) {
    return vec_t<T>{} + s;
}

// Whether any lane of a comparison mask is set.
#if !defined(__AVX__) && defined(__SSE2__)
// Without AVX a 256-bit vector is two SSE registers: the masks below work on
// the halves (a lane-by-lane loop costs the baseline build a large factor).
template <class V>
inline void halves(const V& v, __m128i& lo, __m128i& hi) {
    std::memcpy(&lo, &v, 16);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 16, 16);
}
#endif

inline bool any_lane(decltype(v8f{} < v8f{}) m) {
#if defined(__AVX__)
    return !_mm256_testz_si256((__m256i)m, (__m256i)m);
#elif defined(__SSE2__)
    __m128i lo, hi;
    halves(m, lo, hi);
    return _mm_movemask_epi8(_mm_or_si128(lo, hi)) != 0;
#else
    for (int i = 0; i < 8; ++i)
        if (m[i]) return true;
    return false;
#endif
}
inline bool any_lane(decltype(v4d{} < v4d{}) m) {
#if defined(__AVX__)
    return !_mm256_testz_si256((__m256i)m, (__m256i)m);
#elif defined(__SSE2__)
    __m128i lo, hi;
    halves(m, lo, hi);
    return _mm_movemask_epi8(_mm_or_si128(lo, hi)) != 0;
#else
    for (int i = 0; i < 4; ++i)
        if (m[i]) return true;
    return false;
#endif
}

// Bit m is set when lane m of a is <= b.
inline unsigned le_bits(v8f a, v8f b) {
#if defined(__AVX__)
    return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps((__m256)a, (__m256)b, _CMP_LE_OQ)));
#elif defined(__SSE2__)
    __m128i a0, a1, b0, b1;
    halves(a, a0, a1);
    halves(b, b0, b1);
    return static_cast<unsigned>(_mm_movemask_ps(_mm_cmple_ps(_mm_castsi128_ps(a0), _mm_castsi128_ps(b0))) |
                                 (_mm_movemask_ps(_mm_cmple_ps(_mm_castsi128_ps(a1), _mm_castsi128_ps(b1))) << 4));
#else
    const auto m = a <= b;
    unsigned bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<unsigned>(m[i] != 0) << i;
    return bits;
#endif
}
inline unsigned le_bits(v4d a, v4d b) {
#if defined(__AVX__)
    return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd((__m256d)a, (__m256d)b, _CMP_LE_OQ)));
#elif defined(__SSE2__)
    __m128i a0, a1, b0, b1;
    halves(a, a0, a1);
    halves(b, b0, b1);
    return static_cast<unsigned>(_mm_movemask_pd(_mm_cmple_pd(_mm_castsi128_pd(a0), _mm_castsi128_pd(b0))) |
                                 (_mm_movemask_pd(_mm_cmple_pd(_mm_castsi128_pd(a1), _mm_castsi128_pd(b1))) << 2));
#else
    const auto m = a <= b;
    unsigned bits = 0;
    for (int i = 0; i < 4; ++i) bits |= static_cast<unsigned>(m[i] != 0) << i;
    return bits;
#endif
}

// Bit m is set when lane m of a is < b.
inline unsigned lt_bits(v8f a, v8f b) {
#if defined(__AVX__)
    return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps((__m256)a, (__m256)b, _CMP_LT_OQ)));
#elif defined(__SSE2__)
    __m128i a0, a1, b0, b1;
    halves(a, a0, a1);
    halves(b, b0, b1);
    return static_cast<unsigned>(_mm_movemask_ps(_mm_cmplt_ps(_mm_castsi128_ps(a0), _mm_castsi128_ps(b0))) |
                                 (_mm_movemask_ps(_mm_cmplt_ps(_mm_castsi128_ps(a1), _mm_castsi128_ps(b1))) << 4));
#else
    const auto m = a < b;
    unsigned bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<unsigned>(m[i] != 0) << i;
    return bits;
#endif
}
inline unsigned lt_bits(v4d a, v4d b) {
#if defined(__AVX__)
    return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd((__m256d)a, (__m256d)b, _CMP_LT_OQ)));
#elif defined(__SSE2__)
    __m128i a0, a1, b0, b1;
    halves(a, a0, a1);
    halves(b, b0, b1);
    return static_cast<unsigned>(_mm_movemask_pd(_mm_cmplt_pd(_mm_castsi128_pd(a0), _mm_castsi128_pd(b0))) |
                                 (_mm_movemask_pd(_mm_cmplt_pd(_mm_castsi128_pd(a1), _mm_castsi128_pd(b1))) << 2));
#else
    const auto m = a < b;
    unsigned bits = 0;
    for (int i = 0; i < 4; ++i) bits |= static_cast<unsigned>(m[i] != 0) << i;
    return bits;
#endif
}

// Points transposed into tiles of NR points; padding lanes hold +inf so their
// reduced distance is +inf (never counted by a strict '<', never a neighbour).
// The dimensions of x and y are concatenated (y may be null with dy == 0).
template <class T>
class Tiled {
  public:
    static constexpr int W = Vec<T>::W;
    static constexpr int NR = 2 * W;

    Tiled(const T* x, int dx, const T* y, int dy, index_t n)
        : n_(n), d_(dx + dy), ntiles_((n + NR - 1) / NR), size_(static_cast<std::size_t>(ntiles_) * d_ * NR),
          data_(static_cast<T*>(::operator new[](size_ * sizeof(T), std::align_val_t(64)))) {
        const T inf = std::numeric_limits<T>::infinity();
        for (index_t t = 0; t < ntiles_; ++t) {
            T* tp = tile(t);
            for (int l = 0; l < NR; ++l) {
                const index_t i = t * NR + l;
                for (int c = 0; c < d_; ++c) {
                    T v = inf;
                    if (i < n) v = c < dx ? x[i * dx + c] : y[i * dy + (c - dx)];
                    tp[c * NR + l] = v;
                }
            }
        }
    }

    index_t ntiles() const { return ntiles_; }
    int d() const { return d_; }
    T* tile(index_t t) { return data_.get() + static_cast<std::size_t>(t) * d_ * NR; }
    const T* tile(index_t t) const { return data_.get() + static_cast<std::size_t>(t) * d_ * NR; }

  private:
    struct AlignedDelete {
        void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
    };
    index_t n_;
    int d_;
    index_t ntiles_;
    std::size_t size_;
    std::unique_ptr<T[], AlignedDelete> data_;
};

// acc[i][h] = reduced distances of query row q[i] (len coordinates) to the NR
// points of the tile slice `tp` (coordinate-major, NR per coordinate).
template <class T, class P, int MQ>
__attribute__((always_inline)) inline void microkernel(const T* const* q, const T* tp, int len, vec_t<T> (&acc)[MQ][2]) {
    constexpr int W = Vec<T>::W;
    constexpr int NR = 2 * W;
    // Local, never address-taken accumulators: kept in registers (writing
    // into `acc` inside the loop would force a store per step, because the
    // query loads could alias it).
    vec_t<T> a[MQ][2];
    const T* qi[MQ];
#pragma GCC unroll 8
    for (int i = 0; i < MQ; ++i) {
        a[i][0] = a[i][1] = vec_t<T>{};
        qi[i] = q[i];
    }
    for (int c = 0; c < len; ++c) {
        const vec_t<T> r0 = load(tp + c * NR);
        const vec_t<T> r1 = load(tp + c * NR + W);
#pragma GCC unroll 8
        for (int i = 0; i < MQ; ++i) {
            const T qc = qi[i][c];
            a[i][0] = P::vacc(a[i][0], r0 - qc);
            a[i][1] = P::vacc(a[i][1], r1 - qc);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MQ; ++i) {
        acc[i][0] = a[i][0];
        acc[i][1] = a[i][1];
    }
}

// Number of tiles per cache block: the block of reference tiles that a group
// of query rows sweeps is kept around `bytes` so it stays in L1/L2.
template <class T>
inline index_t tiles_per_block(int d, std::size_t bytes) {
    const std::size_t per_tile = static_cast<std::size_t>(d) * Tiled<T>::NR * sizeof(T);
    return static_cast<index_t>(std::max<std::size_t>(1, bytes / per_tile));
}

}  // namespace tile
}  // namespace PYMI_ISA_NS
}  // namespace pymi
