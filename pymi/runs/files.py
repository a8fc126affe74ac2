"""Whole-file reads and writes of a run folder: atomic, with the user's umask, typed errors.

Every whole-file write goes to a temporary file in the same folder, is flushed to
disk and renamed over the target (``os.replace`` is atomic on POSIX), so a reader
sees the old file or the new one, never a mix. The temporary file is created with
mode ``0o666`` filtered by the process umask, the permissions an ``open(path, "w")``
would give, so results are as readable as any other file the user writes.

Reads turn every way a file can be damaged or misplaced (not UTF-8, not JSON, a
folder where a file belongs, an empty or truncated checkpoint, pickled objects) into
one :class:`~pymi.runs.errors.RunFileError` that names the file and the fix.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .errors import RunFileError, RunFolderError, UnsafeFileError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "ensure_folder",
    "load_npy",
    "load_torch",
    "read_json",
    "read_text",
    "save_npy",
    "save_torch",
]


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename), with the umask.

    Parameters
    ----------
    path : str or path-like
        The target file; its folder must exist.
    data : bytes
        The new content.

    Raises
    ------
    RunFileError
        If ``path`` is an existing folder.
    """
    path = Path(path)
    if path.is_dir():
        msg = f"{str(path)!r} is a folder, but pymi writes a file there; move the folder away"
        raise RunFileError(msg)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # mode 0o666 filtered by the umask: the permissions of any file the user creates
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    msg = f"cannot store {type(obj).__name__} in JSON"
    raise TypeError(msg)


def to_json_text(obj: Any, *, sort_keys: bool = False) -> str:
    """``obj`` as indented JSON text (numpy scalars and arrays, paths converted)."""
    return json.dumps(obj, indent=2, sort_keys=sort_keys, default=_json_default) + "\n"


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, sort_keys: bool = False) -> None:
    """Atomically write ``obj`` as indented JSON (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, to_json_text(obj, sort_keys=sort_keys).encode("utf-8"))


def _damaged(path: Path, what: str, problem: str, fix: str) -> RunFileError:
    return RunFileError(f"{str(path)!r} ({what}) {problem}; {fix}")


def read_text(path: str | os.PathLike[str], *, what: str, fix: str) -> str | None:
    """The UTF-8 text of a run file, ``None`` if it does not exist.

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str
        What the file is, for the message (e.g. ``"the run's config"``).
    fix : str
        What the user should do when the file is damaged.

    Raises
    ------
    RunFileError
        If ``path`` is a folder, cannot be read, or is not UTF-8 text.
    """
    path = Path(path)
    if path.is_dir():
        raise _damaged(path, what, "is a folder, not a file", fix)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise _damaged(path, what, f"cannot be read ({err.strerror or err})", fix) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        problem = f"is not UTF-8 text (byte {err.start} is 0x{raw[err.start]:02x})"
        raise _damaged(path, what, problem, fix) from None


def read_json(path: str | os.PathLike[str], *, what: str, fix: str) -> Any:
    """The JSON content of a run file, ``None`` if it does not exist.

    Raises
    ------
    RunFileError
        If the file is a folder, unreadable, not UTF-8 or not valid JSON.
    """
    text = read_text(path, what=what, fix=fix)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        problem = f"is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        raise _damaged(Path(path), what, problem, fix) from None


def ensure_folder(path: str | os.PathLike[str], *, option: str) -> Path:
    """Create the run folder ``path`` (and its parents) if needed.

    Parameters
    ----------
    path : str or path-like
        The run folder.
    option : str
        How the user names the folder (``"--out"``, ``"--run-dir"``), for the message.

    Raises
    ------
    RunFolderError
        If ``path`` or one of its parents exists and is not a folder.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        msg = (
            f"run folder {str(path)!r} cannot be created: {str(blocker)!r} exists and is not a "
            f"folder; pass {option} a folder path (new, or a previous run's)"
        )
        raise RunFolderError(msg) from None
    return path


def save_npy(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Atomically write ``array`` as ``.npy`` (no pickled objects)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())


def load_npy(path: str | os.PathLike[str], *, what: str, fix: str) -> np.ndarray | None:
    """Read a ``.npy`` file of the run without pickle; ``None`` if it does not exist.

    Raises
    ------
    UnsafeFileError
        If the array holds Python objects (loading them would need pickle).
    RunFileError
        If the file is a folder, empty, truncated or not a ``.npy`` file.
    """
    path = Path(path)
    if path.is_dir():
        raise _damaged(path, what, "is a folder, not a file", fix)
    if not path.exists():
        return None
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err):
            msg = (
                f"{str(path)!r} ({what}) holds Python objects, which would need pickle (code) to "
                f"load; pymi refuses it; {fix}"
            )
            raise UnsafeFileError(msg) from None
        raise _damaged(path, what, f"is not a valid .npy file ({err})", fix) from None
    except (OSError, EOFError) as err:
        raise _damaged(
            path, what, f"is not a valid .npy file ({err or type(err).__name__})", fix
        ) from None


def save_torch(path: str | os.PathLike[str], obj: Any) -> None:
    """Atomically ``torch.save`` ``obj`` (tensors and plain data) to ``path``."""
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_torch(path: str | os.PathLike[str], *, what: str, fix: str) -> Any:
    """``torch.load(path, weights_only=True)``, ``None`` if the file does not exist.

    Only tensors and plain data load; a file that needs pickled code is refused, so a
    crafted file in a run folder cannot run anything.

    Raises
    ------
    UnsafeFileError
        If the file holds objects other than tensors and plain data.
    RunFileError
        If the file is a folder, empty, truncated or not a PyTorch file.
    """
    import pickle

    import torch

    path = Path(path)
    if path.is_dir():
        raise _damaged(path, what, "is a folder, not a file", fix)
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        raise _damaged(path, what, "is empty (0 bytes)", fix)
    try:
        with warnings.catch_warnings():
            # torch warns about the pickle protocol of a file it is about to refuse
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "weights_only" in str(err) or "Unsupported global" in str(err) or "GLOBAL" in str(err):
            msg = (
                f"{str(path)!r} ({what}) holds objects other than tensors and plain data, which "
                f"would need pickled code to load; pymi never runs code from a run folder and "
                f"refuses it; {fix}"
            )
            raise UnsafeFileError(msg) from None
        raise _damaged(path, what, f"is not a valid PyTorch file ({first})", fix) from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, AttributeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _damaged(path, what, f"is not a valid PyTorch file ({first})", fix) from None
