"""Permutation tests: how to spend the threads, and pymi against NPEET's ``shuffle_test``.

``pymi.permutation_test`` can run permutations side by side in a thread pool
with single-threaded kernels (``parallel="permutations"``, the default) or one
after the other with multi-threaded kernels (``parallel="kernels"``). Both are
timed here with ``n_jobs=-1``, and a serial run (``n_jobs=1``) as the
baseline, on KSG (I = 0.1 nats, N = 5000, 199 permutations) and on the
conditional (local permutation) test (N = 5000, d_Z = 2, 99 permutations).
NPEET's ``shuffle_test(mi, x, y, ns=199)`` (``pip install npeet-plus``) is the
library baseline for the unconditional test.

    nice python benchmarks/bench_significance.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence

from bench_knn import machine

import pymi
from pymi.datasets import correlated_normal
from pymi.datasets.conditional import conditional_normal


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    s = correlated_normal(0.1, 1, 1, 5000, random_state=0)
    c = conditional_normal(0.1, 1, 1, 2, 5000, random_state=0)
    cases = {
        "MI n=5000 B=199": lambda **kw: pymi.permutation_test(s.x, s.y, n_permutations=199, random_state=0, **kw),
        "CMI n=5000 dz=2 B=99": lambda **kw: pymi.permutation_test(
            c.x, c.y, c.z, n_permutations=99, random_state=0, **kw
        ),
    }
    rows = []
    print(f"machine: {machine()}")
    for name, run in cases.items():
        serial = _median_time(lambda run=run: run(n_jobs=1), args.repeat)
        perms = _median_time(lambda run=run: run(n_jobs=-1, parallel="permutations"), args.repeat)
        kernels = _median_time(lambda run=run: run(n_jobs=-1, parallel="kernels"), args.repeat)
        row = {"case": name, "serial_s": serial, "threads_over_permutations_s": perms, "threaded_kernels_s": kernels}
        rows.append(row)
        print(row, flush=True)
    try:
        from npeet_plus.estimators import mi, shuffle_test

        npeet = _median_time(lambda: shuffle_test(mi, s.x, s.y, ns=199), args.repeat)
        ours = _median_time(lambda: pymi.permutation_test(s.x, s.y, n_permutations=199, random_state=0), args.repeat)
        row = {"case": "MI n=5000 B=199 vs NPEET shuffle_test", "npeet_s": npeet, "pymi_s": ours, "ratio": npeet / ours}
        rows.append(row)
        print(row, flush=True)
    except ImportError:
        pass
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine(), "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
