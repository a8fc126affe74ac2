"""scikit-learn-compatible MI feature scores and pairwise MI matrices."""

from __future__ import annotations

import numpy as np
import pytest

import pymi
from pymi.datasets import correlated_normal


# ------------------------------------------------------------ without sklearn
def test_regression_gaussian_truth():
    # KSG with k=3 on a bivariate normal: bias < 0.01 nats at n = 4000, sd ~0.015
    rng = np.random.default_rng(0)
    rho = 0.8
    x = rng.standard_normal(4000)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(4000)
    X = np.stack([x, rng.standard_normal(4000)], axis=1)
    mi = pymi.mutual_info_regression(X, y, random_state=0)
    assert mi.shape == (2,)
    assert abs(mi[0] - (-0.5 * np.log(1 - rho**2))) < 0.06
    assert 0.0 <= mi[1] < 0.03


def test_discrete_discrete_is_plugin():
    X = np.array([[0, 0, 0], [1, 1, 0], [2, 0, 1], [2, 0, 1], [2, 0, 1]])
    y = np.array([0, 1, 2, 2, 1])
    mi = pymi.mutual_info_classif(X, y, discrete_features=True)
    # column 0: H(y) - H(y | x0) from the 5 rows
    p = np.array([1, 2, 2]) / 5
    h_y = -np.sum(p * np.log(p))
    h_y_given = 3 / 5 * -(1 / 3 * np.log(1 / 3) + 2 / 3 * np.log(2 / 3))
    assert mi[0] == pytest.approx(h_y - h_y_given)
    # column 2 = [0, 0, 1, 1, 1]: y | 0 in {0, 1}, y | 1 in {2, 2, 1}
    assert mi[2] == pytest.approx(h_y - 2 / 5 * np.log(2) - h_y_given)
    assert np.argsort(-mi).tolist() == [0, 2, 1]


def test_classif_mixed_ranking():
    rng = np.random.default_rng(0)
    X = rng.random((1000, 3))
    X[:, 1] += X[:, 0]
    y = ((0.5 * X[:, 0] + X[:, 2]) > 0.5).astype(int)
    X[:, 2] = X[:, 2] > 0.5
    mi = pymi.mutual_info_classif(X, y, discrete_features=[2], n_neighbors=3, random_state=0)
    assert np.argsort(-mi).tolist() == [2, 0, 1]


def test_threads_do_not_change_scores():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 6))
    y = X[:, 0] + X[:, 1] ** 2 + rng.standard_normal(500)
    a = pymi.mutual_info_regression(X, y, random_state=3, n_jobs=1)
    b = pymi.mutual_info_regression(X, y, random_state=3, n_jobs=-1)
    np.testing.assert_array_equal(a, b)
    c = pymi.mutual_info_regression(X, y, random_state=np.random.RandomState(3))
    assert np.argsort(-c)[:2].tolist() == np.argsort(-a)[:2].tolist()


def test_does_not_modify_input():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 3))
    keep = X.copy()
    pymi.mutual_info_regression(X, X[:, 0] + 1.0, copy=False, random_state=0)
    np.testing.assert_array_equal(X, keep)


def test_errors():
    X = np.random.default_rng(0).standard_normal((50, 2))
    y = X[:, 0]
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        pymi.mutual_info_regression(X[:, 0], y)
    with pytest.raises(ValueError, match="same number of samples"):
        pymi.mutual_info_regression(X, y[:10])
    with pytest.raises(ValueError, match="n_neighbors must be"):
        pymi.mutual_info_regression(X, y, n_neighbors=0)
    with pytest.raises(ValueError, match="n_neighbors=50 must be smaller than n_samples=50"):
        pymi.mutual_info_regression(X, y, n_neighbors=50)
    with pytest.raises(ValueError, match="discrete_features must be 'auto'"):
        pymi.mutual_info_regression(X, y, discrete_features="yes")
    with pytest.raises(ValueError, match="boolean mask must have shape"):
        pymi.mutual_info_regression(X, y, discrete_features=np.array([True]))
    with pytest.raises(ValueError, match="indices must lie in"):
        pymi.mutual_info_regression(X, y, discrete_features=[5])
    with pytest.raises(ValueError, match="needs class labels"):
        pymi.mutual_info_classif(X, y)
    with pytest.raises(ValueError, match="NaN or inf"):
        pymi.mutual_info_regression(np.where(X > 1, np.nan, X), y)
    with pytest.raises(TypeError, match="copy must be True or False"):
        pymi.mutual_info_regression(X, y, copy="no")
    with pytest.raises(TypeError, match="y must be numeric"):
        pymi.mutual_info_regression(X, np.array(["a"] * 50))
    with pytest.raises(ValueError, match="n_jobs must be"):
        pymi.mutual_info_regression(X, y, n_jobs=-3)


# ---------------------------------------------------------- against sklearn
def test_same_values_and_ranking_as_sklearn_regression():
    fs = pytest.importorskip("sklearn.feature_selection")
    # scikit-learn's own test: a 4-D Gaussian, ranking [1, 2, 0]
    t = np.array([[1, 0.5, 2, 1], [0, 1, 0.1, 0.0], [0, 0.1, 1, 0.1], [0, 0.1, 0.1, 1]])
    z = np.random.RandomState(0).multivariate_normal(np.zeros(4), t @ t.T, size=1000)
    X, y = z[:, 1:], z[:, 0]
    ours = pymi.mutual_info_regression(X, y, random_state=0)
    theirs = fs.mutual_info_regression(X, y, random_state=0)
    assert np.argsort(-ours).tolist() == np.argsort(-theirs).tolist() == [1, 2, 0]
    # the same estimator: only the 1e-10 noise differs
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    # the F-test vs MI example of scikit-learn's gallery
    rng = np.random.RandomState(0)
    X = rng.rand(1000, 3)
    y = X[:, 0] + np.sin(6 * np.pi * X[:, 1]) + 0.1 * rng.randn(1000)
    ours = pymi.mutual_info_regression(X, y, random_state=0)
    theirs = fs.mutual_info_regression(X, y, random_state=0)
    assert np.argsort(-ours).tolist() == np.argsort(-theirs).tolist()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_same_values_as_sklearn_classif_and_mixed():
    fs = pytest.importorskip("sklearn.feature_selection")
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=2, n_clusters_per_class=1, shuffle=False,
        random_state=42,
    )
    ours = pymi.mutual_info_classif(X, y, random_state=0)
    theirs = fs.mutual_info_classif(X, y, random_state=0)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    # a discrete feature with a continuous target (Ross with the roles swapped)
    rng = np.random.RandomState(1)
    d = rng.randint(0, 4, 500)
    X = np.stack([d, rng.randn(500)], axis=1).astype(float)
    y = d + rng.randn(500)
    ours = pymi.mutual_info_regression(X, y, discrete_features=[0], random_state=0)
    theirs = fs.mutual_info_regression(X, y, discrete_features=[0], random_state=0)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_select_k_best():
    fs = pytest.importorskip("sklearn.feature_selection")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 5))
    y = (X[:, 3] + 0.3 * rng.standard_normal(400) > 0).astype(int)
    sel = fs.SelectKBest(pymi.mutual_info_classif, k=1).fit(X, y)
    assert sel.get_support().tolist() == [False, False, False, True, False]


# ---------------------------------------------------------------- pairwise
def test_pairwise_matrix():
    s = correlated_normal(0.7, 1, 1, 3000, random_state=0)
    rng = np.random.default_rng(1)
    X = np.hstack([s.x, s.y, rng.standard_normal((3000, 1))])
    m = pymi.pairwise_mutual_information(X, random_state=0)
    assert m.shape == (3, 3)
    assert np.all(np.isnan(np.diag(m)))
    np.testing.assert_array_equal(m, m.T)
    assert abs(m[0, 1] - 0.7) < 0.06
    assert abs(m[0, 2]) < 0.04 and abs(m[1, 2]) < 0.04
    # the entries are the MI of the pairs
    assert m[0, 1] == pytest.approx(pymi.mutual_information(s.x, s.y, "ksg").value, abs=1e-12)
    bits = pymi.pairwise_mutual_information(X, base="bits", n_jobs=1, random_state=0)
    np.testing.assert_allclose(bits, m / np.log(2))


def test_pairwise_groups():
    s = correlated_normal(1.0, 2, 2, 2000, random_state=3)
    X = np.hstack([s.x, s.y])
    m = pymi.pairwise_mutual_information(X, groups=[[0, 1], [2, 3]], method="cksg", random_state=0)
    assert m.shape == (2, 2)
    assert abs(m[0, 1] - 1.0) < 0.1


def test_pairwise_errors():
    X = np.random.default_rng(0).standard_normal((100, 3))
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        pymi.pairwise_mutual_information(X[:, 0])
    with pytest.raises(ValueError, match="at least two columns"):
        pymi.pairwise_mutual_information(X[:, :1])
    with pytest.raises(ValueError, match="outside"):
        pymi.pairwise_mutual_information(X, groups=[[0], [3]])
    with pytest.raises(ValueError, match="at least two groups"):
        pymi.pairwise_mutual_information(X, groups=[[0, 1, 2]])
    with pytest.raises(TypeError, match="groups must be None or a sequence"):
        pymi.pairwise_mutual_information(X, groups="ab")
    with pytest.raises(ValueError, match="non-empty list of integer"):
        pymi.pairwise_mutual_information(X, groups=[[0], []])
    with pytest.raises(TypeError, match="takes no bogus"):
        pymi.pairwise_mutual_information(X, bogus=1)


def test_pairwise_fast_path_equals_estimator_and_ties_take_the_general_path():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((600, 4))
    X[:, 1] += X[:, 0]
    fast = pymi.pairwise_mutual_information(X, k=4, n_jobs=1)
    general = pymi.pairwise_mutual_information(X, k=4, n_jobs=1, whiten=True)  # an option: general path
    np.testing.assert_allclose(fast, general, atol=1e-12)
    Xt = X.copy()
    Xt[:10, 2] = 0.0  # ties: jittered with a warning by the estimator
    with pytest.warns(pymi.TiesWarning):
        m = pymi.pairwise_mutual_information(Xt, k=4, n_jobs=1, random_state=0)
    assert np.isfinite(m[0, 2])
