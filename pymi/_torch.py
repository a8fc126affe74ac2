"""Small helpers shared by the PyTorch-based parts of pymi.

PyTorch is an optional dependency (``pip install "pymi[torch]"``); nothing in
this module imports it at import time, so ``import pymi`` works without it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

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
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:N"`` (or a ``torch.device``) into a ``torch.device``.

    ``"auto"`` picks CUDA when PyTorch sees a GPU, the CPU otherwise.

    Raises
    ------
    ValueError
        If ``device`` is not a recognised name, or names CUDA while CUDA is unavailable.
    """
    torch = import_torch()
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if device != "cpu" and not device.startswith("cuda"):
            msg = f"device must be 'auto', 'cpu' or 'cuda' (or 'cuda:N'); got device={device!r}"
            raise ValueError(msg)
        try:
            dev = torch.device(device)
        except RuntimeError:
            msg = f"device must be 'auto', 'cpu' or 'cuda' (or 'cuda:N'); got device={device!r}"
            raise ValueError(msg) from None
    else:
        msg = f"device must be 'auto', 'cpu', 'cuda' or a torch.device; got {device!r}"
        raise ValueError(msg)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            msg = (
                f"device={str(device)!r} but PyTorch {torch.__version__} sees no CUDA GPU; "
                "pass device='auto' or device='cpu'"
            )
            raise ValueError(msg)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            msg = (
                f"device={str(device)!r} but only {torch.cuda.device_count()} CUDA device(s) "
                "are visible; pass device='cuda' or a valid index"
            )
            raise ValueError(msg)
    elif dev.type != "cpu":
        msg = f"device must be 'auto', 'cpu' or 'cuda'; got device={device!r}"
        raise ValueError(msg)
    return dev


def resolve_seed(random_state: int | np.random.Generator | None) -> int:
    """Turn ``random_state`` (None, int or ``numpy.random.Generator``) into a 63-bit integer seed.

    ``None`` draws fresh entropy from the OS, so results differ between calls.

    Raises
    ------
    TypeError
        If ``random_state`` is of another type.
    ValueError
        If an integer seed is negative.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            msg = f"random_state must be a non-negative integer; got random_state={random_state}"
            raise ValueError(msg)
        return int(random_state) % (2**63 - 1)
    msg = (
        "random_state must be None, a non-negative int or a numpy.random.Generator; "
        f"got {type(random_state).__name__}"
    )
    raise TypeError(msg)


def resolve_n_jobs(n_jobs: int | None) -> int | None:
    """Validate ``n_jobs``: None (leave PyTorch's setting), -1 or 0 (all cores) or a positive int.

    Returns the number of threads to use, or None to keep the current setting.
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)):
        msg = f"n_jobs must be None, -1 (all cores) or a positive int; got {n_jobs!r}"
        raise TypeError(msg)
    if n_jobs in (-1, 0):
        return os.cpu_count() or 1
    if n_jobs < 1:
        msg = f"n_jobs must be None, -1 (all cores) or a positive int; got n_jobs={n_jobs}"
        raise ValueError(msg)
    return int(n_jobs)


def to_numpy(x: Any) -> np.ndarray:
    """Convert array-likes, including torch tensors on any device, to a NumPy array."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):  # torch.Tensor
        return x.detach().cpu().numpy()
    return np.asarray(x)


@contextlib.contextmanager
def torch_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the body with ``torch.set_num_threads(n_jobs)``, restoring the old value afterwards."""
    torch = import_torch()
    n = resolve_n_jobs(n_jobs)
    if n is None:
        yield
        return
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
    if random_state is not None and not isinstance(random_state, np.random.Generator):
        resolve_seed(random_state)  # type check now; a Generator is drawn from at fit time only
    if not (isinstance(device, str) or hasattr(device, "type")):
        msg = f"device must be 'auto', 'cpu' or 'cuda'; got device={device!r}"
        raise ValueError(msg)
    resolve_n_jobs(n_jobs)
    if progress is not None and not isinstance(progress, bool):
        msg = f"progress must be True, False or None (auto); got progress={progress!r}"
        raise TypeError(msg)
