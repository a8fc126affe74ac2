"""One process per run folder: a lock file holding the owner's PID.

Used by ``pymi bench`` and ``pymi ib``: a second process on the same folder is
refused (it would write every result twice); the lock of a process that died
without cleaning up is taken over.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LOCK_NAME", "RunFolderInUseError", "run_lock"]

#: File name of the lock inside a run folder.
LOCK_NAME = ".lock"

#: How often to try to take the lock (a stale one is removed in between).
_ATTEMPTS = 40

#: A lock file younger than this without a PID is being written, not stale.
_FRESH_SECONDS = 5.0


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
    for _ in range(_ATTEMPTS):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                text = lock.read_text().strip()
                age = time.time() - lock.stat().st_mtime
            except OSError:  # removed meanwhile: try again
                continue
            pid = int(text) if text.isdigit() else 0
            if pid == 0 and age < _FRESH_SECONDS:
                time.sleep(0.05)  # just created by another process, PID not written yet
                continue
            if pid == os.getpid():
                msg = f"run folder {str(folder)!r} is already in use by this process"
                raise RunFolderInUseError(msg) from None
            if pid and _alive(pid):
                msg = (
                    f"run folder {str(folder)!r} is in use by process {pid}; wait for it, or "
                    f"pass a different folder ({option})"
                )
                raise RunFolderInUseError(msg) from None
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        break
    else:
        msg = f"could not take the lock {str(lock)!r} after {_ATTEMPTS} attempts; is another process starting in {option}?"
        raise RunFolderInUseError(msg)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
