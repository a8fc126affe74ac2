"""``pymi bench --preset images-quick`` with Dask worker processes against one process.

The whole command is timed (``python -m pymi.cli bench --preset images-quick --out
<fresh folder>``: interpreter and PyTorch start-up, the compressor fits, the 66
estimates, the report): ``--workers 1`` (in-process, the baseline) against
``--workers N`` (an embedded LocalCluster of N single-threaded processes). Each
repetition writes a fresh run folder; the two ``results.csv`` must hold the same rows
with the same values (the ``seconds`` column and the row order aside).

Where the time goes, and so what workers can gain: the one autoencoder fit of the
preset is a single job (it cannot be split), and the cluster is started twice (once
for the compressor fits, once for the grid points, which need the fitted
compressors); only the 11 grid points run in parallel.

pytest-benchmark (one group, the two cases)::

    nice python -m pytest benchmarks/bench_workers.py --benchmark-json=workers.json

Markdown table of medians and the ratio (interleaved repetitions)::

    nice python benchmarks/bench_workers.py --table [--repeat 3] [--workers 2] [--preset quick]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from bench_knn import machine

PRESET = "images-quick"


def bench(workers: int, out: Path, preset: str = PRESET) -> float:
    """Wall time (s) of ``pymi bench --preset PRESET --workers N --out out`` in a new process."""
    cmd = [sys.executable, "-m", "pymi.cli", "bench", "--preset", preset, "--no-progress"]
    t = time.perf_counter()
    subprocess.run(
        [*cmd, "--workers", str(workers), "--out", str(out)], check=True, capture_output=True
    )
    return time.perf_counter() - t


def rows(out: Path) -> list[tuple[str, ...]]:
    """The rows of ``results.csv`` without the timing column, sorted."""
    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        return sorted(tuple(v for k, v in r.items() if k != "seconds") for r in csv.DictReader(fh))


@pytest.mark.parametrize("workers", [1, 2])
def test_images_quick(benchmark, tmp_path, workers: int) -> None:
    benchmark.group = f"pymi bench --preset {PRESET}"
    folders = iter(range(100))

    def fresh() -> tuple[tuple[int, Path], dict]:
        return (workers, tmp_path / f"run-{next(folders)}"), {}

    benchmark.pedantic(bench, setup=fresh, rounds=2, iterations=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="print the markdown table")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--preset", default=PRESET, help=f"the preset to run (default {PRESET})")
    args = parser.parse_args()
    print(machine())
    one, many = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeat):
            a, b = Path(tmp) / f"w1-{r}", Path(tmp) / f"w{args.workers}-{r}"
            one.append(bench(1, a, args.preset))
            many.append(bench(args.workers, b, args.preset))
            same = rows(a) == rows(b)
            print(f"repeat {r}: {one[-1]:.1f} s vs {many[-1]:.1f} s; same rows and values: {same}")
    t1, tn = statistics.median(one), statistics.median(many)
    print()
    print(f"| command | --workers 1 median (s) | --workers {args.workers} median (s) | speed-up |")
    print("|---|---:|---:|---:|")
    print(f"| pymi bench --preset {args.preset} | {t1:.1f} | {tn:.1f} | {t1 / tn:.2f}x |")


if __name__ == "__main__":
    main()
