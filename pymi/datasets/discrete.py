"""Discrete, continuous–discrete and mixed data with known mutual information (nats).

* :func:`discrete_channel`: X uniform on ``m`` states, Y = X with probability
  ``1 - noise`` and uniform otherwise (a symmetric channel); MI from the pmf.
* :func:`class_gaussian`: class labels X uniform on ``c`` classes and
  Y | X = j ~ N(j * separation, 1); I = h(Y) - h(Y | X) with h(Y) of the
  Gaussian mixture by adaptive quadrature (relative error < 1e-9).
* :func:`zero_inflated_normal`: X = 0 with probability ``p_zero`` and a
  Gaussian G otherwise, G correlated with a Gaussian Y. With B = 1{X != 0}
  (a function of X almost surely, independent of (G, Y)),
  I(X; Y) = I(B; Y) + I(X; Y | B) = 0 + (1 - p_zero) I(G; Y), exactly.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, stats

from .._random import RandomStateLike, check_random_state
from ._checks import check_mi, check_n
from ._sample import KnownMISample

__all__ = ["class_gaussian", "discrete_channel", "pmf_mutual_information", "zero_inflated_normal"]


def _check_states(m: object, name: str) -> int:
    if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, np.integer)) or m < 2:
        msg = f"{name} must be an integer >= 2; got {name}={m!r}; pass e.g. {name}=4"
        raise ValueError(msg)
    return int(m)


def _check_probability(p: object, name: str, *, open_right: bool = False) -> float:
    ok = isinstance(p, (int, float, np.floating, np.integer)) and not isinstance(p, (bool, np.bool_))
    value = float(p) if ok else float("nan")  # type: ignore[arg-type]
    if not ok or not (0.0 <= value < 1.0 if open_right else 0.0 <= value <= 1.0):
        interval = "[0, 1)" if open_right else "[0, 1]"
        msg = f"{name} must be a probability in {interval}; got {name}={p!r}"
        raise ValueError(msg)
    return value


def pmf_mutual_information(pmf: np.ndarray) -> float:
    """I(X; Y) in nats of a joint probability table ``pmf[x, y]`` (non-negative, summing to 1)."""
    p = np.asarray(pmf, dtype=np.float64)
    if p.ndim != 2 or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        msg = f"pmf must be a 2-D table of non-negative probabilities summing to 1; got shape {p.shape}, sum {p.sum():.6g}"
        raise ValueError(msg)
    px = p.sum(axis=1, keepdims=True)
    py = p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / (px @ py)[nz])))


def discrete_channel(
    n_states: int, n: int, *, noise: float = 0.5, random_state: RandomStateLike = None
) -> KnownMISample:
    """Integer X uniform on ``n_states`` states and Y = X, replaced by a uniform draw with probability ``noise``.

    Parameters
    ----------
    n_states : int
        Number of states ``m >= 2`` of X and Y.
    n : int
        Number of samples.
    noise : float, default 0.5
        Probability that Y is redrawn uniformly (1: independent).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence

    Returns
    -------
    KnownMISample
        ``x``, ``y`` of shape ``(n,)``, dtype int64; ``mi`` from the joint pmf
        ``P(x, y) = (1 - noise) 1{x = y} / m + noise / m^2``.

    Examples
    --------
    >>> s = discrete_channel(4, 100, noise=0.0, random_state=0)
    >>> bool(abs(s.mi - np.log(4)) < 1e-12)
    True
    """
    m = _check_states(n_states, "n_states")
    n = check_n(n)
    eps = _check_probability(noise, "noise")
    rng = check_random_state(random_state)
    x = rng.integers(0, m, n)
    y = np.where(rng.random(n) < eps, rng.integers(0, m, n), x)
    pmf = np.full((m, m), eps / m**2) + np.eye(m) * (1.0 - eps) / m
    return KnownMISample(
        x=x, y=y, mi=pmf_mutual_information(pmf), latent_x=x[:, None], latent_y=y[:, None],
        name="discrete_channel", params={"n_states": m, "n": n, "noise": eps},
    )


def _mixture_entropy(means: np.ndarray) -> float:
    """Differential entropy (nats) of the equal-weight mixture of N(mean_j, 1)."""

    def integrand(t: float) -> float:
        p = float(np.mean(stats.norm.pdf(t - means)))
        return -p * np.log(p) if p > 0 else 0.0

    lo, hi = float(means.min()) - 12.0, float(means.max()) + 12.0
    points = list(means) if means.size <= 50 else None
    value, _ = integrate.quad(integrand, lo, hi, points=points, limit=500, epsabs=1e-12, epsrel=1e-10)
    return float(value)


def class_gaussian(
    n_classes: int, n: int, *, separation: float = 1.0, random_state: RandomStateLike = None
) -> KnownMISample:
    """Class labels X (uniform on ``n_classes``) and a continuous Y | X = j ~ N(j * separation, 1).

    Parameters
    ----------
    n_classes : int
        Number of classes, ``>= 2``.
    n : int
    separation : float, default 1.0
        Distance between neighbouring class means, in units of the class sd.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence

    Returns
    -------
    KnownMISample
        ``x`` integer labels of shape ``(n,)``, ``y`` float of shape ``(n, 1)``;
        ``mi = h(Y) - log(2 pi e) / 2`` with h(Y) by quadrature.
    """
    c = _check_states(n_classes, "n_classes")
    n = check_n(n)
    if isinstance(separation, (bool, np.bool_)) or not np.isfinite(separation) or separation < 0:
        msg = f"separation must be a finite non-negative number; got separation={separation!r}"
        raise ValueError(msg)
    rng = check_random_state(random_state)
    means = np.arange(c) * float(separation)
    x = rng.integers(0, c, n)
    y = (means[x] + rng.standard_normal(n))[:, None]
    mi = _mixture_entropy(means) - 0.5 * np.log(2 * np.pi * np.e)
    return KnownMISample(
        x=x, y=y, mi=float(mi), latent_x=x[:, None], latent_y=y, name="class_gaussian",
        params={"n_classes": c, "n": n, "separation": float(separation)},
    )


def zero_inflated_normal(
    mi: float, n: int, *, p_zero: float = 0.5, random_state: RandomStateLike = None
) -> KnownMISample:
    """X = 0 with probability ``p_zero``, else Gaussian G; Y Gaussian, correlated with G.

    ``(G, Y)`` is a standard bivariate normal with ``I(G; Y) = mi / (1 - p_zero)``,
    so that ``I(X; Y) = (1 - p_zero) I(G; Y) = mi`` exactly (X has an atom at 0
    that carries no information about Y).

    Parameters
    ----------
    mi : float
        True I(X; Y) in nats.
    n : int
    p_zero : float, default 0.5
        Mass of the atom at 0, in [0, 1).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence

    Returns
    -------
    KnownMISample
        ``x``, ``y`` of shape ``(n, 1)``; ``latent_x`` holds G.

    Examples
    --------
    >>> s = zero_inflated_normal(0.5, 1000, random_state=0)
    >>> float(np.mean(s.x == 0)) > 0.45, s.mi
    (True, 0.5)
    """
    mi = check_mi(mi)
    n = check_n(n)
    p0 = _check_probability(p_zero, "p_zero", open_right=True)
    rng = check_random_state(random_state)
    per = mi / (1.0 - p0)
    rho = np.sqrt(-np.expm1(-2.0 * per))
    g = rng.standard_normal(n)
    y = rho * g + np.exp(-per) * rng.standard_normal(n)
    x = np.where(rng.random(n) < p0, 0.0, g)
    return KnownMISample(
        x=x[:, None], y=y[:, None], mi=mi, latent_x=g[:, None], latent_y=y[:, None],
        name="zero_inflated_normal", params={"mi": mi, "n": n, "p_zero": p0},
    )
