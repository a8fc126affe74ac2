"""Differential tests of the neighbour kernels against slow NumPy references.

Every backend (kdtree, brute, faiss, cuda) x dtype x metric x dimension, the
edge cases (n = 2, k = n - 1, duplicates, identical points, clusters, wild
column scales), the count kernels' exact strictness, and every error message.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import reference_count_within, reference_knn

from pymi import _core, _neighbors
from pymi._neighbors import count_within, count_within_pair, knn

DTYPES = [np.float64, np.float32]
METRICS = ["euclidean", "chebyshev"]
DIMS = [1, 2, 3, 5, 8, 16, 33, 64]
try:
    import faiss  # noqa: F401 - optional (pymi[faiss])

    HAS_FAISS = True
except ImportError:
    HAS_FAISS = False
NEEDS_FAISS = pytest.mark.skipif(not HAS_FAISS, reason='faiss not installed (pip install "pymi[faiss]")')
KNN_BACKENDS = [
    "kdtree",
    "brute",
    pytest.param("faiss", marks=NEEDS_FAISS),
    pytest.param("cuda", marks=pytest.mark.cuda),
]
COUNT_BACKENDS = ["kdtree", "brute", pytest.param("cuda", marks=pytest.mark.cuda)]


def rtol_for(dtype, backend: str = "kdtree") -> float:
    if backend == "faiss":
        return 1e-4
    return 1e-5 if dtype == np.float32 else 1e-12


def assert_knn_matches(x, dist, idx, k, metric, rtol, check_idx=True):
    """Distances match the reference; indices match wherever the distance is not tied."""
    n = len(x)
    kk = min(k + 1, n - 1)
    ref_d, ref_i = reference_knn(x, kk, metric)
    assert dist.shape == (n, k) and idx.shape == (n, k)
    assert idx.dtype == np.int64
    np.testing.assert_allclose(dist, ref_d[:, :k], rtol=rtol, atol=rtol * 1e-3)
    assert np.all(np.diff(dist, axis=1) >= 0), "distances must be ascending"
    assert np.all(idx != np.arange(n)[:, None]), "self must be excluded"
    # every returned index really is at the returned distance
    true_d = np.array([[_dist(x, i, j, metric) for j in row] for i, row in enumerate(idx)])
    np.testing.assert_allclose(dist, true_d, rtol=rtol, atol=rtol * 1e-3)
    if not check_idx:
        return
    # indices must agree where the reference distance is separated from its
    # neighbours in the sorted row (including the first excluded one)
    tol = 10 * rtol * np.maximum(ref_d, 1e-300)
    sep = np.ones((n, k), dtype=bool)
    sep[:, 1:] &= np.abs(ref_d[:, 1:k] - ref_d[:, : k - 1]) > tol[:, 1:k]
    sep[:, : k - 1] &= np.abs(ref_d[:, 1:k] - ref_d[:, : k - 1]) > tol[:, : k - 1]
    if kk > k:
        sep[:, k - 1] &= np.abs(ref_d[:, k] - ref_d[:, k - 1]) > tol[:, k - 1]
    np.testing.assert_array_equal(idx[sep], ref_i[:, :k][sep])


def _dist(x, i, j, metric):
    diff = np.asarray(x[i], np.float64) - np.asarray(x[j], np.float64)
    return np.sqrt(diff @ diff) if metric == "euclidean" else np.abs(diff).max()


# ---------------------------------------------------------------------------
# kNN
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", KNN_BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", DIMS)
def test_knn_matches_reference(backend, dtype, metric, d, rng):
    n, k = 150, 5
    x = rng.standard_normal((n, d)).astype(dtype)
    dist, idx = knn(x, k, metric=metric, backend=backend)
    assert dist.dtype == dtype
    assert_knn_matches(
        x, dist, idx, k, metric, rtol_for(dtype, backend), check_idx=backend != "faiss"
    )


@pytest.mark.parametrize("algorithm", ["kdtree", "brute"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_knn_many_blocks_and_tree_levels(algorithm, dtype, rng):
    # several query blocks, tile blocks and tree levels, and a ragged tail
    n, d, k = 1203, 7, 9
    x = rng.standard_normal((n, d)).astype(dtype)
    for metric in METRICS:
        dist, idx = _core.knn(x, k, metric, algorithm, 0)
        assert_knn_matches(x, dist, idx, k, metric, rtol_for(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", [2, 9, 33])
def test_knn_kdtree_and_brute_agree_bitwise(dtype, metric, d, rng):
    # both kernels accumulate the same differences in the same order
    x = rng.standard_normal((700, d)).astype(dtype)
    a = _core.knn(x, 6, metric, "kdtree", 0)
    b = _core.knn(x, 6, metric, "brute", 0)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("algorithm", ["kdtree", "brute"])
def test_knn_thread_count_does_not_change_results(algorithm, rng):
    x = rng.standard_normal((900, 4))
    one = _core.knn(x, 5, "euclidean", algorithm, 1)
    many = _core.knn(x, 5, "euclidean", algorithm, 3)
    np.testing.assert_array_equal(one[0], many[0])
    np.testing.assert_array_equal(one[1], many[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_knn_float32_close_to_float64(dtype, rng):
    x = rng.standard_normal((400, 3))
    d64, _ = knn(x, 4, backend="kdtree")
    d32, _ = knn(x.astype(np.float32), 4, backend="brute")
    np.testing.assert_allclose(d32, d64, rtol=1e-5)


@pytest.mark.parametrize("backend", KNN_BACKENDS)
@pytest.mark.parametrize("metric", METRICS)
class TestKnnEdgeCases:
    def test_two_points(self, backend, metric):
        x = np.array([[0.0, 0.0], [3.0, 4.0]])
        dist, idx = knn(x, 1, metric=metric, backend=backend)
        expected = 5.0 if metric == "euclidean" else 4.0
        np.testing.assert_allclose(dist, [[expected], [expected]])
        np.testing.assert_array_equal(idx, [[1], [0]])

    @pytest.mark.parametrize("d", [1, 3, 20])
    def test_k_is_n_minus_one(self, backend, metric, d, rng):
        x = rng.standard_normal((23, d))
        dist, idx = knn(x, 22, metric=metric, backend=backend)
        assert_knn_matches(x, dist, idx, 22, metric, rtol_for(np.float64, backend))
        # every other point appears exactly once
        np.testing.assert_array_equal(
            np.sort(idx, axis=1), [np.delete(np.arange(23), i) for i in range(23)]
        )

    @pytest.mark.parametrize("d", [1, 2, 12])
    def test_duplicates_are_kept_at_distance_zero(self, backend, metric, d, rng):
        base = rng.standard_normal((60, d))
        x = np.concatenate([base, base[:20], base[:5]])  # some points 2 or 3 times
        dist, idx = knn(x, 3, metric=metric, backend=backend)
        assert_knn_matches(
            x, dist, idx, 3, metric, rtol_for(np.float64, backend), check_idx=backend != "faiss"
        )
        assert np.all(dist[:5, :2] == 0)
        assert np.all(dist[5:20, 0] == 0)

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_all_points_identical(self, backend, metric, dtype):
        n, k = 40, 6
        x = np.full((n, 3), 1.25, dtype=dtype)
        dist, idx = knn(x, k, metric=metric, backend=backend)
        assert np.all(dist == 0)
        assert np.all(idx != np.arange(n)[:, None])
        assert all(len(set(row)) == k for row in idx)
        if backend != "faiss":  # exact backends: ties go to the smallest other indices
            expected = np.array([np.delete(np.arange(n), i)[:k] for i in range(n)])
            np.testing.assert_array_equal(idx, expected)

    def test_clustered_data(self, backend, metric, rng):
        centres = rng.standard_normal((6, 4)) * 50
        x = centres[rng.integers(0, 6, 500)] + rng.standard_normal((500, 4)) * 1e-3
        dist, idx = knn(x, 7, metric=metric, backend=backend)
        # faiss ranks by float32 norm expansion: with |x| ~ 100 and neighbour
        # distances ~ 1e-3 that is only good to ~1e-2 relative
        rtol = 1e-2 if backend == "faiss" else rtol_for(np.float64)
        assert_knn_matches(x, dist, idx, 7, metric, rtol, check_idx=backend != "faiss")

    def test_very_different_column_scales(self, backend, metric, rng):
        x = rng.standard_normal((300, 4)) * np.array([1e-6, 1.0, 1e4, 1e2])
        dist, idx = knn(x, 5, metric=metric, backend=backend)
        assert_knn_matches(
            x, dist, idx, 5, metric, rtol_for(np.float64, backend), check_idx=backend != "faiss"
        )

    def test_quantised_data_with_many_ties(self, backend, metric, rng):
        x = rng.integers(0, 4, size=(400, 2)).astype(np.float64)
        dist, idx = knn(x, 5, metric=metric, backend=backend)
        assert_knn_matches(
            x,
            dist,
            idx,
            5,
            metric,
            0.0 if backend != "faiss" else 1e-6,
            check_idx=backend != "faiss",
        )


def test_knn_ties_go_to_smaller_index():
    # 0 and 2 are both at distance 1 from 1; index 0 must come first
    x = np.array([[0.0], [1.0], [2.0], [10.0]])
    for algorithm in ("kdtree", "brute"):
        _, idx = _core.knn(x, 2, "euclidean", algorithm, 0)
        np.testing.assert_array_equal(idx[1], [0, 2])


# ---------------------------------------------------------------------------
# strict radius counts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", COUNT_BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", DIMS)
def test_count_within_matches_reference(backend, dtype, metric, d, rng):
    n = 160
    x = rng.standard_normal((n, d)).astype(dtype)
    radius = rng.uniform(0.2, 1.5, n) * np.sqrt(d)
    low, high = reference_count_within(
        x, radius, metric, rtol=1e-6 if dtype == np.float32 else 1e-12
    )
    counts = count_within(x, radius, metric=metric, backend=backend)
    assert counts.dtype == np.int64 and counts.shape == (n,)
    assert np.all((low <= counts) & (counts <= high))


@pytest.mark.parametrize("backend", COUNT_BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", [1, 2, 4, 9, 33])
def test_count_at_knn_radius_is_exactly_k_minus_one(backend, dtype, metric, d, rng):
    # strictness, bit for bit: with the k-th neighbour distance as radius the
    # k-th neighbour itself must not be counted (continuous data: no ties)
    n, k = 300, 4
    x = rng.standard_normal((n, d)).astype(dtype)
    dist, _ = _core.knn(x, k, metric, "kdtree", 0)
    counts = count_within(x, dist[:, -1], metric=metric, backend=backend)
    np.testing.assert_array_equal(counts, k - 1)


@pytest.mark.parametrize("backend", COUNT_BACKENDS)
@pytest.mark.parametrize("metric", METRICS)
def test_count_within_edge_cases(backend, metric, rng):
    x = np.concatenate([np.zeros((5, 2)), rng.standard_normal((30, 2))])
    # radius 0 counts nothing, even duplicates
    np.testing.assert_array_equal(count_within(x, 0.0, metric=metric, backend=backend), 0)
    # an infinite radius counts every other point
    np.testing.assert_array_equal(
        count_within(x, np.inf, metric=metric, backend=backend), len(x) - 1
    )
    # duplicates are counted at any positive radius
    counts = count_within(x, 1e-300, metric=metric, backend=backend)
    np.testing.assert_array_equal(counts[:5], 4)
    # identical points, tiny radius
    same = np.ones((17, 3))
    np.testing.assert_array_equal(count_within(same, 0.5, metric=metric, backend=backend), 16)
    # two points
    two = np.array([[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(
        count_within(two, [1.0, 1.5], metric=metric, backend=backend), [0, 1]
    )


@pytest.mark.parametrize("backend", COUNT_BACKENDS)
@pytest.mark.parametrize("metric", METRICS)
def test_count_within_1d_quantised(backend, metric, rng):
    # the sorted-array path for d = 1, with many exact ties on the boundary
    x = rng.integers(0, 10, size=(500, 1)).astype(np.float64)
    radius = rng.integers(0, 4, size=500).astype(np.float64)
    low, high = reference_count_within(x, radius, metric)
    np.testing.assert_array_equal(count_within(x, radius, metric=metric, backend=backend), low)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", [2, 7, 40])
def test_count_kdtree_and_brute_agree_exactly(dtype, metric, d, rng):
    x = rng.standard_normal((800, d)).astype(dtype)
    radius = rng.uniform(0.3, 1.2, 800).astype(dtype) * np.sqrt(d).astype(dtype)
    a = _core.count_within(x, radius, metric, "kdtree", 0)
    b = _core.count_within(x, radius, metric, "brute", 0)
    np.testing.assert_array_equal(a, b)


def test_float64_radius_for_float32_points_keeps_strictness(rng):
    x = rng.standard_normal((200, 3)).astype(np.float32)
    dist, _ = _core.knn(x, 3, "chebyshev", "kdtree", 0)
    # the same radius in float64 must count exactly as the float32 one
    for backend in ("kdtree", "brute"):
        a = count_within(x, dist[:, -1].astype(np.float64), backend=backend)
        b = count_within(x, dist[:, -1], backend=backend)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, 2)
    # a float64 radius between two float32 values rounds up without changing counts
    r = np.full(200, 0.1)
    low, _ = reference_count_within(x, r, "chebyshev")
    np.testing.assert_array_equal(count_within(x, r, backend="brute"), low)


# ---------------------------------------------------------------------------
# fused pair counts (KSG)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["auto", *COUNT_BACKENDS])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (2, 3), (8, 8), (1, 17)])
def test_count_within_pair_consistent_with_count_within(backend, dtype, metric, dx, dy, rng):
    n = 250
    x = rng.standard_normal((n, dx)).astype(dtype)
    y = (x[:, :1] + rng.standard_normal((n, dy))).astype(dtype)
    joint = np.hstack([x, y])
    eps, _ = _core.knn(joint, 3, "chebyshev", "brute", 0)
    radius = eps[:, -1]
    cx, cy = count_within_pair(x, y, radius, metric=metric, backend=backend)
    np.testing.assert_array_equal(cx, _core.count_within(x, radius, metric, "brute", 0))
    np.testing.assert_array_equal(cy, _core.count_within(y, radius, metric, "brute", 0))
    if metric == "chebyshev":  # the KSG property: the k-1 closer joint neighbours are inside both
        assert np.all(cx >= 2) and np.all(cy >= 2)
        # float32 differences are rounded, so a marginal distance can land on eps
        low, high = reference_count_within(
            x, radius, metric, rtol=1e-6 if dtype == np.float32 else 0.0
        )
        assert np.all((low <= cx) & (cx <= high))


# ---------------------------------------------------------------------------
# several radii per point (one kd-tree pass)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", [1, 2, 5, 9])
@pytest.mark.parametrize("data", ["gaussian", "lattice"])
def test_count_within_radii_equals_count_within_per_column(dtype, metric, d, data, rng):
    n, m = 400, 3
    if data == "lattice":  # many ties, radii equal to lattice distances
        x = rng.integers(0, 3, (n, d)).astype(dtype)
        radius = rng.choice([0.0, 1.0, 1.5, 2.0], (n, m)).astype(dtype)
    else:
        x = rng.standard_normal((n, d)).astype(dtype)
        radius = (np.abs(rng.standard_normal((n, m))) * 0.3 * d).astype(dtype)
        radius[:10] = 0.0
    got = _core.count_within_radii(x, radius, metric, 2)
    assert got.shape == (n, m) and got.dtype == np.int64
    for j in range(m):
        col = np.ascontiguousarray(radius[:, j])
        np.testing.assert_array_equal(got[:, j], _core.count_within(x, col, metric, "brute", 1))


@pytest.mark.parametrize("backend", ["auto", *COUNT_BACKENDS])
@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (2, 3), (12, 12)])
def test_count_within_pair_radii_equals_pair_counts_per_radius(backend, dx, dy, rng):
    n = 300
    x = rng.standard_normal((n, dx))
    y = x[:, :1] + rng.standard_normal((n, dy))
    dist, _ = _core.knn(np.hstack([x, y]), 2, "chebyshev", "brute", 0)
    cx, cy = _neighbors.count_within_pair_radii(x, y, dist, backend=backend)
    for j in range(2):
        ex, ey = count_within_pair(x, y, dist[:, j], backend="brute")
        np.testing.assert_array_equal(cx[:, j], ex)
        np.testing.assert_array_equal(cy[:, j], ey)


def test_count_within_radii_bad_radius_is_a_clear_error(rng):
    x = rng.standard_normal((50, 2))
    with pytest.raises(ValueError, match=r"radius must have one entry per sample \(shape \(n,\) or \(n, m\) with 1 <= m <= 8\)"):
        _core.count_within_radii(x, np.ones((50, 9)), "chebyshev", 1)
    with pytest.raises(ValueError, match="radius must be non-negative and not NaN"):
        _core.count_within_radii(x, -np.ones((50, 2)), "chebyshev", 1)
    with pytest.raises(ValueError, match=r"radii must have shape \(n_samples, m\) with 1 <= m <= 8; got shape \(50,\)"):
        _neighbors.count_within_radii(x, np.ones(50))


# ---------------------------------------------------------------------------
# KL terms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_point_terms(dtype, rng):
    dist = rng.uniform(0.1, 2.0, (50, 4)).astype(dtype)
    weights = np.array([0.0, 0.5, 0.0, 0.5])
    offsets = np.array([1.0, 2.0, 3.0, 4.0])
    out = _core.kl_point_terms(dist, weights, 3, offsets, 0)
    expected = (weights * (3 * np.log(dist.astype(np.float64)) + offsets)).sum(axis=1)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_kl_point_terms_skips_zero_weights_at_zero_distance():
    dist = np.array([[0.0, 1.0, 2.0]])
    out = _core.kl_point_terms(dist, np.array([0.0, 0.0, 1.0]), 2, np.zeros(3), 1)
    np.testing.assert_allclose(out, [2 * np.log(2.0)])
    assert np.isneginf(_core.kl_point_terms(dist, np.array([1.0, 0.0, 0.0]), 2, np.zeros(3), 1)[0])


def test_kl_point_terms_shape_errors():
    with pytest.raises(
        ValueError,
        match=r"weights must be a 1-D array with one entry per neighbour order "
        r"\(dist.shape=\(5, 3\)\); got weights.shape=\(2,\)",
    ):
        _core.kl_point_terms(np.ones((5, 3)), np.ones(2), 1, np.ones(3), 0)
    with pytest.raises(ValueError, match=r"offsets must be .*offsets.shape=\(4,\)"):
        _core.kl_point_terms(np.ones((5, 3)), np.ones(3), 1, np.ones(4), 0)


# ---------------------------------------------------------------------------
# errors: kernels
# ---------------------------------------------------------------------------


def test_core_k_errors():
    x = np.zeros((8, 2))
    for algorithm in ("kdtree", "brute"):
        with pytest.raises(ValueError, match=r"k=10 must be smaller than n_samples=8"):
            _core.knn(x, 10, "euclidean", algorithm, 0)
        with pytest.raises(ValueError, match=r"k=8 must be smaller than n_samples=8"):
            _core.knn(x, 8, "euclidean", algorithm, 0)
        with pytest.raises(ValueError, match=r"k=0 must be at least 1"):
            _core.knn(x, 0, "euclidean", algorithm, 0)


def test_core_dtype_errors():
    with pytest.raises(TypeError, match=r"x must have dtype float32 or float64; got dtype int64"):
        _core.knn(np.zeros((5, 2), dtype=np.int64), 1, "euclidean", "kdtree", 0)
    with pytest.raises(TypeError, match=r"x must have dtype float32 or float64; got dtype float16"):
        _core.count_within(np.zeros((5, 2), dtype=np.float16), np.ones(5), "chebyshev", "brute", 0)
    with pytest.raises(
        ValueError, match=r"x and y must have the same dtype; got x.dtype=float64, y.dtype=float32"
    ):
        _core.count_within_pair(
            np.zeros((5, 1)), np.zeros((5, 1), np.float32), np.ones(5), "chebyshev", 0
        )
    with pytest.raises(
        ValueError, match=r"radius must have the same dtype as the points; got radius.dtype=float64"
    ):
        _core.count_within(np.zeros((5, 1), np.float32), np.ones(5), "chebyshev", "kdtree", 0)


def test_core_shape_errors():
    with pytest.raises(
        ValueError, match=r"x must be a 2-D array \(n_samples, n_features\); got x.shape=\(5,\)"
    ):
        _core.knn(np.zeros(5), 1, "euclidean", "kdtree", 0)
    with pytest.raises(ValueError, match=r"x must have at least 1 feature; got n_features=0"):
        _core.knn(np.zeros((5, 0)), 1, "euclidean", "kdtree", 0)
    with pytest.raises(ValueError, match=r"x must have at least 2 samples; got n_samples=1"):
        _core.count_within(np.zeros((1, 2)), np.ones(1), "euclidean", "kdtree", 0)
    with pytest.raises(
        ValueError,
        match=r"x and y must have the same number of samples; got x.shape=\(5, 1\), y.shape=\(4, 1\)",
    ):
        _core.count_within_pair(np.zeros((5, 1)), np.zeros((4, 1)), np.ones(5), "chebyshev", 0)
    with pytest.raises(
        ValueError,
        match=r"radius must have one entry per sample; got radius.shape=\(4,\), x.shape=\(5, 2\)",
    ):
        _core.count_within(np.zeros((5, 2)), np.ones(4), "chebyshev", "brute", 0)


def test_core_value_errors():
    x = np.zeros((6, 2))
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite values"):
        _core.knn(x, 2, "euclidean", "kdtree", 0)
    with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite values"):
        _core.count_within(x, np.ones(6), "euclidean", "brute", 0)
    with pytest.raises(
        ValueError, match=r"radius must be non-negative and not NaN; got radius\[2\]=-1"
    ):
        _core.count_within(
            np.zeros((6, 2)), np.array([1, 1, -1, 1, 1, 1.0]), "euclidean", "kdtree", 0
        )
    with pytest.raises(
        ValueError, match=r"metric must be 'euclidean' or 'chebyshev'; got 'manhattan'"
    ):
        _core.knn(np.zeros((6, 2)), 2, "manhattan", "kdtree", 0)
    with pytest.raises(ValueError, match=r"algorithm must be 'kdtree' or 'brute'; got 'ball_tree'"):
        _core.knn(np.zeros((6, 2)), 2, "euclidean", "ball_tree", 0)


def test_core_accepts_non_contiguous_input(rng):
    x = rng.standard_normal((100, 6))
    view = x[:, ::2]
    np.testing.assert_array_equal(
        _core.knn(view, 3, "euclidean", "brute", 0)[1],
        _core.knn(view.copy(), 3, "euclidean", "brute", 0)[1],
    )


# ---------------------------------------------------------------------------
# errors and policy: pymi._neighbors
# ---------------------------------------------------------------------------


def test_neighbors_name_errors():
    x = np.zeros((10, 2))
    with pytest.raises(
        ValueError,
        match=r"backend must be one of \['auto', 'kdtree', 'brute', 'faiss', 'cuda'\]; got 'annoy'",
    ):
        knn(x, 2, backend="annoy")
    with pytest.raises(
        ValueError, match=r"metric must be one of \['euclidean', 'chebyshev'\]; got 'cosine'"
    ):
        knn(x, 2, metric="cosine")
    with pytest.raises(
        ValueError, match=r"backend='faiss' supports knn only; for count_within use one of"
    ):
        count_within(x, 1.0, backend="faiss")
    with pytest.raises(
        ValueError, match=r"device must be one of \['auto', 'cpu', 'cuda'\]; got 'gpu'"
    ):
        knn(x, 2, device="gpu")
    with pytest.raises(
        ValueError, match=r"n_jobs must be -1 \(all cores\) or a positive integer; got 0"
    ):
        knn(x, 2, n_jobs=0)


def test_neighbors_input_errors():
    with pytest.raises(ValueError, match=r"k=10 must be smaller than n_samples=8"):
        knn(np.zeros((8, 2)), 10)
    with pytest.raises(
        ValueError,
        match=r"x must be a 2-D array of shape \(n_samples, n_features\); got shape \(8,\); pass x.reshape\(-1, 1\)",
    ):
        knn(np.zeros(8), 2)
    with pytest.raises(
        TypeError, match=r"x must contain float32 or float64 values; got dtype complex128"
    ):
        knn(np.zeros((8, 2), dtype=complex), 2)
    with pytest.raises(TypeError, match=r"k must be an integer; got 2.5"):
        knn(np.zeros((8, 2)), 2.5)
    with pytest.raises(
        ValueError,
        match=r"x and y must have the same number of samples; got x.shape=\(8, 2\), y.shape=\(7, 1\)",
    ):
        count_within_pair(np.zeros((8, 2)), np.zeros((7, 1)), 1.0)
    with pytest.raises(
        ValueError, match=r"x and y must have the same dtype; got x.dtype=float64, y.dtype=float32"
    ):
        count_within_pair(np.zeros((8, 2)), np.zeros((8, 1), np.float32), 1.0)
    with pytest.raises(
        ValueError,
        match=r"radius must be a scalar or have shape \(n_samples,\) = \(8,\); got shape \(3,\)",
    ):
        count_within(np.zeros((8, 2)), np.ones(3))


def test_integer_input_is_converted(rng):
    xi = rng.integers(0, 100, (50, 2))
    d1, i1 = knn(xi, 3, backend="kdtree")
    d2, i2 = knn(xi.astype(np.float64), 3, backend="kdtree")
    np.testing.assert_array_equal(d1, d2)
    np.testing.assert_array_equal(i1, i2)


def test_device_resolution_without_cuda(monkeypatch):
    from pymi import _device

    monkeypatch.setattr(_device, "cuda_device_count", lambda: 0)
    assert _device.resolve_device("auto") == "cpu"
    assert _device.resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match=r"device='cuda' was requested but .*pass device='cpu'"):
        _device.resolve_device("cuda")
    with pytest.raises(ValueError, match=r"device='cuda' was requested"):
        knn(np.zeros((5, 1)), 1, device="cuda")


def test_auto_backend_resolves_to_cuda_with_a_device(monkeypatch):
    from pymi import _device

    calls = []
    monkeypatch.setattr(_device, "cuda_device_count", lambda: 1)
    real_knn = _core.knn

    def fake_knn(x, k, metric, algorithm, n_jobs, device):
        calls.append((k, metric, device))
        return real_knn(x, k, metric, algorithm, n_jobs)

    monkeypatch.setattr(_core, "knn", fake_knn)
    assert knn(np.zeros((5, 1)), 2, metric="chebyshev")[0].shape == (5, 2)
    assert calls == [(2, "chebyshev", "cuda")]
    calls.clear()
    # an explicit CPU backend or device stays on the CPU
    assert knn(np.zeros((5, 1)), 2, device="cpu")[0].shape == (5, 2)
    assert knn(np.zeros((5, 1)), 2, backend="kdtree")[0].shape == (5, 2)
    assert [c[2] for c in calls] == ["cpu", "cpu"]


def test_algorithm_choice():
    assert _neighbors.choose_knn_algorithm(100_000, 2, 5, "euclidean") == "kdtree"
    assert _neighbors.choose_knn_algorithm(100_000, 32, 5, "chebyshev") == "brute"
    assert _neighbors.choose_knn_algorithm(100, 2, 5, "euclidean") == "brute"
    assert _neighbors.choose_count_algorithm(1_000_000, 1, "chebyshev") == "kdtree"
    assert _neighbors.choose_count_algorithm(100_000, 16, "chebyshev") == "brute"
    with pytest.raises(ValueError, match="metric must be one of"):
        _neighbors.choose_knn_algorithm(10, 2, 1, "l1")


# ---------------------------------------------------------------------------
# CUDA launch paths that small inputs never reach (skipped without a GPU)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [60, 120])
def test_cuda_knn_large_k_lists(dtype, k, rng):
    """k = 60: the top-k lists need the opt-in shared memory above 48 KiB;
    k = 120: they live in global memory. Both must match the reference."""
    x = rng.standard_normal((700, 6)).astype(dtype)
    for metric in METRICS:
        dist, idx = knn(x, k, metric=metric, backend="cuda")
        assert_knn_matches(x, dist, idx, k, metric, rtol_for(dtype, "cuda"))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_counts_split_reference_range(dtype, rng):
    """n = 3000: the reference points are split over several blocks per query
    block (blockIdx.y) and the partial counts merged; counts must equal the
    CPU kd-tree's exactly (Chebyshev: no rounding in the distances)."""
    x = rng.standard_normal((3000, 3)).astype(dtype)
    y = rng.standard_normal((3000, 2)).astype(dtype)
    r = np.abs(rng.standard_normal(3000)).astype(dtype) * dtype(0.3)
    want = count_within(x, r, metric="chebyshev", backend="kdtree")
    np.testing.assert_array_equal(count_within(x, r, metric="chebyshev", backend="cuda"), want)
    wx, wy = count_within_pair(x, y, r, metric="chebyshev", backend="kdtree")
    gx, gy = count_within_pair(x, y, r, metric="chebyshev", backend="cuda")
    np.testing.assert_array_equal(gx, wx)
    np.testing.assert_array_equal(gy, wy)


@pytest.mark.cuda
def test_cuda_rejects_non_finite_points():
    x = np.zeros((10, 2))
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        _core.knn(x, 2, "euclidean", device="cuda")
    with pytest.raises(ValueError, match="NaN or infinite"):
        _core.count_within(x, np.ones(10), "chebyshev", device="cuda")


# --- regressions from the session-4 review -----------------------------------


@pytest.mark.parametrize("n", [40, 70, 150, 333])
def test_kdtree_partial_leaf_lanes_never_enter_the_list(n):
    # all distances overflow to +inf: lanes past a leaf's end (also +inf) used to
    # pass "<= worst" while the list filled, reading perm past the leaf and
    # returning the point itself or one neighbour twice
    x = (np.random.default_rng(0).standard_normal((n, 2)) * 1e20).astype(np.float32)
    _, idx = _core.knn(x, 20, "euclidean", "kdtree", 0)
    for i, row in enumerate(idx):
        assert i not in row
        assert len(set(row.tolist())) == len(row)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_squared_distance_overflow_is_refused(dtype):
    from pymi import _kde

    big = np.sqrt(np.finfo(dtype).max) / 2
    x = (np.random.default_rng(1).standard_normal((50, 2)) * big).astype(dtype)
    with pytest.raises(ValueError, match=r"squared Euclidean distances overflow"):
        knn(x, 3)
    with pytest.raises(ValueError, match=r"squared Euclidean distances overflow"):
        count_within(x, 1.0, metric="euclidean")
    with pytest.raises(ValueError, match=r"squared Euclidean distances overflow"):
        _kde.loo_log_density(x, np.array([1.0]))
    knn(x, 3, metric="chebyshev")  # no squares: fine


def test_ksg_faiss_backend_counts_with_pymi():
    pytest.importorskip("faiss")
    from pymi.estimators import KSG

    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 2))
    y = x + rng.standard_normal((500, 2))
    a = KSG(backend="faiss").mutual_information(x, y)
    b = KSG(backend="brute").mutual_information(x, y)
    assert a.value == pytest.approx(b.value, abs=1e-9)


def test_kde_n_jobs_beyond_the_work_is_harmless():
    # a smoke test: the cap itself (no more threads than row blocks) is not
    # observable from Python; this checks the results and that nothing breaks
    x = np.random.default_rng(3).standard_normal((200, 2))
    h = np.array([0.5])
    s = np.zeros(200)
    np.testing.assert_array_equal(
        _core.kde_log_kernel_sums(x, h, s, 2000), _core.kde_log_kernel_sums(x, h, s, 1)
    )
