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
* :func:`binary_entropy`: H_b(p) of a Bernoulli variable, in nats.
* :func:`zero_inflated_pair`: X = Y = 0 together with probability ``p_zero`` and a
  correlated Gaussian pair otherwise (a joint atom, the case of Gao, Kannan, Oh and
  Viswanath 2017 where breaking ties with noise fails); I(X; Y) = H_b(p_zero) +
  (1 - p_zero) I(G; G'), exactly.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special, stats

from .._random import RandomStateLike, check_random_state
from ._checks import check_mi, check_n
from ._sample import KnownMISample

__all__ = [
    "binary_entropy",
    "class_gaussian",
    "discrete_channel",
    "pmf_mutual_information",
    "zero_inflated_normal",
    "zero_inflated_pair",
]


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
        msg = f"{name} must be a probability in {interval}; got {name}={p!r}; pass e.g. {name}=0.5"
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


def binary_entropy(p: float) -> float:
    """Entropy of a Bernoulli(``p``) variable, in nats.

    ``H_b(p) = -p log p - (1 - p) log(1 - p)``, with ``0 log 0 = 0`` (so ``H_b(0) =
    H_b(1) = 0``); its maximum is ``log 2`` nats at ``p = 1/2``. In the joint atom of
    :func:`zero_inflated_pair` it is the information carried by which rows sit at (0, 0).

    Parameters
    ----------
    p : float
        Probability of one of the two outcomes, in [0, 1].

    Returns
    -------
    float
        ``H_b(p)`` in nats (divide by ``log 2`` for bits).

    Raises
    ------
    ValueError
        For ``p`` outside [0, 1], NaN, or not a real number.

    References
    ----------
    T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley
    (2006), section 2.1 (equation 2.5).

    Examples
    --------
    >>> round(binary_entropy(0.5), 6), binary_entropy(0.0)
    (0.693147, 0.0)
    """
    p = _check_probability(p, "p")
    return float(special.entr(p) + special.entr(1.0 - p))  # entr(q) = -q log q, entr(0) = 0


def zero_inflated_pair(
    mi: float, n: int, *, p_zero: float = 0.5, random_state: RandomStateLike = None
) -> KnownMISample:
    """A joint atom: X = Y = 0 together with probability ``p_zero``, else a correlated Gaussian pair.

    With an indicator B ~ Bernoulli(``p_zero``) independent of a standard bivariate
    normal (G, G') of correlation ``rho``: (X, Y) = (0, 0) if B = 1 and (G, G')
    otherwise. This is the discrete-continuous mixture on which estimators that break
    ties with small noise fail (Gao, Kannan, Oh & Viswanath 2017): both
    coordinates of the atom's points are tied at once.

    The truth, exactly: B = 1{X = 0} = 1{Y = 0} almost surely (P(G = 0) = 0), so B is
    a function of X and of Y, and by the chain rule::

        I(X; Y) = I(X; Y, B) = I(X; B) + I(X; Y | B)
                = H(B) + p_0 I(X; Y | B = 1) + (1 - p_0) I(X; Y | B = 0)
                = H_b(p_0) + (1 - p_0) I(G; G'),

    since I(X; B) = H(B) - H(B | X) = H(B), given B = 1 both variables are the
    constant 0 (no information), and given B = 0, (X, Y) = (G, G') with
    I(G; G') = -log(1 - rho^2) / 2. Equivalently, with densities against the
    reference measure "point mass at 0 plus Lebesgue" on each axis,
    p(0, 0) = p_0, p(x, y) = (1 - p_0) phi_rho(x, y) off the axes,
    p_X(0) = p_0, p_X(x) = (1 - p_0) phi(x), and the mean of
    log p(x, y) / (p_X(x) p_Y(y)) is p_0 log(1 / p_0) + (1 - p_0) (I(G; G') -
    log(1 - p_0)), the same number. ``rho`` is solved from the requested total:
    I(G; G') = (mi - H_b(p_0)) / (1 - p_0).

    Parameters
    ----------
    mi : float
        True I(X; Y) in nats; at least H_b(``p_zero``) (the information the atom
        alone carries, reached at rho = 0).
    n : int
        Number of samples.
    p_zero : float, default 0.5
        Mass of the joint atom at (0, 0), in [0, 1).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence

    Returns
    -------
    KnownMISample
        ``x``, ``y`` of shape ``(n, 1)``; ``latent_x``, ``latent_y`` hold G and G'
        (drawn for every row); ``params`` holds ``rho`` and the Gaussian part's
        ``mi_continuous`` = I(G; G').

    Raises
    ------
    ValueError
        For ``mi`` below H_b(``p_zero``), or ``p_zero`` outside [0, 1).

    References
    ----------
    W. Gao, S. Kannan, S. Oh and P. Viswanath, "Estimating mutual information for
    discrete-continuous mixtures", NeurIPS 2017.

    Examples
    --------
    >>> s = zero_inflated_pair(1.0, 1000, random_state=0)      # p_zero = 1/2: H_b = log 2
    >>> bool(np.all((s.x == 0) == (s.y == 0))), round(s.params["mi_continuous"], 4)
    (True, 0.6137)
    """
    mi = check_mi(mi)
    n = check_n(n)
    p0 = _check_probability(p_zero, "p_zero", open_right=True)
    h_atom = binary_entropy(p0)
    if mi < h_atom - 1e-12:
        msg = (
            f"mi must be at least H_b(p_zero) = {h_atom:.6g} nats for p_zero={p0:g} (the "
            f"information that the shared atom alone carries: which rows sit at (0, 0) is "
            f"known from X and from Y); got mi={mi!r}; pass mi >= {h_atom:.4g}, or a p_zero "
            f"further from 1/2"
        )
        raise ValueError(msg)
    per = max(mi - h_atom, 0.0) / (1.0 - p0)
    rho = float(np.sqrt(-np.expm1(-2.0 * per)))
    rng = check_random_state(random_state)
    g = rng.standard_normal(n)
    g2 = rho * g + np.exp(-per) * rng.standard_normal(n)
    atom = rng.random(n) < p0
    x = np.where(atom, 0.0, g)
    y = np.where(atom, 0.0, g2)
    return KnownMISample(
        x=x[:, None], y=y[:, None], mi=mi, latent_x=g[:, None], latent_y=g2[:, None],
        name="zero_inflated_pair",
        params={"mi": mi, "n": n, "p_zero": p0, "rho": rho, "mi_continuous": per},
    )
