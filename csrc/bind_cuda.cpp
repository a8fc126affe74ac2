// Bindings for the CUDA kernels (csrc/cuda/, entry points in cuda/cuda_api.hpp).
//
// Thin: converts numpy arrays, checks dtypes/shapes/values (TypeError /
// ValueError with numbers), releases the GIL and calls the host entry points,
// whose CUDA errors arrive as std::runtime_error (-> RuntimeError). Compiles
// without nvcc: without PYMI_WITH_CUDA every cuda_* function raises.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "common.hpp"

#ifdef PYMI_WITH_CUDA
#include "cuda/cuda_api.hpp"
#endif

namespace py = pybind11;

namespace pymi {

namespace {

#ifdef PYMI_WITH_CUDA

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

enum class DType { F32, F64 };

std::string num(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

DType point_dtype(const py::array& a, const char* name) {
    if (a.dtype().is(py::dtype::of<float>())) return DType::F32;
    if (a.dtype().is(py::dtype::of<double>())) return DType::F64;
    throw py::type_error(std::string(name) + " must be a float32 or float64 array; got dtype " +
                         dtype_name(a));
}

std::string shape_str(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t k = 0; k < a.ndim(); ++k) {
        if (k) s += ", ";
        s += std::to_string(a.shape(k));
    }
    return s + (a.ndim() == 1 ? ",)" : ")");
}

void require_2d(const py::array& a, const char* name) {
    if (a.ndim() != 2)
        throw std::invalid_argument(std::string(name) +
                                    " must be a 2-D array (n_samples, n_features); got shape " +
                                    shape_str(a));
    if (a.shape(1) < 1)
        throw std::invalid_argument(std::string(name) + " must have at least one feature; got shape " +
                                    shape_str(a));
}

void require_1d(const py::array& a, const char* name, py::ssize_t n) {
    if (a.ndim() != 1 || a.shape(0) != n)
        throw std::invalid_argument(std::string(name) + " must have shape (" + std::to_string(n) +
                                    ",) (one value per sample); got shape " + shape_str(a));
}

void require_same_dtype(const py::array& a, const char* a_name, const py::array& x) {
    if (!a.dtype().is(x.dtype()))
        throw py::type_error(std::string(a_name) + " must have the same dtype as x (" +
                             dtype_name(x) + "); got " + dtype_name(a));
}

cuda::Metric to_cuda_metric(const std::string& name) {
    return parse_metric(name) == Metric::Euclidean ? cuda::Metric::Euclidean
                                                   : cuda::Metric::Chebyshev;
}

// Radii must be >= 0 and not NaN (+inf is allowed: every finite distance counts).
template <class T>
void check_radius(const T* r, py::ssize_t n) {
    py::ssize_t bad = 0, first = -1;
    for (py::ssize_t i = 0; i < n; ++i) {
        if (!(r[i] >= T(0))) {
            if (first < 0) first = i;
            ++bad;
        }
    }
    if (bad)
        throw std::invalid_argument("radius must be >= 0 and not NaN; got " + std::to_string(bad) +
                                    " invalid values (first: radius[" + std::to_string(first) +
                                    "]=" + num(static_cast<double>(r[first])) + ")");
}

py::tuple knn_impl(const py::array& x_in, int k, const std::string& metric, int device) {
    const DType dt = point_dtype(x_in, "x");
    require_2d(x_in, "x");
    // "sqeuclidean" (kNN only): Euclidean neighbours with squared distances, bit-identical
    // to what the other CUDA kernels accumulate (pymi._kde's shift for the KDE kernel)
    const cuda::Metric m = metric == "sqeuclidean" ? cuda::Metric::SqEuclidean : to_cuda_metric(metric);
    const py::ssize_t n = x_in.shape(0), d = x_in.shape(1);
    if (k < 1) throw std::invalid_argument("k must be >= 1; got k=" + std::to_string(k));
    if (k >= n)
        throw std::invalid_argument("k=" + std::to_string(k) + " must be smaller than n_samples=" +
                                    std::to_string(n));
    auto run = [&](auto tag) -> py::tuple {
        using T = decltype(tag);
        carray<T> x = carray<T>::ensure(x_in);
        check_finite_points(x.data(), n, static_cast<int>(d), "x");
        py::array_t<T> dist({n, static_cast<py::ssize_t>(k)});
        py::array_t<std::int64_t> idx({n, static_cast<py::ssize_t>(k)});
        const T* xp = x.data();
        T* dp = dist.mutable_data();
        std::int64_t* ip = idx.mutable_data();
        {
            py::gil_scoped_release nogil;
            cuda::knn<T>(xp, n, static_cast<int>(d), k, m, device, dp, ip);
        }
        return py::make_tuple(dist, idx);
    };
    return dt == DType::F32 ? run(float{}) : run(double{});
}

py::array count_within_impl(const py::array& x_in, const py::array& r_in, const std::string& metric,
                            int device) {
    const DType dt = point_dtype(x_in, "x");
    require_2d(x_in, "x");
    const py::ssize_t n = x_in.shape(0), d = x_in.shape(1);
    require_same_dtype(r_in, "radius", x_in);
    require_1d(r_in, "radius", n);
    const cuda::Metric m = to_cuda_metric(metric);
    auto run = [&](auto tag) -> py::array {
        using T = decltype(tag);
        carray<T> x = carray<T>::ensure(x_in);
        carray<T> r = carray<T>::ensure(r_in);
        check_finite_points(x.data(), n, static_cast<int>(d), "x");
        check_radius(r.data(), n);
        py::array_t<std::int64_t> counts(n);
        const T* xp = x.data();
        const T* rp = r.data();
        std::int64_t* cp = counts.mutable_data();
        {
            py::gil_scoped_release nogil;
            cuda::count_within<T>(xp, n, static_cast<int>(d), rp, m, device, cp);
        }
        return counts;
    };
    return dt == DType::F32 ? run(float{}) : run(double{});
}

py::tuple count_within_pair_impl(const py::array& x_in, const py::array& y_in,
                                 const py::array& r_in, const std::string& metric, int device) {
    const DType dt = point_dtype(x_in, "x");
    point_dtype(y_in, "y");
    require_2d(x_in, "x");
    require_2d(y_in, "y");
    const py::ssize_t n = x_in.shape(0), dx = x_in.shape(1), dy = y_in.shape(1);
    if (y_in.shape(0) != n)
        throw std::invalid_argument("x and y must have the same number of samples; got x.shape=" +
                                    shape_str(x_in) + ", y.shape=" + shape_str(y_in));
    require_same_dtype(y_in, "y", x_in);
    require_same_dtype(r_in, "radius", x_in);
    require_1d(r_in, "radius", n);
    const cuda::Metric m = to_cuda_metric(metric);
    auto run = [&](auto tag) -> py::tuple {
        using T = decltype(tag);
        carray<T> x = carray<T>::ensure(x_in);
        carray<T> y = carray<T>::ensure(y_in);
        carray<T> r = carray<T>::ensure(r_in);
        check_finite_points(x.data(), n, static_cast<int>(dx), "x");
        check_finite_points(y.data(), n, static_cast<int>(dy), "y");
        check_radius(r.data(), n);
        py::array_t<std::int64_t> cx(n), cy(n);
        const T* xp = x.data();
        const T* yp = y.data();
        const T* rp = r.data();
        std::int64_t* cxp = cx.mutable_data();
        std::int64_t* cyp = cy.mutable_data();
        {
            py::gil_scoped_release nogil;
            cuda::count_within_pair<T>(xp, static_cast<int>(dx), yp, static_cast<int>(dy), n, rp, m,
                                       device, cxp, cyp);
        }
        return py::make_tuple(cx, cy);
    };
    return dt == DType::F32 ? run(float{}) : run(double{});
}

py::array kde_impl(const py::array& x_in, const py::array& bw_in, const py::array& shift_in,
                   int device) {
    const DType dt = point_dtype(x_in, "x");
    require_2d(x_in, "x");
    const py::ssize_t n = x_in.shape(0), d = x_in.shape(1);
    carray<double> bw = carray<double>::ensure(bw_in);
    carray<double> shift = carray<double>::ensure(shift_in);
    if (!bw || !shift) throw py::type_error("bandwidths and shift_sq must be float64 arrays");
    if (bw.ndim() != 1)
        throw std::invalid_argument("bandwidths must be a 1-D array; got shape " + shape_str(bw));
    require_1d(shift, "shift_sq", n);
    const py::ssize_t m = bw.shape(0);
    const double* bp = bw.data();
    for (py::ssize_t b = 0; b < m; ++b)
        if (!(bp[b] > 0.0) || !std::isfinite(bp[b]) || !std::isfinite(0.5 / (bp[b] * bp[b])))
            throw std::invalid_argument(
                "bandwidths must be finite and positive (and > 1e-150, as for the CPU kernel); got "
                "bandwidths[" + std::to_string(b) + "]=" + num(bp[b]));
    const double* sp = shift.data();
    for (py::ssize_t i = 0; i < n; ++i)
        if (!(sp[i] >= 0.0) || !std::isfinite(sp[i]))
            throw std::invalid_argument("shift_sq must be finite and >= 0; got shift_sq[" +
                                        std::to_string(i) + "]=" + num(sp[i]));
    py::array_t<double> out({m, n});
    double* op = out.mutable_data();
    auto run = [&](auto tag) {
        using T = decltype(tag);
        carray<T> x = carray<T>::ensure(x_in);
        check_finite_points(x.data(), n, static_cast<int>(d), "x");
        const T* xp = x.data();
        py::gil_scoped_release nogil;
        cuda::kde_log_kernel_sums<T>(xp, n, static_cast<int>(d), bp, static_cast<int>(m), sp, device,
                                     op);
    };
    if (dt == DType::F32)
        run(float{});
    else
        run(double{});
    return out;
}

#else  // !PYMI_WITH_CUDA

[[noreturn]] void not_compiled() {
    throw std::runtime_error(
        "pymi was built without CUDA support; reinstall with nvcc on PATH "
        "(e.g. `pip install --no-binary pymi --force-reinstall pymi`) or use device='cpu'");
}

#endif

}  // namespace

void register_cuda(py::module_& m) {
#ifdef PYMI_WITH_CUDA
    m.def("cuda_compiled", [] { return true; }, "True when pymi was built with nvcc.");
    m.def("cuda_device_count", [] { return cuda::device_count(); },
          "Number of visible CUDA devices (0 without a driver or device).");
    m.def("cuda_knn", &knn_impl, py::arg("x"), py::arg("k"), py::arg("metric") = "euclidean",
          py::arg("device") = 0,
          "k nearest other points of every row on the GPU: (dist[n,k], idx[n,k] int64); "
          "metric 'sqeuclidean' reports squared Euclidean distances.");
    m.def("cuda_count_within", &count_within_impl, py::arg("x"), py::arg("radius"),
          py::arg("metric") = "euclidean", py::arg("device") = 0,
          "#{j != i : dist(x_i, x_j) < radius_i} on the GPU (int64[n]).");
    m.def("cuda_count_within_pair", &count_within_pair_impl, py::arg("x"), py::arg("y"),
          py::arg("radius"), py::arg("metric") = "chebyshev", py::arg("device") = 0,
          "Both KSG marginal strict counts in one fused GPU pass: (int64[n], int64[n]).");
    m.def("cuda_kde_log_kernel_sums", &kde_impl, py::arg("x"), py::arg("bandwidths"),
          py::arg("shift_sq"), py::arg("device") = 0,
          "Leave-one-out log Gaussian-kernel sums on the GPU: float64[m, n].");
#else
    m.def("cuda_compiled", [] { return false; }, "True when pymi was built with nvcc.");
    m.def("cuda_device_count", [] { return 0; },
          "Number of visible CUDA devices (0 without a driver or device).");
    m.def(
        "cuda_knn", [](py::object, int, const std::string&, int) -> py::tuple { not_compiled(); },
        py::arg("x"), py::arg("k"), py::arg("metric") = "euclidean", py::arg("device") = 0);
    m.def(
        "cuda_count_within",
        [](py::object, py::object, const std::string&, int) -> py::array { not_compiled(); },
        py::arg("x"), py::arg("radius"), py::arg("metric") = "euclidean", py::arg("device") = 0);
    m.def(
        "cuda_count_within_pair",
        [](py::object, py::object, py::object, const std::string&, int) -> py::tuple {
            not_compiled();
        },
        py::arg("x"), py::arg("y"), py::arg("radius"), py::arg("metric") = "chebyshev",
        py::arg("device") = 0);
    m.def(
        "cuda_kde_log_kernel_sums",
        [](py::object, py::object, py::object, int) -> py::array { not_compiled(); },
        py::arg("x"), py::arg("bandwidths"), py::arg("shift_sq"), py::arg("device") = 0);
#endif
}

}  // namespace pymi
