"""GPU benchmarks of the CUDA kernels, each against a baseline timed in the same run.

Skipped (every case) without a CUDA device and a CUDA build of pymi. Run on a GPU
machine, e.g. through ``benchmarks/gpu_check.sh``:

    python -m pytest benchmarks/bench_gpu.py -q -s --benchmark-json=bench_gpu.json

Cases (float32 input, standard-normal data, one GPU, the CPU baselines on every core):

* KDE leave-one-out kernel sums, 5 bandwidths ``geomspace(0.2, 1, 5)``, N = 1e5,
  d in {4, 16}: pair-exponentials per second, N (N - 1) m / time, and two
  fractions of the device's peak rates: the FP32 pipes, counting 3 d + 3 m
  FP32 operations per pair (a subtraction and an FMA of two per coordinate;
  per bandwidth a subtraction, a product and an add), and the special-function
  units that evaluate ``ex2.approx`` (m per pair). Baseline: the CPU kernel.
* kNN, N = 1e5, d = 16, k = 5, Euclidean: against the CPU brute-force kernel and,
  where faiss has GPU support, ``faiss.GpuIndexFlatL2``.
* KSG marginal counts, N = 1e6, dx = dy = 2 (Chebyshev, strict): against the CPU
  kd-tree counts.

Peak rates come from the device's SM count, its maximum SM clock and FP32 lanes
per SM (64 on sm_80, 128 on sm_86 to sm_90), 16 special-function results per SM
per clock; read with ``nvidia-smi``. Times are wall-clock medians with the device
synchronised (the kernels return host arrays, so every call includes its
transfers).
"""

from __future__ import annotations

import shutil
import subprocess
import time

import numpy as np
import pytest

from pymi import _core, _kde
from pymi._device import cuda_device_count

pytestmark = pytest.mark.skipif(
    not (_core.cuda_compiled() and cuda_device_count() > 0),
    reason="needs a CUDA device and pymi built with CUDA",
)

BANDWIDTHS = np.geomspace(0.2, 1.0, 5)
N_KDE, N_KNN, N_KSG = 100_000, 100_000, 1_000_000
#: FP32 lanes per SM by compute capability (CUDA programming guide, arithmetic throughput)
_FP32_LANES = {"8.0": 64, "8.6": 128, "8.7": 128, "8.9": 128, "9.0": 128}
_SFU_PER_SM = 16


def device_rates() -> dict[str, float | str | None]:
    """Name, SM count, max SM clock and the FP32 / SFU peak rates of GPU 0 (None if unknown)."""
    info: dict[str, float | str | None] = {"name": None, "fp32_peak": None, "sfu_peak": None}
    if shutil.which("nvidia-smi") is None:
        return info
    try:
        line = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,compute_cap,clocks.max.sm", "--format=csv,noheader,nounits", "-i", "0"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()  # fmt: skip
        name, cap, mhz = (s.strip() for s in line.split(","))
    except (OSError, subprocess.SubprocessError, ValueError):
        return info
    sms = None
    try:
        import torch

        sms = torch.cuda.get_device_properties(0).multi_processor_count
    except Exception:  # noqa: BLE001 - torch is optional here
        # SXM parts (the PCIe H100 has 114 SMs): used only without torch
        known = (("H100 PCIe", 114), ("H100", 132), ("H200", 132), ("A100", 108))
        sms = next((count for key, count in known if key in name), None)
    info.update(name=name, compute_cap=cap, sm_count=sms, max_sm_mhz=float(mhz))
    lanes = _FP32_LANES.get(cap)
    if sms and lanes:
        hz = float(mhz) * 1e6
        info["fp32_peak"] = sms * lanes * 2 * hz  # an FMA counts 2
        info["sfu_peak"] = sms * _SFU_PER_SM * hz
    return info


def _best_of(fn, reps: int = 3) -> float:
    fn()  # warm-up (context, module load, allocations)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("d", [4, 16])
def test_kde_kernel_sums_gpu(benchmark, d):
    n = N_KDE
    x = np.random.default_rng(0).standard_normal((n, d)).astype(np.float32)
    m = len(BANDWIDTHS)
    shift = _kde.nn_squared_distances(x, backend="cuda")
    gpu = benchmark.pedantic(
        lambda: _core.kde_log_kernel_sums(x, BANDWIDTHS, shift, device="cuda"),
        rounds=5, iterations=1, warmup_rounds=1,
    )  # fmt: skip
    gpu_s = benchmark.stats.stats.median
    cpu_s = _best_of(lambda: _core.kde_log_kernel_sums(x, BANDWIDTHS, shift, -1), reps=1)
    cpu = _core.kde_log_kernel_sums(x, BANDWIDTHS, shift, -1)
    assert np.all(np.isfinite(gpu))
    np.testing.assert_allclose(gpu, cpu, atol=1e-3, rtol=1e-4)
    pairs = n * (n - 1)
    rates = device_rates()
    extra = {
        "n": n, "d": d, "bandwidths": m, "gpu_s": gpu_s, "cpu_s": cpu_s,
        "pair_exp_per_s": pairs * m / gpu_s, "speedup_vs_cpu": cpu_s / gpu_s, "device": rates["name"],
    }  # fmt: skip
    if rates["fp32_peak"]:
        extra["fp32_fraction"] = pairs * (3 * d + 3 * m) / gpu_s / rates["fp32_peak"]
        extra["sfu_fraction"] = pairs * m / gpu_s / rates["sfu_peak"]
    benchmark.extra_info.update(extra)
    print(f"\nKDE d={d}: {extra}")


def test_knn_gpu(benchmark):
    n, d, k = N_KNN, 16, 5
    x = np.random.default_rng(1).standard_normal((n, d)).astype(np.float32)
    dist, idx = benchmark.pedantic(lambda: _core.knn(x, k, "euclidean", device="cuda"), rounds=5, iterations=1, warmup_rounds=1)
    gpu_s = benchmark.stats.stats.median
    cpu_s = _best_of(lambda: _core.knn(x, k, "euclidean", "brute", -1), reps=1)
    cd, _ = _core.knn(x, k, "euclidean", "brute", -1)
    np.testing.assert_allclose(dist, cd, rtol=1e-5)
    extra = {"n": n, "d": d, "k": k, "gpu_s": gpu_s, "cpu_brute_s": cpu_s, "speedup_vs_cpu": cpu_s / gpu_s}
    try:
        import faiss

        if faiss.get_num_gpus() > 0:
            res = faiss.StandardGpuResources()

            def faiss_gpu():
                index = faiss.GpuIndexFlatL2(res, d)
                index.add(x)
                return index.search(x, k + 1)

            extra["faiss_gpu_s"] = _best_of(faiss_gpu)
            extra["speedup_vs_faiss_gpu"] = extra["faiss_gpu_s"] / gpu_s
    except ImportError:
        extra["faiss_gpu_s"] = None
    benchmark.extra_info.update(extra)
    print(f"\nkNN: {extra}")


def test_ksg_counts_gpu(benchmark):
    n = N_KSG
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    y = (x + rng.standard_normal((n, 2))).astype(np.float32)
    r = np.full(n, 0.05, dtype=np.float32)
    cx, cy = benchmark.pedantic(
        lambda: _core.count_within_pair(x, y, r, "chebyshev", device="cuda"), rounds=3, iterations=1, warmup_rounds=1
    )
    gpu_s = benchmark.stats.stats.median
    cpu_s = _best_of(lambda: _core.count_within(x, r, "chebyshev", "kdtree", -1), reps=1)
    np.testing.assert_array_equal(cx, _core.count_within(x, r, "chebyshev", "kdtree", -1))
    extra = {"n": n, "gpu_pair_s": gpu_s, "cpu_kdtree_one_marginal_s": cpu_s}
    benchmark.extra_info.update(extra)
    print(f"\nKSG counts: {extra}")
