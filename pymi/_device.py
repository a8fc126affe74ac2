"""Device resolution: which hardware a computation runs on.

``device`` is ``"auto"``, ``"cpu"`` or ``"cuda"`` everywhere in pymi. ``"auto"``
picks CUDA when a device is usable, else the CPU. :func:`resolve_device` is the
one rule, for pymi's compiled kernels (CUDA when pymi was built with it and a
device is visible) and for PyTorch models (``framework="torch"``: CUDA when
PyTorch sees a GPU; ``"cuda:N"`` and ``torch.device`` are accepted there too).
"""

from __future__ import annotations

from typing import Any, Literal

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


def resolve_device(device: Any, *, framework: Literal["pymi", "torch"] = "pymi") -> Any:
    """Resolve a ``device`` argument to the hardware that will be used.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` means CUDA when a device is available, else the CPU. With
        ``framework="torch"`` also ``"cuda:N"`` or a ``torch.device``.
    framework : {"pymi", "torch"}
        ``"pymi"``: for the compiled kernels, returns ``"cpu"`` or ``"cuda"``;
        ``"torch"``: for PyTorch models, returns a ``torch.device``.

    Returns
    -------
    {"cpu", "cuda"} or torch.device

    Raises
    ------
    ValueError
        If ``device`` is not one of the accepted names, or if CUDA is requested
        but no CUDA device is usable (the message says why and how to fix it).
    """
    if framework == "torch":
        return _torch_device(device)
    if framework != "pymi":
        msg = f"framework must be 'pymi' or 'torch'; got {framework!r}"
        raise ValueError(msg)
    if not isinstance(device, str) or device not in DEVICES:
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
                "from source with the CUDA toolkit (nvcc) on PATH: pip install --force-reinstall "
                "--no-binary pymi pymi -Ccmake.define.PYMI_CUDA=ON (from a checkout: pip install "
                "\".[all]\" -Ccmake.define.PYMI_CUDA=ON), or pass device='cpu' (or 'auto')"
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


def _torch_device(device: Any) -> Any:
    """``"auto" | "cpu" | "cuda" | "cuda:N"`` (or a ``torch.device``) -> ``torch.device``."""
    from ._torch import import_torch

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
