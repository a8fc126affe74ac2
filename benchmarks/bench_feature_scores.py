"""Feature scores: pymi's ``mutual_info_regression`` / ``mutual_info_classif`` against scikit-learn's,
and ``pairwise_mutual_information`` against ennemi's ``pairwise_mi``, same run.

- regression: 100k rows x 20 features (3 informative: linear, sine, square),
  n_neighbors = 3; both with the same ``n_jobs`` (1, or -1 for all cores;
  scikit-learn parallelises features with joblib). Target (issue 15): >= 5x.
  The scores agree to ~1e-7 (the same estimator; only the 1e-10 noise draws
  differ), so the rankings are equal.
- classification: 100k rows x 20 features, 3 classes.
- pairwise: 20k rows x 8 columns, k = 3: ennemi ``pairwise_mi(X, k=3)``
  against ``pymi.pairwise_mutual_information(X, k=3)`` (KSG; pymi whitens each
  column, which changes nothing for one column but the scale).

    nice python -m pytest benchmarks/bench_feature_scores.py --benchmark-json=fs.json
    nice python benchmarks/bench_feature_scores.py --table [--threads 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import numpy as np
import pytest
from bench_knn import Row, machine, markdown, time_pair

import pymi

N, P = 100_000, 20
THREADS = 1


def regression_data(n: int = N, p: int = P, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X[:, 0] + np.sin(3 * X[:, 1]) + 0.5 * X[:, 2] ** 2 + rng.standard_normal(n)
    return X, y


def classif_data(n: int = N, p: int = P, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1] + rng.standard_normal(n), [-1.0, 1.0])
    return X, y


def pairwise_data(n: int = 20_000, p: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1] += X[:, 0]
    X[:, 3] = np.tanh(X[:, 2]) + 0.3 * X[:, 3]
    return X


def _sk(name: str):
    fs = pytest.importorskip("sklearn.feature_selection") if __name__ != "__main__" else None
    if fs is None:
        import sklearn.feature_selection as fs
    return getattr(fs, name)


@pytest.mark.parametrize("impl", ["pymi", "sklearn"])
@pytest.mark.parametrize("n_jobs", [1, -1])
def test_mutual_info_regression(benchmark, impl: str, n_jobs: int) -> None:
    X, y = regression_data()
    fn = pymi.mutual_info_regression if impl == "pymi" else _sk("mutual_info_regression")
    benchmark.group = f"mutual_info_regression {N}x{P} n_jobs={n_jobs}"
    mi = benchmark.pedantic(fn, args=(X, y), kwargs={"random_state": 0, "n_jobs": n_jobs}, rounds=1, iterations=1)
    assert np.argsort(-mi)[:3].tolist() in ([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0])


def test_same_scores_as_sklearn() -> None:
    sk = _sk("mutual_info_regression")
    X, y = regression_data(20_000, 6)
    ours = pymi.mutual_info_regression(X, y, random_state=0)
    theirs = sk(X, y, random_state=0)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert np.argsort(-ours).tolist() == np.argsort(-theirs).tolist()


def table(repeat: int) -> tuple[list[Row], list[dict]]:
    rows, records = [], []
    import sklearn.feature_selection as fs

    X, y = regression_data()
    tb, to = time_pair(
        lambda: fs.mutual_info_regression(X, y, random_state=0, n_jobs=THREADS),
        lambda: pymi.mutual_info_regression(X, y, random_state=0, n_jobs=THREADS),
        repeat,
    )
    ours = pymi.mutual_info_regression(X, y, random_state=0, n_jobs=THREADS)
    theirs = fs.mutual_info_regression(X, y, random_state=0, n_jobs=THREADS)
    rows.append(Row("mutual_info_regression vs sklearn", f"{N}x{P} k=3 n_jobs={THREADS}", tb, to, ">= 5x"))
    records.append({
        "case": "mutual_info_regression", "n": N, "p": P, "n_jobs": THREADS, "sklearn_s": tb, "pymi_s": to,
        "ratio": tb / to, "max_abs_diff": float(np.max(np.abs(ours - theirs))),
        "same_ranking": np.argsort(-ours).tolist() == np.argsort(-theirs).tolist(),
    })
    print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    X, y = classif_data()
    tb, to = time_pair(
        lambda: fs.mutual_info_classif(X, y, random_state=0, n_jobs=THREADS),
        lambda: pymi.mutual_info_classif(X, y, random_state=0, n_jobs=THREADS),
        repeat,
    )
    ours = pymi.mutual_info_classif(X, y, random_state=0, n_jobs=THREADS)
    theirs = fs.mutual_info_classif(X, y, random_state=0, n_jobs=THREADS)
    rows.append(Row("mutual_info_classif vs sklearn", f"{N}x{P} 3 classes k=3 n_jobs={THREADS}", tb, to))
    records.append({
        "case": "mutual_info_classif", "n": N, "p": P, "n_jobs": THREADS, "sklearn_s": tb, "pymi_s": to,
        "ratio": tb / to, "max_abs_diff": float(np.max(np.abs(ours - theirs))),
        "same_ranking": np.argsort(-ours).tolist() == np.argsort(-theirs).tolist(),
    })
    print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    try:
        import ennemi
    except ImportError:
        return rows, records
    Xp = pairwise_data()
    tb, to = time_pair(
        lambda: ennemi.pairwise_mi(Xp, k=3, max_threads=None if THREADS == -1 else THREADS),
        lambda: pymi.pairwise_mutual_information(Xp, k=3, n_jobs=THREADS, random_state=0),
        repeat,
    )
    ours = pymi.pairwise_mutual_information(Xp, k=3, n_jobs=THREADS, random_state=0)
    theirs = np.asarray(ennemi.pairwise_mi(Xp, k=3))
    off = ~np.eye(Xp.shape[1], dtype=bool)
    rows.append(Row("pairwise MI vs ennemi", f"{Xp.shape[0]}x{Xp.shape[1]} k=3 n_jobs={THREADS}", tb, to))
    records.append({
        "case": "pairwise_mutual_information", "n": Xp.shape[0], "p": Xp.shape[1], "n_jobs": THREADS,
        "ennemi_s": tb, "pymi_s": to, "ratio": tb / to,
        "max_abs_diff": float(np.max(np.abs(ours[off] - theirs[off]))),
    })
    print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    return rows, records


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="n_jobs for both implementations")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("nothing to do; pass --table (or run the suite with pytest)")
    global THREADS
    THREADS = args.threads
    print(f"machine: {machine()}; n_jobs: {THREADS}\n", flush=True)
    t0 = time.perf_counter()
    rows, records = table(args.repeat)
    print("\n" + markdown(rows))
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": machine(), "rows": records}, fh, indent=1)


if __name__ == "__main__":
    main()
