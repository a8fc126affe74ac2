"""One process per run folder: an operating-system file lock (``flock`` via ``filelock``).

The kernel releases the lock when its process exits, however it exits, so a lock
left behind by a crashed run is free at once: there is no stale-lock takeover, and
no window in which two processes could both decide that a lock is stale. The lock
file stays in the folder (removing it on release would let a waiting process lock
the removed inode while a newcomer locks a new file). The holder's process id and
host are written beside it, only to name the owner in the message.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from .._optional import import_optional
from .errors import RunFolderInUseError

__all__ = ["LOCK_NAME", "OWNER_NAME", "run_lock"]

#: File name of the lock inside a run folder.
LOCK_NAME = ".lock"
#: Who holds the lock (process id and host), for the message of a refused start.
OWNER_NAME = ".lock.owner"


def _filelock_module():
    return import_optional("filelock", "bench", "the run-folder lock of pymi bench, ib and sweep")


def _file_lock(path: Path) -> object:
    filelock = _filelock_module()

    try:  # filelock >= 4: never fall back to a lock file without flock (it could go stale)
        return filelock.FileLock(path, timeout=0, fallback_to_soft=False)
    except TypeError:  # older filelock: FileLock is the flock lock on POSIX
        return filelock.FileLock(path, timeout=0)


def _owner(folder: Path) -> str:
    try:
        text = (folder / OWNER_NAME).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return "another process"
    pid, _, host = text.partition("@")
    if not pid.isdigit():
        return "another process"
    return f"process {pid}" + (f" on {host}" if host and host != socket.gethostname() else "")


_held: set[str] = set()


@contextlib.contextmanager
def run_lock(folder: str | os.PathLike[str], option: str) -> Iterator[None]:
    """Hold the run folder's lock for the duration of the block.

    Parameters
    ----------
    folder : str or path-like
        An existing run folder.
    option : str
        How the user names another folder (e.g. ``"--out"``), for the message.

    Raises
    ------
    RunFolderInUseError
        If another process (or this one, in an outer block) holds the lock.
    """
    filelock = _filelock_module()

    folder = Path(folder)
    key = str(folder.resolve())
    if key in _held:
        msg = f"run folder {str(folder)!r} is already in use by this process; pass a different folder ({option})"
        raise RunFolderInUseError(msg)
    lock = _file_lock(folder / LOCK_NAME)
    try:
        lock.acquire()  # type: ignore[attr-defined]
    except filelock.Timeout:
        msg = (
            f"run folder {str(folder)!r} is in use by {_owner(folder)}; wait for it to finish, "
            f"or pass a different folder ({option})"
        )
        raise RunFolderInUseError(msg) from None
    _held.add(key)
    try:
        with contextlib.suppress(OSError):
            from .files import atomic_write_bytes

            atomic_write_bytes(
                folder / OWNER_NAME, f"{os.getpid()}@{socket.gethostname()}\n".encode()
            )
        yield
    finally:
        _held.discard(key)
        lock.release()  # type: ignore[attr-defined]
