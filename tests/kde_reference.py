"""Slow, obviously-correct NumPy references for the Gaussian KDE kernels (GUIDE 1.3).

Everything here builds the full N x N matrix of squared distances in float64 and
uses :func:`scipy.special.logsumexp`; use it only for small N (a few thousand).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp


def squared_distances(x: np.ndarray) -> np.ndarray:
    """Dense float64 matrix of ||x_i - x_j||^2 by direct differences."""
    x = np.asarray(x, dtype=np.float64)
    diff = x[:, None, :] - x[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


def nn_squared_distance(x: np.ndarray) -> np.ndarray:
    """Squared distance from each point to its nearest other point."""
    r2 = squared_distances(x)
    np.fill_diagonal(r2, np.inf)
    return r2.min(axis=1)


def log_kernel_sums(x: np.ndarray, bandwidths) -> np.ndarray:
    """L[b, i] = log sum_{j != i} exp(-||x_i - x_j||^2 / (2 h_b^2)), shape (m, n)."""
    r2 = squared_distances(x)
    off = ~np.eye(len(r2), dtype=bool)
    out = []
    for h in np.atleast_1d(np.asarray(bandwidths, dtype=np.float64)):
        a = np.where(off, -r2 / (2.0 * h * h), -np.inf)
        out.append(logsumexp(a, axis=1))
    return np.array(out)


def loo_log_density(x: np.ndarray, bandwidths) -> np.ndarray:
    """log p_{-i}(x_i) of the Gaussian KDE with isotropic bandwidth h, shape (m, n)."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    h = np.atleast_1d(np.asarray(bandwidths, dtype=np.float64))
    norm = np.log(n - 1) + 0.5 * d * np.log(2.0 * np.pi * h * h)
    return log_kernel_sums(x, h) - norm[:, None]


def lscv_terms(x: np.ndarray, bandwidths) -> tuple[np.ndarray, np.ndarray]:
    """The two sums of the LSCV score of GUIDE 1.3, each of shape (m,).

    first  = (1/N^2) sum_{i,j} (4 pi h^2)^(-d/2) exp(-||x_i - x_j||^2 / (4 h^2))  (i = j included)
    second = (2/N) sum_i p_{-i}(x_i)
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    h = np.atleast_1d(np.asarray(bandwidths, dtype=np.float64))
    r2 = squared_distances(x)
    first = [
        np.sum((4.0 * np.pi * b * b) ** (-d / 2) * np.exp(-r2 / (4.0 * b * b))) / n**2 for b in h
    ]
    second = 2.0 * np.exp(loo_log_density(x, h)).mean(axis=1)
    return np.array(first), second


def lscv_score(x: np.ndarray, bandwidths) -> np.ndarray:
    """LSCV(h) = first - second (see :func:`lscv_terms`), shape (m,)."""
    first, second = lscv_terms(x, bandwidths)
    return first - second


def grid_optimum(x: np.ndarray, method: str, grid) -> float:
    """Brute-force bandwidth optimum on a dense grid ("ml": max mean LOO log-density)."""
    grid = np.asarray(grid, dtype=np.float64)
    if method == "ml":
        scores = loo_log_density(x, grid).mean(axis=1)
        return float(grid[np.argmax(scores)])
    scores = lscv_score(x, grid)
    return float(grid[np.argmin(scores)])
