// Bindings for the CPU neighbour kernels: kNN, strict radius counts, KL terms.
//
// Thin by design: check dtypes (TypeError) and shapes (ValueError), make the
// inputs C-contiguous, allocate outputs, release the GIL and dispatch on the
// dtype. Everything else (validation with numbers, the algorithms) lives in
// csrc/cpu/. Contract: csrc/API.md.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <utility>

#include "common.hpp"
#include "cpu/neighbors.hpp"

namespace py = pybind11;

namespace pymi {

namespace {

enum class DType { F32, F64 };

std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

DType float_dtype(const py::array& a, const char* name) {
    if (py::isinstance<py::array_t<float>>(a)) return DType::F32;
    if (py::isinstance<py::array_t<double>>(a)) return DType::F64;
    throw py::type_error(std::string(name) + " must have dtype float32 or float64; got dtype " +
                         dtype_name(a) + " (convert with np.asarray(" + name + ", dtype=np.float64))");
}

template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> contiguous(const py::array& a) {
    return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
}

void check_ndim(const py::array& a, int ndim, const char* name, const char* shape) {
    if (a.ndim() != ndim)
        throw std::invalid_argument(std::string(name) + " must be a " + std::to_string(ndim) + "-D array " +
                                    shape + "; got ndim=" + std::to_string(a.ndim()));
}

std::string shape_str(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    if (a.ndim() == 1) s += ",";
    return s + ")";
}

enum class Algorithm { KDTree, Brute };

Algorithm parse_algorithm(const std::string& name) {
    if (name == "kdtree") return Algorithm::KDTree;
    if (name == "brute") return Algorithm::Brute;
    throw std::invalid_argument("algorithm must be 'kdtree' or 'brute'; got '" + name + "'");
}

// ---- knn ------------------------------------------------------------------

template <class T>
py::tuple knn_typed(const py::array& xa, int k, Metric metric, Algorithm algo, int n_jobs) {
    auto x = contiguous<T>(xa);
    const index_t n = x.shape(0);
    const int d = static_cast<int>(x.shape(1));
    check_points_shape(n, d, "x");
    check_k(k, n);
    py::array_t<T> dist({n, static_cast<index_t>(k)});
    py::array_t<index_t> idx({n, static_cast<index_t>(k)});
    const T* px = x.data();
    T* pd = dist.mutable_data();
    index_t* pi = idx.mutable_data();
    {
        py::gil_scoped_release release;
        if (algo == Algorithm::KDTree)
            knn_kdtree<T>(px, n, d, k, metric, n_jobs, pd, pi);
        else
            knn_brute<T>(px, n, d, k, metric, n_jobs, pd, pi);
    }
    return py::make_tuple(std::move(dist), std::move(idx));
}

py::tuple knn(const py::array& x, int k, const std::string& metric, const std::string& algorithm, int n_jobs) {
    const DType dt = float_dtype(x, "x");
    check_ndim(x, 2, "x", "(n_samples, n_features)");
    const Metric m = parse_metric(metric);
    const Algorithm a = parse_algorithm(algorithm);
    return dt == DType::F32 ? knn_typed<float>(x, k, m, a, n_jobs) : knn_typed<double>(x, k, m, a, n_jobs);
}

// ---- count_within ---------------------------------------------------------

template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> radius_for(const py::array& ra, const py::array& xa,
                                                                      index_t n) {
    const DType rt = float_dtype(ra, "radius");
    const DType xt = float_dtype(xa, "x");
    if (rt != xt)
        throw std::invalid_argument("radius must have the same dtype as the points; got radius.dtype=" +
                                    dtype_name(ra) + ", x.dtype=" + dtype_name(xa) +
                                    " (cast radius with radius.astype(x.dtype))");
    check_ndim(ra, 1, "radius", "(n_samples,)");
    if (ra.shape(0) != n)
        throw std::invalid_argument("radius must have one entry per sample; got radius.shape=" +
                                    shape_str(ra) + ", x.shape=" + shape_str(xa));
    return contiguous<T>(ra);
}

template <class T>
py::array_t<index_t> count_within_typed(const py::array& xa, const py::array& ra, Metric metric, Algorithm algo,
                                        int n_jobs) {
    auto x = contiguous<T>(xa);
    const index_t n = x.shape(0);
    const int d = static_cast<int>(x.shape(1));
    auto r = radius_for<T>(ra, xa, n);
    check_points_shape(n, d, "x");
    py::array_t<index_t> counts(n);
    const T* px = x.data();
    const T* pr = r.data();
    index_t* pc = counts.mutable_data();
    {
        py::gil_scoped_release release;
        if (algo == Algorithm::KDTree)
            count_within_kdtree<T>(px, n, d, pr, metric, n_jobs, pc);
        else
            count_within_brute<T>(px, n, d, pr, metric, n_jobs, pc);
    }
    return counts;
}

py::array_t<index_t> count_within(const py::array& x, const py::array& radius, const std::string& metric,
                                  const std::string& algorithm, int n_jobs) {
    const DType dt = float_dtype(x, "x");
    check_ndim(x, 2, "x", "(n_samples, n_features)");
    const Metric m = parse_metric(metric);
    const Algorithm a = parse_algorithm(algorithm);
    return dt == DType::F32 ? count_within_typed<float>(x, radius, m, a, n_jobs)
                            : count_within_typed<double>(x, radius, m, a, n_jobs);
}

// ---- count_within_pair ----------------------------------------------------

template <class T>
py::tuple count_within_pair_typed(const py::array& xa, const py::array& ya, const py::array& ra, Metric metric,
                                  int n_jobs) {
    auto x = contiguous<T>(xa);
    auto y = contiguous<T>(ya);
    const index_t n = x.shape(0);
    const int dx = static_cast<int>(x.shape(1));
    const int dy = static_cast<int>(y.shape(1));
    auto r = radius_for<T>(ra, xa, n);
    check_points_shape(n, dx, "x");
    check_points_shape(n, dy, "y");
    py::array_t<index_t> cx(n), cy(n);
    const T* px = x.data();
    const T* py_ = y.data();
    const T* pr = r.data();
    index_t* pcx = cx.mutable_data();
    index_t* pcy = cy.mutable_data();
    {
        py::gil_scoped_release release;
        count_within_pair_brute<T>(px, dx, py_, dy, n, pr, metric, n_jobs, pcx, pcy);
    }
    return py::make_tuple(std::move(cx), std::move(cy));
}

py::tuple count_within_pair(const py::array& x, const py::array& y, const py::array& radius,
                            const std::string& metric, int n_jobs) {
    const DType dtx = float_dtype(x, "x");
    const DType dty = float_dtype(y, "y");
    check_ndim(x, 2, "x", "(n_samples, n_features_x)");
    check_ndim(y, 2, "y", "(n_samples, n_features_y)");
    if (dtx != dty)
        throw std::invalid_argument("x and y must have the same dtype; got x.dtype=" + dtype_name(x) +
                                    ", y.dtype=" + dtype_name(y));
    if (x.shape(0) != y.shape(0))
        throw std::invalid_argument("x and y must have the same number of samples; got x.shape=" + shape_str(x) +
                                    ", y.shape=" + shape_str(y));
    const Metric m = parse_metric(metric);
    return dtx == DType::F32 ? count_within_pair_typed<float>(x, y, radius, m, n_jobs)
                             : count_within_pair_typed<double>(x, y, radius, m, n_jobs);
}

// ---- kl_point_terms -------------------------------------------------------

template <class T>
py::array_t<double> kl_point_terms_typed(const py::array& da, const py::array& wa, double dim, const py::array& oa,
                                         int n_jobs) {
    auto dist = contiguous<T>(da);
    auto w = contiguous<double>(wa);
    auto off = contiguous<double>(oa);
    const index_t n = dist.shape(0);
    const index_t k = dist.shape(1);
    if (w.ndim() != 1 || w.shape(0) != k)
        throw std::invalid_argument("weights must be a 1-D array with one entry per neighbour order; got "
                                    "weights.shape=" + shape_str(w) + ", dist.shape=" + shape_str(dist));
    if (off.ndim() != 1 || off.shape(0) != k)
        throw std::invalid_argument("offsets must be a 1-D array with one entry per neighbour order; got "
                                    "offsets.shape=" + shape_str(off) + ", dist.shape=" + shape_str(dist));
    py::array_t<double> out(n);
    const T* pd = dist.data();
    const double* pw = w.data();
    const double* po = off.data();
    double* pout = out.mutable_data();
    {
        py::gil_scoped_release release;
        pymi::kl_point_terms<T>(pd, n, static_cast<int>(k), pw, dim, po, n_jobs, pout);
    }
    return out;
}

py::array_t<double> kl_point_terms_entry(const py::array& dist, const py::array& weights, double dim,
                                         const py::array& offsets, int n_jobs) {
    const DType dt = float_dtype(dist, "dist");
    check_ndim(dist, 2, "dist", "(n_samples, k)");
    float_dtype(weights, "weights");
    float_dtype(offsets, "offsets");
    return dt == DType::F32 ? kl_point_terms_typed<float>(dist, weights, dim, offsets, n_jobs)
                            : kl_point_terms_typed<double>(dist, weights, dim, offsets, n_jobs);
}

}  // namespace

void register_knn(py::module_& m) {
    m.def("knn", &knn, py::arg("x"), py::arg("k"), py::arg("metric") = "euclidean",
          py::arg("algorithm") = "kdtree", py::arg("n_jobs") = 0,
          "Exact k nearest other points of every row of x.\n\n"
          "Returns (dist[n, k] x.dtype, idx[n, k] int64): true distances, ascending, ties broken by the\n"
          "smaller index; self excluded by index, duplicates at distance 0 kept.\n"
          "metric: 'euclidean' | 'chebyshev'; algorithm: 'kdtree' | 'brute'; n_jobs <= 0: all cores.");
    m.def("count_within", &count_within, py::arg("x"), py::arg("radius"), py::arg("metric"),
          py::arg("algorithm") = "kdtree", py::arg("n_jobs") = 0,
          "Strict radius counts: int64[n] with #{j != i : dist(x_i, x_j) < radius[i]}.\n"
          "radius must have x's dtype. algorithm: 'kdtree' | 'brute'.");
    m.def("count_within_pair", &count_within_pair, py::arg("x"), py::arg("y"), py::arg("radius"),
          py::arg("metric") = "chebyshev", py::arg("n_jobs") = 0,
          "Both marginal strict counts of KSG in one fused brute-force pass:\n"
          "(#{j != i : dist(x_i, x_j) < radius[i]}, #{j != i : dist(y_i, y_j) < radius[i]}) as int64[n] each.");
    m.def("kl_point_terms", &kl_point_terms_entry, py::arg("dist"), py::arg("weights"), py::arg("dim"),
          py::arg("offsets"), py::arg("n_jobs") = 0,
          "Per-point (weighted) Kozachenko-Leonenko terms: float64[n] with\n"
          "t[i] = sum_j weights[j] * (dim * log dist[i, j] + offsets[j]), skipping weights[j] == 0.");
}

}  // namespace pymi
