"""Per-feature mutual information scores (scikit-learn's API) and pairwise MI matrices.

:func:`mutual_info_regression` and :func:`mutual_info_classif` take
scikit-learn's arguments and follow its semantics (so they drop into
``SelectKBest(score_func=...)``): continuous features are scaled to unit
standard deviation and get noise of 1e-10 times ``max(1, mean |x|)``, each
feature's MI with the target is estimated on its own — KSG (Kraskov et al.
2004, algorithm 1) for two continuous variables, the estimator of Ross (2014)
for a continuous and a discrete one, the plug-in (contingency-table) MI for two
discrete ones — and negative estimates are reported as 0, as scikit-learn does.
The neighbour searches and counts run in pymi's compiled kernels, one feature
per thread.

References
----------
A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information",
Phys. Rev. E 69, 066138 (2004).
B. C. Ross, "Mutual information between discrete and continuous data sets",
PLoS ONE 9(2), e87357 (2014).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from typing import Any

import numpy as np
from scipy.special import digamma

from . import _neighbors
from ._estimate import unit_factor
from ._params import Interval, check_param
from ._validation import _to_numpy, resolve_n_jobs

__all__ = ["mutual_info_classif", "mutual_info_regression", "pairwise_mutual_information"]


# --------------------------------------------------------------------- checks
def _rng(random_state: Any) -> np.random.Generator:
    """A Generator from scikit-learn-style ``random_state`` (None, int, RandomState, Generator)."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    from ._random import check_random_state

    return check_random_state(random_state)


def _sk_n_jobs(n_jobs: Any) -> int:
    """scikit-learn's rule: None means 1, -1 all cores, else a positive count."""
    if n_jobs is None:
        return 1
    return resolve_n_jobs(n_jobs)


def _check_X(X: Any) -> tuple[np.ndarray, bool]:
    sparse = hasattr(X, "toarray") and hasattr(X, "nnz")
    arr = X.toarray() if sparse else _to_numpy(X)
    if arr.ndim != 2:
        msg = (
            f"X must be a 2-D array of shape (n_samples, n_features); got shape {arr.shape}"
            + ("; pass X.reshape(-1, 1) for a single feature" if arr.ndim == 1 else "")
        )
        raise ValueError(msg)
    if arr.dtype.kind not in "biuf":
        msg = f"X must hold numbers (bool, integer or float); got dtype {arr.dtype}"
        raise TypeError(msg)
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        msg = f"X needs at least 2 samples and 1 feature; got shape {arr.shape}"
        raise ValueError(msg)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        msg = f"X contains {int(np.sum(~np.isfinite(arr)))} NaN or inf values; drop or impute those rows first"
        raise ValueError(msg)
    return arr, sparse


def _check_y(y: Any, n: int, discrete: bool) -> np.ndarray:
    arr = _to_numpy(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        msg = f"y must be a 1-D array with one target value per sample; got shape {arr.shape}"
        raise ValueError(msg)
    if arr.shape[0] != n:
        msg = f"X and y must have the same number of samples; got X with {n} rows, y with {arr.shape[0]}"
        raise ValueError(msg)
    if discrete:
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)):
                msg = "y contains NaN or inf labels; drop those rows first"
                raise ValueError(msg)
            if not np.all(arr == np.round(arr)):
                msg = (
                    "y holds continuous values but mutual_info_classif needs class labels; "
                    "use mutual_info_regression for a continuous target"
                )
                raise ValueError(msg)
        return arr
    if arr.dtype.kind not in "biuf":
        msg = f"y must be numeric for mutual_info_regression; got dtype {arr.dtype} (labels: use mutual_info_classif)"
        raise TypeError(msg)
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        msg = f"y contains {int(np.sum(~np.isfinite(arr)))} NaN or inf values; drop those rows first"
        raise ValueError(msg)
    return arr


def _discrete_mask(discrete_features: Any, n_features: int, sparse: bool) -> np.ndarray:
    if isinstance(discrete_features, str):
        if discrete_features != "auto":
            msg = (
                f"discrete_features must be 'auto', a bool, a boolean mask or an array of "
                f"column indices; got {discrete_features!r}"
            )
            raise ValueError(msg)
        return np.full(n_features, sparse)
    if isinstance(discrete_features, (bool, np.bool_)):
        return np.full(n_features, bool(discrete_features))
    arr = np.asarray(discrete_features)
    if arr.dtype == bool:
        if arr.shape != (n_features,):
            msg = f"discrete_features as a boolean mask must have shape ({n_features},); got {arr.shape}"
            raise ValueError(msg)
        return arr.copy()
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        msg = (
            f"discrete_features must be 'auto', a bool, a boolean mask or a 1-D array of column "
            f"indices; got {discrete_features!r}"
        )
        raise ValueError(msg)
    if arr.size and (arr.min() < -n_features or arr.max() >= n_features):
        msg = f"discrete_features indices must lie in [0, {n_features}); got {arr.tolist()}"
        raise ValueError(msg)
    mask = np.zeros(n_features, dtype=bool)
    mask[arr] = True
    return mask


def _scale_and_jitter(col: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """scikit-learn's preprocessing of a continuous variable: unit std (no centring), then 1e-10 noise."""
    sd = col.std()
    out = col / sd if sd > 0 else col.copy()
    out += 1e-10 * max(1.0, float(np.mean(np.abs(out)))) * rng.standard_normal(out.shape[0])
    return out


# ------------------------------------------------------------- estimators
def _count_sorted(v: np.ndarray, radius: np.ndarray, n_jobs: int) -> np.ndarray:
    """Strict 1-D counts with the queries in ascending order of ``v`` (cache-friendly), in the input order."""
    order = np.argsort(v, kind="stable")
    counts = np.empty(v.shape[0], dtype=np.int64)
    counts[order] = _neighbors.count_within(
        np.ascontiguousarray(v[order, None]), np.ascontiguousarray(radius[order]), metric="chebyshev",
        n_jobs=n_jobs, device="cpu",
    )
    return counts


def _mi_cc(x: np.ndarray, y: np.ndarray, k: int, n_jobs: int, y_sorted: bool = False) -> float:
    """KSG algorithm 1 for two continuous 1-D variables (nats), clipped at 0.

    The estimate is a mean over rows, so the rows may come in any order: with
    ``y_sorted`` they are in ascending order of y, which makes the y counts
    (queries in order) about 3x faster.
    """
    n = x.shape[0]
    joint = np.stack([x, y], axis=1)
    dist, _ = _neighbors.knn(joint, k, metric="chebyshev", n_jobs=n_jobs, device="cpu")
    eps = np.ascontiguousarray(dist[:, -1])
    if y_sorted:
        ny = _neighbors.count_within(y[:, None], eps, metric="chebyshev", n_jobs=n_jobs, device="cpu")
    else:
        ny = _count_sorted(y, eps, n_jobs)
    nx = _count_sorted(x, eps, n_jobs)
    mi = digamma(n) + digamma(k) - np.mean(digamma(nx + 1.0)) - np.mean(digamma(ny + 1.0))
    return max(0.0, float(mi))


def _mi_cd(c: np.ndarray, d: np.ndarray, k: int, n_jobs: int) -> float:
    """Ross (2014) for continuous ``c`` and discrete ``d`` (nats), clipped at 0 (scikit-learn's variant).

    Per class, the radius is the distance to the min(k, count - 1)-th neighbour
    within the class; m counts all points strictly within it (the point itself
    included); samples whose class occurs once are left out.
    """
    _, codes, counts = np.unique(d, return_inverse=True, return_counts=True)
    codes = codes.reshape(-1)
    keep = counts[codes] > 1
    if not keep.any():
        return 0.0
    c, codes = c[keep], codes[keep]
    # a mean over rows: visit them in ascending order of c (cache-friendly searches)
    by_c = np.argsort(c, kind="stable")
    c, codes = np.ascontiguousarray(c[by_c]), codes[by_c]
    n = c.shape[0]
    radius = np.empty(n)
    k_all = np.empty(n)
    label_counts = counts[codes].astype(np.float64)
    by_class = np.argsort(codes, kind="stable") if counts.size > 16 else None
    if by_class is not None:
        bounds = np.searchsorted(codes[by_class], np.arange(counts.size + 1))
    for label in range(counts.size):
        # rows of the class, in ascending order of c
        rows = by_class[bounds[label] : bounds[label + 1]] if by_class is not None else np.flatnonzero(codes == label)
        if rows.size < 2:
            continue
        kk = min(k, rows.size - 1)
        dist, _ = _neighbors.knn(c[rows, None], kk, metric="chebyshev", n_jobs=n_jobs, device="cpu")
        radius[rows] = dist[:, -1]
        k_all[rows] = kk
    m = _neighbors.count_within(c[:, None], radius, metric="chebyshev", n_jobs=n_jobs, device="cpu") + 1.0
    mi = digamma(n) + np.mean(digamma(k_all)) - np.mean(digamma(label_counts)) - np.mean(digamma(m))
    return max(0.0, float(mi))


def _mi_dd(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in MI (nats) of two discrete variables from their contingency table."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    ia, ib = ia.reshape(-1), ib.reshape(-1)
    n = ia.size
    joint = np.bincount(ia * (ib.max() + 1) + ib)
    nz = joint[joint > 0].astype(np.float64)
    pa = np.bincount(ia).astype(np.float64)
    pb = np.bincount(ib).astype(np.float64)
    h = lambda cnt: -np.sum(cnt / n * np.log(cnt / n))  # noqa: E731
    return max(0.0, float(h(pa) + h(pb) - h(nz)))


def _estimate_mi(
    X: Any,
    y: Any,
    *,
    discrete_features: Any,
    discrete_target: bool,
    n_neighbors: int,
    copy: bool,
    random_state: Any,
    n_jobs: Any,
) -> np.ndarray:
    n_neighbors = check_param("n_neighbors", n_neighbors, [Interval(Integral, 1, None, closed="left")])
    if not isinstance(copy, (bool, np.bool_)):
        msg = f"copy must be True or False; got copy={copy!r}"
        raise TypeError(msg)
    Xa, sparse = _check_X(X)
    n, p = Xa.shape
    ya = _check_y(y, n, discrete_target)
    mask = _discrete_mask(discrete_features, p, sparse)
    if sparse and not mask.all():
        msg = "a sparse X can only hold discrete features; pass discrete_features=True or a dense X"
        raise ValueError(msg)
    if n_neighbors >= n:
        msg = f"n_neighbors={n_neighbors} must be smaller than n_samples={n}; lower n_neighbors"
        raise ValueError(msg)
    rng = _rng(random_state)
    threads = _sk_n_jobs(n_jobs)
    # draw every noise column up front, in column order, so the result does not depend on threads
    columns: list[np.ndarray] = []
    for j in range(p):
        col = Xa[:, j]
        if mask[j]:
            columns.append(col)
        else:
            columns.append(_scale_and_jitter(col.astype(np.float64), rng))
    if not discrete_target:
        ya = _scale_and_jitter(ya, rng)
        # every row order gives the same estimates: put the rows in ascending order of y once
        # (the y counts of every feature then query in order, which is faster)
        by_y = np.argsort(ya, kind="stable")
        ya = np.ascontiguousarray(ya[by_y])
        columns = [np.ascontiguousarray(col[by_y]) for col in columns]

    def one(j: int, nj: int) -> float:
        x = columns[j]
        if mask[j] and discrete_target:
            return _mi_dd(x, ya)
        if mask[j]:
            return _mi_cd(ya, x, n_neighbors, nj)
        if discrete_target:
            return _mi_cd(x, ya, n_neighbors, nj)
        return _mi_cc(x, ya, n_neighbors, nj, y_sorted=True)

    if threads <= 1 or p == 1:
        return np.array([one(j, 1) for j in range(p)])
    with ThreadPoolExecutor(max_workers=min(threads, p)) as pool:
        return np.array(list(pool.map(lambda j: one(j, 1), range(p))))


def mutual_info_regression(
    X: Any,
    y: Any,
    *,
    discrete_features: str | bool | Sequence[int] | np.ndarray = "auto",
    n_neighbors: int = 3,
    copy: bool = True,
    random_state: Any = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Mutual information (nats) between each feature and a continuous target.

    A drop-in replacement for :func:`sklearn.feature_selection.mutual_info_regression`
    with the same arguments and semantics, on pymi's compiled kernels.

    Parameters
    ----------
    X : array_like or sparse matrix, shape (n_samples, n_features)
        Features (a sparse matrix holds discrete features only).
    y : array_like, shape (n_samples,)
        Continuous target.
    discrete_features : {"auto"}, bool or array_like, default "auto"
        Which features are discrete: all (True) or none (False), a boolean
        mask, or column indices; "auto" means False for dense and True for
        sparse X.
    n_neighbors : int, default 3
        k of the KSG / Ross estimators.
    copy : bool, default True
        Kept for compatibility; X is never modified.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        Seeds the 1e-10 noise added to continuous variables.
    n_jobs : int or None, default None
        Features estimated in parallel threads: None means 1 (as in scikit-learn),
        -1 all cores.

    Returns
    -------
    ndarray of shape (n_features,)
        MI of each feature with y in nats, negative estimates set to 0.

    Examples
    --------
    >>> import numpy as np, pymi
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 3))
    >>> y = X[:, 0] + 0.1 * rng.standard_normal(1000)
    >>> int(np.argmax(pymi.mutual_info_regression(X, y, random_state=0)))
    0
    """
    return _estimate_mi(
        X, y, discrete_features=discrete_features, discrete_target=False, n_neighbors=n_neighbors,
        copy=copy, random_state=random_state, n_jobs=n_jobs,
    )


def mutual_info_classif(
    X: Any,
    y: Any,
    *,
    discrete_features: str | bool | Sequence[int] | np.ndarray = "auto",
    n_neighbors: int = 3,
    copy: bool = True,
    random_state: Any = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Mutual information (nats) between each feature and class labels.

    A drop-in replacement for :func:`sklearn.feature_selection.mutual_info_classif`
    (same arguments and semantics); see :func:`mutual_info_regression`.

    Parameters
    ----------
    X : array_like or sparse matrix, shape (n_samples, n_features)
    y : array_like, shape (n_samples,)
        Class labels (any hashable values; floats must be whole numbers).
    discrete_features, n_neighbors, copy, random_state, n_jobs
        As in :func:`mutual_info_regression`.

    Returns
    -------
    ndarray of shape (n_features,)
        MI in nats, negative estimates set to 0.
    """
    return _estimate_mi(
        X, y, discrete_features=discrete_features, discrete_target=True, n_neighbors=n_neighbors,
        copy=copy, random_state=random_state, n_jobs=n_jobs,
    )


def _groups(groups: Any, p: int) -> list[np.ndarray]:
    if groups is None:
        return [np.array([j]) for j in range(p)]
    if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence):
        msg = (
            f"groups must be None or a sequence of column-index lists, e.g. [[0, 1], [2]]; got "
            f"{groups!r}"
        )
        raise TypeError(msg)
    out = []
    for g in groups:
        idx = np.atleast_1d(np.asarray(g))
        if idx.dtype.kind not in "iu" or idx.ndim != 1 or idx.size == 0:
            msg = f"each group must be a non-empty list of integer column indices; got {g!r}"
            raise ValueError(msg)
        if idx.min() < 0 or idx.max() >= p:
            msg = f"group {g!r} has column indices outside [0, {p}) (X has {p} columns)"
            raise ValueError(msg)
        out.append(idx)
    if len(out) < 2:
        msg = f"groups must list at least two groups of columns; got {len(out)}"
        raise ValueError(msg)
    return out


def _pairwise_fast_columns(Xa: np.ndarray, gs: list[np.ndarray], method: str, options: dict) -> list | None:
    """Whitened single columns with their sort orders, when every pair is plain KSG on distinct values.

    KSG of two single columns on the columns whitened once each gives the same
    values as ``KSG().mutual_information`` per pair (which whitens each side the
    same way); columns with ties or non-finite values take the general path
    (jitter and NaN policies).
    """
    from ._whitening import whiten

    if method != "ksg" or set(options) - {"backend", "device"} or any(g.size != 1 for g in gs):
        return None
    if Xa.dtype.kind not in "f" or not np.all(np.isfinite(Xa)):
        return None
    columns = []
    for g in gs:
        col = np.ascontiguousarray(Xa[:, g])
        order = np.argsort(col[:, 0], kind="stable")
        ranked = col[order, 0]
        if np.any(ranked[1:] == ranked[:-1]) or ranked[0] == ranked[-1]:
            return None
        w = whiten(col, "x")[0]
        columns.append((np.ascontiguousarray(w[order]), order, np.argsort(order)))
    return columns


def _ksg_sorted(columns: list, i: int, j: int, k: int, n_jobs: int) -> float:
    """KSG (nats, not clipped) of whitened columns i and j, rows in ascending order of column i."""
    wi, order_i, _ = columns[i]
    wj_all, order_j, rank_j = columns[j]
    # column j in column i's row order, and where each of those rows sits in j's order
    pos = rank_j[order_i]
    wj = wj_all[pos]
    n = wi.shape[0]
    dist, _ = _neighbors.knn(np.hstack([wi, wj]), k, metric="chebyshev", n_jobs=n_jobs)
    eps = np.ascontiguousarray(dist[:, -1])
    ni = _neighbors.count_within(wi, eps, metric="chebyshev", n_jobs=n_jobs)
    eps_j = np.empty(n)
    eps_j[pos] = eps
    nj = _neighbors.count_within(wj_all, eps_j, metric="chebyshev", n_jobs=n_jobs)
    return float(digamma(k) + digamma(n) - np.mean(digamma(ni + 1.0)) - np.mean(digamma(nj + 1.0)))


def pairwise_mutual_information(
    X: Any,
    groups: Sequence[Sequence[int]] | None = None,
    method: str = "ksg",
    *,
    k: int | None = None,
    base: str = "nats",
    n_jobs: int | None = -1,
    random_state: Any = None,
    **options: Any,
) -> np.ndarray:
    """Matrix of mutual information between the columns (or column groups) of ``X``.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Continuous samples.
    groups : sequence of sequences of int, optional
        Column groups ``[[0, 1], [2], ...]``: entry (i, j) is I(X_gi; X_gj). By
        default every column is its own group.
    method : str, default "ksg"
        A method of :func:`pymi.mutual_information`; the default runs KSG on the
        compiled kernels (fast); ``"cksg"`` is more accurate at high MI.
    k : int, optional
        Neighbour order of kNN methods.
    base : {"nats", "bits", "dits"}
    n_jobs : int or None, default -1
        Pairs estimated in parallel threads (-1 or None: all cores), each with
        single-threaded kernels.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Seeds every pair's estimator (each pair its own stream).
    **options
        Passed to the estimator (``whiten``, ``backend``, ``ties``, ...).

    Returns
    -------
    ndarray of shape (n_groups, n_groups)
        Symmetric; the diagonal (the MI of a variable with itself, infinite for
        continuous data) is NaN. Values are not clipped at 0.

    Examples
    --------
    >>> import numpy as np, pymi
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal((2000, 1))
    >>> X = np.hstack([a, a + rng.standard_normal((2000, 1)), rng.standard_normal((2000, 1))])
    >>> M = pymi.pairwise_mutual_information(X, random_state=0)
    >>> M.shape, bool(M[0, 1] > 0.2 > abs(M[0, 2]))
    ((3, 3), True)
    """
    from ._api import make_estimator
    from ._random import check_random_state

    Xa = _to_numpy(X)
    if Xa.ndim != 2:
        msg = f"X must be a 2-D array of shape (n_samples, n_features); got shape {Xa.shape}"
        raise ValueError(msg)
    gs = _groups(groups, Xa.shape[1])
    if len(gs) < 2:
        msg = f"X must have at least two columns (or groups) to pair; got shape {Xa.shape}"
        raise ValueError(msg)
    threads = resolve_n_jobs(n_jobs)
    pairs = [(i, j) for i in range(len(gs)) for j in range(i + 1, len(gs))]
    seeds = np.random.SeedSequence(int(check_random_state(random_state).integers(2**63))).spawn(len(pairs))

    est0 = make_estimator(method, k=k, base=base, **options)
    fast = _pairwise_fast_columns(Xa, gs, method, options)

    def one(t: int, nj: int) -> float:
        i, j = pairs[t]
        if fast is not None:
            return _ksg_sorted(fast, i, j, est0.k, nj)
        est = make_estimator(method, k=k, base="nats", random_state=seeds[t], n_jobs=nj, **options)
        return est.mutual_information(Xa[:, gs[i]], Xa[:, gs[j]]).value

    if threads <= 1 or len(pairs) == 1:
        values = [one(t, threads) for t in range(len(pairs))]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(pairs))) as pool:
            values = list(pool.map(lambda t: one(t, 1), range(len(pairs))))
    out = np.full((len(gs), len(gs)), np.nan)
    factor = unit_factor(base)
    for (i, j), v in zip(pairs, values, strict=True):
        out[i, j] = out[j, i] = v * factor
    return out
