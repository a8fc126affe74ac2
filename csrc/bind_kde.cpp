// Bindings for the Gaussian-kernel sums (csrc/cpu/kde.cpp): convert, check
// shapes and values, release the GIL, dispatch on dtype.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "cpu/kde_kernel.hpp"

namespace py = pybind11;

namespace pymi {
namespace {

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::string shape_str(const py::array& a) {
    std::ostringstream os;
    os << "(";
    for (py::ssize_t k = 0; k < a.ndim(); ++k) os << (k ? ", " : "") << a.shape(k);
    os << (a.ndim() == 1 ? ",)" : ")");
    return os.str();
}

template <class T>
py::array_t<double> kde_sums_typed(const py::array& x_any, const DoubleArray& h,
                                   const DoubleArray& shift, int n_jobs) {
    using Arr = py::array_t<T, py::array::c_style | py::array::forcecast>;
    const Arr x = Arr::ensure(x_any);
    if (!x) throw py::error_already_set();
    const index_t n = x.shape(0), d = x.shape(1), m = h.shape(0);
    {
        const T* p = x.data();
        index_t bad = 0;
        for (index_t k = 0; k < n * d; ++k) bad += !std::isfinite(p[k]);
        if (bad) {
            throw std::invalid_argument("x contains " + std::to_string(bad) +
                                        " non-finite values (NaN or inf); remove or impute them");
        }
    }
    py::array_t<double> out({m, n});
    double* o = out.mutable_data();
    const double* hp = h.data();
    const double* sp = shift.data();
    const T* xp = x.data();
    {
        py::gil_scoped_release release;
        kde_log_kernel_sums<T>(xp, n, d, hp, m, sp, o, n_jobs);
    }
    return out;
}

py::array_t<double> kde_log_kernel_sums_py(const py::object& x_obj, const py::object& bandwidths,
                                           const py::object& shift_sq, int n_jobs) {
    if (!py::isinstance<py::array>(x_obj)) {
        throw py::type_error("x must be a numpy array of float32 or float64; got " +
                             std::string(py::str(py::type::of(x_obj).attr("__name__"))));
    }
    const auto x = py::reinterpret_borrow<py::array>(x_obj);
    const int num = x.dtype().num();
    const bool is_f32 = num == py::dtype::num_of<float>();
    const bool is_f64 = num == py::dtype::num_of<double>();
    if (!is_f32 && !is_f64) {
        throw py::type_error("x must have dtype float32 or float64; got " +
                             std::string(py::str(x.dtype())) + "; convert with x.astype(np.float64)");
    }
    if (x.ndim() != 2) {
        throw std::invalid_argument("x must be a 2-D array (n_samples, n_features); got x.shape=" +
                                    shape_str(x));
    }
    const index_t n = x.shape(0), d = x.shape(1);
    if (n < 2) {
        throw std::invalid_argument("x must have at least 2 samples for leave-one-out sums; got " +
                                    std::to_string(n));
    }
    if (d < 1) throw std::invalid_argument("x must have at least 1 feature; got x.shape=" + shape_str(x));

    const DoubleArray h = DoubleArray::ensure(bandwidths);
    if (!h) throw py::type_error("bandwidths must be a 1-D array of float64");
    if (h.ndim() != 1 || h.shape(0) < 1) {
        throw std::invalid_argument("bandwidths must be a non-empty 1-D array; got shape " +
                                    shape_str(h));
    }
    for (py::ssize_t b = 0; b < h.shape(0); ++b) {
        const double v = h.data()[b];
        if (!(std::isfinite(v) && v > 0.0 && std::isfinite(0.5 / (v * v)))) {
            std::ostringstream os;
            os << "bandwidths must be finite and positive (and > 1e-150); got bandwidths[" << b
               << "]=" << v;
            throw std::invalid_argument(os.str());
        }
    }
    const DoubleArray s = DoubleArray::ensure(shift_sq);
    if (!s) throw py::type_error("shift_sq must be a 1-D array of float64");
    if (s.ndim() != 1 || s.shape(0) != n) {
        throw std::invalid_argument("shift_sq must have shape (n_samples,) = (" + std::to_string(n) +
                                    ",); got shape " + shape_str(s));
    }
    for (index_t i = 0; i < n; ++i) {
        const double v = s.data()[i];
        if (!(std::isfinite(v) && v >= 0.0)) {
            std::ostringstream os;
            os << "shift_sq must be finite and >= 0 (squared nearest-neighbour distances); got "
                  "shift_sq["
               << i << "]=" << v;
            throw std::invalid_argument(os.str());
        }
    }
    return is_f32 ? kde_sums_typed<float>(x, h, s, n_jobs) : kde_sums_typed<double>(x, h, s, n_jobs);
}

}  // namespace

void register_kde(py::module_& m) {
    m.def("kde_log_kernel_sums", &kde_log_kernel_sums_py, py::arg("x"), py::arg("bandwidths"),
          py::arg("shift_sq"), py::arg("n_jobs") = 0,
          R"doc(Leave-one-out Gaussian kernel log sums for several bandwidths in one pass.

Returns float64[m, n] with L[b, i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2)),
computed as a log-sum-exp shifted per row by shift_sq[i] (the squared nearest-neighbour
distance of x_i). x: float32 or float64 (n, d), n >= 2; bandwidths: (m,) > 0;
shift_sq: (n,) >= 0; n_jobs <= 0 uses all cores. Exponentials are float32 (~2e-7
relative), sums are float64. Releases the GIL; O(n d + m n) memory.)doc");
}

}  // namespace pymi
