"""``pymi sweep --quick`` with Dask worker processes against one process.

The whole command is timed (``python -m pymi.cli sweep --quick --out <fresh folder>``,
start-up of the interpreter, PyTorch and the workers included): 6 information-plane
runs on the shipped MNIST digits, with ``--workers 1`` (in-process, the baseline) and
``--workers 2`` (an embedded LocalCluster of 2 single-threaded processes). Each
repetition writes a fresh sweep folder; the two folders' tables must be identical.

pytest-benchmark (one group, the two cases)::

    nice python -m pytest benchmarks/bench_sweep.py --benchmark-json=sweep.json

Markdown table of medians and the ratio (interleaved repetitions)::

    nice python benchmarks/bench_sweep.py --table [--repeat 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from bench_knn import machine

TABLES = ("mi.csv", "epochs.csv", "summary.csv", "summary.md")


def sweep(workers: int, out: Path) -> float:
    """Wall time (s) of ``pymi sweep --quick --workers N --out out`` in a new process."""
    cmd = [sys.executable, "-m", "pymi.cli", "sweep", "--quick", "--workers", str(workers)]
    t = time.perf_counter()
    subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - t


@pytest.mark.parametrize("workers", [1, 2])
def test_quick_sweep(benchmark, tmp_path, workers: int) -> None:
    benchmark.group = "pymi sweep --quick (6 ib runs)"
    folders = iter(range(100))

    def fresh() -> tuple[tuple[int, Path], dict]:
        return (workers, tmp_path / f"sweep-{next(folders)}"), {}

    benchmark.pedantic(sweep, setup=fresh, rounds=2, iterations=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="print the markdown table")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(machine())
    one, many = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            a, b = Path(tmp) / f"w1-{r}", Path(tmp) / f"w{args.workers}-{r}"
            one.append(sweep(1, a))
            many.append(sweep(args.workers, b))
            same = all((a / t).read_bytes() == (b / t).read_bytes() for t in TABLES)
            print(f"repeat {r}: {one[-1]:.1f} s vs {many[-1]:.1f} s; tables identical: {same}")
    t1, tn = statistics.median(one), statistics.median(many)
    print()
    print(
        "| command | --workers 1 median (s) | "
        + f"--workers {args.workers} median (s) | speed-up |"
    )
    print("|---|---:|---:|---:|")
    print(f"| pymi sweep --quick (6 ib runs) | {t1:.1f} | {tn:.1f} | {t1 / tn:.2f}x |")


if __name__ == "__main__":
    main()
