"""Which nearest-neighbour engine and device an estimator's searches run on.

The one place that turns an estimator's ``backend`` and ``device`` arguments
into what :mod:`pymi._neighbors` is called with, for every kNN-based method.
"""

from __future__ import annotations

from .._device import resolve_device
from .._neighbors import BACKENDS

__all__ = ["BACKENDS", "count_backend", "resolve_backend"]


def resolve_backend(backend: str, device: str) -> tuple[str, str]:
    """The ``(backend, device)`` a kNN search runs with.

    ``device`` resolves to ``"cpu"`` or ``"cuda"`` (:func:`pymi._device.resolve_device`);
    ``backend="auto"`` on a CUDA device becomes ``"cuda"`` (so the reported
    backend is the one used); any other backend is kept.
    """
    dev = resolve_device(device)
    if backend == "auto" and dev == "cuda":
        return "cuda", dev
    return backend, dev


def count_backend(backend: str) -> str:
    """The engine for radius counts: faiss does kNN only, so the counts then use pymi's own."""
    return "auto" if backend == "faiss" else backend
