"""A nearly discrete variable paired with a Gaussian mixture, with known mutual information (nats).

``Z`` is uniform on the ``K`` levels ``0, 1, ..., K - 1``; ``x = Z + sigma * eps`` with a
tiny independent noise ``eps ~ N(0, 1)``, so ``x`` is continuous but concentrated on ``K``
narrow clusters; ``y | Z = z ~ N(separation * (z - (K - 1) / 2), 1)``. Estimators built
for smooth densities meet a variable whose density has ``K`` spikes of width ``sigma``
(the mixed discrete-continuous regime studied by Gao, Kannan, Oh & Viswanath 2017).

The truth is ``I(Z; y)``, an integral that :func:`near_discrete_mi` evaluates by
Gauss-Legendre quadrature, and ``I(x; y)`` differs from it by less than ``1e-12`` nats for every
accepted ``sigma`` (proof in :func:`near_discrete`).

References
----------
W. Gao, S. Kannan, S. Oh, P. Viswanath, "Estimating mutual information for
discrete-continuous mixtures", NeurIPS 2017.
D. Guo, S. Shamai, S. Verdú, "Mutual information and minimum mean-square error in
Gaussian channels", IEEE Trans. Inf. Theory 51 (2005) 1261-1282.
T. M. Cover, J. A. Thomas, "Elements of information theory", 2nd ed., Wiley 2006 (Fano's
inequality, section 2.10).
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
from numpy.typing import DTypeLike
from scipy import optimize, special

from .._random import RandomStateLike, check_random_state
from ._checks import check_dim, check_float_dtype, check_mi, check_n
from ._sample import KnownMISample
from .gaussian import _random_orthogonal

__all__ = ["near_discrete", "near_discrete_gap_bound", "near_discrete_mi"]

#: Largest accepted bound on ``I(Z; y) - I(x; y)``, in nats (see :func:`near_discrete_gap_bound`).
MAX_GAP = 1e-12
#: ``mi`` must stay this far (nats) below ``log(levels)`` for the separation to be well determined.
MIN_DISTANCE_TO_MAX = 1e-9
#: Half-width of the integration range of the standard-normal noise: beyond it the
#: normal density (< 1e-31) times the integrand (< log K + separation * K * |e|) is
#: negligible.
_NOISE_RANGE = 12.0
#: Composite Gauss-Legendre rule: panels of width 0.125 with 24 nodes each.
_GL_PANELS = 192
_GL_ORDER = 24
#: Largest number of (node, level, level) terms evaluated at once (bounds the memory).
_BLOCK = 1 << 20


def _check_levels(levels: object) -> int:
    if isinstance(levels, (bool, np.bool_)) or not isinstance(levels, numbers.Integral) or levels < 2:
        msg = f"levels must be an integer >= 2 (number of discrete values of Z); got levels={levels!r}; pass e.g. levels=4"
        raise ValueError(msg)
    return int(levels)


def _check_separation(separation: object) -> float:
    ok = isinstance(separation, numbers.Real) and not isinstance(separation, (bool, np.bool_))
    if not ok or not (math.isfinite(separation) and separation >= 0):
        msg = f"separation must be a finite number >= 0 (distance between neighbouring means of y, in units of its noise sd); got separation={separation!r}; pass e.g. separation=2.0"
        raise ValueError(msg)
    return float(separation)


def _check_sigma(sigma: object) -> float:
    ok = isinstance(sigma, numbers.Real) and not isinstance(sigma, (bool, np.bool_))
    if not ok or not (math.isfinite(sigma) and sigma >= 0):
        msg = f"sigma must be a finite number >= 0 (sd of the noise added to the integer levels of x); got sigma={sigma!r}; pass e.g. sigma=1e-3"
        raise ValueError(msg)
    return float(sigma)


def near_discrete_mi(separation: float, levels: int) -> float:
    """``I(Z; y)`` in nats for ``Z`` uniform on ``levels`` values and ``y | Z ~ N(separation * Z, 1)``.

    With ``y = separation * k + e`` for ``Z = k`` and ``e ~ N(0, 1)``,
    ``log p(y | k) - log p(y) = log K - log sum_j exp(-separation (k - j) e - separation^2 (k - j)^2 / 2)``,
    so ``I = log K - (1/K) sum_k E_e[log sum_j exp(...)]``: ``h(y) - h(y | Z)`` of the
    Gaussian mixture, written without cancellation. The expectation over ``e`` is a
    composite 24-point Gauss-Legendre rule on 192 panels of ``[-12, 12]`` (the normal
    density is below 1e-31 outside). The integrand is analytic, its complex singularities
    lying at least ``pi / separation`` away from the real line where they matter, so the
    rule converges geometrically; it agrees with adaptive quadrature
    (:func:`scipy.integrate.quad` of ``h(y)``) to about 1e-14 nats. The cost grows as
    ``levels**2``. The MI is ``0`` at ``separation = 0``,
    strictly increasing in ``separation`` (the I-MMSE relation of Guo, Shamai & Verdú
    2005: its derivative is proportional to the positive minimum mean-square error), and
    tends to ``log K`` as ``separation -> inf``. A shift of all means leaves it unchanged.

    Parameters
    ----------
    separation : float
        Distance between neighbouring means of ``y``, in units of the noise sd, ``>= 0``.
    levels : int
        Number ``K >= 2`` of equally likely values of ``Z``.

    Returns
    -------
    float
        The mutual information in nats, in ``[0, log K)``.

    Raises
    ------
    ValueError
        For a negative or non-finite ``separation`` or ``levels`` below 2.

    Examples
    --------
    >>> round(near_discrete_mi(0.0, 4), 12)
    0.0
    >>> abs(near_discrete_mi(30.0, 2) - math.log(2)) < 1e-12
    True
    """
    delta = _check_separation(separation)
    k = _check_levels(levels)
    return _mi(delta, k)


def _gauss_legendre_rule() -> tuple[np.ndarray, np.ndarray]:
    """Nodes of the noise ``e`` and weights ``w * phi(e)`` of the composite Gauss-Legendre rule."""
    x, w = np.polynomial.legendre.leggauss(_GL_ORDER)
    edges = np.linspace(-_NOISE_RANGE, _NOISE_RANGE, _GL_PANELS + 1)
    mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * (edges[1:] - edges[:-1])
    nodes = (mid[:, None] + half[:, None] * x).ravel()
    weights = (half[:, None] * w).ravel() * np.exp(-0.5 * nodes * nodes) / math.sqrt(2.0 * math.pi)
    return nodes, weights


_NODES, _WEIGHTS = _gauss_legendre_rule()


def _mi(delta: float, k: int) -> float:
    if delta == 0.0:
        return 0.0
    m = np.arange(k)[:, None] - np.arange(k)[None, :]  # k - j
    lin = -delta * m
    quad = -0.5 * (delta * m) ** 2
    step = max(1, _BLOCK // (k * k))
    loss = 0.0
    for start in range(0, _NODES.size, step):
        e = _NODES[start : start + step, None, None]
        per_k = special.logsumexp(lin * e + quad, axis=2)
        loss += float(_WEIGHTS[start : start + step] @ per_k.mean(axis=1))
    return math.log(k) - loss


@functools.lru_cache(maxsize=256)
def _separation(mi: float, k: int) -> float:
    """The separation at which ``near_discrete_mi`` equals ``mi`` (Brent's method)."""
    if mi == 0.0:
        return 0.0
    hi = 1.0
    while _mi(hi, k) < mi:
        hi *= 2.0
    return float(optimize.brentq(lambda d: _mi(d, k) - mi, 0.0, hi, xtol=1e-13, rtol=1e-14))


def near_discrete_gap_bound(sigma: float, levels: int) -> float:
    """Upper bound on ``I(Z; y) - I(x; y) >= 0`` in nats, for ``x = Z + sigma * eps``.

    ``p (1 - log p + log(K - 1))`` with ``p = erfc(1 / (2 sqrt(2) sigma))`` (``0`` for
    ``sigma = 0``); see :func:`near_discrete` for the proof.

    Parameters
    ----------
    sigma : float
        Noise sd added to the integer levels, ``>= 0``.
    levels : int
        Number ``K >= 2`` of levels.

    Returns
    -------
    float
        The bound in nats (``inf`` when ``p > 1/2``, where the argument does not apply).

    Examples
    --------
    >>> near_discrete_gap_bound(1e-3, 4)
    0.0
    >>> near_discrete_gap_bound(0.05, 4) < 1e-12
    True
    """
    s = _check_sigma(sigma)
    k = _check_levels(levels)
    if s == 0.0:
        return 0.0
    # log p with p = P(|sigma eps| > 1/2) = 2 Phi(-1 / (2 sigma)), without underflow
    log_p = math.log(2.0) + float(special.log_ndtr(-0.5 / s))
    if log_p > math.log(0.5):
        return math.inf
    return math.exp(log_p) * (1.0 - log_p + math.log(k - 1))


def near_discrete(
    mi: float,
    n: int,
    *,
    levels: int = 4,
    sigma: float = 1e-3,
    dim_y: int = 1,
    random_state: RandomStateLike = None,
    dtype: DTypeLike = np.float64,
) -> KnownMISample:
    """A nearly discrete ``x`` and a Gaussian-mixture ``y`` with ``I(x; y) = mi`` nats (to 1e-12).

    ``Z`` is uniform on ``{0, ..., levels - 1}``, ``x = Z + sigma * eps_x`` (shape
    ``(n, 1)``), and ``y`` has first canonical coordinate
    ``separation * (Z - (levels - 1) / 2) + eps_y``; for ``dim_y > 1`` independent
    standard-normal coordinates are appended and the vector is multiplied by a Haar-random
    orthogonal matrix (which leaves the MI unchanged). The ``separation`` is the root of
    ``near_discrete_mi(separation, levels) = mi`` found by Brent's method
    (:func:`scipy.optimize.brentq`); the root is unique because that MI is strictly
    increasing in the separation.

    The truth ``I(x; y)`` is within ``1e-12`` nats of ``I(Z; y)``, which the quadrature of
    :func:`near_discrete_mi` gives to about ``1e-14`` (and the root finder matches to
    ``1e-13``). Proof: ``y`` and ``x`` are
    independent given ``Z``, so ``I(Z; y) = I(x, Z; y) = I(x; y) + I(Z; y | x)`` and
    ``0 <= I(Z; y | x) <= H(Z | x)``. Rounding ``x`` to the nearest level recovers ``Z``
    unless ``|sigma eps_x| > 1/2``, which has probability at most
    ``p = erfc(1 / (2 sqrt(2) sigma))``; by Fano's inequality (Cover & Thomas 2006),
    ``H(Z | x) <= H_b(p) + p log(K - 1) <= p (1 - log p + log(K - 1))`` for ``p <= 1/2``,
    using ``-(1 - p) log(1 - p) <= p``. This bound (:func:`near_discrete_gap_bound`) is
    below ``1e-12`` for every accepted ``sigma``: it is about ``3e-15`` at
    ``sigma = 0.06``, crosses ``1e-12`` near ``sigma = 0.0657`` and underflows to 0 at
    the default ``1e-3``.

    Parameters
    ----------
    mi : float
        True MI in nats, ``0 <= mi < log(levels)``. The supremum ``log(levels)`` (the
        entropy of ``Z``) is approached only as the separation grows without bound;
        values within ``1e-9`` of it are refused.
    n : int
        Number of joint samples, ``>= 1``.
    levels : int, default 4
        Number ``K >= 2`` of levels of ``Z`` (the largest reachable MI is ``log K``:
        0.693 nats for 2 levels, 1.386 for 4, 2.079 for 8).
    sigma : float, default 1e-3
        Noise sd of ``x`` around the integer levels (spacing 1), ``>= 0`` (``0`` makes ``x``
        exactly discrete). Larger values are refused once the bound on
        ``I(Z; y) - I(x; y)`` exceeds ``1e-12`` nats (from ``sigma ~ 0.0657`` on); at
        the accepted values the clusters of ``x`` never overlap in practice.
    dim_y : int, default 1
        Dimension of ``y``, ``>= 1``.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness; see :func:`pymi._random.check_random_state`.
    dtype : numpy.float32 or numpy.float64, default numpy.float64
        dtype of ``x`` and ``y`` (computed in float64, then cast; float32 keeps ``sigma``
        resolved for ``sigma >= 1e-4`` with up to 64 levels).

    Returns
    -------
    KnownMISample
        ``x`` of shape ``(n, 1)``, ``y`` of shape ``(n, dim_y)``; ``latent_x`` is ``Z``
        (float64, shape ``(n, 1)``) and ``latent_y`` the un-rotated coordinates of ``y``,
        so ``I(latent_x; latent_y) = I(Z; y)``. ``params["separation"]`` is the solved
        separation and ``params["gap_bound"]`` the bound on ``I(Z; y) - I(x; y)``.

    Raises
    ------
    ValueError
        For a negative or non-finite ``mi``, ``mi`` not below ``log(levels) - 1e-9``,
        ``levels`` below 2, a negative, non-finite or too large ``sigma``, ``n`` or
        ``dim_y`` below 1, or an unsupported ``dtype``.

    Notes
    -----
    Random numbers are drawn in a fixed order (``Z``, noise of ``x``, noise of ``y``,
    rotation of ``y`` when ``dim_y > 1``).

    Examples
    --------
    >>> s = near_discrete(1.0, 2000, levels=4, random_state=0)
    >>> s.x.shape, s.y.shape, s.mi
    ((2000, 1), (2000, 1), 1.0)
    >>> abs(near_discrete_mi(s.params["separation"], 4) - 1.0) < 1e-10
    True
    """
    mi = check_mi(mi)
    n = check_n(n)
    k = _check_levels(levels)
    s = _check_sigma(sigma)
    dim_y = check_dim(dim_y, "dim_y")
    dt = check_float_dtype(dtype)
    top = math.log(k)
    if mi > top - MIN_DISTANCE_TO_MAX:
        need = math.floor(math.exp(mi)) + 1
        msg = (
            f"mi must be below log(levels) = {top:.6g} nats, the entropy of the {k} levels "
            f"(approached only as the separation grows without bound; values within "
            f"{MIN_DISTANCE_TO_MAX:g} of it are refused); got mi={mi!r} with levels={k}; "
            f"pass mi < {top - MIN_DISTANCE_TO_MAX:.9g} or levels >= {need}"
        )
        raise ValueError(msg)
    gap = near_discrete_gap_bound(s, k)
    if gap > MAX_GAP:
        msg = (
            f"sigma={s!r} is too large for an exact truth: the clusters of x around the levels "
            f"overlap enough that I(x; y) may fall below I(Z; y) by up to {gap:.3g} nats "
            f"(more than {MAX_GAP:g}); pass sigma <= 0.06, e.g. the default sigma=1e-3"
        )
        raise ValueError(msg)
    rng = check_random_state(random_state)
    delta = _separation(mi, k)

    z = rng.integers(0, k, size=n).astype(np.float64)[:, None]
    x = z + s * rng.standard_normal((n, 1))
    zy = rng.standard_normal((n, dim_y))
    zy[:, 0] += delta * (z[:, 0] - 0.5 * (k - 1))
    y = zy @ _random_orthogonal(rng, dim_y) if dim_y > 1 else zy.copy()
    params = {
        "mi": mi,
        "n": n,
        "levels": k,
        "sigma": s,
        "dim_y": dim_y,
        "dtype": dt.name,
        "separation": delta,
        "gap_bound": gap,
    }
    return KnownMISample(
        x=x.astype(dt, copy=False),
        y=y.astype(dt, copy=False),
        mi=mi,
        latent_x=z,
        latent_y=zy,
        name="near_discrete",
        params=params,
    )
