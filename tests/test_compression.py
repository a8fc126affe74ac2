"""Tests of pymi.compression: PCA, autoencoders, the Compressed estimator, compress_pair.

Reference estimators (a Gaussian plug-in and KSG) are defined here so the tests
do not depend on the rest of pymi.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.special import digamma, ndtr

from pymi._estimate import Estimate
from pymi._torch import resolve_n_jobs, resolve_seed
from pymi.compression import (
    PCA,
    Compressed,
    ConvAutoencoder,
    MLPAutoencoder,
    NotFittedError,
    compress_pair,
)

# ----------------------------------------------------------------------------------------
# data and reference estimators


def correlated_normal(n: int, mi: float, dx: int, dy: int, rng: np.random.Generator):
    """Gaussian pair with I(X; Y) = mi nats split evenly over min(dx, dy) coordinate pairs."""
    m = min(dx, dy)
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi / m))
    cov = np.eye(dx + dy)
    for i in range(m):
        cov[i, dx + i] = cov[dx + i, i] = rho
    z = rng.multivariate_normal(np.zeros(dx + dy), cov, size=n)
    return z[:, :dx], z[:, dx:]


def gaussian_bumps(params: np.ndarray, size: int = 16) -> np.ndarray:
    """Guide 2.2: centre mu = Phi(xi) in (0, 1)^2, pixel = exp(-10 ||g - mu||^2) on a linspace grid."""
    mu = ndtr(params)
    g = np.linspace(0.0, 1.0, size)
    ex = np.exp(-10.0 * (g[None, :] - mu[:, :1]) ** 2)
    ey = np.exp(-10.0 * (g[None, :] - mu[:, 1:2]) ** 2)
    return (ex[:, :, None] * ey[:, None, :]).astype(np.float32)


def gaussian_mi(x: np.ndarray, y: np.ndarray) -> float:
    """Plug-in Gaussian MI, 1/2 (log det S_X + log det S_Y - log det S), in float64."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    s = np.cov(np.hstack([x, y]).T)
    dx = x.shape[1]

    def ld(m):
        return np.linalg.slogdet(m)[1]

    return float(0.5 * (ld(s[:dx, :dx]) + ld(s[dx:, dx:]) - ld(s)))


def ksg_mi(x: np.ndarray, y: np.ndarray, k: int = 5) -> float:
    """KSG algorithm 1 (max-norm, strict marginal counts), O(n log n) with cKDTree."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    n = len(x)
    xy = np.hstack([x, y])
    eps = cKDTree(xy).query(xy, k + 1, p=np.inf)[0][:, -1]
    r = np.nextafter(eps, 0)
    nx = cKDTree(x).query_ball_point(x, r, p=np.inf, return_length=True) - 1
    ny = cKDTree(y).query_ball_point(y, r, p=np.inf, return_length=True) - 1
    return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))


class GaussianRef:
    """Minimal estimator following the pymi protocol (stand-in for pymi.estimators.Gaussian)."""

    def mutual_information(self, x, y, *, discrete_y=False):
        if discrete_y:  # I = h(X) - sum p(y) h(X | y) with Gaussian entropies
            x = np.asarray(x, np.float64)
            labels, counts = np.unique(y, return_counts=True)
            h = 0.5 * np.linalg.slogdet(np.atleast_2d(np.cov(x.T)))[1]
            hc = sum(
                c / len(y) * 0.5 * np.linalg.slogdet(np.atleast_2d(np.cov(x[y == lab].T)))[1]
                for lab, c in zip(labels, counts, strict=True)
            )
            return Estimate(
                float(h - hc), math.nan, "nats", "gaussian", {"discrete_y": True}, len(x)
            )
        return Estimate(gaussian_mi(x, y), math.nan, "nats", "gaussian", {"k": None}, len(x))


class KSGRef:
    def mutual_information(self, x, y, *, discrete_y=False):
        return Estimate(ksg_mi(x, y), math.nan, "nats", "ksg", {"k": 5}, len(x))


def embed(z: np.ndarray, d: int, rng: np.random.Generator) -> np.ndarray:
    """Linear embedding of z into d dimensions (full column rank) plus an offset."""
    a = rng.normal(size=(z.shape[1], d))
    return z @ a + rng.normal(size=d)


# ----------------------------------------------------------------------------------------
# PCA


def test_pca_linear_subspace_recovers_exact_mi():
    """Data in a 2-D subspace of R^16 per side: PCA(2) codes are an invertible linear map of
    the latents on every held-out row, so a Gaussian plug-in on the codes equals the plug-in on
    the true latents (up to float32 rounding of the codes) and the truth within its sampling error.
    """
    rng = np.random.default_rng(0)
    n, mi = 4000, 1.0
    zx, zy = correlated_normal(n, mi, 2, 2, rng)
    x, y = embed(zx, 16, rng), embed(zy, 16, rng)
    comp = Compressed(GaussianRef(), PCA(2), train_fraction=0.5, random_state=0)
    est = comp.mutual_information(x, y)
    pair = comp.encode(x, y)
    n_eval = n // 2
    assert est.n == n_eval == pair.params["n_eval"]
    reference = gaussian_mi(zx[pair.eval_index], zy[pair.eval_index])
    assert est.value == pytest.approx(reference, abs=1e-4)
    # plug-in SE for two pairs with I/2 each: sqrt(2) * rho / sqrt(n); bias ~ dx*dy / (2n)
    rho = math.sqrt(1 - math.exp(-mi))
    tol = 4 * math.sqrt(2) * rho / math.sqrt(n_eval) + 4 / (2 * n_eval)
    assert abs(est.value - mi) < tol
    comp_params = est.params["compression"]
    assert comp_params["compressor_x"].startswith("PCA(latent_dim=2")
    assert comp_params["n_train"] == n - n_eval and comp_params["held_out"] is True
    assert est.params["k"] is None  # inner estimator's params are kept


def test_pca_roundtrip_and_attributes():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(500, 3)) * np.array([3.0, 2.0, 1.0])
    x = embed(z, 12, rng)
    pca = PCA(3).fit(x)
    codes = pca.transform(x)
    assert codes.dtype == np.float32 and codes.shape == (500, 3)
    np.testing.assert_allclose(pca.inverse_transform(codes), x, atol=1e-4 * np.abs(x).max())
    assert np.all(np.diff(pca.explained_variance_) <= 0)
    np.testing.assert_allclose(pca.explained_variance_ratio_.sum(), 1.0, atol=1e-9)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(codes.var(0, ddof=1), pca.explained_variance_, rtol=1e-4)
    # whitening: unit variance codes, same MI
    w = PCA(3, whiten=True).fit(x)
    np.testing.assert_allclose(w.transform(x).var(0, ddof=1), 1.0, rtol=1e-4)
    np.testing.assert_allclose(w.inverse_transform(w.transform(x)), x, atol=1e-4 * np.abs(x).max())


def test_pca_images_float32_float64_and_wide_data():
    rng = np.random.default_rng(2)
    imgs = gaussian_bumps(rng.normal(size=(300, 2)))
    p32 = PCA(4).fit(imgs)
    p64 = PCA(4).fit(imgs.astype(np.float64))
    np.testing.assert_allclose(p32.transform(imgs), p64.transform(imgs), atol=1e-5)
    assert p32.inverse_transform(p32.transform(imgs[:5])).shape == (5, 16, 16)
    # n < d uses the SVD path; same subspace as eigh
    wide = imgs[:100]
    c1 = PCA(3).fit(wide).transform(wide)
    c2 = PCA(3).fit(wide.astype(np.float64)).transform(wide)
    np.testing.assert_allclose(c1, c2, atol=1e-4)
    assert repr(PCA(3, whiten=True)) == "PCA(latent_dim=3, whiten=True)"


def test_pca_errors():
    x = np.random.default_rng(3).normal(size=(10, 5))
    with pytest.raises(
        ValueError, match=r"latent_dim=6 must be at most min\(n_samples - 1, n_features\)"
    ):
        PCA(6).fit(x)
    with pytest.raises(ValueError, match=r"latent_dim=3 must be at most .* = min\(2, 5\) = 2"):
        PCA(3).fit(x[:3])
    with pytest.raises(NotFittedError, match=r"PCA is not fitted yet; call fit\(x\)"):
        PCA(2).transform(x)
    with pytest.raises(NotFittedError, match="before inverse_transform"):
        PCA(2).inverse_transform(np.zeros((1, 2)))
    with pytest.raises(
        TypeError,
        match=r"x must have a floating-point dtype; got dtype=int64.*astype\(np.float32\)",
    ):
        PCA(2).fit(np.arange(50).reshape(10, 5))
    bad = x.copy()
    bad[2, 1], bad[4, 0] = np.nan, np.inf
    with pytest.raises(ValueError, match="x contains 1 NaN and 1 infinite values in 2 of 10 rows"):
        PCA(2).fit(bad)
    with pytest.raises(
        ValueError, match=r"x must have at least 2 dimensions .* got x.shape=\(10,\)"
    ):
        PCA(1).fit(x[:, 0])
    pca = PCA(2).fit(x)
    with pytest.raises(
        ValueError, match=r"per-sample shape \(5,\) as in fit; got x.shape=\(10, 4\)"
    ):
        pca.transform(x[:, :4])
    with pytest.raises(
        ValueError,
        match=r"codes must have shape \(n_samples, latent_dim=2\); got codes.shape=\(3, 3\)",
    ):
        pca.inverse_transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="latent_dim must be a positive int; got latent_dim=0"):
        PCA(0)
    with pytest.raises(TypeError, match="latent_dim must be a positive int; got 2.0"):
        PCA(2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="whiten must be True or False"):
        PCA(2, whiten="yes")  # type: ignore[arg-type]
    flat = np.repeat(x[:, :1], 5, axis=1)  # rank 1 data
    with pytest.raises(
        ValueError, match="whiten=True but 1 of the 2 components have .* zero variance"
    ):
        PCA(2, whiten=True).fit(flat)


# ----------------------------------------------------------------------------------------
# Compressed and compress_pair (NumPy only)


def test_compressed_rows_stay_aligned():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(101, 3))
    y = x * 2.0 + 1.0  # row i of y is a function of row i of x
    pair = Compressed(None, "passthrough", "passthrough", random_state=1).encode(x, y)
    assert np.array_equal(pair.x, x[pair.eval_index])
    np.testing.assert_allclose(pair.y, pair.x * 2.0 + 1.0)
    assert (
        np.all(np.diff(pair.eval_index) > 0) and pair.params["n_eval"] == 51
    )  # round(50.5) = 50 train
    pair2 = Compressed(None, PCA(2), PCA(3), random_state=1).encode(x, y)
    assert np.array_equal(pair2.eval_index, pair.eval_index)  # split depends only on the seed
    assert pair2.x.shape == (51, 2) and pair2.y.shape == (51, 3)


def test_compressed_modes():
    rng = np.random.default_rng(5)
    n = 2000
    zx, zy = correlated_normal(n, 0.8, 2, 2, rng)
    a = rng.normal(size=(2, 10))
    x, y = zx @ a, zy @ a  # same embedding on both sides -> one shared PCA works
    est = Compressed(GaussianRef(), PCA(2), shared=True, random_state=0).mutual_information(x, y)
    assert est.params["compression"]["shared"] is True
    assert abs(est.value - 0.8) < 0.15
    # compressor_y=None: an independent copy of compressor_x fitted on y; user objects stay unfitted
    template = PCA(2)
    comp = Compressed(GaussianRef(), template, random_state=0)
    comp.mutual_information(x, embed(zy, 7, rng))
    assert not template.is_fitted and comp.compressor_y_ is not comp.compressor_x_
    assert comp.compressor_y_.components_.shape == (2, 7)
    # train_fraction=1: fit and score on all rows
    e1 = Compressed(GaussianRef(), PCA(2), train_fraction=1.0).mutual_information(x, y)
    assert e1.n == n and e1.params["compression"]["held_out"] is False
    # train_fraction=0: pre-fitted compressors, all rows
    fitted = PCA(2).fit(x)
    e0 = Compressed(GaussianRef(), fitted, PCA(2).fit(y), train_fraction=0.0).mutual_information(
        x, y
    )
    assert e0.n == n and e0.value == pytest.approx(gaussian_mi(zx, zy), abs=1e-4)
    # discrete y: labels pass through
    labels = (zx[:, 0] > 0).astype(int)
    ed = Compressed(GaussianRef(), PCA(2), random_state=0).mutual_information(
        x, labels, discrete_y=True
    )
    assert ed.params["compression"]["compressor_y"] == "passthrough" and ed.params["discrete_y"]
    assert ed.value > 0.2
    with pytest.raises(TypeError, match="differential entropy is not invariant"):
        comp.entropy(x)
    with pytest.raises(TypeError, match="Compressed estimates mutual information only"):
        comp.estimate(x)
    assert comp.estimate(x, y).value == pytest.approx(
        Compressed(GaussianRef(), PCA(2), random_state=0).mutual_information(x, y).value
    )
    assert "Compressed(" in repr(comp)


def test_compressed_errors():
    x = np.random.default_rng(6).normal(size=(20, 4))
    with pytest.raises(
        ValueError,
        match=r"x and y must have the same number of samples \(rows\); got x.shape=\(20, 4\), y.shape=\(19, 4\)",
    ):
        Compressed(GaussianRef(), PCA(2)).mutual_information(x, x[:19])
    with pytest.raises(TypeError, match=r"estimator must be an estimator with mutual_information\(x, y"):
        Compressed(object(), PCA(2))
    with pytest.raises(TypeError, match="compressor_x must be a compressor with fit / transform .*got 3 of type int"):
        Compressed(GaussianRef(), 3)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match="compressor_y must be a compressor with fit / transform .*, 'passthrough' or None; got 'pca'",
    ):
        Compressed(GaussianRef(), PCA(2), "pca")
    with pytest.raises(
        ValueError, match="shared=True encodes x and y with compressor_x; pass compressor_y=None"
    ):
        Compressed(GaussianRef(), PCA(2), PCA(2), shared=True)
    with pytest.raises(ValueError, match=r"train_fraction must be a number in \[0, 1\] \(0: pre-fitted"):
        Compressed(GaussianRef(), PCA(2), train_fraction=1.5)
    with pytest.raises(
        ValueError,
        match="train_fraction=0.95 of n_samples=20 leaves 19 rows .* and 1 to estimate on",
    ):
        Compressed(GaussianRef(), PCA(2), train_fraction=0.95).mutual_information(x, x)
    with pytest.raises(
        NotFittedError,
        match="train_fraction=0 uses pre-fitted compressors, but compressor_x is not fitted",
    ):
        Compressed(GaussianRef(), PCA(2), train_fraction=0.0).mutual_information(x, x)
    with pytest.raises(ValueError, match="discrete_y=True: y holds labels and is not compressed"):
        Compressed(GaussianRef(), PCA(2), PCA(2)).mutual_information(
            x, np.arange(20), discrete_y=True
        )
    with pytest.raises(ValueError, match=r"shared=True needs x and y samples of the same shape"):
        Compressed(GaussianRef(), PCA(2), shared=True).mutual_information(x, x[:, :3])
    with pytest.raises(TypeError, match="this Compressed has estimator=None"):
        Compressed(None, PCA(2)).mutual_information(x, x)
    with pytest.raises(
        TypeError, match="random_state must be None, an int, a numpy.random.Generator or a SeedSequence; got 'seed'"
    ):
        Compressed(GaussianRef(), PCA(2), random_state="seed")  # type: ignore[arg-type]


def test_compress_pair_pca():
    rng = np.random.default_rng(7)
    zx, zy = correlated_normal(1000, 1.0, 2, 2, rng)
    x, y = embed(zx, 20, rng), embed(zy, 8, rng)
    pair = compress_pair(x, y, method="pca", latent_dim=2, random_state=0)
    assert pair.x.shape == (500, 2) and pair.y.shape == (500, 2)
    assert pair.params["method"] == "pca" and pair.params["latent_dim_y"] == 2
    np.testing.assert_allclose(
        gaussian_mi(pair.x, pair.y),
        gaussian_mi(zx[pair.eval_index], zy[pair.eval_index]),
        atol=1e-4,
    )
    p2 = compress_pair(x, zy[:, :1], method="pca", latent_dim=(2, None), random_state=0)
    assert p2.y.shape == (500, 1) and p2.params["compressor_y"] == "passthrough"
    p3 = compress_pair(x, (zx[:, 0] > 0).astype(int), method="pca", latent_dim=2, discrete_y=True)
    assert p3.y.ndim == 1
    with pytest.raises(
        ValueError,
        match=r"y has 1 features, not more than latent_dim=2: nothing to compress. Pass latent_dim=\(2, None\)",
    ):
        compress_pair(x, zy[:, :1], method="pca", latent_dim=2)
    with pytest.raises(
        ValueError, match="method must be 'ae' \\(autoencoder\\) or 'pca'; got method='umap'"
    ):
        compress_pair(x, y, method="umap", latent_dim=2)
    with pytest.raises(ValueError, match="latent_dim is None for both sides"):
        compress_pair(x, y, method="pca", latent_dim=(None, None))
    with pytest.raises(ValueError, match="shared=True needs one latent_dim for both sides"):
        compress_pair(x, y, method="pca", latent_dim=(2, 3), shared=True)
    with pytest.raises(
        ValueError, match="discrete_y=True: y is not compressed, so its latent_dim must be None"
    ):
        compress_pair(x, np.zeros(1000, int), method="pca", latent_dim=(2, 2), discrete_y=True)


def test_torch_tensor_inputs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    zx, zy = correlated_normal(400, 1.0, 2, 2, rng)
    x, y = embed(zx, 6, rng), embed(zy, 6, rng)
    ref = Compressed(GaussianRef(), PCA(2), random_state=0).mutual_information(x, y)
    tens = Compressed(GaussianRef(), PCA(2), random_state=0).mutual_information(
        torch.from_numpy(x), torch.from_numpy(y)
    )
    assert tens.value == ref.value
    np.testing.assert_array_equal(
        PCA(2).fit(torch.from_numpy(x)).transform(x), PCA(2).fit(x).transform(x)
    )


def test_seed_and_jobs_helpers():
    assert resolve_seed(5) == 5
    assert resolve_seed(np.random.default_rng(0)) == resolve_seed(np.random.default_rng(0))
    with pytest.raises(
        ValueError, match="random_state must be a non-negative integer seed; got random_state=-1"
    ):
        resolve_seed(-1)
    # one rule: -1, 0 and None all mean every core
    assert resolve_n_jobs(None) == resolve_n_jobs(-1) == resolve_n_jobs(0) >= 1
    with pytest.raises(
        ValueError, match=r"n_jobs must be -1 \(all cores\) or a positive integer .*; got n_jobs=-2"
    ):
        resolve_n_jobs(-2)
    with pytest.raises(
        TypeError, match=r"n_jobs must be -1 \(all cores\) or a positive integer .*; got 1.5 of type float"
    ):
        resolve_n_jobs(1.5)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------
# autoencoders (PyTorch)

FAST = {"device": "cpu", "n_jobs": 1, "progress": False}


@pytest.fixture(scope="module")
def bump_fit():
    """One shared ConvAutoencoder fitted on 1000 16x16 bump images (500 pairs), scored on 2000 pairs."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    n_train, n_eval, mi = 500, 2000, 1.0
    xi, eta = correlated_normal(n_train + n_eval, mi, 2, 2, rng)
    x, y = gaussian_bumps(xi), gaussian_bumps(eta)
    ae = ConvAutoencoder(2, batch_size=32, lr=3e-3, max_epochs=8, random_state=0, **FAST)
    comp = Compressed(
        KSGRef(), ae, shared=True, train_fraction=n_train / (n_train + n_eval), random_state=0
    )
    est = comp.mutual_information(x, y)
    return {"est": est, "comp": comp, "x": x, "xi": xi, "eta": eta, "mi": mi}


def test_autoencoder_bumps_mi_approaches_truth(bump_fit):
    """Codes of a shared AE carry most of the 1 nat between two 16x16 Gaussian-bump images.

    Tolerance: by the data-processing inequality the code MI cannot exceed the truth, so the
    upper limit is the truth plus ~4 KSG standard errors at n=2000 (~0.03 each). The lower limit
    is loose on purpose: this test trains for ~300 steps at batch 32 (the paper: ~4000 steps at
    batch 5000), which leaves the bump positions near the image border under-resolved. Measured:
    0.80 nats (AE) vs 0.73 (PCA-2) with KSG, and 1.01 for KSG on the true parameters. A broken
    encoder (constant, random or collapsed code) gives ~0.
    """
    est, mi = bump_fit["est"], bump_fit["mi"]
    assert est.n == 2000 and est.method == "ksg"
    assert est.params["compression"]["shared"] is True
    assert 0.6 < est.value < mi + 0.12
    ae = bump_fit["comp"].compressor_x_
    assert ae.n_steps_ > 0 and len(ae.history_["val_loss"]) == ae.n_epochs_


def test_autoencoder_roundtrip_error_small(bump_fit):
    """Held-out reconstructions beat the mean image by a wide margin (MAE, pixels in [0, 1])."""
    ae = bump_fit["comp"].compressor_x_
    x = bump_fit["x"][-500:]
    codes = ae.transform(x)
    assert codes.dtype == np.float32 and codes.shape == (500, 2)
    assert np.all(np.abs(codes) <= 1.0)  # tanh code
    rec = ae.inverse_transform(codes)
    assert rec.shape == x.shape and rec.dtype == np.float32
    mae = np.abs(rec - x).mean()
    baseline = np.abs(x - x.mean(0)).mean()  # ~0.21
    assert mae < 0.5 * baseline


def test_conv_autoencoder_determinism():
    pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    imgs = gaussian_bumps(rng.normal(size=(120, 2)))

    def codes(seed):
        return (
            ConvAutoencoder(2, max_epochs=2, batch_size=32, random_state=seed, **FAST)
            .fit(imgs)
            .transform(imgs)
        )

    a, b, c = codes(7), codes(7), codes(8)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("shape", "kwargs", "blocks", "padding"),
    [
        ((16, 16), {}, 4, (0, 0, 0, 0)),
        ((28, 28), {}, 5, (2, 2, 2, 2)),
        ((3, 32, 32), {}, 5, (0, 0, 0, 0)),
        ((15, 17), {}, 4, (7, 8, 0, 1)),  # 15 -> 16 rows, 17 -> 32 columns
        ((784,), {"image_shape": (28, 28)}, 5, (2, 2, 2, 2)),
        (
            (16, 16),
            {"bottleneck_size": 2, "upsample": "transpose", "code_activation": "sigmoid"},
            3,
            (0, 0, 0, 0),
        ),
    ],
)
def test_conv_autoencoder_shapes(shape, kwargs, blocks, padding):
    pytest.importorskip("torch")
    x = np.random.default_rng(2).random((24, *shape), dtype=np.float32)
    ae = ConvAutoencoder(3, max_epochs=1, batch_size=8, random_state=0, **kwargs, **FAST).fit(x)
    assert ae.n_blocks_ == blocks and ae.padding_ == padding
    codes = ae.transform(x)
    assert codes.shape == (24, 3)
    assert ae.inverse_transform(codes).shape == x.shape
    if kwargs.get("code_activation") == "sigmoid":
        assert codes.min() >= 0.0


def test_mlp_autoencoder_roundtrip_and_progress():
    """Vectors on a 2-D linear subspace of R^10: a 2-D MLP code reconstructs them closely."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z = rng.normal(size=(1000, 2))
    x = (embed(z, 10, rng) * 5.0 + 3.0).astype(np.float32)  # arbitrary scale: standardised inside
    ae = MLPAutoencoder(
        2, hidden=(32,), max_epochs=30, batch_size=64, lr=3e-3, random_state=0, **FAST
    )
    codes = ae.fit_transform(x)
    assert codes.shape == (1000, 2)
    rel = np.abs(ae.inverse_transform(codes) - x).mean() / np.abs(x - x.mean(0)).mean()
    assert rel < 0.25
    # codes keep the information: MI with the latent is large (the code is a 2-D function of z)
    assert gaussian_mi(codes, z) > 1.5
    # the progress bar path runs (tqdm to stderr) and early stopping bookkeeping is consistent
    ae2 = MLPAutoencoder(
        1, max_epochs=3, patience=1, tol=0.9, random_state=0, device="cpu", n_jobs=1, progress=True
    )
    ae2.fit(x[:100])
    assert ae2.stopped_early_ and ae2.n_epochs_ == 2 and ae2.best_epoch_ == 1


def test_compress_pair_autoencoder_dispatch():
    pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    imgs = gaussian_bumps(rng.normal(size=(60, 2)))
    vecs = rng.normal(size=(60, 6)).astype(np.float32)
    pair = compress_pair(
        imgs,
        vecs,
        method="ae",
        latent_dim=2,
        random_state=0,
        max_epochs=1,
        batch_size=16,
        n_jobs=1,
        progress=False,
        device="cpu",
    )
    assert pair.params["compressor_x"].startswith("ConvAutoencoder(latent_dim=2")
    assert pair.params["compressor_y"].startswith("MLPAutoencoder(latent_dim=2")
    assert pair.x.shape == (30, 2) and pair.y.shape == (30, 2)
    p2 = compress_pair(
        imgs,
        imgs,
        method="ae",
        latent_dim=2,
        shared=True,
        random_state=0,
        max_epochs=1,
        batch_size=16,
        n_jobs=1,
        progress=False,
        device="cpu",
    )
    assert p2.params["shared"] is True and p2.params["compressor_y"] == p2.params["compressor_x"]


def test_autoencoder_errors():
    torch = pytest.importorskip("torch")
    imgs = np.random.default_rng(5).random((40, 16, 16), dtype=np.float32)
    with pytest.raises(
        ValueError,
        match=r"x must be a batch of images of shape \(n, H, W\) or \(n, C, H, W\); got x.shape=\(40, 256\). Pass image_shape=\(H, W\)",
    ):
        ConvAutoencoder(2, **FAST).fit(imgs.reshape(40, -1))
    with pytest.raises(
        ValueError,
        match=r"x must hold images of image_shape=\(28, 28\).*got x.shape=\(40, 16, 16\)",
    ):
        ConvAutoencoder(2, image_shape=(28, 28), **FAST).fit(imgs)
    with pytest.raises(
        ValueError, match=r"images must be at least 2x2 pixels; got x.shape with H, W = \(1, 16\)"
    ):
        ConvAutoencoder(2, **FAST).fit(imgs[:, :1, :])
    with pytest.raises(ValueError, match=r"image_shape must be \(H, W\) or \(C, H, W\)"):
        ConvAutoencoder(2, image_shape=(16,))
    with pytest.raises(
        TypeError, match=r"x must have a floating-point dtype; got dtype=uint8.*/ 255"
    ):
        ConvAutoencoder(2, **FAST).fit((imgs * 255).astype(np.uint8))
    bad = imgs.copy()
    bad[3, 2, 2] = np.nan
    with pytest.raises(ValueError, match="x contains 1 NaN and 0 infinite values in 1 of 40 rows"):
        ConvAutoencoder(2, **FAST).fit(bad)
    with pytest.raises(
        ValueError,
        match=r"too few training samples: n_samples=5 .* leaves 4 for training, but latent_dim=4 needs at least 5",
    ):
        ConvAutoencoder(4, validation_fraction=0.2, **FAST).fit(imgs[:5])
    with pytest.raises(
        ValueError,
        match="validation_fraction=0.1 of n_samples=4 leaves no validation samples; .* validation_fraction=0",
    ):
        ConvAutoencoder(2, **FAST).fit(imgs[:4])
    with pytest.raises(NotFittedError, match=r"ConvAutoencoder is not fitted yet; call fit\(x\)"):
        ConvAutoencoder(2).transform(imgs)
    with pytest.raises(ValueError, match=r"latent_dim=12 must not exceed n_features=10"):
        MLPAutoencoder(12, **FAST).fit(np.zeros((50, 10), np.float32))
    with pytest.raises(ValueError, match=r"validation_fraction must be in \[0, 1\)"):
        MLPAutoencoder(2, validation_fraction=1.0)
    with pytest.raises(ValueError, match="code_activation must be one of"):
        ConvAutoencoder(2, code_activation="relu")
    with pytest.raises(ValueError, match="upsample must be 'nearest', 'bilinear' or 'transpose'"):
        ConvAutoencoder(2, upsample="pixelshuffle")
    with pytest.raises(TypeError, match="batch_size must be a positive int; got 3.5"):
        MLPAutoencoder(2, batch_size=3.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lr must be positive; got lr=0"):
        MLPAutoencoder(2, lr=0)
    with pytest.raises(ValueError, match="channels must be a non-empty sequence of positive ints"):
        ConvAutoencoder(2, channels=())
    with pytest.raises(
        ValueError,
        match=r"device must be 'auto', 'cpu' or 'cuda' \(or 'cuda:N', or a torch.device\); got 'tpu'",
    ):
        ConvAutoencoder(2, device="tpu", max_epochs=1).fit(imgs)
    if not torch.cuda.is_available():
        with pytest.raises(
            ValueError,
            match="device='cuda' but PyTorch .* sees no CUDA GPU; pass device='auto' or device='cpu'",
        ):
            ConvAutoencoder(2, device="cuda", max_epochs=1).fit(imgs)
    ae = ConvAutoencoder(2, max_epochs=1, **FAST).fit(imgs)
    with pytest.raises(
        ValueError,
        match=r"x must have per-sample shape \(16, 16\) as in fit; got x.shape=\(3, 8, 8\)",
    ):
        ae.transform(imgs[:3, :8, :8])


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.mark.cuda
@pytest.mark.skipif(not _has_cuda(), reason="needs a CUDA GPU")
def test_conv_autoencoder_cuda_matches_shapes():
    imgs = np.random.default_rng(6).random((64, 16, 16), dtype=np.float32)
    ae = ConvAutoencoder(2, max_epochs=2, random_state=0, device="cuda", progress=False).fit(imgs)
    assert ae.device_.type == "cuda" and ae.transform(imgs).shape == (64, 2)
