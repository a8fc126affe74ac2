"""Closed-form truths and sample-size-derived tolerances used by the accuracy tests.

Tolerance = 4 standard errors (the estimator's own per-sample stderr, whose
calibration is itself checked in test_estimators.py) + a bound on the bias that
follows from N, d and k:

* Gaussian data (whitened to N(0, I)): the leading bias term of the KL
  estimator (Berrett, Samworth & Yuan 2019, Thm 2; Singh & Poczos 2016),
      B = Gamma(k + 2/d) / Gamma(k) / (2 (d + 2) V_d^(2/d) N^(2/d))
          * | int f^(1 - 2/d) (Laplacian f / f) |,
  which for f = N(0, I_d), d >= 3, is 2 pi a^(-d/2) * 2d / (d - 2), a = 1 - 2/d.
  For d < 3 the integral diverges in the formula but the bias decays faster
  than for d = 3; we use the d = 3 value (at the same N and k). A factor 1.5
  covers the next-order terms.
* Uniform data on a box (whitened: a cube of side sqrt(12)): the density is
  flat, so the only bias is at the boundary. A point within the k-NN radius r
  of m faces keeps at least 2^-m of its ball inside, which inflates its
  d log r term by at most m log 2; so |bias| <= log 2 * 2d * r / side with
  r / side = (k / (N V_d))^(1/d).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln


def log_ball(d: int) -> float:
    return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1)


def gaussian_entropy(cov: np.ndarray) -> float:
    d = cov.shape[0]
    return 0.5 * (d * np.log(2 * np.pi * np.e) + np.linalg.slogdet(cov)[1])


def kl_gaussian_bias_bound(d: int, k: int, n: int) -> float:
    dd = max(d, 3)
    a = 1.0 - 2.0 / dd
    integral = 2 * np.pi * a ** (-dd / 2) * 2 * dd / (dd - 2)
    gamma_ratio = np.exp(gammaln(k + 2.0 / dd) - gammaln(k))
    lead = gamma_ratio / (2 * (dd + 2) * np.exp(2.0 / dd * log_ball(dd)) * n ** (2.0 / dd)) * integral
    return 1.5 * lead


def boundary_bias_bound(d: int, k: int, n: int) -> float:
    r_over_side = (k / (n * np.exp(log_ball(d)))) ** (1.0 / d)
    return np.log(2) * 2 * d * r_over_side


def correlated_gaussian(mi: float, dx: int, dy: int, n: int, rng: np.random.Generator):
    """Samples with I(X;Y) = mi exactly: rho per coordinate pair, random rotations."""
    m = min(dx, dy)
    rho = np.sqrt(1 - np.exp(-2 * mi / m)) if mi > 0 else 0.0
    zx = rng.standard_normal((n, dx))
    zy = rng.standard_normal((n, dy))
    zy[:, :m] = rho * zx[:, :m] + np.sqrt(1 - rho**2) * zy[:, :m]
    qx = np.linalg.qr(rng.standard_normal((dx, dx)))[0]
    qy = np.linalg.qr(rng.standard_normal((dy, dy)))[0]
    scale_x = rng.uniform(0.5, 3.0, dx)
    return (zx @ qx) * scale_x, zy @ qy
