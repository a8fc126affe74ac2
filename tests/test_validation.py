"""Bad input gets a clear error (argument, expectation, received value, fix)."""

from __future__ import annotations

import numpy as np
import pytest

import pymi
from pymi.estimators import KL, KSG, WKL


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2))
    return x, x + rng.standard_normal((300, 2))


def test_nan_raises_with_count_and_fix(xy):
    x, y = xy
    x = x.copy()
    x[3, 0] = np.nan
    x[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"x contains 2 NaN and 0 inf values.*nan_policy='omit'"):
        pymi.mutual_information(x, y)


def test_inf_raises(xy):
    x, y = xy
    y = y.copy()
    y[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"y contains 0 NaN and 1 inf"):
        pymi.mutual_information(x, y)


def test_nan_omit_drops_rows_jointly(xy):
    x, y = xy
    x = x.copy()
    x[[3, 9]] = np.nan
    est = pymi.mutual_information(x, y, "kl", nan_policy="omit")
    ref = pymi.mutual_information(np.delete(xy[0], [3, 9], 0), np.delete(y, [3, 9], 0), "kl")
    assert est.n == 298
    assert est.value == pytest.approx(ref.value)
    assert est.params["n_dropped_nonfinite"] == 2


def test_all_nan_omit():
    x = np.full((10, 2), np.nan)
    with pytest.raises(ValueError, match="every row contains NaN"):
        pymi.entropy(x, nan_policy="omit")


def test_mismatched_lengths(xy):
    x, y = xy
    with pytest.raises(ValueError, match=r"same number of samples; got x.shape=\(300, 2\), y.shape=\(299, 2\)"):
        pymi.mutual_information(x, y[:-1])


def test_k_too_large():
    x = np.random.default_rng(0).standard_normal((8, 1))
    with pytest.raises(ValueError, match=r"k=10 must be smaller than n_samples=8"):
        pymi.entropy(x, "kl", k=10, whiten=False)


@pytest.mark.parametrize("bad", [0, -3])
def test_k_not_positive(bad):
    with pytest.raises(ValueError, match=rf"k must be a positive integer; got {bad}"):
        KL(k=bad)


def test_k_wrong_type():
    with pytest.raises(TypeError, match=r"k must be a positive integer; got 2.5"):
        KSG(k=2.5)


def test_wkl_k_too_small_names_smallest_k():
    x = np.random.default_rng(0).standard_normal((500, 8))
    with pytest.raises(ValueError, match=r"k=2 is too small .* d=8 .* is 4; pass k=4"):
        pymi.entropy(x, "wkl", k=2)


def test_wkl_no_weights_in_high_dimension():
    x = np.random.default_rng(0).standard_normal((500, 40))
    with pytest.raises(ValueError, match=r"no usable weights in d=40 .* method='cksg' for mutual information .* method='kl'"):
        pymi.entropy(x, "wkl", k=5)


def test_class_with_too_few_samples():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 2))
    y = np.zeros(200, dtype=int)
    y[:3] = 1
    with pytest.raises(ValueError, match=r"at least 6 samples per class.*y=1: 3.*Merge or drop rare classes"):
        pymi.mutual_information(x, y, "kl", discrete_y=True)


def test_non_integer_labels():
    x = np.random.default_rng(0).standard_normal((50, 1))
    with pytest.raises(ValueError, match="non-integer float values but discrete_y=True"):
        pymi.mutual_information(x, np.linspace(0, 1, 50), discrete_y=True)


def test_onehot_labels_rejected():
    x = np.random.default_rng(0).standard_normal((50, 1))
    with pytest.raises(ValueError, match=r"1-D array of class labels.*argmax"):
        pymi.mutual_information(x, np.eye(5)[np.arange(50) % 5], discrete_y=True)


def test_constant_column():
    x = np.random.default_rng(0).standard_normal((100, 3))
    x[:, 1] = 4.0
    with pytest.raises(ValueError, match=r"x has 1 constant column\(s\) \[1\].*Drop those columns"):
        pymi.entropy(x)


def test_constant_column_without_whitening():
    x = np.random.default_rng(0).standard_normal((100, 2))
    x[:, 0] = 1.0
    with pytest.raises(ValueError, match=r"constant column"):
        pymi.entropy(x, whiten=False)


def test_duplicate_columns_singular_covariance():
    x = np.random.default_rng(0).standard_normal((100, 3))
    x[:, 2] = x[:, 0]
    with pytest.raises(ValueError, match=r"singular covariance \(numerical rank 2 < 3 features\)"):
        pymi.entropy(x)


def test_fewer_samples_than_dimensions():
    x = np.random.default_rng(0).standard_normal((10, 20))
    with pytest.raises(ValueError, match=r"x has n_samples=10 <= n_features \+ 1 = 21.*compress=.pca."):
        pymi.entropy(x, "kl", k=3)


def test_duplicates_jitter_warns_with_fraction():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 2))
    x[200:300] = x[:100]  # 200 rows (50%) have a copy
    with pytest.warns(pymi.TiesWarning, match=r"x: 50.00% of samples have an exact duplicate"):
        est = pymi.entropy(x, "kl", random_state=0)
    assert np.isfinite(est.value)
    assert est.params["ties_jittered_fraction_x"] == 0.5


def test_duplicates_jitter_is_seeded():
    x = np.repeat(np.random.default_rng(0).standard_normal((100, 2)), 2, axis=0)
    with pytest.warns(pymi.TiesWarning):
        a = pymi.entropy(x, "kl", random_state=3)
    with pytest.warns(pymi.TiesWarning):
        b = pymi.entropy(x, "kl", random_state=3)
    assert a.value == b.value


def test_duplicates_raise():
    x = np.repeat(np.random.default_rng(0).standard_normal((100, 2)), 2, axis=0)
    with pytest.raises(ValueError, match=r"x has 200 rows \(100.00% of 200\) with an exact duplicate.*ties='jitter'"):
        pymi.entropy(x, ties="raise")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, bool])
def test_integer_dtype(dtype):
    x = (np.arange(100) % 7).astype(dtype).reshape(-1, 1)
    with pytest.raises(TypeError, match=rf"x must hold continuous samples as float32 or float64; got dtype {np.dtype(dtype)}"):
        pymi.entropy(x)


def test_object_dtype():
    x = np.array([["a", "b"]] * 10, dtype=object)
    with pytest.raises(TypeError, match=r"x must be a float32 or float64 array; got dtype object"):
        pymi.entropy(x)


def test_integer_y_hints_discrete():
    x = np.random.default_rng(0).standard_normal((100, 1))
    with pytest.raises(TypeError, match=r"y must hold continuous samples.*discrete_y=True"):
        pymi.mutual_information(x, np.arange(100) % 3)


def test_empty_input():
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 3\)\)"):
        pymi.entropy(np.empty((0, 3)))


def test_scalar_input():
    with pytest.raises(ValueError, match="got a scalar"):
        pymi.entropy(np.float64(3.0))


def test_unknown_method():
    with pytest.raises(ValueError, match=r"method must be one of .* got 'knn'"):
        pymi.mutual_information(np.zeros((5, 1)), np.zeros((5, 1)), "knn")


def test_ksg_has_no_entropy():
    with pytest.raises(ValueError, match=r"method must be one of \['kl', 'wkl', 'kde', 'gaussian'\] for entropy"):
        pymi.entropy(np.zeros((5, 1)), "ksg")
    with pytest.raises(TypeError, match="KSG estimates mutual information only; pass y"):
        KSG().estimate(np.zeros((5, 1)))


def test_k_for_gaussian_rejected():
    with pytest.raises(TypeError, match=r"method='gaussian' takes none; drop k"):
        pymi.entropy(np.zeros((5, 1)), "gaussian", k=3)


def test_unknown_option():
    with pytest.raises(TypeError, match=r"invalid option for method='kl'"):
        pymi.entropy(np.zeros((5, 1)), "kl", bandwidth=3)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"nan_policy": "drop"}, r"nan_policy must be one of \['raise', 'omit'\]; got 'drop'"),
        ({"ties": "ignore"}, r"ties must be one of \['jitter', 'raise'\]; got 'ignore'"),
        ({"device": "gpu"}, r"device must be one of \['auto', 'cpu', 'cuda'\]; got 'gpu'"),
        ({"base": "bans"}, r"base must be one of \['bits', 'dits', 'nats'\]; got 'bans'"),
        ({"backend": "annoy"}, r"backend must be one of .*; got 'annoy'"),
        ({"jitter_scale": -1.0}, r"jitter_scale must be a positive finite number"),
    ],
)
def test_option_values(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        WKL(**kwargs)


def test_estimate_unit_validation():
    from pymi import Estimate

    with pytest.raises(ValueError, match="base must be one of"):
        Estimate(1.0, 0.1, "nats", "kl").to("furlongs")


# --- regressions from the session-4 review -----------------------------------


def test_quantised_float32_jitters_in_float64():
    # 5000 values on 256 levels: float32 noise of 1e-6 x std collided after rounding
    # (2664 zero neighbour distances); the default now jitters in float64
    rng = np.random.default_rng(0)
    x32 = (rng.integers(0, 256, (5000, 1)) / 255).astype(np.float32)
    with pytest.warns(pymi.TiesWarning, match=r"in float64: float32 cannot hold such noise"):
        est = pymi.entropy(x32, random_state=1)
    assert est.params["ties_promoted_to_float64_x"] is True
    with pytest.warns(pymi.TiesWarning):
        ref = pymi.entropy(x32.astype(np.float64), random_state=1)
    assert est.value == pytest.approx(ref.value, abs=1e-9)


def test_jitter_lost_to_rounding_raises():
    x = np.repeat(np.float32([[1e6], [2e6]]), 50, axis=0)
    with pytest.raises(ValueError, match=r"still exact duplicates after jittering .* Pass float64 input or a larger"):
        pymi.entropy(x, "kl", jitter_scale=1e-12, whiten=False)


@pytest.mark.parametrize("scale", [1e20, 1e-30])
def test_float32_extreme_scale_without_whitening(scale):
    # squared distances of float32 data at 1e20 overflow (at 1e-30 underflow): the
    # unwhitened terms are rescaled by a power of two, h(cX) = h(X) + d log c
    x = np.random.default_rng(0).standard_normal((500, 2))
    ref = pymi.entropy(x.astype(np.float32), "kl", whiten=False)
    got = pymi.entropy((x * scale).astype(np.float32), "kl", whiten=False)
    # float32 rounding of x * scale moves each distance by ~1e-7 relative
    assert got.value == pytest.approx(ref.value + 2 * np.log(scale), abs=1e-4)


@pytest.mark.parametrize("method", ["kl", "wkl", "kde"])
@pytest.mark.parametrize(("sx", "sy"), [(1e-3, 1e3), (1e-6, 1.0), (1e160, 1.0)])
def test_whitening_ignores_column_scales(method, sx, sy):
    # the singularity test used to compare raw covariance eigenvalues: columns on
    # different scales were called "linearly dependent"
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1500, 2))
    y = 0.6 * x + rng.standard_normal((1500, 2))
    ref = pymi.mutual_information(x, y, method)
    got = pymi.mutual_information(x * sx, y * sy, method)
    assert got.value == pytest.approx(ref.value, abs=1e-6)


def test_entropy_of_huge_values_is_shifted_by_log_scale():
    x = np.random.default_rng(4).standard_normal((1500, 2))
    ref = pymi.entropy(x, "kl")
    got = pymi.entropy(x * 1e160, "kl")
    assert got.value == pytest.approx(ref.value + 2 * np.log(1e160), rel=1e-9)


def test_ksg_discrete_needs_only_k_plus_one_per_class():
    # X is whitened once over all samples, so a class needs k + 1 points, not d + 2
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(100), 20)
    x = rng.standard_normal((2000, 30)) + 0.5 * y[:, None] / 100
    est = KSG(k=5).mutual_information(x, y, discrete_y=True)
    assert np.isfinite(est.value)
    with pytest.raises(ValueError, match=r"at least 6 samples per class here \(k=5 neighbours within the class\)"):
        KSG(k=5).mutual_information(x[:1500], np.r_[y[:1495], [99] * 5], discrete_y=True)


def test_wkl_max_weight_norm_validated():
    with pytest.raises(ValueError, match=r"max_weight_norm must be a number >= 1 .*got 0.5"):
        WKL(max_weight_norm=0.5)


@pytest.mark.parametrize("method", ["kl", "wkl", "ksg"])
def test_device_cpu_is_honoured_when_a_gpu_is_visible(monkeypatch, method):
    # KL, WKL and KSG used to drop device= and let the neighbour search pick "auto"
    import pymi._device

    monkeypatch.setattr(pymi._device, "cuda_device_count", lambda: 1)

    def cpu_only(real):
        def kernel(*args):
            # every _core operation takes the device as its last argument
            if args[-1] != "cpu":
                msg = f"a kernel was called with device={args[-1]!r} although device='cpu'"
                raise AssertionError(msg)
            return real(*args)

        return kernel

    for name in ("knn", "count_within", "count_within_pair"):
        monkeypatch.setattr(pymi._core, name, cpu_only(getattr(pymi._core, name)))
    rng = np.random.default_rng(6)
    x = rng.standard_normal((500, 2))
    y = x + rng.standard_normal((500, 2))
    assert np.isfinite(pymi.mutual_information(x, y, method, device="cpu").value)
    assert np.isfinite(pymi.mutual_information(x, np.arange(500) % 3, method, discrete_y=True, device="cpu").value)


@pytest.mark.parametrize("y", [None, 5.0])
def test_y_not_an_array(xy, y):
    x, _ = xy
    with pytest.raises(ValueError, match=r"y must be an array of samples, one row per row of x; got"):
        pymi.mutual_information(x, y)


def test_mixed_label_types(xy):
    x, _ = xy
    y = np.array(["a", 1] * (len(x) // 2), dtype=object)
    with pytest.raises(TypeError, match=r"y labels must be mutually comparable .*astype\(str\)"):
        pymi.mutual_information(x, y, discrete_y=True)
    # None is a missing label, not a type: nan_policy decides
    y = np.array([None, 1] * (len(x) // 2), dtype=object)
    with pytest.raises(ValueError, match=r"y contains 150 NaN .*nan_policy='omit'"):
        pymi.mutual_information(x, y, discrete_y=True)


def test_nan_labels_follow_nan_policy(xy):
    x, _ = xy
    y = (np.arange(len(x)) % 3).astype(np.float64)
    y[0] = np.nan
    with pytest.raises(ValueError, match=r"y contains 1 NaN .*nan_policy='omit'"):
        pymi.mutual_information(x, y, discrete_y=True)
    est = pymi.mutual_information(x, y, discrete_y=True, nan_policy="omit")
    assert est.params["n_dropped_nonfinite"] == 1 and est.n == len(x) - 1


def test_big_endian_and_bfloat16_inputs(xy):
    x, _ = xy
    ref = pymi.entropy(x, "kl")
    assert pymi.entropy(x.astype(">f8"), "kl").value == ref.value
    torch = pytest.importorskip("torch")
    got = pymi.entropy(torch.tensor(x).to(torch.bfloat16), "kl")
    assert got.value == pytest.approx(ref.value, abs=0.05)  # bfloat16 keeps 8 bits


@pytest.mark.parametrize(
    ("seed", "pattern"),
    [(-1, r"non-negative integer seed"), (1.5, r"got 1.5 of type float"), ("abc", r"got 'abc' of type str")],
)
def test_bad_random_state_at_construction(seed, pattern):
    with pytest.raises(ValueError, match=pattern):
        KL(random_state=seed)


@pytest.mark.parametrize(("n_jobs", "exc"), [(-3, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_n_jobs(n_jobs, exc):
    with pytest.raises(exc, match=r"n_jobs must be -1 \(all cores\) or a positive integer"):
        KL(n_jobs=n_jobs)
    assert KL(n_jobs=None).n_jobs == KL(n_jobs=0).n_jobs == -1  # both: all cores


@pytest.mark.parametrize("entry", ["function", "class"])
def test_ties_warning_points_at_the_caller(entry):
    x = np.repeat(np.random.default_rng(0).standard_normal((100, 2)), 2, axis=0)
    with pytest.warns(pymi.TiesWarning) as record:
        if entry == "function":
            pymi.entropy(x, "kl")
        else:
            KL().entropy(x)
    assert record[0].filename == __file__


def test_ksg_float32_with_ties_on_one_side():
    # the jittered side became float64 and the other stayed float32
    rng = np.random.default_rng(7)
    x = rng.standard_normal((500, 2)).astype(np.float32)
    x[1] = x[0]
    y = (x[:, :1] + rng.standard_normal((500, 1))).astype(np.float32)
    with pytest.warns(pymi.TiesWarning):
        assert np.isfinite(pymi.mutual_information(x, y, "ksg").value)


def test_constant_column_is_refused_even_with_ties():
    # jitter used to turn the constant column into pure noise (h = -20 nats)
    rng = np.random.default_rng(8)
    x = np.column_stack([np.round(rng.standard_normal(2000), 1), np.full(2000, 5.0)])
    with pytest.warns(pymi.TiesWarning), pytest.raises(ValueError, match=r"1 constant column\(s\) \[1\]"):
        pymi.entropy(x, "kl")


def test_missing_string_labels_follow_nan_policy():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((300, 2))
    y = np.array(["a", "b", "c"] * 100, dtype=object)
    y[5], y[7] = np.nan, None
    with pytest.raises(ValueError, match=r"y contains 2 NaN .*nan_policy='omit'"):
        pymi.mutual_information(x, y, discrete_y=True)
    est = pymi.mutual_information(x, y, discrete_y=True, nan_policy="omit")
    assert est.params["n_dropped_nonfinite"] == 2 and set(est.params["class_counts"]) == {"a", "b", "c"}


def test_whitening_keeps_the_covariance_rotation_for_comparable_scales():
    # KSG's max-norm is not rotation-invariant: its estimates must not move
    from pymi._whitening import whiten

    rng = np.random.default_rng(10)
    x = rng.standard_normal((1000, 3)) @ rng.standard_normal((3, 3))
    xc = x - x.mean(axis=0)
    evals, evecs = np.linalg.eigh(xc.T @ xc / (len(x) - 1))
    np.testing.assert_array_equal(whiten(x)[0], xc @ (evecs / np.sqrt(evals)))


@pytest.mark.parametrize("seed", range(6))
def test_gaussian_near_singular_covariance_always_raises(seed):
    # slogdet's sign test let rounding decide: 18.7 nats, a raw LinAlgError, or the
    # intended error, depending on the seed
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((1000, 2))
    with pytest.raises(ValueError, match=r"the joint \(x, y\) has a singular covariance \(numerical rank 2 < 3"):
        pymi.mutual_information(a, a[:, :1] + a[:, 1:], "gaussian")


def test_gaussian_is_scale_free():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2000, 3))
    y = 0.5 * x + rng.standard_normal((2000, 3))
    ref = pymi.mutual_information(x, y, "gaussian").value
    assert pymi.mutual_information(x * 1e-170, y * 1e160, "gaussian").value == pytest.approx(ref, abs=1e-9)
