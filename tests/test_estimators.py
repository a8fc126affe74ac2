"""Accuracy of the estimators against closed-form truths (see tests/truths.py)."""

from __future__ import annotations

import numpy as np
import pytest

import pymi
from truths import (
    boundary_bias_bound,
    correlated_gaussian,
    gaussian_entropy,
    kl_gaussian_bias_bound,
)

Z = 4.0  # standard errors allowed


def _check(est, truth, bias_bound):
    tol = Z * est.stderr + bias_bound
    assert abs(est.value - truth) <= tol, (
        f"{est.method}: {est.value:.4f} vs truth {truth:.4f} (tol {tol:.4f} = "
        f"{Z} x stderr {est.stderr:.4f} + bias bound {bias_bound:.4f})"
    )


@pytest.mark.parametrize("d", list(range(1, 17)))
@pytest.mark.parametrize("method", ["kl", "wkl", "gaussian"])
def test_gaussian_entropy(d, method):
    rng = np.random.default_rng(100 + d)
    n = 4000
    a = rng.standard_normal((d, d)) / np.sqrt(d) + np.eye(d)
    cov = a @ a.T
    x = rng.standard_normal((n, d)) @ a.T
    truth = gaussian_entropy(cov)
    if method == "gaussian":
        est = pymi.entropy(x, "gaussian")
        bias = d * (d + 1) / (4 * n)  # E log det S - log det Sigma ~ -d(d+1)/(2n), halved
        _check(est, truth, bias)
        return
    k = 5
    if method == "wkl":
        from pymi._weights import smallest_wkl_k

        k = max(5, smallest_wkl_k(d))
    est = pymi.entropy(x, method, k=k)
    _check(est, truth, kl_gaussian_bias_bound(d, k, n))


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("method", ["kl", "wkl"])
def test_uniform_cube_entropy(d, method):
    rng = np.random.default_rng(7 + d)
    n, k = 5000, 5
    lo, hi = rng.uniform(-2, 0, d), rng.uniform(0.5, 3, d)
    x = lo + (hi - lo) * rng.random((n, d))
    truth = float(np.sum(np.log(hi - lo)))
    est = pymi.entropy(x, method, k=k)
    _check(est, truth, boundary_bias_bound(d, k, n))


MI_GRID = [0.0, 0.5, 2.0, 5.0]
DIMS = [(1, 1), (2, 2), (4, 4), (8, 8), (1, 4), (2, 8)]


@pytest.mark.parametrize("dx,dy", DIMS)
@pytest.mark.parametrize("mi", MI_GRID)
@pytest.mark.parametrize("method", ["kl", "wkl"])
def test_correlated_gaussian_mi_entropy_sum(method, mi, dx, dy):
    rng = np.random.default_rng(int(1000 * mi) + 10 * dx + dy)
    n, k = 4000, 5
    if method == "wkl":
        from pymi._weights import smallest_wkl_k

        k = max(5, smallest_wkl_k(dx + dy))
    x, y = correlated_gaussian(mi, dx, dy, n, rng)
    est = pymi.mutual_information(x, y, method, k=k)
    bias = sum(kl_gaussian_bias_bound(d, k, n) for d in (dx, dy, dx + dy))
    _check(est, mi, bias)


@pytest.mark.parametrize("dx,dy", [(1, 1), (2, 2), (4, 4)])
@pytest.mark.parametrize("mi", [0.0, 0.5, 2.0])
def test_correlated_gaussian_mi_ksg(mi, dx, dy):
    # KSG has no per-term whitening to absorb correlation: its bias grows with
    # MI (Gao et al. 2015: it needs N ~ exp(I) samples). We bound it with the
    # bias of the entropy-sum kNN estimator in the joint dimension, scaled by
    # exp(I / min(dx, dy)) (the shrinking of the joint ball volume per pair).
    rng = np.random.default_rng(int(1000 * mi) + 10 * dx + dy + 5)
    n, k = 4000, 5
    x, y = correlated_gaussian(mi, dx, dy, n, rng)
    est = pymi.mutual_information(x, y, "ksg", k=k)
    bias = kl_gaussian_bias_bound(dx + dy, k, n) * np.exp(mi / min(dx, dy))
    _check(est, mi, bias)


@pytest.mark.parametrize("dx,dy", [(1, 1), (2, 2), (4, 4), (2, 8)])
@pytest.mark.parametrize("mi", MI_GRID)
def test_correlated_gaussian_mi_gaussian(mi, dx, dy):
    rng = np.random.default_rng(int(1000 * mi) + 10 * dx + dy + 7)
    n = 4000
    x, y = correlated_gaussian(mi, dx, dy, n, rng)
    est = pymi.mutual_information(x, y, "gaussian")
    bias = sum(d * (d + 1) / (4 * n) for d in (dx, dy, dx + dy))
    _check(est, mi, bias)


@pytest.mark.parametrize("levels", [2, 4, 8])
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("method", ["kl", "wkl", "ksg"])
def test_discrete_labels_uniform_cube(method, d, levels):
    # X ~ U[0,1]^d, Y = floor(L X_1): I(X; Y) = H(Y) = log L.
    rng = np.random.default_rng(3 * d + levels)
    n, k = 6000, 5
    x = rng.random((n, d))
    y = np.floor(levels * x[:, 0]).astype(int)
    est = pymi.mutual_information(x, y, method, k=k, discrete_y=True)
    bias = boundary_bias_bound(d, k, n) + boundary_bias_bound(d, k, n // levels)
    _check(est, np.log(levels), bias)


@pytest.mark.parametrize("method", ["gaussian", "kl", "wkl", "ksg"])
def test_discrete_labels_independent_is_zero(method):
    rng = np.random.default_rng(5)
    n, d, levels = 4000, 2, 4
    x = rng.standard_normal((n, d))
    y = rng.integers(0, levels, n)
    est = pymi.mutual_information(x, y, method, discrete_y=True)
    if method == "gaussian":
        bias = d * (d + 1) / (4 * n) + d * (d + 1) / (4 * (n // levels))
    else:
        bias = kl_gaussian_bias_bound(d, 5, n) + kl_gaussian_bias_bound(d, 5, n // levels)
    _check(est, 0.0, bias)


def test_stderr_is_calibrated():
    # The per-sample standard error should match the spread over independent
    # repetitions within a factor that a chi-square with 19 dof allows.
    values, errs = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x, y = correlated_gaussian(1.0, 2, 2, 2000, rng)
        est = pymi.mutual_information(x, y, "kl", k=5)
        values.append(est.value)
        errs.append(est.stderr)
    ratio = np.std(values, ddof=1) / np.mean(errs)
    # 99% chi-square band for the sample sd with 19 dof: [0.62, 1.43]; the
    # per-sample stderr is conservative for kNN terms, so allow down to 0.3.
    assert 0.3 < ratio < 1.43, ratio


def test_bits_and_conversion():
    rng = np.random.default_rng(0)
    x, y = correlated_gaussian(1.0, 1, 1, 2000, rng)
    nats = pymi.mutual_information(x, y, "kl")
    bits = pymi.mutual_information(x, y, "kl", base="bits")
    assert bits.unit == "bits"
    assert bits.value == pytest.approx(nats.value / np.log(2))
    assert nats.to("bits").value == pytest.approx(bits.value)
    assert float(nats) == nats.value


def test_params_report_what_was_used():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((500, 3))
    est = pymi.entropy(x, "wkl", k=6)
    assert est.params["k"] == 6
    assert est.params["whiten"] is True
    assert abs(sum(est.params["weights"]) - 1) < 1e-8
    assert est.n == 500 and est.method == "wkl" and est.unit == "nats"


def test_torch_tensors_and_image_shapes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((800, 2, 2))
    y = x[:, 0, :1] + 0.5 * rng.standard_normal((800, 1))
    a = pymi.mutual_information(x, y, "kl")
    b = pymi.mutual_information(torch.from_numpy(x), torch.from_numpy(y), "kl")
    assert a.value == b.value
