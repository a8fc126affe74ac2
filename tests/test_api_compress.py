"""pymi.mutual_information(..., compress=..., latent_dim=...) in one call."""

from __future__ import annotations

import numpy as np
import pytest
from truths import correlated_gaussian, kl_gaussian_bias_bound

import pymi


def test_pca_compression_recovers_linear_subspace_mi():
    # 2+2 Gaussian with I = 1 nat embedded linearly into 16-D per side: PCA to 2
    # components is injective on the support, so the MI is unchanged.
    rng = np.random.default_rng(0)
    x, y = correlated_gaussian(1.0, 2, 2, 6000, rng)
    xe = x @ rng.standard_normal((2, 16))
    ye = y @ rng.standard_normal((2, 16))
    est = pymi.mutual_information(xe, ye, "kl", compress="pca", latent_dim=2, random_state=0)
    # cross-fitted by default: every row scored, each half of 3000 by the PCA of the other
    assert est.n == 6000
    bias = sum(kl_gaussian_bias_bound(d, 5, 3000) for d in (2, 2, 4))
    assert abs(est.value - 1.0) < 4 * est.stderr + bias
    assert est.params["compression"]["method"] == "pca"


def test_compress_needs_latent_dim():
    x = np.random.default_rng(0).standard_normal((100, 4))
    with pytest.raises(ValueError, match=r"compress='pca' needs latent_dim"):
        pymi.mutual_information(x, x, compress="pca")


def test_latent_dim_without_compress():
    x = np.random.default_rng(0).standard_normal((100, 4))
    with pytest.raises(ValueError, match=r"only apply with compress='ae' or 'pca'; got compress=None"):
        pymi.mutual_information(x, x, latent_dim=2)


def test_mine_is_registered():
    assert "mine" in pymi.MI_METHODS
    est = pymi.make_estimator("mine", max_epochs=1)
    assert type(est).__name__ == "MINE"


def test_progress_reaches_mine_without_compression():
    # Non-regression: progress was taken as a compression option even with
    # compress=None, so MINE(progress=False) through the API raised.
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = correlated_gaussian(0.5, 1, 1, 400, rng)
    est = pymi.mutual_information(x, y, "mine", progress=False, max_epochs=1, random_state=0)
    assert np.isfinite(est.value)


def test_progress_with_compression_and_knn_estimator():
    rng = np.random.default_rng(0)
    x, y = correlated_gaussian(0.5, 2, 2, 600, rng)
    est = pymi.mutual_information(
        x @ rng.standard_normal((2, 6)), y @ rng.standard_normal((2, 6)), "kl",
        compress="pca", latent_dim=2, progress=False, random_state=0,
    )  # fmt: skip
    assert est.params["compression"]["method"] == "pca"


# --- regressions from the session-4 review -----------------------------------


def _pair(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    return x, x + rng.standard_normal((n, d))


def test_compressor_options_may_set_seed_threads_and_device():
    x, y = _pair()
    a = pymi.mutual_information(x, y, "kl", compress="pca", latent_dim=2, random_state=0,
                                compressor_options={"random_state": 5})  # fmt: skip
    assert np.isfinite(a.value)
    torch = pytest.importorskip("torch")
    del torch
    b = pymi.mutual_information(
        x, y, "kl", compress="ae", latent_dim=2, random_state=0,
        compressor_options={"n_jobs": 1, "device": "cpu", "max_epochs": 1, "random_state": 3},
    )  # fmt: skip
    assert np.isfinite(b.value)


def test_compress_argument_errors_name_the_argument():
    x, y = _pair()
    with pytest.raises(ValueError, match=r"compress must be None, 'ae' \(autoencoder\) or 'pca'; got compress='PCA'"):
        pymi.mutual_information(x, y, "kl", compress="PCA", latent_dim=2)
    with pytest.raises(ValueError, match=r"latent_dim must be a positive int, or a pair"):
        pymi.mutual_information(x, y, "kl", compress="pca", latent_dim=0)
    with pytest.raises(TypeError, match=r"compressor_options must be a dict"):
        pymi.mutual_information(x, y, "kl", compress="pca", latent_dim=2, compressor_options=[1])
    # a list works like a tuple
    assert np.isfinite(pymi.mutual_information(x, y, "kl", compress="pca", latent_dim=[2, 2]).value)


def test_conv_autoencoder_latent_dim_above_pixel_count():
    pytest.importorskip("torch")
    from pymi.compression import ConvAutoencoder

    imgs = np.random.default_rng(0).random((120, 4, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"latent_dim=64 must not exceed the 16 values of an image"):
        ConvAutoencoder(64, max_epochs=1).fit(imgs)


def test_generator_seed_is_not_drawn_at_construction():
    pytest.importorskip("torch")
    from pymi.estimators import MINE

    g = np.random.default_rng(0)
    before = g.bit_generator.state
    MINE(random_state=g)
    assert g.bit_generator.state == before


def test_nan_policy_omit_applies_before_compression():
    x, y = _pair()
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"x contains 1 NaN"):
        pymi.mutual_information(x, y, "kl", compress="pca", latent_dim=2)
    est = pymi.mutual_information(x, y, "kl", compress="pca", latent_dim=2, nan_policy="omit")
    assert est.params["n_dropped_nonfinite"] == 1 and np.isfinite(est.value)
