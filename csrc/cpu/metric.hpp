// Metric policies for the neighbour kernels (kd-tree, brute force, counts).
//
// Every kernel works with a *reduced* distance that is cheaper than the true
// one and orders pairs the same way: the squared distance for Euclidean, the
// distance itself for Chebyshev (max-norm). A policy says how to accumulate
// one coordinate difference into the reduced distance, how to convert between
// reduced and true distances, and gives vector versions for the tiled kernels.
//
// Accumulation runs over the coordinates in order 0..d-1 in every kernel, so a
// pair gets bit-identical reduced distances in the kd-tree, the brute-force
// tiles and the radius counts (Chebyshev is exact in any order; Euclidean sums
// in the same order).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "cpu/common.hpp"
#include "cpu/simd.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

struct EuclideanPolicy {
    static constexpr Metric metric = Metric::Euclidean;
    template <class T>
    static inline T acc(T s, T diff) {
        return simd::madd(diff, diff, s);
    }
    template <class T>
    static inline T to_dist(T reduced) {
        return std::sqrt(reduced);
    }
    template <class T>
    static inline T to_reduced(T dist) {
        return dist * dist;
    }
    // The reduced radius t with  s < t  <=>  sqrt(s) < r  for every float s, so
    // a strict count agrees bit for bit with the distances the kNN returns
    // (r * r alone can be one ulp off either way). sqrt is monotone, so t is the
    // smallest s with sqrt(s) >= r; it lies within a few ulps of r * r.
    template <class T>
    static inline T strict_radius(T r) {
        const T lowest = T(0);
        T t = r * r;
        if (std::sqrt(t) >= r) {
            for (int it = 0; it < 64 && t > lowest; ++it) {
                const T prev = std::nextafter(t, lowest);
                if (std::sqrt(prev) < r) break;
                t = prev;
            }
        } else {
            const T inf = std::numeric_limits<T>::infinity();
            for (int it = 0; it < 64 && std::sqrt(t) < r; ++it) t = std::nextafter(t, inf);
        }
        return t;
    }
    // Vector version (GCC/Clang vector extensions).
    template <class V>
    static inline V vacc(V s, V diff) {
        return simd::madd(diff, diff, s);
    }
};

struct ChebyshevPolicy {
    static constexpr Metric metric = Metric::Chebyshev;
    template <class T>
    static inline T acc(T s, T diff) {
        const T ad = std::fabs(diff);
        return s > ad ? s : ad;
    }
    template <class T>
    static inline T to_dist(T reduced) {
        return reduced;
    }
    template <class T>
    static inline T to_reduced(T dist) {
        return dist;
    }
    template <class T>
    static inline T strict_radius(T r) {
        return r;
    }
    template <class V>
    static inline V vacc(V s, V diff) {
        // |diff| by clearing the sign bit (one AND; a compare-and-blend abs
        // costs three instructions), then max (one vmaxps/vmaxpd)
        const V ad = simd::abs(diff);
        return s > ad ? s : ad;
    }
};

// Reduced distance between two points; D > 0 is the dimension known at compile
// time (fully unrolled), D == 0 means "use d".
template <class P, int D, class T>
inline T reduced_dist(const T* a, const T* b, int d) {
    const int dd = D > 0 ? D : d;
    T s = 0;
    for (int c = 0; c < dd; ++c) s = P::acc(s, a[c] - b[c]);
    return s;
}

// As reduced_dist, but may stop early (returning a partial value > bound) once
// the partial distance exceeds bound. Both metrics grow monotonically with
// every coordinate, so a partial value > bound proves the full one is too.
template <class P, int D, class T>
inline T reduced_dist_bounded(const T* a, const T* b, int d, T bound) {
    if constexpr (D > 0) {
        (void)bound;
        return reduced_dist<P, D>(a, b, d);
    } else {
        T s = 0;
        int c = 0;
        for (; c + 4 <= d; c += 4) {
            s = P::acc(s, a[c] - b[c]);
            s = P::acc(s, a[c + 1] - b[c + 1]);
            s = P::acc(s, a[c + 2] - b[c + 2]);
            s = P::acc(s, a[c + 3] - b[c + 3]);
            if (s > bound) return s;
        }
        for (; c < d; ++c) s = P::acc(s, a[c] - b[c]);
        return s;
    }
}

// Smallest reduced distance from q to any point of the box [lo, hi]: a lower
// bound of the reduced distance to every point inside (rounding is monotone).
template <class P, int D, class T>
inline T box_min_reduced(const T* q, const T* lo, const T* hi, int d) {
    const int dd = D > 0 ? D : d;
    T s = 0;
    for (int c = 0; c < dd; ++c) {
        const T t = std::max(std::max(lo[c] - q[c], q[c] - hi[c]), T(0));
        s = P::acc(s, t);
    }
    return s;
}

// Largest reduced distance from q to any point of the box: an upper bound.
template <class P, int D, class T>
inline T box_max_reduced(const T* q, const T* lo, const T* hi, int d) {
    const int dd = D > 0 ? D : d;
    T s = 0;
    for (int c = 0; c < dd; ++c) {
        const T t = std::max(q[c] - lo[c], hi[c] - q[c]);
        s = P::acc(s, t);
    }
    return s;
}

// Calls f(Policy{}, std::integral_constant<int, D>{}) with the metric policy
// and, for small dimensions, the dimension as a compile-time constant (D == 0:
// the dimension is only known at run time). Use with a generic lambda.
template <class F>
inline void dispatch_metric_dim(Metric metric, int d, F&& f) {
    auto with_policy = [&](auto policy_tag) {
        using P = decltype(policy_tag);
        switch (d) {
            case 1: f(P{}, std::integral_constant<int, 1>{}); break;
            case 2: f(P{}, std::integral_constant<int, 2>{}); break;
            case 3: f(P{}, std::integral_constant<int, 3>{}); break;
            case 4: f(P{}, std::integral_constant<int, 4>{}); break;
            case 5: f(P{}, std::integral_constant<int, 5>{}); break;
            case 6: f(P{}, std::integral_constant<int, 6>{}); break;
            case 7: f(P{}, std::integral_constant<int, 7>{}); break;
            case 8: f(P{}, std::integral_constant<int, 8>{}); break;
            default: f(P{}, std::integral_constant<int, 0>{}); break;
        }
    };
    if (metric == Metric::Euclidean)
        with_policy(EuclideanPolicy{});
    else
        with_policy(ChebyshevPolicy{});
}

}  // namespace PYMI_ISA_NS
}  // namespace pymi
