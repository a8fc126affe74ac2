"""Tests of the MINE estimator (Belghazi et al. 2018) in pymi.estimators.mine."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")

from pymi.estimators.mine import MINE  # noqa: E402

FAST = {"device": "cpu", "n_jobs": 1, "progress": False}


def correlated_normal(n: int, mi: float, dx: int, dy: int, rng: np.random.Generator):
    m = min(dx, dy)
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi / m))
    cov = np.eye(dx + dy)
    for i in range(m):
        cov[i, dx + i] = cov[dx + i, i] = rho
    z = rng.multivariate_normal(np.zeros(dx + dy), cov, size=n)
    return z[:, :dx], z[:, dx:]


def test_mine_gaussian():
    """Correlated Gaussians, 2 + 2 dims, I = 0.5 nats, n = 2000 (400 test rows).

    The held-out DV bound has a batch-means SE of ~0.04 here; the critic can only lose
    information (a lower bound), so the window is asymmetric: 4 SE above, 0.2 below.
    """
    rng = np.random.default_rng(0)
    mi = 0.5
    x, y = correlated_normal(2000, mi, 2, 2, rng)
    est = MINE(hidden=(64, 64), batch_size=128, max_epochs=60, patience=10, random_state=0, **FAST)
    res = est.mutual_information(x, y)
    assert res.method == "mine" and res.unit == "nats" and res.n == 400
    assert mi - 0.2 < res.value < mi + 4 * max(res.stderr, 0.02)
    assert 0 < res.stderr < 0.2
    p = res.params
    assert p["n_train"] + p["n_val"] + p["n_test"] == 2000 and p["reported_on"] == "test"
    assert "batch means" in p["stderr_method"] and p["critic"] == "mlp"
    assert 1 <= p["best_epoch"] <= p["epochs"] <= 60
    assert len(est.history_["val_bound"]) == p["epochs"]
    # independent variables: the held-out bound is ~0 (it can be slightly negative)
    ind = MINE(hidden=(32,), batch_size=128, max_epochs=8, patience=3, random_state=1, **FAST)
    r0 = ind.mutual_information(x, rng.normal(size=(2000, 2)))
    assert abs(r0.value) < 0.1


def test_mine_deterministic_and_estimate_alias():
    rng = np.random.default_rng(2)
    x, y = correlated_normal(400, 0.5, 1, 1, rng)
    kw = {"hidden": (16,), "max_epochs": 3, "batch_size": 64, **FAST}
    a = MINE(random_state=3, **kw).mutual_information(x, y)
    b = MINE(random_state=3, **kw).estimate(x[:, 0], y[:, 0])  # 1-D arrays are one feature
    assert a.value == b.value and a.stderr == b.stderr
    c = MINE(random_state=4, **kw).mutual_information(x, y)
    assert c.value != a.value


def test_mine_discrete_y_and_test_fraction_zero():
    """X ~ N(0, 1), Y = sign(X): I = H(Y) = log 2; the one-hot critic recovers most of it."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1500, 1))
    labels = np.where(x[:, 0] > 0, "pos", "neg")
    res = MINE(
        hidden=(32, 32), batch_size=128, max_epochs=30, patience=8, lr=3e-3, random_state=0, **FAST
    ).mutual_information(x, labels, discrete_y=True)
    assert res.params["n_classes"] == 2 and res.params["discrete_y"]
    assert math.log(2) - 0.25 < res.value < math.log(2) + 0.1
    r2 = MINE(
        hidden=(16,), max_epochs=2, test_fraction=0.0, random_state=0, **FAST
    ).mutual_information(x, x)
    assert r2.params["reported_on"] == "validation" and r2.n == 300


def test_mine_conv_critic_on_images():
    rng = np.random.default_rng(4)
    imgs = rng.random((200, 8, 8)).astype(np.float32)
    y = imgs.mean(axis=(1, 2))[:, None] + 0.01 * rng.normal(size=(200, 1))
    res = MINE(
        hidden=(16,), conv_channels=(4,), max_epochs=2, batch_size=32, random_state=0, **FAST
    ).mutual_information(imgs, y)
    assert res.params["critic"] == "conv" and math.isfinite(res.value)
    res2 = MINE(
        hidden=(16,), critic="mlp", max_epochs=1, batch_size=32, random_state=0, **FAST
    ).mutual_information(imgs, y)
    assert res2.params["critic"] == "mlp"


def test_mine_errors():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).normal(size=(100, 2))
    with pytest.raises(TypeError, match=r"MINE estimates mutual information only .* pymi.entropy"):
        MINE().entropy(x)
    with pytest.raises(TypeError, match="MINE estimates mutual information only"):
        MINE().estimate(x)
    with pytest.raises(ValueError, match=r"base must be one of \['bits', 'dits', 'nats'\]"):
        MINE(base="log2")
    with pytest.raises(ValueError, match=r"nan_policy must be one of \['raise', 'omit'\]"):
        MINE(nan_policy="drop")
    with pytest.raises(
        TypeError,
        match=r"y must have a floating-point dtype; got dtype=int64.*pass discrete_y=True",
    ):
        MINE(**FAST).mutual_information(x, np.arange(100))
    bad = x.copy()
    bad[1, 1] = np.inf
    with pytest.raises(
        ValueError, match="x contains 0 NaN and 1 infinite values in 1 rows; pass nan_policy='omit'"
    ):
        MINE(**FAST).mutual_information(bad, x)
    with pytest.raises(
        ValueError,
        match=r"x and y must have the same number of samples; got x.shape=\(100, 2\), y.shape=\(99, 2\)",
    ):
        MINE(**FAST).mutual_information(x, x[:99])
    with pytest.raises(
        ValueError,
        match=r"too few samples: n_samples=30 .* need at least .* 20 rows \(2 per each of n_blocks=10\)",
    ):
        MINE(**FAST).mutual_information(x[:30], x[:30])
    with pytest.raises(
        ValueError,
        match=r"with discrete_y=True, y must be a 1-D array of labels; got y.shape=\(100, 2\)",
    ):
        MINE(**FAST).mutual_information(x, x, discrete_y=True)
    with pytest.raises(ValueError, match="critic='conv' needs images for x"):
        MINE(critic="conv", max_epochs=1, **FAST).mutual_information(x, x)
    with pytest.raises(ValueError, match="critic must be one of"):
        MINE(critic="transformer")
    with pytest.raises(
        ValueError, match=r"validation_fraction \+ test_fraction must leave rows for training"
    ):
        MINE(validation_fraction=0.5, test_fraction=0.5)
    with pytest.raises(
        ValueError, match=r"validation_fraction must be a number in \(0, 1\); got 0"
    ):
        MINE(validation_fraction=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 2"):
        MINE(batch_size=1)
    with pytest.raises(ValueError, match="n_blocks must be an integer >= 2"):
        MINE(n_blocks=1)
    with pytest.raises(ValueError, match="hidden must be a non-empty sequence of positive ints"):
        MINE(hidden=())
    with pytest.raises(TypeError, match="max_epochs must be a positive integer; got 2.5 of type float"):
        MINE(max_epochs=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lr must be a positive finite number; got -1"):
        MINE(lr=-1)
    with pytest.raises(TypeError, match="progress must be True, False or None; got 'yes' of type str"):
        MINE(progress="yes")  # type: ignore[arg-type]
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda' but PyTorch .* sees no CUDA GPU"):
            MINE(device="cuda").mutual_information(x, x)


def test_mine_units_nan_policy_and_tensors():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x, y = correlated_normal(300, 0.5, 1, 1, rng)
    kw = {"hidden": (16,), "max_epochs": 2, "batch_size": 64, "random_state": 0, **FAST}
    nats = MINE(**kw).mutual_information(x, y)
    bits = MINE(base="bits", **kw).mutual_information(x, y)
    assert bits.unit == "bits" and bits.value == pytest.approx(nats.value / math.log(2))
    # torch tensors are accepted and give the same result as numpy input
    tens = MINE(**kw).mutual_information(torch.from_numpy(x), torch.from_numpy(y))
    assert tens.value == nats.value
    # nan_policy="omit" drops non-finite rows from both sides, keeping them aligned
    xb = np.vstack([x, [[np.nan]], [[1.0]]])
    yb = np.vstack([y, [[0.0]], [[np.inf]]])
    res = MINE(nan_policy="omit", **kw).mutual_information(xb, yb)
    assert res.params["n_dropped_nonfinite"] == 2 and res.value == nats.value


def test_mine_and_autoencoders_give_the_same_numbers_in_threads():
    """Non-regression: with random_state=0, MINE differed in 1 of 32 calls from threads
    (its weights were drawn from PyTorch's global generator); the autoencoders shared that code."""
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from pymi.compression import ConvAutoencoder, MLPAutoencoder

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2))
    y = x + rng.normal(size=(256, 2))
    images = rng.random((96, 8, 8)).astype(np.float32)

    def mine(_):
        return MINE(hidden=(8,), batch_size=64, max_epochs=2, random_state=0, **FAST).mutual_information(x, y).value

    def ae(kind):
        cls, data = (ConvAutoencoder, images) if kind == "conv" else (MLPAutoencoder, images.reshape(96, -1))
        opts = {"channels": (2,)} if kind == "conv" else {"hidden": (8,)}
        comp = cls(2, max_epochs=1, batch_size=32, random_state=0, device="cpu", n_jobs=1, progress=False, **opts)
        return comp.fit(data).transform(data[:8]).tobytes()

    def noise(_):  # another thread drawing from the global generator meanwhile
        for _ in range(200):
            torch.rand(64)

    reference = (mine(0), ae("conv"), ae("mlp"))
    state = torch.get_rng_state()
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [pool.submit(f, a) for _ in range(8) for f, a in ((mine, 0), (ae, "conv"), (ae, "mlp"), (noise, 0))]
        results = [j.result() for j in jobs]
    assert results[0::4] == [reference[0]] * 8
    assert results[1::4] == [reference[1]] * 8
    assert results[2::4] == [reference[2]] * 8
    torch.set_rng_state(state)
    before = torch.get_rng_state()
    mine(0)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's global stream is untouched
