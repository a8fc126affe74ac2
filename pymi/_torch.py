"""Small helpers shared by the PyTorch-based parts of pymi.

PyTorch is an optional dependency (``pip install "pymi[torch]"``); nothing in
this module imports it at import time, so ``import pymi`` works without it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ._device import resolve_device as _resolve_device
from ._random import RandomStateLike, torch_seed
from ._validation import resolve_n_jobs as _resolve_n_jobs

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "import_torch",
    "resolve_device",
    "resolve_seed",
    "resolve_n_jobs",
    "torch_threads",
    "seeded",
    "progress_bar",
    "to_numpy",
]

_INSTALL_HINT = 'install it with `pip install "pymi[torch]"` (or `pip install torch`)'


def import_torch() -> Any:
    """Import and return :mod:`torch`, or raise an ImportError that says how to install it.

    Raises
    ------
    ImportError
        If PyTorch is not installed.
    """
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is installed in CI
        msg = f"this part of pymi (compression autoencoders, MINE) needs PyTorch; {_INSTALL_HINT}"
        raise ImportError(msg) from exc
    return torch


def resolve_device(device: str | Any = "auto") -> torch.device:
    """``device`` as a ``torch.device``: :func:`pymi._device.resolve_device` with ``framework="torch"``."""
    return _resolve_device(device, framework="torch")


def resolve_seed(random_state: RandomStateLike) -> int:
    """An integer seed from ``random_state``: :func:`pymi._random.torch_seed`."""
    return torch_seed(random_state)


def resolve_n_jobs(n_jobs: int | None) -> int:
    """The thread count ``n_jobs`` stands for: :func:`pymi._validation.resolve_n_jobs`."""
    return _resolve_n_jobs(n_jobs)


def to_numpy(x: Any) -> np.ndarray:
    """Convert array-likes, including torch tensors on any device, to a NumPy array."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):  # torch.Tensor
        return x.detach().cpu().numpy()
    return np.asarray(x)


@contextlib.contextmanager
def torch_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the body with ``torch.set_num_threads`` at the count ``n_jobs`` stands for, restoring the old value afterwards.

    ``n_jobs`` follows pymi's one rule (:func:`pymi._validation.check_n_jobs`):
    -1, 0 or None for all cores, else a positive count.
    """
    torch = import_torch()
    n = resolve_n_jobs(n_jobs)
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed PyTorch's global generators for the body, restoring their state afterwards.

    Used around module construction so that weight initialisation is reproducible
    without disturbing the caller's random state.
    """
    torch = import_torch()
    devices = [device.index if device.index is not None else 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def progress_bar(total: int, *, enabled: bool | None, desc: str) -> Any:
    """Return a tqdm progress bar, or a no-op stand-in when disabled.

    ``enabled=None`` shows the bar only when standard error is a terminal.
    """
    if enabled is None:
        enabled = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if enabled:
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover
            enabled = False
        else:
            return tqdm(total=total, desc=desc, leave=False, dynamic_ncols=True)
    return _NoBar()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def check_run_options(*, random_state: Any, device: Any, n_jobs: Any, progress: Any) -> None:
    """Validate the options every torch-trained object shares (seed, device, threads, progress bar).

    Raises at construction time, so that a bad option fails before any training.
    """
    from ._params import validate_params

    validate_params(
        {"random_state": random_state, "device": device, "n_jobs": n_jobs, "progress": progress},
        TORCH_RUN_CONSTRAINTS,
    )


#: Declared constraints of the options every torch-trained object shares.
TORCH_RUN_CONSTRAINTS: dict[str, list[Any]] = {
    "random_state": ["random_state"],
    "device": ["torch_device"],
    "n_jobs": ["n_jobs"],
    "progress": ["boolean", None],
}
