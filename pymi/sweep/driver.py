"""Run a sweep: every grid point a :func:`pymi.ib.run` on a worker, the tables in the driver.

Layout of the sweep folder::

    sweep.toml            the configuration as given (the last session's)
    sweep.json            the resolved grid, the points and one entry per session
    runs/<point>/         each point's own pymi ib run folder (checkpoints, its own CSVs)
    points/<point>.json   a finished point's configuration and rows, written by the driver
    mi.csv, epochs.csv    every point's rows, in grid order, one column per grid axis
    summary.csv, .md      per group of seeds and layer: final I(X;L), I(L;Y), accuracy
    information_plane.png, mi_per_epoch.png   the mean and a band over seeds per layer

Workers compute; the driver alone writes ``points/`` and the tables. A point whose
record matches its configuration is not run again, and a run interrupted on a worker
(the worker died, the sweep was stopped) resumes from its last checkpoint, so
starting the same sweep again finishes it.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import SweepConfig
from .grid import Point, expand

__all__ = ["EPOCH_COLUMNS", "MI_COLUMNS", "RUNTIME", "run_point", "run_sweep"]

#: Columns of a run's ``mi.csv`` kept in the sweep's tables (timings are left out, so
#: that the tables of the same sweep are identical however it was scheduled).
MI_COLUMNS = ("epoch", "layer", "quantity", "value", "stderr")
#: Columns of a run's ``epochs.csv`` kept in the sweep's tables.
EPOCH_COLUMNS = ("epoch", "train_loss", "train_accuracy", "eval_loss", "eval_accuracy")
#: IBConfig fields that do not change a run's numbers' identity for the sweep record.
RUNTIME = ("run_dir", "device", "n_jobs", "progress")

_RECORD_FORMAT = 1


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------ worker side


def _read_rows(path: Path, columns: tuple[str, ...], last_epoch: int) -> list[dict[str, Any]]:
    """The rows of a run CSV up to ``last_epoch``, numbers parsed (empty cells are NaN).

    A resumed ib run appends an epoch it recomputes again (its tables are append-only),
    so the last row per (epoch, layer, quantity) is kept.
    """
    rows: dict[tuple, dict[str, Any]] = {}
    keys = [key for key in ("epoch", "layer", "quantity") if key in columns]
    with open(path, newline="", encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = {}
            for key in columns:
                text = raw[key]
                if key == "epoch":
                    row[key] = int(text)
                elif key in ("layer", "quantity"):
                    row[key] = text
                else:
                    row[key] = float(text) if text != "" else math.nan
            if row["epoch"] <= last_epoch:
                rows.pop(tuple(row[key] for key in keys), None)  # the last copy keeps its place
                rows[tuple(row[key] for key in keys)] = row
    return list(rows.values())


def run_point(point: Point, *, run_plots: bool = False) -> dict[str, Any]:
    """Run (or resume) one grid point's information-plane experiment; return its record.

    Runs on a worker: writes only the point's own run folder (through
    :func:`pymi.ib.run`) and returns the rows for the driver to store.

    Returns
    -------
    dict
        ``name``, ``values`` (grid values), ``config`` (the IBConfig), ``mi`` and
        ``epochs`` (rows of :data:`MI_COLUMNS` / :data:`EPOCH_COLUMNS`; MI in nats),
        ``seconds`` (wall time of this attempt) and ``host``.
    """
    from ..ib import IBConfig, run

    config = IBConfig.from_dict(point.config)
    t0 = time.perf_counter()
    run_dir = Path(run(config, plots=run_plots, verbose=False))
    return {
        "format": _RECORD_FORMAT,
        "name": point.name,
        "values": point.values,
        "config": point.config,
        "mi": _read_rows(run_dir / "mi.csv", MI_COLUMNS, config.epochs),
        "epochs": _read_rows(run_dir / "epochs.csv", EPOCH_COLUMNS, config.epochs),
        "seconds": time.perf_counter() - t0,
        "host": socket.gethostname(),
    }


# ------------------------------------------------------------------ driver side


def _identity(config: dict[str, Any]) -> Any:
    return json.loads(
        json.dumps({k: v for k, v in config.items() if k not in RUNTIME}, sort_keys=True)
    )


def _record_path(folder: Path, point: Point) -> Path:
    return folder / "points" / f"{point.name}.json"


def _load_record(folder: Path, point: Point) -> dict[str, Any] | None:
    """The stored record of ``point`` if it was made with the same configuration."""
    from ..runs import RunFileError, read_json

    path = _record_path(folder, point)
    fix = "delete it and run the sweep again (the point's run folder resumes; nothing else is lost)"
    record = read_json(path, what=f"the rows of grid point {point.name}", fix=fix)
    if record is None:
        return None
    keys = {"config", "mi", "epochs"}
    if not isinstance(record, dict) or record.get("format") != _RECORD_FORMAT or keys - set(record):
        msg = (
            f"{str(path)!r} (the rows of grid point {point.name}) is not a pymi sweep record; {fix}"
        )
        raise RunFileError(msg)
    if _identity(record["config"]) != _identity(point.config):
        return None  # the configuration changed (e.g. more epochs): run the point again
    return record


def run_sweep(
    config: SweepConfig,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    out: str | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Run (or finish) a sweep of information-plane runs; return the sweep folder.

    Parameters
    ----------
    config : SweepConfig
        The sweep (see :func:`pymi.sweep.load_config`).
    workers : int, default 1
        ``1``: run the points one after the other in this process; ``N > 1``: on an
        embedded Dask ``LocalCluster`` of ``N`` single-threaded worker processes.
    scheduler : str, optional
        Address of a running Dask scheduler whose workers run the points (leave
        ``workers`` at 1). The run folders must be on a file system the workers
        share with this process for an interrupted run to resume.
    out : str, optional
        The sweep folder (default: ``config.out``).
    log : callable
        Where progress lines go.

    Returns
    -------
    pathlib.Path
        The sweep folder (see the module docstring for its files).

    Raises
    ------
    pymi.sweep.SweepConfigError
        If a grid point is not a valid :class:`pymi.ib.IBConfig` (before anything runs).
    pymi.runs.RunFolderError
        If another sweep runs in the folder, or one of its files is damaged.
    Exception
        The first error of a run (for example a
        :class:`pymi.runs.ConfigMismatchError` when a run folder holds a run with
        other settings), with a note naming the grid point. Points that finished
        before it are stored: running the sweep again continues.
    """
    from ..engine import map_tasks
    from ..runs import (
        RunFileError,
        atomic_write_bytes,
        atomic_write_json,
        ensure_folder,
        read_json,
        run_lock,
    )

    # an absolute folder: workers elsewhere (--scheduler) have other working directories
    config = replace(config, out=os.path.abspath(config.out if out is None else out))
    points = expand(config)
    folder = ensure_folder(config.out, option="[sweep] out / --out")
    with run_lock(folder, "[sweep] out / --out"):
        ensure_folder(folder / "points", option="[sweep] out / --out")
        atomic_write_bytes(folder / "sweep.toml", config.text.encode("utf-8"))
        meta_path = folder / "sweep.json"
        fix = "move it away (it holds only the history of the sessions)"
        meta = read_json(meta_path, what="the sweep's sessions", fix=fix)
        if meta is None:
            meta = {"sessions": []}
        elif not isinstance(meta, dict) or not isinstance(meta.get("sessions"), list):
            msg = f"{str(meta_path)!r} (the sweep's sessions) is not what pymi sweep writes; {fix}"
            raise RunFileError(msg)
        meta.update(
            {
                "units": "nats",
                "base": config.base,
                "grid": config.grid,
                "run_plots": config.run_plots,
                "points": [p.name for p in points],
            }
        )
        records: dict[str, dict[str, Any]] = {}
        todo = []
        for point in points:
            record = _load_record(folder, point)
            if record is None:
                todo.append(point)
            else:
                records[point.name] = record
        workers = min(workers, max(1, len(todo)))  # no idle worker processes
        where = (
            f"the scheduler at {scheduler}"
            if scheduler
            else (f"{workers} local worker processes" if workers > 1 else "this process")
        )
        log(
            f"pymi sweep: {len(points)} grid points in {folder} ({len(records)} done, "
            f"{len(todo)} to run on {where})"
        )
        session: dict[str, Any] = {
            "started": _now(),
            "workers": workers,
            "scheduler": scheduler,
            "points_to_run": len(todo),
            "status": "running",
        }
        meta["sessions"].append(session)
        atomic_write_json(meta_path, meta)
        t0 = time.perf_counter()

        def store(point: Point, record: dict[str, Any]) -> None:
            atomic_write_json(_record_path(folder, point), record)
            records[point.name] = record

        try:
            map_tasks(
                functools.partial(run_point, run_plots=config.run_plots),
                todo,
                workers=workers,
                scheduler=scheduler,
                on_result=store,
                description="ib runs",
            )
        except BaseException as err:
            session.update(
                status=f"interrupted: {type(err).__name__}: {err}",
                finished=_now(),
                seconds=time.perf_counter() - t0,
                points_run=len(records) - (len(points) - len(todo)),
            )
            atomic_write_json(meta_path, meta)
            raise
        session.update(
            status="completed",
            finished=_now(),
            seconds=time.perf_counter() - t0,
            points_run=len(todo),
        )
        atomic_write_json(meta_path, meta)

        from .aggregate import write_tables

        for path in write_tables(folder, config, points, [records[p.name] for p in points], log):
            log(f"wrote {path}")
    return folder
