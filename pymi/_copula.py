"""Rank-based marginal Gaussianization (the normal-scores copula transform).

Each column is replaced by the standard normal quantiles of its ranks,
``Phi^{-1}(r / (n + 1))``. The map is strictly increasing per column, so it is
injective and mutual information is unchanged: ``I(f(X); g(Y)) = I(X; Y)`` for
injective ``f``, ``g`` applied to each side separately (Kraskov, Stögbauer &
Grassberger 2004, section II; Czyż et al., NeurIPS 2023). The marginals of the
result are (up to the rank discretisation) standard normal, which removes heavy
tails and scale differences before a neighbour search.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["gaussian_mi_from_cov", "logdet_bias", "normal_scores"]


def normal_scores(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of every column of ``z`` (shape ``(n, d)``), float64.

    Equal values within a column get distinct ranks in a random order drawn from
    ``rng`` (random tie-breaking keeps every score distinct, so no neighbour
    distance becomes zero through the transform).
    """
    n, d = z.shape
    # any sort gives the ranks of distinct values; ties are re-ordered at random below
    order = np.argsort(z, axis=0)
    sorted_z = np.take_along_axis(z, order, axis=0)
    tied = np.any(sorted_z[1:] == sorted_z[:-1], axis=0) if n > 1 else np.zeros(d, dtype=bool)
    for j in np.nonzero(tied)[0]:
        # a random order among equal values: row order may carry information
        order[:, j] = np.lexsort((rng.random(n), z[:, j]))
    scores = special.ndtri(np.arange(1, n + 1, dtype=np.float64) / (n + 1.0))
    out = np.empty((n, d), dtype=np.float64)
    np.put_along_axis(out, order, scores[:, None], axis=0)
    return out


def gaussian_mi_from_cov(cov: np.ndarray, dim_x: int) -> float:
    """MI (nats) of a Gaussian with covariance ``cov`` between its first ``dim_x`` coordinates and the rest.

    ``I = 1/2 (log det S_xx + log det S_yy - log det S)``.
    """
    _, ldx = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, ldy = np.linalg.slogdet(cov[dim_x:, dim_x:])
    _, ld = np.linalg.slogdet(cov)
    return 0.5 * float(ldx + ldy - ld)


def logdet_bias(dim: int, n: int) -> float:
    """``E[log det S] - log det Sigma`` for the sample covariance ``S`` of ``n`` Gaussian rows in ``dim`` dimensions.

    ``S = W / (n - 1)`` with ``W`` Wishart with ``n - 1`` degrees of freedom, so
    ``E[log det S] = log det Sigma + sum_{i=1}^{dim} psi((n - i) / 2) + dim log(2 / (n - 1))``
    (Anderson, *An Introduction to Multivariate Statistical Analysis*, 3rd ed., 2003,
    section 7.5.3). The bias does not depend on ``Sigma``.
    """
    i = np.arange(1, dim + 1, dtype=np.float64)
    return float(np.sum(special.digamma((n - i) / 2.0)) + dim * np.log(2.0 / (n - 1.0)))
