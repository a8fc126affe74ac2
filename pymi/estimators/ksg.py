"""Kraskov–Stögbauer–Grassberger (KSG) mutual-information estimator."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma

from .. import _neighbors
from .._params import Options
from .._validation import check_k
from .._whitening import whiten as whiten_samples
from ._backend import BACKENDS, count_backend, resolve_backend
from ._base import K_CONSTRAINT, MIEstimator
from ._protocol import Capabilities

__all__ = ["KSG"]


class KSG(MIEstimator):
    """KSG estimator of I(X; Y), algorithm 1 (Kraskov, Stögbauer & Grassberger 2004).

    eps_i is the max-norm distance from (x_i, y_i) to its k-th neighbour in the
    joint space; n_x(i), n_y(i) count the points strictly closer than eps_i in
    each marginal (max-norm);
    I = psi(k) + psi(N) - < psi(n_x + 1) + psi(n_y + 1) >  (nats).
    The raw value is reported (no clipping at 0).

    With ``discrete_y=True`` the estimator of Ross (2014, PLoS ONE 9(2) e87357)
    is used: I = psi(N) - <psi(N_y)> + psi(k) - <psi(m_i)>, where d_i is the
    distance to the k-th neighbour within x_i's class and m_i counts all points
    within d_i.

    Parameters
    ----------
    k : int, default 5
        Neighbour order in the joint space.
    whiten : bool, default True
        Whiten X and Y separately before the search. MI is invariant under
        invertible linear maps of each side, so this changes nothing in
        expectation but makes the max-norm balls treat all directions alike.
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        Engine for the joint kNN search and the marginal counts ("faiss": the
        kNN search only; the counts then use pymi's engine).
    **kwargs
        ``base``, ``nan_policy``, ``ties``, ``jitter_scale``, ``random_state``,
        ``n_jobs``, ``device``: see :class:`pymi.estimators.MIEstimator`.
    """

    name = "ksg"
    capabilities = Capabilities(entropy=False, takes_k=True)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": K_CONSTRAINT,
        "whiten": ["boolean"],
        "backend": [Options(str, BACKENDS)],
    }

    def __init__(
        self, k: int = 5, *, whiten: bool = True, backend: str = "auto", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.k = k
        self.whiten = whiten
        self.backend = backend

    def _side(self, z: np.ndarray, name: str) -> np.ndarray:
        if self.whiten:
            return whiten_samples(z, name)[0]
        return z

    def _mi_continuous(self, x, y, rng):
        n = x.shape[0]
        check_k(self.k, n)
        zx, zy = self._side(x, "x"), self._side(y, "y")
        joint = np.ascontiguousarray(np.concatenate([zx, zy], axis=1))
        backend, device = resolve_backend(self.backend, self.device)
        dist, _ = _neighbors.knn(
            joint, self.k, metric="chebyshev", backend=backend, n_jobs=self.n_jobs, device=device
        )
        eps = np.ascontiguousarray(dist[:, -1])
        nx, ny = _neighbors.count_within_pair(
            zx, zy, eps, metric="chebyshev", backend=count_backend(backend), n_jobs=self.n_jobs,
            device=device,
        )
        contrib = digamma(self.k) + digamma(n) - digamma(nx + 1.0) - digamma(ny + 1.0)
        params = {"k": self.k, "whiten": self.whiten, "backend": backend, "variant": "ksg1"}
        return float(contrib.mean()), contrib, params

    def _min_samples(self, d: int) -> int:
        # X is whitened once over all samples (not per class): a class needs only
        # its k neighbours
        return self.k + 1

    def _min_samples_reason(self, d: int) -> str:
        return f"k={self.k} neighbours within the class"

    def _mi_discrete(self, x, codes, classes, rng):
        n = x.shape[0]
        check_k(self.k, n)
        counts = self._check_class_sizes(codes, classes, x.shape[1])
        zx = self._side(x, "x")
        backend, device = resolve_backend(self.backend, self.device)
        radius = np.empty(n, dtype=zx.dtype)
        for c in range(len(classes)):
            rows = np.nonzero(codes == c)[0]
            dist, _ = _neighbors.knn(
                np.ascontiguousarray(zx[rows]), self.k, metric="chebyshev",
                backend=backend, n_jobs=self.n_jobs, device=device,
            )
            radius[rows] = dist[:, -1]
        # m_i counts points with distance <= d_i (closed ball, Ross 2014):
        # a strict count at the next representable radius.
        closed = np.nextafter(radius, np.array(np.inf, dtype=radius.dtype))
        m = _neighbors.count_within(
            np.ascontiguousarray(zx), closed, metric="chebyshev", backend=count_backend(backend),
            n_jobs=self.n_jobs, device=device,
        )
        contrib = digamma(n) - digamma(counts[codes]) + digamma(self.k) - digamma(m)
        params = {
            "k": self.k, "whiten": self.whiten, "backend": backend, "variant": "ross2014",
            "class_counts": {str(classes[c]): int(counts[c]) for c in range(len(classes))},
        }
        return float(contrib.mean()), contrib, params
