"""Summary tables and figures of a benchmark run folder (all values in nats).

:func:`write_report` reads ``results.csv`` and ``config.json`` of a run folder and writes

``summary.csv`` / ``summary.md``
    Per task x estimator: estimates done and failed, mean (signed) error, RMSE, mean
    absolute error, worst
    absolute error (and the true MI where it occurs), worst absolute bias of the
    mean over seeds, mean seconds per estimate.
``scoreboard.md``, ``scoreboard.csv``, ``scoreboard.png``
    Suite-level ranking of the estimators (:mod:`pymi.bench.scoreboard`).
``<task>.png``
    Estimated vs true MI (identity line; mean over seeds with a min-max band; one
    colour per estimator), and below it the error ``estimate - true`` on a symlog scale
    (linear within +-0.1 nats, so small errors are visible next to saturating estimators).
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ..runs import RunFolderError, atomic_write_bytes, format_cell, read_json
from .runner import CONFIG, METADATA, read_results

__all__ = ["SUMMARY_FIELDS", "plot_task", "summarize", "write_report"]

#: Columns of ``summary.csv``.
SUMMARY_FIELDS: tuple[str, ...] = (
    "task",
    "estimator",
    "method",
    "n",
    "n_estimates",
    "n_failed",
    "mean_error",
    "rmse",
    "mean_abs_error",
    "max_abs_error",
    "max_abs_error_at_mi",
    "max_abs_bias",
    "max_abs_bias_at_mi",
    "mean_seconds",
)


_LABELS = {"dim_x": "d_X", "dim_y": "d_Y", "dim_z": "d_Z"}


def _load(out_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cfg_path = out_dir / CONFIG
    config = read_json(
        cfg_path, what="the run's configuration", fix="pass the folder given to `pymi bench --out`"
    )
    if not isinstance(config, dict):
        msg = f"{str(out_dir)!r} is not a pymi bench run folder (no {CONFIG}); pass the folder given to `pymi bench --out`"
        raise RunFolderError(msg)
    return config, read_results(out_dir)


def read_metadata(out: Path) -> dict[str, Any]:
    """The run's ``metadata.json`` (empty when there is none)."""
    meta = read_json(out / METADATA, what="the run's history", fix="repair it or move it away")
    return meta if isinstance(meta, dict) else {}


def _by_point(rows: list[dict[str, Any]]) -> dict[float, list[float]]:
    """Finite estimates grouped by true MI."""
    out: dict[float, list[float]] = defaultdict(list)
    for r in rows:
        if not r["error"] and math.isfinite(r["estimate"]):
            out[r["true_mi"]].append(r["estimate"])
    return dict(sorted(out.items()))


def summarize(out_dir: str | Path) -> list[dict[str, Any]]:
    """Accuracy and speed per task x estimator of a run folder.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run folder.

    Returns
    -------
    list of dict
        One dict per (task, estimator) with :data:`SUMMARY_FIELDS` keys. Errors are
        ``estimate - true_mi`` in nats over every finite estimate (all seeds); the bias
        is the mean over seeds minus the truth; failed (or non-finite) estimates are
        counted in ``n_failed`` and left out of the errors.
    """
    out = Path(out_dir)
    config, rows = _load(out)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        grouped[(r["task"], r["estimator"])].append(r)
    summary = []
    for task, tspec in config["tasks"].items():
        names = tspec.get("estimators") or list(config["estimators"])
        for est in [e for e in config["estimators"] if e in names]:
            group = grouped.get((task, est), [])
            ok = [r for r in group if not r["error"] and math.isfinite(r["estimate"])]
            errs = np.array([r["estimate"] - r["true_mi"] for r in ok])
            secs = [r["seconds"] for r in group if math.isfinite(r["seconds"]) and not r["error"]]
            means = {mi: float(np.mean(v)) - mi for mi, v in _by_point(group).items()}
            row: dict[str, Any] = {
                "task": task,
                "estimator": est,
                "method": config["estimators"][est]["method"],
                "n": tspec.get("n", config["n"]),
                "n_estimates": len(group),
                "n_failed": len(group) - len(ok),
                "mean_error": math.nan,
                "rmse": math.nan,
                "mean_abs_error": math.nan,
                "max_abs_error": math.nan,
                "max_abs_error_at_mi": math.nan,
                "max_abs_bias": math.nan,
                "max_abs_bias_at_mi": math.nan,
                "mean_seconds": float(np.mean(secs)) if secs else math.nan,
            }
            if errs.size:
                i = int(np.argmax(np.abs(errs)))
                row["mean_error"] = float(np.mean(errs))
                row["rmse"] = float(np.sqrt(np.mean(errs**2)))
                row["mean_abs_error"] = float(np.mean(np.abs(errs)))
                row["max_abs_error"] = float(abs(errs[i]))
                row["max_abs_error_at_mi"] = ok[i]["true_mi"]
                worst = max(means, key=lambda m: abs(means[m]))
                row["max_abs_bias"] = abs(means[worst])
                row["max_abs_bias_at_mi"] = worst
            summary.append(row)
    return summary


def write_csv(path: Path, fields: tuple[str, ...] | list[str], rows: list[dict[str, Any]]) -> None:
    """Atomically write ``rows`` (dicts with ``fields`` keys) as CSV (cells by :func:`pymi.runs.format_cell`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(fields)
    for row in rows:
        w.writerow([format_cell(row.get(k)) for k in fields])
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"))


def _num(value: Any, digits: int = 4, *, sign: bool = False) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:{'+' if sign else ''}.{digits}f}"
    return str(value)


def quantity_label(tspec: dict[str, Any]) -> str:
    """What a task's truth and estimates are (``"MI"``, ``"CMI"`` or ``"TE"``), from its config."""
    return {"cmi": "CMI", "te": "TE"}.get(tspec.get("quantity", "mi"), "MI")


def _markdown(config: dict[str, Any], summary: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    grid = config["mi_grid"]
    step = f"{len(grid)} points from {grid[0]:g} to {grid[-1]:g}"
    labels = sorted({quantity_label(t) for t in config["tasks"].values()})
    what = " / ".join(labels)
    lines = [
        f"# Benchmark `{config['name']}`",
        "",
        f"True {what} grid: {step} nats; N = {config['n']} samples per estimate (unless a task says "
        f"otherwise); seeds {config['seeds']}. Errors are estimate - true {what}, in nats, over every "
        f"estimate (all seeds); bias is the mean over seeds minus the truth.",
    ]
    if labels != ["MI"]:
        lines += [
            "",
            "Quantities: MI = I(X; Y) (pymi.mutual_information), CMI = I(X; Y | Z) "
            "(pymi.conditional_mutual_information), TE = transfer entropy source -> target "
            "(pymi.transfer_entropy); the `true_mi` column of results.csv holds the truth of "
            "the task's quantity.",
        ]
    if meta:
        env = meta.get("environment", {})
        done, planned = meta.get("n_estimates_done"), meta.get("n_estimates_planned")
        lines += [
            "",
            f"Status: {meta.get('status')} ({done}/{planned} estimates); pymi {env.get('pymi')} "
            f"({env.get('pymi_git')}), numpy {env.get('numpy')}, scipy {env.get('scipy')}, "
            f"Python {env.get('python')}, {env.get('cpu_count')} CPUs; kNN: {env.get('knn')}.",
        ]
    for task, tspec in config["tasks"].items():
        # the quantity is not a generator argument: it shows as a label, "(CMI)" or "(TE)"
        desc = ", ".join(f"{k}={v}" for k, v in tspec.items() if k not in ("generator", "quantity"))
        label = quantity_label(tspec)
        paren = "; ".join(p for p in (label if label != "MI" else "", desc) if p)
        lines += [
            "",
            f"## {task}: {tspec['generator']}" + (f" ({paren})" if paren else ""),
            "",
            f"![{task}]({task}.png)",
            "",
            "| estimator | options | mean error | RMSE | mean abs error | max abs error (at I) | max abs bias (at I) | mean time / estimate (s) | failed |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for s in summary:
            if s["task"] != task:
                continue
            opts = config["estimators"][s["estimator"]]
            opt_text = ", ".join(f"{k}={v}" for k, v in opts.items())
            lines.append(
                f"| {s['estimator']} | {opt_text} | {_num(s['mean_error'], sign=True)} | {_num(s['rmse'])} | "
                f"{_num(s['mean_abs_error'])} | "
                f"{_num(s['max_abs_error'])} ({_num(s['max_abs_error_at_mi'], 2)}) | "
                f"{_num(s['max_abs_bias'])} ({_num(s['max_abs_bias_at_mi'], 2)}) | "
                f"{_num(s['mean_seconds'], 3)} | {s['n_failed']}/{s['n_estimates']} |"
            )
    return "\n".join(lines) + "\n"


def finish_estimate_axes(
    fig: Any,
    ax: Any,
    axe: Any,
    *,
    linthresh: float,
    linscale: float,
    legend_fontsize: int,
    quantity: str = "MI",
) -> None:
    """Labels, grids and legend of an "estimate vs true MI" figure: ``ax`` the
    estimates, ``axe`` the errors below it on a symlog scale (linear within
    +-``linthresh`` nats); ``quantity`` names what is estimated (``"MI"``, ``"CMI"``, ``"TE"``)."""
    ax.set_ylabel(f"estimated {quantity} (nats)")
    axe.set_yscale("symlog", linthresh=linthresh, linscale=linscale)
    axe.set_ylabel(f"estimate - true (nats)\nsymlog, linear within ±{linthresh:g}")
    axe.set_xlabel(f"true {quantity} (nats)")
    ax.grid(alpha=0.3)
    axe.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=legend_fontsize)
    fig.tight_layout()


def plot_task(out_dir: str | Path, task: str, *, path: str | Path | None = None) -> Path:
    """Figure of estimated vs true MI (or CMI, TE: the task's quantity; nats) for one task of a run folder.

    Top: the identity line, and per estimator the mean over seeds (markers) with a
    min-max band; bottom: the error ``estimate - true`` (mean and min-max) on a
    symmetric-log scale, linear within +-0.1 nats.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run folder.
    task : str
        Task name from the config.
    path : str or pathlib.Path, optional
        Output PNG (default ``out_dir/<task>.png``).

    Returns
    -------
    pathlib.Path
        The PNG written.
    """
    from matplotlib import rcParams
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    out = Path(out_dir)
    config, rows = _load(out)
    if task not in config["tasks"]:
        msg = f"task must be one of {sorted(config['tasks'])} (tasks of this run); got {task!r}"
        raise ValueError(msg)
    tspec = config["tasks"][task]
    names = tspec.get("estimators") or list(config["estimators"])
    ests = [e for e in config["estimators"] if e in names]
    all_ests = list(config["estimators"])
    colours = rcParams["axes.prop_cycle"].by_key()["color"]
    grid = config["mi_grid"]
    lo, hi = min(grid), max(grid)

    fig = Figure(figsize=(6.4, 8.0))
    ax, axe = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    quantity = quantity_label(tspec)
    ax.plot([lo, hi], [lo, hi], color="black", lw=1, ls="--", label=f"true {quantity}", zorder=1)
    axe.axhline(0.0, color="black", lw=1, ls="--")
    for est in ests:
        colour = colours[all_ests.index(est) % len(colours)]
        pts = _by_point([r for r in rows if r["task"] == task and r["estimator"] == est])
        failed = sum(
            1
            for r in rows
            if r["task"] == task
            and r["estimator"] == est
            and (r["error"] or not math.isfinite(r["estimate"]))
        )
        label = est + (f" ({failed} failed)" if failed else "")
        if not pts:
            ax.plot([], [], color=colour, label=label + " (no estimates)")
            continue
        t = np.array(list(pts))
        mean = np.array([np.mean(v) for v in pts.values()])
        vmin = np.array([np.min(v) for v in pts.values()])
        vmax = np.array([np.max(v) for v in pts.values()])
        ax.plot(t, mean, "o-", ms=3, lw=1.2, color=colour, label=label, zorder=3)
        axe.plot(t, mean - t, "o-", ms=3, lw=1.2, color=colour, zorder=3)
        if np.any(vmax > vmin):
            ax.fill_between(t, vmin, vmax, color=colour, alpha=0.25, lw=0, zorder=2)
            axe.fill_between(t, vmin - t, vmax - t, color=colour, alpha=0.25, lw=0, zorder=2)
    n = tspec.get("n", config["n"])
    seeds = len(config["seeds"])
    dims = ", ".join(
        f"{_LABELS.get(k, k)}={v}"
        for k, v in tspec.items()
        if k not in ("generator", "n", "estimators", "estimator_options", "quantity")
    )
    ax.set_title(
        f"{task}: {tspec['generator']}"
        + (f" ({dims})" if dims else "")
        + f"\nN = {n}, {seeds} seed{'s' if seeds > 1 else ''}; mean over seeds"
        + (", band = min-max" if seeds > 1 else ""),
        fontsize=10,
    )
    # symlog: linear within +-0.1 nats (small errors stay visible next to saturating ones)
    finish_estimate_axes(
        fig, ax, axe, linthresh=0.1, linscale=1.5, legend_fontsize=9, quantity=quantity
    )
    target = Path(path) if path is not None else out / f"{task}.png"
    fig.savefig(target, dpi=110)
    return target


def write_report(out_dir: str | Path, *, figures: bool = True) -> list[Path]:
    """Write ``summary.csv``, ``summary.md`` and one PNG per task into a run folder.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run folder (may be incomplete: what is there is summarised).
    figures : bool, default True
        Also draw the figures (needs matplotlib).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    config, _ = _load(out)
    summary = summarize(out)
    meta = read_metadata(out)
    written = []
    write_csv(out / "summary.csv", SUMMARY_FIELDS, summary)
    written.append(out / "summary.csv")
    (out / "summary.md").write_text(_markdown(config, summary, meta), encoding="utf-8")
    written.append(out / "summary.md")
    if figures:
        for task in config["tasks"]:
            written.append(plot_task(out, task))
    from .scoreboard import write_scoreboard

    written += write_scoreboard(out, figure=figures)
    return written
