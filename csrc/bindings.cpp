// Entry point of the private extension module pymi._core.
// Each group of kernels registers its own functions (bind_*.cpp); this file
// assembles the module and adds what describes the build. Policy (defaults,
// validation beyond the kernel contract, backend choice) lives in Python.
#include <pybind11/pybind11.h>

#include "kernels.hpp"

namespace py = pybind11;

namespace pymi {
void register_knn(py::module_& m);  // bind_knn.cpp: kNN, radius counts, KL terms
void register_kde(py::module_& m);  // bind_kde.cpp: Gaussian-kernel sums
}  // namespace pymi

PYBIND11_MODULE(_core, m) {
    m.doc() = "pymi compiled kernels (private; use the pymi package API)";
    pymi::register_knn(m);
    pymi::register_kde(m);
    m.def("cuda_compiled", &pymi::cuda::compiled, "True when pymi was built with nvcc.");
    m.def("cuda_device_count", &pymi::cuda::device_count,
          "Number of visible CUDA devices (0 without CUDA support, a driver or a device).");
    m.def("simd_level", &pymi::cpu::simd_level,
          "Instruction set of the CPU kernels in this process: 'avx512' (AVX2 kernels, AVX-512 KDE sums),\n"
          "'avx2', 'baseline' or 'native'. Chosen once, at import, from what the CPU supports;\n"
          "PYMI_DISABLE_AVX2=1 forces 'baseline', PYMI_DISABLE_AVX512=1 stops at 'avx2'.");
    m.def("simd_levels_compiled", &pymi::cpu::simd_levels_compiled,
          "Instruction-set variants compiled into this build, e.g. 'baseline,avx2,avx512'.");
    // choose the variant now, so that PYMI_DISABLE_AVX2 is read once, at import
    pymi::cpu::simd_level();
}
