"""Bias-aware intervals from disjoint subsamples.

The rows are split at random into ``K`` disjoint parts of ``m = n // K`` rows and
the estimate is recomputed on each part. Two things follow from those values
(nats):

* their variance estimates the sampling variance of an estimate on ``m`` rows,
  which for an estimator with ``1/n`` variance is ``n / m`` times that of the
  full-sample estimate: ``s^2 = var(values) m / n`` (the subsampling variance
  estimator for independent blocks; Politis, Romano & Wolf, *Subsampling*,
  Springer 1999, ch. 3). A variance that the subsample values cannot see (a
  term shared by all of them) is added by the caller;
* their mean minus the full-sample value estimates the estimator's bias at ``n``
  when the bias decays like ``1/n`` (Quenouille's argument: ``bias(m) - bias(n)
  = (n / m - 1) bias(n)``); kNN estimators of MI have such a leading bias term.

The interval is ``value +- (z * sqrt(s^2 + b^2) + |b|)``: centred on the
estimate (no silent bias correction) and widened by the estimated bias ``b``.
``b`` enters in quadrature with ``s`` (it is itself a noisy estimate) and once
more linearly, which allows for a bias that decays more slowly than ``1/n``.
It is an approximation whose coverage is measured on pymi's hard-distribution
suite (``docs/accuracy.md``), not a guarantee.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real

import numpy as np
from scipy import special

from ._params import Interval, hint

__all__ = [
    "INTERVAL_CONSTRAINTS",
    "INTERVAL_METHOD",
    "check_n_subsamples",
    "interval_from_values",
    "subsample_interval",
    "subsample_rows",
    "subsample_size",
]

INTERVAL_METHOD = (
    "disjoint-subsample interval: value +- (z * sqrt(s^2 + b^2) + |b|), s^2 the variance of "
    "the estimates on K random disjoint subsamples times m/n (sampling error), b their mean "
    "minus the value divided by (n/m - 1) (estimated bias)"
)


#: Declared constraints of the ``n_subsamples`` / ``interval_level`` parameters of the
#: estimators that offer this interval.
INTERVAL_CONSTRAINTS: dict[str, list] = {
    "n_subsamples": [
        Interval(Integral, 0, None, closed="left"),
        hint("0 for no interval, or at least 2 disjoint subsamples"),
    ],
    "interval_level": [Interval(Real, 0, 1, closed="neither")],
}


def check_n_subsamples(owner: str, n_subsamples: int) -> None:
    """Refuse ``n_subsamples=1`` (a spread needs two values); ``owner`` names the class."""
    if n_subsamples == 1:
        msg = (
            f"{owner}: n_subsamples must be 0 (no interval) or at least 2 "
            f"(a spread needs two values); got 1"
        )
        raise ValueError(msg)


def subsample_size(n: int, n_subsamples: int, k: int) -> int:
    """Rows per subsample (``n`` without an interval); each must hold more than ``k`` rows."""
    m = n // n_subsamples if n_subsamples else n
    if m <= k:
        msg = (
            f"the interval recomputes the estimate on {n_subsamples} disjoint subsamples "
            f"of {m} rows, which needs more than k={k} rows each; got n_samples={n}. "
            f"Pass n_subsamples=0 (no interval), fewer subsamples, a smaller k, or at least "
            f"{n_subsamples * (k + 1)} samples"
        )
        raise ValueError(msg)
    return m


def subsample_interval(
    compute: Callable[[np.ndarray], float],
    n: int,
    value: float,
    *,
    n_subsamples: int,
    level: float,
    rng: np.random.Generator,
    shared_variance: float = 0.0,
) -> dict:
    """Interval (nats) for ``value`` from estimates on ``n_subsamples`` disjoint subsamples.

    Parameters
    ----------
    compute : callable
        ``compute(rows)`` returns the estimate (nats) on the rows ``rows``
        (sorted integer indices into the data).
    n : int
        Number of rows of the data.
    value : float
        The full-sample estimate (nats).
    n_subsamples : int
        Number ``K >= 2`` of disjoint random subsamples, each of ``n // K`` rows.
    level : float
        Nominal coverage in (0, 1).
    rng : numpy.random.Generator
        Draws the partition of the rows.
    shared_variance : float, default 0
        Variance (nats^2) of the full-sample estimate that the subsample values
        cannot show because it is common to all of them (e.g. a reference term
        computed once); added to ``s^2``.

    Returns
    -------
    dict
        ``interval`` (low, high), ``interval_level``, ``subsample_sd`` (s),
        ``subsample_bias`` (b), ``subsample_values``, ``subsample_size`` and
        ``interval_method``.
    """
    rows = subsample_rows(n, n_subsamples, rng)
    values = np.array([compute(r) for r in rows])
    return interval_from_values(values, n, value, level=level, shared_variance=shared_variance)


def subsample_rows(n: int, n_subsamples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The rows of :func:`subsample_interval`'s ``n_subsamples`` disjoint random parts.

    Each part holds ``n // n_subsamples`` sorted row indices; the partition is one
    permutation drawn from ``rng``.
    """
    m = n // n_subsamples
    perm = rng.permutation(n)
    return [np.sort(perm[i * m : (i + 1) * m]) for i in range(n_subsamples)]


def interval_from_values(
    values: np.ndarray, n: int, value: float, *, level: float, shared_variance: float = 0.0
) -> dict:
    """:func:`subsample_interval`'s result from the estimates ``values`` (nats) on the parts.

    ``values`` holds one estimate per part of :func:`subsample_rows`; the other
    arguments and the returned dict are those of :func:`subsample_interval`.
    """
    values = np.asarray(values, dtype=np.float64)
    m = n // values.size
    sd = float(np.sqrt(np.var(values, ddof=1) * m / n + shared_variance))
    bias = float((values.mean() - value) / (n / m - 1.0))
    half_width = float(special.ndtri(0.5 + level / 2.0)) * float(np.hypot(sd, bias)) + abs(bias)
    return {
        "interval": (float(value - half_width), float(value + half_width)),
        "interval_level": float(level),
        "subsample_sd": sd,
        "subsample_bias": bias,
        "subsample_values": [float(v) for v in values],
        "subsample_size": int(m),
        "interval_method": INTERVAL_METHOD,
    }
