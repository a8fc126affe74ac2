"""Synthetic images with known mutual information (the benchmark of Butakov et al., ICLR 2024).

Each generator draws Gaussian latents ``(xi_x, xi_y)`` with ``I(xi_x; xi_y) = mi`` (the MI
split over ``k`` coordinate pairs), maps each side to parameters in ``(0, 1)^k`` with the
componentwise standard normal CDF ``Phi`` (and, for rectangles, an order-preserving
reparametrisation), and renders the parameters into an image with a smooth injective map.
Mutual information is invariant under injective maps of each side separately, so the
images carry exactly ``mi`` nats.

=========================  =====  ==========  =================================================
generator                  size   parameters  pixel value
=========================  =====  ==========  =================================================
:func:`gaussian_bump`      16     2           ``exp(-10 ||g - mu||^2)``, ``mu = Phi(xi)``
:func:`correlated_bump`    32     5           anisotropic, correlated Gaussian bump
:func:`rectangles`         32     4           exact overlap area of each pixel with a rectangle
=========================  =====  ==========  =================================================

The ``render_*`` functions take the unit-cube parameters ``p = Phi(latent)`` directly
(``p = scipy.special.ndtr(sample.latent_x)``); they are what the generators call. All
images are float32 arrays of shape ``(n, size, size)``; image row ``r`` is the vertical
coordinate, column ``c`` the horizontal one. The paper's grid: true MI in
``np.linspace(0, 10, 41)``, ``n = 5000`` per point.

References
----------
I. Butakov, A. Tolmachev, S. Malanchuk, A. Neopryatnaya, A. Frolov, K. Andreev,
"Information bottleneck analysis of deep neural networks via lossy compression",
ICLR 2024.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .._random import RandomStateLike, check_random_state
from ._checks import check_mi, check_n, check_split
from ._sample import KnownMISample
from .gaussian import _draw_pairs

__all__ = [
    "correlated_bump",
    "gaussian_bump",
    "rectangles",
    "render_correlated_bump",
    "render_gaussian_bump",
    "render_rectangles",
]

#: Samples rendered per block (bounds temporary memory; images are independent).
_CHUNK = 2048
#: Sharpness of the Gaussian bumps (pixel = exp(-_BUMP_SCALE * quadratic form)).
_BUMP_SCALE = 10.0


# --------------------------------------------------------------------------- validation


def _check_size(size: object, minimum: int) -> int:
    if (
        isinstance(size, (bool, np.bool_))
        or not isinstance(size, numbers.Integral)
        or size < minimum
    ):
        msg = f"size must be an integer >= {minimum} (image side in pixels); got size={size!r}; pass e.g. size=32"
        raise ValueError(msg)
    return int(size)


def _check_min_side(min_side: object, size: int) -> float:
    if (
        isinstance(min_side, (bool, np.bool_))
        or not isinstance(min_side, numbers.Real)
        or not math.isfinite(min_side)
    ):
        msg = f"min_side must be a real number of pixels >= 2; got min_side={min_side!r}; pass min_side=2"
        raise ValueError(msg)
    m = float(min_side)
    if m < 2:
        msg = (
            f"min_side must be >= 2 pixels: a rectangle side of at least 2 px always covers one pixel fully, "
            f"which keeps the rendering injective; got min_side={m:g}; pass min_side=2"
        )
        raise ValueError(msg)
    if m >= size:
        msg = (
            f"size must be larger than min_side so that rectangles can move; got size={size}, min_side={m:g}; "
            f"pass size >= {math.floor(m) + 1} or a smaller min_side"
        )
        raise ValueError(msg)
    return m


def _check_params(p: ArrayLike, k: int) -> np.ndarray:
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != k:
        msg = f"params must have shape (n, {k}) (one row of {k} unit-cube parameters per image); got shape {arr.shape}; pass scipy.special.ndtr(latents)"
        raise ValueError(msg)
    if not np.all((arr >= 0) & (arr <= 1)):
        bad = int(np.sum(~((arr >= 0) & (arr <= 1))))
        msg = f"params must lie in [0, 1] (they are normal-CDF values); got {bad} entries outside [0, 1] or NaN; pass scipy.special.ndtr(latents)"
        raise ValueError(msg)
    return arr


# --------------------------------------------------------------------------- renderers


def render_gaussian_bump(params: ArrayLike, size: int = 16) -> np.ndarray:
    """Render isotropic Gaussian bumps centred at ``params`` on a ``size x size`` grid.

    Pixel ``(r, c)`` is ``exp(-10 ((g_c - p_1)^2 + (g_r - p_2)^2))`` with
    ``g = linspace(0, 1, size)``. The map ``p -> image`` is smooth and injective (the log
    image is a quadratic whose vertex is ``p``).

    Parameters
    ----------
    params : array_like, shape (n, 2)
        Centres in ``[0, 1]^2`` (horizontal, vertical).
    size : int, default 16
        Image side in pixels, ``>= 2``.

    Returns
    -------
    numpy.ndarray
        float32 images, shape ``(n, size, size)``, values in ``(0, 1]``.
    """
    size = _check_size(size, 2)
    p = _check_params(params, 2)
    g = np.linspace(0.0, 1.0, size)
    ex = np.exp(-_BUMP_SCALE * (g[None, :] - p[:, 0:1]) ** 2)
    ey = np.exp(-_BUMP_SCALE * (g[None, :] - p[:, 1:2]) ** 2)
    out = np.empty((p.shape[0], size, size), dtype=np.float32)
    np.multiply(ey[:, :, None], ex[:, None, :], out=out, casting="same_kind")
    return out


def render_correlated_bump(params: ArrayLike, size: int = 32) -> np.ndarray:
    """Render anisotropic, correlated Gaussian bumps.

    With ``(p1, ..., p5) = params``, ``a = 1 + p3``, ``b = 1 + p4``, ``c = 2 p5 - 1`` and
    ``g = linspace(0, 1, size)``, pixel ``(r, c)`` is
    ``exp(-10 [a^2 (g_c - p1)^2 + b^2 (g_r - p2)^2 + c a b (g_c - p1)(g_r - p2)])``.
    The quadratic form is positive definite (``|c| < 2``) and its five coefficients
    (centre, two scales, shear) are recovered from the log image: the map is injective.

    Parameters
    ----------
    params : array_like, shape (n, 5)
        Unit-cube parameters.
    size : int, default 32
        Image side in pixels, ``>= 3``.

    Returns
    -------
    numpy.ndarray
        float32 images, shape ``(n, size, size)``, values in ``[0, 1]``.
    """
    size = _check_size(size, 3)
    p = _check_params(params, 5)
    g = np.linspace(0.0, 1.0, size)
    out = np.empty((p.shape[0], size, size), dtype=np.float32)
    for lo in range(0, p.shape[0], _CHUNK):
        q = p[lo : lo + _CHUNK]
        a = (1.0 + q[:, 2])[:, None, None]
        b = (1.0 + q[:, 3])[:, None, None]
        c = (2.0 * q[:, 4] - 1.0)[:, None, None]
        dx = g[None, None, :] - q[:, 0, None, None]  # varies along columns
        dy = g[None, :, None] - q[:, 1, None, None]  # varies along rows
        form = (a * dx) ** 2 + (b * dy) ** 2 + c * (a * dx) * (b * dy)
        np.exp(-_BUMP_SCALE * form, out=out[lo : lo + _CHUNK], casting="same_kind")
    return out


def _rectangle_edges(
    u_lo: np.ndarray, u_hi: np.ndarray, size: int, min_side: float
) -> tuple[np.ndarray, np.ndarray]:
    """Map unit parameters to interval edges in pixel units (Butakov et al., ICLR 2024, rectangle images): a in (0, 1-m), b in (a+m, 1)."""
    m = min_side / size
    a = (1.0 - m) * (1.0 - np.sqrt(1.0 - u_lo))
    b = a + m + u_hi * (1.0 - a - m)
    return a * size, b * size


def _coverage(lo: np.ndarray, hi: np.ndarray, size: int) -> np.ndarray:
    """Length of [lo, hi] inside each pixel [j, j+1], shape (n, size)."""
    j = np.arange(size, dtype=np.float64)
    return np.clip(np.minimum(hi[:, None], j + 1.0) - np.maximum(lo[:, None], j), 0.0, 1.0)


def render_rectangles(params: ArrayLike, size: int = 32, min_side: float = 2) -> np.ndarray:
    """Render axis-aligned rectangles with exact per-pixel overlap areas.

    Per axis, unit parameters ``(u1, u2)`` give the edges ``a = (1 - m)(1 - sqrt(1 - u1))``,
    ``b = a + m + u2 (1 - a - m)`` (fractions of the image side, ``m = min_side / size``),
    so every side is at least ``min_side`` pixels. Pixel ``(r, c)`` is the exact area of
    ``[c, c+1] x [r, r+1]`` inside the rectangle: the outer product of the two per-axis
    coverage profiles. Partially covered edge pixels encode the edge positions, and a side of
    at least 2 px always covers a pixel fully (fixing the scale of the outer product), so the
    map from parameters to image is injective; it is continuous and piecewise smooth.

    Parameters
    ----------
    params : array_like, shape (n, 4)
        ``(u1, u2)`` of the horizontal axis, then ``(u3, u4)`` of the vertical axis, in ``[0, 1]``.
    size : int, default 32
        Image side in pixels, ``> min_side``.
    min_side : float, default 2
        Smallest rectangle side in pixels, ``>= 2``.

    Returns
    -------
    numpy.ndarray
        float32 images, shape ``(n, size, size)``, values in ``[0, 1]``.
    """
    size = _check_size(size, 3)
    m = _check_min_side(min_side, size)
    p = _check_params(params, 4)
    out = np.empty((p.shape[0], size, size), dtype=np.float32)
    for lo in range(0, p.shape[0], _CHUNK):
        q = p[lo : lo + _CHUNK]
        x0, x1 = _rectangle_edges(q[:, 0], q[:, 1], size, m)
        y0, y1 = _rectangle_edges(q[:, 2], q[:, 3], size, m)
        cx = _coverage(x0, x1, size)
        cy = _coverage(y0, y1, size)
        np.multiply(cy[:, :, None], cx[:, None, :], out=out[lo : lo + _CHUNK], casting="same_kind")
    return out


# --------------------------------------------------------------------------- generators


def _sample(
    name: str,
    mi: float,
    n: int,
    k: int,
    split: str | Sequence[float],
    random_state: RandomStateLike,
    render,
    extra: dict,
) -> KnownMISample:
    fractions = check_split(split, k)
    rng = check_random_state(random_state)
    zx, zy = _draw_pairs(rng, n, k, k, mi, fractions)
    x = render(special.ndtr(zx))
    y = render(special.ndtr(zy))
    params = {
        "mi": mi,
        "n": n,
        **extra,
        "split": split if isinstance(split, str) else list(np.asarray(split, dtype=float)),
    }
    return KnownMISample(x=x, y=y, mi=mi, latent_x=zx, latent_y=zy, name=name, params=params)


_COMMON_DOC = """
    The Gaussian latents are drawn as in :func:`pymi.datasets.correlated_normal` without
    rotation: latent ``i`` of ``x`` and latent ``i`` of ``y`` form a pair carrying
    ``mi * split_i`` nats. ``latent_x``/``latent_y`` hold these Gaussian latents; the
    rendering parameters are ``scipy.special.ndtr(latent_x)``."""


def gaussian_bump(
    mi: float,
    n: int,
    *,
    size: int = 16,
    split: str | Sequence[float] = "even",
    random_state: RandomStateLike = None,
) -> KnownMISample:
    """Pairs of Gaussian-bump images whose centres share ``mi`` nats (Butakov et al., ICLR 2024).

    Each image is an isotropic bump ``exp(-10 ||g - mu||^2)`` on a ``size x size`` grid over
    ``[0, 1]^2``, with centre ``mu = Phi(xi)``; 2 latent parameters per image.

    Parameters
    ----------
    mi : float
        True MI between the two images, in nats, ``>= 0``.
    n : int
        Number of image pairs.
    size : int, default 16
        Image side in pixels, ``>= 2``.
    split : {"even"} or sequence of 2 float, default "even"
        Shares of ``mi`` carried by the horizontal and vertical coordinates.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness.

    Returns
    -------
    KnownMISample
        ``x``, ``y``: float32, shape ``(n, size, size)``; ``latent_x``, ``latent_y``: shape ``(n, 2)``.

    Raises
    ------
    ValueError
        For a negative/NaN ``mi``, a bad ``n``, ``size`` or ``split``.

    Notes
    -----
    {common}

    Examples
    --------
    >>> s = gaussian_bump(2.0, 10, random_state=0)
    >>> s.x.shape, s.x.dtype.name, s.latent_x.shape
    ((10, 16, 16), 'float32', (10, 2))
    """
    mi = check_mi(mi)
    n = check_n(n)
    size = _check_size(size, 2)
    return _sample(
        "gaussian_bump", mi, n, 2, split, random_state,
        lambda p: render_gaussian_bump(p, size), {"size": size},
    )  # fmt: skip


def correlated_bump(
    mi: float,
    n: int,
    *,
    size: int = 32,
    split: str | Sequence[float] = "even",
    random_state: RandomStateLike = None,
) -> KnownMISample:
    """Pairs of anisotropic, correlated Gaussian-bump images sharing ``mi`` nats (Butakov et al., ICLR 2024).

    Five parameters per image ``p = Phi(xi)``: centre ``(p1, p2)``, scales ``1 + p3``,
    ``1 + p4`` and shear ``2 p5 - 1``; see :func:`render_correlated_bump`.

    Parameters
    ----------
    mi : float
        True MI in nats, ``>= 0``.
    n : int
        Number of image pairs.
    size : int, default 32
        Image side in pixels, ``>= 3``.
    split : {"even"} or sequence of 5 float, default "even"
        Shares of ``mi`` per parameter pair.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness.

    Returns
    -------
    KnownMISample
        ``x``, ``y``: float32, shape ``(n, size, size)``; latents of shape ``(n, 5)``.

    Raises
    ------
    ValueError
        For a negative/NaN ``mi``, a bad ``n``, ``size`` or ``split``.

    Notes
    -----
    {common}
    """
    mi = check_mi(mi)
    n = check_n(n)
    size = _check_size(size, 3)
    return _sample(
        "correlated_bump", mi, n, 5, split, random_state,
        lambda p: render_correlated_bump(p, size), {"size": size},
    )  # fmt: skip


def rectangles(
    mi: float,
    n: int,
    *,
    size: int = 32,
    min_side: float = 2,
    split: str | Sequence[float] = "even",
    random_state: RandomStateLike = None,
) -> KnownMISample:
    """Pairs of rectangle images sharing ``mi`` nats (Butakov et al., ICLR 2024).

    Four parameters per image (two edges per axis, each side at least ``min_side`` px);
    pixel values are exact overlap areas; see :func:`render_rectangles`. The paper uses
    32x32 and 16x16.

    Parameters
    ----------
    mi : float
        True MI in nats, ``>= 0``.
    n : int
        Number of image pairs.
    size : int, default 32
        Image side in pixels, larger than ``min_side``.
    min_side : float, default 2
        Smallest side in pixels, ``>= 2`` (needed for injectivity).
    split : {"even"} or sequence of 4 float, default "even"
        Shares of ``mi`` per parameter pair (order: x-low, x-high, y-low, y-high).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness.

    Returns
    -------
    KnownMISample
        ``x``, ``y``: float32, shape ``(n, size, size)``, values in ``[0, 1]``; latents ``(n, 4)``.

    Raises
    ------
    ValueError
        For a negative/NaN ``mi``, a bad ``n``, ``size``, ``min_side`` or ``split``.

    Notes
    -----
    {common}
    """
    mi = check_mi(mi)
    n = check_n(n)
    size = _check_size(size, 3)
    m = _check_min_side(min_side, size)
    return _sample(
        "rectangles", mi, n, 4, split, random_state,
        lambda p: render_rectangles(p, size, m), {"size": size, "min_side": m},
    )  # fmt: skip


for _f in (gaussian_bump, correlated_bump, rectangles):
    _f.__doc__ = _f.__doc__.replace("{common}", _COMMON_DOC.strip())  # type: ignore[union-attr]
del _f
