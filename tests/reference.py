"""Slow, obviously-correct NumPy references for the neighbour kernels.

Everything is computed in float64 from the given values (float32 input is
upcast exactly), one row at a time, with no cleverness: the full distance row,
a stable sort (so ties go to the smaller index), explicit strict comparisons.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pairwise_row", "reference_count_within", "reference_knn"]


def pairwise_row(x: np.ndarray, i: int, metric: str) -> np.ndarray:
    """Distances (float64) from x[i] to every row of x."""
    x = np.asarray(x, dtype=np.float64)
    diff = x - x[i]
    if metric == "euclidean":
        return np.sqrt((diff * diff).sum(axis=1))
    if metric == "chebyshev":
        return np.abs(diff).max(axis=1)
    raise ValueError(metric)


def reference_knn(
    x: np.ndarray, k: int, metric: str = "euclidean"
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest other points of every point: (dist float64 (n, k), idx int64 (n, k)).

    Self is excluded by index; ties are broken by the smaller index.
    """
    n = len(x)
    dist = np.empty((n, k))
    idx = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        row = pairwise_row(x, i, metric)
        row[i] = np.inf
        order = np.argsort(row, kind="stable")[:k]
        dist[i] = row[order]
        idx[i] = order
    return dist, idx


def reference_count_within(
    x: np.ndarray, radius: np.ndarray, metric: str = "chebyshev", rtol: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Strict counts #{j != i : dist(x_i, x_j) < radius_i}, as bounds (low, high).

    With ``rtol = 0`` both bounds are the exact float64 count. With ``rtol > 0``,
    pairs whose distance is within ``rtol * radius`` of the radius are
    ambiguous (rounding in a lower precision may put them on either side):
    ``low`` leaves them out, ``high`` counts them.
    """
    n = len(x)
    radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), (n,))
    low = np.empty(n, dtype=np.int64)
    high = np.empty(n, dtype=np.int64)
    for i in range(n):
        row = pairwise_row(x, i, metric)
        row = np.delete(row, i)
        r = radius[i]
        low[i] = np.count_nonzero(row < r * (1 - rtol))
        high[i] = np.count_nonzero(row < r * (1 + rtol)) if rtol > 0 else low[i]
    return low, high
