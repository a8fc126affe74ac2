// Fast float32 exp / exp2 for the KDE kernel sums.
//
// 2^u = 2^n * p(f), n = round(u), f = u - n in [-1/2, 1/2] (exact), p a
// degree-6 polynomial fitted to the relative error of 2^f on that interval
// (fit error 2e-9; evaluated in float32 the max relative error is ~1e-7, i.e.
// ~1 ulp). 2^n is added directly to the exponent bits. Arguments below
// kExp2Flush flush to exactly 0, so no denormal is ever produced (they are
// slow on x86). Branch-free, with memcpy bit casts, so that gcc/clang
// vectorise it inside `omp simd` loops (AVX2: 8 lanes, AVX-512: 16 lanes;
// plain SSE2 works too).
//
// The kernel works in base 2 (u = t * log2(e) folded into the bandwidth
// constant): that saves the Cody-Waite two-step reduction, whose extra
// accuracy would be lost anyway because t itself is a rounded float32
// product (relative error ~1e-7 of t, the same as the u rounding here).
//
// Domain: u <= 127 (t <= 88); -inf gives 0. Larger u, and NaN, give garbage,
// which the caller excludes (kde.cpp keeps every exponent below 2^16 with its
// online shift and checks the largest exponent of every row before trusting
// its sum).
#pragma once

#include "cpu/isa.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace pymi {
namespace PYMI_ISA_NS {
namespace kde {

// Below this exponent (2^-124 = 2.4e-38, i.e. e^-86) the result is 0: with
// n >= -124 and p(f) >= 1/sqrt(2) every non-flushed result is a normal float.
constexpr float kExp2Flush = -124.0f;
constexpr float kLog2e = 1.44269504088896341f;

#if defined(__GNUC__)
#define PYMI_KDE_INLINE inline __attribute__((always_inline))
#else
#define PYMI_KDE_INLINE inline
#endif

// p * 2^n, with kf = n + shifter the float whose low mantissa bits hold n;
// 0 when `flush_if_below` < kExp2Flush. The bits of kf are 0x4B400000 + n for
// |n| < 2^22, and (0x4B400000 << 23) vanishes mod 2^32, so (bits(kf) << 23) =
// n << 23: adding it to the bits of p in [2^-1/2, 2^1/2] multiplies p by 2^n
// exactly (an integer add, no float multiply; the result stays normal for
// -124 <= n <= 127). The flush is a bit mask rather than `x < kExp2Flush ? 0 :
// v`, which gcc may turn into a branch that blocks vectorisation.
PYMI_KDE_INLINE float scale_by_exp2(float p, float kf, float flush_if_below) {
    std::uint32_t kb, vb;
    std::memcpy(&kb, &kf, sizeof kb);
    std::memcpy(&vb, &p, sizeof vb);
    vb += kb << 23;
    vb &= 0u - static_cast<std::uint32_t>(!(flush_if_below < kExp2Flush));
    float out;
    std::memcpy(&out, &vb, sizeof out);
    return out;
}

PYMI_KDE_INLINE float fast_exp2f(float u) {
    constexpr float kShifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    constexpr float c6 = 1.53533605e-04f;
    constexpr float c5 = 1.33988750e-03f;
    constexpr float c4 = 9.61843692e-03f;
    constexpr float c3 = 5.55033237e-02f;
    constexpr float c2 = 2.40226477e-01f;
    constexpr float c1 = 6.93147182e-01f;

    const float kf = u + kShifter;  // low mantissa bits hold n = round(u)
    const float n = kf - kShifter;
    const float f = u - n;  // exact
    float p = c6;
    p = p * f + c5;
    p = p * f + c4;
    p = p * f + c3;
    p = p * f + c2;
    p = p * f + c1;
    p = p * f + 1.0f;
    return scale_by_exp2(p, kf, u);
}

// 2^(r * c), the KDE kernel's exponential: the product is folded into the
// range reduction (kf = fma(r, c, shifter), f = fma(r, c, -n), so r * c is never
// rounded on its own), and the polynomial has degree 5 (p(0) = 1 exactly, the
// rest minimax for the relative error, then nudged in float32 ulps to minimise
// the error of the float32 FMA evaluation): max relative error 1.6e-7
// (measured on 4e5 points of [-1/2, 1/2]), against 1e-7 for fast_exp2f. One
// polynomial step less shortens the dependent FMA chain that bounds the
// kernel's exponential phase: 10-17 % faster kernel at m = 5 bandwidths.
// round(r * c) < -124 flushes to exactly 0; domain r * c <= 127.
PYMI_KDE_INLINE float fast_exp2f_scaled(float r, float c) {
    constexpr float kShifter = 12582912.0f;
    constexpr float c5 = 0.001326472731307149f;
    constexpr float c4 = 0.009671512991189957f;
    constexpr float c3 = 0.05550733208656311f;
    constexpr float c2 = 0.24022245407104492f;
    constexpr float c1 = 0.6931470036506653f;
    constexpr float c0 = 1.0f;  // exactly: 2^0 = 1;
#if defined(__FMA__)
    const float kf = std::fma(r, c, kShifter);
    const float n = kf - kShifter;
    const float f = std::fma(r, c, -n);
#else
    const float u = r * c;
    const float kf = u + kShifter;
    const float n = kf - kShifter;
    const float f = u - n;
#endif
    float p = c5;
    p = p * f + c4;
    p = p * f + c3;
    p = p * f + c2;
    p = p * f + c1;
    p = p * f + c0;
    return scale_by_exp2(p, kf, n);
}

// e^t; t <= 88, t < -85.95 flushes to 0.
PYMI_KDE_INLINE float fast_expf(float t) { return fast_exp2f(t * kLog2e); }

}  // namespace kde
}  // namespace PYMI_ISA_NS
}  // namespace pymi
