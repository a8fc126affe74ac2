"""Which nearest-neighbour engine and device an estimator's searches run on.

The estimators' view of :func:`pymi._neighbors.resolve_backend`, the one rule
that turns ``backend`` and ``device`` arguments into the engine and device
used, for every kNN-based method.
"""

from __future__ import annotations

from .._neighbors import BACKENDS
from .._neighbors import resolve_backend as _resolve

__all__ = ["BACKENDS", "count_backend", "resolve_backend"]


def resolve_backend(backend: str, device: str) -> tuple[str, str]:
    """The ``(backend, device)`` an estimator's kNN searches run with.

    Parameters
    ----------
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        The estimator's ``backend`` argument.
    device : {"auto", "cpu", "cuda"}
        The estimator's ``device`` argument.

    Returns
    -------
    backend : str
        ``"auto"`` on a CUDA device becomes ``"cuda"`` (so the reported
        backend is the one used); any other backend is kept.
    device : {"cpu", "cuda"}

    Raises
    ------
    ValueError
        CUDA requested but not usable (the message gives the fix).
    ImportError
        ``backend="faiss"`` without faiss installed (the message gives the
        install command).
    """
    return _resolve(backend, device, "knn")


def count_backend(backend: str) -> str:
    """The engine for radius counts: faiss does kNN only, so the counts then use pymi's own."""
    return "auto" if backend == "faiss" else backend
