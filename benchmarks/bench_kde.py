"""Benchmarks of the LOO Gaussian KDE (Butakov et al., ICLR 2024, leave-one-out KDE): compiled kernel vs chunked NumPy.

Run (default: the short cases; results as JSON):

    python -m pytest benchmarks/bench_kde.py --benchmark-json=bench_kde.json

The N = 1e5 cases are marked ``slow`` and run only with ``PYMI_BENCH_BIG=1``.

Each case times the LOO log-likelihood (``pymi._kde.loo_log_density(...).mean``)
for 5 bandwidths, float32 input, everything included (the default log-sum-exp
shift is the O(N d) upper bound), against a chunked NumPy float32
implementation in the same run. For N = 1e5 NumPy is timed on the first
``NUMPY_ROWS_BIG`` rows (against all N columns) and extrapolated linearly in
rows: its cost is exactly proportional to the row count. Throughput is
"pair-exponentials per second" = N (N - 1) m / time. Wall-clock medians are
what pytest-benchmark reports; the process CPU time per round is recorded too
(``*_cpu_s``), because the 2-core machine is shared and wall time then
includes waiting.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from pymi import _kde

BANDWIDTHS = np.geomspace(0.2, 1.0, 5)
BIG = os.environ.get("PYMI_BENCH_BIG") == "1"
NUMPY_ROWS_BIG = 1000


def numpy_loo_log_sums(
    x: np.ndarray, h: np.ndarray, rows: int | None = None, block_bytes: int = 8 << 20
) -> np.ndarray:
    """Chunked NumPy float32 implementation of the kernel log sums (the baseline).

    Squared distances by the GEMM identity |a|^2 + |b|^2 - 2 a.b (the fastest
    NumPy formulation), self excluded, each row shifted by its own minimum,
    then one exp + sum per bandwidth, over blocks of rows sized to
    ``block_bytes`` (never the full N x N matrix).
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = len(x)
    rows = n if rows is None else rows
    sq = np.einsum("ij,ij->i", x, x)
    c = (-0.5 / (h * h)).astype(np.float32)
    out = np.empty((len(h), rows))
    block = max(1, block_bytes // (4 * n))
    buf = np.empty((block, n), dtype=np.float32)
    tmp = np.empty((block, n), dtype=np.float32)
    for i0 in range(0, rows, block):
        i1 = min(rows, i0 + block)
        r2 = buf[: i1 - i0]
        np.matmul(x[i0:i1], x.T, out=r2)
        r2 *= -2.0
        r2 += sq[i0:i1, None]
        r2 += sq[None, :]
        np.maximum(r2, 0.0, out=r2)
        r2[np.arange(i1 - i0), np.arange(i0, i1)] = np.inf  # j == i
        shift = r2.min(axis=1)
        r2 -= shift[:, None]
        t = tmp[: i1 - i0]
        for b in range(len(h)):
            np.multiply(r2, c[b], out=t)
            np.exp(t, out=t)
            out[b, i0:i1] = np.log(t.sum(axis=1, dtype=np.float64)) + c[b] * shift
    return out


def _time(fn) -> tuple[float, float]:
    """(wall, process CPU) seconds of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


CASES = [
    pytest.param(10_000, 4, id="N1e4-d4"),
    pytest.param(10_000, 8, id="N1e4-d8"),
    pytest.param(10_000, 16, id="N1e4-d16"),
    *[
        pytest.param(
            100_000,
            d,
            id=f"N1e5-d{d}",
            marks=[pytest.mark.slow, pytest.mark.skipif(not BIG, reason="set PYMI_BENCH_BIG=1")],
        )
        for d in (4, 8, 16)
    ],
]


@pytest.mark.parametrize(("n", "d"), CASES)
def test_loo_loglik_vs_numpy(benchmark, n, d):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d)).astype(np.float32)
    m = len(BANDWIDTHS)
    pair_exps = n * (n - 1) * m

    def ours():
        return _kde.loo_log_density(x, BANDWIDTHS).mean(axis=1)

    rounds = 1 if n > 50_000 else 3
    cpu0 = time.process_time()
    result = benchmark.pedantic(ours, rounds=rounds, iterations=1, warmup_rounds=0)
    cpu_s = (time.process_time() - cpu0) / rounds
    ours_s = benchmark.stats.stats.median

    # NumPy baseline in the same run (subset of rows for the big cases)
    rows = n if n <= 20_000 else NUMPY_ROWS_BIG
    numpy_s, numpy_cpu_s = _time(lambda: numpy_loo_log_sums(x, BANDWIDTHS, rows=rows))
    numpy_s *= n / rows
    numpy_cpu_s *= n / rows
    # check agreement on rows NumPy computed
    ref = numpy_loo_log_sums(x, BANDWIDTHS, rows=200)
    got = _kde.loo_log_density(x[:], BANDWIDTHS)[:, :200]
    norm = np.log(n - 1) + 0.5 * d * np.log(2 * np.pi * BANDWIDTHS**2)
    np.testing.assert_allclose(got, ref - norm[:, None], atol=1e-3)
    assert np.all(np.isfinite(result))

    benchmark.extra_info.update(
        n=n,
        d=d,
        bandwidths=m,
        ours_median_s=ours_s,
        ours_cpu_s=cpu_s,
        pair_exp_per_s=pair_exps / ours_s,
        pair_exp_per_cpu_s=pair_exps / cpu_s,
        numpy_s=numpy_s,
        numpy_cpu_s=numpy_cpu_s,
        numpy_rows_timed=rows,
        numpy_extrapolated=rows < n,
        numpy_pair_exp_per_s=pair_exps / numpy_s,
        speedup_vs_numpy=numpy_s / ours_s,
        speedup_vs_numpy_cpu=numpy_cpu_s / cpu_s,
    )
    print(
        f"\nN={n} d={d} m={m}: ours {ours_s:.3f} s wall / {cpu_s:.3f} s cpu "
        f"({pair_exps / ours_s / 1e9:.2f} G pair-exp/s wall, {pair_exps / cpu_s / 1e9:.2f} per cpu-s); "
        f"numpy {numpy_s:.2f} s wall / {numpy_cpu_s:.2f} s cpu{' (extrapolated)' if rows < n else ''} "
        f"({pair_exps / numpy_s / 1e9:.3f} G/s); ratio {numpy_s / ours_s:.1f}x wall, "
        f"{numpy_cpu_s / cpu_s:.1f}x cpu"
    )


def test_kde_ml_entropy_end_to_end(benchmark):
    """KDE-ML entropy at N = 5000, d = 4 (float64): bandwidth search + entropy terms."""
    x = np.random.default_rng(1).standard_normal((5000, 4))

    def entropy():
        shift = _kde.upper_bound_shift(x)
        res = _kde.select_bandwidth(x, "ml", shift_sq=shift)
        return _kde.kde_entropy_terms(x, res.bandwidth, shift_sq=shift).mean(), res

    cpu0 = time.process_time()
    value, res = benchmark.pedantic(entropy, rounds=5, iterations=1, warmup_rounds=1)
    cpu_s = (time.process_time() - cpu0) / 6
    true = 0.5 * 4 * np.log(2 * np.pi * np.e)
    benchmark.extra_info.update(
        entropy_nats=float(value),
        true_nats=true,
        passes=res.passes,
        bandwidth=res.bandwidth,
        cpu_s_per_round=cpu_s,
    )
    print(
        f"\nKDE-ML entropy N=5000 d=4: {benchmark.stats.stats.median:.3f} s median "
        f"(cpu {cpu_s:.3f} s), {res.passes} search passes + 1, H={value:.4f} (true {true:.4f})"
    )
    assert abs(value - true) < 0.2
