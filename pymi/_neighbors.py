"""Exact neighbour searches with backend dispatch (the policy layer over ``_core``).

The compiled kernels are pure; this module validates input, resolves the
device, picks the algorithm from measured crossovers and converts results.

Backends
--------
``"auto"``
    ``"cuda"`` when the resolved device is CUDA, else the CPU algorithm that
    :func:`choose_knn_algorithm` / :func:`choose_count_algorithm` picks.
``"kdtree"``
    The C++ kd-tree (low dimension).
``"brute"``
    The C++ tiled brute force with a fused top-k / fused counting (high
    dimension).
``"faiss"``
    faiss ``IndexFlatL2`` (``IndexFlat(d, METRIC_Linf)`` for Chebyshev), on the
    GPU when the device is CUDA and faiss has GPUs; kNN only. An optional
    dependency: ``pip install "pymi[faiss]"`` (CPU) or ``"pymi[gpu]"`` (CUDA 12);
    ``"auto"`` never picks it. faiss works in
    float32 and breaks ties its own way: the neighbour *distances* are
    recomputed exactly in the input dtype, but near-ties may select different
    (equally near) indices than the exact backends, and on data far from the
    origin relative to its spread (|x|^2 + |y|^2 - 2 x.y cancels in float32)
    faiss can pick neighbours that are not the nearest: centre the data first
    (pymi's estimators whiten it, which centres).
``"cuda"``
    The pymi CUDA kernels (the ``_core`` functions with ``device="cuda"``);
    :func:`resolve_backend` refuses it with the fix when pymi was built without
    CUDA or no device is visible.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from pymi import _core
from pymi._device import resolve_device

__all__ = [
    "BACKENDS",
    "METRICS",
    "choose_count_algorithm",
    "choose_knn_algorithm",
    "count_within",
    "count_within_pair",
    "count_within_pair_radii",
    "count_within_radii",
    "knn",
    "resolve_backend",
]

#: Accepted ``backend`` names.
BACKENDS: tuple[str, ...] = ("auto", "kdtree", "brute", "faiss", "cuda")
#: Accepted ``metric`` names.
METRICS: tuple[str, ...] = ("euclidean", "chebyshev")

_COUNT_BACKENDS: tuple[str, ...] = ("auto", "kdtree", "brute", "cuda")
#: The largest thread count the compiled kernels take (a C int).
_MAX_THREADS = 2**31 - 1


# ---------------------------------------------------------------------------
# algorithm choice
# ---------------------------------------------------------------------------

# First dimension at which tiled brute force beats the kd-tree, per largest n
# (measured: kd-tree vs brute-force time on standard-normal data, one thread;
# the measurements are in benchmarks/results/crossovers.md). Chebyshev favours the
# tree: its box bounds prune better. Past the largest measured n the crossover
# keeps rising slowly (brute force is O(n^2), the tree about O(n log n)).
_KNN_BRUTE_FROM_DIM: dict[str, tuple[tuple[float, int], ...]] = {
    "euclidean": ((2_000, 4), (6_000, 5), (20_000, 7), (200_000, 9), (float("inf"), 11)),
    "chebyshev": (
        (2_000, 7),
        (6_000, 8),
        (20_000, 9),
        (60_000, 11),
        (200_000, 12),
        (float("inf"), 14),
    ),
}
_COUNT_BRUTE_FROM_DIM: tuple[tuple[float, int], ...] = (
    (2_000, 3),
    (6_000, 5),
    (20_000, 8),
    (60_000, 9),
    (200_000, 10),
    (float("inf"), 12),
)


def _crossover(table: tuple[tuple[float, int], ...], n: int) -> int:
    for n_max, dim in table:
        if n <= n_max:
            return dim
    return table[-1][1]  # pragma: no cover - the last entry is inf


def choose_knn_algorithm(n: int, d: int, k: int, metric: str) -> Literal["kdtree", "brute"]:
    """CPU algorithm for an exact all-points kNN.

    Parameters
    ----------
    n : int
        Number of points.
    d : int
        Dimension.
    k : int
        Number of neighbours. Larger k favours brute force slightly (the tree
        prunes less); the measured crossovers are for k = 5.
    metric : {"euclidean", "chebyshev"}
        Chebyshev keeps the tree competitive to higher dimension.

    Notes
    -----
    Measured crossovers (first dimension where brute force wins): Euclidean
    d = 4 at n = 1e3, 7 at 1e4, 9 at 1e5; Chebyshev d = 7 at 1e3, 9 at 1e4,
    11 at 3e4 (see the table in this module's source).

    Returns
    -------
    {"kdtree", "brute"}
    """
    _check_metric(metric)
    if n <= 256:
        return "brute"  # a few thousand pairs: the tree build does not pay off
    limit = _crossover(_KNN_BRUTE_FROM_DIM[metric], n)
    if k >= 32:
        limit -= 1
    return "brute" if d >= limit else "kdtree"


def choose_count_algorithm(n: int, d: int, metric: str) -> Literal["kdtree", "brute"]:
    """CPU algorithm for strict radius counts with KSG-sized radii.

    Parameters
    ----------
    n : int
        Number of points.
    d : int
        Dimension of the space the counts are made in (a KSG marginal).
    metric : {"euclidean", "chebyshev"}
        The crossovers were measured for Chebyshev (KSG) and are used for both.

    Returns
    -------
    {"kdtree", "brute"}
        ``"kdtree"`` (a sorted array with binary searches for d = 1) for low
        dimension, ``"brute"`` from the measured crossover on: d = 3 at
        n = 1e3, 8 at 1e4, 10 at 1e5.
    """
    _check_metric(metric)
    if d == 1:
        return "kdtree"
    if n <= 256:
        return "brute"
    return "brute" if d >= _crossover(_COUNT_BRUTE_FROM_DIM, n) else "kdtree"


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        msg = f"metric must be one of {list(METRICS)}; got {metric!r}"
        raise ValueError(msg)


def _check_backend(backend: str, valid: tuple[str, ...], what: str) -> None:
    if backend not in valid:
        if backend == "faiss":
            msg = f"backend='faiss' supports knn only; for {what} use one of {list(valid)}"
        else:
            msg = f"backend must be one of {list(valid)}; got {backend!r}"
        raise ValueError(msg)


def _n_jobs(n_jobs: int | None) -> int:
    """Map the public n_jobs (None or -1: all cores, > 0: exactly that many) to _core's."""
    if n_jobs is None or n_jobs == -1:
        return 0
    if (
        isinstance(n_jobs, (bool, np.bool_))
        or not isinstance(n_jobs, (int, np.integer))
        or n_jobs < 1
    ):
        msg = f"n_jobs must be -1 (all cores) or a positive integer; got {n_jobs!r}"
        raise ValueError(msg)
    if n_jobs > _MAX_THREADS:
        msg = f"n_jobs={n_jobs} is more threads than can be started (at most {_MAX_THREADS}); pass n_jobs=-1 for all cores"
        raise ValueError(msg)
    return int(n_jobs)


def _as_points(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype not in (np.float32, np.float64):
        msg = f"{name} must contain float32 or float64 values; got dtype {arr.dtype}"
        raise TypeError(msg)
    if arr.ndim != 2:
        msg = (
            f"{name} must be a 2-D array of shape (n_samples, n_features); got shape {arr.shape}"
            + (f"; pass {name}.reshape(-1, 1) for one feature" if arr.ndim == 1 else "")
        )
        raise ValueError(msg)
    return np.ascontiguousarray(arr)


def check_squared_range(x: np.ndarray, name: str = "x") -> None:
    """Raise if squared Euclidean distances of ``x`` could overflow its dtype.

    Every kernel squares coordinate differences in the input dtype; with
    |x| <= sqrt(max / (4 d)) no sum of d squared differences can overflow.
    """
    if x.size == 0:
        return
    limit = float(np.sqrt(np.finfo(x.dtype).max / (4.0 * max(1, x.shape[1]))))
    biggest = float(np.max(np.abs(x)))
    if biggest > limit:  # NaN compares False: the finite checks report it
        msg = (
            f"{name} has values up to {biggest:.3g}: squared Euclidean distances overflow "
            f"{x.dtype} above |{name}| = {limit:.3g} in d={x.shape[1]}; rescale {name} (pymi's "
            f"estimators whiten it first) or pass float64"
        )
        raise ValueError(msg)


def _as_radius(radius: float | np.ndarray, n: int, dtype: np.dtype) -> np.ndarray:
    r = np.asarray(radius)
    if r.dtype.kind not in "biuf":
        msg = f"radius must be a number or an array of numbers; got dtype {r.dtype}"
        raise TypeError(msg)
    if r.ndim == 0:
        r = np.full(n, r, dtype=np.float64 if r.dtype.kind != "f" else r.dtype)
    if r.shape != (n,):
        msg = f"radius must be a scalar or have shape (n_samples,) = ({n},); got shape {r.shape}"
        raise ValueError(msg)
    if np.dtype(dtype) == np.float32 and r.dtype != np.float32:
        # Round *up* to float32: for a float32 distance dist, dist < r holds
        # exactly when dist < ceil32(r), so the strict counts are unchanged.
        r64 = r.astype(np.float64)
        r32 = r64.astype(np.float32)
        low = r32.astype(np.float64) < r64
        r32[low] = np.nextafter(r32[low], np.float32(np.inf))
        return r32
    return np.ascontiguousarray(r, dtype=dtype)


def resolve_backend(
    backend: str, device: str, operation: str = "knn"
) -> tuple[str, str]:
    """The one rule that turns ``backend`` and ``device`` into what runs.

    Parameters
    ----------
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        The requested engine (``"faiss"``: kNN only).
    device : {"auto", "cpu", "cuda"}
        The requested device (:func:`pymi._device.resolve_device`).
    operation : {"knn", "count_within", "count_within_pair"}
        The search it is for; faiss does kNN only.

    Returns
    -------
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        ``"auto"`` on a CUDA device becomes ``"cuda"`` (so the reported backend
        is the one used); ``"auto"`` on the CPU stays ``"auto"`` (the algorithm
        is chosen per call from (n, d)); any other backend is kept.
    device : {"cpu", "cuda"}
        The resolved device.

    Raises
    ------
    ValueError
        Unknown names, ``"faiss"`` for counts, or CUDA requested where it is
        not usable (the message says how to fix it).
    ImportError
        ``backend="faiss"`` without the faiss package (the message gives the
        install command).
    """
    _check_backend(backend, BACKENDS if operation == "knn" else _COUNT_BACKENDS, operation)
    dev = resolve_device(device)
    if backend == "cuda":
        resolve_device("cuda")  # raises with the fix when CUDA is not usable
        return "cuda", "cuda"
    if backend == "faiss":
        _import_faiss()
    if backend == "auto" and dev == "cuda":
        return "cuda", dev
    return backend, dev


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------


def knn(
    x: np.ndarray,
    k: int,
    *,
    metric: str = "euclidean",
    backend: str = "auto",
    n_jobs: int | None = -1,
    device: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours of every point among the other points.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features)
        float32 or float64 (integer input is converted to float64).
    k : int
        Number of neighbours, ``1 <= k < n_samples``.
    metric : {"euclidean", "chebyshev"}
        Chebyshev is the max-norm used by KSG.
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        See the module docstring; ``"auto"`` uses :func:`choose_knn_algorithm`.
    n_jobs : int or None
        CPU threads: -1 or None for all cores, else a positive count.
    device : {"auto", "cpu", "cuda"}
        Where ``backend="auto"`` (and faiss) runs.

    Returns
    -------
    dist : ndarray of shape (n_samples, k), x's dtype
        True distances (not squared), ascending per row.
    idx : ndarray of shape (n_samples, k), int64
        Neighbour indices; the point itself is excluded by index, duplicates
        at distance 0 are kept, ties go to the smaller index (faiss: its own
        order).

    Raises
    ------
    ValueError
        Bad shapes, ``k`` out of range, NaN/inf values, unknown names.
    TypeError
        Non-numeric input.
    """
    _check_metric(metric)
    xa = _as_points(x, "x")
    if metric != "chebyshev":
        check_squared_range(xa, "x")
    nj = _n_jobs(n_jobs)
    chosen, dev = resolve_backend(backend, device, "knn")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        msg = f"k must be an integer; got {k!r}"
        raise TypeError(msg)
    k = int(k)
    n, d = xa.shape
    if k < 1 or k >= n:
        msg = f"k={k} must be at least 1" if k < 1 else f"k={k} must be smaller than n_samples={n}"
        raise ValueError(msg)
    if chosen == "auto":
        chosen = choose_knn_algorithm(n, d, k, metric)
    if chosen in ("kdtree", "brute"):
        return _core.knn(xa, k, metric, chosen, nj, "cpu")
    if chosen == "faiss":
        return _faiss_knn(xa, k, metric, nj, dev)
    return _core.knn(xa, k, metric, "brute", nj, "cuda")


def count_within(
    x: np.ndarray,
    radius: float | np.ndarray,
    *,
    metric: str = "chebyshev",
    backend: str = "auto",
    n_jobs: int | None = -1,
    device: str = "auto",
) -> np.ndarray:
    """Strict radius counts ``#{j != i : dist(x_i, x_j) < radius_i}``.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features)
    radius : float or ndarray of shape (n_samples,)
        Non-negative; converted to x's dtype without changing any count
        (rounded up to float32 when x is float32).
    metric : {"euclidean", "chebyshev"}
    backend : {"auto", "kdtree", "brute", "cuda"}
        ``"auto"`` uses :func:`choose_count_algorithm`.
    n_jobs : int or None
        -1 or None for all cores, else a positive count.
    device : {"auto", "cpu", "cuda"}

    Returns
    -------
    ndarray of shape (n_samples,), int64
    """
    _check_metric(metric)
    xa = _as_points(x, "x")
    if metric != "chebyshev":
        check_squared_range(xa, "x")
    nj = _n_jobs(n_jobs)
    chosen, _ = resolve_backend(backend, device, "count_within")
    n, d = xa.shape
    r = _as_radius(radius, n, xa.dtype)
    if chosen == "auto":
        chosen = choose_count_algorithm(n, d, metric)
    if chosen == "cuda":
        return _core.count_within(xa, r, metric, "brute", nj, "cuda")
    return _core.count_within(xa, r, metric, chosen, nj, "cpu")


def count_within_pair(
    x: np.ndarray,
    y: np.ndarray,
    radius: float | np.ndarray,
    *,
    metric: str = "chebyshev",
    backend: str = "auto",
    n_jobs: int | None = -1,
    device: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Both marginal strict counts of KSG: ``count_within(x, radius)`` and ``count_within(y, radius)``.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features_x)
    y : ndarray of shape (n_samples, n_features_y)
        Same number of samples and dtype as x.
    radius : float or ndarray of shape (n_samples,)
        Typically the joint-space Chebyshev distance to the k-th neighbour.
    metric : {"euclidean", "chebyshev"}
    backend : {"auto", "kdtree", "brute", "cuda"}
        ``"brute"``: one fused brute-force pass over both marginals;
        ``"kdtree"``: one tree count per marginal; ``"auto"``: a tree count for
        each marginal where :func:`choose_count_algorithm` prefers the tree,
        the fused pass when it prefers brute force for both.
    n_jobs : int or None
    device : {"auto", "cpu", "cuda"}

    Returns
    -------
    counts_x, counts_y : ndarray of shape (n_samples,), int64
    """
    _check_metric(metric)
    xa = _as_points(x, "x")
    ya = _as_points(y, "y")
    if xa.shape[0] != ya.shape[0]:
        msg = f"x and y must have the same number of samples; got x.shape={xa.shape}, y.shape={ya.shape}"
        raise ValueError(msg)
    if xa.dtype != ya.dtype:
        msg = (
            f"x and y must have the same dtype; got x.dtype={xa.dtype}, y.dtype={ya.dtype} "
            "(convert one with .astype)"
        )
        raise ValueError(msg)
    if metric != "chebyshev":
        check_squared_range(xa, "x")
        check_squared_range(ya, "y")
    nj = _n_jobs(n_jobs)
    chosen, _ = resolve_backend(backend, device, "count_within_pair")
    n = xa.shape[0]
    r = _as_radius(radius, n, xa.dtype)
    if chosen == "cuda":
        return _core.count_within_pair(xa, ya, r, metric, nj, "cuda")
    if chosen == "brute":
        return _core.count_within_pair(xa, ya, r, metric, nj, "cpu")
    if chosen == "kdtree":
        algo_x = algo_y = "kdtree"
    else:
        algo_x = choose_count_algorithm(n, xa.shape[1], metric)
        algo_y = choose_count_algorithm(n, ya.shape[1], metric)
        if algo_x == algo_y == "brute":
            return _core.count_within_pair(xa, ya, r, metric, nj, "cpu")
    return (
        _core.count_within(xa, r, metric, algo_x, nj, "cpu"),
        _core.count_within(ya, r, metric, algo_y, nj, "cpu"),
    )


def _as_radii(radii: np.ndarray) -> np.ndarray:
    """``radii`` as an array of shape (n_samples, m), 1 <= m <= 8 (the kernel's limit)."""
    r2 = np.asarray(radii)
    if r2.ndim != 2 or not 1 <= r2.shape[1] <= 8:
        msg = (
            f"radii must have shape (n_samples, m) with 1 <= m <= 8; got shape {r2.shape} "
            "(stack one column per radius, e.g. np.stack([r1, r2], axis=1))"
        )
        raise ValueError(msg)
    return r2


def count_within_radii(
    x: np.ndarray,
    radii: np.ndarray,
    *,
    metric: str = "chebyshev",
    backend: str = "auto",
    n_jobs: int | None = -1,
    device: str = "auto",
) -> np.ndarray:
    """Strict radius counts at several radii per sample: ``count_within`` on each column of ``radii``.

    Where the kd-tree runs (CPU, ``backend`` ``"kdtree"``, or ``"auto"`` where
    :func:`choose_count_algorithm` prefers it) one traversal serves every radius and
    each distance is computed once; elsewhere the columns are counted one by one.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features)
    radii : ndarray of shape (n_samples, m), 1 <= m <= 8
        Non-negative radii, one column per count.
    metric, backend, n_jobs, device
        As for :func:`count_within`.

    Returns
    -------
    ndarray of shape (n_samples, m), int64
    """
    r2 = _as_radii(radii)
    _check_metric(metric)
    xa = _as_points(x, "x")
    chosen, dev = resolve_backend(backend, device, "count_within")
    n, d = xa.shape
    if chosen == "auto":
        chosen = choose_count_algorithm(n, d, metric)
    if chosen != "kdtree" or dev == "cuda":
        cols = [
            count_within(xa, r2[:, j], metric=metric, backend=backend, n_jobs=n_jobs, device=device)
            for j in range(r2.shape[1])
        ]
        return np.stack(cols, axis=1)
    if metric != "chebyshev":
        check_squared_range(xa, "x")
    r = np.stack([_as_radius(r2[:, j], n, xa.dtype) for j in range(r2.shape[1])], axis=1)
    return _core.count_within_radii(xa, np.ascontiguousarray(r), metric, _n_jobs(n_jobs))


def count_within_pair_radii(
    x: np.ndarray,
    y: np.ndarray,
    radii: np.ndarray,
    *,
    metric: str = "chebyshev",
    backend: str = "auto",
    n_jobs: int | None = -1,
    device: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`count_within_pair` at several radii per sample (KSG's marginal counts at several orders).

    Each side takes the cheapest engine: :func:`count_within_radii`'s single kd-tree
    pass where the tree is chosen for it; where brute force is chosen for both sides (or
    on CUDA), the fused pass of :func:`count_within_pair` once per radius.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features_x)
    y : ndarray of shape (n_samples, n_features_y)
    radii : ndarray of shape (n_samples, m), 1 <= m <= 8
    metric, backend, n_jobs, device
        As for :func:`count_within_pair`.

    Returns
    -------
    counts_x, counts_y : ndarray of shape (n_samples, m), int64
    """
    r2 = _as_radii(radii)
    xa = _as_points(x, "x")
    ya = _as_points(y, "y")
    kw = {"metric": metric, "backend": backend, "n_jobs": n_jobs, "device": device}
    chosen, dev = resolve_backend(backend, device, "count_within_pair")
    n = xa.shape[0]

    def tree_side(d: int) -> bool:
        if dev == "cuda" or chosen in ("brute", "cuda"):
            return False
        return chosen == "kdtree" or choose_count_algorithm(n, d, metric) == "kdtree"

    if not (tree_side(xa.shape[1]) or tree_side(ya.shape[1])):
        pairs = [count_within_pair(xa, ya, r2[:, j], **kw) for j in range(r2.shape[1])]
        return np.stack([p[0] for p in pairs], axis=1), np.stack([p[1] for p in pairs], axis=1)
    return count_within_radii(xa, r2, **kw), count_within_radii(ya, r2, **kw)


# ---------------------------------------------------------------------------
# backends outside the C++ CPU kernels
# ---------------------------------------------------------------------------


def _import_faiss():
    """The faiss module, or an ImportError that gives the install command."""
    try:
        import faiss
    except ImportError as exc:
        msg = (
            "backend='faiss' needs the optional faiss package: pip install \"pymi[faiss]\" "
            "(faiss-cpu), or \"pymi[gpu]\" for faiss's CUDA 12 build; or use backend='auto', "
            "whose own kernels are faster on the CPU"
        )
        raise ImportError(msg) from exc
    return faiss


def _faiss_knn(
    x: np.ndarray, k: int, metric: str, n_jobs: int, device: str
) -> tuple[np.ndarray, np.ndarray]:
    faiss = _import_faiss()
    n, d = x.shape
    xf = np.ascontiguousarray(x, dtype=np.float32)
    if metric == "euclidean":
        index = faiss.IndexFlatL2(d)
    elif hasattr(faiss, "METRIC_Linf"):
        index = faiss.IndexFlat(d, faiss.METRIC_Linf)
    else:  # pragma: no cover - every recent faiss has it
        msg = "this faiss build has no METRIC_Linf; use metric='euclidean' or another backend"
        raise ValueError(msg)
    use_gpu = device == "cuda" and getattr(faiss, "get_num_gpus", lambda: 0)() > 0
    if use_gpu:  # pragma: no cover - needs a GPU build of faiss
        index = faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, index)
    prev_threads = faiss.omp_get_max_threads()
    if n_jobs > 0:
        faiss.omp_set_num_threads(n_jobs)
    try:
        index.add(xf)
        _, idx = index.search(xf, k + 1)
    finally:
        faiss.omp_set_num_threads(prev_threads)
    # Remove the point itself; when duplicates push it out of the k + 1
    # results (more than k points at distance 0), drop the last column instead.
    rows = np.arange(n)
    is_self = idx == rows[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    keep = np.ones(idx.shape, dtype=bool)
    keep[rows, drop] = False
    idx = idx[keep].reshape(n, k).astype(np.int64)
    # exact distances in x's dtype, rows re-sorted by (distance, index)
    dist = np.empty((n, k), dtype=x.dtype)
    step = max(1, (1 << 22) // max(1, k * d))
    for s in range(0, n, step):
        diff = x[idx[s : s + step]] - x[s : s + step, None, :]
        if metric == "euclidean":
            dist[s : s + step] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        else:
            dist[s : s + step] = np.abs(diff).max(axis=2)
    order = np.lexsort((idx, dist), axis=-1)
    return np.take_along_axis(dist, order, 1), np.take_along_axis(idx, order, 1)
