"""Per-term whitening (GUIDE 1.1): h(X) = h(X W) + 1/2 log det Sigma."""

from __future__ import annotations

import numpy as np

__all__ = ["constant_columns", "whiten"]

#: Eigenvalues below this fraction of the largest make a covariance singular.
SINGULAR_RTOL = 1e-12


def constant_columns(x: np.ndarray) -> np.ndarray:
    """Indices of columns whose values are all equal."""
    return np.nonzero(np.all(x == x[:1], axis=0))[0]


def _raise_constant(x: np.ndarray, name: str) -> None:
    const = constant_columns(x)
    if const.size:
        shown = const[:10].tolist()
        more = f" (and {const.size - 10} more)" if const.size > 10 else ""
        msg = (
            f"{name} has {const.size} constant column(s) {shown}{more}; a constant carries no "
            f"information and makes the differential entropy -inf. Drop those columns, e.g. "
            f"{name}[:, {name}.std(axis=0) > 0]"
        )
        raise ValueError(msg)


def whiten(x: np.ndarray, name: str = "x") -> tuple[np.ndarray, float]:
    """Whiten samples with the eigendecomposition of their covariance.

    Parameters
    ----------
    x : ndarray, shape (n, d), float32 or float64
    name : str
        Argument name used in error messages.

    Returns
    -------
    z : ndarray, shape (n, d), same dtype as ``x``
        ``(x - mean) V diag(lambda)^(-1/2)``: zero mean, identity sample covariance.
    half_logdet : float
        ``1/2 log det Sigma`` in nats, so that ``h(x) = h(z) + half_logdet``.

    Raises
    ------
    ValueError
        On constant columns or a singular covariance (linearly dependent columns).
    """
    _raise_constant(x, name)
    n, d = x.shape
    if n <= d:
        msg = (
            f"{name} has n_samples={n} <= n_features={d}, so its covariance is singular and "
            f"cannot be whitened; pass more samples, reduce the dimension (e.g. "
            f"compress='pca'), or pass whiten=False"
        )
        raise ValueError(msg)
    x64 = x.astype(np.float64, copy=False)
    mean = x64.mean(axis=0)
    xc = x64 - mean
    cov = (xc.T @ xc) / (n - 1)
    evals, evecs = np.linalg.eigh(cov)
    if evals[0] <= SINGULAR_RTOL * evals[-1]:
        rank = int(np.sum(evals > SINGULAR_RTOL * evals[-1]))
        msg = (
            f"{name} has a singular covariance (numerical rank {rank} < {d} features): some "
            f"columns are linear combinations of others (e.g. duplicated columns). Drop "
            f"redundant columns or reduce the dimension first (compress='pca', "
            f"latent_dim={rank})"
        )
        raise ValueError(msg)
    z = xc @ (evecs / np.sqrt(evals))
    return np.ascontiguousarray(z, dtype=x.dtype), 0.5 * float(np.sum(np.log(evals)))
