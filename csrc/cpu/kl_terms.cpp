// Per-point (weighted) Kozachenko-Leonenko terms:
// t[i] = sum_j w[j] * (dim * log dist[i, j] + offsets[j]), skipping w[j] == 0
// (so a zero weight never turns a zero distance into 0 * -inf = NaN).
// A zero distance with a non-zero weight gives -inf: the kernel is pure, and
// the Python layer decides what duplicates mean.
#include <cmath>
#include <vector>

#include "cpu/neighbors.hpp"

namespace pymi {
namespace PYMI_ISA_NS {

template <class T>
void kl_point_terms(const T* dist, index_t n, int k, const double* weights, double dim, const double* offsets,
                    int n_jobs, double* out) {
    std::vector<int> used;
    for (int j = 0; j < k; ++j)
        if (weights[j] != 0.0) used.push_back(j);
    const int nt = static_cast<int>(std::min<index_t>(resolve_threads(n_jobs), std::max<index_t>(1, n / 4096)));
    const int nu = static_cast<int>(used.size());
    const int* u = used.data();
#pragma omp parallel for num_threads(nt) schedule(static)
    for (index_t i = 0; i < n; ++i) {
        const T* row = dist + i * k;
        double t = 0.0;
        for (int m = 0; m < nu; ++m) {
            const int j = u[m];
            t += weights[j] * (dim * std::log(static_cast<double>(row[j])) + offsets[j]);
        }
        out[i] = t;
    }
}

template void kl_point_terms<float>(const float*, index_t, int, const double*, double, const double*, int, double*);
template void kl_point_terms<double>(const double*, index_t, int, const double*, double, const double*, int,
                                     double*);

}  // namespace PYMI_ISA_NS
}  // namespace pymi
