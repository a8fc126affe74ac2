"""Coupled linear autoregressive processes with known transfer entropy.

A stationary vector autoregression of order 1, ``w_t = A w_{t-1} + e_t`` with
``e_t ~ N(0, Sigma_e)``, is Gaussian, so the transfer entropy

    TE_{S -> T} = I(T_t ; S_{t-lag}, ..., S_{t-lag-l+1} | T_{t-1}, ..., T_{t-h})

(Schreiber, "Measuring information transfer", Phys. Rev. Lett. 85, 461 (2000);
history lengths ``h`` for the target and ``l`` for the source) is a Gaussian
conditional mutual information of the stationary covariances
``Cov(w_{t+s}, w_t) = A^s Gamma_0``, ``Gamma_0 = A Gamma_0 A^T + Sigma_e``
(Barnett, Barrett & Seth, "Granger causality and transfer entropy are equivalent
for Gaussian variables", Phys. Rev. Lett. 103, 238701 (2009)). Values are in nats.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, optimize, signal

from .._random import RandomStateLike, check_random_state
from ._checks import check_mi, check_n
from .conditional import gaussian_cmi

__all__ = ["KnownTESample", "coupled_ar", "coupling_for_te", "var_transfer_entropy"]

#: Smallest positive coupling of the search grid of :func:`coupling_for_te` ...
_GRID_START = 1e-3
#: ... and the number of logarithmically spaced couplings from there to ``max_coupling``.
_GRID_SIZE = 64


@dataclass(frozen=True, eq=False)
class KnownTESample:
    """Two time series with known transfer entropy from ``source`` to ``target``.

    Attributes
    ----------
    source, target : numpy.ndarray
        Shape ``(n,)`` each, aligned in time.
    te : float
        True TE source -> target (nats) for the ``lag``, ``history`` and
        ``source_history`` in ``params``.
    te_reverse : float
        True TE target -> source with the same settings.
    name : str
    params : dict
    """

    source: np.ndarray
    target: np.ndarray
    te: float
    te_reverse: float
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Length of the series."""
        return int(self.source.shape[0])


def _check_memory(value: Any, name: str) -> float:
    """An AR(1) coefficient: a real number in (-1, 1), the stationarity condition."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        msg = (
            f"{name} must be a real number in (-1, 1) (the AR(1) coefficient); got "
            f"{name}={value!r} of type {type(value).__name__}; pass e.g. {name}=0.5"
        )
        raise ValueError(msg)
    out = float(value)
    if not abs(out) < 1.0:  # also refuses NaN
        msg = (
            f"{name} must lie in (-1, 1) for a stationary process (|{name}| < 1); got "
            f"{name}={out!r}; pass e.g. {name}=0.5, or {name}=0.9 for a slow process"
        )
        raise ValueError(msg)
    return out


def _check_coupling(
    value: Any, name: str, *, lower: float = -math.inf, why: str = "", example: float = 0.5
) -> float:
    """A finite real number above ``lower`` (``why`` says what the bound is)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a real number; got {name}={value!r} of type {type(value).__name__}; pass e.g. {name}={example!r}"
        raise ValueError(msg)
    out = float(value)
    if not math.isfinite(out) or not out > lower:
        bound = "" if lower == -math.inf else f" and > {lower:g}{why}"
        msg = f"{name} must be finite{bound}; got {name}={out!r}; pass e.g. {name}={example!r}"
        raise ValueError(msg)
    return out


def _check_positive(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        msg = f"{name} must be a positive integer; got {name}={value!r}; pass e.g. {name}=1"
        raise ValueError(msg)
    return int(value)


def _lagged_cov(a: np.ndarray, gamma0: np.ndarray, i: int, j: int) -> np.ndarray:
    """Cov(w_{t-i}, w_{t-j})."""
    if i <= j:
        return np.linalg.matrix_power(a, j - i) @ gamma0
    return gamma0 @ np.linalg.matrix_power(a, i - j).T


def var_transfer_entropy(
    coefficients: ArrayLike,
    noise_cov: ArrayLike,
    *,
    source: int = 0,
    target: int = 1,
    lag: int = 1,
    history: int = 1,
    source_history: int = 1,
) -> float:
    """Transfer entropy (nats) of a stationary Gaussian VAR(1) ``w_t = A w_{t-1} + e_t``.

    Parameters
    ----------
    coefficients : array_like, shape (d, d)
        ``A``; every eigenvalue must lie inside the unit circle (stationarity).
    noise_cov : array_like, shape (d, d)
        ``Sigma_e``, positive definite.
    source, target : int
        Component indices.
    lag : int, default 1
        The source's most recent value used is ``S_{t-lag}``.
    history : int, default 1
        Target history length ``h``: ``T_{t-1}, ..., T_{t-h}``.
    source_history : int, default 1
        Source history length ``l``: ``S_{t-lag}, ..., S_{t-lag-l+1}``.

    Returns
    -------
    float
        ``I(T_t ; S-past | T-past)`` under the stationary distribution.
    """
    a = np.asarray(coefficients, dtype=np.float64)
    sig = np.asarray(noise_cov, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or sig.shape != a.shape:
        msg = (
            f"coefficients and noise_cov must be square matrices of one shape; got "
            f"{a.shape} and {sig.shape}"
        )
        raise ValueError(msg)
    radius = float(np.max(np.abs(np.linalg.eigvals(a))))
    if radius >= 1.0:
        msg = (
            f"coefficients must describe a stationary process (spectral radius < 1); got "
            f"spectral radius {radius:.4g}; shrink the coefficients"
        )
        raise ValueError(msg)
    lag = _check_positive(lag, "lag")
    history = _check_positive(history, "history")
    source_history = _check_positive(source_history, "source_history")
    gamma0 = linalg.solve_discrete_lyapunov(a, sig)
    # (component, delay): target now, source past, target past
    entries = [(target, 0)]
    entries += [(source, lag + m) for m in range(source_history)]
    entries += [(target, 1 + m) for m in range(history)]
    size = len(entries)
    cov = np.empty((size, size))
    for p, (ci, di) in enumerate(entries):
        for q, (cj, dj) in enumerate(entries):
            cov[p, q] = _lagged_cov(a, gamma0, di, dj)[ci, cj]
    return gaussian_cmi(cov, 1, source_history)


def coupled_ar(
    n: int,
    *,
    coupling: float = 0.5,
    source_memory: float = 0.5,
    target_memory: float = 0.5,
    lag: int = 1,
    history: int = 1,
    source_history: int = 1,
    burn_in: int = 1000,
    random_state: RandomStateLike = None,
) -> KnownTESample:
    """A source AR(1) driving a target AR(1) one step later, with the exact transfer entropy.

    ``s_t = a s_{t-1} + e_t``, ``t_t = b t_{t-1} + c s_{t-1} + f_t`` with independent
    standard-normal ``e``, ``f``; ``a = source_memory``, ``b = target_memory``,
    ``c = coupling``. The reverse direction carries no information
    (``te_reverse = 0``): the source does not depend on the target.

    Parameters
    ----------
    n : int
        Length of the returned series (after ``burn_in`` discarded steps).
    coupling, source_memory, target_memory : float
        ``c``, ``a``, ``b``; ``|a| < 1`` and ``|b| < 1`` for stationarity.
    lag, history, source_history : int
        The settings the returned ``te`` is computed for (see :func:`var_transfer_entropy`).
    burn_in : int, default 1000
        Initial steps discarded (the process starts at 0).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence

    Returns
    -------
    KnownTESample

    Raises
    ------
    ValueError
        For ``|source_memory| >= 1`` or ``|target_memory| >= 1`` (not stationary), a
        non-finite ``coupling``, or bad ``n``, ``burn_in``, ``lag``, ``history``,
        ``source_history``.

    Examples
    --------
    >>> s = coupled_ar(1000, coupling=0.5, random_state=0)
    >>> s.source.shape, round(s.te, 4), abs(s.te_reverse) < 1e-12
    ((1000,), 0.1348, True)
    """
    n = check_n(n)
    source_memory = _check_memory(source_memory, "source_memory")
    target_memory = _check_memory(target_memory, "target_memory")
    coupling = _check_coupling(coupling, "coupling")
    if isinstance(burn_in, (bool, np.bool_)) or not isinstance(burn_in, (int, np.integer)) or burn_in < 0:
        msg = f"burn_in must be a non-negative integer; got burn_in={burn_in!r}; pass e.g. burn_in=1000"
        raise ValueError(msg)
    a = np.array([[source_memory, 0.0], [coupling, target_memory]], dtype=np.float64)
    sig = np.eye(2)
    te = var_transfer_entropy(
        a, sig, source=0, target=1, lag=lag, history=history, source_history=source_history
    )
    te_rev = var_transfer_entropy(
        a, sig, source=1, target=0, lag=lag, history=history, source_history=source_history
    )
    rng = check_random_state(random_state)
    total = n + int(burn_in)
    noise = rng.standard_normal((total, 2))
    # two first-order recursions (the process starts at 0): s first, then t driven by s_{t-1}
    src = signal.lfilter([1.0], [1.0, -source_memory], noise[:, 0])
    drive = noise[:, 1].copy()
    drive[1:] += coupling * src[:-1]
    tgt = signal.lfilter([1.0], [1.0, -target_memory], drive)
    w = np.stack([src, tgt], axis=1)[burn_in:]
    params = {
        "n": n, "coupling": float(coupling), "source_memory": float(source_memory),
        "target_memory": float(target_memory), "lag": lag, "history": history,
        "source_history": source_history, "burn_in": int(burn_in),
    }
    return KnownTESample(
        source=np.ascontiguousarray(w[:, 0]), target=np.ascontiguousarray(w[:, 1]),
        te=float(te), te_reverse=float(te_rev), name="coupled_ar", params=params,
    )


def coupling_for_te(
    te: float,
    *,
    source_memory: float = 0.5,
    target_memory: float = 0.5,
    lag: int = 1,
    history: int = 1,
    source_history: int = 1,
    max_coupling: float = 100.0,
) -> float:
    """The smallest coupling ``c >= 0`` of :func:`coupled_ar` whose transfer entropy is ``te`` nats.

    The exact TE of the process (:func:`var_transfer_entropy`) is evaluated on 0 and a
    logarithmic grid of 64 couplings from 0.001 to ``max_coupling``. With ``lag = 1`` it
    grows without bound in ``c``. With ``lag > 1`` it is bounded and need not be
    monotone: the coupling acts at one step, so the source value ``lag`` steps back
    informs the target only through the source's memory, while the target's own past,
    conditioned on, carries more of the source as ``c`` grows (for ``lag = 2`` and
    memories 0.5 the TE peaks at 0.0372 nats near ``c = 1.35`` and then decreases towards
    0.032; for ``lag = 3`` it rises, falls to almost 0 near ``c = 1`` and rises again). Each local maximum of the grid is therefore refined by a
    bounded scalar search between its neighbours before ``te`` is declared out of reach,
    and the root is taken on the first increasing branch that reaches ``te``: the grid
    interval (or the rise to a refined peak) where the TE first climbs to ``te`` is
    refined by Brent's method (to 1e-12 in ``c``).

    Parameters
    ----------
    te : float
        Target transfer entropy source -> target, nats, ``>= 0``.
    source_memory, target_memory : float
        AR(1) coefficients of source and target, in (-1, 1), as in :func:`coupled_ar`.
    lag, history, source_history : int
        As in :func:`coupled_ar`.
    max_coupling : float, default 100.0
        Largest coupling searched; finite and above the grid's smallest coupling, 0.001.

    Returns
    -------
    float
        ``c`` with ``coupled_ar(..., coupling=c).te == te`` (0 for ``te = 0``).

    Raises
    ------
    ValueError
        For a negative or non-finite ``te``; a memory outside (-1, 1); a ``max_coupling``
        that is not finite or not above 0.001; or a ``te`` above the largest TE reached on
        ``[0, max_coupling]`` (the message gives that largest value).

    References
    ----------
    T. Schreiber, "Measuring information transfer", Phys. Rev. Lett. 85, 461 (2000);
    L. Barnett, A. B. Barrett and A. K. Seth, "Granger causality and transfer entropy are
    equivalent for Gaussian variables", Phys. Rev. Lett. 103, 238701 (2009).

    Examples
    --------
    >>> c = coupling_for_te(0.5)
    >>> s = coupled_ar(100, coupling=c, random_state=0)
    >>> bool(abs(s.te - 0.5) < 1e-9)
    True
    """
    te = check_mi(te, "te", what="transfer entropy", example=0.1, zero="an uncoupled source")
    source_memory = _check_memory(source_memory, "source_memory")
    target_memory = _check_memory(target_memory, "target_memory")
    max_coupling = _check_coupling(
        max_coupling, "max_coupling", lower=_GRID_START, example=100.0,
        why=" (the largest coupling searched, above the search grid's smallest, 0.001)",
    )  # fmt: skip
    lag = _check_positive(lag, "lag")
    history = _check_positive(history, "history")
    source_history = _check_positive(source_history, "source_history")
    if te == 0.0:
        return 0.0
    noise = np.eye(2)

    def excess(c: float) -> float:
        a = np.array([[source_memory, 0.0], [c, target_memory]], dtype=np.float64)
        value = var_transfer_entropy(
            a, noise, source=0, target=1, lag=lag, history=history, source_history=source_history
        )
        return value - te

    grid = np.concatenate([[0.0], np.geomspace(_GRID_START, max_coupling, _GRID_SIZE)])
    values = np.array([excess(c) for c in grid])
    best = float(values.max())
    for i in range(1, grid.size):
        if values[i] >= 0.0:  # the TE first reaches te on (grid[i-1], grid[i]]
            if values[i] == 0.0:
                return float(grid[i])
            return float(optimize.brentq(excess, grid[i - 1], grid[i], xtol=1e-12, rtol=1e-14))
        if i + 1 < grid.size and values[i] >= values[i - 1] and values[i] >= values[i + 1]:
            # a peak of the grid below te: the true maximum lies between the neighbours
            peak = optimize.minimize_scalar(
                lambda c: -excess(c), bounds=(grid[i - 1], grid[i + 1]), method="bounded",
                options={"xatol": 1e-10},
            )  # fmt: skip
            top = -float(peak.fun)
            best = max(best, top)
            if top >= 0.0:
                c_top = float(peak.x)
                if top == 0.0:
                    return c_top
                # the rise from grid[i-1] (below te) to the peak crosses te
                return float(optimize.brentq(excess, grid[i - 1], c_top, xtol=1e-12, rtol=1e-14))
    hint = (
        "; with lag > 1 the TE is bounded in the coupling and need not be monotone (for "
        "lag=2 it rises to a peak and then decreases): pass a smaller te, or lag=1 (whose TE "
        "grows without bound)"
        if lag > 1
        else f"; pass a smaller te, or a larger max_coupling (the TE grows without bound in "
        f"the coupling for lag=1), e.g. max_coupling={10 * max_coupling:g}"
    )
    msg = (
        f"te={te:g} nats is out of reach of coupled_ar with source_memory={source_memory}, "
        f"target_memory={target_memory}, lag={lag}, history={history}, "
        f"source_history={source_history}: the largest TE for a coupling in [0, "
        f"{max_coupling:g}] is {te + best:.6g} nats{hint}"
    )
    raise ValueError(msg)
