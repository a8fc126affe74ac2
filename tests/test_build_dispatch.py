"""The portable build: run-time choice of the CPU kernels' instruction set.

The kernels are compiled for the x86-64 baseline and for AVX2 + FMA (the KDE
sums also for AVX-512) and chosen at import (``pymi._core.simd_level()``);
``PYMI_DISABLE_AVX2=1`` forces the baseline, ``PYMI_DISABLE_AVX512=1`` stops at
AVX2. These tests compute the same kernels in a subprocess on the baseline
path and compare them with this process's path: exactly where the two compute
bit-identical values (Chebyshev distances, counts against radii far from any
distance, KL terms of the same distances), within the rounding that separates
a fused multiply-add from a multiply and an add elsewhere.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pymi import _core

#: What the subprocess computes; the parent runs the same code.
KERNELS = textwrap.dedent(
    """
    import numpy as np
    from pymi import _core

    def compute():
        rng = np.random.default_rng(7)
        out = {}
        for dtype in (np.float64, np.float32):
            tag = np.dtype(dtype).name
            for d in (2, 5, 16):
                x = rng.standard_normal((600, d)).astype(dtype)
                for metric in ("euclidean", "chebyshev"):
                    for algorithm in ("kdtree", "brute"):
                        dist, idx = _core.knn(x, 4, metric, algorithm, 1)
                        out[f"knn-{tag}-{d}-{metric}-{algorithm}-dist"] = dist
                        out[f"knn-{tag}-{d}-{metric}-{algorithm}-idx"] = idx
                        # radii between neighbour distances: far from ties
                        r = (0.5 * (dist[:, 1] + dist[:, 2])).astype(dtype)
                        out[f"count-{tag}-{d}-{metric}-{algorithm}"] = _core.count_within(
                            x, r, metric, algorithm, 1
                        )
                        # the k-th distance of this process: exactly k - 1 closer points
                        out[f"self-{tag}-{d}-{metric}-{algorithm}"] = _core.count_within(
                            x, np.ascontiguousarray(dist[:, -1]), metric, algorithm, 1
                        )
                y = rng.standard_normal((600, 3)).astype(dtype)
                r = np.full(600, 0.8, dtype=dtype)
                cx, cy = _core.count_within_pair(x, y, r, "chebyshev", 1)
                out[f"pair-{tag}-{d}-x"], out[f"pair-{tag}-{d}-y"] = cx, cy
                h = np.array([0.3, 1.0, 3.0])
                shift = np.zeros(600)
                out[f"kde-{tag}-{d}"] = _core.kde_log_kernel_sums(x, h, shift, 1)
            dist = np.abs(rng.standard_normal((600, 5))).astype(dtype) + 0.1
            out[f"kl-{tag}"] = _core.kl_point_terms(dist, np.full(5, 0.2), 3.0, np.arange(5.0), 1)
        return out
    """
)


def _compute_here() -> dict[str, np.ndarray]:
    namespace: dict = {}
    exec(KERNELS, namespace)  # noqa: S102 - the same source the subprocess runs
    return namespace["compute"]()


def _compute_in_subprocess(tmp_path, **env) -> tuple[str, dict[str, np.ndarray]]:
    out = tmp_path / "kernels.npz"
    script = KERNELS + textwrap.dedent(
        f"""
        np.savez({str(out)!r}, **compute())
        print(_core.simd_level())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,  # not the checkout's root, whose pymi/ would shadow an installed pymi
    )
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as data:
        return proc.stdout.strip(), dict(data)


def _disabled_here() -> bool:
    """Whether this process runs with a PYMI_DISABLE_* variable set."""
    return any(os.environ.get(v, "") not in ("", "0") for v in ("PYMI_DISABLE_AVX2", "PYMI_DISABLE_AVX512"))


def _is_x86_64() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def test_simd_level_names_the_variant_in_use():
    compiled = _core.simd_levels_compiled()
    level = _core.simd_level()
    assert compiled in ("baseline,avx2,avx512", "baseline,avx2", "baseline", "native")
    assert level in compiled.split(",")
    if "avx2" in compiled and not _disabled_here():
        # the build machine of the wheel may differ; where it runs, the CPU decides
        cpuinfo = Path("/proc/cpuinfo")
        flags = set(cpuinfo.read_text().split()) if cpuinfo.exists() else set()
        avx512 = {"avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"}
        if {"avx2", "fma"} <= flags:
            assert level == ("avx512" if "avx512" in compiled and avx512 <= flags else "avx2")


@pytest.mark.skipif(
    "avx2" not in _core.simd_levels_compiled(), reason="only the portable x86-64 build has several variants"
)
def test_disable_avx2_environment_variable_selects_the_baseline(tmp_path):
    level, _ = _compute_in_subprocess(tmp_path, PYMI_DISABLE_AVX2="1")
    assert level == "baseline"
    level, _ = _compute_in_subprocess(tmp_path, PYMI_DISABLE_AVX2="0", PYMI_DISABLE_AVX512="")
    if _disabled_here():
        assert level in _core.simd_levels_compiled().split(",")
    else:
        assert level == _core.simd_level()
    if level == "avx512":
        level, avx2 = _compute_in_subprocess(tmp_path, PYMI_DISABLE_AVX2="0", PYMI_DISABLE_AVX512="1")
        assert level == "avx2"


@pytest.mark.skipif(not _is_x86_64(), reason="x86-64 only")
def test_baseline_and_default_paths_agree(tmp_path):
    level, base = _compute_in_subprocess(tmp_path, PYMI_DISABLE_AVX2="1")
    assert level in ("baseline", "native")
    here = _compute_here()
    assert base.keys() == here.keys()
    for key, want in base.items():
        got = here[key]
        assert got.shape == want.shape and got.dtype == want.dtype, key
        f32 = "float32" in key
        if key.startswith("self-"):
            # strict count at each point's own k-th distance: k - 1 on both paths
            np.testing.assert_array_equal(got, 3, err_msg=key)
            np.testing.assert_array_equal(want, 3, err_msg=key)
        elif key.startswith("knn-") and "chebyshev" in key:
            np.testing.assert_array_equal(got, want, err_msg=key)  # max |diff|: no rounding
        elif key.startswith("knn-") and key.endswith("-dist"):
            # d squared differences summed with or without FMA: a few ulps apart
            np.testing.assert_allclose(got, want, rtol=8 * np.finfo(got.dtype).eps, err_msg=key)
        elif key.startswith("knn-") and key.endswith("-idx"):
            # indices agree except where two neighbours are tied within those ulps
            dist = here[key[: -len("idx")] + "dist"]
            differ = got != want
            assert differ.mean() < 1e-3, key
            gaps = np.abs(np.diff(dist, axis=1))
            near_tie = np.zeros_like(differ)
            near_tie[:, 1:] |= gaps < 16 * np.finfo(dist.dtype).eps * dist[:, 1:]
            near_tie[:, :-1] |= gaps < 16 * np.finfo(dist.dtype).eps * dist[:, 1:]
            assert not np.any(differ & ~near_tie), key
        elif key.startswith(("count-", "pair-")):
            if f32 and "euclidean" in key:
                # a float32 distance within an ulp of its radius may fall either side
                assert np.abs(got - want).max() <= 1 and (got != want).mean() < 1e-2, key
            else:
                np.testing.assert_array_equal(got, want, err_msg=key)
        elif key.startswith("kde-"):
            # float32 exponentials (~2e-7 relative) on both paths
            np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6, err_msg=key)
        else:  # kl terms: the same float64 logs of the same distances
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13 * np.abs(want).max(), err_msg=key)


@pytest.mark.skipif(
    "avx2" not in _core.simd_levels_compiled(), reason="only the portable x86-64 build has several variants"
)
def test_kernel_suites_pass_on_the_baseline_path(tmp_path):
    """The kernel differential tests (kNN, counts, KDE against NumPy references)
    again, in a subprocess with the AVX2 path disabled."""
    tests = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
            os.path.join(tests, "test_kernels_knn.py"), os.path.join(tests, "test_kernels_kde.py"),
            "-k", "reference or agree or matches or edge or ties or kernel_sums or tolerance or pair",
        ],
        env={**os.environ, "PYMI_DISABLE_AVX2": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,  # as above; pytest finds the configuration from the test files
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
