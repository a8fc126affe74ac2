// The helpers of every binding (bind_*.cpp): array conversion, dtype dispatch,
// shape strings, the checks of csrc/API.md and the parsing of metric,
// algorithm and device names. This is the only place where kernel inputs are
// validated: TypeError for a wrong type or dtype, ValueError
// (std::invalid_argument) for a wrong shape or value, each message naming the
// argument, what was expected and what was received.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <climits>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>

#include "kernels.hpp"

namespace pymi::bind {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

enum class DType { F32, F64 };

// A number as printf("%g") would write it (1e-200, nan, -1).
inline std::string num(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

// "(5, 2)", "(4,)".
inline std::string shape_str(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

inline std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// The object as a numpy array (no copy); TypeError for anything else.
inline py::array as_array(const py::object& obj, const char* name) {
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(std::string(name) + " must be a numpy array of float32 or float64; got " +
                             py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
    return py::reinterpret_borrow<py::array>(obj);
}

// float32 or float64 (either byte order: contiguous() converts), else
// TypeError with the conversion that fixes it.
inline DType float_dtype(const py::array& a, const char* name) {
    const py::dtype dt = a.dtype();
    if (dt.kind() == 'f' && dt.itemsize() == 4) return DType::F32;
    if (dt.kind() == 'f' && dt.itemsize() == 8) return DType::F64;
    throw py::type_error(std::string(name) + " must have dtype float32 or float64; got dtype " +
                         dtype_name(a) + " (convert with np.asarray(" + name + ", dtype=np.float64))");
}

// Calls f(float{}) or f(double{}): the one dtype dispatch of the bindings.
template <class F>
decltype(auto) with_dtype(DType dt, F&& f) {
    if (dt == DType::F32) return f(float{});
    return f(double{});
}

// a as a C-contiguous array of T (a copy only when a is not one already).
template <class T>
carray<T> contiguous(const py::array& a) {
    return carray<T>::ensure(a);
}

inline void check_ndim(const py::array& a, int ndim, const char* name, const char* shape) {
    if (a.ndim() != ndim)
        throw std::invalid_argument(std::string(name) + " must be a " + std::to_string(ndim) + "-D array " +
                                    shape + "; got " + name + ".shape=" + shape_str(a));
}

// Point sets: a 2-D float array with at least 2 rows and 1 column.
inline DType check_points(const py::array& a, const char* name) {
    const DType dt = float_dtype(a, name);
    check_ndim(a, 2, name, "(n_samples, n_features)");
    if (a.shape(0) < 2)
        throw std::invalid_argument(std::string(name) + " must have at least 2 samples; got n_samples=" +
                                    std::to_string(a.shape(0)));
    if (a.shape(1) < 1)
        throw std::invalid_argument(std::string(name) + " must have at least 1 feature; got n_features=" +
                                    std::to_string(a.shape(1)));
    if (a.shape(1) > INT_MAX)
        throw std::invalid_argument(std::string(name) + " has n_features=" + std::to_string(a.shape(1)) +
                                    "; at most " + std::to_string(INT_MAX) + " are supported");
    return dt;
}

template <class T>
void check_finite(const carray<T>& a, const char* name) {
    const T* p = a.data();
    const py::ssize_t total = a.size();
    py::ssize_t bad = 0;
    for (py::ssize_t i = 0; i < total; ++i) bad += !std::isfinite(p[i]);
    if (bad)
        throw std::invalid_argument(std::string(name) + " contains " + std::to_string(bad) +
                                    " NaN or infinite values; remove or impute them first");
}

inline void check_k(int k, index_t n) {
    if (k < 1) throw std::invalid_argument("k=" + std::to_string(k) + " must be at least 1");
    if (k >= n)
        throw std::invalid_argument("k=" + std::to_string(k) + " must be smaller than n_samples=" +
                                    std::to_string(n));
}

// radius: one value per row of x, x's dtype, >= 0 and not NaN (+inf counts
// every point).
// With max_columns > 1, radius may also be 2-D: (n, m) with 1 <= m <= max_columns
// radii per sample.
template <class T>
carray<T> radius_for(const py::object& obj, const py::array& x, int max_columns = 1) {
    const py::array r = as_array(obj, "radius");
    if (float_dtype(r, "radius") != float_dtype(x, "x"))
        throw std::invalid_argument("radius must have the same dtype as the points; got radius.dtype=" +
                                    dtype_name(r) + ", x.dtype=" + dtype_name(x) +
                                    " (cast radius with radius.astype(x.dtype))");
    const bool columns_ok = max_columns > 1 && r.ndim() == 2 && r.shape(1) >= 1 && r.shape(1) <= max_columns;
    if ((r.ndim() != 1 && !columns_ok) || r.shape(0) != x.shape(0))
        throw std::invalid_argument(
            std::string("radius must have one entry per sample") +
            (max_columns > 1 ? " (shape (n,) or (n, m) with 1 <= m <= " + std::to_string(max_columns) + ")" : "") +
            "; got radius.shape=" + shape_str(r) + ", x.shape=" + shape_str(x));
    carray<T> out = contiguous<T>(r);
    const T* p = out.data();
    for (py::ssize_t i = 0; i < out.size(); ++i)
        if (!(p[i] >= T(0)))  // also NaN
            throw std::invalid_argument("radius must be non-negative and not NaN; got radius[" +
                                        std::to_string(i) + "]=" + num(static_cast<double>(p[i])));
    return out;
}

// Parameters of a kernel (weights, bandwidths, shifts): any array-like of
// real numbers, as a float64 vector of length `length` (any length >= 1 when
// length < 0).
inline carray<double> double_vector(const py::object& obj, const char* name, py::ssize_t length,
                                    const char* what) {
    if (py::isinstance<py::array>(obj)) {
        const char kind = py::reinterpret_borrow<py::array>(obj).dtype().kind();
        if (kind != 'f' && kind != 'i' && kind != 'u')
            throw py::type_error(std::string(name) + " must contain real numbers; got dtype " +
                                 dtype_name(py::reinterpret_borrow<py::array>(obj)));
    }
    carray<double> a = carray<double>::ensure(obj);
    if (!a) {
        PyErr_Clear();
        throw py::type_error(std::string(name) + " must be an array of real numbers; got " +
                             py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
    }
    if (a.ndim() != 1 || (length >= 0 ? a.shape(0) != length : a.shape(0) < 1))
        throw std::invalid_argument(std::string(name) + " must be " + what + "; got " + name +
                                    ".shape=" + shape_str(a));
    return a;
}

// Kernel bandwidths: finite, > 0, and 1 / (2 h^2) finite.
inline void check_bandwidths(const carray<double>& h) {
    const double* p = h.data();
    for (py::ssize_t b = 0; b < h.size(); ++b)
        if (!(std::isfinite(p[b]) && p[b] > 0.0 && std::isfinite(0.5 / (p[b] * p[b]))))
            throw std::invalid_argument("bandwidths must be finite and positive (and > 1e-150); got bandwidths[" +
                                        std::to_string(b) + "]=" + num(p[b]));
}

// Log-sum-exp shifts: finite and >= 0.
inline void check_shift(const carray<double>& s) {
    const double* p = s.data();
    for (py::ssize_t i = 0; i < s.size(); ++i)
        if (!(std::isfinite(p[i]) && p[i] >= 0.0))
            throw std::invalid_argument(
                "shift_sq must be finite and >= 0 (squared nearest-neighbour distances); got shift_sq[" +
                std::to_string(i) + "]=" + num(p[i]));
}

// Where a kernel runs: the CPU or a CUDA device.
struct Target {
    bool cuda = false;
    int index = 0;
};

// "cpu", "cuda" (device 0) or "cuda:N". "auto" is resolved by the Python
// layer (pymi._device.resolve_device), never here.
inline Target parse_device(const std::string& name) {
    if (name == "cpu") return {};
    if (name == "cuda") return {true, 0};
    if (name.rfind("cuda:", 0) == 0 && name.size() > 5 && name.size() <= 9 &&
        name.find_first_not_of("0123456789", 5) == std::string::npos)
        return {true, std::stoi(name.substr(5))};
    throw std::invalid_argument("device must be 'cpu', 'cuda' or 'cuda:N'; got '" + name +
                                "' (pymi._device.resolve_device turns 'auto' into one of them)");
}

// sqeuclidean: Euclidean neighbours with squared distances, CUDA kNN only.
inline Metric parse_metric(const std::string& name, bool allow_sq = false) {
    if (name == "euclidean") return Metric::Euclidean;
    if (name == "chebyshev") return Metric::Chebyshev;
    if (name == "sqeuclidean" && allow_sq) return Metric::SqEuclidean;
    if (name == "sqeuclidean")
        throw std::invalid_argument(
            "metric='sqeuclidean' is available for knn on device='cuda' only; use 'euclidean' and square");
    throw std::invalid_argument("metric must be 'euclidean' or 'chebyshev'; got '" + name + "'");
}

inline Algorithm parse_algorithm(const std::string& name) {
    if (name == "kdtree") return Algorithm::KDTree;
    if (name == "brute") return Algorithm::Brute;
    throw std::invalid_argument("algorithm must be 'kdtree' or 'brute'; got '" + name + "'");
}

inline Exec make_exec(const Target& t, Algorithm algorithm, int n_jobs) {
    Exec e;
    e.n_jobs = n_jobs;
    e.algorithm = algorithm;
    e.device = t.index;
    return e;
}

// The CUDA kernels index rows with int and launch n / 128 blocks.
inline void check_cuda_rows(const Target& t, py::ssize_t n) {
    if (t.cuda && n > INT_MAX)
        throw std::invalid_argument("n_samples=" + std::to_string(n) + " exceeds the CUDA kernels' limit of " +
                                    std::to_string(INT_MAX) + " rows; use device='cpu'");
}

}  // namespace pymi::bind
