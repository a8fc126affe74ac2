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
    w = wkl_weights(k, d)
    assert abs(w.sum() - 1) < 1e-8
    j = np.arange(1, k + 1)
    for ell in range(1, d // 4 + 1):
        ratio = np.exp(gammaln(j + 2 * ell / d) - gammaln(j))
        assert abs(np.dot(w, ratio)) < 1e-8 * max(1.0, np.abs(w).max())
    support = set(np.unique((np.arange(1, d + 1) * k) // d)) - {0}
    assert set(np.nonzero(w)[0] + 1) <= support


@pytest.mark.parametrize("d", [4, 8, 16])
def test_below_smallest_k_raises(d):
    k_min = smallest_wkl_k(d)
    with pytest.raises(ValueError, match=rf"need k >= {k_min}"):
        wkl_weights(k_min - 1, d)


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
