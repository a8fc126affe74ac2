"""Leave-one-out Gaussian KDE: log-densities, bandwidth selection and entropy terms.

The method follows Butakov et al. (ICLR 2024), with maximum-likelihood and
least-squares cross-validated bandwidths (Silverman, *Density Estimation for
Statistics and Data Analysis*, 1986, section 3.4). For points x_1..x_N in R^d (already whitened,
so that one isotropic bandwidth h fits every direction) the leave-one-out
density at x_i is

    p_{-i}(x_i) = 1/(N-1) sum_{j != i} (2 pi h^2)^(-d/2) exp(-||x_i - x_j||^2 / (2 h^2)),

and -1/N sum_i log p_{-i}(x_i) estimates the differential entropy in nats.
The bandwidth maximises the mean LOO log-likelihood ("ml") or minimises the
least-squares cross-validation score ("lscv"), searched over log h.

The O(N^2 d) work is one compiled pass, ``pymi._core.kde_log_kernel_sums``,
which evaluates several bandwidths per pass (a log-sum-exp shifted per point).
This module holds the policy: the shift, normalising constants, the
bracketing search and its pass count. Inputs are assumed validated (finite
float32/float64, shape (n, d), n >= 2) by the public estimators.

The shift. The kernel contract (csrc/API.md) asks for the squared
nearest-neighbour distance. The CPU kernel moves a too-large shift down
online (exact, and as fast), so by default this module passes a free upper
bound, the squared distance to the next row (:func:`upper_bound_shift`):
no kNN search, which for d >= ~8 would cost more than the kernel itself.
The CUDA kernel has no online update: it gets :func:`nn_squared_distances`
(computed once per call, or once per bandwidth search), whose squared distances
are bit-identical to the kernel's own, so each row's largest term is exactly 1.
As a safety net, any row whose result still contradicts its shift (non-finite,
or outside [c s_i, c s_i + log(n - 1)]) is recomputed exactly
(:func:`_repair_rows`), as the CPU kernel does with its own check.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pymi import _core
from pymi._validation import user_stacklevel

__all__ = [
    "BandwidthResult",
    "kde_entropy_terms",
    "loo_log_density",
    "lscv_score",
    "nn_squared_distances",
    "select_bandwidth",
    "upper_bound_shift",
]

Method = Literal["ml", "lscv"]

_LOG_2PI = math.log(2.0 * math.pi)


def nn_squared_distances(
    x: NDArray[np.floating], *, n_jobs: int = -1, backend: str = "auto"
) -> NDArray[np.float64]:
    """Squared Euclidean distance from each point to its nearest other point.

    The log-sum-exp shift of the kernel contract (the largest kernel term of
    row i is then exp(0) = 1); also used to count exact duplicates (distance
    0) when explaining a degenerate bandwidth search.

    Parameters
    ----------
    x : ndarray of shape (n, d)
        Points.
    n_jobs : int, default -1
        Threads (-1: all cores).
    backend : str, default "auto"
        Neighbour-search backend (see ``pymi._neighbors.knn``).

    Returns
    -------
    ndarray of shape (n,), float64
    """
    from . import _neighbors

    if backend == "cuda":
        # squared distances straight from the GPU kernel: bit-identical to the
        # CUDA KDE kernel's own, so its largest term per row is exactly 1
        dist, _ = _core.knn(np.ascontiguousarray(x), 1, "sqeuclidean", device="cuda")
        return np.asarray(dist[:, 0], dtype=np.float64)
    dist, _ = _neighbors.knn(
        np.ascontiguousarray(x), 1, metric="euclidean", backend=backend, n_jobs=n_jobs
    )
    return np.square(dist[:, 0], dtype=np.float64)


def upper_bound_shift(x: NDArray[np.floating]) -> NDArray[np.float64]:
    """Squared distance from each point to the next row (cyclically): O(n d).

    An upper bound on the squared nearest-neighbour distance, and a valid
    log-sum-exp shift for the CPU kernel, which lowers each row's shift to the
    smallest distance it meets (see csrc/cpu/kde.cpp).
    """
    x64 = np.asarray(x, dtype=np.float64)
    diff = x64 - np.roll(x64, -1, axis=0)
    return np.einsum("ij,ij->i", diff, diff)


def _points(x: ArrayLike) -> NDArray[np.floating]:
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    x = np.ascontiguousarray(x)
    if x.ndim == 2:
        from pymi._neighbors import check_squared_range

        check_squared_range(x, "x")
    return x


def _log_kernel_sums(
    x: NDArray[np.floating],
    bandwidths: NDArray[np.float64],
    shift_sq: ArrayLike | None,
    n_jobs: int,
    device: str = "cpu",
) -> NDArray[np.float64]:
    if device == "cuda":
        # The CUDA kernel follows the contract literally: the shift must be
        # the squared nearest-neighbour distance (no online lowering).
        if shift_sq is None:
            shift_sq = nn_squared_distances(x, n_jobs=n_jobs, backend="cuda")
        shift_sq = np.asarray(shift_sq, dtype=np.float64)
        out = _core.kde_log_kernel_sums(x, bandwidths, shift_sq, device="cuda")
        return _repair_rows(x, bandwidths, shift_sq, out, n_jobs)
    if device != "cpu":
        msg = f"device must be 'cpu' or 'cuda' here; got {device!r}"
        raise ValueError(msg)
    if shift_sq is None:
        shift_sq = upper_bound_shift(x)
    return _core.kde_log_kernel_sums(x, bandwidths, np.asarray(shift_sq, dtype=np.float64), n_jobs)


def _exact_log_kernel_sums(
    x: NDArray[np.floating], bandwidths: NDArray[np.float64], rows: NDArray[np.intp]
) -> NDArray[np.float64]:
    """``L[b, i]`` of the kernel contract for the given rows, in float64 by direct
    differences, each row shifted by its own minimum. Memory: ~2^22 float64 values
    per chunk of rows (the squared distances are accumulated column by column)."""
    x64 = np.asarray(x, dtype=np.float64)
    n, d = x64.shape
    with np.errstate(over="ignore"):  # h > ~1e154: h^2 = inf, c = -0.0 (every term 1)
        c = -0.5 / np.square(bandwidths)
    out = np.empty((len(bandwidths), len(rows)))
    step = max(1, (1 << 22) // max(n, 1))
    for a in range(0, len(rows), step):
        idx = rows[a : a + step]
        r2 = np.zeros((len(idx), n))
        for k in range(d):
            diff = x64[idx, k][:, None] - x64[None, :, k]
            r2 += diff * diff
        own = (np.arange(len(idx)), idx)
        r2[own] = np.inf  # j == i: out of the minimum, and of the sum below
        mn = r2.min(axis=1, keepdims=True)
        for b, cb in enumerate(c):
            with np.errstate(invalid="ignore"):  # inf * -0.0 when 1/(2h^2) underflows
                t = np.exp((r2 - mn) * cb)
            t[own] = 0.0
            out[b, a : a + len(idx)] = np.log(t.sum(axis=1)) + cb * mn[:, 0]
    return out


#: Above this many damaged rows, _repair_rows reruns the whole call on the CPU kernel
#: (O(n^2 d) compiled and threaded) instead of NumPy row by row.
_REPAIR_ROWS_NUMPY_MAX = 64


def _repair_rows(
    x: NDArray[np.floating],
    bandwidths: NDArray[np.float64],
    shift_sq: NDArray[np.float64],
    log_sums: NDArray[np.float64],
    n_jobs: int = -1,
) -> NDArray[np.float64]:
    """Recompute exactly every row of ``log_sums`` that contradicts its shift.

    With ``shift_sq`` the squared nearest-neighbour distance, ``L[b, i]`` lies in
    ``[c_b s_i, c_b s_i + log(n - 1)]`` (the nearest term is exp(c_b s_i), every
    other term is at most that); a row outside it by more than 1e-4 (relative
    once |c_b s_i| > 1), or not finite, was damaged by float32 range or rounding
    (tiny bandwidths) and is recomputed: by :func:`_exact_log_kernel_sums` for up
    to ``_REPAIR_ROWS_NUMPY_MAX`` rows, else by the CPU kernel for the whole call
    (with a warning: that costs a full CPU pass). Returns ``log_sums`` (modified
    in place).
    """
    n = x.shape[0]
    with np.errstate(over="ignore"):  # as in _exact_log_kernel_sums
        base = (-0.5 / np.square(bandwidths))[:, None] * shift_sq[None, :]
    tol = 1e-4 * np.maximum(1.0, np.abs(base))
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(log_sums) | (log_sums < base - tol) | (log_sums > base + math.log(n - 1) + tol)
    rows = np.flatnonzero(bad.any(axis=0))
    if rows.size > _REPAIR_ROWS_NUMPY_MAX:
        warnings.warn(
            f"{rows.size} of {n} rows of the CUDA KDE kernel's result contradict their "
            f"nearest-neighbour shift (bandwidths {bandwidths.min():.3g}..{bandwidths.max():.3g}: "
            "far below the nearest-neighbour distances, beyond float32 range); recomputing "
            "the whole call on the CPU kernel",
            RuntimeWarning,
            stacklevel=user_stacklevel(),
        )
        log_sums[:] = _core.kde_log_kernel_sums(x, bandwidths, shift_sq, n_jobs)
    elif rows.size:
        log_sums[:, rows] = _exact_log_kernel_sums(x, bandwidths, rows)
    return log_sums


def loo_log_density(
    x: ArrayLike,
    bandwidths: ArrayLike,
    *,
    n_jobs: int = -1,
    shift_sq: ArrayLike | None = None,
    device: str = "cpu",
) -> NDArray[np.float64]:
    """Leave-one-out log-density log p_{-i}(x_i) of the Gaussian KDE (Silverman 1986, section 3.4).

    Parameters
    ----------
    x : array_like of shape (n, d)
        Whitened points, n >= 2.
    bandwidths : array_like of shape (m,) or scalar
        Isotropic kernel bandwidths h > 0, in the units of x.
    n_jobs : int, default -1
        Threads (-1: all cores).
    device : {"cpu", "cuda"}, default "cpu"
        Where the kernel sums run (``"cuda"`` needs pymi built with CUDA and a GPU).
    shift_sq : array_like of shape (n,), optional
        Per-point log-sum-exp shift. CPU: squared nearest-neighbour distances
        or any upper bound (default :func:`upper_bound_shift`). CUDA: must be
        the squared nearest-neighbour distances (default: computed with
        :func:`nn_squared_distances`). Numerics only: the result does not
        depend on it.

    Returns
    -------
    ndarray of shape (m, n), float64
        ``log p_{-i}(x_i)`` in nats (log of a density in the units of x) for
        every bandwidth: ``L - log(n - 1) - d/2 log(2 pi h^2)`` with ``L`` the
        log of the sum of the unnormalised kernel terms.

    Notes
    -----
    Exponentials are evaluated in float32 with float64 sums: the relative error
    of each density is ~2e-7 for float64 input, whatever the shift. float32
    input also rounds every squared distance (relative error ~(d + 2) u, u =
    6e-8), which the exponent multiplies by r^2 / (2 h^2): ~1e-7 near the ML /
    LSCV optimum, up to ~5e-5 at bandwidths far below the neighbour distances.
    """
    x = _points(x)
    n, d = x.shape
    h = np.atleast_1d(np.asarray(bandwidths, dtype=np.float64))
    log_sums = _log_kernel_sums(x, h, shift_sq, n_jobs, device)
    norm = math.log(n - 1) + 0.5 * d * (_LOG_2PI + 2.0 * np.log(h))
    return log_sums - norm[:, None]


def _logsumexp(a: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def lscv_score(
    x: ArrayLike,
    bandwidths: ArrayLike,
    *,
    n_jobs: int = -1,
    shift_sq: ArrayLike | None = None,
    device: str = "cpu",
) -> NDArray[np.float64]:
    """Least-squares cross-validation score of the Gaussian KDE (Silverman 1986, section 3.4).

    ``LSCV(h) = (1/N^2) sum_{i,j} (4 pi h^2)^(-d/2) exp(-||x_i - x_j||^2 / (4 h^2))
    - (2/N) sum_i p_{-i}(x_i)``, the i = j terms included in the first sum. It
    estimates ``int p_hat^2 - 2 int p_hat p`` (the integrated squared error up
    to a constant); smaller is better.

    The first sum is the kernel sum at bandwidth sqrt(2) h plus the N diagonal
    terms, so both bandwidth sets go through one kernel pass; sums are combined
    in log space (logaddexp) to avoid overflow.

    Parameters
    ----------
    x : array_like of shape (n, d)
        Whitened points, n >= 2.
    bandwidths : array_like of shape (m,) or scalar
        Bandwidths h > 0.
    n_jobs : int, default -1
        Threads (-1: all cores).
    device : {"cpu", "cuda"}, default "cpu"
        Where the kernel sums run (``"cuda"`` needs pymi built with CUDA and a GPU).
    shift_sq : array_like of shape (n,), optional
        Per-point log-sum-exp shift (see :func:`loo_log_density`).

    Returns
    -------
    ndarray of shape (m,), float64
        LSCV(h), in units of 1 / volume of x.
    """
    x = _points(x)
    n, d = x.shape
    h = np.atleast_1d(np.asarray(bandwidths, dtype=np.float64))
    m = len(h)
    log_sums = _log_kernel_sums(x, np.concatenate([h, math.sqrt(2.0) * h]), shift_sq, n_jobs, device)
    log_loo, log_wide = log_sums[:m], log_sums[m:]
    # log of the first term: -d/2 log(4 pi h^2) - 2 log N + log sum_i (1 + sum_{j != i} ...)
    log_first = (
        -0.5 * d * (_LOG_2PI + math.log(2.0) + 2.0 * np.log(h))
        - 2.0 * math.log(n)
        + _logsumexp(np.logaddexp(0.0, log_wide), axis=1)
    )
    log_p_loo = log_loo - (math.log(n - 1) + 0.5 * d * (_LOG_2PI + 2.0 * np.log(h)))[:, None]
    log_second = math.log(2.0 / n) + _logsumexp(log_p_loo, axis=1)
    # first - second, factored on the larger term (exact near cancellation, and
    # no 0 * inf when one term under- or overflows)
    big = np.maximum(log_first, log_second)
    gap = -np.abs(log_first - log_second)
    with np.errstate(over="ignore"):
        return np.exp(big) * np.where(log_first >= log_second, -np.expm1(gap), np.expm1(gap))


@dataclass(frozen=True)
class BandwidthResult:
    """Outcome of :func:`select_bandwidth`.

    Attributes
    ----------
    bandwidth : float
        Selected isotropic bandwidth h (units of x): the vertex of a parabola
        in log h through the best evaluated bandwidth and its two neighbours.
    passes : int
        Kernel passes used (each pass is one O(N^2 d) sweep that evaluates
        several bandwidths).
    score : float
        Objective at ``bandwidth`` from that parabola: the mean LOO
        log-likelihood in nats ("ml", maximised) or LSCV(h) ("lscv",
        minimised).
    method : str
        "ml" or "lscv".
    bandwidths : ndarray
        Every bandwidth evaluated, ascending.
    scores : ndarray
        The objective at each of ``bandwidths``.
    """

    bandwidth: float
    passes: int
    score: float
    method: str
    bandwidths: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.empty(0))
    scores: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.empty(0))


def _parabola_vertex(y: NDArray[np.float64], f: NDArray[np.float64]) -> tuple[float, float]:
    """Vertex (position, value) of the parabola through three points, y ascending."""
    (y0, y1, y2), (f0, f1, f2) = y, f
    a, b = y1 - y0, y1 - y2
    fa, fb = f1 - f2, f1 - f0
    den = a * fa - b * fb
    if not np.isfinite(den) or den == 0.0:
        return float(y1), float(f1)
    v = y1 - 0.5 * (a * a * fa - b * b * fb) / den
    v = min(max(v, y0), y2)
    # Lagrange interpolation at v
    val = (
        f0 * (v - y1) * (v - y2) / ((y0 - y1) * (y0 - y2))
        + f1 * (v - y0) * (v - y2) / ((y1 - y0) * (y1 - y2))
        + f2 * (v - y0) * (v - y1) / ((y2 - y0) * (y2 - y1))
    )
    return float(v), float(max(val, f1))


def select_bandwidth(
    x: ArrayLike,
    method: Method = "ml",
    *,
    n_jobs: int = -1,
    shift_sq: ArrayLike | None = None,
    grid_points: int = 7,
    rtol: float = 1e-2,
    max_passes: int = 30,
    device: str = "cpu",
) -> BandwidthResult:
    """Select the isotropic KDE bandwidth by LOO maximum likelihood or LSCV (Silverman 1986, section 3.4).

    The objective is searched over log h with few kernel passes, each
    evaluating ``grid_points`` bandwidths at once:

    1. a log-spaced grid on the paper's interval
       ``[0.5 sigma_min N^(-0.2/d), 1.06 sigma_max N^(-0.2/d)]`` (sigma: the
       per-column standard deviations, ~1 after whitening);
    2. while the best bandwidth is an end of everything evaluated, a grid
       beyond that end with twice the previous step (expansion);
    3. refinement: a grid with spacing ``rtol / 2`` in log h centred on the
       vertex of the parabola through the best point and its neighbours,
       until the best point's neighbours are less than ``rtol`` apart
       (relative width of the bracket in h);
    4. the answer is the parabola vertex in that final bracket.

    On whitened data this typically takes 2-3 passes in all (one or two
    refinements); the paper's recursive 7-point grid, which shrinks the
    bracket 3x per pass, needs ~5 for the same 1e-2.

    Parameters
    ----------
    x : array_like of shape (n, d)
        Whitened points, n >= 2.
    method : {"ml", "lscv"}, default "ml"
        "ml" maximises the mean LOO log-likelihood; "lscv" minimises LSCV(h).
    n_jobs : int, default -1
        Threads (-1: all cores).
    device : {"cpu", "cuda"}, default "cpu"
        Where the kernel sums run (``"cuda"`` needs pymi built with CUDA and a GPU).
    shift_sq : array_like of shape (n,), optional
        Per-point log-sum-exp shift (see :func:`loo_log_density`).
    grid_points : int, default 7
        Bandwidths per kernel pass (>= 3).
    rtol : float, default 1e-2
        Relative width in h of the final bracket.
    max_passes : int, default 30
        Give up (RuntimeError) after this many passes.

    Returns
    -------
    BandwidthResult

    Raises
    ------
    ValueError
        For an unknown method, bad search parameters, a constant column, or
        when the objective has no finite optimum (e.g. duplicated points make
        the likelihood unbounded as h -> 0).
    RuntimeError
        If the search does not converge within ``max_passes``.
    """
    if method not in ("ml", "lscv"):
        msg = f"method must be 'ml' or 'lscv'; got {method!r}"
        raise ValueError(msg)
    if int(grid_points) < 3:
        msg = f"grid_points must be >= 3; got {grid_points}"
        raise ValueError(msg)
    if not 0.0 < rtol < 1.0:
        msg = f"rtol must be in (0, 1); got {rtol}"
        raise ValueError(msg)
    x = _points(x)
    n, d = x.shape
    if shift_sq is None:
        # once for every pass: the CUDA kernel needs the nearest-neighbour shift
        if device == "cuda":
            shift_sq = nn_squared_distances(x, n_jobs=n_jobs, backend="cuda")
        else:
            shift_sq = upper_bound_shift(x)
    shift_sq = np.asarray(shift_sq, dtype=np.float64)
    sigma = np.std(x, axis=0, ddof=1, dtype=np.float64)
    if not np.all(sigma > 0.0):
        bad = np.flatnonzero(~(sigma > 0.0))
        msg = (
            f"x has {len(bad)} constant column(s) (first: {bad[0]}); a KDE bandwidth needs "
            "every column to vary: drop them or whiten x first"
        )
        raise ValueError(msg)

    k = int(grid_points)
    sign = 1.0 if method == "ml" else -1.0  # internally always maximise

    def objective(h: NDArray[np.float64]) -> NDArray[np.float64]:
        if method == "ml":
            val = loo_log_density(x, h, n_jobs=n_jobs, shift_sq=shift_sq, device=device).mean(axis=1)
        else:
            val = lscv_score(x, h, n_jobs=n_jobs, shift_sq=shift_sq, device=device)
        val = sign * val
        return np.where(np.isnan(val), -np.inf, val)

    ys = np.empty(0)  # log h, ascending
    fs = np.empty(0)  # sign * objective
    passes = 0

    def evaluate(new_ys: NDArray[np.float64]) -> int:
        nonlocal ys, fs, passes
        new_ys = np.setdiff1d(np.asarray(new_ys, dtype=np.float64), ys)
        if len(new_ys) == 0:
            return 0
        if passes >= max_passes:
            msg = (
                f"bandwidth search did not converge in max_passes={max_passes} kernel passes "
                f"(best h={math.exp(ys[np.argmax(fs)]):.6g}); raise max_passes or rtol"
            )
            raise RuntimeError(msg)
        passes += 1
        f_new = objective(np.exp(new_ys))
        order = np.argsort(np.concatenate([ys, new_ys]))
        ys = np.concatenate([ys, new_ys])[order]
        fs = np.concatenate([fs, f_new])[order]
        return len(new_ys)

    scale = n ** (-0.2 / d)
    lo = math.log(0.5 * float(sigma.min()) * scale)
    hi = math.log(1.06 * float(sigma.max()) * scale)
    if hi - lo < 1e-3:
        hi = lo + 1e-3
    evaluate(np.linspace(lo, hi, k))
    step = (hi - lo) / (k - 1)
    # Expansion limits: 10^4 times beyond the initial interval each way.
    floor, ceil = lo - math.log(1e4), hi + math.log(1e4)

    converged = False
    while True:
        best = int(np.argmax(fs))
        if not np.isfinite(fs[best]):
            msg = f"the {method} objective is not finite at any bandwidth in [{math.exp(ys[0]):.3g}, {math.exp(ys[-1]):.3g}]"
            raise ValueError(msg)
        if best == 0 or best == len(ys) - 1:
            at_low = best == 0
            edge = ys[best]
            if (at_low and edge <= floor) or (not at_low and edge >= ceil):
                raise ValueError(_no_optimum_message(method, math.exp(edge), at_low, x, n_jobs))
            step *= 2.0
            offsets = step * np.arange(1, k + 1)
            evaluate(edge - offsets if at_low else edge + offsets)
            continue
        width = ys[best + 1] - ys[best - 1]
        v, fv = _parabola_vertex(ys[best - 1 : best + 2], fs[best - 1 : best + 2])
        if width <= rtol or converged:
            return BandwidthResult(
                bandwidth=math.exp(v),
                passes=passes,
                score=sign * fv,
                method=method,
                bandwidths=np.exp(ys),
                scores=sign * fs,
            )
        spacing = min(0.5 * rtol * 0.999, width / (k + 1))
        grid = v + spacing * (np.arange(k) - (k - 1) / 2.0)
        grid = grid[(grid > ys[best - 1]) & (grid < ys[best + 1])]
        converged = evaluate(grid) == 0  # nothing new to try: the bracket is final


def _no_optimum_message(
    method: str, edge: float, at_low: bool, x: NDArray[np.floating], n_jobs: int
) -> str:
    n_dup = int(np.count_nonzero(nn_squared_distances(x, n_jobs=n_jobs) == 0.0))
    direction = "h -> 0" if at_low else "h -> infinity"
    objective = "LOO log-likelihood" if method == "ml" else "LSCV score"
    msg = (
        f"the {objective} has no finite optimum: it still improves at h={edge:.3g} "
        f"(searching towards {direction})"
    )
    if at_low and n_dup:
        msg += (
            f"; {n_dup} of {len(x)} points have an exact duplicate, which makes the "
            "objective unbounded as h -> 0: remove duplicates or add small jitter "
            "(e.g. x + 1e-6 * rng.standard_normal(x.shape))"
        )
    return msg


def kde_entropy_terms(
    x: ArrayLike,
    bandwidth: float,
    *,
    n_jobs: int = -1,
    shift_sq: ArrayLike | None = None,
    device: str = "cpu",
) -> NDArray[np.float64]:
    """Per-point leave-one-out KDE entropy terms ``-log p_{-i}(x_i)`` (Silverman 1986, section 3.4).

    Their mean is the LOO KDE estimate of the differential entropy of the
    (whitened) data in nats; the caller adds ``1/2 log det Sigma`` of the
    whitening and may use their standard deviation / sqrt(n) as a standard
    error.

    Parameters
    ----------
    x : array_like of shape (n, d)
        Whitened points, n >= 2.
    bandwidth : float
        Bandwidth h > 0 (e.g. ``select_bandwidth(x).bandwidth``).
    n_jobs : int, default -1
        Threads (-1: all cores).
    device : {"cpu", "cuda"}, default "cpu"
        Where the kernel sums run (``"cuda"`` needs pymi built with CUDA and a GPU).
    shift_sq : array_like of shape (n,), optional
        Per-point log-sum-exp shift (see :func:`loo_log_density`).

    Returns
    -------
    ndarray of shape (n,), float64
        ``-log p_{-i}(x_i)`` in nats.
    """
    return -loo_log_density(x, [float(bandwidth)], n_jobs=n_jobs, shift_sq=shift_sq, device=device)[0]
