// Binding of the Gaussian-kernel sums (pymi::cpu / pymi::cuda
// kde_log_kernel_sums, csrc/kernels.hpp): validate (bind_util.hpp), convert,
// release the GIL, call the implementation `device` names.
#include "bind_util.hpp"

namespace pymi {

namespace {

using namespace bind;

py::array kde_log_kernel_sums(const py::object& x_obj, const py::object& bandwidths,
                              const py::object& shift_sq, int n_jobs, const std::string& device) {
    const Target t = parse_device(device);
    const py::array xa = as_array(x_obj, "x");
    const DType dt = check_points(xa, "x");
    const index_t n = xa.shape(0);
    const int d = static_cast<int>(xa.shape(1));
    check_cuda_rows(t, n);
    const carray<double> h = double_vector(bandwidths, "bandwidths", -1, "a non-empty 1-D array");
    check_bandwidths(h);
    if (h.shape(0) > INT_MAX)
        throw std::invalid_argument("bandwidths has " + std::to_string(h.shape(0)) + " entries; at most " +
                                    std::to_string(INT_MAX) + " are supported");
    const std::string per_sample = "of shape (n_samples,) = (" + std::to_string(n) + ",)";
    const carray<double> s = double_vector(shift_sq, "shift_sq", n, per_sample.c_str());
    check_shift(s);
    const int m = static_cast<int>(h.shape(0));
    const Exec e = make_exec(t, Algorithm::KDTree, n_jobs);
    py::array_t<double> out({static_cast<index_t>(m), n});
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const carray<T> x = contiguous<T>(xa);
        check_finite(x, "x");
        const T* px = x.data();
        const double* ph = h.data();
        const double* ps = s.data();
        double* po = out.mutable_data();
        const auto kernel = t.cuda ? &cuda::kde_log_kernel_sums<T> : &cpu::kde_log_kernel_sums<T>;
        py::gil_scoped_release release;
        kernel(px, n, d, ph, m, ps, e, po);
    });
    return out;
}

}  // namespace

void register_kde(py::module_& m) {
    m.def("kde_log_kernel_sums", &kde_log_kernel_sums, py::arg("x"), py::arg("bandwidths"),
          py::arg("shift_sq"), py::arg("n_jobs") = 0, py::arg("device") = "cpu",
          R"doc(Leave-one-out Gaussian kernel log sums for several bandwidths in one pass.

Returns float64[m, n] with L[b, i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2)),
computed as a log-sum-exp shifted per row by shift_sq[i] (the squared nearest-neighbour
distance of x_i; on CUDA it must be exactly that, see csrc/API.md). x: float32 or float64
(n, d), n >= 2; bandwidths: (m,) > 0; shift_sq: (n,) >= 0; n_jobs <= 0 uses all cores (CPU);
device: 'cpu' | 'cuda' | 'cuda:N'. Exponentials are float32 (~2e-7 relative), sums are
float64. Releases the GIL; O(n d + m n) memory.)doc");
}

}  // namespace pymi
