"""Permutation tests: validity under the null, power, conditional (local) permutations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import pymi
from pymi.datasets import correlated_normal
from pymi.datasets.conditional import conditional_normal
from pymi.significance import local_permutation


def _binomial_bounds(reps: int, level: float) -> tuple[int, int]:
    # two-sided 99.9 % range of the number of rejections of a test with exact level
    return int(stats.binom.ppf(0.0005, reps, level)), int(stats.binom.isf(0.0005, reps, level))


def test_false_positive_rate_at_5_percent():
    # independent x, y: with 19 permutations p <= 0.05 exactly when the observed value
    # beats all 19 null values, which has probability 1/20 under exchangeability
    reps, n = 200, 60
    rng = np.random.default_rng(20260)
    rejections = 0
    for r in range(reps):
        x = rng.standard_normal((n, 1))
        y = rng.standard_normal((n, 1))
        res = pymi.permutation_test(x, y, n_permutations=19, k=3, random_state=r, n_jobs=1)
        rejections += res.p_value <= 0.05
    lo, hi = _binomial_bounds(reps, 0.05)
    assert lo <= rejections <= hi, rejections


def test_conditional_false_positive_rate_at_5_percent():
    # x and y depend on z only: X independent of Y given Z. The local permutation
    # test is approximately valid (Runge 2018); the count must lie in the binomial range
    # of a 5 % test
    reps, n = 200, 80
    rng = np.random.default_rng(7)
    rejections = 0
    for r in range(reps):
        z = rng.standard_normal((n, 1))
        x = z + 0.5 * rng.standard_normal((n, 1))
        y = z + 0.5 * rng.standard_normal((n, 1))
        res = pymi.permutation_test(x, y, z, n_permutations=19, k=3, random_state=r, n_jobs=1)
        rejections += res.p_value <= 0.05
    lo, hi = _binomial_bounds(reps, 0.05)
    assert lo <= rejections <= hi, rejections


def test_power_at_0p1_nats_n5000():
    # issue 15's target: p < 0.01 for I = 0.1 nats at N = 5000 (KSG's null sd is ~0.008
    # nats here, so 0.1 nats is >10 null sds away: no permutation reaches it)
    s = correlated_normal(0.1, 1, 1, 5000, random_state=3)
    res = pymi.permutation_test(s.x, s.y, n_permutations=199, random_state=0)
    assert res.p_value < 0.01
    assert res.p_value == pytest.approx(1 / 200)
    assert abs(res.null_mean) < 4 * res.null_std
    assert res.null_distribution.shape == (199,)
    assert res.statistic == res.estimate.value and not res.conditional


def test_conditional_power():
    s = conditional_normal(0.1, 1, 1, 2, 3000, coupling=2.0, random_state=1)
    res = pymi.permutation_test(s.x, s.y, s.z, n_permutations=99, random_state=0)
    assert res.conditional and res.params["k_perm"] == 5
    assert res.p_value == pytest.approx(0.01)
    # the local null keeps x's dependence on z: the null centres near zero, not near I(X;Y)
    assert abs(res.null_mean) < 0.03 < s.mi


def test_reproducible_and_independent_of_threads():
    s = correlated_normal(0.05, 1, 1, 400, random_state=2)
    a = pymi.permutation_test(s.x, s.y, n_permutations=30, random_state=5, n_jobs=1)
    b = pymi.permutation_test(s.x, s.y, n_permutations=30, random_state=5, n_jobs=2)
    c = pymi.permutation_test(s.x, s.y, n_permutations=30, random_state=5, parallel="kernels")
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    np.testing.assert_array_equal(a.null_distribution, c.null_distribution)
    assert a.p_value == b.p_value


def test_fast_path_equals_full_estimator():
    # the ksg fast path (whiten once, re-run the kernels) gives the estimator's values
    s = correlated_normal(0.2, 2, 1, 300, random_state=0)
    fast = pymi.permutation_test(s.x, s.y, n_permutations=5, random_state=1, n_jobs=1)
    assert fast.params["fast_path"]
    rng = np.random.default_rng(np.random.SeedSequence(int(np.random.default_rng(1).integers(2**63))).spawn(5)[0])
    perm = rng.permutation(300)
    direct = pymi.mutual_information(s.x[perm], s.y, "ksg").value
    assert fast.null_distribution[0] == pytest.approx(direct, abs=1e-12)


def test_other_methods_and_units():
    s = correlated_normal(0.3, 1, 1, 300, random_state=0)
    res = pymi.permutation_test(s.x, s.y, method="gaussian", n_permutations=19, random_state=0, base="bits")
    assert res.estimate.unit == "bits" and not res.params["fast_path"]
    assert res.p_value == pytest.approx(0.05)
    # the null is in the estimate's unit
    assert np.abs(res.null_distribution).max() < res.statistic
    c = conditional_normal(0.3, 1, 1, 1, 300, random_state=0)
    res = pymi.permutation_test(c.x, c.y, c.z, method="gaussian", n_permutations=9, random_state=0)
    assert res.conditional and res.p_value == pytest.approx(0.1)
    assert "p = 0.1" in repr(res)
    assert res.null_quantiles([0.5]).shape == (1,)


def test_local_permutation_stays_in_neighbourhoods():
    rng = np.random.default_rng(0)
    n, kp = 200, 4
    neighbors = np.stack([np.arange(n)] + [rng.integers(0, n, n) for _ in range(kp - 1)], axis=1)
    perm = local_permutation(neighbors, rng)
    assert all(perm[i] in neighbors[i] for i in range(n))
    # disjoint neighbourhoods of size kp (blocks): an exact permutation within blocks
    blocks = np.arange(n).reshape(-1, kp)
    nb = np.repeat(blocks, kp, axis=0)
    perm = local_permutation(nb, rng)
    assert sorted(perm.tolist()) == list(range(n))
    assert np.all(perm // kp == np.arange(n) // kp)


def test_errors():
    x = np.random.default_rng(0).standard_normal((50, 1))
    with pytest.raises(ValueError, match="n_permutations must be"):
        pymi.permutation_test(x, x, n_permutations=0)
    with pytest.raises(ValueError, match="parallel must be 'permutations' or 'kernels'"):
        pymi.permutation_test(x, x, parallel="processes")
    with pytest.raises(ValueError, match="k_perm=50 must be smaller than n_samples=50"):
        pymi.permutation_test(x, x[::-1].copy(), x + 1, k_perm=50)
    with pytest.raises(ValueError, match="same number of samples"):
        pymi.permutation_test(x, x[:10])
    with pytest.raises(ValueError, match="method must be one of"):
        pymi.permutation_test(x, x, method="nope")


def test_ties_broken_once_with_one_warning():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(300, 1)).astype(float)
    y = x + rng.standard_normal((300, 1))
    with pytest.warns(pymi.TiesWarning) as record:
        res = pymi.permutation_test(x, y, n_permutations=19, random_state=0)
    assert len([w for w in record if issubclass(w.category, pymi.TiesWarning)]) == 1
    assert res.params["fast_path"] and res.p_value == pytest.approx(0.05)


def test_nan_rows_dropped_once():
    s = correlated_normal(0.3, 1, 1, 300, random_state=0)
    x = s.x.copy()
    x[5, 0] = np.nan
    with pytest.raises(ValueError, match="nan_policy='omit'"):
        pymi.permutation_test(x, s.y, n_permutations=5)
    res = pymi.permutation_test(x, s.y, n_permutations=9, nan_policy="omit", random_state=0)
    assert res.estimate.n == 299


def test_null_of_cksg_skips_the_interval():
    s = correlated_normal(0.3, 1, 1, 400, random_state=1)
    res = pymi.permutation_test(s.x, s.y, method="cksg", n_permutations=4, random_state=0)
    assert res.estimate.interval is not None and res.null_distribution.shape == (4,)
