// Entry point of the private extension module pymi._core.
// Each group of kernels registers its own functions (bind_*.cpp); this file
// only assembles the module. Policy (defaults, validation, backend choice)
// lives in the Python package.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace pymi {
void register_knn(py::module_& m);   // bind_knn.cpp: kNN, radius counts, KL terms
void register_kde(py::module_& m);   // bind_kde.cpp: Gaussian-kernel sums
void register_cuda(py::module_& m);  // bind_cuda.cpp: CUDA mirrors + availability
}  // namespace pymi

PYBIND11_MODULE(_core, m) {
    m.doc() = "pymi compiled kernels (private; use the pymi package API)";
    pymi::register_knn(m);
    pymi::register_kde(m);
    pymi::register_cuda(m);
}
