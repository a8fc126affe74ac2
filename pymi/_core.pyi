"""Type stub of the compiled extension ``pymi._core`` (private; contract in csrc/API.md).

Every kernel validates its input (``TypeError`` for a wrong type or dtype,
``ValueError`` for a wrong shape or value), releases the GIL, and runs on the
CPU (``device="cpu"``) or a CUDA device (``"cuda"``, ``"cuda:N"``; a build
without CUDA raises ``RuntimeError``). ``n_jobs <= 0`` means all cores.
"""

from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

_Float: TypeAlias = NDArray[np.float32] | NDArray[np.float64]
_Metric: TypeAlias = Literal["euclidean", "chebyshev", "sqeuclidean"]
_Algorithm: TypeAlias = Literal["kdtree", "brute"]

def knn(
    x: _Float,
    k: int,
    metric: _Metric = "euclidean",
    algorithm: _Algorithm = "kdtree",
    n_jobs: int = 0,
    device: str = "cpu",
) -> tuple[_Float, NDArray[np.int64]]:
    """Exact k nearest other points of every row: ``(dist[n, k] x.dtype, idx[n, k] int64)``."""

def count_within(
    x: _Float,
    radius: _Float,
    metric: Literal["euclidean", "chebyshev"],
    algorithm: _Algorithm = "kdtree",
    n_jobs: int = 0,
    device: str = "cpu",
) -> NDArray[np.int64]:
    """Strict radius counts ``#{j != i : dist(x_i, x_j) < radius[i]}`` (int64[n])."""

def count_within_radii(
    x: _Float,
    radius: _Float,
    metric: Literal["euclidean", "chebyshev"],
    n_jobs: int = 0,
) -> NDArray[np.int64]:
    """Strict counts at ``radius[:, j]`` (shape (n, m), 1 <= m <= 8) in one kd-tree pass, CPU (int64[n, m])."""

def count_within_pair(
    x: _Float,
    y: _Float,
    radius: _Float,
    metric: Literal["euclidean", "chebyshev"] = "chebyshev",
    n_jobs: int = 0,
    device: str = "cpu",
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Both KSG marginal strict counts in one fused brute-force pass."""

def kl_point_terms(
    dist: _Float,
    weights: NDArray[np.float64],
    dim: float,
    offsets: NDArray[np.float64],
    n_jobs: int = 0,
) -> NDArray[np.float64]:
    """``t[i] = sum_j weights[j] * (dim * log dist[i, j] + offsets[j])`` over non-zero weights."""

def kde_log_kernel_sums(
    x: _Float,
    bandwidths: NDArray[np.float64],
    shift_sq: NDArray[np.float64],
    n_jobs: int = 0,
    device: str = "cpu",
) -> NDArray[np.float64]:
    """Leave-one-out Gaussian-kernel log sums, float64[m, n], one row per bandwidth."""

def cuda_compiled() -> bool:
    """True when pymi was built with nvcc."""

def cuda_device_count() -> int:
    """Visible CUDA devices (0 without CUDA support, a driver or a device)."""

def simd_level() -> Literal["avx512", "avx2", "baseline", "native"]:
    """Instruction set of the CPU kernels in this process."""

def simd_levels_compiled() -> str:
    """Instruction-set variants compiled into this build, e.g. ``"baseline,avx2,avx512"``."""
