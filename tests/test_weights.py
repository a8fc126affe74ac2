"""WKL weights (Berrett, Samworth & Yuan 2019) solve their constraints exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln

from pymi._weights import kl_offsets, kl_weights, smallest_wkl_k, wkl_weights


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 7, 8, 12, 16])
@pytest.mark.parametrize("extra", [0, 1, 5, 20])
def test_constraints_hold(d, extra):
    k = smallest_wkl_k(d) + extra
    w = wkl_weights(k, d, max_norm=np.inf)
    assert abs(w.sum() - 1) < 1e-8
    j = np.arange(1, k + 1)
    for ell in range(1, d // 4 + 1):
        ratio = np.exp(gammaln(j + 2 * ell / d) - gammaln(j))
        assert abs(np.dot(w, ratio)) < 1e-8 * max(1.0, np.abs(w).max())
    support = set(np.unique((np.arange(1, d + 1) * k) // d)) - {0}
    assert set(np.nonzero(w)[0] + 1) <= support


@pytest.mark.parametrize(("d", "k_small", "k_best"), [(4, 1, 2), (8, 2, 4)])
def test_below_smallest_k_raises(d, k_small, k_best):
    # d = 8: k = 3 solves the constraints but its L1 norm is over 50
    with pytest.raises(ValueError, match=rf"with L1 norm <= max_weight_norm=50 is {k_best}; pass k={k_best}"):
        wkl_weights(k_small, d)
    wkl_weights(k_best, d)
    if d == 8:
        assert smallest_wkl_k(d) == 3 and np.abs(wkl_weights(3, d, max_norm=np.inf)).sum() > 50


def test_low_dimension_averages_support():
    # d < 4: only sum(w) = 1; the minimum-norm solution spreads weight evenly.
    w = wkl_weights(4, 2)
    np.testing.assert_allclose(w, [0, 0.5, 0, 0.5])


def test_kl_weights_and_offsets():
    np.testing.assert_array_equal(kl_weights(3), [0, 0, 1])
    off = kl_offsets(100, 1, 2)
    # d = 1: V_1 = 2, psi(100) - psi(1) and psi(100) - psi(2)
    from scipy.special import digamma

    np.testing.assert_allclose(off, np.log(2) + digamma(100) - digamma([1, 2]))


@pytest.mark.parametrize(("k", "d", "norm"), [(5, 12, "755"), (5, 16, "3.17e\\+04")])
def test_noisy_weights_raise(k, d, norm):
    # exact, but the L1 norm multiplies the per-order noise (e.g. 3e4 in 8+8-D MI)
    with pytest.raises(ValueError, match=rf"d={d} dimensions have L1 norm {norm} > max_weight_norm=50.*method='kl'"):
        wkl_weights(k, d)
    assert abs(wkl_weights(k, d, max_norm=np.inf).sum() - 1) < 1e-8


def test_noisy_weights_suggest_a_k_within_the_bound():
    with pytest.raises(ValueError, match=r"L1 norm 40.7 > max_weight_norm=20: .* k=14 gives 18.8: pass k=14"):
        wkl_weights(5, 9, max_norm=20)
    assert np.abs(wkl_weights(14, 9, max_norm=20)).sum() <= 20


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5, 6, 7])
def test_low_dimensions_pass_the_default_bound(d):
    for k in range(max(5, smallest_wkl_k(d)), 60):
        assert np.abs(wkl_weights(k, d)).sum() < 5


def test_high_dimension_fails_fast():
    import time

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"no usable weights in d=784 .* \(not searched above d=64\)"):
        wkl_weights(5, 784)
    assert time.perf_counter() - t0 < 1.0  # was minutes: a search over k <= 2000
