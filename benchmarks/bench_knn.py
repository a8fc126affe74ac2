"""Exact all-points kNN: pymi against scipy's cKDTree and faiss IndexFlatL2.

Every case is a same-run ratio against a baseline:

- low dimension (float64): ``pymi._neighbors.knn`` (auto backend: the kd-tree)
  vs ``cKDTree(x).query(x, k + 1, workers=-1)``; target >= 2x for d <= 4;
- high dimension (float32): ``pymi._neighbors.knn`` (auto: tiled brute force)
  vs faiss ``IndexFlatL2`` (build + search k + 1); target >= 5x at d = 16.

pytest-benchmark (groups pair pymi with its baseline)::

    nice python -m pytest benchmarks/bench_knn.py [--huge] --benchmark-json=knn.json

Markdown table of medians and ratios (what benchmarks/README.md shows)::

    nice python benchmarks/bench_knn.py --table [--huge] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest

K = 5

# (n, d, huge) cases
CKDTREE_CASES: list[tuple[int, int, bool]] = [
    *[(10_000, d, False) for d in (2, 3, 4, 8)],
    *[(100_000, d, False) for d in (2, 3, 4)],
    (100_000, 8, True),
    *[(1_000_000, d, True) for d in (2, 3, 4)],
]
FAISS_CASES: list[tuple[int, int, bool]] = [
    *[(10_000, d, False) for d in (8, 16, 32, 64)],
    *[(30_000, d, True) for d in (16, 32)],
    (100_000, 16, True),
]


# ---------------------------------------------------------------------------
# the implementations
# ---------------------------------------------------------------------------


def data(n: int, d: int, dtype: type = np.float64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d)).astype(dtype)


# Threads for every implementation: -1 = all cores (the default comparison);
# `--threads 1` compares single-threaded code, which is far less sensitive to
# other load on a shared machine.
THREADS = -1


def pymi_knn(x: np.ndarray, k: int = K):
    from pymi._neighbors import knn

    return knn(x, k, metric="euclidean", n_jobs=THREADS)


def ckdtree_knn(x: np.ndarray, k: int = K):
    from scipy.spatial import cKDTree

    return cKDTree(x).query(x, k + 1, workers=THREADS)


def faiss_knn(x: np.ndarray, k: int = K):
    import faiss

    if THREADS > 0:
        faiss.omp_set_num_threads(THREADS)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    return index.search(x, k + 1)


# ---------------------------------------------------------------------------
# pytest-benchmark
# ---------------------------------------------------------------------------


def _params(cases: list[tuple[int, int, bool]]) -> list:
    return [
        pytest.param(n, d, marks=[pytest.mark.huge] if huge else [], id=f"n={n}-d={d}")
        for n, d, huge in cases
    ]


def _rounds(n: int, d: int) -> int:
    return 5 if n * d <= 400_000 else 3


@pytest.mark.parametrize(("n", "d"), _params(CKDTREE_CASES))
@pytest.mark.parametrize("impl", ["pymi", "ckdtree"])
def test_knn_vs_ckdtree(benchmark, impl: str, n: int, d: int) -> None:
    benchmark.group = f"knn vs cKDTree: n={n} d={d} k={K}"
    x = data(n, d, np.float64)
    fn = pymi_knn if impl == "pymi" else ckdtree_knn
    benchmark.pedantic(fn, args=(x,), rounds=_rounds(n, d), iterations=1, warmup_rounds=1)


@pytest.mark.parametrize(("n", "d"), _params(FAISS_CASES))
@pytest.mark.parametrize("impl", ["pymi", "faiss"])
def test_knn_vs_faiss(benchmark, impl: str, n: int, d: int) -> None:
    benchmark.group = f"knn vs faiss IndexFlatL2: n={n} d={d} k={K}"
    x = data(n, d, np.float32)
    fn = pymi_knn if impl == "pymi" else faiss_knn
    benchmark.pedantic(fn, args=(x,), rounds=3, iterations=1, warmup_rounds=1)


# ---------------------------------------------------------------------------
# markdown table (shared with bench_ksg.py)
# ---------------------------------------------------------------------------


@dataclass
class Row:
    comparison: str
    case: str
    baseline_s: float
    pymi_s: float
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.baseline_s / self.pymi_s


def time_pair(
    baseline: Callable[[], object], ours: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Medians of ``repeat`` interleaved runs of baseline and ours (wall clock, seconds).

    One timed warm-up run each first; cases where both take under 0.1 s get
    three times the runs (short runs are the most exposed to scheduling noise).
    Interleaving exposes both to the same machine load, so the ratio holds
    even on a busy machine.
    """
    t = time.perf_counter()
    baseline()
    ours()
    if time.perf_counter() - t < 0.2:
        repeat *= 3
    tb, to = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        baseline()
        tb.append(time.perf_counter() - t)
        t = time.perf_counter()
        ours()
        to.append(time.perf_counter() - t)
    return statistics.median(tb), statistics.median(to)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} cores, load average {load:.1f} at start"


def markdown(rows: Sequence[Row]) -> str:
    lines = [
        "| comparison | case | baseline median (s) | pymi median (s) | speed-up | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.comparison} | {r.case} | {r.baseline_s:.4g} | {r.pymi_s:.4g} | {r.ratio:.1f}x | {r.target} |"
        )
    return "\n".join(lines)


def table_rows(huge: bool, repeat: int) -> list[Row]:
    rows = []
    for n, d, is_huge in CKDTREE_CASES:
        if is_huge and not huge:
            continue
        x = data(n, d, np.float64)
        tb, to = time_pair(lambda x=x: ckdtree_knn(x), lambda x=x: pymi_knn(x), repeat)
        rows.append(
            Row("kNN vs cKDTree (f64)", f"n={n:.0e} d={d} k={K}", tb, to, ">= 2x" if d <= 4 else "")
        )
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    for n, d, is_huge in FAISS_CASES:
        if is_huge and not huge:
            continue
        x = data(n, d, np.float32)
        reps = repeat if n <= 10_000 else max(1, repeat // 2)
        tb, to = time_pair(lambda x=x: faiss_knn(x), lambda x=x: pymi_knn(x), reps)
        rows.append(
            Row(
                "kNN vs faiss IndexFlatL2 (f32)",
                f"n={n:.0e} d={d} k={K}",
                tb,
                to,
                ">= 5x" if d == 16 else "",
            )
        )
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--table", action="store_true", help="print a markdown table of medians and ratios"
    )
    parser.add_argument("--huge", action="store_true", help="include the large cases")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs per implementation and case"
    )
    parser.add_argument(
        "--threads", type=int, default=-1, help="threads for every implementation (-1: all cores)"
    )
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("nothing to do; pass --table (or run the suite with pytest)")
    global THREADS
    THREADS = args.threads
    print(f"machine: {machine()}; threads: {THREADS}\n", flush=True)
    rows = table_rows(args.huge, args.repeat)
    print("\n" + markdown(rows))


if __name__ == "__main__":
    main()
