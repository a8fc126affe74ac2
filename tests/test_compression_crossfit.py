"""Cross-fitted compression (fit on one half, estimate on the other, swap) and the AE step budget."""

from __future__ import annotations

import numpy as np
import pytest
from truths import correlated_gaussian

import pymi
from pymi.compression import PCA, Compressed, combine_cross_fit, compress_cross_fit
from pymi.compression.autoencoder import MLPAutoencoder


def _embedded(mi: float, n: int, seed: int, d_out: int = 6):
    """2+2 Gaussian with I(X; Y) = mi, embedded linearly in d_out dimensions per side."""
    rng = np.random.default_rng(seed)
    x, y = correlated_gaussian(mi, 2, 2, n, rng)
    return x @ rng.standard_normal((2, d_out)), y @ rng.standard_normal((2, d_out))


def test_cross_fit_scores_every_row():
    x, y = _embedded(0.5, 801, 0)
    first, second = compress_cross_fit(x, y, method="pca", latent_dim=2, random_state=0)
    both = np.concatenate([first.eval_index, second.eval_index])
    assert np.array_equal(np.sort(both), np.arange(801))
    assert first.x.shape == (first.eval_index.size, 2) and second.y.shape == (second.eval_index.size, 2)
    est = pymi.mutual_information(x, y, "gaussian", compress="pca", latent_dim=2, random_state=0)
    assert est.n == 801
    comp = est.params["compression"]
    assert comp["cross_fit"] is True and comp["n_eval"] == 801 and comp["method"] == "pca"
    assert [f["n_train"] for f in comp["folds"]] == [400, 401]
    assert [f["n_eval"] for f in comp["folds"]] == [401, 400]


def test_cross_fit_swaps_the_halves_and_fits_two_compressors():
    x, y = _embedded(0.5, 600, 1)
    pipe = Compressed(None, PCA(2), random_state=3)
    first, second = pipe.encode_cross_fit(x, y)
    # each half is scored by the compressors fitted on the other
    assert np.intersect1d(first.eval_index, second.eval_index).size == 0
    (ax, ay), (bx, by) = pipe.fold_compressors_
    assert ax is not bx and ay is not by and ax is not ay
    assert not np.allclose(ax.transform(x), bx.transform(x))
    refit = PCA(2).fit(x[second.eval_index])  # half 1 trains fold 0
    assert np.allclose(np.abs(refit.transform(x)), np.abs(ax.transform(x)), atol=1e-4)


def test_cross_fit_reproducible_with_seed():
    x, y = _embedded(1.0, 600, 2)
    run = lambda seed: pymi.mutual_information(x, y, compress="pca", latent_dim=2, random_state=seed)  # noqa: E731
    a, b, c = run(7), run(7), run(8)
    assert a.value == b.value and a.stderr == b.stderr and a.interval == b.interval
    assert a.params["compression"]["folds"] == b.params["compression"]["folds"]
    assert c.value != a.value


def test_cross_fit_gaussian_closed_form_with_default_method():
    # PCA to the signal's full dimension is injective on the support: the MI is unchanged.
    truth = 1.0
    x, y = _embedded(truth, 4000, 3, d_out=8)
    est = pymi.mutual_information(x, y, compress="pca", latent_dim=2, random_state=0)
    assert est.method == "cksg" and est.n == 4000
    assert abs(est.value - truth) < 4 * est.stderr
    folds = est.params["folds"]
    assert est.value == pytest.approx(0.5 * (folds[0]["value"] + folds[1]["value"]))
    assert est.stderr == pytest.approx(0.5 * np.hypot(folds[0]["stderr"], folds[1]["stderr"]))
    lo = min(f["interval"][0] for f in folds)
    hi = max(f["interval"][1] for f in folds)
    assert est.interval == (lo, hi) and lo <= truth <= hi
    assert "hull" in est.params["interval_combine"]


def test_cross_fit_false_keeps_the_single_split():
    x, y = _embedded(0.5, 600, 4)
    for opts in ({"cross_fit": False}, {"train_fraction": 0.5}, {"cross_fit": False, "train_fraction": 0.7}):
        est = pymi.mutual_information(x, y, "gaussian", compress="pca", latent_dim=2, random_state=0, **opts)
        comp = est.params["compression"]
        assert comp["cross_fit"] is False and est.n == comp["n_eval"] == 600 - comp["n_train"]


def test_combine_cross_fit_without_intervals():
    a = pymi.Estimate(1.0, 0.3, "nats", "kl", {"k": 5, "x": 1}, 100)
    b = pymi.Estimate(2.0, 0.4, "nats", "kl", {"k": 5, "x": 2}, 101)
    est = combine_cross_fit(a, b)
    assert (est.value, est.stderr, est.n, est.interval) == (1.5, 0.25, 201, None)
    assert est.params["k"] == 5 and "x" not in est.params
    assert [f["params"] for f in est.params["folds"]] == [{"x": 1}, {"x": 2}]
    with pytest.raises(ValueError, match=r"must share unit and method"):
        combine_cross_fit(a, b.to("bits"))


def test_early_stopping_before_max_steps():
    pytest.importorskip("torch")
    # a constant (up to tiny noise) input is learnt at once: the validation loss stalls
    rng = np.random.default_rng(0)
    x = (np.ones((400, 4)) + 1e-3 * rng.standard_normal((400, 4))).astype(np.float32)
    ae = MLPAutoencoder(
        1, hidden=(8,), standardize=False, batch_size=64, max_epochs=10_000, max_steps=5000,
        patience=2, tol=0.05, random_state=0, device="cpu", n_jobs=1, progress=False,
    )  # fmt: skip
    ae.fit(x)
    assert ae.stopped_early_ and ae.n_steps_ < 5000


def test_max_steps_is_the_budget():
    pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((300, 5)).astype(np.float32)
    ae = MLPAutoencoder(
        2, hidden=(8,), batch_size=32, max_epochs=1000, max_steps=13, validation_fraction=0.0,
        random_state=0, device="cpu", n_jobs=1, progress=False,
    )  # fmt: skip
    ae.fit(x)
    assert ae.n_steps_ == 13 and not ae.stopped_early_


def test_cross_fit_with_tiny_autoencoder_records_training():
    pytest.importorskip("torch")
    x, y = _embedded(0.5, 400, 5)
    est = pymi.mutual_information(
        x, y, "gaussian", compress="ae", latent_dim=2, random_state=0, n_jobs=1, progress=False,
        compressor_options={"hidden": (8,), "max_steps": 6, "batch_size": 64, "device": "cpu"},
    )  # fmt: skip
    assert est.n == 400 and np.isfinite(est.value)
    for fold in est.params["compression"]["folds"]:
        assert fold["training_x"]["n_steps"] == 6 and fold["training_y"]["n_steps"] == 6


def test_bad_cross_fit_options():
    x, y = _embedded(0.5, 200, 6)
    with pytest.raises(TypeError, match=r"cross_fit must be True or False; got cross_fit='yes'"):
        pymi.mutual_information(x, y, compress="pca", latent_dim=2, cross_fit="yes")
    with pytest.raises(ValueError, match=r"train_fraction=0.7 applies to a single split.*cross_fit=False"):
        pymi.mutual_information(x, y, compress="pca", latent_dim=2, cross_fit=True, train_fraction=0.7)
    with pytest.raises(ValueError, match=r"only apply with compress='ae' or 'pca'"):
        pymi.mutual_information(x, y, cross_fit=True)
    with pytest.raises(ValueError, match=r"two halves of at least 2 rows each; got n_samples=3"):
        compress_cross_fit(x[:3], y[:3], method="pca", latent_dim=2)
    with pytest.raises(TypeError, match=r"train_fraction does not apply"):
        compress_cross_fit(x, y, method="pca", latent_dim=2, train_fraction=0.5)
    with pytest.raises(ValueError, match=r"max_steps must be positive; got max_steps=0"):
        MLPAutoencoder(2, max_steps=0)
    with pytest.raises(ValueError, match=r"patience must be positive; got patience=0"):
        MLPAutoencoder(2, patience=0)
    with pytest.raises(TypeError, match=r"max_steps must be a positive int or None; got 1.5"):
        MLPAutoencoder(2, max_steps=1.5)


def test_progress_bar_counts_optimiser_steps(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("tqdm")
    x = np.random.default_rng(0).standard_normal((300, 5)).astype(np.float32)
    # 270 training rows in batches of 32: 9 steps per epoch, budget min(20, 3 * 9) = 20
    MLPAutoencoder(
        2, hidden=(8,), batch_size=32, max_epochs=3, max_steps=20, random_state=0,
        device="cpu", n_jobs=1, progress=True,
    ).fit(x)  # fmt: skip
    err = capsys.readouterr().err
    assert "/20" in err and "epoch=" in err


def test_compressed_estimator_cross_fits():
    x, y = _embedded(1.0, 1000, 7)
    inner = pymi.make_estimator("gaussian")
    est = Compressed(inner, PCA(2), cross_fit=True, random_state=0).mutual_information(x, y)
    api = pymi.mutual_information(x, y, "gaussian", compress="pca", latent_dim=2, random_state=0)
    assert est.n == 1000 and est.params["compression"]["cross_fit"] is True
    assert est.value == pytest.approx(api.value)
    single = Compressed(inner, PCA(2), random_state=0).mutual_information(x, y)
    assert single.n == 500
    with pytest.raises((TypeError, ValueError), match=r"cross_fit"):
        Compressed(inner, PCA(2), cross_fit="yes")


def _images(n: int, seed: int, size: int = 8):
    from pymi.datasets.images import gaussian_bump

    s = gaussian_bump(1.0, n, size=size, random_state=seed)
    return s.x, s.y


@pytest.mark.parametrize(
    ("method", "latent_dim", "reshape", "expected"),
    [
        ("ae", 2, False, True),  # same-shaped images, one code size: one autoencoder
        ("ae", (2, 1), False, False),  # two code sizes
        ("ae", 2, True, False),  # vectors: an MLP per side
        ("pca", 2, False, False),  # PCA stays per side
    ],
)
def test_shared_by_default_only_for_autoencoders_on_same_shaped_images(method, latent_dim, reshape, expected):
    from pymi.compression import compress_pair

    x, y = _images(80, 0)
    if reshape:
        x, y = x.reshape(80, -1), y.reshape(80, -1)
    opts = {"max_epochs": 1, "channels": (2,), "hidden": (4,)} if method == "ae" else {}
    if method == "ae" and not reshape:
        opts.pop("hidden")
    elif method == "ae":
        opts.pop("channels")
    pair = compress_pair(x, y, method=method, latent_dim=latent_dim, random_state=0, progress=False, **opts)
    assert pair.params["shared"] is expected
    if expected:  # the same fitted encoder codes both sides
        assert pair.params["compressor_y"] == pair.params["compressor_x"]


def test_shared_must_be_a_flag_or_none():
    from pymi.compression import compress_pair

    x, y = _images(40, 1)
    with pytest.raises(TypeError, match=r"shared must be True, False or None \(automatic\); got shared='yes'"):
        compress_pair(x, y, method="pca", latent_dim=2, shared="yes")
