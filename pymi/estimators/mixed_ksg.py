"""The mixed KSG estimator of Gao, Kannan, Oh & Viswanath (2017) for data with atoms.

For variables that are discrete, continuous or mixtures of both (a continuous
distribution with point masses), ties are information, not a defect: a point
whose k-th joint neighbour is at distance 0 sits on an atom, and the local
estimate there becomes the plug-in one. With rho_i the max-norm distance from
(x_i, y_i) to its k-th neighbour:

* psi(k~) + psi(N) - psi(n_x) - psi(n_y), where k~, n_x and n_y count the
  points within rho_i (closed balls, self excluded) in the joint space and in
  each marginal: at rho_i = 0 these are exact copies, so on an atom the term
  is the plug-in one;
* where nothing ties at rho_i (continuous data), the KSG term
  psi(k) + psi(N) - psi(n_x' + 1) - psi(n_y' + 1) with strict counts, which
  makes the estimator KSG's on continuous data.

The estimate is the mean of these terms (nats); it is consistent for discrete,
continuous and mixed distributions alike.

References
----------
W. Gao, S. Kannan, S. Oh, P. Viswanath, "Estimating mutual information for
discrete-continuous mixtures", NeurIPS 2017.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma

from .. import _neighbors
from .._params import Options
from .._validation import check_k
from ._backend import BACKENDS, count_backend, resolve_backend
from ._base import K_CONSTRAINT, MIEstimator
from ._protocol import Capabilities

__all__ = ["MixedKSG", "mixed_ksg_terms"]


def _standardise(v: np.ndarray) -> np.ndarray:
    """Each column divided by its standard deviation (constant columns kept): ties stay ties."""
    v = v.astype(np.float64)
    sd = v.std(axis=0)
    sd[sd == 0] = 1.0
    return np.ascontiguousarray((v - v.mean(axis=0)) / sd)


def mixed_ksg_terms(
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    *,
    backend: str = "auto",
    n_jobs: int | None = -1,
    device: str = "auto",
    return_tied: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Per-sample terms (nats) of the mixed KSG estimator; their mean is the estimate of I(X; Y).

    With rho_i the k-th joint neighbour distance (max-norm), k~ the number of
    points within rho_i (closed ball) and n_x, n_y the closed-ball marginal
    counts (self excluded), the term is psi(k~) + psi(N) - psi(n_x) - psi(n_y)
    (Gao et al. 2017, with digammas). Where nothing ties at rho_i (k~ = k and
    at most the k-th neighbour itself on each marginal boundary: continuous
    data) the KSG term psi(k) + psi(N) - psi(n_x' + 1) - psi(n_y' + 1) with
    strict counts is used instead, so continuous data give KSG exactly.
    With ``return_tied`` also the boolean mask of the rows that took the tied form.
    """
    n = x.shape[0]
    joint = np.ascontiguousarray(np.concatenate([x, y], axis=1))
    dist, _ = _neighbors.knn(joint, k, metric="chebyshev", backend=backend, n_jobs=n_jobs, device=device)
    rho = np.ascontiguousarray(dist[:, -1])
    # closed balls as strict counts at the next representable radius (exact copies at rho = 0)
    closed = np.nextafter(rho, np.inf)
    cb = count_backend(backend)
    xa, ya = np.ascontiguousarray(x), np.ascontiguousarray(y)
    kw = {"metric": "chebyshev", "backend": cb, "n_jobs": n_jobs, "device": device}
    nx_open, ny_open = _neighbors.count_within_pair(xa, ya, rho, **kw)
    nx, ny = _neighbors.count_within_pair(xa, ya, closed, **kw)
    k_tilde = _neighbors.count_within(joint, closed, **kw)
    ksg = digamma(k) + digamma(n) - digamma(nx_open + 1.0) - digamma(ny_open + 1.0)
    tied = (rho == 0.0) | (k_tilde > k) | (nx - nx_open > 1) | (ny - ny_open > 1)
    gao = digamma(k_tilde) + digamma(n) - digamma(np.maximum(nx, 1)) - digamma(np.maximum(ny, 1))
    terms = np.where(tied, gao, ksg)
    return (terms, tied) if return_tied else terms


class MixedKSG(MIEstimator):
    """Mixed KSG estimator of I(X; Y) for discrete, continuous and mixed data (Gao et al. 2017).

    Ties are kept (no jitter): exact copies are what identifies the atoms.

    Parameters
    ----------
    k : int, default 5
        Neighbour order in the joint space.
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        Engine for the joint kNN search and the marginal counts.
    **kwargs
        ``base``, ``nan_policy``, ``random_state``, ``n_jobs``, ``device``: see
        :class:`pymi.estimators.MIEstimator` (``ties`` and ``jitter_scale`` have
        no effect: ties are part of the model).

    Notes
    -----
    Each column is standardised (divided by its standard deviation, no rotation)
    so that the max-norm treats the columns alike while exact ties survive.
    ``discrete_y=True`` encodes the labels as integers 0, 1, ... scaled far
    apart, so every neighbour ball stays within a class.

    References
    ----------
    W. Gao, S. Kannan, S. Oh, P. Viswanath, "Estimating mutual information for
    discrete-continuous mixtures", NeurIPS 2017.
    """

    name = "mixed_ksg"
    capabilities = Capabilities(entropy=False, takes_k=True)
    _handles_ties = False
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": K_CONSTRAINT,
        "backend": [Options(str, BACKENDS)],
    }

    def __init__(self, k: int = 5, *, backend: str = "auto", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.k = k
        self.backend = backend

    def _terms(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, str]:
        check_k(self.k, x.shape[0])
        backend, device = resolve_backend(self.backend, self.device)
        terms, tied = mixed_ksg_terms(
            x, y, self.k, backend=backend, n_jobs=self.n_jobs, device=device, return_tied=True
        )
        return terms, float(tied.mean()), backend

    def _mi_continuous(self, x, y, rng):
        sx, sy = _standardise(x), _standardise(y)
        terms, tied, backend = self._terms(sx, sy)
        params = {"k": self.k, "backend": backend, "variant": "gao2017", "tied_fraction": tied}
        return float(terms.mean()), terms, params

    def _mi_discrete(self, x, codes, classes, rng):
        sx = _standardise(x)
        # classes far apart: any finite ball that reaches another class is wider than the data
        span = float(np.max(np.abs(sx))) * 4.0 + 1.0
        sy = (codes.astype(np.float64) * span)[:, None]
        terms, tied, backend = self._terms(sx, np.ascontiguousarray(sy))
        params = {"k": self.k, "backend": backend, "variant": "gao2017", "tied_fraction": tied}
        return float(terms.mean()), terms, params
