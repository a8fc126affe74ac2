"""Gaussian KDE kernels (GUIDE 1.3): `_core.kde_log_kernel_sums` and `pymi._kde`.

Differential tests against the dense float64 reference in ``kde_reference.py``,
on every backend (``device`` = "cpu", and "cuda" when a GPU is present), plus
closed-form entropies and a test for every error message.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

try:
    import kde_reference as ref
except ImportError:  # tests/ imported as a package
    from tests import kde_reference as ref

from pymi import _core

U32 = 2.0**-24  # float32 unit roundoff


def _cuda_available() -> bool:
    try:
        return int(_core.cuda_device_count()) > 0
    except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
        return False


DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.cuda,
            pytest.mark.skipif(
                not _cuda_available(), reason="no CUDA device / not built with CUDA"
            ),
        ],
    ),
]


def kernel(device: str):
    """The `kde_log_kernel_sums` of one backend, as f(x, bandwidths, shift_sq)."""
    if device == "cpu":
        return lambda x, h, s, n_jobs=0: _core.kde_log_kernel_sums(x, h, s, n_jobs)
    return lambda x, h, s, n_jobs=0: _core.kde_log_kernel_sums(x, h, s, device="cuda")


def kernel_tolerance(expected: np.ndarray, n: int, d: int, dtype) -> np.ndarray:
    """Allowed |L - L_ref| for one input dtype.

    |dL| is the relative error of the kernel sum. float64 input: the spec,
    1e-6 (relative to |L| once |L| > 1). The float64 path computes distances in
    float64 and rounds the shifted distance and the exponent to float32, so its
    error is ~3u<|t|> + exp error + float32 partial sums, a few 1e-7 in practice.

    float32 input (reference evaluated in float64 on the same float32 values):
    every squared distance carries a relative error <= (d + 2) u, the shifted
    distance, float32 bandwidth constant and product each add u relative, so
    |dt_j| <= (d + 5) u |c| r2_j with c = -1/(2h^2). Averaged with the weights
    w_j ~ exp(t_j): |c| <r2>_w = <|t|>_w + |c| s_i, where <|t|>_w <= log(n - 1)
    (the entropy of w is at most log(n - 1) and the largest term is 1) and
    |c| s_i <= |L| + log(n - 1). Hence |dL| <= (d + 5) u (2 log n + |L|), plus
    the 1e-6 floor for exp and summation.
    """
    if np.dtype(dtype) == np.float64:
        return 1e-6 * np.maximum(1.0, np.abs(expected))
    return 1e-6 + (d + 5) * U32 * (2.0 * np.log(n) + np.abs(expected))


def _bandwidths_for(x: np.ndarray) -> np.ndarray:
    """Very small (only the shift keeps these finite) to very large."""
    r_nn = np.sqrt(np.median(ref.nn_squared_distance(x)))
    return np.array([1e-3 * r_nn, 0.05 * r_nn, 0.5 * r_nn, 2.0 * r_nn, 10.0, 1e4])


# ---------------------------------------------------------------------------
# kernel vs reference


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [1, 2, 4, 8, 16])
def test_kernel_matches_reference(device, dtype, d):
    rng = np.random.default_rng(100 + d)
    n = 157  # not a multiple of any tile size: exercises the padding
    x = (rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d)).astype(dtype)
    h = _bandwidths_for(x)
    shift = ref.nn_squared_distance(x)
    expected = ref.log_kernel_sums(x, h)
    got = kernel(device)(x, h, shift)
    assert got.shape == (len(h), n) and got.dtype == np.float64
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, n, d, dtype))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_larger_n_several_tiles(device, dtype):
    rng = np.random.default_rng(7)
    n, d = 1500, 3  # > one column tile, last row block partial
    x = rng.standard_normal((n, d)).astype(dtype)
    h = np.array([0.02, 0.3, 3.0])
    expected = ref.log_kernel_sums(x, h)
    got = kernel(device)(x, h, ref.nn_squared_distance(x))
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, n, d, dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [2, 5, 16, 19])
@pytest.mark.parametrize("shift_kind", ["nn", "zero"])
def test_kernel_negligible_blocks_are_skipped_exactly(dtype, d, shift_kind):
    """The CPU kernel skips (row, panel, bandwidth) blocks whose terms are all
    below 2^-(32 + log2 n) of the row's largest term, and whole panels by their
    bounding box: on well-separated clusters at small bandwidths most blocks are
    skipped, and the result must still match the dense reference to the usual
    tolerance (the skipped mass is < 2^-32 of each sum), whatever the shift
    (shift 0: every term is tiny, the skipping is relative to the row's largest).
    """
    rng = np.random.default_rng(40 + d)
    n = 1400  # 11 panels, 2 column tiles, partial last panel
    centers = rng.standard_normal((5, d)) * 6.0
    x = (centers[rng.integers(0, 5, n)] + 0.3 * rng.standard_normal((n, d))).astype(dtype)
    h = np.array([0.03, 0.1, 0.25, 2.0])  # the last one: no panel is skippable
    shift = ref.nn_squared_distance(x) if shift_kind == "nn" else np.zeros(n)
    expected = ref.log_kernel_sums(x, h)
    got = _core.kde_log_kernel_sums(x, h, shift)
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, n, d, dtype))


@pytest.mark.parametrize("device", ["cpu"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("wrong", ["zero", "too_large", "next_point"])
def test_kernel_is_exact_with_a_wrong_shift(device, dtype, wrong):
    """The shift is only numerics: a wrong one must not change L.

    Too small (zero): rows are recomputed exactly. Too large (an upper bound,
    e.g. the distance to the next point, which pymi._kde passes by default):
    the shift moves down online. This goes beyond the csrc/API.md contract
    (nearest-neighbour shift), so it is a CPU-kernel test.
    """
    rng = np.random.default_rng(3)
    n, d = 300, 3
    x = rng.standard_normal((n, d)).astype(dtype)
    h = np.array([1e-3, 0.01, 0.2, 5.0])
    true_shift = ref.nn_squared_distance(x)
    if wrong == "zero":
        shift = np.zeros(n)
    elif wrong == "too_large":
        shift = true_shift + 10.0
    else:
        x64 = x.astype(np.float64)
        shift = np.sum((x64 - np.roll(x64, -1, axis=0)) ** 2, axis=1)
    expected = ref.log_kernel_sums(x, h)
    got = kernel(device)(x, h, shift)
    assert np.all(np.isfinite(got))
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, n, d, dtype))


@pytest.mark.parametrize("device", DEVICES)
def test_kernel_tiny_and_huge_bandwidths(device):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((80, 2))
    shift = ref.nn_squared_distance(x)
    h = np.array([1e-9, 1e-6, 1e6, 1e30])
    got = kernel(device)(x, h, shift)
    expected = ref.log_kernel_sums(x, h)
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, 80, 2, np.float64))
    # limit h -> inf: every term is 1
    np.testing.assert_allclose(got[-1], np.log(79.0), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_absurdly_small_bandwidth_with_upper_bound_shift(dtype):
    """1/(2h^2) beyond float32 range and a shift that is only an upper bound:
    rounding keeps the online shift from settling, so rows take the exact path."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((200, 2)).astype(dtype)
    x64 = x.astype(np.float64)
    shift = np.sum((x64 - np.roll(x64, -1, axis=0)) ** 2, axis=1)
    h = np.array([1e-25, 1e-12, 1e-6])
    got = _core.kde_log_kernel_sums(x, h, shift)
    expected = ref.log_kernel_sums(x, h)
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, 200, 2, dtype))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_duplicate_points(device, dtype):
    """Duplicates are kept (distance 0, term 1); only j == i is excluded."""
    rng = np.random.default_rng(5)
    base = rng.standard_normal((40, 3))
    x = np.concatenate([base, base[:10], base[:3]]).astype(dtype)
    shift = ref.nn_squared_distance(x)
    assert np.sum(shift == 0) == 23
    h = np.array([1e-4, 0.3])
    got = kernel(device)(x, h, shift)
    expected = ref.log_kernel_sums(x, h)
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, len(x), 3, dtype))
    # tiny h: duplicated-once points see exactly one term of 1, triplicates two
    np.testing.assert_allclose(got[0, 3:10], 0.0, atol=1e-6)
    np.testing.assert_allclose(got[0, :3], np.log(2.0), atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 90),
    d=st.integers(1, 5),
    log_h=st.floats(-4.0, 3.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_kernel_invariants(n, d, log_h, seed):
    """Permuting the points permutes L; translating them changes nothing; L matches the reference."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    h = np.array([np.exp(log_h)])
    s = ref.nn_squared_distance(x)
    base = _core.kde_log_kernel_sums(x, h, s)
    expected = ref.log_kernel_sums(x, h)
    tol = kernel_tolerance(expected, n, d, np.float64)
    assert np.all(np.abs(base - expected) <= tol)
    perm = rng.permutation(n)
    permuted = _core.kde_log_kernel_sums(x[perm], h, s[perm])
    assert np.all(np.abs(permuted - base[:, perm]) <= 2 * tol[:, perm])
    shifted = x + rng.uniform(-5, 5, d)
    moved = _core.kde_log_kernel_sums(shifted, h, ref.nn_squared_distance(shifted))
    assert np.all(
        np.abs(moved - expected)
        <= kernel_tolerance(expected, n, d, np.float64) + 1e-9 * np.abs(expected)
    )


def test_kernel_threads_are_deterministic():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((700, 5))
    h = np.array([0.1, 0.5])
    s = ref.nn_squared_distance(x)
    a = _core.kde_log_kernel_sums(x, h, s, 1)
    b = _core.kde_log_kernel_sums(x, h, s, 2)
    c = _core.kde_log_kernel_sums(x, h, s)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_kernel_accepts_non_contiguous_and_lists():
    rng = np.random.default_rng(4)
    big = rng.standard_normal((60, 6))
    x = big[:, ::2]  # strided view
    s = ref.nn_squared_distance(x)
    expected = _core.kde_log_kernel_sums(np.ascontiguousarray(x), [0.5, 1.0], s)
    np.testing.assert_array_equal(_core.kde_log_kernel_sums(x, [0.5, 1.0], list(s)), expected)
    np.testing.assert_array_equal(
        _core.kde_log_kernel_sums(np.asfortranarray(x), np.array([0.5, 1.0]), s), expected
    )


# ---------------------------------------------------------------------------
# kernel errors


def _ok_args(n=10, d=2):
    x = np.random.default_rng(0).standard_normal((n, d))
    return x, np.array([0.5]), ref.nn_squared_distance(x)


def test_kernel_rejects_bad_dtype():
    x, h, s = _ok_args()
    with pytest.raises(TypeError, match=r"x must have dtype float32 or float64; got dtype int64"):
        _core.kde_log_kernel_sums(x.astype(np.int64), h, s)
    with pytest.raises(TypeError, match=r"x must be a numpy array of float32 or float64; got list"):
        _core.kde_log_kernel_sums(x.tolist(), h, s)


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.zeros(5), r"x must be a 2-D array \(n_samples, n_features\); got x.shape=\(5,\)"),
        (np.zeros((1, 3)), r"x must have at least 2 samples; got n_samples=1"),
        (np.zeros((4, 0)), r"x must have at least 1 feature; got n_features=0"),
    ],
)
def test_kernel_rejects_bad_shape(x, match):
    with pytest.raises(ValueError, match=match):
        _core.kde_log_kernel_sums(x, np.array([1.0]), np.zeros(len(x)))


def test_kernel_rejects_non_finite_x():
    x, h, s = _ok_args()
    x[2, 1] = np.nan
    x[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"x contains 2 NaN or infinite values; remove or impute them"):
        _core.kde_log_kernel_sums(x, h, s)


@pytest.mark.parametrize(
    ("h", "match"),
    [
        (np.array([0.5, 0.0]), r"bandwidths must be finite and positive .*got bandwidths\[1\]=0"),
        (np.array([-1.0]), r"got bandwidths\[0\]=-1"),
        (np.array([np.nan]), r"got bandwidths\[0\]=nan"),
        (np.array([1e-200]), r"\(and > 1e-150\); got bandwidths\[0\]=1e-200"),
        (np.array([]), r"bandwidths must be a non-empty 1-D array; got bandwidths.shape=\(0,\)"),
        (np.ones((2, 2)), r"bandwidths must be a non-empty 1-D array; got bandwidths.shape=\(2, 2\)"),
    ],
)
def test_kernel_rejects_bad_bandwidths(h, match):
    x, _, s = _ok_args()
    with pytest.raises(ValueError, match=match):
        _core.kde_log_kernel_sums(x, h, s)


@pytest.mark.parametrize(
    ("s", "match"),
    [
        (np.zeros(9), r"shift_sq must be of shape \(n_samples,\) = \(10,\); got shift_sq.shape=\(9,\)"),
        (
            np.zeros((10, 1)),
            r"shift_sq must be of shape \(n_samples,\) = \(10,\); got shift_sq.shape=\(10, 1\)",
        ),
        (np.r_[np.zeros(9), -1.0], r"shift_sq must be finite and >= 0 .*got shift_sq\[9\]=-1"),
        (np.r_[np.nan, np.zeros(9)], r"got shift_sq\[0\]=nan"),
    ],
)
def test_kernel_rejects_bad_shift(s, match):
    x, h, _ = _ok_args()
    with pytest.raises(ValueError, match=match):
        _core.kde_log_kernel_sums(x, h, s)


# ---------------------------------------------------------------------------
# pymi._kde: densities, LSCV, bandwidth selection, entropy

from pymi import _kde  # noqa: E402


@pytest.mark.parametrize("d", [1, 3, 8])
def test_loo_log_density_matches_reference(d):
    rng = np.random.default_rng(20 + d)
    x = rng.standard_normal((130, d))
    h = np.array([0.05, 0.4, 2.0])
    expected = ref.loo_log_density(x, h)
    got = _kde.loo_log_density(x, h, n_jobs=1)
    assert got.shape == (3, 130)
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, 130, d, np.float64))
    # the nearest-neighbour shift gives the same numbers as the default upper
    # bound; a scalar bandwidth gives one row
    s = _kde.nn_squared_distances(x)
    with_nn = _kde.loo_log_density(x, h, shift_sq=s)
    assert np.all(np.abs(with_nn - expected) <= kernel_tolerance(expected, 130, d, np.float64))
    single = _kde.loo_log_density(x, 0.4)
    assert single.shape == (1, 130)
    assert np.all(
        np.abs(single[0] - expected[1]) <= kernel_tolerance(expected[1], 130, d, np.float64)
    )
    np.testing.assert_array_equal(_kde.kde_entropy_terms(x, 0.4, shift_sq=s), -with_nn[1])


def test_upper_bound_shift():
    x = np.random.default_rng(8).standard_normal((40, 3))
    s = _kde.upper_bound_shift(x)
    np.testing.assert_allclose(s, np.sum((x - np.roll(x, -1, axis=0)) ** 2, axis=1))
    assert np.all(s >= ref.nn_squared_distance(x))


def test_nn_squared_distances_matches_reference():
    x = np.random.default_rng(9).standard_normal((90, 4))
    x[5] = x[17]
    np.testing.assert_allclose(_kde.nn_squared_distances(x), ref.nn_squared_distance(x), rtol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 4, 8])
def test_lscv_matches_reference(d):
    rng = np.random.default_rng(d)
    x = rng.standard_normal((150, d))
    h = np.array([0.01, 0.1, 0.3, 0.6, 1.0, 3.0, 30.0])
    first, second = ref.lscv_terms(x, h)
    got = _kde.lscv_score(x, h)
    # each sum carries a relative error <= 1e-6 (kernel spec), so the difference
    # is good to 1e-6 of the sum of their magnitudes
    assert np.all(np.abs(got - (first - second)) <= 1e-6 * (first + second))


@pytest.mark.parametrize("method", ["ml", "lscv"])
@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_select_bandwidth_matches_dense_grid(method, d, seed):
    x = np.random.default_rng(seed).standard_normal((150, d))
    step = 0.01  # grid resolution in log h
    grid = np.exp(np.arange(np.log(0.03), np.log(4.0), step))
    h_grid = ref.grid_optimum(x, method, grid)
    res = _kde.select_bandwidth(x, method)
    # the grid optimum is within step/2 of the true one (in log h); the search
    # returns a point of its final bracket, which contains the optimum and is
    # narrower than rtol
    assert abs(np.log(res.bandwidth / h_grid)) <= 1e-2 + step / 2
    assert res.method == method and res.passes >= 1
    assert len(res.bandwidths) == len(res.scores) >= 7
    i = np.argmin(np.abs(np.log(res.bandwidths / res.bandwidth)))
    if method == "ml":
        assert res.score >= res.scores.max() - 1e-12
        np.testing.assert_allclose(res.score, res.scores[i], rtol=1e-4)
    else:
        assert res.score <= res.scores.min() + 1e-12


def test_select_bandwidth_is_cheap_on_smooth_objectives():
    """Whitened Gaussian data: the first grid is interior, then 1-2 refinements."""
    x = np.random.default_rng(0).standard_normal((1000, 4))
    for method in ("ml", "lscv"):
        assert _kde.select_bandwidth(x, method).passes <= 3


def _cross_entropy_gaussian(d: int, h: float) -> float:
    """-E log (p * K_h)(X) for X ~ N(0, I_d): p * K_h = N(0, (1 + h^2) I_d)."""
    v = 1.0 + h * h
    return 0.5 * d * (np.log(2.0 * np.pi * v) + 1.0 / v)


def _cross_entropy_unit_cube(d: int, h: float) -> float:
    """-E log (p * K_h)(X) for X uniform on [0, 1]^d (product of 1-D integrals)."""
    from scipy import integrate
    from scipy.special import ndtr

    def f(t):  # symmetric about 1/2; non-zero only within a few h of the faces
        return -np.log(ndtr((1.0 - t) / h) - ndtr(-t / h))

    edge = min(0.5, 12.0 * h)
    inner = integrate.quad(f, 0.0, edge, limit=200)[0]
    outer = integrate.quad(f, edge, 0.5, limit=200)[0] if edge < 0.5 else 0.0
    return 2.0 * d * (inner + outer)


def check_kde_entropy(x: np.ndarray, cross_entropy) -> None:
    """ML-bandwidth LOO KDE entropy against its expected value at the chosen h.

    For a fixed h the estimator -1/N sum_i log p_{-i}(x_i) has expectation
    E_x E[-log p_hat(x)]. With p_bar = E p_hat = p * K_h and the second-order
    (delta-method) Jensen term,
        E[H_hat] = -E log p_bar(X) + E[Var p_hat / (2 p_bar^2)] + ...
                 = cross_entropy(h) + J.
    cross_entropy(h) >= H is the smoothing bias (closed form / 1-D quadrature);
    J is estimated from the data: the relative variance of the N - 1 kernel
    terms of row i is S2/S1^2 - 1/(N-1), with S2 the kernel sum at h/sqrt(2)
    (K_h^2 is proportional to K_{h/sqrt(2)}), so J = mean_i [exp(L_i(h/sqrt 2) -
    2 L_i(h)) - 1/(N-1)] / 2. Tolerance: 4 standard errors of the mean of the
    terms, plus J/2 for the neglected higher orders of the delta expansion.
    """
    n = len(x)
    s = _kde.nn_squared_distances(x)
    h = _kde.select_bandwidth(x, "ml", shift_sq=s).bandwidth
    terms = _kde.kde_entropy_terms(x, h, shift_sq=s)
    estimate = terms.mean()
    se = terms.std(ddof=1) / np.sqrt(n)
    log_s1, log_s2 = _core.kde_log_kernel_sums(x, np.array([h, h / np.sqrt(2.0)]), s)
    jensen = 0.5 * np.mean(np.exp(log_s2 - 2.0 * log_s1) - 1.0 / (n - 1))
    expected = cross_entropy(h) + jensen
    assert abs(estimate - expected) <= 4.0 * se + 0.5 * jensen, (estimate, expected, se, jensen, h)


@pytest.mark.parametrize("d", range(1, 9))
def test_entropy_standard_gaussian(d):
    x = np.random.default_rng(1000 + d).standard_normal((3000, d))
    true = 0.5 * d * np.log(2.0 * np.pi * np.e)
    check_kde_entropy(x, lambda h: _cross_entropy_gaussian(d, h))
    # sanity on the size of the bias: below 0.05 nats per dimension at N = 3000
    est = _kde.kde_entropy_terms(x, _kde.select_bandwidth(x).bandwidth).mean()
    assert -0.05 < est - true < 0.05 * d


@pytest.mark.parametrize("d", [1, 2, 3])
def test_entropy_unit_cube(d):
    x = np.random.default_rng(2000 + d).uniform(size=(3000, d))
    check_kde_entropy(x, lambda h: _cross_entropy_unit_cube(d, h))


# ---------------------------------------------------------------------------
# pymi._kde errors


def test_select_bandwidth_rejects_bad_arguments():
    x = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.raises(ValueError, match=r"method must be 'ml' or 'lscv'; got 'silverman'"):
        _kde.select_bandwidth(x, "silverman")
    with pytest.raises(ValueError, match=r"grid_points must be >= 3; got 2"):
        _kde.select_bandwidth(x, grid_points=2)
    with pytest.raises(ValueError, match=r"rtol must be in \(0, 1\); got 0"):
        _kde.select_bandwidth(x, rtol=0)
    x[:, 1] = 3.0
    with pytest.raises(ValueError, match=r"x has 1 constant column\(s\) \(first: 1\).*whiten"):
        _kde.select_bandwidth(x)


def test_select_bandwidth_reports_non_convergence():
    x = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.raises(RuntimeError, match=r"did not converge in max_passes=1 kernel passes"):
        _kde.select_bandwidth(x, max_passes=1)


@pytest.mark.parametrize("method", ["ml", "lscv"])
def test_select_bandwidth_duplicates_have_no_optimum(method):
    """Every point duplicated: the objective is unbounded as h -> 0 (was: log 0 / silent garbage)."""
    base = np.random.default_rng(0).standard_normal((50, 2))
    x = np.concatenate([base, base])
    with pytest.raises(
        ValueError,
        match=r"no finite optimum.*h -> 0.*100 of 100 points have an exact duplicate.*jitter",
    ):
        _kde.select_bandwidth(x, method)
    # the suggested fix works
    jittered = x + 1e-6 * np.random.default_rng(1).standard_normal(x.shape)
    assert _kde.select_bandwidth(jittered, method).bandwidth > 0


def test_select_bandwidth_rejects_non_finite_objective(monkeypatch):
    x = np.random.default_rng(0).standard_normal((50, 2))
    monkeypatch.setattr(
        _kde, "loo_log_density", lambda x, h, **kw: np.full((len(h), len(x)), np.nan)
    )
    with pytest.raises(ValueError, match=r"the ml objective is not finite at any bandwidth in \["):
        _kde.select_bandwidth(x)


# ---------------------------------------------------------------------------
# the CUDA path's policy, checked on the CPU (the kernel itself is faked)


def test_exact_log_kernel_sums_matches_reference():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((120, 3)).astype(np.float32)
    h = np.array([1e-4, 0.3, 5.0])
    rows = np.array([0, 7, 119, 7])
    got = _kde._exact_log_kernel_sums(x, h, rows)
    np.testing.assert_allclose(got, ref.log_kernel_sums(x, h)[:, rows], rtol=1e-12, atol=1e-12)


def test_repair_rows_recomputes_exactly_the_inconsistent_rows():
    """A row whose L contradicts its nearest-neighbour shift (non-finite, below
    c s_i, above c s_i + log(n - 1)) is recomputed; every other row is kept."""
    rng = np.random.default_rng(22)
    n = 200
    x = rng.standard_normal((n, 2))
    h = np.array([1e-3, 0.3, 3.0])
    s = ref.nn_squared_distance(x)
    good = ref.log_kernel_sums(x, h)
    base = (-0.5 / h**2)[:, None] * s[None, :]
    damaged = good + 1e-9  # within tolerance: must be kept as is
    damaged[0, 5] = np.inf
    damaged[1, 7] = base[1, 7] - 0.5
    damaged[2, 9] = base[2, 9] + np.log(n - 1) + 0.5
    damaged[:, 11] = np.nan
    kept = damaged.copy()
    out = _kde._repair_rows(x, h, s, damaged)
    fixed = [5, 7, 9, 11]
    np.testing.assert_allclose(out[:, fixed], good[:, fixed], rtol=1e-12)
    others = np.setdiff1d(np.arange(n), fixed)
    np.testing.assert_array_equal(out[:, others], kept[:, others])


def test_repair_rows_many_damaged_rows_rerun_on_the_cpu_kernel():
    rng = np.random.default_rng(26)
    n = 300
    x = rng.standard_normal((n, 3)).astype(np.float32)
    h = np.array([0.05, 0.5])
    s = ref.nn_squared_distance(x)
    good = ref.log_kernel_sums(x, h)
    damaged = good.copy()
    damaged[:, :100] = np.nan
    with pytest.warns(RuntimeWarning, match="100 of 300 rows .* recomputing the whole call on the CPU"):
        out = _kde._repair_rows(x, h, s, damaged)
    assert np.all(np.abs(out - good) <= kernel_tolerance(good, n, 3, np.float32))


def test_exact_log_kernel_sums_huge_bandwidth():
    """1/(2h^2) underflows to 0: every term is 1 and L = log(n - 1), with no NaN
    from the excluded j == i entry."""
    x = np.random.default_rng(27).standard_normal((50, 2))
    got = _kde._exact_log_kernel_sums(x, np.array([1e200]), np.arange(50))
    np.testing.assert_allclose(got, np.log(49.0), rtol=1e-12)


def test_select_bandwidth_gives_the_cuda_kernel_the_nearest_neighbour_shift(monkeypatch):
    """The CUDA kernel has no online shift update: select_bandwidth must pass it
    the squared nearest-neighbour distances (computed once), never the CPU's
    default upper bound."""
    rng = np.random.default_rng(23)
    x = rng.standard_normal((400, 3))
    nn = ref.nn_squared_distance(x)
    calls = {"nn": 0, "kernel": 0}

    def fake_nn(points, *, n_jobs=-1, backend="auto"):
        assert backend == "cuda"
        calls["nn"] += 1
        return nn

    real_kernel = _core.kde_log_kernel_sums

    def fake_kernel(points, bandwidths, shift_sq, n_jobs=0, device="cpu"):
        if device == "cuda":
            np.testing.assert_array_equal(shift_sq, nn)
            calls["kernel"] += 1
        return real_kernel(points, bandwidths, shift_sq, n_jobs)

    monkeypatch.setattr(_kde, "nn_squared_distances", fake_nn)
    monkeypatch.setattr(_kde._core, "kde_log_kernel_sums", fake_kernel)
    got = _kde.select_bandwidth(x, "ml", device="cuda")
    want = _kde.select_bandwidth(x, "ml", device="cpu")
    assert calls["nn"] == 1 and calls["kernel"] == got.passes
    # same optimum up to the search's resolution (rtol = 1e-2 in h); the shifts
    # differ, so the float32 exponentials differ in their last bits
    assert abs(np.log(got.bandwidth / want.bandwidth)) <= 1e-2


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cuda_kde_many_bandwidths_take_several_passes(dtype):
    """14 bandwidths (the LSCV search's pass) exceed one kernel launch's bands."""
    rng = np.random.default_rng(24)
    n, d = 500, 3
    x = rng.standard_normal((n, d)).astype(dtype)
    h = np.geomspace(0.01, 10.0, 14)
    got = _core.kde_log_kernel_sums(x, h, ref.nn_squared_distance(x), device="cuda")
    expected = ref.log_kernel_sums(x, h)
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, n, d, dtype))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cuda_kde_tiny_bandwidths_through_the_python_policy(dtype):
    """At h far below the nearest-neighbour distance a one-ulp difference between
    the shift and the kernel's own distance matters; the rows that come out
    inconsistent are recomputed exactly (pymi._kde._repair_rows)."""
    rng = np.random.default_rng(25)
    n, d = 300, 2
    x = rng.standard_normal((n, d)).astype(dtype)
    h = np.array([1e-9, 1e-6, 1e-3, 0.5])
    got = _kde._log_kernel_sums(x, h, None, -1, "cuda")
    expected = ref.log_kernel_sums(x, h)
    assert np.all(np.abs(got - expected) <= kernel_tolerance(expected, n, d, dtype))


def test_kde_estimator_on_cuda_computes_each_shift_once(monkeypatch):
    """On CUDA the nearest-neighbour shift of the points the bandwidth is fitted
    on is computed once and reused for their entropy terms (kernel faked by the
    CPU one); the values equal the CPU path's."""
    import pymi
    from pymi.estimators import KDE

    rng = np.random.default_rng(28)
    x = rng.standard_normal((500, 2))
    y = x[:, :1] + 0.5 * rng.standard_normal((500, 1))
    want_h = pymi.entropy(x, method="kde", device="cpu").value
    want_i = pymi.mutual_information(x, y, method="kde", device="cpu").value
    calls = []
    real_nn = _kde.nn_squared_distances

    def fake_nn(points, *, n_jobs=-1, backend="auto"):
        assert backend == "cuda"
        calls.append(points.shape)
        return real_nn(points, n_jobs=n_jobs, backend="auto")

    monkeypatch.setattr(KDE, "_resolved_device", lambda self: "cuda")
    monkeypatch.setattr(_kde, "nn_squared_distances", fake_nn)
    real_kernel = _core.kde_log_kernel_sums
    monkeypatch.setattr(
        _kde._core,
        "kde_log_kernel_sums",
        lambda p, h, s, n_jobs=0, device="cpu": real_kernel(p, h, s, n_jobs),
    )
    got_h = KDE(device="cuda").entropy(x).value
    assert calls == [(500, 2)]
    calls.clear()
    got_i = KDE(device="cuda").mutual_information(x, y).value
    assert sorted(calls) == [(500, 1), (500, 2), (500, 3)]  # joint once, each marginal once
    assert got_h == pytest.approx(want_h, abs=1e-5)
    assert got_i == pytest.approx(want_i, abs=1e-5)


# --- regressions from the session-4 review -----------------------------------


@pytest.mark.parametrize("d", [5, 20])
@pytest.mark.parametrize("shift_kind", ["upper_bound", "zero", "nn"])
def test_any_shift_is_accurate_on_clustered_data(d, shift_kind):
    # tight clusters far apart, h far below the nearest-neighbour distances: the
    # float rounding of a shift move (u |mu|, mu ~ 1e5 here) used to leave the
    # largest term at 2^-57 instead of 1 (1.5e-6 relative), and a zero shift left
    # every exponent near -80 (4e-6); both are settled now (~1e-7)
    rng = np.random.default_rng(3)
    n = 1500
    centers = rng.standard_normal((20, d)) * 50
    scales = np.geomspace(0.01, 1, 20)[rng.integers(0, 20, n)]
    x = centers[rng.integers(0, 20, n)] + rng.standard_normal((n, d)) * scales[:, None]
    h = np.array([0.01, 0.1, 1.0])
    shift = {
        "upper_bound": _kde.upper_bound_shift(x),
        "zero": np.zeros(n),
        "nn": _kde.nn_squared_distances(x),
    }[shift_kind]
    got = _core.kde_log_kernel_sums(x, h, shift, 1)
    expected = ref.log_kernel_sums(x, h)
    assert np.max(np.abs(np.expm1(got - expected))) < 5e-7
