"""The binding layer of ``pymi._core``: one binding per operation, a ``device``
argument, and every input check (csrc/bind_util.hpp) with its message.

Shape, dtype and value errors of the neighbour and KDE kernels are also
covered in tests/test_kernels_knn.py and tests/test_kernels_kde.py; this file
covers what the bindings share: device names, the CUDA routing, the type of
the inputs, and the Python policy over them (backend resolution, faiss).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from pymi import _core, _neighbors
from pymi.estimators import _backend

X = np.random.default_rng(0).standard_normal((20, 3))
R = np.ones(20)
H = np.array([0.5])
S = np.zeros(20)

#: Each operation with its device argument, on valid input.
OPERATIONS = {
    "knn": lambda device: _core.knn(X, 2, "euclidean", "kdtree", 1, device),
    "count_within": lambda device: _core.count_within(X, R, "chebyshev", "kdtree", 1, device),
    "count_within_pair": lambda device: _core.count_within_pair(X, X[:, :1].copy(), R, "chebyshev", 1, device),
    "kde_log_kernel_sums": lambda device: _core.kde_log_kernel_sums(X, H, S, 1, device),
}


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_every_operation_takes_a_device(op):
    OPERATIONS[op]("cpu")  # runs
    with pytest.raises(ValueError, match=r"device must be 'cpu', 'cuda' or 'cuda:N'; got 'gpu'"):
        OPERATIONS[op]("gpu")
    with pytest.raises(ValueError, match=r"got 'auto' \(pymi._device.resolve_device turns 'auto'"):
        OPERATIONS[op]("auto")
    with pytest.raises(ValueError, match=r"got 'cuda:x'"):
        OPERATIONS[op]("cuda:x")


@pytest.mark.skipif(_core.cuda_compiled(), reason="checks the build without CUDA")
@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_a_cuda_build_is_a_clear_error(op, device):
    with pytest.raises(
        RuntimeError, match=r"pymi was built without CUDA support; .*-Ccmake.define.PYMI_CUDA=ON.*device='cpu'"
    ):
        OPERATIONS[op](device)
    assert _core.cuda_device_count() == 0


def test_input_is_validated_before_the_device_is_used():
    # the same checks on every device: a bad input never reaches a CUDA stub
    with pytest.raises(ValueError, match=r"k=20 must be smaller than n_samples=20"):
        _core.knn(X, 20, device="cuda")
    with pytest.raises(ValueError, match=r"radius must be non-negative and not NaN; got radius\[0\]=nan"):
        _core.count_within(X, np.r_[np.nan, R[1:]], "chebyshev", device="cuda")
    with pytest.raises(ValueError, match=r"bandwidths must be finite and positive"):
        _core.kde_log_kernel_sums(X, np.array([0.0]), S, device="cuda")


def test_sqeuclidean_is_cuda_only():
    with pytest.raises(ValueError, match=r"metric='sqeuclidean' is available for knn on device='cuda' only"):
        _core.knn(X, 2, "sqeuclidean")
    with pytest.raises(ValueError, match=r"metric='sqeuclidean' is available for knn on device='cuda' only"):
        _core.count_within(X, R, "sqeuclidean", device="cuda")
    with pytest.raises(ValueError, match=r"metric must be 'euclidean' or 'chebyshev'; got 'cosine'"):
        _core.count_within(X, R, "cosine")


def test_points_must_be_numpy_arrays():
    with pytest.raises(TypeError, match=r"x must be a numpy array of float32 or float64; got list"):
        _core.knn(X.tolist(), 2)
    with pytest.raises(TypeError, match=r"y must be a numpy array of float32 or float64; got tuple"):
        _core.count_within_pair(X, (1, 2), R)
    with pytest.raises(TypeError, match=r"radius must be a numpy array of float32 or float64; got float"):
        _core.count_within(X, 1.0, "chebyshev")
    with pytest.raises(TypeError, match=r"dist must have dtype float32 or float64; got dtype int64"):
        _core.kl_point_terms(np.ones((5, 2), dtype=np.int64), np.ones(2), 1, np.ones(2))


def test_kernel_parameters_must_be_real_numbers():
    with pytest.raises(TypeError, match=r"weights must contain real numbers; got dtype <U1"):
        _core.kl_point_terms(np.ones((5, 2)), np.array(["a", "b"]), 1, np.ones(2))
    with pytest.raises(TypeError, match=r"bandwidths must be an array of real numbers; got str"):
        _core.kde_log_kernel_sums(X, "wide", S)
    # lists and integer arrays are converted
    np.testing.assert_array_equal(
        _core.kde_log_kernel_sums(X, [1], S, 1), _core.kde_log_kernel_sums(X, np.array([1.0]), S, 1)
    )


def test_y_is_checked_like_x():
    with pytest.raises(ValueError, match=r"y must have at least 1 feature; got n_features=0"):
        _core.count_within_pair(X, np.zeros((20, 0)), R)
    with pytest.raises(ValueError, match=r"y must be a 2-D array \(n_samples, n_features\); got y.shape=\(20,\)"):
        _core.count_within_pair(X, np.zeros(20), R)
    y = np.zeros((20, 1))
    y[4, 0] = np.inf
    with pytest.raises(ValueError, match=r"y contains 1 NaN or infinite values"):
        _core.count_within_pair(X, y, R)


def test_kde_input_checks_match_the_neighbour_kernels():
    x = X.copy()
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite values; remove or impute them first"):
        _core.kde_log_kernel_sums(x, H, S)
    with pytest.raises(TypeError, match=r"x must have dtype float32 or float64; got dtype float16"):
        _core.kde_log_kernel_sums(X.astype(np.float16), H, S)


def test_simd_level_is_reported():
    assert _core.simd_level() in _core.simd_levels_compiled().split(",")


# ---------------------------------------------------------------------------
# the Python policy: one backend rule, faiss optional


def test_backend_resolution_is_one_rule(monkeypatch):
    from pymi import _device

    monkeypatch.setattr(_device, "cuda_device_count", lambda: 0)
    assert _neighbors.resolve_backend("auto", "auto") == ("auto", "cpu")
    assert _neighbors.resolve_backend("brute", "cpu", "count_within") == ("brute", "cpu")
    assert _backend.resolve_backend("kdtree", "auto") == ("kdtree", "cpu")
    monkeypatch.setattr(_device, "cuda_device_count", lambda: 1)
    assert _neighbors.resolve_backend("auto", "auto") == ("cuda", "cuda")
    assert _backend.resolve_backend("auto", "auto") == ("cuda", "cuda")
    assert _neighbors.resolve_backend("auto", "cpu") == ("auto", "cpu")
    assert _neighbors.resolve_backend("kdtree", "auto") == ("kdtree", "cuda")
    with pytest.raises(ValueError, match=r"backend='faiss' supports knn only; for count_within_pair use one of"):
        _neighbors.resolve_backend("faiss", "cpu", "count_within_pair")


def test_backend_cuda_without_cuda_says_how_to_fix(monkeypatch):
    from pymi import _device

    monkeypatch.setattr(_device, "cuda_device_count", lambda: 0)
    with pytest.raises(ValueError, match=r"device='cuda' was requested but .*pass device='cpu'"):
        _neighbors.knn(X, 2, backend="cuda")


def test_faiss_backend_without_faiss_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    with pytest.raises(ImportError, match=r"backend='faiss' needs the optional faiss package: pip install \"pymi\[faiss\]\""):
        _neighbors.knn(X, 2, backend="faiss")
    from pymi.estimators import KSG

    with pytest.raises(ImportError, match=r"pymi\[gpu\]"):
        KSG(backend="faiss").mutual_information(X, X[:, :1] + 1.0)
    # everything else works without faiss
    assert _neighbors.knn(X, 2)[0].shape == (20, 2)
    assert np.isfinite(KSG().mutual_information(X, X[:, :1] + np.arange(20.0)[:, None]).value)


def test_n_jobs_beyond_a_c_int_is_a_clear_error():
    with pytest.raises(ValueError, match=r"n_jobs=2147483648 is more threads than can be started"):
        _neighbors.knn(X, 2, n_jobs=2**31)


def test_either_byte_order_is_accepted():
    big = X.astype(">f8")
    for got, want in zip(_core.knn(big, 3), _core.knn(X, 3)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        _core.count_within(big, R.astype(">f8"), "chebyshev"), _core.count_within(X, R, "chebyshev")
    )


@pytest.mark.skipif(_core.cuda_compiled(), reason="checks the build without CUDA")
def test_device_cuda_without_a_cuda_build_names_the_build_option():
    from pymi._device import resolve_device

    with pytest.raises(ValueError, match=r"built without CUDA; .*-Ccmake.define.PYMI_CUDA=ON.*pass device='cpu'"):
        resolve_device("cuda")
