"""Kozachenko–Leonenko (KL) and weighted KL (WKL) kNN entropy estimators."""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from .. import _core, _neighbors
from .._params import Interval, Options, Real, hint
from .._validation import check_k
from .._weights import MAX_WEIGHT_NORM, kl_offsets, kl_weights, wkl_weights
from ._backend import BACKENDS, resolve_backend
from ._base import K_CONSTRAINT, EntropySumEstimator
from ._protocol import Capabilities

__all__ = ["KL", "WKL"]


class _KNNEntropy(EntropySumEstimator):
    capabilities = Capabilities(takes_k=True)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": K_CONSTRAINT,
        "backend": [Options(str, BACKENDS)],
    }

    def __init__(self, k: int = 5, *, backend: str = "auto", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.k = k
        self.backend = backend

    @abstractmethod
    def _weights(self, d: int) -> np.ndarray:
        """Weights over neighbour orders 1..k for dimension d."""

    def _min_samples(self, d: int) -> int:
        return max(self.k + 1, d + 2 if self.whiten else 2)

    def _min_samples_reason(self, d: int) -> str:
        return f"k={self.k} neighbours per point" + (
            f" and whitening in d={d}" if self.whiten else ""
        )

    def _point_terms(self, z: np.ndarray, shared: dict) -> tuple[np.ndarray, dict]:
        n, d = z.shape
        check_k(self.k, n, where=f" (within {n}-sample term)")
        w = self._weights(d)
        kmax = int(np.nonzero(w)[0].max()) + 1
        backend, device = resolve_backend(self.backend, self.device)
        dist, _ = _neighbors.knn(
            z, kmax, metric="euclidean", backend=backend, n_jobs=self.n_jobs, device=device
        )
        if not np.all(np.isfinite(dist)):
            msg = (
                f"neighbour distances overflow in {z.dtype} (largest |value| "
                f"{float(np.max(np.abs(z))):.3g}); rescale the data, pass float64 input, or "
                f"keep whiten=True"
            )
            raise ValueError(msg)
        zero = dist[:, 0] == 0
        if zero.any():
            msg = (
                f"{int(zero.sum())} of {n} samples have a zero nearest-neighbour distance after "
                f"preprocessing (duplicates created by float rounding); pass ties='jitter' with a "
                f"larger jitter_scale, or use float64 input"
            )
            raise ValueError(msg)
        terms = _core.kl_point_terms(
            np.ascontiguousarray(dist), w[:kmax].copy(), d, kl_offsets(n, d, kmax), self.n_jobs
        )
        info = {"k": self.k, "backend": backend, "weights": w.tolist()}
        return np.asarray(terms, dtype=np.float64), info


class KL(_KNNEntropy):
    """Kozachenko–Leonenko kNN entropy / MI estimator.

    h_k = (1/N) sum_i [ d log r_{i,k} + log V_d + psi(N) - psi(k) ]
    (Kozachenko & Leonenko 1987; Kraskov et al. 2004), with r_{i,k} the
    Euclidean distance from x_i to its k-th nearest neighbour. MI is the sum of
    entropy terms, each computed on its own whitened data (Butakov et al., ICLR 2024).

    Parameters
    ----------
    k : int, default 5
        Neighbour order (k=1 gives the classic 1-NN estimator).
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        Nearest-neighbour engine; ``"auto"`` picks by (n, d) and device.
    whiten : bool, default True
        Whiten each entropy term with its own covariance (the paper's default).
    **kwargs
        ``base``, ``nan_policy``, ``ties``, ``jitter_scale``, ``random_state``,
        ``n_jobs``, ``device``: see :class:`pymi.estimators.MIEstimator`.

    Returns from ``entropy``/``mutual_information`` an :class:`pymi.Estimate`
    in nats unless ``base`` says otherwise.
    """

    name = "kl"

    def _weights(self, d: int) -> np.ndarray:
        return kl_weights(self.k)


class WKL(_KNNEntropy):
    """Weighted Kozachenko–Leonenko estimator (Berrett, Samworth & Yuan 2019).

    h = sum_j w_j h_j, combining the KL estimates of orders j <= k with weights
    that sum to one and cancel the leading bias terms (``pymi._weights``). The
    weights are solved exactly; when k is too small for the dimension, an error
    names the smallest k that works. Per-term whitening as in :class:`KL`.

    Parameters
    ----------
    k : int, default 5
        Largest neighbour order.
    max_weight_norm : float, default 50
        Largest accepted L1 norm of the weights, the factor by which they can
        multiply the noise of the per-order estimates. Exact weights exceed it
        from d = 12 on for every k <= 200 (d = 8-10 at k = 5 pass); such terms
        raise an error that suggests method='kl' or compression. Pass
        ``numpy.inf`` to accept any exact weights.
    backend, whiten, **kwargs
        As for :class:`KL`.
    """

    name = "wkl"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_weight_norm": [
            Interval(Real, 1, math.inf, closed="both"),
            hint("the weights sum to 1, so their L1 norm is at least 1; numpy.inf accepts any"),
        ],
    }

    def __init__(self, k: int = 5, *, max_weight_norm: float = MAX_WEIGHT_NORM, **kwargs: Any) -> None:
        super().__init__(k, **kwargs)
        self.max_weight_norm = max_weight_norm

    def _weights(self, d: int) -> np.ndarray:
        return wkl_weights(self.k, d, max_norm=self.max_weight_norm)
