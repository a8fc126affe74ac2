// 256-bit vector types (GCC/Clang vector extensions) and a fused multiply-add
// that is used identically by the scalar and the vector kernels.
//
// Euclidean distances are accumulated as s = fma(diff, diff, s) everywhere
// when the target has FMA (and as s + diff * diff everywhere when it does not),
// so the kd-tree, the brute-force tiles and the radius counts produce
// bit-identical distances for the same pair; leaving the choice to the
// compiler's contraction would not (SLP-vectorised scalar code multiplies and
// adds separately).
#pragma once

#include "cpu/isa.hpp"

#include <cmath>

#if defined(__AVX__) || defined(__FMA__)
#include <immintrin.h>
#endif

namespace pymi {
namespace PYMI_ISA_NS {
namespace simd {

typedef float v8f __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));

// s + a * b, rounded once where the target has FMA.
inline float madd(float a, float b, float s) {
#if defined(__FMA__)
    return std::fma(a, b, s);
#else
    return s + a * b;
#endif
}
inline double madd(double a, double b, double s) {
#if defined(__FMA__)
    return std::fma(a, b, s);
#else
    return s + a * b;
#endif
}
inline v8f madd(v8f a, v8f b, v8f s) {
#if defined(__FMA__)
    return (v8f)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)s);
#else
    return s + a * b;
#endif
}
inline v4d madd(v4d a, v4d b, v4d s) {
#if defined(__FMA__)
    return (v4d)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)s);
#else
    return s + a * b;
#endif
}

// |v| by clearing the sign bits, in the floating-point domain (vandps/vandpd:
// an integer-domain AND would add bypass delays between the FP operations).
inline v8f abs(v8f v) {
#if defined(__AVX__)
    return (v8f)_mm256_and_ps((__m256)v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
#else
    typedef int v8i __attribute__((vector_size(32)));
    return (v8f)((v8i)v & ~(v8i)(-v8f{}));
#endif
}
inline v4d abs(v4d v) {
#if defined(__AVX__)
    return (v4d)_mm256_and_pd((__m256d)v, _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL)));
#else
    typedef long long v4i __attribute__((vector_size(32)));
    return (v4d)((v4i)v & ~(v4i)(-v4d{}));
#endif
}

}  // namespace simd
}  // namespace PYMI_ISA_NS
}  // namespace pymi
