"""Correlated Gaussian vectors with known mutual information, and Gaussian closed forms.

All information quantities are in nats (natural logarithms).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from scipy import special

from .._random import RandomStateLike, check_random_state
from ._checks import check_choice, check_dim, check_float_dtype, check_mi, check_n, check_split
from ._sample import KnownMISample

__all__ = ["correlated_normal", "gaussian_entropy", "gaussian_mi", "pair_correlations"]

_LOG_2PI_E = float(np.log(2.0 * np.pi) + 1.0)


def pair_correlations(mi: float, fractions: ArrayLike) -> np.ndarray:
    """Correlations ``rho_i = sqrt(1 - exp(-2 I_i))`` that give pair ``i`` the MI ``I_i = mi * fractions[i]``.

    A bivariate normal pair with correlation ``rho`` carries ``-log(1 - rho**2) / 2``
    nats; this inverts that relation (computed with ``expm1`` for accuracy at small MI).

    Parameters
    ----------
    mi : float
        Total mutual information in nats, ``>= 0``.
    fractions : array_like
        Non-negative shares of ``mi`` per pair, summing to 1.

    Returns
    -------
    numpy.ndarray
        One correlation in ``[0, 1)`` per pair (``1.0`` only once ``1 - rho**2`` underflows,
        for a pair MI above ~18 nats in double precision).
    """
    per_pair = float(mi) * np.asarray(fractions, dtype=np.float64)
    return np.sqrt(-np.expm1(-2.0 * per_pair))


def _random_orthogonal(rng: np.random.Generator, dim: int) -> np.ndarray:
    """A Haar-distributed orthogonal ``dim x dim`` matrix (QR of a Gaussian matrix, sign-fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _draw_pairs(
    rng: np.random.Generator, n: int, dim_x: int, dim_y: int, mi: float, fractions: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal ``(n, dim_x)``, ``(n, dim_y)`` arrays whose first ``m`` coordinates are correlated pairwise.

    Coordinate ``i < m`` of ``y`` is ``rho_i x_i + sqrt(1 - rho_i^2) e_i``; every other
    coordinate is independent. ``sqrt(1 - rho_i^2) = exp(-I_i)`` is used directly.
    """
    m = min(dim_x, dim_y)
    per_pair = mi * fractions
    rho = pair_correlations(mi, fractions)
    zx = rng.standard_normal((n, dim_x))
    zy = rng.standard_normal((n, dim_y))
    zy[:, :m] = rho * zx[:, :m] + np.exp(-per_pair) * zy[:, :m]
    return zx, zy


def correlated_normal(
    mi: float,
    dim_x: int,
    dim_y: int,
    n: int,
    *,
    split: str | Sequence[float] = "even",
    marginals: str = "gaussian",
    rotate: bool = True,
    random_state: RandomStateLike = None,
    dtype: DTypeLike = np.float64,
) -> KnownMISample:
    """Draw jointly Gaussian vectors ``x`` (``dim_x``) and ``y`` (``dim_y``) with ``I(x; y) = mi``.

    The target MI is split over ``m = min(dim_x, dim_y)`` coordinate pairs: pair ``i``
    carries ``I_i`` and has correlation ``rho_i = sqrt(1 - exp(-2 I_i))``, so that
    ``sum_i -log(1 - rho_i^2) / 2 = mi`` exactly. The joint covariance is the identity
    with ``Sigma[i, dim_x + i] = rho_i`` for ``i < m``. Each side is then multiplied by
    its own Haar-random orthogonal matrix, which spreads the dependence over all
    coordinates without changing the MI (an invertible map per side).

    Parameters
    ----------
    mi : float
        True mutual information in nats, ``>= 0``. ``mi=0`` gives independent ``x`` and ``y``.
    dim_x, dim_y : int
        Dimensions of the two sides, ``>= 1``.
    n : int
        Number of joint samples, ``>= 1``.
    split : {"even"} or sequence of float, default "even"
        How ``mi`` is shared among the ``m`` pairs: evenly, or proportionally to ``m``
        non-negative weights (zero weights give independent pairs).
    marginals : {"gaussian", "uniform"}, default "gaussian"
        ``"uniform"`` applies the standard normal CDF componentwise to each (rotated) side,
        giving Uniform(0, 1) marginals with the same MI. This is valid because within one
        side the coordinates are i.i.d. N(0, 1) before *and* after the rotation (the
        per-side covariance is the identity), and ``rotation`` followed by the
        componentwise CDF is an injective map of each side. No rotation is applied after
        the CDF (that would break the uniform marginals).
    rotate : bool, default True
        Apply the random orthogonal rotations. ``False`` returns the canonical pairs.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness; see :func:`pymi._random.check_random_state`.
    dtype : numpy.float32 or numpy.float64, default numpy.float64
        dtype of ``x`` and ``y`` (the draw is done in float64, then cast). In float32 the
        pairwise noise ``exp(-I_i)`` falls below the resolution of the data once a single
        pair carries more than ~8 nats.

    Returns
    -------
    KnownMISample
        ``x`` of shape ``(n, dim_x)``, ``y`` of shape ``(n, dim_y)``, ``mi`` as given;
        ``latent_x``, ``latent_y`` (float64) are the canonical un-rotated Gaussian
        coordinates, pair ``i`` being column ``i`` of each; ``x`` is ``latent_x @ Q_x``
        (then the CDF for ``marginals="uniform"``).

    Raises
    ------
    ValueError
        For a negative or non-finite ``mi``, dimensions or ``n`` below 1 or not integers,
        bad ``split`` weights, an unknown ``marginals`` or an unsupported ``dtype``.

    See Also
    --------
    gaussian_mi : the closed-form MI of a Gaussian with a given covariance.
    pymi.datasets.transformed_normal : the same pairs pushed through nonlinear injective maps.

    Notes
    -----
    Random numbers are drawn in a fixed order (latents of ``x``, latents of ``y``,
    rotation of ``x``, rotation of ``y``), so a seed fixes the whole sample.

    Examples
    --------
    >>> s = correlated_normal(2.0, 4, 3, 5000, random_state=0)
    >>> s.x.shape, s.y.shape
    ((5000, 4), (5000, 3))
    >>> cov = np.cov(np.hstack([s.x, s.y]), rowvar=False)
    >>> abs(gaussian_mi(cov, 4) - 2.0) < 0.1
    True
    """
    mi = check_mi(mi)
    dim_x = check_dim(dim_x, "dim_x")
    dim_y = check_dim(dim_y, "dim_y")
    n = check_n(n)
    fractions = check_split(split, min(dim_x, dim_y))
    marginals = check_choice(marginals, "marginals", ("gaussian", "uniform"))
    dt = check_float_dtype(dtype)
    rng = check_random_state(random_state)

    zx, zy = _draw_pairs(rng, n, dim_x, dim_y, mi, fractions)
    if rotate:
        x = zx @ _random_orthogonal(rng, dim_x)
        y = zy @ _random_orthogonal(rng, dim_y)
    else:
        x, y = zx.copy(), zy.copy()
    if marginals == "uniform":
        x, y = special.ndtr(x), special.ndtr(y)
    params = {
        "mi": mi,
        "dim_x": dim_x,
        "dim_y": dim_y,
        "n": n,
        "split": split if isinstance(split, str) else list(np.asarray(split, dtype=float)),
        "marginals": marginals,
        "rotate": bool(rotate),
        "dtype": dt.name,
    }
    return KnownMISample(
        x=x.astype(dt, copy=False),
        y=y.astype(dt, copy=False),
        mi=mi,
        latent_x=zx,
        latent_y=zy,
        name="correlated_normal",
        params=params,
    )


def _check_cov(cov: ArrayLike, name: str = "cov") -> np.ndarray:
    c = np.asarray(cov, dtype=np.float64)
    if c.ndim == 0:
        c = c.reshape(1, 1)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 1:
        msg = f"{name} must be a square 2-D covariance matrix; got shape {c.shape}; pass e.g. np.cov(data, rowvar=False)"
        raise ValueError(msg)
    if not np.all(np.isfinite(c)):
        msg = f"{name} must contain only finite values; got {int(np.sum(~np.isfinite(c)))} NaN/inf entries; remove NaN rows before computing the covariance"
        raise ValueError(msg)
    scale = max(float(np.max(np.abs(c))), np.finfo(np.float64).tiny)
    asym = float(np.max(np.abs(c - c.T)))
    if asym > 1e-8 * scale:
        msg = (
            f"{name} must be symmetric; got max |cov - cov.T| = {asym:.3g}; pass (cov + cov.T) / 2"
        )
        raise ValueError(msg)
    return c


def _logdet_spd(c: np.ndarray, name: str) -> float:
    """log det of a symmetric positive-definite matrix via Cholesky (fails loudly otherwise)."""
    try:
        chol = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        w = np.linalg.eigvalsh(c)
        msg = (
            f"{name} must be positive definite; got smallest eigenvalue {w[0]:.3g} "
            f"(of {c.shape[0]}); drop constant or collinear coordinates, or add a small ridge"
        )
        raise ValueError(msg) from None
    return float(2.0 * np.sum(np.log(np.diag(chol))))


def gaussian_entropy(cov: ArrayLike) -> float:
    """Differential entropy of a multivariate normal with covariance ``cov``, in nats.

    ``H = (d log(2 pi e) + log det cov) / 2``.

    Parameters
    ----------
    cov : array_like, shape (d, d)
        Symmetric positive-definite covariance (a scalar is taken as a 1x1 variance).

    Returns
    -------
    float
        Entropy in nats (may be negative).

    Raises
    ------
    ValueError
        If ``cov`` is not square, not finite, not symmetric or not positive definite.

    Examples
    --------
    >>> round(gaussian_entropy(np.eye(2)), 6)
    2.837877
    """
    c = _check_cov(cov)
    return 0.5 * (c.shape[0] * _LOG_2PI_E + _logdet_spd(c, "cov"))


def gaussian_mi(cov: ArrayLike, dim_x: int) -> float:
    """Mutual information between the first ``dim_x`` and the remaining coordinates of a Gaussian, in nats.

    ``I = (log det S_xx + log det S_yy - log det S) / 2``. Applied to a sample
    covariance it is the plug-in ("Gaussian") MI estimate, which is exact for Gaussian
    data up to sampling error and a lower bound in general only for Gaussians.

    Parameters
    ----------
    cov : array_like, shape (d, d)
        Joint covariance of ``(x, y)``, symmetric positive definite.
    dim_x : int
        Number of leading coordinates that form ``x``, ``1 <= dim_x < d``.

    Returns
    -------
    float
        Mutual information in nats.

    Raises
    ------
    ValueError
        If ``cov`` is invalid or ``dim_x`` is out of range.

    Examples
    --------
    >>> round(gaussian_mi([[1.0, 0.6], [0.6, 1.0]], 1), 6)  # -log(1 - 0.6**2) / 2
    0.223144
    """
    c = _check_cov(cov)
    d = c.shape[0]
    if (
        isinstance(dim_x, (bool, np.bool_))
        or not isinstance(dim_x, (int, np.integer))
        or not 1 <= dim_x < d
    ):
        msg = f"dim_x must be an integer with 1 <= dim_x < {d} (cov is {d}x{d}); got dim_x={dim_x!r}; pass the number of coordinates of x"
        raise ValueError(msg)
    dim_x = int(dim_x)
    return 0.5 * (
        _logdet_spd(c[:dim_x, :dim_x], "cov[:dim_x, :dim_x]")
        + _logdet_spd(c[dim_x:, dim_x:], "cov[dim_x:, dim_x:]")
        - _logdet_spd(c, "cov")
    )
