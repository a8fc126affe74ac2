"""Suite-level accuracy of every estimator in a run folder (all values in nats).

Where :mod:`pymi.bench.report` summarises each task, the scoreboard ranks the
estimators over the whole suite, with the criteria of pymi's hard-distribution
benchmark. The truth is that of the task's quantity (I(X; Y), I(X; Y | Z) or transfer
entropy, labelled MI, CMI, TE); a suite that mixes quantities gets one ranking per
quantity (the ``quantity`` column), never one over all:

* ``mean_abs_error``: mean of ``|estimate - truth|`` over every estimate;
* ``within``: share of (task, true value) points whose mean over seeds is within
  0.1 nats or 10 % of the truth;
* ``min_mean_estimate``: the lowest mean over seeds (a negative value is an
  impossible MI);
* ``coverage``: share of estimates whose interval (``ci_low``, ``ci_high``)
  contains the truth, over the estimates that report one;
* ``seconds``: total estimator time, and its ratio to a reference estimator
  (``ksg`` by default) over the points both estimated.

``scoreboard.md`` / ``scoreboard.csv`` hold the table and ``scoreboard.png`` a
figure of the error per family of tasks.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from .report import _load, quantity_label, write_csv

__all__ = ["SCOREBOARD_FIELDS", "scoreboard", "write_scoreboard"]

#: Columns of ``scoreboard.csv``.
SCOREBOARD_FIELDS: tuple[str, ...] = (
    "quantity",
    "estimator",
    "method",
    "n_points",
    "n_estimates",
    "n_failed",
    "mean_abs_error",
    "within",
    "min_mean_estimate",
    "coverage",
    "n_intervals",
    "seconds",
    "time_ratio",
)

#: A point is "within" when its mean over seeds is this close to the truth (nats) ...
WITHIN_ABS = 0.1
#: ... or this close relative to the truth.
WITHIN_REL = 0.1


def _finite(r: dict[str, Any]) -> bool:
    return not r["error"] and math.isfinite(r["estimate"])


def _quantities(config: dict[str, Any]) -> dict[str, list[str]]:
    """Quantity label (MI, CMI, TE) -> the tasks of that quantity, in that order of labels."""
    groups: dict[str, list[str]] = {}
    for task, tspec in config["tasks"].items():
        groups.setdefault(quantity_label(tspec), []).append(task)
    return {q: groups[q] for q in ("MI", "CMI", "TE") if q in groups}


def _row(
    est: str, method: str, quantity: str, group: list[dict[str, Any]], ref_time: dict[Any, float]
) -> dict[str, Any]:
    ok = [r for r in group if _finite(r)]
    points: dict[tuple[str, float], list[float]] = defaultdict(list)
    for r in ok:
        points[(r["task"], r["true_mi"])].append(r["estimate"])
    means = {key: float(np.mean(v)) for key, v in points.items()}
    within = [abs(m - mi) <= max(WITHIN_ABS, WITHIN_REL * mi) for (_, mi), m in means.items()]
    with_ci = [r for r in ok if math.isfinite(r["ci_low"]) and math.isfinite(r["ci_high"])]
    covered = [r["ci_low"] <= r["true_mi"] <= r["ci_high"] for r in with_ci]
    shared = [
        (r["seconds"], ref_time[(r["task"], r["true_mi"], r["seed"])])
        for r in ok
        if (r["task"], r["true_mi"], r["seed"]) in ref_time and math.isfinite(r["seconds"])
    ]
    secs = sum(r["seconds"] for r in ok if math.isfinite(r["seconds"]))
    return {
        "quantity": quantity,
        "estimator": est,
        "method": method,
        "n_points": len(means),
        "n_estimates": len(group),
        "n_failed": len(group) - len(ok),
        "mean_abs_error": float(np.mean([abs(r["estimate"] - r["true_mi"]) for r in ok]))
        if ok
        else math.nan,
        "within": float(np.mean(within)) if within else math.nan,
        "min_mean_estimate": min(means.values()) if means else math.nan,
        "coverage": float(np.mean(covered)) if covered else math.nan,
        "n_intervals": len(with_ci),
        "seconds": float(secs),
        "time_ratio": float(sum(a for a, _ in shared) / sum(b for _, b in shared))
        if shared and sum(b for _, b in shared) > 0
        else math.nan,
    }


def scoreboard(out_dir: str | Path, *, reference: str = "ksg") -> list[dict[str, Any]]:
    """One row per quantity and estimator of a run folder, over all its tasks and true values.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The run folder (``pymi bench --out``).
    reference : str, default "ksg"
        Estimator whose time is the denominator of ``time_ratio`` (over the
        (task, true value, seed) points both estimators finished).

    Returns
    -------
    list of dict
        :data:`SCOREBOARD_FIELDS` per estimator, for each quantity of the tasks
        (``"MI"``, ``"CMI"``, ``"TE"``: errors of different quantities are not pooled);
        an estimator appears under a quantity when the config runs it on a task of that
        quantity. A point an estimator failed on counts in ``n_failed`` and not in the
        errors.
    """
    config, rows = _load(Path(out_dir))
    groups = _quantities(config)
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    task_quantity = {t: q for q, tasks in groups.items() for t in tasks}
    for r in rows:
        by_key[(task_quantity.get(r["task"], "MI"), r["estimator"])].append(r)
    ref_time = {
        (r["task"], r["true_mi"], r["seed"]): r["seconds"]
        for r in rows
        if r["estimator"] == reference and _finite(r) and math.isfinite(r["seconds"])
    }
    single = len(groups) <= 1
    board = []
    for quantity, tasks in (groups or {"MI": []}).items():
        runs = set()
        for t in tasks:
            runs.update(config["tasks"][t].get("estimators") or config["estimators"])
        for est, spec in config["estimators"].items():
            if single or est in runs or by_key.get((quantity, est)):
                board.append(_row(est, spec["method"], quantity, by_key.get((quantity, est), []), ref_time))
    return board


def _fmt(value: Any, spec: str) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else format(value, spec)
    return str(value)


_NAMES = {"MI": "I(X; Y)", "CMI": "I(X; Y | Z)", "TE": "transfer entropy"}


def _table(board: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| estimator | method | points | failed | mean abs error | within | lowest mean | coverage (intervals) | time ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b in board:
        cov = _fmt(b["coverage"], ".2f")
        cov_text = f"{cov} ({b['n_intervals']})" if cov else ""
        lines.append(
            f"| {b['estimator']} | {b['method']} | {b['n_points']} | {b['n_failed']}/{b['n_estimates']} | "
            f"{_fmt(b['mean_abs_error'], '.3f')} | {_fmt(b['within'], '.2f')} | "
            f"{_fmt(b['min_mean_estimate'], '+.3f')} | {cov_text} | "
            f"{_fmt(b['time_ratio'], '.2f')} |"
        )
    return lines


def _markdown(config: dict[str, Any], board: list[dict[str, Any]], reference: str) -> str:
    quantities = list(dict.fromkeys(b["quantity"] for b in board))
    what = " / ".join(quantities) or "MI"
    lines = [
        f"# Scoreboard of `{config['name']}`",
        "",
        f"N = {config['n']} per estimate, seeds {config['seeds']}; {len(config['tasks'])} tasks. "
        f"Mean abs error of the {what} estimates against the truth over every estimate (nats); "
        f"within = share of (task, true {what}) points whose "
        f"mean over seeds is within {WITHIN_ABS:g} nats or {100 * WITHIN_REL:g} % of the truth; "
        f"coverage = share of intervals containing the truth; time ratio against `{reference}` "
        f"on the same points.",
    ]
    if len(quantities) == 1:
        return "\n".join([*lines, "", *_table(board)]) + "\n"
    lines += [
        "",
        f"The tasks estimate {len(quantities)} different quantities, so each has its own "
        "ranking below (errors of different quantities are not pooled).",
    ]
    for q in quantities:
        n_tasks = sum(1 for t in config["tasks"].values() if quantity_label(t) == q)
        lines += ["", f"## {q}: {_NAMES[q]} ({n_tasks} tasks)", ""]
        lines += _table([b for b in board if b["quantity"] == q])
    return "\n".join(lines) + "\n"


def _family(task: str) -> str:
    return task.split("-")[0]


def _plot(out: Path, config: dict[str, Any], rows: list[dict[str, Any]]) -> Path:
    from matplotlib.figure import Figure

    ests = list(config["estimators"])
    families = sorted({_family(t) for t in config["tasks"]})
    mae = np.full((len(ests), len(families)), np.nan)
    for i, est in enumerate(ests):
        for j, fam in enumerate(families):
            errs = [
                abs(r["estimate"] - r["true_mi"])
                for r in rows
                if r["estimator"] == est and _family(r["task"]) == fam and _finite(r)
            ]
            if errs:
                mae[i, j] = np.mean(errs)
    fig = Figure(figsize=(1.0 + 0.9 * len(families), 1.2 + 0.45 * len(ests)))
    ax = fig.subplots()
    shown = np.log10(np.clip(mae, 1e-3, 10.0))
    im = ax.imshow(shown, cmap="viridis_r", vmin=-3, vmax=1, aspect="auto")
    for i in range(len(ests)):
        for j in range(len(families)):
            text = "refused" if np.isnan(mae[i, j]) else f"{mae[i, j]:.2f}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if not np.isnan(mae[i, j]) and shown[i, j] > -0.5 else "black",
            )
    ax.set_xticks(range(len(families)), families, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(ests)), ests, fontsize=8)
    what = " / ".join(sorted({quantity_label(t) for t in config["tasks"].values()}))
    ax.set_title(f"{config['name']}: mean |estimate - true {what}| (nats) per family", fontsize=9)
    fig.colorbar(im, ax=ax, label="log10 mean abs error (nats)")
    fig.tight_layout()
    target = out / "scoreboard.png"
    fig.savefig(target, dpi=110)
    return target


def write_scoreboard(
    out_dir: str | Path, *, reference: str = "ksg", figure: bool = True
) -> list[Path]:
    """Write ``scoreboard.csv``, ``scoreboard.md`` (and ``scoreboard.png``) into a run folder.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out_dir)
    config, rows = _load(out)
    board = scoreboard(out, reference=reference)
    write_csv(out / "scoreboard.csv", SCOREBOARD_FIELDS, board)
    (out / "scoreboard.md").write_text(_markdown(config, board, reference), encoding="utf-8")
    written = [out / "scoreboard.csv", out / "scoreboard.md"]
    if figure:
        written.append(_plot(out, config, rows))
    return written
