"""The calibrated estimator's neighbour order k on the non-image hard suite (how the default k=2 was chosen).

For every (task, true MI) point of ``pymi.datasets.suite.hard_suite(images=False)`` and
seeds 0, 1, 2 (data seeds ``1000 * seed + 17``, so not the bench's draws), N = 5000,
``CalibratedKSG(k=k, extrapolation_z=None)`` (the order-k estimate, as when k was chosen)
with its default interval is run for k in 1, 2, 3, 5, and
plain ``KSG(k=5)`` is timed on the same data. Printed per k: mean absolute error
(nats), the share of points whose mean over seeds is within 0.1 nats or 10 %, the
lowest mean estimate, interval coverage, the total time against KSG, and the mean
absolute error per family.

    nice python benchmarks/accuracy/calibrated_k.py          # about 5 minutes on 2 cores
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from pymi.datasets.suite import draw, hard_suite
from pymi.estimators import KSG
from pymi.estimators.calibrated import CalibratedKSG

KS = (1, 2, 3, 5)


def run(n: int = 5000, seeds: tuple[int, ...] = (0, 1, 2)) -> list[dict]:
    rows = []
    for task in hard_suite(images=False):
        for mi in task.mi_values:
            for seed in seeds:
                s = draw(task, mi, n, random_state=1000 * seed + 17)
                row = {"task": task.name, "family": task.name.split("-")[0], "mi": s.mi}
                t0 = time.perf_counter()
                KSG(k=5).estimate(s.x, s.y)
                row["t_ksg"] = time.perf_counter() - t0
                for k in KS:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        t0 = time.perf_counter()
                        est = CalibratedKSG(k=k, random_state=0, extrapolation_z=None).estimate(s.x, s.y)
                    row[k] = (est.value, est.interval, time.perf_counter() - t0)
                rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| k | mean abs error | points within 0.1 or 10 % | lowest mean | coverage | time vs KSG (total) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for k in KS:
        err = np.array([r[k][0] - r["mi"] for r in rows])
        points: dict[tuple[str, float], list[float]] = {}
        for r in rows:
            points.setdefault((r["task"], r["mi"]), []).append(r[k][0])
        within = np.mean([abs(np.mean(v) - t) <= max(0.1, 0.1 * t) for (_, t), v in points.items()])
        lowest = min(np.mean(v) for v in points.values())
        cover = np.mean([r[k][1][0] <= r["mi"] <= r[k][1][1] for r in rows])
        ratio = sum(r[k][2] for r in rows) / sum(r["t_ksg"] for r in rows)
        lines.append(
            f"| {k} | {np.abs(err).mean():.4f} | {within:.2f} | {lowest:+.3f} | {cover:.2f} | {ratio:.2f} |"
        )
    lines += ["", "| family | " + " | ".join(f"k = {k}" for k in KS) + " |", "|---|" + "---:|" * len(KS)]
    for fam in sorted({r["family"] for r in rows}):
        rr = [r for r in rows if r["family"] == fam]
        lines.append(
            f"| {fam} | " + " | ".join(f"{np.mean([abs(r[k][0] - r['mi']) for r in rr]):.3f}" for k in KS) + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
