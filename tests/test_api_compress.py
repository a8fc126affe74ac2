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
    n_eval = est.n
    assert n_eval == 3000
    bias = sum(kl_gaussian_bias_bound(d, 5, n_eval) for d in (2, 2, 4))
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
