"""Tests of the hard-distribution suite: normal_cdf, swiss_roll, near_discrete, pure Student-t, HARD_SUITE.

Every truth is checked by an independent route (a Monte-Carlo average of the log density
ratio, a second quadrature, an exact inverse map), with tolerances derived from the sample
size: 5 standard errors, or a Dvoretzky-Kiefer-Wolfowitz bound at level 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from pymi.datasets import (
    HARD_SUITE,
    KnownMISample,
    SuiteTask,
    correlated_normal,
    draw,
    hard_suite,
    near_discrete,
    near_discrete_gap_bound,
    near_discrete_mi,
    pair_correlations,
    student_t,
    student_t_mi_correction,
    swiss_roll,
    swiss_roll_embedding,
    transformed_normal,
)
from pymi.datasets.manifold import ROLL_ANGLES
from pymi.datasets.suite import FAMILIES, SUITE_GENERATORS


def dkw_bound(n: int, alpha: float = 1e-6) -> float:
    """Dvoretzky-Kiefer-Wolfowitz (Massart): P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2) = alpha."""
    return math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


def correlation_tolerance(rho: float, n: int) -> float:
    """Five standard errors of a sample correlation, sd ~ (1 - rho^2) / sqrt(n), plus O(1/n)."""
    return 5.0 * (1.0 - rho**2) / math.sqrt(n) + 5.0 / n


# --------------------------------------------------------------------------- normal_cdf


class TestNormalCdf:
    def test_uniform_marginals(self):
        n = 20_000
        s = transformed_normal(2.0, 2, 3, n, transform="normal_cdf", random_state=1)
        assert np.all((s.x > 0) & (s.x < 1)) and np.all((s.y > 0) & (s.y < 1))
        for col in np.hstack([s.x, s.y]).T:
            d = stats.kstest(col, "uniform").statistic
            assert d < dkw_bound(n)

    def test_inverts_to_the_rotated_gaussian_of_correlated_normal(self):
        # same draws in the same order as correlated_normal, then Phi componentwise
        s = transformed_normal(1.5, 3, 2, 2000, transform="normal_cdf", split=[2, 1], random_state=4)
        g = correlated_normal(1.5, 3, 2, 2000, split=[2, 1], random_state=4)
        u = correlated_normal(1.5, 3, 2, 2000, split=[2, 1], marginals="uniform", random_state=4)
        np.testing.assert_allclose(special.ndtri(s.x), g.x, rtol=0, atol=1e-8)
        np.testing.assert_allclose(special.ndtri(s.y), g.y, rtol=0, atol=1e-8)
        np.testing.assert_array_equal(s.x, u.x)
        np.testing.assert_array_equal(s.latent_y, g.latent_y)
        assert s.mi == 1.5 and s.params["transform"] == "normal_cdf"


# --------------------------------------------------------------------------- swiss roll


def unroll(x: np.ndarray) -> np.ndarray:
    """The latent u from a point of the roll: the radius gives the angle t, then Phi^{-1}."""
    a, b = ROLL_ANGLES
    t = b * np.hypot(x[:, 0], x[:, 1])
    return special.ndtri((t - a) / (b - a))


class TestSwissRoll:
    def test_x_is_an_injective_function_of_the_latent(self):
        s = swiss_roll(1.0, 5000, random_state=0)
        assert s.x.shape == (5000, 2) and s.y.shape == (5000, 1) and s.latent_x.shape == (5000, 1)
        np.testing.assert_allclose(unroll(s.x), s.latent_x[:, 0], rtol=0, atol=1e-8)
        # the angle agrees with the radius: the points lie on the spiral
        a, b = ROLL_ANGLES
        t = b * np.hypot(s.x[:, 0], s.x[:, 1])
        np.testing.assert_allclose(np.cos(t) * t / b, s.x[:, 0], atol=1e-12)
        np.testing.assert_allclose(np.sin(t) * t / b, s.x[:, 1], atol=1e-12)
        assert a / b - 1e-12 <= np.hypot(*s.x.T).min() and np.hypot(*s.x.T).max() <= 1 + 1e-12
        np.testing.assert_array_equal(s.y, s.latent_y)

    @pytest.mark.parametrize("mi", [0.0, 0.5, 2.0])
    def test_latent_pair_has_the_stated_correlation(self, mi):
        n = 20_000
        s = swiss_roll(mi, n, random_state=5)
        rho = float(pair_correlations(mi, [1.0])[0])
        r = np.corrcoef(s.latent_x[:, 0], s.latent_y[:, 0])[0, 1]
        assert abs(r - rho) <= correlation_tolerance(rho, n)

    def test_multidimensional_y_is_a_rotation_of_the_latents(self):
        n = 20_000
        s = swiss_roll(1.0, n, dim_y=3, random_state=2)
        assert s.y.shape == (n, 3) and s.latent_y.shape == (n, 3)
        q, *_ = np.linalg.lstsq(s.latent_y, s.y, rcond=None)
        np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-10)
        # only the first latent coordinate of y depends on u
        rho = float(pair_correlations(1.0, [1.0])[0])
        r = [np.corrcoef(s.latent_x[:, 0], s.latent_y[:, j])[0, 1] for j in range(3)]
        assert abs(r[0] - rho) <= correlation_tolerance(rho, n)
        assert max(abs(r[1]), abs(r[2])) <= correlation_tolerance(0.0, n)

    def test_both_sides_rolled(self):
        s = swiss_roll(2.0, 3000, both=True, random_state=3)
        assert s.y.shape == (3000, 2) and s.latent_y.shape == (3000, 1)
        np.testing.assert_allclose(unroll(s.y), s.latent_y[:, 0], rtol=0, atol=1e-8)
        np.testing.assert_array_equal(s.y, swiss_roll_embedding(s.latent_y))

    def test_reproducible_dtype_and_params(self):
        a = swiss_roll(1.0, 100, dim_y=2, random_state=7, dtype=np.float32)
        b = swiss_roll(1.0, 100, dim_y=2, random_state=7, dtype=np.float32)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        assert a.x.dtype == np.float32 and a.y.dtype == np.float32
        assert a.name == "swiss_roll" and a.params == {
            "mi": 1.0, "n": 100, "dim_y": 2, "both": False, "dtype": "float32",
        }  # fmt: skip

    def test_errors(self):
        with pytest.raises(ValueError, match=r"both=True .* dim_y must be 1; got dim_y=2; pass dim_y=1"):
            swiss_roll(1.0, 10, dim_y=2, both=True)
        with pytest.raises(ValueError, match=r"both must be True or False .*got both='yes'"):
            swiss_roll(1.0, 10, both="yes")
        with pytest.raises(ValueError, match=r"mi must be a finite, non-negative"):
            swiss_roll(-0.5, 10)
        with pytest.raises(ValueError, match=r"dim_y must be a positive integer .*got dim_y=0"):
            swiss_roll(1.0, 10, dim_y=0)
        with pytest.raises(ValueError, match=r"u must be a 1-D latent .*got shape \(3, 2\)"):
            swiss_roll_embedding(np.zeros((3, 2)))


# --------------------------------------------------------------------------- near-discrete


def mixture_mi_by_entropies(separation: float, levels: int) -> float:
    """h(y) - h(y | Z) with h(y) = -int p log p by adaptive quadrature (the direct formula)."""
    means = separation * np.arange(levels)

    def neg_p_log_p(y: float) -> float:
        log_p = special.logsumexp(stats.norm.logpdf(y - means)) - math.log(levels)
        return -math.exp(log_p) * log_p

    lo, hi = means[0] - 40.0, means[-1] + 40.0
    pts = np.concatenate([means, 0.5 * (means[1:] + means[:-1])])
    h_y, _ = integrate.quad(neg_p_log_p, lo, hi, points=pts, limit=1000, epsabs=1e-13, epsrel=1e-13)
    return h_y - 0.5 * math.log(2.0 * math.pi * math.e)


class TestNearDiscrete:
    @pytest.mark.parametrize(
        ("separation", "levels"), [(0.3, 2), (1.0, 3), (2.5, 4), (4.0, 8), (9.0, 5)]
    )
    def test_quadrature_matches_the_entropy_formula(self, separation, levels):
        assert near_discrete_mi(separation, levels) == pytest.approx(
            mixture_mi_by_entropies(separation, levels), abs=1e-10
        )

    def test_limits_and_monotone(self):
        assert near_discrete_mi(0.0, 4) == 0.0
        assert near_discrete_mi(40.0, 4) == pytest.approx(math.log(4), abs=1e-14)
        values = [near_discrete_mi(d, 4) for d in np.linspace(0.05, 12, 60)]
        assert np.all(np.diff(values) > 0) and values[-1] < math.log(4)

    @pytest.mark.parametrize(("mi", "levels"), [(0.5, 4), (1.0, 8)])
    def test_monte_carlo_log_density_ratio(self, mi, levels):
        n = 200_000
        s = near_discrete(mi, n, levels=levels, random_state=11)
        sep = s.params["separation"]
        assert near_discrete_mi(sep, levels) == pytest.approx(mi, abs=1e-12)
        z, y = s.latent_x[:, 0], s.latent_y[:, 0]
        means = sep * (np.arange(levels) - 0.5 * (levels - 1))
        log_cond = stats.norm.logpdf(y - sep * (z - 0.5 * (levels - 1)))
        log_marg = special.logsumexp(stats.norm.logpdf(y[:, None] - means), axis=1) - math.log(levels)
        ratio = log_cond - log_marg
        se = ratio.std(ddof=1) / math.sqrt(n)
        assert abs(ratio.mean() - mi) <= 5 * se

    def test_x_sits_on_the_levels_with_the_stated_noise(self):
        n = 50_000
        s = near_discrete(1.0, n, levels=4, sigma=1e-3, random_state=2)
        z = s.latent_x[:, 0]
        assert set(np.unique(z)) == {0.0, 1.0, 2.0, 3.0}
        counts = np.bincount(z.astype(int), minlength=4)
        p = 0.25
        assert np.all(np.abs(counts / n - p) <= 5 * math.sqrt(p * (1 - p) / n))
        noise = s.x[:, 0] - z
        assert np.abs(noise).max() < 0.5  # rounding x recovers Z
        np.testing.assert_array_equal(np.rint(s.x[:, 0]), z)
        # sample variance of n normals: relative sd sqrt(2 / (n - 1))
        assert abs(noise.var(ddof=1) / 1e-6 - 1) <= 5 * math.sqrt(2 / (n - 1))
        assert s.params["gap_bound"] == 0.0 and s.params["levels"] == 4

    def test_multidimensional_y_is_a_rotation(self):
        s = near_discrete(0.5, 4000, levels=3, dim_y=3, random_state=1)
        assert s.y.shape == (4000, 3)
        q, *_ = np.linalg.lstsq(s.latent_y, s.y, rcond=None)
        np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-10)

    def test_gap_bound(self):
        assert near_discrete_gap_bound(0.0, 4) == 0.0
        assert near_discrete_gap_bound(1e-3, 4) == 0.0  # underflows
        assert 0 < near_discrete_gap_bound(0.06, 4) < 1e-12 < near_discrete_gap_bound(0.07, 4)
        # the bound p (1 - log p + log(K - 1)) at sigma = 0.1, p = erfc(5 / sqrt(2))
        p = special.erfc(5 / math.sqrt(2))
        assert near_discrete_gap_bound(0.1, 3) == pytest.approx(p * (1 - math.log(p) + math.log(2)))
        assert near_discrete_gap_bound(5.0, 2) == math.inf

    def test_sigma_zero_is_exactly_discrete_and_float32(self):
        s = near_discrete(0.5, 100, sigma=0.0, random_state=0, dtype=np.float32)
        assert s.x.dtype == np.float32
        np.testing.assert_array_equal(s.x[:, 0], s.latent_x[:, 0])

    def test_reproducible(self):
        a = near_discrete(1.0, 300, levels=3, random_state=9)
        b = near_discrete(1.0, 300, levels=3, random_state=9)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)

    def test_errors(self):
        with pytest.raises(ValueError, match=r"mi must be below log\(levels\) = 1.38629 .*got mi=1.5 .*levels >= 5"):
            near_discrete(1.5, 10, levels=4)
        with pytest.raises(ValueError, match=r"mi must be below log\(levels\)"):
            near_discrete(math.log(2), 10, levels=2)
        with pytest.raises(ValueError, match=r"levels must be an integer >= 2 .*got levels=1"):
            near_discrete(0.1, 10, levels=1)
        with pytest.raises(ValueError, match=r"sigma must be a finite number >= 0 .*got sigma=-0.1"):
            near_discrete(0.5, 10, sigma=-0.1)
        with pytest.raises(ValueError, match=r"sigma=0.1 is too large for an exact truth.*pass sigma <= 0.06"):
            near_discrete(0.5, 10, sigma=0.1)
        with pytest.raises(ValueError, match=r"separation must be a finite number >= 0 .*got separation=-1"):
            near_discrete_mi(-1, 4)


# --------------------------------------------------------------------------- Student-t


class TestStudentTPureAndGaussianPart:
    @pytest.mark.parametrize(("df", "d"), [(1, 1), (1, 5), (2, 2), (3, 5)])
    def test_pure_student_t_is_accepted(self, df, d):
        c = student_t_mi_correction(df, d, d)
        s = student_t(c, d, d, 50, df=df, random_state=0)
        assert s.mi == c and s.x.shape == (50, d) and np.all(np.isfinite(s.x))

    @pytest.mark.parametrize(("df", "gaussian_part"), [(1, 0.0), (2, 0.0), (1, 1.0), (3, 0.5)])
    def test_sign_agreement_follows_the_scale_matrix(self, df, gaussian_part):
        # sign(x_i) = sign(g_i) for x = g / s: the signs are those of the Gaussian part, whose
        # pair correlation rho gives E[sign(x) sign(y)] = 2 arcsin(rho) / pi (Sheppard)
        n = 40_000
        c = student_t_mi_correction(df, 2, 2)
        s = student_t(c + gaussian_part, 2, 2, n, df=df, rotate=False, random_state=6)
        rho = pair_correlations(gaussian_part, [0.5, 0.5])
        for i in range(2):
            prod = np.sign(s.x[:, i]) * np.sign(s.y[:, i])
            m = 2 * np.arcsin(rho[i]) / np.pi
            assert abs(prod.mean() - m) <= 5 * math.sqrt((1 - m**2) / n)


# --------------------------------------------------------------------------- the suite


NON_IMAGE = hard_suite(images=False)


def test_suite_structure_and_coverage():
    names = [t.name for t in HARD_SUITE]
    assert len(names) == len(set(names))
    assert {t.family for t in HARD_SUITE} == set(FAMILIES)
    assert all(t.image == (t.family == "images") for t in HARD_SUITE)
    assert all(not t.image for t in NON_IMAGE) and len(NON_IMAGE) < len(HARD_SUITE)
    assert hard_suite() == HARD_SUITE
    points = sum(len(t.mi_values) for t in NON_IMAGE)
    assert 40 <= points <= 60
    dims = {t.args.get("dim_x") for t in NON_IMAGE} - {None}
    assert min(dims) == 1 and max(dims) == 50
    pure = [t for t in NON_IMAGE if t.name.endswith("-pure")]
    assert {t.args["df"] for t in pure} == {1, 2, 3}
    for t in pure:
        assert t.mi_values == (student_t_mi_correction(t.args["df"], t.args["dim_x"], t.args["dim_y"]),)


@pytest.mark.parametrize("task", HARD_SUITE, ids=lambda t: t.name)
def test_every_task_draws_at_every_mi(task):
    n = 40
    for mi in task.mi_values:
        s = draw(task, mi, n, random_state=1)
        assert isinstance(s, KnownMISample) and s.mi == mi and s.n == n
        assert s.x.shape[0] == n and s.y.shape[0] == n
        assert np.all(np.isfinite(s.x)) and np.all(np.isfinite(s.y))
        if task.image:
            size = task.args["size"]
            assert s.x.shape == (n, size, size) and s.y.shape == (n, size, size)
        else:
            assert s.x.ndim == 2 and s.y.ndim == 2
            if "dim_x" in task.args:
                assert s.x.shape[1] == task.args["dim_x"] and s.y.shape[1] == task.args["dim_y"]
    assert task.generator in SUITE_GENERATORS


def test_draw_is_reproducible():
    for task in NON_IMAGE[::5]:
        mi = task.mi_values[-1]
        a, b = draw(task, mi, 30, random_state=3), draw(task, mi, 30, random_state=3)
        c = draw(task, mi, 30, random_state=4)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        assert not np.array_equal(a.x, c.x)


def test_tasks_are_read_only():
    task = next(t for t in HARD_SUITE if t.family == "gaussian_sparse")
    with pytest.raises(TypeError):
        task.args["dim_x"] = 3  # type: ignore[index]
    assert isinstance(task.args["split"], tuple)
    assert len(set(HARD_SUITE)) == len(HARD_SUITE)  # hashable, all distinct


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "bad name"}, r"name must be a non-empty string .*got name='bad name'"),
        ({"family": "gauss"}, r"family must be one of 'gaussian_dense', .*got family='gauss'"),
        ({"generator": "normal"}, r"generator must be one of 'correlated_normal', .*got generator='normal'"),
        ({"args": {"dim_x": 1, "dim_y": 1, "n": 5}}, r"args must not set \['n'\]"),
        ({"mi_values": ()}, r"mi_values must hold at least one MI value"),
        ({"mi_values": (1.0, -1.0)}, r"mi_values must be a finite, non-negative .*got mi_values=-1.0"),
        ({"mi_values": (1.0, 1.0)}, r"mi_values must be distinct"),
        ({"mi_values": 1.0}, r"mi_values must be a non-empty sequence"),
        ({"image": 1}, r"image must be True or False"),
    ],
)
def test_suite_task_errors(kwargs, match):
    base = {
        "name": "t", "family": "gaussian_dense", "generator": "correlated_normal",
        "args": {"dim_x": 1, "dim_y": 1}, "mi_values": (1.0,),
    }  # fmt: skip
    with pytest.raises(ValueError, match=match):
        SuiteTask(**{**base, **kwargs})


def test_draw_and_hard_suite_errors():
    with pytest.raises(ValueError, match=r"task must be a SuiteTask .*got str"):
        draw("gaussian_dense-1+1", 1.0, 10)  # type: ignore[arg-type]
    pure = next(t for t in HARD_SUITE if t.name == "student_t-df2-2+2-pure")
    with pytest.raises(ValueError, match=r"below the smallest MI of a Student-t"):
        draw(pure, 0.1, 10)
    with pytest.raises(ValueError, match=r"images must be True or False; got images='no'"):
        hard_suite(images="no")  # type: ignore[arg-type]
