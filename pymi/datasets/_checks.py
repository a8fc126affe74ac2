"""Argument validation shared by the dataset generators (messages: argument, expectation, value, fix)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["check_dim", "check_mi", "check_n", "check_split", "check_float_dtype", "check_choice"]


def check_mi(
    mi: object,
    name: str = "mi",
    *,
    what: str = "mutual information",
    example: float = 1.0,
    zero: str = "independent x and y",
) -> float:
    """Return ``mi`` as a float after checking it is a finite, non-negative number of nats.

    ``what`` names the quantity in the messages (e.g. ``"transfer entropy"``),
    ``example`` is the value they suggest and ``zero`` says what ``name=0`` means.
    """
    if isinstance(mi, (bool, np.bool_)) or not isinstance(mi, numbers.Real):
        msg = (
            f"{name} must be a non-negative real number ({what} in nats); "
            f"got {name}={mi!r} of type {type(mi).__name__}; pass e.g. {name}={example!r}"
        )
        raise ValueError(msg)
    value = float(mi)
    if not math.isfinite(value) or value < 0:
        msg = (
            f"{name} must be a finite, non-negative {what} in nats; got {name}={value!r}; "
            f"pass a value in [0, inf), e.g. {name}={example!r} (use {name}=0 for {zero})"
        )
        raise ValueError(msg)
    return value


def _check_positive_int(value: object, name: str, what: str, example: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        msg = f"{name} must be a positive integer ({what}); got {name}={value!r} of type {type(value).__name__}; pass e.g. {name}={example}"
        raise ValueError(msg)
    if value < 1:
        msg = f"{name} must be a positive integer ({what}); got {name}={int(value)}; pass e.g. {name}={example}"
        raise ValueError(msg)
    return int(value)


def check_n(n: object) -> int:
    """Return ``n`` as an int after checking it is a positive integer number of samples."""
    return _check_positive_int(n, "n", "number of samples", 1000)


def check_dim(dim: object, name: str) -> int:
    """Return a dimension as an int after checking it is >= 1."""
    return _check_positive_int(dim, name, "number of coordinates", 2)


def check_split(split: object, m: int) -> np.ndarray:
    """Return the fractions (summing to 1) in which MI is split over ``m`` coordinate pairs."""
    if isinstance(split, str):
        if split != "even":
            msg = f"split must be 'even' or a sequence of {m} non-negative weights; got split={split!r}; pass split='even'"
            raise ValueError(msg)
        return np.full(m, 1.0 / m)
    if not isinstance(split, (Sequence, np.ndarray)):
        msg = (
            f"split must be 'even' or a sequence of {m} non-negative weights; got split={split!r} "
            f"of type {type(split).__name__}; pass split='even' or a list of {m} numbers"
        )
        raise ValueError(msg)
    try:
        w = np.asarray(split, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"split must be 'even' or a sequence of {m} non-negative weights; got split={split!r}, which is not numeric; pass a list of {m} numbers"
        raise ValueError(msg) from None
    if w.ndim != 1 or w.shape[0] != m:
        msg = (
            f"split must hold one weight per coordinate pair, i.e. {m} weights (m = min(dim_x, dim_y) "
            f"or the number of latent parameters); got shape {w.shape}; pass {m} weights or split='even'"
        )
        raise ValueError(msg)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        msg = f"split weights must be finite and non-negative; got split={w.tolist()}; pass weights >= 0 such as split={[1.0] * m}"
        raise ValueError(msg)
    total = float(w.sum())
    if total <= 0:
        msg = f"split weights must have a positive sum; got split={w.tolist()}; give at least one pair a positive weight, or pass mi=0"
        raise ValueError(msg)
    return w / total


def check_float_dtype(dtype: object) -> np.dtype:
    """Return ``dtype`` as a numpy floating dtype (float32 or float64)."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        msg = f"dtype must be numpy.float32 or numpy.float64; got dtype={dtype!r}; pass dtype=np.float64"
        raise ValueError(msg)
    return dt


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """Check that ``value`` is one of the allowed strings."""
    if not isinstance(value, str) or value not in choices:
        opts = ", ".join(repr(c) for c in choices)
        msg = f"{name} must be one of {opts}; got {name}={value!r}; pass e.g. {name}={choices[0]!r}"
        raise ValueError(msg)
    return value
