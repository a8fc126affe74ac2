"""Conditional mutual information (Frenzel–Pompe, calibrated, entropy sums) and transfer entropy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma

import pymi
from pymi.conditional import CMI_METHODS, delay_embedding, make_cmi_estimator
from pymi.datasets.autoregressive import coupled_ar, var_transfer_entropy
from pymi.datasets.conditional import conditional_normal, gaussian_cmi
from pymi.estimators.frenzel_pompe import frenzel_pompe_terms


# ----------------------------------------------------------------- datasets
def test_conditional_normal_covariance_and_truth():
    s = conditional_normal(1.5, 2, 3, 2, 200_000, random_state=1)
    assert s.x.shape == (200_000, 2) and s.y.shape == (200_000, 3) and s.z.shape == (200_000, 2)
    assert gaussian_cmi(s.cov, 2, 3) == pytest.approx(1.5, abs=1e-9)
    emp = np.cov(np.hstack([s.x, s.y, s.z]), rowvar=False)
    # sample covariance entries of unit-scale Gaussians: sd ~ sqrt(2 / n) = 0.003
    assert np.abs(emp - s.cov).max() < 0.03
    # unconditional MI matches the covariance's closed form
    assert s.mi == pytest.approx(gaussian_cmi(s.cov[:5, :5], 2, 3), abs=1e-12)


def test_gaussian_cmi_independent_z_is_mi():
    rho = 0.8
    cov = np.array([[1, rho, 0], [rho, 1, 0], [0, 0, 1.0]])
    assert gaussian_cmi(cov, 1, 1) == pytest.approx(-0.5 * np.log(1 - rho**2))


def test_conditional_normal_negative_cmi_names_the_quantity():
    with pytest.raises(ValueError, match=r"cmi must be a finite, non-negative conditional mutual information.*given z"):
        conditional_normal(-0.5, 2, 2, 1, 100)


def test_gaussian_cmi_bad_cov():
    with pytest.raises(ValueError, match="non-positive determinant"):
        gaussian_cmi(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1.0]]), 1, 1)
    with pytest.raises(ValueError, match="square matrix of size at least"):
        gaussian_cmi(np.eye(2), 2, 1)


def test_var_transfer_entropy_closed_form():
    # history 1: TE = 1/2 log(var(T_t | T_{t-1}) / var(T_t | T_{t-1}, S_{t-1})), the last = 1
    a, b, c = 0.5, 0.5, 0.5
    s = coupled_ar(10, coupling=c, source_memory=a, target_memory=b, random_state=0)
    g = np.linalg.inv(np.eye(4) - np.kron(np.array([[a, 0], [c, b]]), np.array([[a, 0], [c, b]])))
    gamma0 = (g @ np.eye(2).reshape(-1)).reshape(2, 2)
    var_t, cov_tt1 = gamma0[1, 1], (np.array([[a, 0], [c, b]]) @ gamma0)[1, 1]
    var_cond_past = var_t - cov_tt1**2 / var_t
    assert s.te == pytest.approx(0.5 * np.log(var_cond_past / 1.0), rel=1e-10)
    assert abs(s.te_reverse) < 1e-12


def test_coupled_ar_regression_recovers_coefficients():
    s = coupled_ar(100_000, coupling=0.4, source_memory=0.3, target_memory=0.6, random_state=2)
    design = np.stack([s.target[:-1], s.source[:-1]], axis=1)
    coef = np.linalg.lstsq(design, s.target[1:], rcond=None)[0]
    # OLS slope sd ~ 1 / sqrt(n var) < 0.005
    np.testing.assert_allclose(coef, [0.6, 0.4], atol=0.02)


def test_var_transfer_entropy_errors():
    with pytest.raises(ValueError, match="spectral radius"):
        var_transfer_entropy(np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="lag must be a positive integer"):
        var_transfer_entropy(0.5 * np.eye(2), np.eye(2), lag=0)
    with pytest.raises(ValueError, match="same shape|one shape"):
        var_transfer_entropy(0.5 * np.eye(2), np.eye(3))
    with pytest.raises(ValueError, match="coupling must be a finite non-negative"):
        conditional_normal(1.0, 1, 1, 1, 10, coupling=-1.0)
    with pytest.raises(ValueError, match="burn_in must be a non-negative integer"):
        coupled_ar(10, burn_in=-1)


# -------------------------------------------------------------- the kernel
def _reference_fp(x, y, z, k):
    """O(n^2) NumPy Frenzel–Pompe (max-norm, strict counts, self excluded)."""
    def cheb(a):
        return np.abs(a[:, None, :] - a[None, :, :]).max(axis=2)

    dj = cheb(np.hstack([x, y, z]))
    np.fill_diagonal(dj, np.inf)
    eps = np.sort(dj, axis=1)[:, k - 1]
    out = []
    for sub in (np.hstack([x, z]), np.hstack([y, z]), z):
        d = cheb(sub)
        np.fill_diagonal(d, np.inf)
        out.append((d < eps[:, None]).sum(axis=1))
    nxz, nyz, nz = out
    return digamma(k) - digamma(nxz + 1) - digamma(nyz + 1) + digamma(nz + 1)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("backend", ["kdtree", "brute"])
def test_frenzel_pompe_terms_match_reference(k, backend):
    rng = np.random.default_rng(0)
    x, y, z = rng.standard_normal((300, 2)), rng.standard_normal((300, 1)), rng.standard_normal((300, 2))
    y = y + x[:, :1] + z[:, :1]
    got = frenzel_pompe_terms(x, y, z, k, backend=backend, n_jobs=1)
    np.testing.assert_allclose(got, _reference_fp(x, y, z, k), rtol=0, atol=1e-12)


def test_empty_z_is_ksg():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 2))
    y = x + rng.standard_normal((500, 2))
    fp = frenzel_pompe_terms(x, y, None, 4).mean()
    ksg = pymi.mutual_information(x, y, "ksg", k=4, whiten=False).value
    assert fp == pytest.approx(ksg, abs=1e-12)


# ----------------------------------------------------------------- accuracy
def test_cksg_within_target_on_gaussians():
    # issue 15's target: within 0.05 nats for d_X = d_Y = 2, d_Z = 1..4, N = 5000, I up to
    # 3 nats. Measured over 5 seeds per cell (d_Z 1-4, I 0-3): bias <= 0.026 nats, spread
    # 0.005-0.033 nats per run. Each run must lie within the bias bound plus 1.5 spreads
    # (0.08), and the mean error over the grid within the target's 0.05 minus a margin.
    errors = []
    for dim_z in (1, 2, 4):
        for cmi in (0.0, 1.0, 3.0):
            s = conditional_normal(cmi, 2, 2, dim_z, 5000, random_state=dim_z)
            est = pymi.conditional_mutual_information(s.x, s.y, s.z, random_state=0)
            assert est.method == "cksg" and est.unit == "nats" and est.n == 5000
            assert 0.003 < est.stderr < 0.05
            assert abs(est.value - cmi) < 0.08, (dim_z, cmi, est)
            errors.append(est.value - cmi)
    assert abs(np.mean(errors)) < 0.03


def test_plain_fp_consistent_at_low_information():
    # plain FP has a negative bias that grows with I; at I = 0.3 and N = 4000 it is small
    s = conditional_normal(0.3, 1, 1, 1, 4000, random_state=5)
    est = pymi.conditional_mutual_information(s.x, s.y, s.z, "ksg")
    assert abs(est.value - 0.3) < 5 * est.stderr + 0.03


@pytest.mark.parametrize("method", ["gaussian", "kl", "kde"])
def test_entropy_sum_methods(method):
    s = conditional_normal(0.8, 2, 1, 2, 3000, random_state=7)
    est = pymi.conditional_mutual_information(s.x, s.y, s.z, method)
    assert est.method == method and est.params["variant"] == "entropy_sum"
    # gaussian: exact model; kl / kde on whitened Gaussian terms: bias < 0.1 at N = 3000
    tol = 5 * est.stderr + (0.01 if method == "gaussian" else 0.1)
    assert abs(est.value - 0.8) < tol


def test_independent_given_z_near_zero_and_units():
    # X and Y share only Z: strongly dependent marginally, independent given Z
    s = conditional_normal(0.0, 2, 2, 2, 3000, coupling=2.0, random_state=11)
    assert s.mi > 0.5
    est = pymi.conditional_mutual_information(s.x, s.y, s.z, random_state=1)
    assert abs(est.value) < 4 * est.stderr + 0.02
    bits = pymi.conditional_mutual_information(s.x, s.y, s.z, random_state=1, base="bits")
    assert bits.value == pytest.approx(est.value / np.log(2))
    assert bits.unit == "bits"


def test_cmi_invariant_under_maps_of_each_variable():
    s = conditional_normal(1.0, 1, 1, 1, 2000, random_state=4)
    a = pymi.conditional_mutual_information(s.x, s.y, s.z, random_state=0)
    b = pymi.conditional_mutual_information(np.exp(s.x), s.y**3, np.arctan(s.z), random_state=0)
    # normal scores are rank-based: strictly increasing maps leave cksg unchanged
    assert b.value == pytest.approx(a.value, abs=1e-12)


def test_symmetric_in_x_and_y_for_fp():
    s = conditional_normal(1.0, 2, 1, 1, 1000, random_state=2)
    a = pymi.conditional_mutual_information(s.x, s.y, s.z, "ksg")
    b = pymi.conditional_mutual_information(s.y, s.x, s.z, "ksg")
    assert a.value == pytest.approx(b.value, abs=1e-12)


def test_float32_and_torch_input():
    s = conditional_normal(1.0, 2, 2, 2, 1500, random_state=0)
    a = pymi.conditional_mutual_information(s.x, s.y, s.z, "ksg", whiten=False)
    b = pymi.conditional_mutual_information(
        s.x.astype(np.float32), s.y.astype(np.float32), s.z.astype(np.float32), "ksg", whiten=False
    )
    assert abs(a.value - b.value) < 0.01
    torch = pytest.importorskip("torch")
    c = pymi.conditional_mutual_information(
        torch.from_numpy(s.x), torch.from_numpy(s.y), torch.from_numpy(s.z), "ksg", whiten=False
    )
    assert c.value == pytest.approx(a.value, abs=1e-12)


def test_ties_in_z_are_jittered_with_warning():
    rng = np.random.default_rng(0)
    z = rng.integers(0, 3, size=(800, 1)).astype(float)
    x = z + rng.standard_normal((800, 1))
    y = z + rng.standard_normal((800, 1))
    with pytest.warns(pymi.TiesWarning, match="z:"):
        est = pymi.conditional_mutual_information(x, y, z, "ksg", random_state=0)
    assert "ties_jittered_fraction_z" in est.params
    with pytest.raises(ValueError, match="exact duplicate"):
        pymi.conditional_mutual_information(x, y, z, "ksg", ties="raise")


def test_nan_policy_omit():
    s = conditional_normal(0.5, 1, 1, 1, 500, random_state=0)
    z = s.z.copy()
    z[3, 0] = np.nan
    with pytest.raises(ValueError, match="nan_policy='omit'"):
        pymi.conditional_mutual_information(s.x, s.y, z, "ksg")
    est = pymi.conditional_mutual_information(s.x, s.y, z, "ksg", nan_policy="omit")
    assert est.n == 499 and est.params["n_dropped_nonfinite"] == 1


# ------------------------------------------------------------------ errors
def test_errors():
    s = conditional_normal(0.5, 1, 1, 1, 100, random_state=0)
    with pytest.raises(ValueError, match="z must be an array of conditioning samples"):
        pymi.conditional_mutual_information(s.x, s.y, None)
    with pytest.raises(ValueError, match="same number of samples"):
        pymi.conditional_mutual_information(s.x, s.y, s.z[:50])
    with pytest.raises(ValueError, match="method must be one of .* for conditional mutual information"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, "mine")
    with pytest.raises(ValueError, match="did you mean 'ksg'"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, "ksgg")
    with pytest.raises(TypeError, match="takes no copula"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, "ksg", copula=True)
    with pytest.raises(TypeError, match="k is a neighbour count and method='gaussian'"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, "gaussian", k=3)
    with pytest.raises(ValueError, match="k=100 must be smaller than n_samples=100"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, "ksg", k=100)
    with pytest.raises(ValueError, match="compress must be None or 'pca'"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, compress="ae", latent_dim=1)
    with pytest.raises(ValueError, match="needs latent_dim"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, compress="pca")
    with pytest.raises(ValueError, match="with latent_dim set: pass compress='pca'"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, latent_dim=1)
    with pytest.raises(ValueError, match="three entries"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, compress="pca", latent_dim=(1, 1))
    with pytest.raises(TypeError, match="float32 or float64"):
        pymi.conditional_mutual_information(s.x, s.y, np.arange(100))
    with pytest.raises(ValueError, match="collinear"):
        pymi.conditional_mutual_information(s.x, s.y, np.hstack([s.z, 2 * s.z]))
    with pytest.raises(ValueError, match="base must be one of"):
        make_cmi_estimator("ksg", base="furlongs")


def test_all_methods_run():
    s = conditional_normal(0.5, 1, 1, 1, 400, random_state=0)
    for method in CMI_METHODS:
        est = pymi.conditional_mutual_information(s.x, s.y, s.z, method, random_state=0)
        assert np.isfinite(est.value) and est.method == method


# --------------------------------------------------------- transfer entropy
def test_delay_embedding_rows():
    s = np.arange(10.0)
    t = 100 + np.arange(10.0)
    fut, ps, pt = delay_embedding(s, t, lag=2, history=3, source_history=2)
    # t0 = max(3, 2 + 2 - 1) = 3: row 0 is time 3
    np.testing.assert_array_equal(fut[:, 0], t[3:])
    np.testing.assert_array_equal(ps[0], [s[1], s[0]])
    np.testing.assert_array_equal(pt[0], [t[2], t[1], t[0]])


def test_transfer_entropy_known_value_and_direction():
    s = coupled_ar(5000, coupling=0.5, random_state=0)
    te = pymi.transfer_entropy(s.source, s.target, random_state=0)
    back = pymi.transfer_entropy(s.target, s.source, random_state=0)
    assert te.params["lag"] == 1 and te.n == 4999
    assert abs(te.value - s.te) < 4 * te.stderr + 0.03
    assert abs(back.value - s.te_reverse) < 4 * back.stderr + 0.03


def test_transfer_entropy_longer_history():
    s = coupled_ar(5000, coupling=0.6, history=2, source_history=2, random_state=3)
    te = pymi.transfer_entropy(s.source, s.target, history=2, source_history=2, random_state=0)
    assert abs(te.value - s.te) < 4 * te.stderr + 0.03


def test_transfer_entropy_errors():
    with pytest.raises(ValueError, match="same length"):
        pymi.transfer_entropy(np.zeros(10), np.zeros(11))
    with pytest.raises(ValueError, match="too few for lag"):
        pymi.transfer_entropy(np.random.default_rng(0).standard_normal(5), np.zeros(5), lag=4)
    with pytest.raises(ValueError, match="history must be a positive integer"):
        pymi.transfer_entropy(np.zeros(10), np.zeros(10), history=0)
    with pytest.raises(TypeError, match="lag must be a positive integer"):
        pymi.transfer_entropy(np.zeros(10), np.zeros(10), lag=1.5)


def test_compress_pca_cross_fitted():
    # X, Y, Z are 2-D Gaussians embedded in 10 dimensions by fixed linear maps (plus nothing
    # else): PCA to 2 components per variable keeps everything, so the truth is unchanged
    s = conditional_normal(1.0, 2, 2, 2, 4000, random_state=3)
    rng = np.random.default_rng(0)
    up = [rng.standard_normal((2, 10)) for _ in range(3)]
    xs, ys, zs = s.x @ up[0], s.y @ up[1], s.z @ up[2]
    est = pymi.conditional_mutual_information(xs, ys, zs, compress="pca", latent_dim=2, random_state=0)
    assert est.n == 4000 and est.params["cross_fit"] is True
    assert est.params["compression"]["fits"][0]["x"]["explained_variance_ratio"] == pytest.approx(1.0)
    # two halves of 2000 rows: each within the calibrated estimator's error at that size
    assert abs(est.value - 1.0) < 0.1
    keep_z = pymi.conditional_mutual_information(
        xs, ys, s.z, compress="pca", latent_dim=(2, 2, None), random_state=0
    )
    assert abs(keep_z.value - 1.0) < 0.1


def test_calibrated_cmi_interval_covers_the_closed_form():
    # nominal 90 % intervals; the bar for MI is 80 % coverage. 120 fixed draws
    # (sd of the observed share about 0.03 at a true coverage of 0.87)
    from pymi.datasets.conditional import conditional_normal

    hits, total = 0, 0
    for cmi, dz in ((0.0, 1), (1.0, 2), (2.0, 3)):
        for seed in range(40):
            s = conditional_normal(cmi, 2, 2, dz, 2000, random_state=seed)
            est = pymi.conditional_mutual_information(s.x, s.y, s.z, random_state=seed + 100)
            assert est.interval is not None and est.interval_level == 0.9
            lo, hi = est.interval
            assert lo <= est.value <= hi
            hits += lo <= s.cmi <= hi
            total += 1
    assert hits / total >= 0.8


def test_calibrated_cmi_interval_options():
    from pymi.datasets.conditional import conditional_normal

    s = conditional_normal(0.5, 2, 2, 1, 500, random_state=0)
    none = pymi.conditional_mutual_information(s.x, s.y, s.z, n_subsamples=0, random_state=0)
    assert none.interval is None
    with pytest.raises(ValueError, match="n_subsamples must be 0"):
        pymi.conditional_mutual_information(s.x, s.y, s.z, n_subsamples=1)
    with pytest.raises(ValueError, match="4 disjoint subsamples of 5 rows.*n_subsamples=0"):
        pymi.conditional_mutual_information(s.x[:20], s.y[:20], s.z[:20])
