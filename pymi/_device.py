"""Device resolution: which hardware a computation runs on.

``device`` is ``"auto"``, ``"cpu"`` or ``"cuda"`` everywhere in pymi. ``"auto"``
picks CUDA when pymi was built with CUDA and a device is visible, else the CPU.
"""

from __future__ import annotations

from typing import Literal

from pymi import _core

__all__ = ["DEVICES", "cuda_device_count", "resolve_device"]

#: The accepted values of every ``device`` argument.
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def cuda_device_count() -> int:
    """Number of CUDA devices pymi can use (0 when built without CUDA or without a driver)."""
    count = getattr(_core, "cuda_device_count", None)
    if count is None:
        return 0
    try:
        return int(count())
    except RuntimeError:
        return 0


def resolve_device(device: str) -> Literal["cpu", "cuda"]:
    """Resolve a ``device`` argument to the hardware that will be used.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` means CUDA when a device is available, else the CPU.

    Returns
    -------
    {"cpu", "cuda"}

    Raises
    ------
    ValueError
        If ``device`` is not one of the accepted names, or if ``"cuda"`` is
        requested but no CUDA device is usable (the message says why and how to
        fix it).
    """
    if device not in DEVICES:
        msg = f"device must be one of {list(DEVICES)}; got {device!r}"
        raise ValueError(msg)
    if device == "cpu":
        return "cpu"
    n_gpus = cuda_device_count()
    if device == "auto":
        return "cuda" if n_gpus > 0 else "cpu"
    if n_gpus == 0:
        compiled = bool(getattr(_core, "cuda_compiled", lambda: False)())
        if not compiled:
            msg = (
                "device='cuda' was requested but pymi was built without CUDA; reinstall pymi "
                "on a machine with the CUDA toolkit (nvcc) so the CUDA kernels are compiled, "
                "or pass device='cpu' (or 'auto')"
            )
        else:
            msg = (
                "device='cuda' was requested but no CUDA device is visible (check the NVIDIA "
                "driver and CUDA_VISIBLE_DEVICES; pymi's kernels are built with the CUDA 13 "
                "runtime, which needs driver 580 or newer: `nvidia-smi` shows the version), "
                "or pass device='cpu' (or 'auto')"
            )
        raise ValueError(msg)
    return "cuda"
