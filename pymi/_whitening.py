"""Per-term whitening (Butakov et al., ICLR 2024): h(X) = h(X W) + 1/2 log det Sigma."""

from __future__ import annotations

import re

import numpy as np

__all__ = ["constant_columns", "whiten"]

#: Eigenvalues of the correlation matrix below this fraction of the largest make a
#: covariance singular.
SINGULAR_RTOL = 1e-12

#: Columns whose standard deviations are within this factor of each other are
#: whitened with the covariance's eigenvectors; otherwise (where the covariance's
#: small eigenvalues would be lost to rounding) with the correlation matrix's.
SAME_SCALE_RATIO = 1e3


def constant_columns(x: np.ndarray) -> np.ndarray:
    """Indices of columns whose values are all equal.

    An exact test, so independent of the data's scale: a column of values
    around 1e-200 that differ is not constant (a test on the standard
    deviation would call it constant, because the squares underflow).
    """
    return np.nonzero(np.all(x == x[:1], axis=0))[0]


#: ``x[y == 'a']``: the rows of one class, as the per-class entropy terms name them.
_CLASS_ROWS = re.compile(r"^(?P<array>\w+)\[(?P<labels>\w+) == (?P<label>.+)\]$")


def _raise_constant(x: np.ndarray, name: str) -> None:
    """Refuse constant columns, naming the array (x or y) and the fix in its terms.

    ``name`` is the argument (``"x"``, ``"y"``) or the rows of one class
    (``"x[y == 3]"``), for which the fix is about that class.
    """
    const = constant_columns(x)
    if not const.size:
        return
    shown = const[:10].tolist()
    more = f" (and {const.size - 10} more)" if const.size > 10 else ""
    rows = _CLASS_ROWS.match(name)
    if rows is None:
        msg = (
            f"{name} has {const.size} constant column(s) {shown}{more}; a constant carries no "
            f"information and makes the differential entropy -inf. Drop those columns of {name}, "
            f"e.g. {name} = {name}[:, np.ptp({name}, axis=0) > 0]"
        )
    else:
        array, labels, label = rows["array"], rows["labels"], rows["label"]
        msg = (
            f"{array} has {const.size} column(s) {shown}{more} that are constant within the class "
            f"{labels} == {label}, so h({array.upper()} | {labels.upper()} = {label}) is -inf. Drop "
            f"those columns of {array}, or drop (or merge) that class, e.g. keep = {labels} != "
            f"{label}; {array}, {labels} = {array}[keep], {labels}[keep]"
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
        Zero mean, identity sample covariance: ``(x - mean) V diag(lambda)^(-1/2)``
        with (V, lambda) the covariance's eigenpairs when the column standard
        deviations s are within SAME_SCALE_RATIO of each other (pymi's historical
        rotation, which KSG's max-norm depends on), else ``((x - mean) / s) V'
        diag(lambda')^(-1/2)`` with the correlation matrix's eigenpairs. The
        singularity test always uses the correlation matrix (scale-free).
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
    # Standardise first, so that the singularity test sees the correlation matrix
    # (columns on very different scales are not "dependent"), and scale by the
    # largest magnitude before squaring, so that huge values do not overflow.
    big = np.max(np.abs(xc), axis=0)
    scale = big * np.sqrt(np.mean((xc / big) ** 2, axis=0) * n / (n - 1))
    if not np.all(np.isfinite(scale) & (scale > 0)):
        bad = np.nonzero(~(np.isfinite(scale) & (scale > 0)))[0][:10].tolist()
        msg = (
            f"{name} columns {bad} have a standard deviation that is not a positive finite "
            f"float64 (values too large or too small: max |{name}| = {np.max(np.abs(x64)):.3g}); "
            f"rescale {name} (e.g. divide by its standard deviation) before estimating"
        )
        raise ValueError(msg)
    xs = xc / scale
    corr = (xs.T @ xs) / (n - 1)
    evals, evecs = np.linalg.eigh(corr)
    if evals[0] <= SINGULAR_RTOL * evals[-1]:
        rank = int(np.sum(evals > SINGULAR_RTOL * evals[-1]))
        msg = (
            f"{name} has a singular covariance (numerical rank {rank} < {d} features): some "
            f"columns are linear combinations of others (e.g. duplicated columns). Drop "
            f"redundant columns or reduce the dimension first (compress='pca', "
            f"latent_dim={rank})"
        )
        raise ValueError(msg)
    if scale.max() <= SAME_SCALE_RATIO * scale.min():
        # Columns on comparable scales: the covariance's own eigenvectors, as pymi
        # has always whitened (KL, WKL and KDE are rotation-invariant, but KSG's
        # max-norm is not: this keeps its estimates unchanged). The covariance is
        # computed on the data times 2**-e (exact), so that data near 1e-200 or
        # 1e200 neither underflow nor overflow and get the same rotation as at
        # unit scale: z is unchanged, log det Sigma gains 2 d e log 2.
        _, exponent = np.frexp(scale.max())
        xe = np.ldexp(xc, -int(exponent))
        cov = (xe.T @ xe) / (n - 1)
        evals_c, evecs_c = np.linalg.eigh(cov)
        if evals_c[0] > 0:
            z = xe @ (evecs_c / np.sqrt(evals_c))
            half_logdet = 0.5 * float(np.sum(np.log(evals_c))) + d * int(exponent) * float(np.log(2.0))
            return np.ascontiguousarray(z, dtype=x.dtype), half_logdet
    z = xs @ (evecs / np.sqrt(evals))
    # Sigma = D R D with D = diag(scale): log det Sigma = log det R + 2 sum log scale
    half_logdet = 0.5 * float(np.sum(np.log(evals))) + float(np.sum(np.log(scale)))
    return np.ascontiguousarray(z, dtype=x.dtype), half_logdet
