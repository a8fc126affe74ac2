"""Portable build (run-time AVX2 dispatch) against a ``-march=native`` build.

Times the kNN, KSG and KDE suites on up to three compiled cores, one worker
process per core (a process can hold only one module named ``_core``), the
workers driven case by case in turn, so that load from other processes hits
every variant alike:

- ``portable``: the installed ``pymi._core`` (default build: baseline, AVX2 and
  AVX-512 KDE kernels, the best the CPU supports chosen at import);
- ``avx2``: the same file with ``PYMI_DISABLE_AVX512=1`` (``--avx2``);
- ``baseline``: the same file with ``PYMI_DISABLE_AVX2=1`` (the path a CPU
  without AVX2 takes; ``--baseline``, slow);
- ``native``: a ``_core`` built with ``-DPYMI_NATIVE=ON`` (``--native PATH``).

Each suite runs pymi's public code path (``pymi._neighbors.knn``,
``pymi.estimators.KSG``, ``pymi._kde.loo_log_density``) with the module under
test swapped in, on one thread. A case's time (process CPU time, or wall time
with ``--wall``) is the minimum over ``--rounds`` rounds; the suite ratio is the geometric mean over its cases of
time(variant) / time(native). Results go to ``benchmarks/results/portable.json``
and ``portable.md``.

Build the native core once (incremental afterwards)::

    cmake -S . -B build/native -G Ninja -DPYMI_NATIVE=ON -DPYMI_CUDA=OFF -DSKBUILD=ON \\
        -Dpybind11_DIR=$(python -m pybind11 --cmakedir)
    cmake --build build/native
    python benchmarks/bench_portable.py --native build/native/_core.*.so
"""

from __future__ import annotations

import argparse
import glob
import importlib.machinery
import importlib.util
import json
import math
import multiprocessing
import os
import platform
import time
from pathlib import Path

import numpy as np

import pymi
import pymi._core
import pymi._kde
import pymi._neighbors
import pymi.estimators.knn
from pymi.estimators import KSG

RESULTS = Path(__file__).resolve().parent / "results"
#: Modules that hold a reference to the compiled core.
HOLDERS = (pymi._neighbors, pymi._kde, pymi.estimators.knn)

KNN_CASES = [(10_000, d, m) for d in (2, 4, 8, 16, 32) for m in ("euclidean", "chebyshev")]
KSG_CASES = [(10_000, dm) for dm in (1, 2, 4, 8)]
KDE_CASES = [(4_000, d) for d in (2, 8, 16)]
CPU_TIME = True


def load_core(path: str):
    """Load a compiled ``_core`` from ``path`` as a module of its own."""
    loader = importlib.machinery.ExtensionFileLoader("_core", path)
    spec = importlib.util.spec_from_file_location("_core", path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def use(core) -> None:
    """Make pymi's Python layer call ``core``."""
    for holder in HOLDERS:
        holder._core = core


def cases():
    """(suite, name, function) for every case; the same data in every worker."""
    rng = np.random.default_rng(0)
    out = []
    for n, d, metric in KNN_CASES:
        x = rng.standard_normal((n, d))
        out.append(("knn", f"n={n} d={d} {metric}",
                    lambda x=x, m=metric: pymi._neighbors.knn(x, 5, metric=m, n_jobs=1, device="cpu")))
    for n, dm in KSG_CASES:
        x = rng.standard_normal((n, dm))
        y = x + rng.standard_normal((n, dm))
        est = KSG(k=3, n_jobs=1, device="cpu")
        out.append(("ksg", f"n={n} dx=dy={dm}", lambda x=x, y=y, e=est: e.mutual_information(x, y)))
    for n, d in KDE_CASES:
        x = rng.standard_normal((n, d))
        h = np.geomspace(0.1, 1.0, 4)
        out.append(("kde", f"n={n} d={d} 4 bandwidths",
                    lambda x=x, h=h: pymi._kde.loo_log_density(x, h, n_jobs=1, device="cpu")))
    return out


def worker(conn, native_path: str | None, cpu_time: bool) -> None:
    """Serve timings: receive a case index, run it once, send the seconds."""
    global CPU_TIME
    CPU_TIME = cpu_time
    if native_path is not None:
        use(load_core(native_path))
    todo = cases()
    conn.send(pymi._neighbors._core.simd_level())
    while (i := conn.recv()) is not None:
        fn = todo[i][2]
        # CPU time of this process (one thread): what the kernels cost, without
        # the waits for a core that other processes on a busy machine add
        t0 = time.process_time() if CPU_TIME else time.perf_counter()
        fn()
        conn.send((time.process_time() if CPU_TIME else time.perf_counter()) - t0)


def start_worker(native_path: str | None = None, *, disable: str | None = None, cpu_time: bool = True):
    """A worker process; ``disable``: the PYMI_DISABLE_* variable it runs with."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    names = ("PYMI_DISABLE_AVX2", "PYMI_DISABLE_AVX512")
    old = {v: os.environ.get(v) for v in names}
    for v in names:  # inherited at spawn
        os.environ[v] = "1" if v == disable else "0"
    try:
        proc = ctx.Process(target=worker, args=(child, native_path, cpu_time), daemon=True)
        proc.start()
    finally:
        for v, val in old.items():
            if val is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = val
    return proc, parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--native", help="path of a _core built with -DPYMI_NATIVE=ON")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--avx2", action="store_true", help="also time the AVX2 path (PYMI_DISABLE_AVX512=1)")
    parser.add_argument("--baseline", action="store_true", help="also time the baseline path (slow)")
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of process CPU time")
    parser.add_argument("--out", default=str(RESULTS / "portable"))
    args = parser.parse_args()

    cpu = not args.wall
    workers = {"portable": start_worker(cpu_time=cpu)}
    if args.avx2:
        workers["avx2"] = start_worker(disable="PYMI_DISABLE_AVX512", cpu_time=cpu)
    if args.baseline:
        workers["baseline"] = start_worker(disable="PYMI_DISABLE_AVX2", cpu_time=cpu)
    if args.native:
        (native_path,) = glob.glob(args.native)
        workers["native"] = start_worker(native_path, cpu_time=cpu)
    variants = list(workers)
    levels = {v: workers[v][1].recv() for v in variants}
    print("variants:", levels)
    assert levels["portable"] in ("avx512", "avx2")
    assert levels.get("avx2", "avx2") == "avx2" and levels.get("baseline", "baseline") == "baseline"
    assert levels.get("native", "native") == "native"

    todo = cases()
    best = {(s, c, v): math.inf for s, c, _ in todo for v in variants}
    for r in range(args.rounds):
        order = variants if r % 2 == 0 else variants[::-1]
        for i, (suite, case, _) in enumerate(todo):
            for v in order:
                conn = workers[v][1]
                conn.send(i)
                best[suite, case, v] = min(best[suite, case, v], conn.recv())
        print(f"round {r + 1}/{args.rounds} done", flush=True)
    for proc, conn in workers.values():
        conn.send(None)
        proc.join()

    ref = "native" if "native" in variants else "portable"
    rows, suites = [], {}
    for suite, case, _ in todo:
        row = {"suite": suite, "case": case, **{f"{v}_s": best[suite, case, v] for v in variants}}
        for v in variants:
            row[f"{v}/{ref}"] = best[suite, case, v] / best[suite, case, ref]
            suites.setdefault((suite, v), []).append(math.log(row[f"{v}/{ref}"]))
        rows.append(row)
    summary = {f"{s} {v}/{ref}": math.exp(sum(ls) / len(ls)) for (s, v), ls in suites.items()}
    meta = {
        "pymi": pymi.__version__,
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "levels": levels,
        "rounds": args.rounds,
        "threads": 1,
        "clock": "wall" if args.wall else "process CPU time",
        "statistic": "min over rounds; suite ratio = geometric mean over cases",
    }
    RESULTS.mkdir(exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "summary": summary, "cases": rows}, indent=1))
    lines = [
        "# Portable build vs -march=native",
        "",
        f"Generated by `benchmarks/bench_portable.py` ({args.rounds} interleaved rounds, one thread, "
        f"{meta['clock']}, minimum per case); variants: {levels}.",
        "",
        "| suite | " + " | ".join(f"{v}/{ref}" for v in variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for s in ("knn", "ksg", "kde"):
        lines.append(f"| {s} | " + " | ".join(f"{summary[f'{s} {v}/{ref}']:.3f}" for v in variants) + " |")
    lines += ["", "| suite | case | " + " | ".join(f"{v} (ms)" for v in variants) + " |",
              "|---|---|" + "---|" * len(variants)]
    for row in rows:
        lines.append(f"| {row['suite']} | {row['case']} | "
                     + " | ".join(f"{1e3 * row[f'{v}_s']:.1f}" for v in variants) + " |")
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:10]))


if __name__ == "__main__":
    main()
