"""The functional API: ``pymi.entropy`` and ``pymi.mutual_information``."""

from __future__ import annotations

from typing import Any

from ._estimate import Estimate
from .estimators import KL, KSG, WKL, Gaussian, MIEstimator

__all__ = ["ENTROPY_METHODS", "MI_METHODS", "entropy", "make_estimator", "mutual_information"]

_REGISTRY: dict[str, type[MIEstimator]] = {"kl": KL, "wkl": WKL, "ksg": KSG, "gaussian": Gaussian}
_TAKES_K = {"kl", "wkl", "ksg"}


def _registry() -> dict[str, type[MIEstimator]]:
    reg = dict(_REGISTRY)
    try:
        from .estimators.kde import KDE

        reg["kde"] = KDE
    except ImportError:  # pragma: no cover - kde lands with its kernel
        pass
    return reg


ENTROPY_METHODS = ("kl", "wkl", "kde", "gaussian")
MI_METHODS = ("kl", "wkl", "ksg", "kde", "gaussian")


def make_estimator(method: str, *, k: int | None = None, **options: Any) -> MIEstimator:
    """Build the estimator object for ``method`` with ``options`` (see pymi.estimators)."""
    reg = _registry()
    if method not in reg:
        msg = f"method must be one of {sorted(reg)}; got {method!r}"
        raise ValueError(msg)
    if k is not None:
        if method not in _TAKES_K:
            msg = f"k is a neighbour count and method={method!r} takes none; drop k=..."
            raise TypeError(msg)
        options["k"] = k
    try:
        return reg[method](**options)
    except TypeError as err:
        msg = f"invalid option for method={method!r}: {err}"
        raise TypeError(msg) from err


def entropy(x: Any, method: str = "wkl", *, k: int | None = None, base: str = "nats", **options: Any) -> Estimate:
    """Estimate the differential entropy h(X).

    Parameters
    ----------
    x : array_like, shape (n_samples, ...)
        Samples (numpy array or torch tensor); trailing dimensions are flattened.
    method : {"wkl", "kl", "kde", "gaussian"}
        Estimator (see the table in the README). Default: weighted KL.
    k : int, optional
        Neighbour order for kNN methods (default 5).
    base : {"nats", "bits", "dits"}
        Unit of the result (natural log by default).
    **options
        Passed to the estimator class (``whiten``, ``backend``, ``nan_policy``,
        ``ties``, ``random_state``, ``n_jobs``, ``device``, ...).

    Returns
    -------
    Estimate
        ``value`` and ``stderr`` in ``base`` units.

    Examples
    --------
    >>> import numpy as np, pymi
    >>> x = np.random.default_rng(0).standard_normal((2000, 2))
    >>> est = pymi.entropy(x)          # true value log(2 pi e) = 2.838 nats
    >>> abs(est.value - 2.838) < 0.1
    True
    """
    if method not in ENTROPY_METHODS:
        msg = f"method must be one of {list(ENTROPY_METHODS)} for entropy; got {method!r}"
        raise ValueError(msg)
    return make_estimator(method, k=k, base=base, **options).entropy(x)


def mutual_information(
    x: Any,
    y: Any,
    method: str = "wkl",
    *,
    k: int | None = None,
    discrete_y: bool = False,
    base: str = "nats",
    **options: Any,
) -> Estimate:
    """Estimate the mutual information I(X; Y).

    Parameters
    ----------
    x, y : array_like, shape (n_samples, ...)
        Row-aligned samples (numpy arrays or torch tensors); trailing
        dimensions are flattened. With ``discrete_y=True``, ``y`` holds labels.
    method : {"wkl", "kl", "ksg", "kde", "gaussian"}
        Estimator. Entropy-sum methods (kl, wkl, kde) whiten every term
        separately, as in Butakov et al. (ICLR 2024).
    k : int, optional
        Neighbour order for kNN methods (default 5).
    discrete_y : bool
        Labels: I = h(X) - sum_y p(y) h(X | Y=y).
    base : {"nats", "bits", "dits"}
        Unit of the result.
    **options
        Passed to the estimator class.

    Returns
    -------
    Estimate
    """
    if method not in MI_METHODS:
        msg = f"method must be one of {list(MI_METHODS)} for mutual information; got {method!r}"
        raise ValueError(msg)
    est = make_estimator(method, k=k, base=base, **options)
    return est.mutual_information(x, y, discrete_y=discrete_y)
