"""CalibratedKSG: closed-form truths, invariance, intervals and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from pymi._copula import gaussian_mi_from_cov, logdet_bias, normal_scores
from pymi.datasets import correlated_normal, transformed_normal, zero_inflated_pair
from pymi.estimators import KSG, TiesWarning
from pymi.estimators.calibrated import (
    MIN_CORRECTION_SPREAD,
    CalibratedKSG,
    _has_atoms,
    order_weights,
)


def _tolerance(est) -> float:
    # 5 reported standard errors plus the interval's own bias estimate: the
    # per-sample error ignores the weak dependence between the KSG terms
    return 5.0 * est.stderr + abs(est.params.get("subsample_bias", 0.0))


@pytest.mark.parametrize(
    ("dim_x", "dim_y", "mi"),
    [(1, 1, 0.5), (3, 3, 2.0), (10, 10, 2.0), (25, 25, 1.0)],
)
def test_gaussian_closed_form_any_dimension(dim_x, dim_y, mi):
    s = correlated_normal(mi, dim_x, dim_y, 2000, random_state=11)
    est = CalibratedKSG(random_state=0, n_subsamples=0).estimate(s.x, s.y)
    assert abs(est.value - mi) < 5.0 * est.stderr, est


def test_independent_high_dimensional_is_near_zero():
    # the Gaussian plug-in term alone is biased by ~dx*dy/(2n) = 0.1 nats here
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2000, 20)), rng.standard_normal((2000, 20))
    est = CalibratedKSG(random_state=1, n_subsamples=0).estimate(x, y)
    assert abs(est.value) < 5.0 * est.stderr, est
    assert est.params["plugin_bias"] > 0.08


def test_nonlinear_marginals_match_truth():
    s = transformed_normal(1.0, 5, 5, 3000, transform="half_cube", split=[0.5, 0.5, 0, 0, 0], random_state=5)
    est = CalibratedKSG(random_state=2).estimate(s.x, s.y)
    assert abs(est.value - 1.0) < _tolerance(est), est


def test_strictly_increasing_maps_leave_the_estimate_unchanged():
    s = correlated_normal(1.0, 2, 3, 1500, random_state=4)
    a = CalibratedKSG(random_state=9, n_subsamples=0).estimate(s.x, s.y)
    b = CalibratedKSG(random_state=9, n_subsamples=0).estimate(np.exp(s.x), np.arcsinh(s.y) * 3.0 - 7.0)
    assert a.value == b.value


def test_seeded_runs_are_reproducible():
    s = correlated_normal(0.7, 2, 2, 1000, random_state=1)
    a = CalibratedKSG(random_state=3).estimate(s.x, s.y)
    b = CalibratedKSG(random_state=3).estimate(s.x, s.y)
    c = CalibratedKSG(random_state=4).estimate(s.x, s.y)
    assert a.value == b.value and a.interval == b.interval
    assert a.value != c.value


def test_interval_brackets_the_estimate_and_follows_the_level():
    s = correlated_normal(1.0, 2, 2, 1000, random_state=2)
    e90 = CalibratedKSG(random_state=0, interval_level=0.9).estimate(s.x, s.y)
    e50 = CalibratedKSG(random_state=0, interval_level=0.5).estimate(s.x, s.y)
    lo, hi = e90.interval
    assert e90.interval_level == 0.9
    assert lo < e90.value < hi
    assert len(e90.params["subsample_values"]) == 4
    assert e50.interval[1] - e50.interval[0] < hi - lo
    none = CalibratedKSG(random_state=0, n_subsamples=0).estimate(s.x, s.y)
    assert none.interval is None
    bits = e90.to("bits")
    assert bits.interval[0] == pytest.approx(lo / np.log(2))


def test_discrete_labels_use_ross_on_normal_scores():
    s = correlated_normal(1.0, 2, 1, 2000, random_state=8)
    labels = (s.y[:, 0] > 0).astype(int)
    est = CalibratedKSG(random_state=0).estimate(s.x, labels, discrete_y=True)
    assert est.params["variant"] == "ross2014" and est.params["calibrated"] is False
    assert 0.1 < est.value < np.log(2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_references": 0}, "n_references must be"),
        ({"n_subsamples": 1}, "n_subsamples must be 0"),
        ({"n_subsamples": -2}, "n_subsamples must be.*0 for no interval"),
        ({"interval_level": 1.5}, "interval_level must be"),
        ({"k": 0}, "k"),
        ({"backend": "gpu"}, "backend"),
        ({"extrapolation_z": -1.0}, "extrapolation_z must be"),
    ],
)
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CalibratedKSG(**kwargs)


def test_extrapolation_threshold_of_the_wrong_type_is_refused():
    with pytest.raises(TypeError, match="extrapolation_z must be.*None"):
        CalibratedKSG(extrapolation_z="3")


def test_duplicate_columns_are_refused_with_the_fix():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 2))
    x = np.c_[x, x[:, 0]]
    with pytest.raises(ValueError, match="duplicate or collinear columns.*Drop the duplicated columns of x"):
        CalibratedKSG(n_subsamples=0).estimate(x, rng.standard_normal((500, 1)))


def test_constant_column_is_refused():
    rng = np.random.default_rng(0)
    y = np.c_[rng.standard_normal(300), np.ones(300)]
    with pytest.raises(ValueError, match="constant"):
        CalibratedKSG(n_subsamples=0).estimate(rng.standard_normal((300, 2)), y)


def test_logdet_bias_matches_monte_carlo():
    rng = np.random.default_rng(0)
    dim, n, reps = 4, 30, 4000
    draws = np.array(
        [np.linalg.slogdet(np.cov(rng.standard_normal((n, dim)), rowvar=False))[1] for _ in range(reps)]
    )
    assert abs(draws.mean() - logdet_bias(dim, n)) < 4.0 * draws.std() / np.sqrt(reps)


def test_gaussian_mi_from_cov_closed_form():
    rho = 0.8
    cov = np.array([[1.0, rho], [rho, 1.0]])
    assert gaussian_mi_from_cov(cov, 1) == pytest.approx(-0.5 * np.log(1 - rho**2))


def test_normal_scores_break_ties_at_random_and_are_standard():
    rng = np.random.default_rng(0)
    z = np.c_[np.repeat([0.0, 1.0], 50), rng.standard_normal(100)]
    s = normal_scores(z, rng)
    assert len(np.unique(s[:, 0])) == 100
    # tied values keep their block: every score of a 0 is below every score of a 1
    assert s[:50, 0].max() < s[50:, 0].min()
    assert np.allclose(np.sort(s[:, 0]), np.sort(s[:, 1]))


def test_default_method_is_calibrated_ksg_with_an_interval():
    import pymi

    s = correlated_normal(1.0, 2, 2, 1000, random_state=0)
    est = pymi.mutual_information(s.x, s.y, random_state=0)
    assert est.method == "cksg" and pymi.DEFAULT_MI_METHOD == "cksg"
    assert est.interval is not None and est.interval[0] < est.value < est.interval[1]
    assert "interval" in str(est)


def test_swiss_roll_wkl_warns_and_calibrated_ksg_is_right():
    """The issue's example: X on a curve in 2-D; WKL gave -1.52 +- 0.03 with no warning."""
    import warnings

    import pymi
    from pymi.datasets import swiss_roll

    s = swiss_roll(1.0, 5000, random_state=0)
    with pytest.warns(pymi.ImplausibleEstimateWarning, match="negative beyond its uncertainty.*cksg"):
        pymi.mutual_information(s.x, s.y, "wkl")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = pymi.mutual_information(s.x, s.y, random_state=0)
    assert est.interval[0] <= 1.0 <= est.interval[1], est


def test_too_few_rows_for_the_interval_names_the_fix():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 1))
    with pytest.raises(ValueError, match="4 disjoint subsamples of 2 rows.*n_subsamples=0"):
        CalibratedKSG().estimate(x, x + rng.standard_normal((10, 1)))
    est = CalibratedKSG(n_subsamples=0, random_state=0).estimate(x, x + rng.standard_normal((10, 1)))
    assert np.isfinite(est.value)


def test_y_a_monotone_copy_of_x_is_a_clear_error():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 2))
    with pytest.raises(ValueError, match="collinear jointly.*infinite"):
        CalibratedKSG(n_subsamples=0).estimate(x, np.exp(x[:, :1]))


# ---------------------------------------------------------------- order extrapolation
def test_order_weights_cancel_the_leading_bias_term():
    from scipy.special import gammaln

    assert order_weights(1, 2, 10) == pytest.approx((6.0, -5.0))
    assert order_weights(1, 2, 4) == pytest.approx((3.0, -2.0))
    for a, b, dim in [(1, 3, 7), (1, 5, 2), (2, 4, 20)]:
        w_a, w_b = order_weights(a, b, dim)
        g = [np.exp(gammaln(j + 2.0 / dim) - gammaln(j)) for j in (a, b)]
        assert w_a + w_b == pytest.approx(1.0)
        assert w_a * g[0] + w_b * g[1] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_order_terms_are_those_of_ksg_at_each_order(k):
    # the order-k terms equal KSG's bit for bit; the correction combines KSG at orders 1 and b
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 2))
    y = x[:, :1] + rng.standard_normal((400, 1))
    est = CalibratedKSG(k=k, extrapolation_z=3.0)
    terms, correction, _ = est._ksg_terms(est._ksg(1), x, y, orders=True)
    ksg_terms = {j: KSG(k=j, whiten=False)._mi_continuous(x, y, rng)[1] for j in (1, 2, k)}
    assert np.array_equal(terms, ksg_terms[k])
    a, b = est._orders()
    assert (a, b) == (1, max(k, 2))
    w_a, w_b = order_weights(a, b, 3)
    assert np.allclose(correction, w_a * ksg_terms[a] + w_b * ksg_terms[b] - ksg_terms[k])


def test_extrapolation_off_or_not_significant_leaves_the_estimate_unchanged():
    s = correlated_normal(1.0, 3, 3, 2000, random_state=21)
    off = CalibratedKSG(random_state=5, extrapolation_z=None).estimate(s.x, s.y)
    on = CalibratedKSG(random_state=5, extrapolation_z=3.0).estimate(s.x, s.y)
    assert "order_correction" not in off.params
    # Gaussian data: the reference shares the order dependence, so the correction is
    # zero in expectation; 4 standard errors fail by chance with probability 6e-5
    c, se = on.params["order_correction"], on.params["order_correction_se"]
    assert abs(c) < 4.0 * se
    if not on.params["order_correction_applied"]:
        assert on.value == off.value and on.interval == off.interval
    shift = c if on.params["order_correction_applied"] else 0.0
    assert on.value == pytest.approx(off.value + shift, abs=1e-12)


def test_spiral_strong_dependence_is_corrected():
    """Radius-dependent rotation of a 2+2 Gaussian, I = 2: KSG's neighbourhoods smooth the curve."""
    s = transformed_normal(2.0, 2, 2, 5000, transform="spiral", random_state=3)
    plain = CalibratedKSG(random_state=0, extrapolation_z=None).estimate(s.x, s.y)
    est = CalibratedKSG(random_state=0, extrapolation_z=3.0).estimate(s.x, s.y)
    assert est.params["order_correction_applied"], est.params
    c, se = est.params["order_correction"], est.params["order_correction_se"]
    # the plain estimate is low by more than 3 of its own standard errors ...
    assert 2.0 - plain.value > 3.0 * plain.stderr
    # ... the corrected one is within 3 of its (larger) ones, and the interval moved along
    assert abs(est.value - 2.0) < 3.0 * est.stderr, est
    assert est.stderr == pytest.approx(np.hypot(plain.stderr, se))
    assert est.interval[0] <= 2.0 <= est.interval[1]
    centre = 0.5 * (est.interval[0] + est.interval[1])
    assert centre == pytest.approx(0.5 * (plain.interval[0] + plain.interval[1]) + c)
    assert est.interval[1] - est.interval[0] >= plain.interval[1] - plain.interval[0]


def test_imprecise_correction_is_not_applied_in_high_dimension():
    # joint dimension 40 at n = 1000: the correction's standard error is bound to exceed
    # MAX_CORRECTION_SE, so it is not even computed, and extrapolation_z=0 changes nothing
    s = correlated_normal(1.0, 20, 20, 1000, random_state=2)
    est = CalibratedKSG(random_state=0, n_subsamples=0, extrapolation_z=0.0).estimate(s.x, s.y)
    assert est.params["order_correction_skipped_imprecise"]
    assert "order_correction" not in est.params
    plain = CalibratedKSG(random_state=0, n_subsamples=0, extrapolation_z=None).estimate(s.x, s.y)
    assert est.value == plain.value


def test_the_a_priori_skip_is_conservative():
    # where the correction is computed in high dimension (10 + 10 at n = 5000), its
    # measured standard error is above the a-priori lower bound
    n = 5000
    s = correlated_normal(1.0, 10, 10, n, random_state=4)
    est = CalibratedKSG(random_state=0, n_subsamples=0, extrapolation_z=0.0).estimate(s.x, s.y)
    w_a = abs(order_weights(1, 2, 20)[0])
    assert est.params["order_correction_se"] > w_a * MIN_CORRECTION_SPREAD / np.sqrt(n)
    assert "order_correction_skipped_imprecise" not in est.params


def test_atoms_are_detected_in_ties_not_in_heavy_tails():
    rng = np.random.default_rng(0)
    assert not _has_atoms(rng.standard_normal((5000, 3)))
    assert not _has_atoms(rng.standard_cauchy((5000, 3)))  # heavy tails are not atoms
    assert not _has_atoms(rng.exponential(size=(5000, 2)))
    tied = np.where(rng.random((5000, 1)) < 0.2, 0.0, rng.standard_normal((5000, 1)))
    jittered = tied + 1e-10 * tied.std() * rng.standard_normal(tied.shape)
    assert _has_atoms(tied) and _has_atoms(jittered)
    mostly_atom = np.where(rng.random((5000, 1)) < 0.95, 0.0, rng.standard_normal((5000, 1)))
    assert _has_atoms(mostly_atom + 1e-10 * mostly_atom.std() * rng.standard_normal(mostly_atom.shape))


def test_no_order_correction_on_data_with_atoms():
    # a joint atom (X = Y = 0 with probability 0.2): the smooth-density expansion of the
    # neighbour-order bias does not hold, so the estimate is the plain calibrated one
    s = zero_inflated_pair(0.75, 5000, p_zero=0.2, random_state=0)
    with pytest.warns(TiesWarning):
        est = CalibratedKSG(random_state=1000).estimate(s.x, s.y)
    with pytest.warns(TiesWarning):
        plain = CalibratedKSG(random_state=1000, extrapolation_z=None).estimate(s.x, s.y)
    assert est.params["order_correction_skipped_atoms"]
    assert "order_correction_applied" not in est.params
    assert est.value == plain.value and est.interval == plain.interval


@pytest.mark.filterwarnings("ignore::pymi.estimators.TiesWarning")
@pytest.mark.parametrize("dim", [1, 3])
def test_threads_and_concurrent_jobs_do_not_change_the_estimate(dim, monkeypatch):
    # the KSG runs are independent jobs (two worker threads with n_jobs >= 2); every random
    # draw happens before them, so the result is bit for bit that of one serial thread
    rng = np.random.default_rng(4)
    x = np.round(rng.standard_normal((1200, dim)), 1)  # ties: the normal scores draw at random
    y = np.tanh(x) + rng.standard_normal((1200, dim))
    runs = {}
    for n_jobs in (1, 2, 3):
        est = CalibratedKSG(n_jobs=n_jobs, random_state=7, ties="jitter")
        runs[n_jobs] = est.estimate(x, y)
    for n_jobs in (2, 3):
        assert runs[n_jobs].value == runs[1].value
        assert runs[n_jobs].interval == runs[1].interval
        assert runs[n_jobs].stderr == runs[1].stderr
    # the two-worker path really runs: each job gets half the threads
    seen = []
    real = CalibratedKSG._ksg_terms

    def spy(self, ksg, sx, sy, orders):
        seen.append(ksg.n_jobs)
        return real(self, ksg, sx, sy, orders)

    monkeypatch.setattr(CalibratedKSG, "_ksg_terms", spy)
    again = CalibratedKSG(n_jobs=4, random_state=7, ties="jitter").estimate(x, y)
    assert again.value == runs[1].value
    assert seen == [2] * 7  # data, reference, subsample reference, 4 subsamples


def test_interval_parts_compose_to_subsample_interval():
    from pymi._interval import interval_from_values, subsample_interval, subsample_rows

    data = np.random.default_rng(1).standard_normal(1003)
    whole = subsample_interval(
        lambda rows: float(data[rows].mean()), 1003, 0.01, n_subsamples=4, level=0.9,
        rng=np.random.default_rng(2), shared_variance=0.003,
    )
    rows = subsample_rows(1003, 4, np.random.default_rng(2))
    assert [r.size for r in rows] == [250] * 4
    assert len(np.unique(np.concatenate(rows))) == 1000
    parts = interval_from_values(
        np.array([data[r].mean() for r in rows]), 1003, 0.01, level=0.9, shared_variance=0.003
    )
    assert parts == whole
