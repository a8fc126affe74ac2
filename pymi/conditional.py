"""Conditional mutual information I(X; Y | Z) and transfer entropy.

Two families of estimators (nats unless ``base`` says otherwise):

* ``method="cksg"`` (default) and ``"ksg"``: the Frenzel–Pompe kNN estimator
  (:class:`pymi.estimators.frenzel_pompe.FrenzelPompe`), on the compiled
  neighbour kernels; ``"cksg"`` calibrates it on normal scores against a
  Gaussian reference of the same covariance
  (:class:`~pymi.estimators.frenzel_pompe.CalibratedFrenzelPompe`).
* the entropy methods of :func:`pymi.entropy` (``"wkl"``, ``"kl"``, ``"kde"``,
  ``"gaussian"``): I(X; Y | Z) = h(X, Z) + h(Y, Z) - h(Z) - h(X, Y, Z), the four
  terms combined row by row (each term whitened separately).

Transfer entropy (Schreiber 2000) is a conditional MI of delay embeddings:
TE_{S -> T} = I(T_t ; S_{t-lag}, ..., S_{t-lag-l+1} | T_{t-1}, ..., T_{t-h}).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ._estimate import Estimate
from ._random import check_random_state
from ._validation import close_names, hint_transposed
from .estimators._registry import entropy_methods, get_method
from .estimators.frenzel_pompe import CalibratedFrenzelPompe, FrenzelPompe, prepare_triple

__all__ = [
    "CMI_METHODS",
    "DEFAULT_CMI_METHOD",
    "conditional_mutual_information",
    "make_cmi_estimator",
    "transfer_entropy",
]

#: The default method of :func:`conditional_mutual_information`: Frenzel–Pompe calibrated
#: against a Gaussian reference. On Gaussians up to 3 nats (d_X = d_Y = 2, d_Z = 1..4,
#: N = 5000) its mean error is at most 0.04 nats per case, and single estimates are within
#: 0.05 nats 95 % of the time. The plain estimator is off by 0.5-1.8 nats there.
DEFAULT_CMI_METHOD = "cksg"

_KNN_CLASSES = {"cksg": CalibratedFrenzelPompe, "ksg": FrenzelPompe}


def _cmi_methods() -> tuple[str, ...]:
    return (*_KNN_CLASSES, *entropy_methods())


#: Names accepted by ``method=`` (the kNN methods, then the entropy methods).
CMI_METHODS: tuple[str, ...] = _cmi_methods()


def make_cmi_estimator(method: str = DEFAULT_CMI_METHOD, *, k: int | None = None, **options: Any):
    """The estimator object behind ``conditional_mutual_information(..., method=method)``.

    Returns a :class:`~pymi.estimators.frenzel_pompe.FrenzelPompe` /
    :class:`~pymi.estimators.frenzel_pompe.CalibratedFrenzelPompe` for the kNN
    methods, the entropy estimator of ``method`` otherwise.

    Raises
    ------
    ValueError
        Unknown method, or an option value the class rejects.
    TypeError
        An option the class does not take.
    """
    names = _cmi_methods()
    if method not in names:
        hint = close_names(str(method), names)
        msg = (
            f"method must be one of {list(names)} for conditional mutual information; got "
            f"{method!r}" + (f" (did you mean {' or '.join(map(repr, hint))}?)" if hint else "")
        )
        raise ValueError(msg)
    cls = _KNN_CLASSES.get(method) or get_method(method).cls
    if k is not None:
        if "k" not in cls._parameter_names():
            msg = f"k is a neighbour count and method={method!r} takes none; drop k=..."
            raise TypeError(msg)
        options["k"] = k
    unknown = sorted(set(options) - set(cls._parameter_names()))
    if unknown:
        msg = (
            f"invalid option for conditional mutual information with method={method!r}: "
            f"{cls.__name__} takes no {', '.join(unknown)}; its options are {list(cls._parameter_names())}"
        )
        raise TypeError(msg)
    return cls(**options)


def _entropy_sum(est: Any, x: Any, y: Any, z: Any) -> Estimate:
    rng = check_random_state(est.random_state)
    xa, ya, za, info = prepare_triple(est, x, y, z, rng)
    terms = {}
    params: dict[str, Any] = {}
    for key, parts in (("xz", (xa, za)), ("yz", (ya, za)), ("z", (za,)), ("xyz", (xa, ya, za))):
        joint = np.ascontiguousarray(np.concatenate(parts, axis=1))
        _, contrib, p = est._entropy(joint, rng)
        terms[key] = contrib
        params[f"h_{key}"] = float(contrib.mean())
        params.update({f"{name}_{key}": v for name, v in p.items() if np.isscalar(v)})
    contrib = terms["xz"] + terms["yz"] - terms["z"] - terms["xyz"]
    params.update(info)
    params["variant"] = "entropy_sum"
    params["dims"] = (xa.shape[1], ya.shape[1], za.shape[1])
    return est._result(float(contrib.mean()), contrib, params)


def conditional_mutual_information(
    x: Any,
    y: Any,
    z: Any,
    method: str = DEFAULT_CMI_METHOD,
    *,
    k: int | None = None,
    base: str = "nats",
    compress: str | None = None,
    latent_dim: int | tuple[int | None, int | None, int | None] | None = None,
    **options: Any,
) -> Estimate:
    """Estimate the conditional mutual information I(X; Y | Z).

    Parameters
    ----------
    x, y, z : array_like, shape (n_samples, ...)
        Row-aligned continuous samples (numpy arrays or torch tensors); trailing
        dimensions are flattened per sample.
    method : str
        ``"cksg"`` (default): Frenzel–Pompe on normal scores calibrated against
        a Gaussian reference; ``"ksg"``: plain Frenzel–Pompe (Frenzel & Pompe,
        Phys. Rev. Lett. 99, 204101, 2007); ``"wkl"``, ``"kl"``, ``"kde"``,
        ``"gaussian"``: the entropy sum h(X,Z) + h(Y,Z) - h(Z) - h(X,Y,Z).
    k : int, optional
        Neighbour order of the kNN methods (default 5).
    base : {"nats", "bits", "dits"}
        Unit of the result.
    compress : {None, "pca"}
        ``"pca"``: reduce each of X, Y, Z to ``latent_dim`` principal components
        first, cross-fitted: the rows are split at random into two halves, PCA
        fitted on each half encodes the other, the estimate is made on each
        half's codes and the two are combined (mean; stderr
        ``sqrt(se1**2 + se2**2) / 2``), so no row is scored by a PCA fitted on
        it. By the data-processing inequality applied to X and Y the result
        estimates I(PCA(X); PCA(Y) | PCA(Z)), a lower bound of I(X; Y | Z) when
        the codes of Z keep all of Z's information. (The autoencoder
        compressors are not offered for conditional MI.)
    latent_dim : int or (int or None, int or None, int or None)
        Code size for X, Y and Z together, or per variable (None keeps a
        variable as is); needs ``compress``.
    **options
        Passed to the estimator: ``whiten`` (ksg, entropy methods),
        ``copula`` and ``n_references`` (cksg), ``backend``, ``nan_policy``,
        ``ties``, ``jitter_scale``, ``random_state``, ``n_jobs``, ``device``.

    Returns
    -------
    Estimate
        ``value`` and ``stderr`` in ``base`` units (never clipped at 0);
        ``params["dims"]`` holds (d_X, d_Y, d_Z).

    Raises
    ------
    ValueError
        Mismatched row counts, NaN (with ``nan_policy="raise"``), ``z=None``,
        unknown method, bad option values.
    TypeError
        Non-float samples, unknown options.

    Examples
    --------
    >>> import pymi
    >>> from pymi.datasets.conditional import conditional_normal
    >>> s = conditional_normal(1.0, 2, 2, 2, 3000, random_state=0)
    >>> est = pymi.conditional_mutual_information(s.x, s.y, s.z, random_state=0)
    >>> abs(est.value - 1.0) < 0.1
    True
    """
    if compress is not None or latent_dim is not None:
        return _compressed_cmi(x, y, z, method, k=k, base=base, compress=compress, latent_dim=latent_dim, **options)
    est = make_cmi_estimator(method, k=k, base=base, **options)
    with hint_transposed(x=x, y=y, z=z):
        if method in _KNN_CLASSES:
            result = est.conditional_mutual_information(x, y, z)
        else:
            result = _entropy_sum(est, x, y, z)
    return dataclasses.replace(result, method=method)


def _latent_dims(latent_dim: Any) -> tuple[int | None, int | None, int | None]:
    from .compression.base import check_latent_dim

    if latent_dim is None:
        msg = "compress='pca' needs latent_dim (the code size, e.g. latent_dim=2, or one per variable)"
        raise ValueError(msg)
    if isinstance(latent_dim, (tuple, list)):
        if len(latent_dim) != 3:
            msg = (
                f"latent_dim must be an int or three entries (x, y, z), each an int or None; got "
                f"{latent_dim!r}"
            )
            raise ValueError(msg)
        dims = tuple(None if d is None else check_latent_dim(d) for d in latent_dim)
        return dims  # type: ignore[return-value]
    d = check_latent_dim(latent_dim)
    return d, d, d


def _compressed_cmi(x, y, z, method, *, k, base, compress, latent_dim, **options) -> Estimate:
    """Cross-fitted PCA of each variable, then the estimate on each half's codes, combined."""
    from ._validation import as_samples, check_same_length, drop_nonfinite_rows
    from .compression import PCA
    from .compression.compressed import combine_cross_fit

    if compress != "pca":
        msg = (
            f"compress must be None or 'pca' for conditional mutual information; got "
            f"compress={compress!r}" + ("" if compress is not None else " with latent_dim set: pass compress='pca'")
        )
        raise ValueError(msg)
    dims = _latent_dims(latent_dim)
    make_cmi_estimator(method, k=k, base=base, **options)  # refuse bad options before any fitting
    with hint_transposed(x=x, y=y, z=z):
        arrays = [as_samples(v, name) for v, name in ((x, "x"), (y, "y"), (z, "z"))]
        check_same_length(arrays[0], arrays[1])
        check_same_length(arrays[0], arrays[2], "x", "z")
    arrays, dropped = drop_nonfinite_rows(list(zip(("x", "y", "z"), arrays, strict=True)), options.get("nan_policy", "raise"))
    n = arrays[0].shape[0]
    if n < 4:
        msg = f"compress='pca' cross-fits on two halves of the rows and needs at least 4 rows; got {n}"
        raise ValueError(msg)
    rng = check_random_state(options.get("random_state"))
    perm = rng.permutation(n)
    halves = (np.sort(perm[: n // 2]), np.sort(perm[n // 2 :]))
    results, fits = [], []
    for fit_rows, score_rows in (halves, halves[::-1]):
        codes, record = [], {}
        for name, arr, d in zip(("x", "y", "z"), arrays, dims, strict=True):
            if d is None:
                codes.append(arr[score_rows])
                continue
            pca = PCA(d).fit(arr[fit_rows])
            codes.append(pca.transform(arr[score_rows]))
            record[name] = {"latent_dim": d, "explained_variance_ratio": float(np.sum(pca.explained_variance_ratio_))}
        fits.append(record)
        est = conditional_mutual_information(*codes, method, k=k, base=base, **options)
        results.append(est)
    combined = combine_cross_fit(results[0], results[1])
    params = {
        **combined.params,
        "compression": {"method": "pca", "latent_dim": dims, "cross_fit": True, "fits": fits},
        "n_dropped_nonfinite": dropped,
    }
    return dataclasses.replace(combined, params=params, n=n)


def _as_series(v: Any, name: str) -> np.ndarray:
    from ._validation import as_samples

    arr = as_samples(v, name)
    return arr


def _positive(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        msg = f"{name} must be a positive integer (time steps); got {value!r} of type {type(value).__name__}"
        raise TypeError(msg)
    if value < 1:
        msg = f"{name} must be a positive integer (time steps); got {name}={value}; pass e.g. {name}=1"
        raise ValueError(msg)
    return int(value)


def delay_embedding(
    source: Any, target: Any, *, lag: int = 1, history: int = 1, source_history: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows (future of target, past of source, past of target) of a transfer entropy.

    Row ``r`` stands for time ``t = t0 + r`` with ``t0 = max(history, lag + source_history - 1)``:
    ``T_t``; ``S_{t-lag}, ..., S_{t-lag-source_history+1}``; ``T_{t-1}, ..., T_{t-history}``
    (each multivariate series contributes all its columns at every delay).
    """
    lag = _positive(lag, "lag")
    history = _positive(history, "history")
    source_history = _positive(source_history, "source_history")
    s = _as_series(source, "source")
    t = _as_series(target, "target")
    if s.shape[0] != t.shape[0]:
        msg = (
            f"source and target must have the same length (time steps); got source.shape={s.shape}, "
            f"target.shape={t.shape}"
        )
        raise ValueError(msg)
    n = s.shape[0]
    t0 = max(history, lag + source_history - 1)
    rows = n - t0
    if rows < 2:
        msg = (
            f"the series have {n} time steps, too few for lag={lag}, history={history}, "
            f"source_history={source_history} (the first {t0} steps only serve as history); "
            f"pass a longer series or shorter histories"
        )
        raise ValueError(msg)
    future = t[t0:]
    past_s = np.concatenate([s[t0 - lag - m : n - lag - m] for m in range(source_history)], axis=1)
    past_t = np.concatenate([t[t0 - 1 - m : n - 1 - m] for m in range(history)], axis=1)
    return np.ascontiguousarray(future), np.ascontiguousarray(past_s), np.ascontiguousarray(past_t)


def transfer_entropy(
    source: Any,
    target: Any,
    method: str = DEFAULT_CMI_METHOD,
    *,
    lag: int = 1,
    history: int = 1,
    source_history: int = 1,
    k: int | None = None,
    base: str = "nats",
    **options: Any,
) -> Estimate:
    """Transfer entropy from ``source`` to ``target`` (Schreiber 2000).

    TE = I(T_t ; S_{t-lag}, ..., S_{t-lag-l+1} | T_{t-1}, ..., T_{t-h}) with
    ``h = history`` and ``l = source_history``, estimated by
    :func:`conditional_mutual_information` on the delay embedding.

    Parameters
    ----------
    source, target : array_like, shape (n_steps,) or (n_steps, n_features)
        Time series sampled at the same times, oldest first.
    method : str
        As in :func:`conditional_mutual_information` (default ``"cksg"``).
    lag : int, default 1
        Delay of the most recent source value used.
    history : int, default 1
        Number of past target values conditioned on.
    source_history : int, default 1
        Number of past source values used.
    k : int, optional
        Neighbour order of the kNN methods.
    base : {"nats", "bits", "dits"}
    **options
        As in :func:`conditional_mutual_information`.

    Returns
    -------
    Estimate
        ``params`` also holds ``lag``, ``history``, ``source_history``.

    References
    ----------
    T. Schreiber, "Measuring information transfer", Phys. Rev. Lett. 85, 461 (2000).

    Examples
    --------
    >>> import pymi
    >>> from pymi.datasets.autoregressive import coupled_ar
    >>> s = coupled_ar(4000, coupling=0.5, random_state=0)          # TE = 0.135 nats
    >>> te = pymi.transfer_entropy(s.source, s.target, random_state=0)
    >>> abs(te.value - s.te) < 0.05
    True
    """
    future, past_s, past_t = delay_embedding(
        source, target, lag=lag, history=history, source_history=source_history
    )
    result = conditional_mutual_information(
        future, past_s, past_t, method, k=k, base=base, **options
    )
    params = {**result.params, "lag": lag, "history": history, "source_history": source_history}
    return dataclasses.replace(result, params=params)
