"""The benchmark driver: the only writer of a run folder, resumable, with provenance.

A run folder holds

``results.csv``
    One tidy row per estimate (columns :data:`CSV_FIELDS`), appended and
    ``fsync``-ed as soon as it arrives (an append-only :class:`pymi.runs.Table`).
``config.json``
    The resolved :class:`~pymi.bench.tasks.BenchConfig` (explicit grid and seeds).
``metadata.json``
    Versions, platform, CPU count, kNN implementation, seeds, start/end times of every
    session, timings, status.
``compressors/``
    Fitted compressors of image tasks (:mod:`pymi.bench.compressed`).
``summary.md``, ``summary.csv``, ``<task>.png``
    Written by :mod:`pymi.bench.report` at the end.

The driver cuts the grid into jobs (one per task, true MI and seed, for the
estimators not yet in ``results.csv``), computes them with
:func:`pymi.bench.compute.compute_point` in this process or on Dask workers
(:func:`pymi.engine.map_tasks`), and appends the rows as they arrive. Rerunning into
the same folder skips every (task, estimator, true_mi, seed) already there; a torn
last line (an interrupted write) is cut off and recomputed.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..runs import (
    ConfigMismatchError,
    RunFileError,
    RunFolderError,
    Table,
    atomic_write_json,
    ensure_config,
    ensure_folder,
    read_json,
    run_lock,
)
from .compute import (
    FitJob,
    FitResult,
    PointJob,
    PointResult,
    compute_point,
    fit_compressor,
    seed_sequence,
)
from .tasks import BenchConfig, ConfigError, load_config, preset

__all__ = [
    "CSV_FIELDS",
    "ConfigMismatchError",
    "ResultsFileError",
    "read_results",
    "result_key",
    "run",
]

#: Columns of ``results.csv`` (true_mi, estimate, stderr, ci_low, ci_high in nats; seconds of
#: the estimator call). ``ci_low``/``ci_high`` bound the estimator's interval
#: (:attr:`pymi.Estimate.interval`), empty when it reports none.
CSV_FIELDS: tuple[str, ...] = (
    "task",
    "estimator",
    "true_mi",
    "seed",
    "n",
    "estimate",
    "stderr",
    "seconds",
    "error",
    "warnings",
    "ci_low",
    "ci_high",
)
_TYPES: dict[str, type] = {
    "task": str,
    "estimator": str,
    "true_mi": float,
    "seed": int,
    "n": int,
    "estimate": float,
    "stderr": float,
    "seconds": float,
    "error": str,
    "warnings": str,
    "ci_low": float,
    "ci_high": float,
}
#: The columns of run folders written before intervals were recorded; still read and
#: appended to in that form.
LEGACY_CSV_FIELDS: tuple[str, ...] = CSV_FIELDS[:-2]
RESULTS = "results.csv"
CONFIG = "config.json"
METADATA = "metadata.json"

#: ``results.csv`` damaged anywhere but in its last line (a :class:`pymi.runs.RunFileError`).
ResultsFileError = RunFileError

# kept for callers of the earlier module layout
_seed_sequence = seed_sequence


def result_key(task: str, estimator: str, true_mi: float, seed: int) -> tuple[str, str, float, int]:
    """The identity of one estimate: ``(task, estimator, true_mi rounded to 1e-9 nats, seed)``."""
    return (str(task), str(estimator), round(float(true_mi), 9) + 0.0, int(seed))


def results_table(path: str | os.PathLike[str]) -> Table:
    """The append-only ``results.csv`` of a run folder (or that file itself)."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    return Table(
        path,
        _TYPES,
        legacy_headers=(LEGACY_CSV_FIELDS,),
        what="pymi bench results",
        fix="delete the damaged line (it is recomputed on resume) or pass a new out_dir (--out)",
    )


def read_results(out_dir: str | os.PathLike[str], *, repair: bool = False) -> list[dict[str, Any]]:
    """Read ``results.csv`` of a run folder into a list of typed rows.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run folder (or the CSV file itself).
    repair : bool, default False
        Cut a torn last line (an interrupted write) from the file; otherwise it is
        only skipped.

    Returns
    -------
    list of dict
        One dict per row with :data:`CSV_FIELDS` keys; ``true_mi``, ``estimate``,
        ``stderr``, ``seconds``, ``ci_low``, ``ci_high`` as float (``nan`` where empty),
        ``seed`` and ``n`` as int. When a key occurs more than once the last row wins.

    Raises
    ------
    ResultsFileError
        For a wrong header or a malformed row before the last line.
    """
    table = results_table(out_dir)
    if repair and table.path.exists():
        table.open()
    rows: dict[tuple, dict[str, Any]] = {}
    for row in table.read():
        key = result_key(row["task"], row["estimator"], row["true_mi"], row["seed"])
        rows.pop(key, None)
        rows[key] = row
    return list(rows.values())


class _ResultsWriter:
    """Appends rows to ``results.csv`` (one :class:`pymi.runs.Table`); kept for older callers."""

    def __init__(self, path: Path) -> None:
        self._table = results_table(path).open()

    def append(self, row: Mapping[str, Any]) -> None:
        self._table.append([row])

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- provenance


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def _version(module: str) -> str | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return str(getattr(mod, "__version__", "unknown"))


def _knn_implementation() -> str:
    """Which exact-kNN implementation pymi's neighbour searches use."""
    try:
        from .. import _core, _neighbors
    except ImportError as err:  # pragma: no cover
        return f"unavailable ({err})"
    if "cKDTree" in vars(_neighbors):
        return "scipy.spatial.cKDTree via a temporary shim (pymi/_neighbors.py; exact kNN, same numbers as the compiled kernels)"
    kernels = sorted(n for n in dir(_core) if not n.startswith("_"))
    return f"compiled pymi._core kernels ({', '.join(kernels)})"


def _git_revision() -> str | None:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return rev or None


def environment() -> dict[str, Any]:
    """Versions, platform and hardware facts recorded with every run session."""
    import pymi

    return {
        "pymi": pymi.__version__,
        "pymi_git": _git_revision(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "matplotlib": _version("matplotlib"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "knn": _knn_implementation(),
    }


def _progress(total: int, initial: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        print("pymi bench: install tqdm for progress bars (pip install tqdm)", file=sys.stderr)
        return None
    return tqdm(
        total=total, initial=initial, desc=desc, unit="est", dynamic_ncols=True, file=sys.stderr
    )


def _resolve(
    config_or_path: BenchConfig | str | os.PathLike[str] | Mapping[str, Any],
) -> BenchConfig:
    if isinstance(config_or_path, BenchConfig):
        return config_or_path
    if isinstance(config_or_path, Mapping):
        return BenchConfig.from_dict(config_or_path)
    if (
        isinstance(config_or_path, str)
        and not Path(config_or_path).suffix
        and not Path(config_or_path).exists()
    ):
        return preset(config_or_path)
    if isinstance(config_or_path, (str, os.PathLike)):
        return load_config(config_or_path)
    msg = f"config_or_path must be a BenchConfig, a dict, a .json/.toml path or a preset name; got {type(config_or_path).__name__}"
    raise TypeError(msg)


def _check_workers(workers: Any, scheduler: Any) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        msg = f"workers must be an int >= 1 (1: compute in this process); got workers={workers!r}"
        raise ConfigError(msg)
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        msg = f"scheduler must be the address of a Dask scheduler such as 'tcp://10.0.0.5:8786'; got scheduler={scheduler!r}"
        raise ConfigError(msg)


def _map(
    fn: Callable[[Any], Any],
    jobs: list[Any],
    on_result: Callable[[Any, Any], None],
    *,
    workers: int,
    scheduler: str | None,
    description: str,
) -> None:
    """``on_result(job, fn(job))`` for every job: in this process, or on Dask workers."""
    if not jobs:
        return
    if workers == 1 and scheduler is None:
        for job in jobs:
            on_result(job, fn(job))
        return
    try:
        from ..engine import map_tasks
    except ImportError as err:
        msg = (
            f"--workers {workers}"
            + (f" --scheduler {scheduler}" if scheduler else "")
            + f" needs the distributed engine ({err}); pip install 'pymi[distributed]', or pass "
            "--workers 1 to compute in this process"
        )
        raise ConfigError(msg) from None
    map_tasks(
        fn, jobs, workers=workers, scheduler=scheduler, on_result=on_result, description=description
    )


def _compressor_jobs(
    config: BenchConfig, out: Path, done: set[tuple]
) -> tuple[
    dict[tuple[str, str], tuple[bytes, str]], dict[tuple[str, str], dict[str, Any]], list[FitJob]
]:
    """Cached compressors (content and record) and the fits still needed, for work not yet done."""
    from .compressed import cache_stem, load_compressor, read_cache

    cached: dict[tuple[str, str], tuple[bytes, str]] = {}
    records: dict[tuple[str, str], dict[str, Any]] = {}
    jobs = []
    for task in config.tasks.values():
        if not task.compressors:
            continue
        needed = {
            e.codes
            for e, mi in config.planned(task)
            if e.codes is not None
            and any(result_key(task.name, e.name, mi, s) not in done for s in config.seeds)
        }
        for name in sorted(needed):
            spec = task.compressor_specs[name]
            stem = cache_stem(out, task.name, name)
            hit = read_cache(stem, spec)
            if hit is not None:  # refuse a damaged, foreign or unsafe cache before any work
                shape = tuple(task.sample(0.0, 2, 0).x.shape[1:])
                load_compressor(spec, stem, shape, int(spec.seed(task.name).generate_state(1)[0]))
            if hit is None:
                jobs.append(FitJob(config, task.name, name))
            else:
                cached[(task.name, name)] = hit[:2]
                records[(task.name, name)] = hit[2]
    return cached, records, jobs


def _point_jobs(
    config: BenchConfig,
    done: set[tuple],
    blobs: dict[tuple[str, str], tuple[bytes, str]],
    errors: dict[tuple[str, str], str],
) -> list[PointJob]:
    jobs = []
    for task in config.tasks.values():
        ests = config.estimators_for(task)
        for true_mi in config.mi_grid:
            for seed in config.seeds:
                todo = tuple(
                    e.name
                    for e in ests
                    if e.runs_at(true_mi)
                    and result_key(task.name, e.name, true_mi, seed) not in done
                )
                if not todo:
                    continue
                codes = {e.codes for e in ests if e.name in todo and e.codes is not None}
                jobs.append(
                    PointJob(
                        config,
                        task.name,
                        float(true_mi),
                        int(seed),
                        todo,
                        {c: blobs[(task.name, c)] for c in codes if (task.name, c) in blobs},
                        {c: errors[(task.name, c)] for c in codes if (task.name, c) in errors},
                    )
                )
    return jobs


def run(
    config_or_path: BenchConfig | str | os.PathLike[str] | Mapping[str, Any],
    *,
    out_dir: str | os.PathLike[str],
    resume: bool = True,
    progress: bool = True,
    report: bool = True,
    workers: int = 1,
    scheduler: str | None = None,
) -> Path:
    """Run a benchmark (tasks x estimators x true MI x seeds) into a run folder.

    Every estimate is appended to ``out_dir/results.csv`` (and fsync-ed) as soon as it
    arrives; an estimator that raises at a grid point is recorded (``error``
    column), not fatal. The data for one task, true MI and seed are drawn once
    (seeded from those three) and shared by all estimators, so the rows do not depend
    on where they are computed.

    Parameters
    ----------
    config_or_path : BenchConfig, dict, str or path
        The benchmark: a config object, its dict form, a ``.json``/``.toml`` file, or a
        preset name (``"quick"``, ``"paper-gaussian"``).
    out_dir : str or path
        Run folder (created if needed).
    resume : bool, default True
        Continue a run already in ``out_dir``: rows present (keyed by task, estimator,
        true_mi, seed) are skipped. ``False`` refuses a folder that already holds results.
    progress : bool, default True
        Show a tqdm progress bar on stderr (with Dask workers: the engine's bar, which
        counts grid points).
    report : bool, default True
        Write the summary tables and figures (:func:`pymi.bench.report.write_report`) at the end.
    workers : int, default 1
        1 computes in this process; more start an embedded Dask ``LocalCluster`` with
        that many single-threaded worker processes (:func:`pymi.engine.map_tasks`).
    scheduler : str, optional
        Address of a running Dask scheduler (``dask scheduler`` / ``dask worker``) to
        compute on instead.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    ConfigError
        For an invalid config (unknown estimator or generator, bad grid, bad option) or
        a bad ``workers`` / ``scheduler``.
    pymi.runs.ConfigMismatchError
        If ``out_dir`` holds a run with a different config (start a new ``out_dir``).
    pymi.runs.RunFolderError
        If ``out_dir`` is not a folder, is another kind of folder, is in use by another
        process, already holds results and ``resume=False``, or holds a damaged file
        (:class:`pymi.runs.RunFileError`, naming the file and line).
    FileNotFoundError
        For a missing config file.

    Examples
    --------
    >>> from pymi import bench
    >>> path = bench.run("quick", out_dir="runs/quick")  # doctest: +SKIP
    >>> path = bench.run("images-quick", out_dir="runs/iq", workers=2)  # doctest: +SKIP
    """
    config = _resolve(config_or_path)
    config.validate()
    _check_workers(workers, scheduler)
    out = ensure_folder(out_dir, option="--out")
    csv_path, cfg_path, meta_path = out / RESULTS, out / CONFIG, out / METADATA

    with run_lock(out, "--out"):
        # read everything the folder holds before writing anything
        meta = read_json(meta_path, what="the run's history", fix="repair it or move it away")
        if meta is not None and not isinstance(meta, dict):
            msg = f"{str(meta_path)!r} (the run's history) holds a JSON {type(meta).__name__}, not a table; repair it or move it away"
            raise RunFileError(msg)
        has_results = csv_path.is_file() and csv_path.stat().st_size > 0
        if not cfg_path.exists() and has_results:
            msg = f"{str(out)!r} holds a {RESULTS} without {CONFIG}; it is not a pymi bench run folder, pass a new out_dir (--out)"
            raise RunFolderError(msg)
        table = results_table(csv_path)
        if cfg_path.exists():
            table.read()  # a damaged table is refused before the config is rewritten
        resumed = ensure_config(cfg_path, config.to_dict(), option="--out")
        if resumed and not resume and has_results:
            msg = f"{str(out)!r} already holds results of this config and resume=False; pass resume=True (drop --no-resume) to continue it, or a new out_dir (--out)"
            raise RunFolderError(msg)
        table.open()
        done = {
            result_key(r["task"], r["estimator"], r["true_mi"], r["seed"])
            for r in read_results(out)
        }
        meta = meta or {}
        session: dict[str, Any] = {
            "start": _now(),
            "end": None,
            "computed": 0,
            "wall_seconds": None,
            "workers": workers,
            "scheduler": scheduler,
        }
        env = environment()
        session["environment"] = env
        sessions = [*meta.get("sessions", []), session]
        meta = {
            "config_name": config.name,
            "status": "running",
            "started": meta.get("started", session["start"]),
            "finished": None,
            "seeds": list(config.seeds),
            "n_estimates_planned": config.n_estimates,
            "environment": env,
            "sessions": sessions,
            **({"compressors": meta["compressors"]} if "compressors" in meta else {}),
        }
        atomic_write_json(meta_path, meta)

        t_wall = time.perf_counter()
        gen_seconds = 0.0
        status = "interrupted"
        comp_info: dict[str, dict[str, dict[str, Any]]] = {}
        bar = None
        try:
            from .compressed import cache_stem, write_cache

            blobs, records, fit_jobs = _compressor_jobs(config, out, done)
            for (t, c), record in records.items():
                comp_info.setdefault(t, {})[c] = {
                    **record,
                    "source": "cache",
                    "encode_seconds": 0.0,
                }
            errors: dict[tuple[str, str], str] = {}

            def fitted(job: FitJob, res: FitResult) -> None:
                key = (job.task, job.compressor)
                if res.error or res.blob is None:
                    errors[key] = res.error
                    comp_info.setdefault(job.task, {})[job.compressor] = {
                        "source": "failed",
                        "error": res.error,
                        "encode_seconds": 0.0,
                    }
                    return
                spec = config.tasks[job.task].compressor_specs[job.compressor]
                write_cache(
                    cache_stem(out, job.task, job.compressor),
                    spec,
                    res.blob,
                    res.suffix,
                    res.details,
                )
                blobs[key] = (res.blob, res.suffix)
                comp_info.setdefault(job.task, {})[job.compressor] = {
                    "spec": spec.to_dict(),
                    **res.details,
                    "source": "fitted",
                    "encode_seconds": 0.0,
                }

            # a cluster start costs seconds: fewer fits than workers are done here (the
            # longest fit bounds the time either way), more go to the workers
            on_cluster = scheduler is not None or len(fit_jobs) > workers
            _map(
                fit_compressor,
                fit_jobs,
                fitted,
                workers=workers if on_cluster else 1,
                scheduler=scheduler,
                description="compressors",
            )
            jobs = _point_jobs(config, done, blobs, errors)
            if workers == 1 and scheduler is None:
                bar = _progress(
                    config.n_estimates, len(done & _planned_keys(config)), progress, config.name
                )

            def arrived(job: PointJob, res: PointResult) -> None:
                nonlocal gen_seconds
                table.append(res.rows)
                for row in res.rows:
                    done.add(result_key(row["task"], row["estimator"], row["true_mi"], row["seed"]))
                session["computed"] += len(res.rows)
                gen_seconds += res.generator_seconds
                for c, secs in res.encode_seconds.items():
                    info = comp_info.setdefault(job.task, {}).setdefault(c, {"encode_seconds": 0.0})
                    info["encode_seconds"] = round(info.get("encode_seconds", 0.0) + secs, 3)
                if bar is not None:
                    bar.set_postfix_str(
                        f"{job.task} I={job.true_mi:g} seed={job.seed}", refresh=False
                    )
                    bar.update(len(res.rows))

            _map(
                compute_point,
                jobs,
                arrived,
                workers=workers,
                scheduler=scheduler,
                description=f"{config.name} grid points",
            )
            status = "complete"
        finally:
            if bar is not None:
                bar.close()
            rows = read_results(out)
            session["end"] = _now()
            session["wall_seconds"] = round(time.perf_counter() - t_wall, 3)
            session["generator_seconds"] = round(gen_seconds, 3)
            if comp_info:
                session["compressors"] = comp_info
                merged = dict(meta.get("compressors", {}))
                for t, infos in comp_info.items():
                    for cname, info in infos.items():
                        prev = merged.setdefault(t, {}).get(cname, {})
                        if info.get("source") == "cache" and prev:
                            info = {
                                **prev,
                                "encode_seconds": round(
                                    prev.get("encode_seconds", 0.0) + info["encode_seconds"], 3
                                ),
                            }
                        merged[t][cname] = info
                meta["compressors"] = merged
            meta.update(_summary_timings(rows, sessions))
            meta["status"] = status
            meta["n_estimates_done"] = len(
                {result_key(r["task"], r["estimator"], r["true_mi"], r["seed"]) for r in rows}
                & _planned_keys(config)
            )
            meta["n_failed"] = sum(1 for r in rows if r["error"])
            if status == "complete":
                meta["finished"] = session["end"]
            atomic_write_json(meta_path, meta)

    if report:
        from .report import write_report

        try:
            write_report(out)
            if any(t.compressors for t in config.tasks.values()):
                from .compressed import write_image_report

                write_image_report(out)
        except ImportError as err:
            warnings.warn(
                f"pymi bench: figures skipped ({err}); pip install matplotlib",
                RuntimeWarning,
                stacklevel=2,
            )
    return out


def _planned_keys(config: BenchConfig) -> set[tuple]:
    return {
        result_key(t.name, e.name, mi, s)
        for t in config.tasks.values()
        for e, mi in config.planned(t)
        for s in config.seeds
    }


def _summary_timings(rows: list[dict[str, Any]], sessions: list[dict[str, Any]]) -> dict[str, Any]:
    per_est: dict[str, float] = {}
    per_task: dict[str, float] = {}
    for r in rows:
        if math.isfinite(r["seconds"]):
            per_est[r["estimator"]] = per_est.get(r["estimator"], 0.0) + r["seconds"]
            per_task[r["task"]] = per_task.get(r["task"], 0.0) + r["seconds"]
    return {
        "timings": {
            "wall_seconds_total": round(sum(s.get("wall_seconds") or 0.0 for s in sessions), 3),
            "generator_seconds_total": round(
                sum(s.get("generator_seconds") or 0.0 for s in sessions), 3
            ),
            "estimator_seconds_total": round(sum(per_est.values()), 3),
            "estimator_seconds_by_estimator": {k: round(v, 3) for k, v in per_est.items()},
            "estimator_seconds_by_task": {k: round(v, 3) for k, v in per_task.items()},
        }
    }
