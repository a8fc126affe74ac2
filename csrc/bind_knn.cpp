// Bindings of the neighbour kernels: kNN, strict radius counts, KL terms.
//
// Each operation is bound once; `device` routes it to pymi::cpu or pymi::cuda
// (csrc/kernels.hpp, the same interface). Thin by design: validate
// (bind_util.hpp), convert, allocate the outputs, release the GIL, call.
// Contract: csrc/API.md.
#include <utility>

#include "bind_util.hpp"

namespace pymi {

namespace {

using namespace bind;

py::tuple knn(const py::object& x_obj, int k, const std::string& metric, const std::string& algorithm,
              int n_jobs, const std::string& device) {
    const Target t = parse_device(device);
    const py::array xa = as_array(x_obj, "x");
    const DType dt = check_points(xa, "x");
    const Metric m = parse_metric(metric, /*allow_sq=*/t.cuda);
    const Exec e = make_exec(t, parse_algorithm(algorithm), n_jobs);
    const index_t n = xa.shape(0);
    const int d = static_cast<int>(xa.shape(1));
    check_k(k, n);
    check_cuda_rows(t, n);
    return with_dtype(dt, [&](auto tag) -> py::tuple {
        using T = decltype(tag);
        const carray<T> x = contiguous<T>(xa);
        check_finite(x, "x");
        py::array_t<T> dist({n, static_cast<index_t>(k)});
        py::array_t<index_t> idx({n, static_cast<index_t>(k)});
        const T* px = x.data();
        T* pd = dist.mutable_data();
        index_t* pi = idx.mutable_data();
        const auto kernel = t.cuda ? &cuda::knn<T> : &cpu::knn<T>;
        {
            py::gil_scoped_release release;
            kernel(px, n, d, k, m, e, pd, pi);
        }
        return py::make_tuple(std::move(dist), std::move(idx));
    });
}

py::array count_within(const py::object& x_obj, const py::object& radius, const std::string& metric,
                       const std::string& algorithm, int n_jobs, const std::string& device) {
    const Target t = parse_device(device);
    const py::array xa = as_array(x_obj, "x");
    const DType dt = check_points(xa, "x");
    const Metric m = parse_metric(metric);
    const Exec e = make_exec(t, parse_algorithm(algorithm), n_jobs);
    const index_t n = xa.shape(0);
    const int d = static_cast<int>(xa.shape(1));
    check_cuda_rows(t, n);
    return with_dtype(dt, [&](auto tag) -> py::array {
        using T = decltype(tag);
        const carray<T> r = radius_for<T>(radius, xa);
        const carray<T> x = contiguous<T>(xa);
        check_finite(x, "x");
        py::array_t<index_t> counts(n);
        const T* px = x.data();
        const T* pr = r.data();
        index_t* pc = counts.mutable_data();
        const auto kernel = t.cuda ? &cuda::count_within<T> : &cpu::count_within<T>;
        {
            py::gil_scoped_release release;
            kernel(px, n, d, pr, m, e, pc);
        }
        return counts;
    });
}

py::array count_within_radii(const py::object& x_obj, const py::object& radius, const std::string& metric,
                             int n_jobs) {
    const py::array xa = as_array(x_obj, "x");
    const DType dt = check_points(xa, "x");
    const Metric m = parse_metric(metric);
    const Exec e = make_exec(Target{}, Algorithm::KDTree, n_jobs);
    const index_t n = xa.shape(0);
    const int d = static_cast<int>(xa.shape(1));
    return with_dtype(dt, [&](auto tag) -> py::array {
        using T = decltype(tag);
        const carray<T> r = radius_for<T>(radius, xa, /*max_columns=*/8);
        const int cols = r.ndim() == 2 ? static_cast<int>(r.shape(1)) : 1;
        const carray<T> x = contiguous<T>(xa);
        check_finite(x, "x");
        py::array_t<index_t> counts = r.ndim() == 2 ? py::array_t<index_t>({n, static_cast<index_t>(cols)})
                                                     : py::array_t<index_t>(n);
        const T* px = x.data();
        const T* pr = r.data();
        index_t* pc = counts.mutable_data();
        {
            py::gil_scoped_release release;
            cpu::count_within_radii<T>(px, n, d, pr, cols, m, e, pc);
        }
        return counts;
    });
}

py::tuple count_within_pair(const py::object& x_obj, const py::object& y_obj, const py::object& radius,
                            const std::string& metric, int n_jobs, const std::string& device) {
    const Target t = parse_device(device);
    const py::array xa = as_array(x_obj, "x");
    const py::array ya = as_array(y_obj, "y");
    const DType dt = check_points(xa, "x");
    if (check_points(ya, "y") != dt)
        throw std::invalid_argument("x and y must have the same dtype; got x.dtype=" + dtype_name(xa) +
                                    ", y.dtype=" + dtype_name(ya));
    if (xa.shape(0) != ya.shape(0))
        throw std::invalid_argument("x and y must have the same number of samples; got x.shape=" +
                                    shape_str(xa) + ", y.shape=" + shape_str(ya));
    const Metric m = parse_metric(metric);
    const Exec e = make_exec(t, Algorithm::Brute, n_jobs);
    const index_t n = xa.shape(0);
    const int dx = static_cast<int>(xa.shape(1));
    const int dy = static_cast<int>(ya.shape(1));
    check_cuda_rows(t, n);
    return with_dtype(dt, [&](auto tag) -> py::tuple {
        using T = decltype(tag);
        const carray<T> r = radius_for<T>(radius, xa);
        const carray<T> x = contiguous<T>(xa);
        const carray<T> y = contiguous<T>(ya);
        check_finite(x, "x");
        check_finite(y, "y");
        py::array_t<index_t> cx(n), cy(n);
        const T* px = x.data();
        const T* py_ = y.data();
        const T* pr = r.data();
        index_t* pcx = cx.mutable_data();
        index_t* pcy = cy.mutable_data();
        const auto kernel = t.cuda ? &cuda::count_within_pair<T> : &cpu::count_within_pair<T>;
        {
            py::gil_scoped_release release;
            kernel(px, dx, py_, dy, n, pr, m, e, pcx, pcy);
        }
        return py::make_tuple(std::move(cx), std::move(cy));
    });
}

py::array kl_point_terms(const py::object& dist_obj, const py::object& weights, double dim,
                         const py::object& offsets, int n_jobs) {
    const py::array da = as_array(dist_obj, "dist");
    const DType dt = float_dtype(da, "dist");
    check_ndim(da, 2, "dist", "(n_samples, k)");
    const index_t n = da.shape(0);
    const index_t k = da.shape(1);
    const std::string per_order = "a 1-D array with one entry per neighbour order (dist.shape=" +
                                  shape_str(da) + ")";
    const carray<double> w = double_vector(weights, "weights", k, per_order.c_str());
    const carray<double> off = double_vector(offsets, "offsets", k, per_order.c_str());
    const Exec e = make_exec(Target{}, Algorithm::KDTree, n_jobs);
    return with_dtype(dt, [&](auto tag) -> py::array {
        using T = decltype(tag);
        const carray<T> dist = contiguous<T>(da);
        py::array_t<double> out(n);
        const T* pd = dist.data();
        const double* pw = w.data();
        const double* po = off.data();
        double* pout = out.mutable_data();
        {
            py::gil_scoped_release release;
            cpu::kl_point_terms<T>(pd, n, static_cast<int>(k), pw, dim, po, e, pout);
        }
        return out;
    });
}

}  // namespace

void register_knn(py::module_& m) {
    m.def("knn", &knn, py::arg("x"), py::arg("k"), py::arg("metric") = "euclidean",
          py::arg("algorithm") = "kdtree", py::arg("n_jobs") = 0, py::arg("device") = "cpu",
          "Exact k nearest other points of every row of x.\n\n"
          "Returns (dist[n, k] x.dtype, idx[n, k] int64): true distances, ascending, ties broken by the\n"
          "smaller index; self excluded by index, duplicates at distance 0 kept.\n"
          "metric: 'euclidean' | 'chebyshev' ('sqeuclidean' on CUDA: squared distances);\n"
          "algorithm: 'kdtree' | 'brute' (CPU); n_jobs <= 0: all cores (CPU);\n"
          "device: 'cpu' | 'cuda' | 'cuda:N'.");
    m.def("count_within", &count_within, py::arg("x"), py::arg("radius"), py::arg("metric"),
          py::arg("algorithm") = "kdtree", py::arg("n_jobs") = 0, py::arg("device") = "cpu",
          "Strict radius counts: int64[n] with #{j != i : dist(x_i, x_j) < radius[i]}.\n"
          "radius must have x's dtype. algorithm: 'kdtree' | 'brute' (CPU); device: 'cpu' | 'cuda' | 'cuda:N'.");
    m.def("count_within_radii", &count_within_radii, py::arg("x"), py::arg("radius"), py::arg("metric"),
          py::arg("n_jobs") = 0,
          "Strict radius counts at several radii per sample in one kd-tree pass (CPU): radius of shape (n, m),\n"
          "1 <= m <= 8, x's dtype; returns int64[n, m] with #{j != i : dist(x_i, x_j) < radius[i, c]}, equal to\n"
          "count_within on each column (a 1-D radius gives int64[n]).");
    m.def("count_within_pair", &count_within_pair, py::arg("x"), py::arg("y"), py::arg("radius"),
          py::arg("metric") = "chebyshev", py::arg("n_jobs") = 0, py::arg("device") = "cpu",
          "Both marginal strict counts of KSG in one fused brute-force pass:\n"
          "(#{j != i : dist(x_i, x_j) < radius[i]}, #{j != i : dist(y_i, y_j) < radius[i]}) as int64[n] each.");
    m.def("kl_point_terms", &kl_point_terms, py::arg("dist"), py::arg("weights"), py::arg("dim"),
          py::arg("offsets"), py::arg("n_jobs") = 0,
          "Per-point (weighted) Kozachenko-Leonenko terms (CPU): float64[n] with\n"
          "t[i] = sum_j weights[j] * (dim * log dist[i, j] + offsets[j]), skipping weights[j] == 0.");
}

}  // namespace pymi
