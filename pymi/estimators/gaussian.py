"""Gaussian (plug-in) entropy and MI: exact for Gaussian data, a baseline otherwise."""

from __future__ import annotations

import numpy as np

from .._whitening import _raise_constant, whiten
from ._base import MIEstimator, _label
from ._protocol import Capabilities

__all__ = ["Gaussian"]

_LOG_2PI_E = np.log(2.0 * np.pi) + 1.0


def _fit(z: np.ndarray, name: str) -> tuple[np.ndarray, float, np.ndarray]:
    """Mean, 1/2 log det of the sample covariance, and per-sample log-densities."""
    _raise_constant(z, name)
    n, d = z.shape
    if n <= d:
        msg = f"{name} has n_samples={n} <= n_features={d}; the Gaussian estimator needs n > d"
        raise ValueError(msg)
    z64 = z.astype(np.float64, copy=False)
    mean = z64.mean(axis=0)
    # whitening: one singularity test for every estimator (relative, on the
    # correlation matrix, so independent of the column scales; a near-singular
    # covariance used to give 18 nats or a raw LinAlgError depending on rounding)
    w, half_logdet = whiten(z64, name)
    maha = np.einsum("ij,ij->i", w, w)  # (x - mean)^T Sigma^-1 (x - mean)
    logdet = 2.0 * half_logdet
    logpdf = -0.5 * (maha + d * np.log(2.0 * np.pi) + logdet)
    return mean, 0.5 * logdet, logpdf


class Gaussian(MIEstimator):
    """Gaussian plug-in estimator.

    h(X) = d/2 log(2 pi e) + 1/2 log det Sigma_X, and
    I(X;Y) = 1/2 (log det Sigma_X + log det Sigma_Y - log det Sigma_XY) (nats),
    from sample covariances. Exact (up to sampling error) for jointly Gaussian
    data, a lower-bound-like baseline otherwise. For labels,
    I = h(X) - sum_y p(y) h(X | Y=y) with a Gaussian per class. The standard
    error is the spread of the per-sample log-density contributions.

    Parameters
    ----------
    **kwargs
        ``base``, ``nan_policy``, ``random_state``, ``n_jobs``, ``device``: see
        :class:`pymi.estimators.MIEstimator` (ties are harmless here).
    """

    name = "gaussian"
    capabilities = Capabilities(devices=("cpu",))
    _handles_ties = False

    def _entropy(self, x, rng):
        _, half_logdet, logpdf = _fit(x, "x")
        d = x.shape[1]
        value = 0.5 * d * _LOG_2PI_E + half_logdet
        return value, -logpdf, {}

    def _mi_continuous(self, x, y, rng):
        xy = np.concatenate([x, y], axis=1)
        _, hx, lx = _fit(x, "x")
        _, hy, ly = _fit(y, "y")
        _, hxy, lxy = _fit(xy, "the joint (x, y)")
        value = hx + hy - hxy
        return value, lxy - lx - ly, {}

    def _min_samples(self, d: int) -> int:
        return d + 2

    def _min_samples_reason(self, d: int) -> str:
        return f"a covariance in d={d} needs more than d samples"

    def _mi_discrete(self, x, codes, classes, rng):
        counts = self._check_class_sizes(codes, classes, x.shape[1])
        d = x.shape[1]
        _, hx, lx = _fit(x, "x")
        cond_logpdf = np.empty_like(lx)
        cond_h = 0.0
        for c in range(len(classes)):
            rows = codes == c
            _, hc, lc = _fit(x[rows], f"x[y == {_label(classes[c])!r}]")
            cond_logpdf[rows] = lc
            cond_h += counts[c] / x.shape[0] * (0.5 * d * _LOG_2PI_E + hc)
        value = (0.5 * d * _LOG_2PI_E + hx) - cond_h
        params = {"class_counts": {str(classes[c]): int(counts[c]) for c in range(len(classes))}}
        return value, cond_logpdf - lx, params
