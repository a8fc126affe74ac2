"""Gaussian data with known conditional mutual information I(X; Y | Z).

All information quantities are in nats. For a jointly Gaussian (X, Y, Z) with
covariance ``S`` (blocks ordered X, Y, Z),

    I(X; Y | Z) = 1/2 (log det S_XZ + log det S_YZ - log det S_Z - log det S_XYZ),

the entropy-sum form h(XZ) + h(YZ) - h(Z) - h(XYZ) with Gaussian entropies
(Cover & Thomas, *Elements of Information Theory*, 2nd ed., 2006, eqs. 2.60 and 8.44).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._random import RandomStateLike, check_random_state
from ._checks import check_dim, check_float_dtype, check_mi, check_n
from .gaussian import _draw_pairs, _random_orthogonal

__all__ = ["KnownCMISample", "conditional_normal", "gaussian_cmi"]


@dataclass(frozen=True, eq=False)
class KnownCMISample:
    """Row-aligned samples ``(x, y, z)`` whose conditional mutual information is known.

    Attributes
    ----------
    x, y, z : numpy.ndarray
        Shapes ``(n, dim_x)``, ``(n, dim_y)``, ``(n, dim_z)``; row ``i`` of each is one draw.
    cmi : float
        The true I(X; Y | Z) of the generating distribution, nats.
    mi : float
        The true unconditional I(X; Y), nats.
    cov : numpy.ndarray
        The exact covariance of the concatenated ``(x, y, z)``.
    name : str
        The generator.
    params : dict
        The generator's arguments (except ``random_state``).
    """

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    cmi: float
    mi: float
    cov: np.ndarray
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        return (
            f"KnownCMISample(name={self.name!r}, cmi={self.cmi:.6g} nats, mi={self.mi:.6g} nats, "
            f"n={self.n}, x={self.x.shape}, y={self.y.shape}, z={self.z.shape})"
        )


def _logdet(cov: np.ndarray, idx: np.ndarray) -> float:
    if idx.size == 0:
        return 0.0
    sign, value = np.linalg.slogdet(cov[np.ix_(idx, idx)])
    if sign <= 0:
        msg = (
            f"cov must be symmetric positive definite; its block over indices {idx.tolist()} "
            f"has a non-positive determinant. Pass a non-singular covariance"
        )
        raise ValueError(msg)
    return float(value)


def gaussian_cmi(cov: ArrayLike, dim_x: int, dim_y: int) -> float:
    """I(X; Y | Z) in nats of a Gaussian with covariance ``cov``, blocks ordered (X, Y, Z).

    Parameters
    ----------
    cov : array_like, shape (d, d)
        Covariance of the concatenation ``(x, y, z)``, ``d = dim_x + dim_y + dim_z``;
        ``dim_z = 0`` gives the unconditional I(X; Y).
    dim_x, dim_y : int
        Sizes of the X and Y blocks (the rest is Z).

    Returns
    -------
    float
        ``1/2 (log det S_XZ + log det S_YZ - log det S_Z - log det S_XYZ)``.

    Examples
    --------
    >>> import numpy as np
    >>> rho = 0.6                       # X, Y correlated, Z independent of both
    >>> cov = np.array([[1, rho, 0], [rho, 1, 0], [0, 0, 1.0]])
    >>> bool(abs(gaussian_cmi(cov, 1, 1) + 0.5 * np.log(1 - rho**2)) < 1e-12)
    True
    """
    c = np.asarray(cov, dtype=np.float64)
    dim_x = check_dim(dim_x, "dim_x")
    dim_y = check_dim(dim_y, "dim_y")
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < dim_x + dim_y:
        msg = (
            f"cov must be a square matrix of size at least dim_x + dim_y = {dim_x + dim_y}; "
            f"got shape {c.shape}"
        )
        raise ValueError(msg)
    d = c.shape[0]
    ix = np.arange(dim_x)
    iy = np.arange(dim_x, dim_x + dim_y)
    iz = np.arange(dim_x + dim_y, d)
    return 0.5 * (
        _logdet(c, np.concatenate([ix, iz]))
        + _logdet(c, np.concatenate([iy, iz]))
        - _logdet(c, iz)
        - _logdet(c, np.arange(d))
    )


def conditional_normal(
    cmi: float,
    dim_x: int,
    dim_y: int,
    dim_z: int,
    n: int,
    *,
    coupling: float = 1.0,
    random_state: RandomStateLike = None,
    dtype: DTypeLike = np.float64,
) -> KnownCMISample:
    """Gaussian ``(x, y, z)`` with ``I(x; y | z) = cmi`` exactly.

    ``z ~ N(0, I)``; ``(u, v)`` are Gaussian vectors independent of ``z`` with
    ``I(u; v) = cmi`` (split evenly over ``min(dim_x, dim_y)`` correlated pairs, each
    side rotated by a Haar-random orthogonal matrix, as in
    :func:`pymi.datasets.correlated_normal`); then ``x = u + z A`` and ``y = v + z B``
    with Gaussian ``A``, ``B`` of scale ``coupling / sqrt(dim_z)``. Given ``z`` the
    shift is known, so ``I(x; y | z) = I(u; v) = cmi``, while the unconditional
    ``I(x; y)`` (returned as ``mi``) also contains the dependence through ``z``.

    Parameters
    ----------
    cmi : float
        True I(X; Y | Z) in nats, ``>= 0``.
    dim_x, dim_y, dim_z : int
        Dimensions, ``>= 1``.
    n : int
        Number of rows.
    coupling : float, default 1.0
        Strength of the common dependence on ``z`` (0: ``z`` independent of ``x``, ``y``).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
    dtype : numpy.float32 or numpy.float64

    Returns
    -------
    KnownCMISample

    Examples
    --------
    >>> s = conditional_normal(1.0, 2, 2, 3, 100, random_state=0)
    >>> s.x.shape, s.z.shape, s.cmi
    ((100, 2), (100, 3), 1.0)
    >>> abs(gaussian_cmi(s.cov, 2, 2) - 1.0) < 1e-9
    True
    """
    cmi = check_mi(cmi, "cmi", what="conditional mutual information", zero="x and y independent given z")
    dim_x = check_dim(dim_x, "dim_x")
    dim_y = check_dim(dim_y, "dim_y")
    dim_z = check_dim(dim_z, "dim_z")
    n = check_n(n)
    dt = check_float_dtype(dtype)
    if isinstance(coupling, (bool, np.bool_)) or not np.isfinite(coupling) or coupling < 0:
        msg = f"coupling must be a finite non-negative number; got coupling={coupling!r}; pass e.g. coupling=1.0"
        raise ValueError(msg)
    rng = check_random_state(random_state)
    m = min(dim_x, dim_y)
    u, v = _draw_pairs(rng, n, dim_x, dim_y, cmi, np.full(m, 1.0 / m))
    qx, qy = _random_orthogonal(rng, dim_x), _random_orthogonal(rng, dim_y)
    u, v = u @ qx.T, v @ qy.T
    scale = float(coupling) / np.sqrt(dim_z)
    a = rng.standard_normal((dim_z, dim_x)) * scale
    b = rng.standard_normal((dim_z, dim_y)) * scale
    z = rng.standard_normal((n, dim_z))
    x = u + z @ a
    y = v + z @ b
    # exact covariance of (u, v) before the shift, then of (x, y, z)
    rho = np.sqrt(-np.expm1(-2.0 * cmi / m))
    cuv = np.zeros((dim_x, dim_y))
    cuv[np.arange(m), np.arange(m)] = rho
    cuv = qx @ cuv @ qy.T
    d = dim_x + dim_y + dim_z
    lin = np.zeros((d, d))  # (x, y, z) = (u, v, z) @ lin
    lin[:dim_x, :dim_x] = np.eye(dim_x)
    lin[dim_x : dim_x + dim_y, dim_x : dim_x + dim_y] = np.eye(dim_y)
    lin[dim_x + dim_y :, :dim_x] = a
    lin[dim_x + dim_y :, dim_x : dim_x + dim_y] = b
    lin[dim_x + dim_y :, dim_x + dim_y :] = np.eye(dim_z)
    base = np.eye(d)
    base[:dim_x, dim_x : dim_x + dim_y] = cuv
    base[dim_x : dim_x + dim_y, :dim_x] = cuv.T
    cov = lin.T @ base @ lin
    joint_xy = cov[: dim_x + dim_y, : dim_x + dim_y]
    mi = gaussian_cmi(joint_xy, dim_x, dim_y)
    params = {"cmi": cmi, "dim_x": dim_x, "dim_y": dim_y, "dim_z": dim_z, "n": n, "coupling": float(coupling)}
    return KnownCMISample(
        x=x.astype(dt, copy=False),
        y=y.astype(dt, copy=False),
        z=z.astype(dt, copy=False),
        cmi=cmi,
        mi=float(mi),
        cov=cov,
        name="conditional_normal",
        params=params,
    )
