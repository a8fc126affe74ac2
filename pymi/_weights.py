"""Weights of the (weighted) Kozachenko–Leonenko entropy estimator.

The weighted KL estimator of Berrett, Samworth & Yuan (2019, Ann. Statist. 47(1),
"Efficient multivariate entropy estimation via k-nearest neighbour distances")
combines the per-order estimates h_j (j = 1..k) with weights w that sum to one
and cancel the leading bias terms:

    sum_j w_j = 1,   sum_j w_j Gamma(j + 2l/d) / Gamma(j) = 0   for l = 1..floor(d/4),

with w supported on {floor(i k / d) : i = 1..d} (orders >= 1). We take the
minimum-norm exact solution and verify it; when k is too small for the
constraints to be satisfiable we raise, naming the smallest k that works.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

__all__ = ["kl_offsets", "kl_weights", "smallest_wkl_k", "wkl_weights"]

#: Tolerance on the constraint residuals (and on |sum w - 1|).
WEIGHT_TOL = 1e-8


def log_unit_ball_volume(d: int) -> float:
    """log V_d, the log-volume of the unit Euclidean ball in d dimensions."""
    return 0.5 * d * np.log(np.pi) - float(gammaln(0.5 * d + 1.0))


def kl_offsets(n: int, d: int, k: int) -> np.ndarray:
    """Per-order constants ``log V_d + psi(n) - psi(j)`` for j = 1..k (nats)."""
    j = np.arange(1, k + 1, dtype=np.float64)
    return log_unit_ball_volume(d) + float(digamma(n)) - digamma(j)


def kl_weights(k: int) -> np.ndarray:
    """Weights of the plain KL estimator at order k: w = (0, ..., 0, 1)."""
    w = np.zeros(k)
    w[-1] = 1.0
    return w


def _support(k: int, d: int) -> np.ndarray:
    i = np.arange(1, d + 1)
    s = np.unique((i * k) // d)
    return s[s >= 1]


def _solve(k: int, d: int) -> np.ndarray | None:
    support = _support(k, d)
    n_constraints = 1 + d // 4
    if support.size < n_constraints:
        return None
    j = support.astype(np.float64)
    rows = [np.ones_like(j)]
    for ell in range(1, d // 4 + 1):
        rows.append(np.exp(gammaln(j + 2.0 * ell / d) - gammaln(j)))
    a = np.vstack(rows)
    b = np.zeros(n_constraints)
    b[0] = 1.0
    if np.linalg.matrix_rank(a) < n_constraints:
        return None
    w_support = np.linalg.lstsq(a, b, rcond=None)[0]  # minimum-norm solution
    residual = np.max(np.abs(a @ w_support - b))
    if residual > WEIGHT_TOL or abs(w_support.sum() - 1.0) > WEIGHT_TOL:
        return None
    w = np.zeros(k)
    w[support - 1] = w_support
    return w


def smallest_wkl_k(d: int, k_max: int = 2000) -> int | None:
    """The smallest k <= k_max whose WKL weights solve the constraints to 1e-8 in float64.

    Returns None when no such k exists (in high dimension the Gamma-ratio
    constraints become so ill-conditioned that float64 cannot satisfy them).
    """
    for k in range(1, k_max + 1):
        if _solve(k, d) is not None:
            return k
    return None


def wkl_weights(k: int, d: int) -> np.ndarray:
    """Berrett–Samworth–Yuan weights for orders 1..k in dimension d.

    Parameters
    ----------
    k : int
        Largest neighbour order.
    d : int
        Dimension of the samples.

    Returns
    -------
    ndarray, shape (k,)
        Weights, zero outside the support, summing to 1 within 1e-8.

    Raises
    ------
    ValueError
        If k is too small for the floor(d/4) bias constraints; the message names
        the smallest k that works for this d.
    """
    w = _solve(k, d)
    if w is None:
        k_min = smallest_wkl_k(d)
        if k_min is None:
            msg = (
                f"the weighted KL estimator has no usable weights in d={d} dimensions: its "
                f"{1 + d // 4} bias constraints cannot be solved to 1e-8 in float64 for any "
                f"k <= 2000; use method='kl', or compress to fewer dimensions first "
                f"(compress='pca' or 'ae', latent_dim<=16)"
            )
            raise ValueError(msg)
        msg = (
            f"k={k} is too small for the weighted KL estimator in d={d} dimensions: its "
            f"{1 + d // 4} weight constraints need k >= {k_min}; pass k={k_min} or larger, "
            f"or use method='kl'"
        )
        raise ValueError(msg)
    return w
