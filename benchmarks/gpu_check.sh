#!/usr/bin/env bash
# Every GPU check of pymi in one run: build with nvcc, the CUDA tests, the kernel
# tests on both devices, the GPU benchmarks. For a CUDA machine without network
# access (e.g. the `device` tool's; ~8 minutes on one H100/H200 with 16 cores):
#
#   OUT=gpu-results bash benchmarks/gpu_check.sh
#
# Needs, already installed: nvcc, cmake, ninja, and the Python packages numpy,
# scipy, pybind11, scikit-build-core, pytest, pytest-benchmark, hypothesis
# (faiss is optional: its test cases are deselected, its GPU baseline skipped).
# Writes to $OUT (default ./gpu-results): env.txt, build.txt, gpu_visible.txt,
# cuda_tests.txt, kernel_tests.txt, bench_gpu.txt, bench_gpu.json. Exit status: that of the
# first failing step (all steps run).
set -uo pipefail
export PYTHONUNBUFFERED=1
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${OUT:-gpu-results}" && cd "${OUT:-gpu-results}" && pwd)
PY=${PYTHON:-python3}
status=0
step() {  # step NAME COMMAND...: run, log to $OUT/NAME.txt, keep the first failure
    local name=$1
    shift
    echo "== $name: $*"
    "$@" >"$OUT/$name.txt" 2>&1
    local rc=$?
    tail -n 5 "$OUT/$name.txt"
    echo "== $name: exit $rc"
    if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then status=$rc; fi
    return 0
}

{ nvidia-smi; nvcc --version; "$PY" -VV; nproc; } >"$OUT/env.txt" 2>&1
# Only the present GPU's architecture: halves the nvcc time.
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader -i 0 2>/dev/null | tr -d '.' | head -n 1)
# PYMI_CUDA=ON: fail the build rather than quietly build without the kernels.
export CMAKE_ARGS="-DPYMI_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=${cap:-90}"
export CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)
step build "$PY" -m pip install --no-deps --no-build-isolation --force-reinstall "$REPO"

# From outside the checkout, so that `import pymi` is the installed build.
cd /tmp || exit 1
step gpu_visible "$PY" -c "import pymi._core as c; n = c.cuda_device_count(); \
print('cuda_compiled', c.cuda_compiled(), 'devices', n); assert c.cuda_compiled() and n > 0"
step cuda_tests "$PY" -m pytest "$REPO/tests" -m cuda -q -p no:cacheprovider -rs
step kernel_tests "$PY" -m pytest "$REPO/tests/test_kernels_kde.py" "$REPO/tests/test_kernels_knn.py" \
    -q -p no:cacheprovider -k "not faiss"
step bench_gpu "$PY" -m pytest "$REPO/benchmarks/bench_gpu.py" -q -s -p no:cacheprovider -rs \
    -W "ignore::pytest_benchmark.logger.PytestBenchmarkWarning" \
    --benchmark-json="$OUT/bench_gpu.json" --benchmark-columns=median,rounds
exit "$status"
