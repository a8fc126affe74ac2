"""The pure functions of the benchmark: one grid point's rows, one compressor's fit.

Nothing here touches the run folder. The driver (:mod:`pymi.bench.runner`) builds
the jobs, hands them to the engine (in-process, or Dask workers) and appends what
comes back; every job and result is plain picklable data, so a job computes the same
rows in any process. The data of a grid point are drawn from a seed derived from
(task, true MI, seed) and shared by all estimators; the estimators' own
``random_state`` comes from the same seed.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..runs import blas_threads
from .tasks import BenchConfig

__all__ = [
    "FitJob",
    "FitResult",
    "PointJob",
    "PointResult",
    "compute_point",
    "fit_compressor",
    "seed_sequence",
]

_MAX_MESSAGE = 500


def one_line(text: str) -> str:
    """``text`` on one line, at most 500 characters (for the ``error``/``warnings`` cells)."""
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def seed_sequence(task: str, true_mi: float, seed: int) -> np.random.SeedSequence:
    """Data seed of one grid point: the same for every estimator, independent across points."""
    return np.random.SeedSequence(
        [int(seed), zlib.crc32(task.encode("utf-8")), int(round(true_mi * 1e6))]
    )


def _estimate_one(
    method: str,
    options: Mapping[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray | None = None,
    *,
    quantity: str = "mi",
) -> tuple[float, ...]:
    """One estimate in nats: ``(value, stderr, ci_low, ci_high)``.

    The single call site of pymi (patchable in tests, which may return just
    ``(value, stderr)``): ``quantity`` ``"mi"`` is ``mutual_information(x, y)`` (called
    with the four positional arguments only), ``"cmi"`` is
    ``conditional_mutual_information(x, y, z)`` and ``"te"`` is
    ``transfer_entropy(x, y)`` with ``x`` the source and ``y`` the target series
    (``lag``, ``history``, ``source_history`` in ``options``). The interval bounds are
    ``nan`` when the estimator reports none.
    """
    if quantity == "mi":
        from .._api import mutual_information

        est = mutual_information(x, y, method, **options)
    elif quantity == "cmi":
        from ..conditional import conditional_mutual_information

        est = conditional_mutual_information(x, y, z, method, **options)
    elif quantity == "te":
        from ..conditional import transfer_entropy

        est = transfer_entropy(x, y, method, **options)
    else:
        msg = (
            f"quantity must be one of 'mi', 'cmi', 'te' (I(X; Y), I(X; Y | Z), transfer "
            f"entropy); got quantity={quantity!r}; pass one of those, or leave it out for 'mi'"
        )
        raise ValueError(msg)
    interval = getattr(est, "interval", None) or est.params.get("interval") or (math.nan, math.nan)
    return float(est.value), float(est.stderr), float(interval[0]), float(interval[1])


# --------------------------------------------------------------------------- compressors


@dataclass(frozen=True)
class FitJob:
    """Train one compressor of one task (the driver stores what comes back)."""

    config: BenchConfig
    task: str
    compressor: str


@dataclass(frozen=True)
class FitResult:
    """A fitted compressor as file content (``blob``, a ``.pt`` or ``.npz``), or the error."""

    blob: bytes | None
    suffix: str
    details: dict[str, Any]
    error: str = ""


def fit_compressor(job: FitJob) -> FitResult:
    """Train the compressor ``job.compressor`` of ``job.task`` on fresh images; never raises.

    BLAS runs on one thread, so that the fit is the same in this process and on a
    single-threaded worker.
    """
    with blas_threads(1):
        return _fit(job)


def _fit(job: FitJob) -> FitResult:
    from .compressed import describe_fit, serialize_compressor, training_images

    task = job.config.tasks[job.task]
    spec = task.compressor_specs[job.compressor]
    try:
        t0 = time.perf_counter()
        train = training_images(task, spec)
        gen_seconds = time.perf_counter() - t0
        comp = spec.build(tuple(train.shape[1:]), int(spec.seed(task.name).generate_state(1)[0]))
        t0 = time.perf_counter()
        comp.fit(train)
        details = describe_fit(comp, train.shape[0], gen_seconds, time.perf_counter() - t0)
        blob, suffix = serialize_compressor(comp, spec, train)
    except Exception as err:  # noqa: BLE001 - recorded in every row that needs these codes
        msg = one_line(
            f"compressor {job.compressor!r} of task {job.task!r} failed: {type(err).__name__}: {err}"
        )
        return FitResult(None, "", {}, msg)
    return FitResult(blob, suffix, details)


_DECODED: dict[str, Any] = {}


def _compressor(job: PointJob, name: str) -> Any:
    """The fitted compressor ``name`` of the job's task, decoded once per process."""
    from .compressed import deserialize_compressor

    blob, suffix = job.compressors[name]
    digest = hashlib.sha256(blob).hexdigest()
    if digest not in _DECODED:
        task = job.config.tasks[job.task]
        spec = task.compressor_specs[name]
        shape = tuple(task.sample(0.0, 2, 0).x.shape[1:])
        seed = int(spec.seed(task.name).generate_state(1)[0])
        if len(_DECODED) >= 8:
            _DECODED.pop(next(iter(_DECODED)))
        _DECODED[digest] = deserialize_compressor(
            blob, suffix, spec, shape, seed, where=f"compressor {name!r} of task {job.task!r}"
        )
    return _DECODED[digest]


# --------------------------------------------------------------------------- grid points


@dataclass(frozen=True)
class PointJob:
    """One grid point: a task at one true MI and seed, for the estimators still to run.

    ``compressors`` maps a compressor name to its file content and suffix;
    ``compressor_errors`` to the message of a compressor that could not be trained.
    """

    config: BenchConfig
    task: str
    true_mi: float
    seed: int
    estimators: tuple[str, ...]
    compressors: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    compressor_errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PointResult:
    """The rows of one grid point and what their data and codes cost."""

    rows: list[dict[str, Any]]
    generator_seconds: float
    encode_seconds: dict[str, float]


def compute_point(job: PointJob) -> PointResult:
    """The result rows of one grid point (:data:`pymi.bench.runner.CSV_FIELDS`), in nats.

    Each row estimates the task's quantity (I(X; Y), I(X; Y | Z) or transfer entropy)
    with the pymi function for it; ``true_mi`` is the truth of that quantity.

    An estimator, data generator or compressor that raises is recorded in the row's
    ``error`` column, not raised. The function is pure: the same job gives the same
    rows (``seconds`` aside) in any process (BLAS runs on one thread, as on a
    single-threaded worker; the estimators' ``n_jobs`` options apply as configured).
    """
    with blas_threads(1):
        return _point(job)


def _point(job: PointJob) -> PointResult:
    config = job.config
    task = config.tasks[job.task]
    n = config.task_n(task)
    ests = {e.name: e for e in config.estimators_for(task)}
    ss = seed_sequence(task.name, job.true_mi, job.seed)
    est_seed = int(ss.generate_state(1)[0])
    t0 = time.perf_counter()
    data: tuple[Any, ...] | None = None
    call: dict[str, Any] = {}
    try:
        sample = task.sample(job.true_mi, n, np.random.default_rng(ss))
        data, call = task.arrays(sample)
        gen_error = ""
    except Exception as err:  # noqa: BLE001 - recorded, not fatal
        gen_error = one_line(f"data generation failed: {type(err).__name__}: {err}")
    gen_seconds = time.perf_counter() - t0
    codes: dict[str, tuple[Any, Any, str]] = {}
    encode: dict[str, float] = {}
    rows = []
    for name in job.estimators:
        est = ests[name]
        arrays, error = data, gen_error
        if est.codes is not None and not gen_error:
            if est.codes not in codes:
                t1 = time.perf_counter()
                codes[est.codes] = _codes(job, est.codes, *data[:2])  # type: ignore[index]
                encode[est.codes] = time.perf_counter() - t1
            cx, cy, error = codes[est.codes]
            arrays = (cx, cy)
        rows.append(
            _row(config, task, est, job.true_mi, job.seed, n, arrays, call, error, est_seed)
        )
    return PointResult(rows, gen_seconds, encode)


def _codes(job: PointJob, name: str, x: Any, y: Any) -> tuple[Any, Any, str]:
    if name in job.compressor_errors:
        return None, None, one_line(f"compression failed: {job.compressor_errors[name]}")
    try:
        comp = _compressor(job, name)
        return comp.transform(x), comp.transform(y), ""
    except Exception as err:  # noqa: BLE001 - recorded in every row that needs these codes
        return None, None, one_line(f"compression failed: {type(err).__name__}: {err}")


def _row(
    config: BenchConfig,
    task: Any,
    est: Any,
    true_mi: float,
    seed: int,
    n: int,
    data: tuple[Any, ...] | None,
    call: Mapping[str, Any],
    error: str,
    est_seed: int,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "task": task.name,
        "estimator": est.name,
        "true_mi": true_mi,
        "seed": seed,
        "n": n,
        "estimate": math.nan,
        "stderr": math.nan,
        "seconds": math.nan,
        "error": error,
        "warnings": "",
        "ci_low": math.nan,
        "ci_high": math.nan,
    }
    if error:
        return row
    options = config.options_for(task, est)
    options.setdefault("random_state", est_seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        try:
            if task.quantity == "mi":
                value, stderr, *interval = _estimate_one(est.method, options, *data)
            else:
                value, stderr, *interval = _estimate_one(
                    est.method, {**options, **call}, *data, quantity=task.quantity
                )
        except Exception as err:  # noqa: BLE001 - an estimator failure is a result
            row["error"] = one_line(f"{type(err).__name__}: {err}")
        else:
            row["estimate"], row["stderr"] = value, stderr
            if interval:
                row["ci_low"], row["ci_high"] = interval
        row["seconds"] = round(time.perf_counter() - t0, 6)
    if caught:
        msgs = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
        row["warnings"] = one_line(" | ".join(msgs))
    return row
