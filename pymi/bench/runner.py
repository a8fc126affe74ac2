"""The benchmark runner: estimates written as they are computed, resumable, with provenance.

A run folder holds

``results.csv``
    One tidy row per estimate (columns :data:`CSV_FIELDS`), appended and
    ``fsync``-ed as soon as it is computed.
``config.json``
    The resolved :class:`~pymi.bench.tasks.BenchConfig` (explicit grid and seeds).
``metadata.json``
    Versions, platform, CPU count, kNN implementation, seeds, start/end times of every
    session, timings, status.
``summary.md``, ``summary.csv``, ``<task>.png``
    Written by :mod:`pymi.bench.report` at the end.

Rerunning into the same folder skips every (task, estimator, true_mi, seed) already in
``results.csv``; a torn last line (an interrupted write) is dropped and recomputed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import io
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._runlock import run_lock
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
#: The columns of run folders written before intervals were recorded; still read and
#: appended to in that form.
LEGACY_CSV_FIELDS: tuple[str, ...] = CSV_FIELDS[:-2]
RESULTS = "results.csv"
CONFIG = "config.json"
METADATA = "metadata.json"
_MAX_MESSAGE = 500


class ConfigMismatchError(ConfigError):
    """The run folder already holds a run of a different configuration."""


class ResultsFileError(RuntimeError):
    """``results.csv`` is damaged somewhere other than its last line."""


# --------------------------------------------------------------------------- CSV


def result_key(task: str, estimator: str, true_mi: float, seed: int) -> tuple[str, str, float, int]:
    """The identity of one estimate: ``(task, estimator, true_mi rounded to 1e-9 nats, seed)``."""
    return (str(task), str(estimator), round(float(true_mi), 9) + 0.0, int(seed))


def _float(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


def read_results(out_dir: str | Path, *, repair: bool = False) -> list[dict[str, Any]]:
    """Read ``results.csv`` of a run folder into a list of typed rows.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run folder (or the CSV file itself).
    repair : bool, default False
        Truncate a torn last line (an interrupted write) from the file; otherwise it is
        only skipped.

    Returns
    -------
    list of dict
        One dict per row with :data:`CSV_FIELDS` keys; ``true_mi``, ``estimate``,
        ``stderr``, ``seconds`` as float (``nan`` where empty), ``seed`` and ``n`` as int.
        When a key occurs more than once the last row wins.

    Raises
    ------
    ResultsFileError
        For a wrong header or a malformed row before the last line.
    """
    path = Path(out_dir)
    if path.is_dir():
        path = path / RESULTS
    if not path.exists():
        return []
    data = path.read_bytes()
    cut = len(data)
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1  # drop the torn tail (0 if even the header is torn)
        if repair:
            with open(path, "r+b") as fh:
                fh.truncate(cut)
                fh.flush()
                os.fsync(fh.fileno())
    text = data[:cut].decode("utf-8")
    if not text:
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(next(reader))
    if header not in (CSV_FIELDS, LEGACY_CSV_FIELDS):
        msg = f"{path}: header must be {','.join(CSV_FIELDS)}; got {','.join(header)}; this is not a pymi bench results file, choose another out_dir"
        raise ResultsFileError(msg)
    rows: dict[tuple, dict[str, Any]] = {}
    for lineno, fields in enumerate(reader, start=2):
        try:
            if len(fields) != len(header):
                problem = f"{len(fields)} fields instead of {len(header)}"
                raise ValueError(problem)
            row: dict[str, Any] = dict.fromkeys(CSV_FIELDS, "")
            row.update(zip(header, fields, strict=True))
            row["true_mi"] = float(row["true_mi"])
            row["seed"] = int(row["seed"])
            row["n"] = int(row["n"])
            for col in ("estimate", "stderr", "seconds", "ci_low", "ci_high"):
                row[col] = _float(row[col])
        except ValueError as err:
            msg = (
                f"{path}, line {lineno}: malformed row ({err}): {fields!r}. Only the last line "
                f"may be incomplete; delete this line (it is recomputed on resume) or use a new out_dir"
            )
            raise ResultsFileError(msg) from None
        key = result_key(row["task"], row["estimator"], row["true_mi"], row["seed"])
        rows.pop(key, None)
        rows[key] = row
    return list(rows.values())


class _ResultsWriter:
    """Appends rows to ``results.csv``, flushing and fsync-ing after each one."""

    def __init__(self, path: Path) -> None:
        new = not path.exists() or path.stat().st_size == 0
        self._fields = CSV_FIELDS
        if not new:
            with open(path, encoding="utf-8", newline="") as fh:
                if tuple(next(csv.reader(fh), ())) == LEGACY_CSV_FIELDS:
                    self._fields = LEGACY_CSV_FIELDS  # keep an older run folder's columns
        self._fh = open(path, "a", encoding="utf-8", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._fh, lineterminator="\n")
        if new:
            self._write(CSV_FIELDS)

    def _write(self, fields: Any) -> None:
        self._csv.writerow(fields)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def append(self, row: Mapping[str, Any]) -> None:
        self._write([_fmt(row.get(c)) for c in self._fields])

    def close(self) -> None:
        self._fh.close()


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


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


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=False)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --------------------------------------------------------------------------- lock


# --------------------------------------------------------------------------- estimation


def _estimate_one(
    method: str, options: Mapping[str, Any], x: np.ndarray, y: np.ndarray
) -> tuple[float, ...]:
    """One MI estimate in nats: ``(value, stderr, ci_low, ci_high)``.

    The single call site of pymi (patchable in tests, which may return just
    ``(value, stderr)``). The interval bounds are ``nan`` when the estimator reports none.
    """
    from .._api import mutual_information

    est = mutual_information(x, y, method, **options)
    interval = getattr(est, "interval", None) or est.params.get("interval") or (math.nan, math.nan)
    return float(est.value), float(est.stderr), float(interval[0]), float(interval[1])


def _seed_sequence(task: str, true_mi: float, seed: int) -> np.random.SeedSequence:
    """Data seed of one grid point: the same for every estimator, independent across points."""
    return np.random.SeedSequence(
        [int(seed), zlib.crc32(task.encode("utf-8")), int(round(true_mi * 1e6))]
    )


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


def _diff(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append(f"{sub} added")
            elif key not in new:
                out.append(f"{sub} removed")
            else:
                out.extend(_diff(old[key], new[key], sub))
        return out
    if old != new:
        show = lambda v: json.dumps(v) if len(json.dumps(v)) < 60 else json.dumps(v)[:57] + "..."  # noqa: E731
        return [f"{path}: {show(old)} -> {show(new)}"]
    return []


def run(
    config_or_path: BenchConfig | str | os.PathLike[str] | Mapping[str, Any],
    *,
    out_dir: str | os.PathLike[str],
    resume: bool = True,
    progress: bool = True,
    report: bool = True,
) -> Path:
    """Run a benchmark (tasks x estimators x true MI x seeds) into a run folder.

    Every estimate is appended to ``out_dir/results.csv`` (and fsync-ed) as soon as it
    is computed; an estimator that raises at a grid point is recorded (``error``
    column), not fatal. The data for one task, true MI and seed are drawn once
    (seeded from those three) and shared by all estimators.

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
        Show a tqdm progress bar on stderr.
    report : bool, default True
        Write the summary tables and figures (:func:`pymi.bench.report.write_report`) at the end.

    Returns
    -------
    pathlib.Path
        The run folder.

    Raises
    ------
    ConfigError
        For an invalid config (unknown estimator or generator, bad grid, bad option).
    ConfigMismatchError
        If ``out_dir`` holds a run with a different config (start a new ``out_dir``).
    FileExistsError
        If ``resume=False`` and ``out_dir`` already holds results.
    FileNotFoundError
        For a missing config file.

    Examples
    --------
    >>> from pymi import bench
    >>> path = bench.run("quick", out_dir="runs/quick")  # doctest: +SKIP
    """
    config = _resolve(config_or_path)
    config.validate()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    resolved = json.loads(json.dumps(config.to_dict()))
    csv_path, cfg_path, meta_path = out / RESULTS, out / CONFIG, out / METADATA

    with run_lock(out, "--out"):
        if cfg_path.exists():
            try:
                existing = json.loads(cfg_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as err:
                msg = f"{cfg_path} is not valid JSON ({err}); this folder is damaged, pass a new out_dir (--out)"
                raise ConfigMismatchError(msg) from None
            if existing != resolved:
                changes = _diff(existing, resolved)
                shown = "; ".join(changes[:8]) + (
                    f"; ... ({len(changes)} differences)" if len(changes) > 8 else ""
                )
                msg = (
                    f"run folder {str(out)!r} holds a run of a different config ({shown}); "
                    f"pass a new out_dir (--out DIR) for this config, or rerun with the config "
                    f"in {cfg_path} to resume that run"
                )
                raise ConfigMismatchError(msg)
            if not resume and csv_path.exists() and csv_path.stat().st_size > 0:
                msg = f"{str(out)!r} already holds results of this config and resume=False; pass resume=True (drop --no-resume) to continue it, or a new out_dir"
                raise FileExistsError(msg)
        elif csv_path.exists() and csv_path.stat().st_size > 0:
            msg = f"{str(out)!r} holds a {RESULTS} without {CONFIG}; it is not a pymi bench run folder, pass a new out_dir (--out)"
            raise ConfigMismatchError(msg)
        else:
            _write_json(cfg_path, resolved)

        before = read_results(out, repair=True)
        done = {result_key(r["task"], r["estimator"], r["true_mi"], r["seed"]) for r in before}

        meta: dict[str, Any] = {}
        if meta_path.exists():
            with contextlib.suppress(json.JSONDecodeError):
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
        session: dict[str, Any] = {
            "start": _now(),
            "end": None,
            "computed": 0,
            "wall_seconds": None,
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
        _write_json(meta_path, meta)

        t_wall = time.perf_counter()
        gen_seconds = 0.0
        status = "interrupted"
        bar = _progress(
            config.n_estimates, len(done & _planned_keys(config)), progress, config.name
        )
        writer = _ResultsWriter(csv_path)
        banks: dict[str, Any] = {}
        try:
            for task in config.tasks.values():
                n = config.task_n(task)
                ests = config.estimators_for(task)
                if task.compressors:
                    from .compressed import CompressorBank

                    banks[task.name] = CompressorBank(out, task)
                for true_mi in config.mi_grid:
                    for seed in config.seeds:
                        todo = [
                            e
                            for e in ests
                            if e.runs_at(true_mi)
                            and result_key(task.name, e.name, true_mi, seed) not in done
                        ]
                        if not todo:
                            continue
                        ss = _seed_sequence(task.name, true_mi, seed)
                        est_seed = int(ss.generate_state(1)[0])
                        t0 = time.perf_counter()
                        try:
                            sample = task.sample(true_mi, n, np.random.default_rng(ss))
                            x, y, gen_error = sample.x, sample.y, ""
                        except Exception as err:  # noqa: BLE001 - recorded, not fatal
                            x = y = None
                            gen_error = _one_line(
                                f"data generation failed: {type(err).__name__}: {err}"
                            )
                        gen_seconds += time.perf_counter() - t0
                        codes: dict[str, Any] = {}
                        for est in todo:
                            if bar is not None:
                                bar.set_postfix_str(
                                    f"{task.name} {est.name} I={true_mi:g} seed={seed}",
                                    refresh=False,
                                )
                            ex, ey, err_text = x, y, gen_error
                            if est.codes is not None and not gen_error:
                                ex, ey, err_text = _codes_for(
                                    banks[task.name], est.codes, x, y, codes
                                )
                            row = _run_point(
                                config, task, est, true_mi, seed, n, ex, ey, err_text, est_seed
                            )
                            writer.append(row)
                            done.add(result_key(task.name, est.name, true_mi, seed))
                            session["computed"] += 1
                            if bar is not None:
                                bar.update(1)
            status = "complete"
        finally:
            writer.close()
            if bar is not None:
                bar.close()
            rows = read_results(out)
            session["end"] = _now()
            session["wall_seconds"] = round(time.perf_counter() - t_wall, 3)
            session["generator_seconds"] = round(gen_seconds, 3)
            if banks:
                session["compressors"] = {t: b.info for t, b in banks.items()}
                merged = dict(meta.get("compressors", {}))
                for t, b in banks.items():
                    for cname, info in b.info.items():
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
            _write_json(meta_path, meta)

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


def _codes_for(
    bank: Any, name: str, x: np.ndarray | None, y: np.ndarray | None, cache: dict[str, Any]
) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """Codes of one grid point's data with the task compressor ``name`` (encoded once per point)."""
    if name not in cache:
        try:
            cx, cy = bank.encode(name, x, y)
            cache[name] = (cx, cy, "")
        except Exception as err:  # noqa: BLE001 - recorded in every row that needs these codes
            cache[name] = (None, None, _one_line(f"compression failed: {err}"))
    return cache[name]


def _run_point(
    config: BenchConfig,
    task: Any,
    est: Any,
    true_mi: float,
    seed: int,
    n: int,
    x: np.ndarray | None,
    y: np.ndarray | None,
    gen_error: str,
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
        "error": gen_error,
        "warnings": "",
        "ci_low": math.nan,
        "ci_high": math.nan,
    }
    if gen_error:
        return row
    options = config.options_for(task, est)
    options.setdefault("random_state", est_seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        try:
            value, stderr, *interval = _estimate_one(est.method, options, x, y)
        except Exception as err:  # noqa: BLE001 - an estimator failure is a result
            row["error"] = _one_line(f"{type(err).__name__}: {err}")
        else:
            row["estimate"], row["stderr"] = value, stderr
            if interval:
                row["ci_low"], row["ci_high"] = interval
        row["seconds"] = round(time.perf_counter() - t0, 6)
    if caught:
        msgs = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
        row["warnings"] = _one_line(" | ".join(msgs))
    return row


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
