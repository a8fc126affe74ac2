"""Weights of the (weighted) Kozachenko–Leonenko entropy estimator.

The weighted KL estimator of Berrett, Samworth & Yuan (2019, Ann. Statist. 47(1),
"Efficient multivariate entropy estimation via k-nearest neighbour distances")
combines the per-order estimates h_j (j = 1..k) with weights w that sum to one
and cancel the leading bias terms:

    sum_j w_j = 1,   sum_j w_j Gamma(j + 2l/d) / Gamma(j) = 0   for l = 1..floor(d/4),

with w supported on {floor(i k / d) : i = 1..d} (orders >= 1). We take the
minimum-norm exact solution and verify it; when k is too small for the
constraints to be satisfiable we raise, naming the smallest k that works.

Exact weights can still be useless: the estimate is h_k + sum_j w_j (h_j - h_k),
so the noise of the per-order differences is multiplied by up to the L1 norm
sum |w_j|. It stays below 5 for d <= 7 but is 33 at d = 8, 755 at d = 12 and
3e4 at d = 16 for k = 5 (at best 15, 149 and 2600 over k <= 200). Weights whose
L1 norm exceeds ``max_norm`` (default :data:`MAX_WEIGHT_NORM`) are refused with
an error that names a k under the bound if one exists, or the alternatives.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

__all__ = ["kl_offsets", "kl_weights", "smallest_wkl_k", "wkl_weights"]

#: Tolerance on the constraint residuals (and on |sum w - 1|).
WEIGHT_TOL = 1e-8

#: Default largest L1 norm sum |w_j| accepted (noise amplification of the per-order
#: estimates): admits every k for d <= 7 and k = 5 up to d = 10, refuses d >= 12.
MAX_WEIGHT_NORM = 50.0

#: How to get under the default bound by compression (k = 5 passes up to d = 10).
_COMPRESS_HINT = (
    "compress first so that every entropy term has at most 10 dimensions (for MI the "
    "joint of x and y: compress='pca' or 'ae' with latent_dim <= 5 per side)"
)

#: Largest k searched when suggesting a k in an error message.
K_SEARCH = 200

#: Above this dimension no k is searched for the messages (the floor(d/4) + 1
#: constraints are then far too ill-conditioned for usable weights, and the
#: search would take seconds).
D_SEARCH = 64


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


def smallest_wkl_k(d: int, k_max: int = K_SEARCH) -> int | None:
    """The smallest k <= k_max whose WKL weights solve the constraints to 1e-8 in float64.

    Returns None when no such k exists (in high dimension the Gamma-ratio
    constraints become so ill-conditioned that float64 cannot satisfy them) or
    when d > :data:`D_SEARCH` (not searched). The weights' norm is not checked
    here; see :func:`wkl_weights`.
    """
    if d > D_SEARCH:
        return None
    for k in range(1 + d // 4, k_max + 1):  # the support must hold floor(d/4) + 1 orders
        if _solve(k, d) is not None:
            return k
    return None


def _best_k_within(d: int, max_norm: float) -> tuple[int, float] | None:
    """The smallest k <= K_SEARCH whose weights exist and have L1 norm <= max_norm."""
    if d > D_SEARCH:
        return None
    for k in range(1 + d // 4, K_SEARCH + 1):
        w = _solve(k, d)
        if w is not None and np.abs(w).sum() <= max_norm:
            return k, float(np.abs(w).sum())
    return None


def wkl_weights(k: int, d: int, max_norm: float = MAX_WEIGHT_NORM) -> np.ndarray:
    """Berrett–Samworth–Yuan weights for orders 1..k in dimension d.

    Parameters
    ----------
    k : int
        Largest neighbour order.
    d : int
        Dimension of the samples.
    max_norm : float, default MAX_WEIGHT_NORM (50)
        Largest accepted L1 norm sum |w_j|, the factor by which the weights can
        multiply the noise of the per-order estimates; ``numpy.inf`` accepts any
        exact weights.

    Returns
    -------
    ndarray, shape (k,)
        Weights, zero outside the support, summing to 1 within 1e-8.

    Raises
    ------
    ValueError
        If k is too small for the floor(d/4) bias constraints (the message names
        the smallest k that works for this d), or if the weights' L1 norm exceeds
        ``max_norm`` (the message names a k within the bound if there is one).
    """
    w = _solve(k, d)
    if w is None:
        best = _best_k_within(d, max_norm)
        k_min = best[0] if best is not None else None
        if k_min is None:
            msg = (
                f"the weighted KL estimator has no usable weights in d={d} dimensions: its "
                f"{1 + d // 4} bias constraints have no solution with L1 norm <= "
                f"max_weight_norm={max_norm:g} for any k <= {K_SEARCH}"
                + (f" (not searched above d={D_SEARCH})" if d > D_SEARCH else "")
                + f"; use method='cksg' for mutual information (any dimension) or method='kl', or {_COMPRESS_HINT}"
            )
            raise ValueError(msg)
        msg = (
            f"k={k} is too small for the weighted KL estimator in d={d} dimensions: the "
            f"smallest k whose weights solve its {1 + d // 4} bias constraints with L1 norm "
            f"<= max_weight_norm={max_norm:g} is {k_min}; pass k={k_min}, or use method='cksg' for mutual information (any dimension) or method='kl'"
        )
        raise ValueError(msg)
    norm = float(np.abs(w).sum())
    if norm > max_norm:
        best = _best_k_within(d, max_norm)
        hint = (
            f"k={best[0]} gives {best[1]:.3g}: pass k={best[0]}, or"
            if best is not None
            else f"No k <= {K_SEARCH} gets under {max_norm:g} in d={d}:"
        )
        msg = (
            f"the weighted KL weights for k={k} in d={d} dimensions have L1 norm {norm:.3g} > "
            f"max_weight_norm={max_norm:g}: they multiply the noise of the per-order "
            f"estimates by up to that factor, so the estimate is unreliable. {hint} use "
            f"method='cksg' for mutual information (any dimension) or method='kl', or {_COMPRESS_HINT}, or pass max_weight_norm=numpy.inf to accept "
            f"the noise"
        )
        raise ValueError(msg)
    return w
