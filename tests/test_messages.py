"""Messages a new user meets: each names the argument, what was wrong and the fix."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pymi
from pymi.estimators import KL

METHODS = ["cksg", "kl", "wkl", "ksg", "kde", "gaussian"]


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2))
    return x, x + rng.standard_normal((300, 2))


# ----------------------------------------------------------- constant columns
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("side", ["x", "y"])
def test_constant_column_names_its_array_and_a_fix_in_its_terms(xy, method, side):
    x, y = (a.copy() for a in xy)
    bad = x if side == "x" else y
    bad[:, 1] = 3.0
    pattern = (
        rf"^{side} has 1 constant column\(s\) \[1\].*Drop those columns of {side}, e\.g\. "
        rf"{side} = {side}\[:, np\.ptp\({side}, axis=0\) > 0\]$"
    )
    with pytest.raises(ValueError, match=pattern) as info:
        pymi.mutual_information(x, y, method)
    assert "joint" not in str(info.value)
    # the suggested expression is valid code that removes the column
    fix = re.search(r"e\.g\. \w+ = (.+)$", str(info.value)).group(1)
    fixed = eval(fix, {"np": np, side: bad})  # noqa: S307 - our own message
    assert fixed.shape == (300, 1)
    args = (fixed, y) if side == "x" else (x, fixed)
    assert np.isfinite(pymi.mutual_information(*args, method).value)


@pytest.mark.parametrize("method", ["kl", "kde", "gaussian"])
def test_column_constant_within_one_class_names_the_class(xy, method):
    x = xy[0].copy()
    labels = (x[:, 0] > 0).astype(int)
    x[labels == 0, 1] = -1.0  # constant among the rows of class 0 only
    with pytest.raises(
        ValueError,
        match=r"x has 1 column\(s\) \[1\] that are constant within the class y == 0, so "
        r"h\(X \| Y = 0\) is -inf\. Drop those columns of x, or drop \(or merge\) that class",
    ):
        pymi.mutual_information(x, labels, method, discrete_y=True)


# ------------------------------------------------------- option names (difflib)
@pytest.mark.parametrize("method", ["cksg", "kl", "ksg"])
def test_n_neighbors_says_the_option_is_k(xy, method):
    with pytest.raises(
        TypeError, match=r"takes no n_neighbors; .*\(n_neighbors: did you mean k\?\)"
    ):
        pymi.mutual_information(*xy, method, n_neighbors=3)


def test_entropy_n_neighbors_says_the_option_is_k(xy):
    with pytest.raises(TypeError, match=r"WKL takes no n_neighbors; .*did you mean k\?"):
        pymi.entropy(xy[0], n_neighbors=3)


@pytest.mark.parametrize(
    ("option", "meant"),
    [
        ("seed", "random_state"),
        ("nan_polcy", "nan_policy"),
        ("n_threads", "n_jobs"),
        ("discret_y", "discrete_y or discrete_x"),
    ],
)
def test_misspelt_option_gets_the_close_name(xy, option, meant):
    with pytest.raises(
        TypeError, match=rf"takes no {option}; .*\({option}: did you mean {meant}\?\)"
    ):
        pymi.mutual_information(*xy, "kl", **{option: 1})


def test_option_of_another_method_names_that_method(xy):
    with pytest.raises(
        TypeError,
        match=r"CalibratedKSG takes no bandwidth; .*\(bandwidth is an option of method 'kde'\)",
    ):
        pymi.mutual_information(*xy, bandwidth=0.5)


def test_unrelated_option_gets_no_guess(xy):
    with pytest.raises(TypeError, match=r"KL takes no colour; its options are \[[^\]]*\]$"):
        pymi.mutual_information(*xy, "kl", colour="red")


# --------------------------------------------------------- transposed input
def test_length_mismatch_from_a_transposed_x_suggests_x_T():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((20, 500)), rng.standard_normal((500, 1))
    with pytest.raises(
        ValueError,
        match=r"same number of samples; got x\.shape=\(20, 500\), y\.shape=\(500, 1\)\. .*if the rows are features, pass x\.T$",
    ):
        pymi.mutual_information(x, y)


def test_length_mismatch_from_a_transposed_y_suggests_y_T():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((500, 2)), rng.standard_normal((3, 500))
    with pytest.raises(ValueError, match=r"pass y\.T$"):
        pymi.mutual_information(x, y, "kl")


def test_length_mismatch_with_both_transposed_suggests_both():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 500)), rng.standard_normal((3, 500))
    with pytest.raises(ValueError, match=r"pass x\.T and y\.T$"):
        pymi.mutual_information(x, y)


def test_labels_matching_the_feature_count_suggest_x_T():
    rng = np.random.default_rng(1)
    x, labels = rng.standard_normal((4, 300)), rng.integers(0, 2, 300)
    with pytest.raises(ValueError, match=r"pass x\.T$"):
        pymi.mutual_information(x, labels, discrete_y=True)


@pytest.mark.parametrize("method", ["kl", "ksg", "cksg", "gaussian"])
def test_wide_samples_that_fail_suggest_the_transpose(method):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 400))
    with pytest.raises(
        ValueError,
        match=r"\(x\.shape=\(3, 400\), y\.shape=\(3, 400\): fewer samples \(rows\) than features .*pass x\.T and y\.T\)$",
    ):
        pymi.mutual_information(x, x + rng.standard_normal((3, 400)), method)


def test_wide_entropy_input_suggests_the_transpose():
    x = np.random.default_rng(1).standard_normal((4, 400))
    with pytest.raises(ValueError, match=r"x\.shape=\(4, 400\): fewer samples .*pass x\.T\)$"):
        pymi.entropy(x, "kl")
    with pytest.raises(ValueError, match=r"pass x\.T\)$"):
        KL().entropy(x)  # the estimator objects say it too


def test_tall_input_gets_no_transpose_hint(xy):
    x, y = xy
    with pytest.raises(ValueError) as info:
        pymi.mutual_information(x, y[:-1])
    assert ".T" not in str(info.value)


# --------------------------------------------------------------- n_jobs range
@pytest.mark.parametrize("n_jobs", [2**31, 2**40])
def test_n_jobs_above_a_c_int_is_a_clear_error(xy, n_jobs):
    with pytest.raises(
        ValueError,
        match=rf"n_jobs={n_jobs} is more threads than the compiled kernels accept \(at most 2\*\*31 - 1",
    ):
        pymi.mutual_information(*xy, "ksg", n_jobs=n_jobs)


# ------------------------------------------------------- scale (1e-200, 1e200)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_mi_of_tiny_or_huge_data_equals_mi_at_unit_scale(xy, method, scale):
    # MI is invariant under scaling; whitening rescales by a power of two, so
    # the only differences are the roundings of x * scale (about 1e-16 relative)
    x, y = xy
    ref = pymi.mutual_information(x, y, method, random_state=0)
    got = pymi.mutual_information(x * scale, y * scale, method, random_state=0)
    assert got.value == pytest.approx(ref.value, abs=1e-9)


@pytest.mark.parametrize("method", ["kl", "wkl", "kde"])
def test_unwhitened_entropy_of_tiny_data_is_not_a_constant_column(xy, method):
    # squared distances and standard deviations of 1e-200 data underflow to 0
    # (KDE used to call every column constant); h(cX) = h(X) + d log c
    x = xy[0]
    ref = pymi.entropy(x, method, whiten=False)
    got = pymi.entropy(x * 1e-200, method, whiten=False)
    assert got.value == pytest.approx(ref.value + 2 * np.log(1e-200), abs=1e-6)


def test_ties_in_tiny_data_are_jittered_like_at_unit_scale(xy):
    # the jitter's column std used to underflow to 0: no noise, duplicates remained
    x = np.round(xy[0], 1)
    with pytest.warns(pymi.TiesWarning):
        ref = pymi.mutual_information(x, xy[1], "kl", random_state=0)
    with pytest.warns(pymi.TiesWarning):
        got = pymi.mutual_information(x * 1e-200, xy[1] * 1e-200, "kl", random_state=0)
    assert got.value == pytest.approx(ref.value, abs=1e-9)


def test_transposed_x_with_compression_is_caught_before_fitting():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((20, 300)), rng.standard_normal((300, 2))
    with pytest.raises(ValueError, match=r"got x\.shape=\(20, 300\), y\.shape=\(300, 2\)\. .*pass x\.T$"):
        pymi.mutual_information(x, y, "kl", compress="pca", latent_dim=2)
