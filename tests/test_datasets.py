"""Tests of pymi.datasets: the vector and image families with known MI, and pymi._random."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import special, stats

from pymi import datasets
from pymi._random import check_random_state
from pymi.datasets import (
    KnownMISample,
    correlated_normal,
    gaussian_entropy,
    gaussian_mi,
    pair_correlations,
    student_t,
    student_t_mi_correction,
    transformed_normal,
)
from pymi.datasets import images as im
from pymi.datasets.transformed import SPIRAL_SPEED, TRANSFORMS

EPS32 = float(np.finfo(np.float32).eps)


def latent_mi(sample: KnownMISample) -> float:
    """Plug-in Gaussian MI of the latent pairs (the sample covariance through gaussian_mi)."""
    joint = np.hstack([sample.latent_x, sample.latent_y])
    return gaussian_mi(np.cov(joint, rowvar=False), sample.latent_x.shape[1])


def gaussian_mi_tolerance(rho: np.ndarray, dim_x: int, dim_y: int, n: int) -> float:
    """Five standard deviations of the plug-in Gaussian MI, plus its bias bound.

    Delta method: a pair with sample correlation r has var(r) ~ (1 - rho^2)^2 / n and
    dI/drho = rho / (1 - rho^2), so var(I_hat) ~ sum(rho_i^2) / n. Under independence
    2 n I_hat ~ chi^2(dim_x dim_y): bias dim_x dim_y / (2n), sd sqrt(2 dim_x dim_y) / (2n).
    """
    k = dim_x * dim_y
    sd = np.sqrt(np.sum(np.asarray(rho) ** 2) / n) + np.sqrt(2.0 * k) / (2.0 * n)
    return float(5.0 * sd + k / (2.0 * n))


# --------------------------------------------------------------------------- random state


class TestCheckRandomState:
    def test_accepted_inputs(self):
        rng = np.random.default_rng(3)
        assert check_random_state(rng) is rng
        assert isinstance(check_random_state(None), np.random.Generator)
        a = check_random_state(5).standard_normal(4)
        np.testing.assert_array_equal(a, check_random_state(np.int64(5)).standard_normal(4))
        ss = np.random.SeedSequence(5)
        np.testing.assert_array_equal(a, check_random_state(ss).standard_normal(4))
        np.testing.assert_array_equal(a, check_random_state(np.random.PCG64(5)).standard_normal(4))

    @pytest.mark.parametrize(
        ("value", "match"),
        [
            (-1, r"non-negative integer seed; got random_state=-1; pass e\.g\. random_state=1"),
            (True, r"got True of type bool; pass an integer seed"),
            ("0", r"got '0' of type str; pass an integer seed"),
            (1.5, r"got 1\.5 of type float"),
            (
                np.random.RandomState(0),
                r"legacy numpy\.random\.RandomState; pass np\.random\.default_rng",
            ),
        ],
    )
    def test_rejected_inputs(self, value, match):
        with pytest.raises(ValueError, match=match):
            check_random_state(value)


# --------------------------------------------------------------------------- result type


def test_known_mi_sample_is_frozen_and_explicit():
    s = correlated_normal(1.0, 3, 2, 50, random_state=0)
    assert isinstance(s, KnownMISample)
    assert s.n == 50
    assert s.name == "correlated_normal"
    assert s.params == {
        "mi": 1.0, "dim_x": 3, "dim_y": 2, "n": 50, "split": "even",
        "marginals": "gaussian", "rotate": True, "dtype": "float64",
    }  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.mi = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        x, y = s  # type: ignore[misc]  # deliberately not iterable
    r = repr(s)
    assert "mi=1 nats" in r and "n=50" in r and "(50, 3)" in r


# --------------------------------------------------------------------------- correlated normal


class TestCorrelatedNormal:
    @pytest.mark.parametrize(("dim_x", "dim_y"), [(1, 1), (3, 2), (2, 5), (8, 8)])
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_shapes_and_dtypes(self, dim_x, dim_y, dtype):
        s = correlated_normal(1.5, dim_x, dim_y, 100, random_state=1, dtype=dtype)
        assert s.x.shape == (100, dim_x) and s.y.shape == (100, dim_y)
        assert s.x.dtype == dtype and s.y.dtype == dtype
        assert s.latent_x.shape == (100, dim_x) and s.latent_y.shape == (100, dim_y)
        assert s.latent_x.dtype == np.float64
        assert s.mi == 1.5 and isinstance(s.mi, float)
        assert np.all(np.isfinite(s.x)) and np.all(np.isfinite(s.y))

    def test_determinism_and_seeds(self):
        a = correlated_normal(1.0, 3, 3, 200, random_state=7)
        b = correlated_normal(1.0, 3, 3, 200, random_state=7)
        c = correlated_normal(1.0, 3, 3, 200, random_state=8)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        assert not np.allclose(a.x, c.x)
        # float32 output is the float64 draw cast, same stream
        d = correlated_normal(1.0, 3, 3, 200, random_state=7, dtype=np.float32)
        np.testing.assert_array_equal(d.x, a.x.astype(np.float32))

    @pytest.mark.parametrize(
        ("mi", "dim_x", "dim_y", "split"),
        [
            (0.0, 2, 2, "even"),
            (0.5, 1, 1, "even"),
            (2.0, 3, 2, "even"),
            (5.0, 4, 4, "even"),
            (3.0, 3, 3, [1.0, 0.0, 2.0]),
            (10.0, 2, 6, [0.2, 0.8]),
        ],
    )
    def test_latents_carry_the_mi(self, mi, dim_x, dim_y, split):
        n = 20_000
        s = correlated_normal(mi, dim_x, dim_y, n, split=split, random_state=11)
        m = min(dim_x, dim_y)
        fr = np.full(m, 1.0 / m) if split == "even" else np.asarray(split) / np.sum(split)
        rho = pair_correlations(mi, fr)
        tol = gaussian_mi_tolerance(rho, dim_x, dim_y, n)
        assert abs(latent_mi(s) - mi) <= tol
        # the plug-in Gaussian MI is exactly invariant under invertible linear maps of each
        # side, so the rotated data give the same number: the rotations are per side
        cov = np.cov(np.hstack([s.x, s.y]), rowvar=False)
        assert gaussian_mi(cov, dim_x) == pytest.approx(latent_mi(s), abs=1e-8)
        # per-pair correlations of the latents match rho_i
        r = [np.corrcoef(s.latent_x[:, i], s.latent_y[:, i])[0, 1] for i in range(m)]
        sd = (1 - rho**2) / np.sqrt(n)
        assert np.all(np.abs(np.array(r) - rho) <= 5 * sd + 1e-12)

    def test_rotation_is_orthogonal(self):
        s = correlated_normal(1.0, 4, 3, 500, random_state=2)
        q, *_ = np.linalg.lstsq(s.latent_x, s.x, rcond=None)
        np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-10)
        np.testing.assert_allclose(s.latent_x @ q, s.x, atol=1e-10)
        t = correlated_normal(1.0, 4, 3, 500, random_state=2, rotate=False)
        np.testing.assert_array_equal(t.x, t.latent_x)

    def test_zero_mi_is_independent(self):
        n = 20_000
        s = correlated_normal(0.0, 3, 3, n, random_state=4)
        c = np.corrcoef(s.latent_x.T, s.latent_y.T)[:3, 3:]
        assert np.max(np.abs(c)) < 5 / np.sqrt(n)

    def test_uniform_marginals_keep_the_mi(self):
        n = 20_000
        s = correlated_normal(2.0, 3, 2, n, marginals="uniform", random_state=5)
        assert np.all((s.x > 0) & (s.x < 1)) and np.all((s.y > 0) & (s.y < 1))
        for j in range(3):
            assert stats.kstest(s.x[:, j], "uniform").pvalue > 1e-4
        gx, gy = special.ndtri(s.x), special.ndtri(s.y)  # undo the CDF: back to Gaussian
        cov = np.cov(np.hstack([gx, gy]), rowvar=False)
        rho = pair_correlations(2.0, [0.5, 0.5])
        assert abs(gaussian_mi(cov, 3) - 2.0) <= gaussian_mi_tolerance(rho, 3, 2, n)

    def test_pair_correlations_closed_form(self):
        rho = pair_correlations(3.0, [0.25, 0.75])
        np.testing.assert_allclose(-0.5 * np.log1p(-(rho**2)), [0.75, 2.25], rtol=1e-12)
        assert pair_correlations(0.0, [1.0])[0] == 0.0
        assert 0 < pair_correlations(1e-12, [1.0])[0] < 1e-5  # expm1: no cancellation to 0

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            (
                {"mi": -0.1},
                r"mi must be a finite, non-negative mutual information in nats; got mi=-0\.1; pass a value in \[0, inf\)",
            ),
            ({"mi": float("nan")}, r"got mi=nan"),
            ({"mi": float("inf")}, r"got mi=inf"),
            ({"mi": "1"}, r"mi must be a non-negative real number .*got mi='1' of type str"),
            ({"mi": True}, r"got mi=True of type bool"),
            (
                {"dim_x": 0},
                r"dim_x must be a positive integer \(number of coordinates\); got dim_x=0; pass e\.g\. dim_x=2",
            ),
            ({"dim_y": 2.0}, r"dim_y must be a positive integer .*got dim_y=2\.0 of type float"),
            (
                {"n": 0},
                r"n must be a positive integer \(number of samples\); got n=0; pass e\.g\. n=1000",
            ),
            ({"n": 10.5}, r"got n=10\.5 of type float"),
            ({"n": "10"}, r"got n='10' of type str"),
            (
                {"split": [1.0, 2.0]},
                r"split must hold one weight per coordinate pair, i\.e\. 3 weights .*got shape \(2,\)",
            ),
            (
                {"split": [1.0, -1.0, 1.0]},
                r"split weights must be finite and non-negative; got split=\[1\.0, -1\.0, 1\.0\]",
            ),
            ({"split": [0, 0, 0]}, r"split weights must have a positive sum.*or pass mi=0"),
            ({"split": [1.0, float("nan"), 1.0]}, r"finite and non-negative"),
            (
                {"split": "uneven"},
                r"split must be 'even' or a sequence of 3 non-negative weights; got split='uneven'",
            ),
            ({"split": 3}, r"got split=3 of type int"),
            ({"split": ["a", "b", "c"]}, r"which is not numeric"),
            (
                {"marginals": "laplace"},
                r"marginals must be one of 'gaussian', 'uniform'; got marginals='laplace'",
            ),
            (
                {"dtype": np.int32},
                r"dtype must be numpy\.float32 or numpy\.float64; got dtype=<class 'numpy\.int32'>",
            ),
            ({"dtype": "nonsense"}, r"dtype must be numpy\.float32 or numpy\.float64"),
            ({"random_state": -3}, r"random_state must be a non-negative integer seed"),
        ],
    )
    def test_errors(self, kwargs, match):
        args = {"mi": 1.0, "dim_x": 3, "dim_y": 4, "n": 10} | kwargs
        mi, dx, dy, n = (args.pop(k) for k in ("mi", "dim_x", "dim_y", "n"))
        with pytest.raises(ValueError, match=match):
            correlated_normal(mi, dx, dy, n, **args)


# --------------------------------------------------------------------------- closed forms


class TestGaussianClosedForms:
    def test_entropy_matches_scipy(self):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((5, 5))
        cov = a @ a.T + 0.5 * np.eye(5)
        assert gaussian_entropy(cov) == pytest.approx(
            stats.multivariate_normal(cov=cov).entropy(), rel=1e-12
        )
        assert gaussian_entropy(np.eye(2)) == pytest.approx(np.log(2 * np.pi * np.e), rel=1e-14)
        assert gaussian_entropy(4.0) == pytest.approx(0.5 * np.log(2 * np.pi * np.e * 4.0))

    def test_mi_from_entropies_and_bivariate(self):
        rng = np.random.default_rng(1)
        a = rng.standard_normal((5, 5))
        cov = a @ a.T + np.eye(5)
        h = gaussian_entropy
        assert gaussian_mi(cov, 2) == pytest.approx(
            h(cov[:2, :2]) + h(cov[2:, 2:]) - h(cov), rel=1e-10
        )
        assert gaussian_mi(cov, 2) == pytest.approx(gaussian_mi(cov[::-1, ::-1], 3), rel=1e-10)
        assert gaussian_mi([[2.0, 0.0], [0.0, 3.0]], 1) == 0.0
        assert gaussian_mi([[1.0, 0.9], [0.9, 1.0]], 1) == pytest.approx(-0.5 * np.log(1 - 0.81))

    @pytest.mark.parametrize(
        ("cov", "match"),
        [
            (np.ones((2, 3)), r"cov must be a square 2-D covariance matrix; got shape \(2, 3\)"),
            (
                [[1.0, np.nan], [np.nan, 1.0]],
                r"cov must contain only finite values; got 2 NaN/inf entries",
            ),
            ([[1.0, 0.5], [0.2, 1.0]], r"cov must be symmetric; got max \|cov - cov\.T\| = 0\.3"),
            (
                [[1.0, 2.0], [2.0, 1.0]],
                r"cov must be positive definite; got smallest eigenvalue -1 \(of 2\)",
            ),
        ],
    )
    def test_entropy_errors(self, cov, match):
        with pytest.raises(ValueError, match=match):
            gaussian_entropy(cov)

    @pytest.mark.parametrize("dim_x", [0, 3, 1.0, True])
    def test_mi_dim_errors(self, dim_x):
        with pytest.raises(
            ValueError,
            match=r"dim_x must be an integer with 1 <= dim_x < 3 \(cov is 3x3\); got dim_x=",
        ):
            gaussian_mi(np.eye(3), dim_x)

    def test_mi_singular_block_error(self):
        cov = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        with pytest.raises(ValueError, match=r"cov\[:dim_x, :dim_x\] must be positive definite"):
            gaussian_mi(cov, 2)


# --------------------------------------------------------------------------- Student-t


def _student_log_ratio(xy: np.ndarray, shape: np.ndarray, dim_x: int, df: float) -> np.ndarray:
    """log p(x, y) - log p(x) - log p(y) for a zero-location multivariate t (scipy densities)."""
    mt = stats.multivariate_t
    d = xy.shape[1]
    return (
        mt.logpdf(xy, np.zeros(d), shape, df=df)
        - mt.logpdf(xy[:, :dim_x], np.zeros(dim_x), shape[:dim_x, :dim_x], df=df)
        - mt.logpdf(xy[:, dim_x:], np.zeros(d - dim_x), shape[dim_x:, dim_x:], df=df)
    )


class TestStudentT:
    @pytest.mark.parametrize(("df", "dim_x", "dim_y"), [(1.0, 1, 1), (3.0, 2, 2), (5.0, 1, 3)])
    def test_correction_against_monte_carlo(self, df, dim_x, dim_y):
        """Formula vs E[log p(x,y)/(p(x)p(y))] over scipy's own t samples (scale = identity)."""
        d = dim_x + dim_y
        xy = stats.multivariate_t.rvs(np.zeros(d), np.eye(d), df=df, size=60_000, random_state=0)
        lr = _student_log_ratio(xy.reshape(-1, d), np.eye(d), dim_x, df)
        se = lr.std(ddof=1) / np.sqrt(lr.size)
        assert abs(student_t_mi_correction(df, dim_x, dim_y) - lr.mean()) <= 5 * se

    @pytest.mark.parametrize(("mi", "df", "dim_x", "dim_y"), [(1.0, 3.0, 2, 2), (2.5, 4.0, 1, 3)])
    def test_sampler_mi_against_monte_carlo(self, mi, df, dim_x, dim_y):
        """Our sampler's latents, scored with scipy's t density at the stated scale matrix."""
        s = student_t(mi, dim_x, dim_y, 60_000, df=df, random_state=3)
        c = student_t_mi_correction(df, dim_x, dim_y)
        m = min(dim_x, dim_y)
        rho = pair_correlations(mi - c, np.full(m, 1.0 / m))
        shape = np.eye(dim_x + dim_y)
        shape[np.arange(m), dim_x + np.arange(m)] = rho
        shape[dim_x + np.arange(m), np.arange(m)] = rho
        assert gaussian_mi(shape, dim_x) == pytest.approx(mi - c, rel=1e-10)
        lr = _student_log_ratio(np.hstack([s.latent_x, s.latent_y]), shape, dim_x, df)
        se = lr.std(ddof=1) / np.sqrt(lr.size)
        assert abs(lr.mean() - mi) <= 5 * se
        # the shared chi^2 scale: the latent marginals are t(df), not Gaussian
        assert stats.kstest(s.latent_x[:, 0], stats.t(df).cdf).pvalue > 1e-4

    def test_correction_properties(self):
        assert student_t_mi_correction(1e8, 3, 3) == pytest.approx(0.0, abs=1e-6)
        vals = [student_t_mi_correction(df, 2, 2) for df in (1, 2, 5, 20, 100)]
        assert all(v > 0 for v in vals) and vals == sorted(vals, reverse=True)
        assert student_t_mi_correction(3, 2, 5) == pytest.approx(student_t_mi_correction(3, 5, 2))

    def test_shapes_determinism(self):
        a = student_t(1.0, 3, 2, 100, df=4, random_state=1, dtype=np.float32)
        b = student_t(1.0, 3, 2, 100, df=4, random_state=1, dtype=np.float32)
        assert a.x.shape == (100, 3) and a.y.shape == (100, 2) and a.x.dtype == np.float32
        np.testing.assert_array_equal(a.y, b.y)
        assert a.name == "student_t" and a.params["df"] == 4.0

    def test_errors(self):
        c = student_t_mi_correction(1.0, 2, 2)
        with pytest.raises(
            ValueError,
            match=r"mi=0\.1 is below the smallest MI of a Student-t with df=1, dim_x=2, dim_y=2.*or increase df",
        ):
            student_t(0.1, 2, 2, 10, df=1.0)
        assert (
            student_t(c, 2, 2, 10, df=1.0, random_state=0).mi == c
        )  # the minimum itself is allowed
        for bad in (0, -1.0, float("inf"), float("nan"), "3", True):
            with pytest.raises(
                ValueError,
                match=r"df must be a finite positive number of degrees of freedom; got df=",
            ):
                student_t(1.0, 2, 2, 10, df=bad)
        with pytest.raises(ValueError, match=r"dim_x must be a positive integer"):
            student_t_mi_correction(3.0, 0, 2)


# --------------------------------------------------------------------------- transformed normal


def _invert(name: str, v: np.ndarray) -> np.ndarray:
    """Independent inverses of the maps (closed form, or interpolation for the monotone 'wiggly')."""
    if name == "half_cube":
        return np.sign(v) * np.abs(v) ** (2.0 / 3.0)
    if name == "asinh":
        return np.sinh(v)
    if name == "normal_cdf":
        return special.ndtri(v)
    if name == "spiral":
        theta = -SPIRAL_SPEED * np.sum(v * v, axis=1)  # the norm is kept by the rotation
        out = v.copy()
        out[:, 0] = np.cos(theta) * v[:, 0] - np.sin(theta) * v[:, 1]
        out[:, 1] = np.sin(theta) * v[:, 0] + np.cos(theta) * v[:, 1]
        return out
    grid = np.linspace(-12, 12, 200_001)
    return np.interp(v, TRANSFORMS["wiggly"](grid), grid)


class TestTransformedNormal:
    @pytest.mark.parametrize("name", sorted(TRANSFORMS))
    def test_inverse_recovers_gaussian_and_mi(self, name):
        n = 20_000
        s = transformed_normal(2.0, 3, 2, n, transform=name, random_state=9)
        assert s.x.shape == (n, 3) and s.y.shape == (n, 2) and s.params["transform"] == name
        gx, gy = _invert(name, s.x), _invert(name, s.y)
        # back to the rotated Gaussian: latent @ Q with Q orthogonal
        q, *_ = np.linalg.lstsq(s.latent_x, gx, rcond=None)
        np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-6)
        cov = np.cov(np.hstack([gx, gy]), rowvar=False)
        rho = pair_correlations(2.0, [0.5, 0.5])
        assert abs(gaussian_mi(cov, 3) - 2.0) <= gaussian_mi_tolerance(rho, 3, 2, n)

    def test_componentwise_maps_strictly_increasing(self):
        grid = np.linspace(-20, 20, 400_001)
        for name in ("half_cube", "asinh", "wiggly"):
            assert np.all(np.diff(TRANSFORMS[name](grid)) > 0), name
        # Phi's upper tail flattens below the float64 spacing near 1 (steps of 1e-4 from
        # v ~ 7.3 on); within |v| <= 5 each step moves Phi by > 1e-10
        assert np.all(np.diff(TRANSFORMS["normal_cdf"](grid[np.abs(grid) <= 5.0])) > 0)

    def test_spiral_round_trip(self):
        v = np.random.default_rng(0).standard_normal((1000, 4)) * 3
        np.testing.assert_allclose(_invert("spiral", TRANSFORMS["spiral"](v)), v, atol=1e-10)

    def test_errors(self):
        with pytest.raises(
            ValueError,
            match=r"transform must be one of 'half_cube', 'asinh', 'wiggly', 'spiral', 'normal_cdf'; got transform='cube'",
        ):
            transformed_normal(1.0, 2, 2, 10, transform="cube")
        with pytest.raises(
            ValueError,
            match=r"transform='spiral' .* needs dim_x >= 2 and dim_y >= 2; got dim_x=1, dim_y=3; use a componentwise map",
        ):
            transformed_normal(1.0, 1, 3, 10, transform="spiral")
        with pytest.raises(ValueError, match=r"mi must be a finite, non-negative"):
            transformed_normal(-1.0, 2, 2, 10)


# --------------------------------------------------------------------------- images

GENERATORS = {
    "gaussian_bump": (im.gaussian_bump, im.render_gaussian_bump, 2, 16, {}),
    "correlated_bump": (im.correlated_bump, im.render_correlated_bump, 5, 32, {}),
    "rectangles": (im.rectangles, im.render_rectangles, 4, 32, {}),
    "rectangles16": (im.rectangles, im.render_rectangles, 4, 16, {"size": 16}),
}


def _dense_params(k: int, n_random: int, seed: int) -> np.ndarray:
    """A grid over [0.02, 0.98]^k (about 1000 points) plus uniform random points."""
    per_axis = round(1000 ** (1.0 / k))
    axes = [np.linspace(0.02, 0.98, per_axis)] * k
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, k)
    rnd = np.random.default_rng(seed).uniform(0.02, 0.98, size=(n_random, k))
    return np.vstack([grid, rnd])


def _pairwise_sq_distances(a: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between rows (float64 GEMM), +inf on the diagonal."""
    a = a.reshape(a.shape[0], -1).astype(np.float64)
    sq = np.sum(a * a, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (a @ a.T), 0.0)
    np.fill_diagonal(d2, np.inf)
    return d2


class TestImages:
    @pytest.mark.parametrize("key", sorted(GENERATORS))
    def test_shapes_dtype_range_determinism(self, key):
        gen, _, k, size, kw = GENERATORS[key]
        s = gen(3.0, 64, random_state=0, **kw)
        assert s.x.shape == (64, size, size) and s.y.shape == (64, size, size)
        assert s.x.dtype == np.float32 and s.y.dtype == np.float32
        assert s.latent_x.shape == (64, k) and s.latent_y.shape == (64, k)
        for img in (s.x, s.y):
            assert img.min() >= 0.0 and img.max() <= 1.0
            assert np.all(img.reshape(64, -1).max(axis=1) > 0.1)  # the object is in the frame
        t = gen(3.0, 64, random_state=0, **kw)
        u = gen(3.0, 64, random_state=1, **kw)
        np.testing.assert_array_equal(s.x, t.x)
        np.testing.assert_array_equal(s.latent_y, t.latent_y)
        assert not np.array_equal(s.x, u.x)
        assert s.mi == 3.0 and s.params["size"] == size

    @pytest.mark.parametrize("key", ["gaussian_bump", "correlated_bump", "rectangles"])
    @pytest.mark.parametrize("mi", [0.0, 2.0, 10.0])
    def test_latents_carry_the_mi(self, key, mi):
        gen, render, k, _, kw = GENERATORS[key]
        n = 5000  # the paper's sample size
        s = gen(mi, n, random_state=21, **kw)
        rho = pair_correlations(mi, np.full(k, 1.0 / k))
        assert abs(latent_mi(s) - mi) <= gaussian_mi_tolerance(rho, k, k, n)
        # the images are exactly the rendering of Phi(latents)
        np.testing.assert_array_equal(
            s.x[:50], render(special.ndtr(s.latent_x[:50]), s.params["size"])
        )

    def test_split_reaches_the_pairs(self):
        s = im.rectangles(2.0, 10_000, split=[1, 0, 0, 1], random_state=0)
        r = [np.corrcoef(s.latent_x[:, i], s.latent_y[:, i])[0, 1] for i in range(4)]
        rho = pair_correlations(2.0, [0.5, 0.0, 0.0, 0.5])
        assert np.all(np.abs(np.array(r) - rho) < 5 / np.sqrt(10_000))

    def test_gaussian_bump_reference(self):
        p = np.array([[0.3, 0.8], [0.01, 0.5]])
        img = im.render_gaussian_bump(p, 16)
        g = np.linspace(0, 1, 16)
        for i in range(2):
            for r in range(16):
                for c in range(16):
                    ref = np.exp(-10 * ((g[c] - p[i, 0]) ** 2 + (g[r] - p[i, 1]) ** 2))
                    assert img[i, r, c] == pytest.approx(ref, rel=2 * EPS32)

    def test_correlated_bump_reference(self):
        p = np.random.default_rng(0).uniform(size=(3, 5))
        img = im.render_correlated_bump(p, 32)
        g = np.linspace(0, 1, 32)
        for i in range(3):
            p1, p2, p3, p4, p5 = p[i]
            for r in range(0, 32, 3):
                for c in range(0, 32, 5):
                    dx, dy = g[c] - p1, g[r] - p2
                    q = (
                        (1 + p3) ** 2 * dx**2
                        + (1 + p4) ** 2 * dy**2
                        + (2 * p5 - 1) * (1 + p3) * (1 + p4) * dx * dy
                    )
                    assert img[i, r, c] == pytest.approx(np.exp(-10 * q), rel=4 * EPS32, abs=1e-30)

    @pytest.mark.parametrize("size", [16, 32])
    def test_rectangles_exact_area(self, size):
        """Pixel values against supersampling, the total against (b - a)(d - c), sides >= min_side."""
        p = _dense_params(4, 200, seed=1)[::7]
        img = im.render_rectangles(p, size, 2)
        x0, x1 = im._rectangle_edges(p[:, 0], p[:, 1], size, 2.0)
        y0, y1 = im._rectangle_edges(p[:, 2], p[:, 3], size, 2.0)
        assert np.all(x1 - x0 >= 2 - 1e-9) and np.all(y1 - y0 >= 2 - 1e-9)
        assert np.all((x0 >= 0) & (x1 <= size) & (y0 >= 0) & (y1 <= size))
        np.testing.assert_allclose(img.sum(axis=(1, 2)), (x1 - x0) * (y1 - y0), rtol=1e-5)
        assert np.all(img.max(axis=(1, 2)) == 1.0)  # a fully covered pixel fixes the scale
        sub = 64  # sub-samples per pixel side: coverage error <= 1/sub per axis
        t = (np.arange(size * sub) + 0.5) / sub
        for i in range(0, len(p), 10):
            ix = ((t >= x0[i]) & (t <= x1[i])).reshape(size, sub).mean(axis=1)
            iy = ((t >= y0[i]) & (t <= y1[i])).reshape(size, sub).mean(axis=1)
            np.testing.assert_allclose(img[i], np.outer(iy, ix), atol=2.0 / sub)

    @pytest.mark.parametrize(
        "key", ["gaussian_bump", "correlated_bump", "rectangles", "rectangles16"]
    )
    def test_rendering_is_injective_and_continuous(self, key):
        _, render, k, size, _ = GENERATORS[key]
        p = _dense_params(k, 1500, seed=2)
        imgs = render(p, size)
        d2 = _pairwise_sq_distances(imgs)
        dmin = float(np.sqrt(d2.min()))
        # float32 rounding moves an image by at most ~eps32 * sqrt(pixels) in L2
        noise = EPS32 * size
        assert dmin > 100 * noise, (dmin, noise)
        # image distance relative to parameter distance stays bounded away from 0
        pd2 = _pairwise_sq_distances(p)
        np.fill_diagonal(pd2, 1.0)  # d2 is +inf there
        ratio = float(np.sqrt(np.min(d2 / pd2)))
        assert ratio > 0.1, ratio
        print(
            f"{key}: {len(p)} images, min distance {dmin:.3g} (noise {noise:.2g}), min ratio {ratio:.3g}"
        )
        # continuity: the image change is linear in a small parameter change (ratio ~10,
        # where a jump would give ~1)
        q = p[:: max(1, len(p) // 300)]
        direction = np.random.default_rng(3).standard_normal(q.shape)
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)

        def change(h):
            return np.linalg.norm(
                (render(q + h * direction, size) - render(q, size))
                .reshape(len(q), -1)
                .astype(np.float64),
                axis=1,
            )

        d_big, d_small = change(1e-3), change(1e-4)
        assert np.all(d_big < 1e-3 * 1000)  # Lipschitz: |grad| <= 1000 per unit parameter
        ratios = d_big / d_small
        assert np.median(ratios) == pytest.approx(10.0, rel=0.05)
        assert np.all((ratios > 5) & (ratios < 20))

    @pytest.mark.parametrize(
        ("call", "match"),
        [
            (
                lambda: im.gaussian_bump(-1.0, 10),
                r"mi must be a finite, non-negative mutual information in nats; got mi=-1\.0",
            ),
            (lambda: im.gaussian_bump(float("nan"), 10), r"got mi=nan"),
            (
                lambda: im.gaussian_bump(1.0, 0),
                r"n must be a positive integer \(number of samples\); got n=0",
            ),
            (lambda: im.correlated_bump(1.0, 2.5), r"got n=2\.5 of type float"),
            (
                lambda: im.gaussian_bump(1.0, 10, size=1),
                r"size must be an integer >= 2 \(image side in pixels\); got size=1; pass e\.g\. size=32",
            ),
            (
                lambda: im.correlated_bump(1.0, 10, size=16.0),
                r"size must be an integer >= 3 .*got size=16\.0",
            ),
            (lambda: im.rectangles(1.0, 10, size=0), r"size must be an integer >= 3 .*got size=0"),
            (
                lambda: im.rectangles(1.0, 10, size=4, min_side=4),
                r"size must be larger than min_side so that rectangles can move; got size=4, min_side=4; pass size >= 5",
            ),
            (
                lambda: im.rectangles(1.0, 10, min_side=1),
                r"min_side must be >= 2 pixels: .*got min_side=1; pass min_side=2",
            ),
            (
                lambda: im.rectangles(1.0, 10, min_side=float("nan")),
                r"min_side must be a real number of pixels >= 2; got min_side=nan",
            ),
            (
                lambda: im.rectangles(1.0, 10, split=[1, 1]),
                r"split must hold one weight per coordinate pair, i\.e\. 4 weights .*got shape \(2,\)",
            ),
            (
                lambda: im.correlated_bump(1.0, 10, split=[1, 1, 1, 1, -1]),
                r"split weights must be finite and non-negative",
            ),
            (
                lambda: im.gaussian_bump(1.0, 10, random_state="x"),
                r"random_state must be None, an int",
            ),
            (
                lambda: im.render_rectangles(np.full((3, 3), 0.5)),
                r"params must have shape \(n, 4\) .*got shape \(3, 3\); pass scipy\.special\.ndtr\(latents\)",
            ),
            (
                lambda: im.render_gaussian_bump([[0.5, 1.5]]),
                r"params must lie in \[0, 1\] .*got 1 entries outside \[0, 1\] or NaN",
            ),
            (
                lambda: im.render_correlated_bump(np.full((1, 5), np.nan)),
                r"got 5 entries outside \[0, 1\] or NaN",
            ),
        ],
    )
    def test_errors(self, call, match):
        with pytest.raises(ValueError, match=match):
            call()


# --------------------------------------------------------------------------- invariants (hypothesis)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

unit = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    p=arrays(np.float64, (3, 4), elements=unit),
    size=st.sampled_from([8, 16, 32]),
    min_side=st.floats(2.0, 6.0),
)
def test_rectangles_area_identity_anywhere(p, size, min_side):
    """For any parameters, closed cube included: total intensity = rectangle area, max pixel = 1."""
    img = im.render_rectangles(p, size, min_side)
    x0, x1 = im._rectangle_edges(p[:, 0], p[:, 1], size, min_side)
    y0, y1 = im._rectangle_edges(p[:, 2], p[:, 3], size, min_side)
    assert np.all(x1 - x0 >= min_side * (1 - 1e-12)) and np.all(y1 - y0 >= min_side * (1 - 1e-12))
    np.testing.assert_allclose(img.sum(axis=(1, 2)), (x1 - x0) * (y1 - y0), rtol=1e-5)
    assert np.all(img.max(axis=(1, 2)) == 1.0) and img.min() >= 0.0


@settings(max_examples=40, deadline=None)
@given(p2=arrays(np.float64, (3, 2), elements=unit), p5=arrays(np.float64, (3, 5), elements=unit))
def test_bumps_finite_and_peaked_anywhere(p2, p5):
    """Values in [0, 1]; the peak is near a grid point (within half a step per axis), so max ~ 1."""
    g16 = im.render_gaussian_bump(p2, 16)
    g32 = im.render_correlated_bump(p5, 32)
    for img in (g16, g32):
        assert np.all(np.isfinite(img)) and img.min() >= 0.0 and img.max() <= 1.0
    # |dx|, |dy| <= 1 / (2 (size - 1)); the correlated form is <= 3 * 4 * h^2 (scales <= 2, |shear| <= 1)
    assert np.all(g16.max(axis=(1, 2)) >= np.exp(-10 * 2 * (1 / 30) ** 2) - 1e-6)
    assert np.all(g32.max(axis=(1, 2)) >= np.exp(-10 * 12 * (1 / 62) ** 2) - 1e-6)


def test_zero_inflated_pair_exported_and_seeded():
    a = datasets.zero_inflated_pair(1.0, 500, random_state=4)
    b = datasets.zero_inflated_pair(1.0, 500, random_state=np.random.default_rng(4))
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert a.x.shape == a.y.shape == (500, 1) and a.mi == 1.0
    assert not np.array_equal(a.x, datasets.zero_inflated_pair(1.0, 500, random_state=5).x)
    # the Gaussian part carries the rest of the information: I(G; G') = (mi - log 2) / (1 - 1/2)
    assert a.params["mi_continuous"] == pytest.approx(2 * (1.0 - np.log(2.0)))
