"""Permutation tests of independence, I(X; Y) = 0, and conditional independence, I(X; Y | Z) = 0.

The statistic is an MI (or conditional MI) estimate; its null distribution is
made by re-estimating on data where the dependence under test is destroyed
and everything else kept:

* unconditional: the rows of ``x`` are permuted at random (exact
  exchangeability under independence, so the test has exactly its nominal
  level);
* conditional: ``x`` is permuted within neighbourhoods of ``z`` (the local
  permutation scheme of Runge 2018): for every row, the ``k_perm`` nearest
  rows in Z (max-norm, itself included) are the candidates, drawn without
  replacement where possible, so the permuted ``x`` keeps its dependence on
  ``z`` while its dependence on ``y`` given ``z`` is broken.

The p-value counts the null values at least as large as the observed one,
with the +1 correction that keeps it valid with a finite number of
permutations: ``p = (1 + #{null >= observed}) / (1 + n_permutations)``
(Phipson & Smyth, "Permutation p-values should never be zero", Stat. Appl.
Genet. Mol. Biol. 9(1), 2010).

References
----------
J. Runge, "Conditional independence testing based on a nearest-neighbor
estimator of conditional mutual information", AISTATS 2018.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from . import _neighbors
from ._estimate import Estimate, unit_factor
from ._params import Integral, Interval, check_param
from ._random import check_random_state
from ._validation import (
    as_samples,
    check_same_length,
    drop_nonfinite_rows,
    hint_transposed,
    resolve_n_jobs,
)
from ._whitening import whiten as whiten_samples
from .estimators._backend import resolve_backend
from .estimators.frenzel_pompe import frenzel_pompe_terms, prepare_triple

__all__ = ["PermutationTestResult", "local_permutation", "permutation_test"]


@dataclasses.dataclass(frozen=True)
class PermutationTestResult:
    """Outcome of :func:`permutation_test`.

    Attributes
    ----------
    estimate : Estimate
        The statistic on the data as given (MI or conditional MI, in ``estimate.unit``).
    null_distribution : numpy.ndarray, shape (n_permutations,)
        The statistic on each permuted data set, same unit.
    p_value : float
        ``(1 + #{null >= estimate}) / (1 + n_permutations)``; at least
        ``1 / (1 + n_permutations)``.
    n_permutations : int
    conditional : bool
        Whether the null is conditional independence given ``z`` (local permutations).
    method : str
        The estimator behind the statistic.
    params : dict
        ``k_perm`` (conditional), ``parallel`` (how the permutations ran), ``n_jobs``.
    """

    estimate: Estimate
    null_distribution: np.ndarray
    p_value: float
    n_permutations: int
    conditional: bool
    method: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def statistic(self) -> float:
        """The observed estimate's value."""
        return float(self.estimate.value)

    @property
    def null_mean(self) -> float:
        """Mean of the null distribution."""
        return float(np.mean(self.null_distribution))

    @property
    def null_std(self) -> float:
        """Standard deviation of the null distribution (ddof=1)."""
        return float(np.std(self.null_distribution, ddof=1)) if self.n_permutations > 1 else float("nan")

    def null_quantiles(self, q: Any = (0.05, 0.5, 0.95)) -> np.ndarray:
        """Quantiles of the null distribution."""
        return np.quantile(self.null_distribution, q)

    def __repr__(self) -> str:
        what = "I(X;Y|Z)" if self.conditional else "I(X;Y)"
        return (
            f"PermutationTestResult({what} = {self.estimate.value:.4f} {self.estimate.unit}, "
            f"p = {self.p_value:.4g}, null mean {self.null_mean:.4f} sd {self.null_std:.4f}, "
            f"n_permutations={self.n_permutations}, method={self.method!r})"
        )


def local_permutation(neighbors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation of the rows restricted to each row's neighbour set (Runge 2018, algorithm 1).

    Parameters
    ----------
    neighbors : ndarray of int, shape (n, k_perm)
        Candidate rows for each row (its nearest neighbours in Z, itself included).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int, shape (n,)
        ``perm[i]`` is a row of ``neighbors[i]``; rows are visited in random
        order and take a candidate not yet used when one is left (else a used
        one, so ``perm`` can repeat rows when neighbourhoods are crowded).
    """
    n, kp = neighbors.shape
    cand = rng.permuted(neighbors, axis=1)
    perm = np.empty(n, dtype=np.int64)
    used = np.zeros(n, dtype=bool)
    for i in rng.permutation(n):
        row = cand[i]
        m = 0
        j = row[0]
        while used[j] and m < kp - 1:
            m += 1
            j = row[m]
        perm[i] = j
        used[j] = True
    return perm


def _z_neighbors(z: np.ndarray, k_perm: int, n_jobs: int, backend: str, device: str) -> np.ndarray:
    n = z.shape[0]
    if k_perm >= n:
        msg = f"k_perm={k_perm} must be smaller than n_samples={n}; lower k_perm"
        raise ValueError(msg)
    if k_perm == 1:
        return np.arange(n)[:, None]
    _, idx = _neighbors.knn(z, k_perm - 1, metric="chebyshev", backend=backend, n_jobs=n_jobs, device=device)
    return np.concatenate([np.arange(n)[:, None], idx], axis=1)


def _run(
    statistic: Callable[[np.random.Generator, int], float],
    seeds: list[np.random.SeedSequence],
    workers: int,
    n_jobs: int,
) -> tuple[np.ndarray, str]:
    """Evaluate the statistic once per seed: a thread pool over permutations, kernels single-threaded.

    The compiled kernels release the GIL, so permutations run side by side; one
    permutation per thread avoids the per-call thread start-up of small problems.
    """
    if workers <= 1 or len(seeds) <= 1:
        return np.array([statistic(np.random.default_rng(s), n_jobs) for s in seeds]), "serial"
    with ThreadPoolExecutor(max_workers=workers) as pool:
        values = list(pool.map(lambda s: statistic(np.random.default_rng(s), 1), seeds))
    return np.array(values), f"threads over permutations ({workers})"


def permutation_test(
    x: Any,
    y: Any,
    z: Any = None,
    method: str = "ksg",
    *,
    n_permutations: int = 199,
    k: int | None = None,
    k_perm: int = 5,
    base: str = "nats",
    random_state: Any = None,
    n_jobs: int | None = -1,
    parallel: str = "permutations",
    **options: Any,
) -> PermutationTestResult:
    """Test I(X; Y) = 0 (``z=None``) or I(X; Y | Z) = 0 by permutations.

    Parameters
    ----------
    x, y : array_like, shape (n_samples, ...)
        Row-aligned samples.
    z : array_like, shape (n_samples, ...), optional
        Conditioning samples: the null becomes conditional independence and
        ``x`` is permuted within neighbourhoods of ``z`` (Runge 2018).
    method : str, default "ksg"
        The estimator of the statistic: a method of :func:`pymi.mutual_information`
        (unconditional) or of :func:`pymi.conditional_mutual_information`. The
        default ``"ksg"`` (KSG / Frenzel–Pompe) whitens once and re-runs only the
        neighbour kernels per permutation; any other method is re-run in full.
    n_permutations : int, default 199
        Number of permuted data sets; the smallest attainable p-value is
        ``1 / (1 + n_permutations)``.
    k : int, optional
        Neighbour order of kNN estimators (default 5).
    k_perm : int, default 5
        Size of the Z-neighbourhoods (itself included) of the local permutation;
        conditional tests only.
    base : {"nats", "bits", "dits"}
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Seeds the permutations (each gets its own stream, so the result does not
        depend on ``n_jobs``) and the estimator.
    n_jobs : int or None, default -1
        Threads; -1 or None for all cores.
    parallel : {"permutations", "kernels"}
        ``"permutations"``: a thread pool runs permutations side by side with
        single-threaded kernels (faster for small and medium n);
        ``"kernels"``: one permutation at a time with ``n_jobs`` kernel threads.
    **options
        Passed to the estimator (``whiten``, ``backend``, ``device``, ...).

    Returns
    -------
    PermutationTestResult

    Examples
    --------
    >>> import numpy as np, pymi
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500)
    >>> y = 0.5 * x + rng.standard_normal(500)
    >>> res = pymi.permutation_test(x, y, n_permutations=99, random_state=0)
    >>> res.p_value
    0.01
    """
    n_permutations = check_param(
        "n_permutations", n_permutations, [Interval(Integral, 1, None, closed="left")], owner="permutation_test"
    )
    k_perm = check_param("k_perm", k_perm, [Interval(Integral, 1, None, closed="left")], owner="permutation_test")
    if parallel not in ("permutations", "kernels"):
        msg = f"parallel must be 'permutations' or 'kernels'; got parallel={parallel!r}"
        raise ValueError(msg)
    workers = resolve_n_jobs(n_jobs)
    rng = check_random_state(random_state)
    seeds = np.random.SeedSequence(int(rng.integers(2**63))).spawn(n_permutations)
    conditional = z is not None
    if conditional:
        from .conditional import conditional_mutual_information, make_cmi_estimator

        est = make_cmi_estimator(method, k=k, base=base, random_state=random_state, n_jobs=n_jobs, **options)
        with hint_transposed(x=x, y=y, z=z):
            xa, ya, za, _ = prepare_triple(est, x, y, z, np.random.default_rng(seeds[0]))
        # the observed statistic on the validated (tie-broken) rows the permutations use
        observed = conditional_mutual_information(
            xa, ya, za, method, k=k, base=base, random_state=random_state, n_jobs=n_jobs, **options
        )
        backend, device = resolve_backend(getattr(est, "backend", "auto"), est.device)
        zn = whiten_samples(za, "z")[0]
        neighbors = _z_neighbors(np.ascontiguousarray(zn), k_perm, est.n_jobs, backend, device)
        fast = method == "ksg"
        # the null needs values only: skip the subsample interval of the methods that make one
        null_options = dict(options)
        if "n_subsamples" in est._parameter_names() and "n_subsamples" not in options:
            null_options["n_subsamples"] = 0
        if fast:
            wx, wy, wz = (est._side(v, name) for v, name in ((xa, "x"), (ya, "y"), (za, "z")))

            def statistic(g: np.random.Generator, nj: int) -> float:
                perm = local_permutation(neighbors, g)
                return float(
                    frenzel_pompe_terms(
                        np.ascontiguousarray(wx[perm]), wy, wz, est.k, backend=backend, n_jobs=nj, device=device
                    ).mean()
                )
        else:

            def statistic(g: np.random.Generator, nj: int) -> float:
                perm = local_permutation(neighbors, g)
                return conditional_mutual_information(
                    xa[perm], ya, za, method, k=k, base="nats", random_state=g, n_jobs=nj, **null_options
                ).value
    else:
        from ._api import make_estimator, mutual_information

        est = make_estimator(method, k=k, base=base, random_state=random_state, n_jobs=n_jobs, **options)
        with hint_transposed(x=x, y=y):
            xa = as_samples(x, "x")
            ya = as_samples(y, "y")
            check_same_length(xa, ya)
        # NaN rows and ties handled once, up front (one warning, not one per permutation)
        (xa, ya), _ = drop_nonfinite_rows([("x", xa), ("y", ya)], getattr(est, "nan_policy", "raise"))
        if hasattr(est, "_break_ties"):
            prep = np.random.default_rng(np.random.SeedSequence(int(rng.integers(2**63))))
            xa, _ = est._break_ties(xa, "x", prep)
            ya, _ = est._break_ties(ya, "y", prep)
            if xa.dtype != ya.dtype:
                xa, ya = xa.astype(np.float64), ya.astype(np.float64)
        observed = mutual_information(
            xa, ya, method, k=k, base=base, random_state=random_state, n_jobs=n_jobs, **options
        )
        fast = method == "ksg"
        # the null needs values only: skip the subsample interval of the methods that make one
        null_options = dict(options)
        if "n_subsamples" in est._parameter_names() and "n_subsamples" not in options:
            null_options["n_subsamples"] = 0
        if fast:
            from .estimators.frenzel_pompe import FrenzelPompe

            side = FrenzelPompe(whiten=est.whiten)._side
            wx, wy = side(xa, "x"), side(ya, "y")
            backend, device = resolve_backend(est.backend, est.device)

            def statistic(g: np.random.Generator, nj: int) -> float:
                perm = g.permutation(wx.shape[0])
                return float(
                    frenzel_pompe_terms(
                        np.ascontiguousarray(wx[perm]), wy, None, est.k, backend=backend, n_jobs=nj, device=device
                    ).mean()
                )
        else:

            def statistic(g: np.random.Generator, nj: int) -> float:
                perm = g.permutation(xa.shape[0])
                return mutual_information(
                    xa[perm], ya, method, k=k, base="nats", random_state=g, n_jobs=nj, **null_options
                ).value

    kernel_jobs = est.n_jobs
    if parallel == "kernels":
        workers = 1
    null_nats, how = _run(statistic, seeds, workers, kernel_jobs)
    factor = unit_factor(observed.unit)
    null = null_nats * factor
    p_value = (1.0 + float(np.sum(null >= observed.value))) / (1.0 + n_permutations)
    params = {"parallel": how, "n_jobs": n_jobs, "fast_path": bool(fast)}
    if conditional:
        params["k_perm"] = k_perm
    return PermutationTestResult(
        estimate=observed,
        null_distribution=null,
        p_value=float(p_value),
        n_permutations=int(n_permutations),
        conditional=conditional,
        method=method,
        params=params,
    )
