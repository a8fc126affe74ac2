"""Mutual information with discrete, continuous and mixed variables.

* Both discrete: the plug-in (maximum-likelihood) estimate from the
  contingency table with the Miller–Madow bias correction,
  I = I_plugin + (m_X + m_Y - m_XY - 1) / (2 n), m the numbers of occupied
  states (Miller 1955; Paninski, Neural Comput. 15, 1191, 2003). When the
  joint table has fewer than 5 samples per occupied state on average, the
  correction is unreliable and an :class:`UndersampledWarning` says so.
* One discrete, one continuous (either way round): the continuous side is
  estimated against the labels with the method's class-conditional estimator
  (for the kNN methods Ross, PLoS ONE 9(2), e87357, 2014); MI is symmetric,
  so a discrete X is handled as labels.
* Mixtures with atoms, or some discrete and some continuous columns: the
  mixed KSG estimator of Gao, Kannan, Oh & Viswanath (NeurIPS 2017),
  :class:`pymi.estimators.mixed_ksg.MixedKSG`, which keeps ties as
  information instead of jittering them away.

All values are in nats unless ``base`` says otherwise.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from ._estimate import Estimate, unit_factor
from ._validation import _to_numpy, hint_transposed, user_stacklevel
from .estimators.mixed_ksg import MixedKSG

__all__ = [
    "CORRECTIONS",
    "UndersampledWarning",
    "discrete_entropy",
    "mutual_information_mixed",
    "plugin_mutual_information",
]

#: Bias corrections of the plug-in estimates.
CORRECTIONS: tuple[str, ...] = ("miller_madow", "none")

#: Fewer samples than this per occupied joint state (on average) trigger the warning.
MIN_SAMPLES_PER_STATE = 5


class UndersampledWarning(UserWarning):
    """Too few samples per occupied state for the plug-in estimate and its bias correction."""


# ------------------------------------------------------------------ labels
def _codes(v: Any, name: str, n: int | None = None) -> tuple[np.ndarray, int]:
    """Integer codes 0..m-1 of the rows of ``v`` (1-D labels or 2-D rows of labels) and m."""
    arr = _to_numpy(v)
    if arr.ndim == 0:
        msg = f"{name} must be an array with one discrete value (or row of values) per sample; got a scalar"
        raise ValueError(msg)
    if arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape[0] == 0:
        msg = f"{name} is empty; pass one value per sample"
        raise ValueError(msg)
    if n is not None and arr.shape[0] != n:
        msg = f"x and y must have the same number of samples; got {n} and {arr.shape[0]} ({name})"
        raise ValueError(msg)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        msg = (
            f"{name} contains {int(np.sum(~np.isfinite(arr)))} NaN or inf values; discrete values must "
            f"be finite: drop those rows or give missing values their own label"
        )
        raise ValueError(msg)
    if arr.dtype == object:
        missing = [u for u in arr.reshape(-1) if u is None or (isinstance(u, float) and u != u)]
        if missing:
            msg = f"{name} contains {len(missing)} missing labels (None or NaN); drop those rows or label them"
            raise ValueError(msg)
    try:
        if arr.ndim == 1:
            _, inverse = np.unique(arr, return_inverse=True)
        else:
            _, inverse = np.unique(arr, axis=0, return_inverse=True)
    except TypeError as exc:
        msg = f"{name} holds values that cannot be compared and sorted ({exc}); use one label type"
        raise TypeError(msg) from None
    inverse = inverse.reshape(-1).astype(np.int64)
    return inverse, int(inverse.max()) + 1


def _check_correction(correction: str) -> str:
    if correction not in CORRECTIONS:
        msg = f"correction must be one of {list(CORRECTIONS)}; got correction={correction!r}"
        raise ValueError(msg)
    return correction


def _warn_undersampled(n: int, states: int, what: str) -> None:
    if states * MIN_SAMPLES_PER_STATE > n:
        warnings.warn(
            f"{what} has {states} occupied states for n_samples={n} (fewer than "
            f"{MIN_SAMPLES_PER_STATE} samples per state): the plug-in estimate is biased and the "
            f"Miller-Madow correction is unreliable. Pass more samples or merge rare states",
            UndersampledWarning,
            stacklevel=user_stacklevel(),
        )


# --------------------------------------------------------------- estimators
def discrete_entropy(x: Any, *, correction: str = "miller_madow", base: str = "nats") -> Estimate:
    """Entropy H(X) of a discrete variable: plug-in with the Miller–Madow correction.

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_samples, n_columns)
        Labels of any sortable type; rows of several columns are one joint state.
    correction : {"miller_madow", "none"}
        ``"miller_madow"`` adds ``(m - 1) / (2 n)`` (m occupied states).
    base : {"nats", "bits", "dits"}

    Returns
    -------
    Estimate
        ``stderr``: spread of the per-sample terms ``-log p(x_i)`` over sqrt(n).

    Examples
    --------
    >>> import numpy as np
    >>> est = discrete_entropy(np.arange(1000) % 4, correction="none")
    >>> bool(abs(est.value - np.log(4)) < 1e-12)
    True
    """
    _check_correction(correction)
    factor = unit_factor(base)
    codes, _ = _codes(x, "x")
    n = codes.size
    counts = np.bincount(codes)
    m = int(np.count_nonzero(counts))
    _warn_undersampled(n, m, "x")
    terms = -np.log(counts[codes] / n)
    shift = (m - 1) / (2.0 * n) if correction == "miller_madow" else 0.0
    stderr = float(np.std(terms, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    params = {"n_states": m, "correction": correction, "plugin": float(terms.mean()), "correction_term": shift}
    return Estimate(
        value=(float(terms.mean()) + shift) * factor, stderr=stderr * factor, unit=base,
        method="plugin", params=params, n=n,
    )


def plugin_mutual_information(
    x: Any, y: Any, *, correction: str = "miller_madow", base: str = "nats"
) -> Estimate:
    """I(X; Y) of two discrete variables: plug-in with the Miller–Madow correction.

    ``I = sum p(x, y) log(p(x, y) / (p(x) p(y))) + (m_X + m_Y - m_XY - 1) / (2 n)``
    with empirical probabilities and m the occupied states (the Miller–Madow
    corrections of the three entropies). Warns (:class:`UndersampledWarning`)
    when the joint table has fewer than 5 samples per occupied state.

    Parameters
    ----------
    x, y : array_like, shape (n_samples,) or (n_samples, n_columns)
        Labels of any sortable type; rows of several columns are one joint state.
    correction : {"miller_madow", "none"}
    base : {"nats", "bits", "dits"}

    Returns
    -------
    Estimate
        ``method="plugin"``; ``stderr`` is the spread of the per-sample terms
        ``log(p(x_i, y_i) / (p(x_i) p(y_i)))`` over sqrt(n) (delta method);
        ``params`` holds the state counts and the uncorrected value.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(4000) % 4
    >>> est = plugin_mutual_information(x, x, correction="none")   # I = H(X) = log 4
    >>> bool(abs(est.value - np.log(4)) < 1e-12)
    True
    """
    _check_correction(correction)
    factor = unit_factor(base)
    cx, mx_all = _codes(x, "x")
    cy, my_all = _codes(y, "y", n=cx.size)
    n = cx.size
    joint = cx * my_all + cy
    nxy = np.bincount(joint)
    nx = np.bincount(cx)
    ny = np.bincount(cy)
    m_xy = int(np.count_nonzero(nxy))
    _warn_undersampled(n, m_xy, "the joint (x, y)")
    terms = np.log(nxy[joint] * float(n) / (nx[cx] * ny[cy].astype(np.float64)))
    plugin = float(terms.mean())
    shift = (mx_all + my_all - m_xy - 1) / (2.0 * n) if correction == "miller_madow" else 0.0
    stderr = float(np.std(terms, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    params = {
        "correction": correction,
        "plugin": plugin,
        "correction_term": shift,
        "n_states_x": mx_all,
        "n_states_y": my_all,
        "n_states_joint": m_xy,
        "stderr_method": "per-sample terms log p(x,y)/(p(x)p(y)): std / sqrt(n) (delta method)",
    }
    return Estimate(
        value=(plugin + shift) * factor, stderr=stderr * factor, unit=base, method="plugin",
        params=params, n=n,
    )


# ------------------------------------------------------------- dispatcher
def _flags(flag: Any, v: Any, name: str) -> str | np.ndarray:
    """``"all"``, ``"none"`` or a boolean column mask for ``discrete_x`` / ``discrete_y``."""
    if isinstance(flag, (bool, np.bool_)):
        return "all" if flag else "none"
    mask = np.asarray(flag)
    if mask.dtype != bool or mask.ndim != 1:
        msg = (
            f"discrete_{name} must be True, False or a boolean mask with one flag per column of "
            f"{name}; got {flag!r}"
        )
        raise TypeError(msg)
    arr = _to_numpy(v)
    cols = 1 if arr.ndim == 1 else int(np.prod(arr.shape[1:]))
    if mask.shape[0] != cols:
        msg = f"discrete_{name} has {mask.shape[0]} flags but {name} has {cols} columns; pass one flag per column"
        raise ValueError(msg)
    if mask.all():
        return "all"
    if not mask.any():
        return "none"
    return mask


def _numeric_side(v: Any, flags: str | np.ndarray, name: str) -> np.ndarray:
    """Float array for the mixed estimator: discrete columns as integer codes, continuous as given."""
    arr = _to_numpy(v)
    if isinstance(flags, str) and flags == "all":
        codes, _ = _codes(arr, name)
        return codes.astype(np.float64)[:, None]
    arr = arr.reshape(arr.shape[0], -1) if arr.ndim != 1 else arr[:, None]
    if isinstance(flags, str):  # "none": every column continuous
        if arr.dtype.kind not in "biuf":
            msg = f"{name} must hold numbers for a continuous variable; got dtype {arr.dtype} (labels: pass discrete_{name}=True)"
            raise TypeError(msg)
        return arr.astype(np.float64)
    out = np.empty(arr.shape, dtype=np.float64)
    for j in range(arr.shape[1]):
        if flags[j]:
            out[:, j] = _codes(arr[:, j], f"{name}[:, {j}]")[0]
        else:
            if arr.dtype.kind not in "biuf":
                msg = f"{name}[:, {j}] is continuous (discrete_{name}[{j}] is False) but holds {arr.dtype} values"
                raise TypeError(msg)
            out[:, j] = arr[:, j]
    return out


def mutual_information_mixed(
    x: Any,
    y: Any,
    method: str | None = None,
    *,
    discrete_x: bool | Any = False,
    discrete_y: bool | Any = False,
    k: int | None = None,
    base: str = "nats",
    correction: str = "miller_madow",
    **options: Any,
) -> Estimate:
    """I(X; Y) for discrete, continuous or mixed X and Y.

    Parameters
    ----------
    x, y : array_like, shape (n_samples, ...)
        Row-aligned samples; a discrete side may hold labels of any sortable type.
    method : str, optional
        Both discrete: ``None``, ``"plugin"`` or pymi's default ``"cksg"`` (all mean the
        plug-in estimate). One side discrete: a method of :func:`pymi.mutual_information`
        (default ``"cksg"``; Ross's estimator for the kNN methods), applied with
        the discrete side as labels. ``"mixed_ksg"``: the estimator of Gao et al.
        (2017) for any flags; it is also the default when some but not all
        columns of a side are discrete.
    discrete_x, discrete_y : bool or array_like of bool
        Whether X (Y) is discrete, or one flag per column.
    k : int, optional
        Neighbour order of kNN methods (default 5).
    base : {"nats", "bits", "dits"}
    correction : {"miller_madow", "none"}
        Bias correction of the plug-in estimate (both sides discrete).
    **options
        Passed to the estimator (``random_state``, ``n_jobs``, ``device``, ...).

    Returns
    -------
    Estimate
        ``params["discrete_x"]`` / ``["discrete_y"]`` record the flags as used.

    Raises
    ------
    ValueError
        A continuous method for two discrete sides, mismatched lengths, bad flags.
    TypeError
        Non-numeric values on a continuous side, unknown options.

    Examples
    --------
    >>> import numpy as np
    >>> from pymi.datasets.discrete import class_gaussian
    >>> s = class_gaussian(3, 4000, separation=2.0, random_state=0)
    >>> est = mutual_information_mixed(s.x, s.y, discrete_x=True, random_state=0)
    >>> bool(abs(est.value - s.mi) < 0.05)
    True
    """
    from ._api import DEFAULT_MI_METHOD, make_estimator

    fx = _flags(discrete_x, x, "x")
    fy = _flags(discrete_y, y, "y")
    partial = not isinstance(fx, str) or not isinstance(fy, str)
    with hint_transposed(x=x, y=y):
        if method == "mixed_ksg" or (partial and method is None):
            opts = dict(options)
            if k is not None:
                opts["k"] = k
            est = MixedKSG(base=base, **opts)
            xa = _numeric_side(x, fx, "x")
            ya = _numeric_side(y, fy, "y")
            if xa.shape[0] != ya.shape[0]:
                msg = f"x and y must have the same number of samples; got {xa.shape[0]} and {ya.shape[0]}"
                raise ValueError(msg)
            result = est.mutual_information(xa, ya)
        elif partial:
            msg = (
                f"some but not all columns are discrete (discrete_x={discrete_x!r}, discrete_y="
                f"{discrete_y!r}); only method='mixed_ksg' (or method=None) handles that; got {method!r}"
            )
            raise ValueError(msg)
        elif fx == "all" and fy == "all":
            if method not in (None, "plugin", DEFAULT_MI_METHOD):
                msg = (
                    f"x and y are both discrete: the plug-in estimate is used, method={method!r} does "
                    f"not apply; pass method='plugin' (or 'mixed_ksg' for Gao et al.'s estimator)"
                )
                raise ValueError(msg)
            if options or k is not None:
                extra = sorted(options) + (["k"] if k is not None else [])
                msg = f"the plug-in estimate takes no {', '.join(extra)}; drop them (only correction and base apply)"
                raise TypeError(msg)
            result = plugin_mutual_information(x, y, correction=correction, base=base)
        else:
            if method == "plugin":
                msg = "method='plugin' needs both x and y discrete (discrete_x=True, discrete_y=True)"
                raise ValueError(msg)
            est = make_estimator(method or DEFAULT_MI_METHOD, k=k, base=base, **options)
            if fx == "all" and fy == "none":
                result = est.mutual_information(y, x, discrete_y=True)
            else:
                result = est.mutual_information(x, y, discrete_y=fy == "all")
    params = {
        **result.params,
        "discrete_x": _flag_record(fx),
        "discrete_y": _flag_record(fy),
    }
    return dataclasses.replace(result, params=params)


def _flag_record(flag: str | np.ndarray) -> bool | list[bool]:
    if isinstance(flag, str):
        return flag == "all"
    return [bool(f) for f in flag]
