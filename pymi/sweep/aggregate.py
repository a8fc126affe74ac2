"""The tables and figures of a sweep: every point's rows, and the mean and spread over seeds.

All MI values are in nats. Points that differ only in their seed form a group; per
group, layer and epoch the figures show the mean over the seeds and a band of one
sample standard deviation (``ddof=1``) either side, the seed-to-seed spread of the
whole experiment (network initialisation, data split, training noise and estimation
together). A group with one seed has no band.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .config import SweepConfig
from .driver import EPOCH_COLUMNS, MI_COLUMNS
from .grid import SEED, Point, group_key

__all__ = ["SUMMARY_COLUMNS", "Group", "groups", "summary_rows", "write_tables"]

IXL, ILY = "I(X;L)", "I(L;Y)"

#: Columns of ``summary.csv`` after the grid axes (other than the seed): per layer, the
#: final epoch's mean and standard deviation over seeds of I(X;L) and I(L;Y) (nats),
#: the mean over seeds of each seed's largest I(X;L) over the epochs (its drop to the
#: final value is the compression), and the final evaluation accuracy.
SUMMARY_COLUMNS = (
    "layer",
    "n_seeds",
    "epoch",
    "ixl_mean",
    "ixl_sd",
    "ixl_max_mean",
    "ily_mean",
    "ily_sd",
    "eval_accuracy_mean",
    "eval_accuracy_sd",
)


class Group:
    """The points of one group (same grid values but the seed) and their curves.

    Attributes
    ----------
    values : dict
        The grid values the points share.
    records : list of dict
        One record per seed, in grid order.
    layers : list of str
        The layers, in the order the runs report them.
    epochs : numpy.ndarray
        The epochs with MI estimates in every seed's run.
    """

    def __init__(self, values: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.values = values
        self.records = records
        self.layers: list[str] = list(dict.fromkeys(r["layer"] for r in records[0]["mi"]))
        common = set.intersection(*({r["epoch"] for r in rec["mi"]} for rec in records))
        self.epochs = np.array(sorted(common), dtype=int)

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items()) or "all runs"

    def series(self, layer: str, quantity: str) -> np.ndarray:
        """MI per seed (rows) and epoch (columns) of ``layer``, in nats."""
        out = np.full((len(self.records), len(self.epochs)), np.nan)
        col = {int(e): j for j, e in enumerate(self.epochs)}
        for i, rec in enumerate(self.records):
            for row in rec["mi"]:
                if row["layer"] == layer and row["quantity"] == quantity and row["epoch"] in col:
                    out[i, col[row["epoch"]]] = row["value"]
        return out

    def final_accuracy(self) -> np.ndarray:
        """Evaluation accuracy at each seed's last epoch."""
        return np.array(
            [
                rec["epochs"][-1]["eval_accuracy"] if rec["epochs"] else np.nan
                for rec in self.records
            ]
        )


def mean_sd(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample standard deviation (``ddof=1``) over axis 0; the sd is NaN for one seed."""
    values = np.asarray(values, dtype=float)
    mean = values.mean(axis=0)
    if values.shape[0] < 2:
        return mean, np.full_like(mean, np.nan)
    return mean, values.std(axis=0, ddof=1)


def groups(points: Sequence[Point], records: Sequence[dict[str, Any]]) -> list[Group]:
    """The groups of seeds, in order of their first point in the grid."""
    members: dict[tuple[tuple[str, Any], ...], list[dict[str, Any]]] = {}
    for point, record in zip(points, records, strict=True):
        members.setdefault(group_key(point.values), []).append(record)
    return [Group(dict(key), recs) for key, recs in members.items()]


def summary_rows(group_list: Sequence[Group]) -> list[dict[str, Any]]:
    """One row per group and layer (see :data:`SUMMARY_COLUMNS`)."""
    rows = []
    for group in group_list:
        acc_mean, acc_sd = mean_sd(group.final_accuracy()[:, None])
        for layer in group.layers:
            ixl = group.series(layer, IXL)
            ily = group.series(layer, ILY)
            ixl_mean, ixl_sd = mean_sd(ixl[:, -1:])
            ily_mean, ily_sd = mean_sd(ily[:, -1:])
            rows.append(
                {
                    **group.values,
                    "layer": layer,
                    "n_seeds": len(group.records),
                    "epoch": int(group.epochs[-1]),
                    "ixl_mean": float(ixl_mean[0]),
                    "ixl_sd": float(ixl_sd[0]),
                    "ixl_max_mean": float(np.mean(np.max(ixl, axis=1))),
                    "ily_mean": float(ily_mean[0]),
                    "ily_sd": float(ily_sd[0]),
                    "eval_accuracy_mean": float(acc_mean[0]),
                    "eval_accuracy_sd": float(acc_sd[0]),
                }
            )
    return rows


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _csv_bytes(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def _markdown(axes: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    def pm(mean: float, sd: float) -> str:
        return f"{mean:.3f}" if math.isnan(sd) else f"{mean:.3f} ± {sd:.3f}"

    head = [
        *axes,
        "layer",
        "seeds",
        "epoch",
        "I(X;L) (nats)",
        "max I(X;L)",
        "I(L;Y) (nats)",
        "eval accuracy",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            *(_cell(r[a]) for a in axes),
            r["layer"],
            str(r["n_seeds"]),
            str(r["epoch"]),
            pm(r["ixl_mean"], r["ixl_sd"]),
            f"{r['ixl_max_mean']:.3f}",
            pm(r["ily_mean"], r["ily_sd"]),
            pm(r["eval_accuracy_mean"], r["eval_accuracy_sd"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    note = (
        "\nFinal epoch, mean ± sample standard deviation over seeds; max I(X;L): mean over "
        "seeds of each run's largest I(X;L). MI in nats (I(L;Y) <= H(Y) = ln 10 = 2.303 for "
        "ten balanced classes).\n"
    )
    return "\n".join(lines) + "\n" + note


def write_tables(
    folder: Path,
    config: SweepConfig,
    points: Sequence[Point],
    records: Sequence[dict[str, Any]],
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Write ``mi.csv``, ``epochs.csv``, ``summary.csv``, ``summary.md`` and the figures.

    Rows follow the grid order, so the files of one sweep are the same however its
    points were scheduled. Returns the paths written.
    """
    from ..runs import atomic_write_bytes

    axes = list(config.grid)
    written = []

    def put(name: str, data: bytes) -> None:
        atomic_write_bytes(folder / name, data)
        written.append(folder / name)

    mi_rows = [
        {**p.values, **row} for p, rec in zip(points, records, strict=True) for row in rec["mi"]
    ]
    put("mi.csv", _csv_bytes([*axes, *MI_COLUMNS], mi_rows))
    epoch_rows = [
        {**p.values, **row} for p, rec in zip(points, records, strict=True) for row in rec["epochs"]
    ]
    put("epochs.csv", _csv_bytes([*axes, *EPOCH_COLUMNS], epoch_rows))
    group_list = groups(points, records)
    summary = summary_rows(group_list)
    group_axes = [a for a in axes if a != SEED]
    put("summary.csv", _csv_bytes([*group_axes, *SUMMARY_COLUMNS], summary))
    put("summary.md", _markdown(group_axes, summary).encode("utf-8"))
    try:
        from .plots import plot_sweep
    except ImportError:  # matplotlib is optional (pymi[plot])
        log('no figures: they need matplotlib (pip install "pymi[plot]")')
        return written
    written += plot_sweep(folder, group_list)
    return written
