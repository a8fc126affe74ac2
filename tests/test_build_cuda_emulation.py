"""The CUDA kernels' host emulation, built and run by the test suite.

``csrc/cuda/selftest_host.cpp`` compiles ``csrc/cuda/kernels.cuh`` with the
host C++ compiler, runs every CUDA thread as a ``std::thread`` through the
real launch planners, and compares kNN, counts and KDE sums with naive loops
(exact for kNN and counts). It needs no GPU and no nvcc, so every CI run checks
the CUDA kernels' indexing, tiling, tie-breaking and split logic.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CSRC = Path(__file__).resolve().parents[1] / "csrc"
SOURCE = CSRC / "cuda" / "selftest_host.cpp"


def _compiler() -> str | None:
    for name in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if name and shutil.which(name):
            return name
    return None


@pytest.mark.skipif(not SOURCE.exists(), reason="needs the source tree (csrc/)")
@pytest.mark.skipif(_compiler() is None, reason="needs a C++20 compiler (g++ or clang++)")
def test_cuda_kernels_host_emulation(tmp_path):
    exe = tmp_path / "pymi_cuda_selftest"
    build = subprocess.run(
        [
            _compiler(), "-std=c++20", "-O1", "-pthread", "-Wall", "-Wextra", "-Wno-unknown-pragmas",
            "-I", str(CSRC), str(SOURCE), "-o", str(exe),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    assert "warning" not in build.stderr, build.stderr[-4000:]
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " 0 failures" in run.stdout.splitlines()[-1], run.stdout[-2000:]
