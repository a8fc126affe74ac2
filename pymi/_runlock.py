"""One process per run folder: a lock file holding the owner's PID.

Used by ``pymi bench`` and ``pymi ib``: a second process on the same folder is
refused (it would write every result twice); the lock of a process that died
without cleaning up is taken over.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LOCK_NAME", "RunFolderInUseError", "run_lock"]

#: File name of the lock inside a run folder.
LOCK_NAME = ".lock"


class RunFolderInUseError(RuntimeError):
    """Another live process holds the run folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def run_lock(folder: Path, option: str) -> Iterator[None]:
    """Hold ``folder/.lock`` for the duration of the block.

    Parameters
    ----------
    folder : pathlib.Path
        An existing run folder.
    option : str
        How the user names another folder (e.g. ``"--out"``), for the message.

    Raises
    ------
    RunFolderInUseError
        If a live process other than this one holds the lock.
    """
    lock = Path(folder) / LOCK_NAME
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _alive(pid):
                msg = (
                    f"run folder {str(folder)!r} is in use by process {pid}; wait for it, or "
                    f"pass a different folder ({option})"
                )
                raise RunFolderInUseError(msg) from None
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
