"""Portable build (run-time AVX2 dispatch) against a ``-march=native`` build.

Loads up to three compiled cores into one process and times the kNN, KSG and
KDE suites on each, interleaved round by round so that load from other
processes hits every variant alike:

- ``portable``: the installed ``pymi._core`` (default build: baseline + AVX2
  kernels, AVX2 chosen at import on this machine);
- ``baseline``: a copy of the same file loaded with ``PYMI_DISABLE_AVX2=1``
  (the path a CPU without AVX2 takes);
- ``native``: a ``_core`` built with ``-DPYMI_NATIVE=ON`` (``--native PATH``).

Each suite runs pymi's public code path (``pymi._neighbors.knn``,
``pymi.estimators.KSG``, ``pymi._kde.loo_log_density``) with the module under
test swapped in, on one thread. A case's time is the minimum over ``--rounds``
rounds; the suite ratio is the geometric mean over its cases of
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
import contextlib
import glob
import importlib.machinery
import importlib.util
import json
import math
import os
import platform
import shutil
import tempfile
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


def load_core(path: str, *, disable_avx2: bool = False):
    """Load a compiled ``_core`` from ``path`` as a module of its own."""
    tmp = tempfile.mkdtemp(prefix="pymi_core_")
    copy = os.path.join(tmp, os.path.basename(path))
    shutil.copy(path, copy)  # a distinct file: its own dlopen and its own dispatch state
    old = os.environ.get("PYMI_DISABLE_AVX2")
    if disable_avx2:
        os.environ["PYMI_DISABLE_AVX2"] = "1"
    try:
        loader = importlib.machinery.ExtensionFileLoader("_core", copy)
        spec = importlib.util.spec_from_file_location("_core", copy, loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    finally:
        if old is None:
            os.environ.pop("PYMI_DISABLE_AVX2", None)
        else:
            os.environ["PYMI_DISABLE_AVX2"] = old
    return module


@contextlib.contextmanager
def using(core):
    saved = [h._core for h in HOLDERS]
    for h in HOLDERS:
        h._core = core
    try:
        yield
    finally:
        for h, c in zip(HOLDERS, saved):
            h._core = c


def cases():
    """(suite, name, function) for every case; data made once."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--native", help="path of a _core built with -DPYMI_NATIVE=ON")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS / "portable"))
    args = parser.parse_args()

    portable_path = pymi._core.__file__
    variants = {"portable": pymi._core, "baseline": load_core(portable_path, disable_avx2=True)}
    if args.native:
        (native_path,) = glob.glob(args.native)
        variants["native"] = load_core(native_path)
    levels = {name: mod.simd_level() for name, mod in variants.items()}
    print("variants:", levels)
    assert levels["portable"] in ("avx2", "baseline") and levels["baseline"] == "baseline"

    todo = cases()
    best = {(s, c, v): math.inf for s, c, _ in todo for v in variants}
    for r in range(args.rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for suite, case, fn in todo:
            for v in order:
                with using(variants[v]):
                    t0 = time.perf_counter()
                    fn()
                    best[suite, case, v] = min(best[suite, case, v], time.perf_counter() - t0)
        print(f"round {r + 1}/{args.rounds} done")

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
        "statistic": "min over rounds; suite ratio = geometric mean over cases",
    }
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "summary": summary, "cases": rows}, indent=1))
    lines = [
        "# Portable build vs -march=native",
        "",
        f"Generated by `benchmarks/bench_portable.py` ({args.rounds} interleaved rounds, one thread, "
        f"minimum per case); variants: {levels}.",
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
