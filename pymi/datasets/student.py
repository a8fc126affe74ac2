"""Multivariate Student-t vectors with known mutual information (nats).

If ``(x, y) = g / sqrt(w / nu)`` with ``g`` Gaussian (unit variances, scale matrix ``R``)
and ``w ~ chi^2(nu)`` shared by both sides, then ``(x, y)`` is multivariate Student-t with
``nu`` degrees of freedom, and (Arellano-Valle, Contreras-Reyes & Genton 2013, eq. for the
MI of elliptical laws; used as a benchmark by Czyż et al. 2023)::

    I(x; y) = I_gauss(R) + c(nu, d_x, d_y),
    c = h(0) + h(d_x + d_y) - h(d_x) - h(d_y),
    h(k) = log Gamma((nu + k) / 2) - (nu + k) / 2 * psi((nu + k) / 2),

where ``I_gauss(R)`` is the MI of a Gaussian with covariance ``R`` and ``psi`` is the
digamma function. The correction ``c > 0`` is the information carried by the shared
scale ``w``: even with ``R = I`` the two sides are dependent. It vanishes as ``nu -> inf``.

References
----------
R. B. Arellano-Valle, J. E. Contreras-Reyes, M. G. Genton, "Shannon entropy and mutual
information for multivariate skew-elliptical distributions", Scand. J. Stat. 40 (2013) 42-62.
P. Czyż, F. Grabowski, J. E. Vogt, N. Beerenwinkel, A. Marx, "Beyond normal: on the
evaluation of mutual information estimators", NeurIPS 2023.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike
from scipy import special

from .._random import RandomStateLike, check_random_state
from ._checks import check_dim, check_float_dtype, check_mi, check_n, check_split
from ._sample import KnownMISample
from .gaussian import _draw_pairs, _random_orthogonal

__all__ = ["student_t", "student_t_mi_correction"]


def _check_df(df: object) -> float:
    if (
        isinstance(df, (bool, np.bool_))
        or not isinstance(df, numbers.Real)
        or not (math.isfinite(df) and df > 0)
    ):
        msg = f"df must be a finite positive number of degrees of freedom; got df={df!r}; pass e.g. df=3"
        raise ValueError(msg)
    return float(df)


def student_t_mi_correction(df: float, dim_x: int, dim_y: int) -> float:
    """The non-Gaussian part of the MI of a multivariate Student-t, in nats.

    ``c(nu, d_x, d_y) = h(0) + h(d_x + d_y) - h(d_x) - h(d_y)`` with
    ``h(k) = log Gamma((nu + k)/2) - (nu + k)/2 * psi((nu + k)/2)``
    (Arellano-Valle et al. 2013). It depends only on the degrees of freedom and the
    dimensions, is positive, and tends to 0 as ``df -> inf``.

    Parameters
    ----------
    df : float
        Degrees of freedom ``nu > 0``.
    dim_x, dim_y : int
        Dimensions of the two sides.

    Returns
    -------
    float
        The correction in nats; the total MI is ``I_gauss(scale matrix) + correction``.

    Examples
    --------
    >>> c = student_t_mi_correction(1.0, 1, 1)
    >>> round(c, 4)
    0.2242
    """
    nu = _check_df(df)
    dim_x = check_dim(dim_x, "dim_x")
    dim_y = check_dim(dim_y, "dim_y")

    def h(k: int) -> float:
        a = 0.5 * (nu + k)
        return float(special.gammaln(a) - a * special.digamma(a))

    return h(0) + h(dim_x + dim_y) - h(dim_x) - h(dim_y)


def student_t(
    mi: float,
    dim_x: int,
    dim_y: int,
    n: int,
    *,
    df: float,
    split: str | Sequence[float] = "even",
    rotate: bool = True,
    random_state: RandomStateLike = None,
    dtype: DTypeLike = np.float64,
) -> KnownMISample:
    """Draw multivariate Student-t vectors ``x``, ``y`` with ``I(x; y) = mi`` nats.

    The joint law is a multivariate t with ``df`` degrees of freedom, zero location and
    scale matrix ``R``: the identity with pairwise correlations ``rho_i`` between
    coordinate ``i`` of ``x`` and of ``y`` (``i < min(dim_x, dim_y)``), followed by an
    independent random rotation of each side. The Gaussian part ``mi - c`` (with
    ``c = student_t_mi_correction(df, dim_x, dim_y)``) is split over the pairs as in
    :func:`correlated_normal`. Heavy tails make this a hard case for kNN estimators
    (Czyż et al. 2023).

    Parameters
    ----------
    mi : float
        True MI in nats; must be at least ``c``, the MI the shared scale alone induces.
    dim_x, dim_y : int
        Dimensions, ``>= 1``.
    n : int
        Number of joint samples, ``>= 1``.
    df : float
        Degrees of freedom ``nu > 0`` (the smaller, the heavier the tails and the larger ``c``).
    split : {"even"} or sequence of float, default "even"
        Shares of the Gaussian part ``mi - c`` per pair.
    rotate : bool, default True
        Apply a random orthogonal rotation to each side.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness.
    dtype : numpy.float32 or numpy.float64, default numpy.float64
        dtype of ``x`` and ``y``.

    Returns
    -------
    KnownMISample
        ``latent_x``, ``latent_y`` are the un-rotated t-distributed coordinates (float64);
        the pair correlations of the scale matrix are
        ``pair_correlations(mi - c, fractions)``.

    Raises
    ------
    ValueError
        For invalid arguments, or ``mi`` below the correction ``c``.

    Notes
    -----
    Two regimes (both used by Czyż et al. 2023):

    - *Pure Student-t*: ``mi = student_t_mi_correction(df, dim_x, dim_y)`` exactly. The
      scale matrix is the identity, every coordinate of ``x`` is uncorrelated with every
      coordinate of ``y``, and all the dependence comes from the shared scale ``w``: the
      MI is ``c``, the smallest MI of this family, which no choice of ``split`` changes.
      A linear (Gaussian) estimator sees 0 here.
    - *Student-t with a Gaussian part*: ``mi > c``. The scale matrix carries the pairwise
      correlations of a Gaussian with MI ``mi - c``, on top of the shared scale.

    Examples
    --------
    >>> s = student_t(1.0, 2, 2, 1000, df=5, random_state=0)
    >>> s.x.shape, s.mi
    ((1000, 2), 1.0)

    The pure Student-t (no Gaussian correlation):

    >>> c = student_t_mi_correction(2, 2, 2)
    >>> student_t(c, 2, 2, 1000, df=2, random_state=0).mi == c
    True
    """
    mi = check_mi(mi)
    dim_x = check_dim(dim_x, "dim_x")
    dim_y = check_dim(dim_y, "dim_y")
    n = check_n(n)
    nu = _check_df(df)
    fractions = check_split(split, min(dim_x, dim_y))
    dt = check_float_dtype(dtype)
    correction = student_t_mi_correction(nu, dim_x, dim_y)
    if mi < correction:
        msg = (
            f"mi={mi:g} is below the smallest MI of a Student-t with df={nu:g}, dim_x={dim_x}, "
            f"dim_y={dim_y}: the shared scale alone carries {correction:.6g} nats; pass mi >= {correction:.6g}, "
            "or increase df (the correction shrinks as df grows)"
        )
        raise ValueError(msg)
    rng = check_random_state(random_state)

    gx, gy = _draw_pairs(rng, n, dim_x, dim_y, mi - correction, fractions)
    scale = np.sqrt(rng.chisquare(nu, size=n) / nu)[:, None]
    tx, ty = gx / scale, gy / scale
    if rotate:
        x = tx @ _random_orthogonal(rng, dim_x)
        y = ty @ _random_orthogonal(rng, dim_y)
    else:
        x, y = tx.copy(), ty.copy()
    params = {
        "mi": mi,
        "dim_x": dim_x,
        "dim_y": dim_y,
        "n": n,
        "df": nu,
        "split": split if isinstance(split, str) else list(np.asarray(split, dtype=float)),
        "rotate": bool(rotate),
        "dtype": dt.name,
    }
    return KnownMISample(
        x=x.astype(dt, copy=False),
        y=y.astype(dt, copy=False),
        mi=mi,
        latent_x=tx,
        latent_y=ty,
        name="student_t",
        params=params,
    )
