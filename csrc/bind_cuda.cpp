// Bindings for the cuda kernels (filled in by the kernel work).
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace pymi {
void register_cuda(py::module_& m) { (void)m; }
}  // namespace pymi
