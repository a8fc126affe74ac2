"""Input validation shared by every estimator.

Every check raises a ``TypeError``/``ValueError`` whose message names the
argument, states what was expected and what was received, and says how to fix
it. Nothing here clamps, replaces or drops data silently.
"""

from __future__ import annotations

import contextlib
import numbers
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "user_stacklevel",
    "as_samples",
    "as_labels",
    "check_n_jobs",
    "resolve_n_jobs",
    "label_array",
    "missing_label_marker",
    "check_choice",
    "check_k",
    "check_same_length",
    "close_names",
    "drop_nonfinite_rows",
    "hint_transposed",
    "transposed_hint",
    "duplicate_row_mask",
]


def _to_numpy(x: Any) -> np.ndarray:
    """Convert array-likes, including torch tensors, to numpy without copying when possible.

    torch bfloat16 (no numpy equivalent) is widened to float32; non-native byte
    order (e.g. ``>f8`` read from a file) is converted to native.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):  # torch.Tensor
        t = x.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":
            t = t.float()
        arr = t.numpy()
    else:
        arr = np.asarray(x)
    if arr.dtype.byteorder not in ("=", "|") and arr.dtype.kind in "fiub":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def as_samples(x: Any, name: str = "x") -> np.ndarray:
    """Return ``x`` as a C-contiguous float32/float64 array of shape (n_samples, n_features).

    Arrays of shape (n,) become (n, 1); arrays of shape (n, d1, d2, ...) are
    flattened per sample to (n, d1*d2*...). float16 is widened to float32.

    Raises
    ------
    TypeError
        For integer, boolean, complex or object dtypes.
    ValueError
        For scalars and empty input.
    """
    arr = _to_numpy(x)
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype not in (np.float32, np.float64):
        hint = (
            "if these are class labels pass them as y with discrete_y=True; otherwise convert "
            f"with {name}.astype(np.float64) (and add noise if the values are quantised)"
        )
        if arr.dtype.kind in "iub":
            msg = (
                f"{name} must hold continuous samples as float32 or float64; got dtype "
                f"{arr.dtype} (integer data has zero-distance ties that break kNN "
                f"estimators): {hint}"
            )
        else:
            msg = f"{name} must be a float32 or float64 array; got dtype {arr.dtype}: {hint}"
        raise TypeError(msg)
    if arr.ndim == 0:
        msg = f"{name} must be an array of samples with shape (n_samples, ...); got a scalar"
        raise ValueError(msg)
    if arr.shape[0] == 0:
        msg = f"{name} is empty (shape {arr.shape}); pass at least a few samples (rows)"
        raise ValueError(msg)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim > 2:
        arr = arr.reshape(arr.shape[0], -1)
    if arr.shape[1] == 0:
        msg = f"{name} has no features (shape {arr.shape}); each sample needs at least one value"
        raise ValueError(msg)
    return np.ascontiguousarray(arr)


def label_array(y: Any, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D numpy array of labels (shape (n,) or (n, 1) accepted), not yet encoded."""
    if y is None or np.ndim(y) == 0:
        msg = (
            f"{name} must be an array with one class label per sample when discrete_y=True; "
            f"got {y!r}"
        )
        raise ValueError(msg)
    arr = _to_numpy(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        msg = (
            f"{name} must be a 1-D array of class labels when discrete_y=True; got shape "
            f"{arr.shape} (one-hot labels: pass {name}.argmax(axis=1))"
        )
        raise ValueError(msg)
    if arr.shape[0] == 0:
        msg = f"{name} is empty; pass one label per sample"
        raise ValueError(msg)
    return arr


def missing_label_marker(labels: np.ndarray) -> np.ndarray:
    """float64 stand-in for ``labels``: NaN/inf where a label is missing, 0 elsewhere.

    Missing means a non-finite float label, or None / NaN in an object array (how
    pandas stores missing strings), so that :func:`drop_nonfinite_rows` applies
    ``nan_policy`` to labels like to samples.
    """
    if labels.dtype.kind == "f":
        return np.where(np.isfinite(labels), 0.0, labels).astype(np.float64)
    if labels.dtype == object:
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in labels], dtype=bool)
        return np.where(missing, np.nan, 0.0)
    return np.zeros(labels.shape[0])


def as_labels(y: Any, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Encode discrete labels as integer codes.

    Returns
    -------
    codes : ndarray of int64, shape (n,)
    classes : ndarray, the distinct labels in sorted order
    """
    arr = label_array(y, name)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            msg = (
                f"{name} contains NaN or inf labels; discrete labels must be finite (pass "
                f"nan_policy='omit' to drop those rows)"
            )
            raise ValueError(msg)
        if np.any(arr != np.round(arr)):
            msg = (
                f"{name} holds non-integer float values but discrete_y=True expects class "
                f"labels; pass discrete_y=False for a continuous {name}"
            )
            raise ValueError(msg)
    try:
        classes, codes = np.unique(arr, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in arr.tolist()})
        msg = (
            f"{name} labels must be mutually comparable (all numbers or all strings); got a mix "
            f"of {kinds}; convert them, e.g. {name}.astype(str)"
        )
        raise TypeError(msg) from None
    return codes.astype(np.int64).reshape(-1), classes


def check_same_length(x: np.ndarray, y: Any, x_name: str = "x", y_name: str = "y") -> None:
    """Raise if two sample arrays have different numbers of rows.

    When the shapes fit once one array (or both) is transposed, the message
    says which ``.T`` to pass.
    """
    if y is None or np.ndim(y) == 0:
        msg = f"{y_name} must be an array of samples, one row per row of {x_name}; got {y!r}"
        raise ValueError(msg)
    y_shape = tuple(np.shape(y))
    if x.shape[0] != y_shape[0]:
        msg = (
            f"{x_name} and {y_name} must have the same number of samples; got "
            f"{x_name}.shape={tuple(x.shape)}, {y_name}.shape={y_shape}"
            f"{_mismatch_hint(tuple(x.shape), y_shape, x_name, y_name)}"
        )
        raise ValueError(msg)


def _mismatch_hint(xs: tuple[int, ...], ys: tuple[int, ...], x_name: str, y_name: str) -> str:
    """A ``.T`` suggestion when rows of one shape match the other's columns (2-D arrays only)."""
    x2, y2 = len(xs) == 2, len(ys) == 2
    fixes = []
    if x2 and xs[1] == ys[0]:
        fixes.append(f"{x_name}.T")
    if y2 and ys[1] == xs[0]:
        fixes.append(f"{y_name}.T")
    if not fixes and x2 and y2 and xs[1] == ys[1] and xs[0] < xs[1] and ys[0] < ys[1]:
        fixes.append(f"{x_name}.T and {y_name}.T")
    if not fixes:
        return ""
    return (
        f". pymi expects one sample per row, shape (n_samples, n_features); if the rows are "
        f"features, pass {' or '.join(fixes)}"
    )


def transposed_hint(shapes: dict[str, tuple[int, ...]]) -> str:
    """A ``.T`` suggestion for 2-D inputs with fewer rows (samples) than columns, else ``""``.

    Parameters
    ----------
    shapes : dict
        Argument name -> shape as the user passed it (before flattening).
    """
    wide = [name for name, shape in shapes.items() if len(shape) == 2 and shape[0] < shape[1]]
    if not wide:
        return ""
    shown = ", ".join(f"{name}.shape={tuple(shapes[name])}" for name in wide)
    fix = " and ".join(f"{name}.T" for name in wide)
    return (
        f" ({shown}: fewer samples (rows) than features (columns); pymi expects shape "
        f"(n_samples, n_features), so if the rows are features pass {fix})"
    )


@contextlib.contextmanager
def hint_transposed(**arrays: Any) -> Iterator[None]:
    """Append :func:`transposed_hint` to a ``ValueError`` raised inside, for wide 2-D ``arrays``.

    Only plain ``ValueError`` messages are extended (subclasses keep their type
    and text), and only once.
    """
    try:
        yield
    except ValueError as err:
        if type(err) is not ValueError or ".T" in str(err):
            raise
        hint = transposed_hint({name: tuple(np.shape(a)) for name, a in arrays.items() if a is not None})
        if not hint:
            raise
        msg = f"{err}{hint}"
        raise ValueError(msg) from err


def close_names(name: str, candidates: list[str] | tuple[str, ...], aliases: dict[str, str] | None = None) -> list[str]:
    """Candidates a misspelt or foreign option ``name`` probably means.

    ``aliases`` maps names used by other libraries (e.g. scikit-learn's
    ``n_neighbors``) to the pymi option; the rest comes from
    :func:`difflib.get_close_matches`.
    """
    import difflib

    found = []
    alias = (aliases or {}).get(name) or (aliases or {}).get(name.lower())
    if alias is not None and alias in candidates:
        return [alias]
    for match in difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6):
        if match not in found:
            found.append(match)
    return found


def check_k(k: Any, n: int, *, name: str = "k", where: str = "") -> int:
    """Validate a neighbour count: an integer with 1 <= k < n."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        msg = f"{name} must be a positive integer; got {k!r} of type {type(k).__name__}"
        raise TypeError(msg)
    k = int(k)
    if k < 1:
        msg = f"{name}={k} must be a positive integer (number of neighbours)"
        raise ValueError(msg)
    if k >= n:
        msg = f"{name}={k} must be smaller than n_samples={n}{where}; lower {name} or pass more samples"
        raise ValueError(msg)
    return k


def check_n_jobs(n_jobs: Any, name: str = "n_jobs") -> int:
    """The one thread-count rule: -1, 0 or None mean all cores (returned as -1), else a positive integer.

    Counts above 2**31 - 1 (a C ``int``, what the compiled kernels take) are refused.

    Raises
    ------
    pymi._params.InvalidParameterType
        (a ``TypeError``) for a non-integer, including a bool.
    ValueError
        For a negative count other than -1, or one above 2**31 - 1.
    """
    from ._params import MAX_THREADS, InvalidParameterType

    if n_jobs is None:
        return -1
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        msg = (
            f"{name} must be -1 (all cores) or a positive integer (None and 0 also mean all "
            f"cores); got {n_jobs!r} of type {type(n_jobs).__name__}"
        )
        raise InvalidParameterType(msg)
    if n_jobs in (-1, 0):
        return -1
    if n_jobs < 1:
        msg = (
            f"{name} must be -1 (all cores) or a positive integer (None and 0 also mean all "
            f"cores); got {name}={n_jobs}"
        )
        raise ValueError(msg)
    if n_jobs > MAX_THREADS:
        msg = (
            f"{name}={n_jobs} is more threads than the compiled kernels accept (at most "
            f"2**31 - 1 = {MAX_THREADS}); pass -1 for all cores or the number of threads to use"
        )
        raise ValueError(msg)
    return int(n_jobs)


def resolve_n_jobs(n_jobs: Any, name: str = "n_jobs") -> int:
    """The number of threads ``n_jobs`` stands for (see :func:`check_n_jobs`): all cores for -1/0/None.

    "All cores" counts the CPUs this process may run on (its affinity mask where
    the platform has one).
    """
    n = check_n_jobs(n_jobs, name)
    if n != -1:
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Validate a string option against its allowed values."""
    if value not in choices:
        msg = f"{name} must be one of {list(choices)}; got {value!r}"
        raise ValueError(msg)
    return value


def drop_nonfinite_rows(
    arrays: list[tuple[str, np.ndarray]], nan_policy: str
) -> tuple[list[np.ndarray], int]:
    """Apply ``nan_policy`` to row-aligned arrays.

    Parameters
    ----------
    arrays : list of (name, array)
        Row-aligned arrays; float arrays are checked, others are only subset.
    nan_policy : {"raise", "omit"}
        ``"raise"`` raises on any NaN/inf; ``"omit"`` drops every row in which
        any float array has a NaN/inf, from all arrays together.

    Returns
    -------
    arrays : list of ndarray
    n_dropped : int
    """
    check_choice(nan_policy, "nan_policy", ("raise", "omit"))
    bad = np.zeros(arrays[0][1].shape[0], dtype=bool)
    counts = {}
    for name, arr in arrays:
        if arr.dtype.kind != "f":
            continue
        finite = np.isfinite(arr)
        if not finite.all():
            counts[name] = (int(np.isnan(arr).sum()), int(np.isinf(arr).sum()))
            bad |= ~finite.reshape(arr.shape[0], -1).all(axis=1)
    if not bad.any():
        return [a for _, a in arrays], 0
    if nan_policy == "raise":
        what = "; ".join(f"{n} contains {c[0]} NaN and {c[1]} inf values" for n, c in counts.items())
        msg = (
            f"{what} (in {int(bad.sum())} of {bad.size} rows); pass nan_policy='omit' to drop "
            "those rows (from every variable together, keeping rows aligned)"
        )
        raise ValueError(msg)
    keep = ~bad
    if not keep.any():
        msg = "every row contains NaN or inf values; nothing is left after nan_policy='omit'"
        raise ValueError(msg)
    return [np.ascontiguousarray(a[keep]) for _, a in arrays], int(bad.sum())


def duplicate_row_mask(z: np.ndarray) -> np.ndarray:
    """Boolean mask of rows that have at least one exact copy elsewhere in ``z``.

    O(n d + n log n): rows are hashed by a random projection, sorted, and
    candidates with equal hashes are compared exactly.
    """
    n = z.shape[0]
    if n < 2:
        return np.zeros(n, dtype=bool)
    proj = np.random.default_rng(12345).standard_normal(z.shape[1])
    h = z.astype(np.float64, copy=False) @ proj
    order = np.argsort(h, kind="stable")
    hs = h[order]
    same_hash = hs[1:] == hs[:-1]
    mask = np.zeros(n, dtype=bool)
    if not same_hash.any():
        return mask
    idx = np.nonzero(same_hash)[0]
    a, b = order[idx], order[idx + 1]
    equal = np.all(z[a] == z[b], axis=1)
    mask[a[equal]] = True
    mask[b[equal]] = True
    # Rows with equal hashes that are not adjacent to their copy (hash collisions
    # interleaved with a different row) are rare; check runs of equal hashes fully.
    if (~equal).any():
        for i in idx[~equal]:
            lo = i
            while lo > 0 and hs[lo - 1] == hs[i]:
                lo -= 1
            hi = i + 1
            while hi + 1 < n and hs[hi + 1] == hs[i]:
                hi += 1
            run = order[lo : hi + 1]
            _, inv, cnt = np.unique(z[run], axis=0, return_inverse=True, return_counts=True)
            mask[run[cnt[inv.reshape(-1)] > 1]] = True
    return mask


def user_stacklevel() -> int:
    """``stacklevel`` for ``warnings.warn`` that points at the first frame outside pymi.

    Call it from the function that warns; the count works whatever public entry
    point (``pymi.entropy``, an estimator method, the CLI) led there.
    """
    import os
    import sys

    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)  # the caller: level 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    return level
