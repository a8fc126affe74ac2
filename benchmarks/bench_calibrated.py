"""Calibrated KSG against plain KSG: the price of the calibration, same run, same data.

Every case times ``pymi.estimators.KSG(k=5)`` (the baseline) and
``pymi.estimators.CalibratedKSG(k=5)`` on the same correlated Gaussians (N = 5000,
the hard suite's size), both with all cores, and reports the ratio
``time(calibrated) / time(ksg)``: without the interval (``n_subsamples=0``: normal
scores, one Gaussian reference, two KSG runs) and with the default four
half-sample recomputations for the interval.

    nice python -m pytest benchmarks/bench_calibrated.py --benchmark-json=calibrated.json
    nice python benchmarks/bench_calibrated.py --table [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pytest

from pymi.datasets import correlated_normal
from pymi.estimators import KSG
from pymi.estimators.calibrated import CalibratedKSG

N = 5000
DIMS = (1, 2, 5, 10, 25, 50)


def _data(dim: int) -> tuple[np.ndarray, np.ndarray]:
    s = correlated_normal(1.0, dim, dim, N, random_state=dim)
    return s.x, s.y


def _estimators() -> dict[str, Callable[[np.ndarray, np.ndarray], float]]:
    ksg = KSG(k=5)
    point = CalibratedKSG(k=5, n_subsamples=0, random_state=0)
    full = CalibratedKSG(k=5, random_state=0)
    return {
        "ksg": lambda x, y: ksg.estimate(x, y).value,
        "cksg (no interval)": lambda x, y: point.estimate(x, y).value,
        "cksg (default, interval)": lambda x, y: full.estimate(x, y).value,
    }


@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("name", list(_estimators()))
def test_calibrated_vs_ksg(benchmark, dim: int, name: str) -> None:
    x, y = _data(dim)
    fn = _estimators()[name]
    benchmark.extra_info.update({"n": N, "dim_x": dim, "dim_y": dim, "estimator": name})
    benchmark.pedantic(fn, args=(x, y), rounds=3, warmup_rounds=1)


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def table(repeat: int) -> str:
    """Markdown table of median times (ms) and the ratios against KSG."""
    lines = [
        "| d_X = d_Y | ksg (ms) | cksg, no interval (ms) | ratio | cksg default (ms) | ratio |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    ests = _estimators()
    for dim in DIMS:
        x, y = _data(dim)
        t = {name: _median_time(lambda fn=fn: fn(x, y), repeat) for name, fn in ests.items()}
        base = t["ksg"]
        lines.append(
            f"| {dim} | {1e3 * base:.1f} | {1e3 * t['cksg (no interval)']:.1f} | "
            f"{t['cksg (no interval)'] / base:.2f} | {1e3 * t['cksg (default, interval)']:.1f} | "
            f"{t['cksg (default, interval)'] / base:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="print a markdown table")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(table(args.repeat))
