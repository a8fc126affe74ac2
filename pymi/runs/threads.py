"""Thread limits of the BLAS and OpenMP libraries under numpy and scipy (``threadpoolctl``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .._optional import import_optional

__all__ = ["blas_threads"]


@contextlib.contextmanager
def blas_threads(n_threads: int) -> Iterator[list[str]]:
    """Limit every loaded BLAS library (numpy's, scipy's OpenBLAS or MKL) to ``n_threads``.

    PyTorch's ``set_num_threads`` does not reach the BLAS under numpy; on a machine
    shared with other jobs, BLAS threads that spin while their peers are descheduled
    slow small matrix products down. The previous limits are restored afterwards.

    Parameters
    ----------
    n_threads : int
        Threads per BLAS library (>= 1).

    Yields
    ------
    list of str
        The names of the libraries limited (``internal_api``, e.g. ``"openblas"``).
    """
    threadpoolctl = import_optional("threadpoolctl", "bench", "limiting BLAS threads in pymi runs")
    threadpool_info, threadpool_limits = threadpoolctl.threadpool_info, threadpoolctl.threadpool_limits

    with threadpool_limits(limits=int(n_threads), user_api="blas"):
        yield [str(i.get("internal_api")) for i in threadpool_info() if i.get("user_api") == "blas"]
