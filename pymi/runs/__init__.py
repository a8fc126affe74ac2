"""The run folder shared by ``pymi bench``, ``pymi ib`` and ``pymi sweep``.

One process writes a run folder at a time (:func:`run_lock`, an operating-system file
lock); whole files are written atomically with the user's umask
(:func:`atomic_write_json`, :func:`atomic_write_bytes`); results go to append-only
tables that survive a crash mid-write (:class:`Table`); stored models load without
pickle (:func:`load_torch`); the configuration is checked on every resume
(:func:`ensure_config`). Every problem with a folder or its files is a
:class:`RunFolderError` (a ``ValueError``) whose message names the file and the fix.
"""

from .config import config_diff, ensure_config
from .errors import (
    ConfigMismatchError,
    RunFileError,
    RunFolderError,
    RunFolderInUseError,
    UnsafeFileError,
)
from .files import (
    atomic_write_bytes,
    atomic_write_json,
    ensure_folder,
    load_npy,
    load_torch,
    read_json,
    read_text,
    save_npy,
    save_torch,
)
from .lock import LOCK_NAME, run_lock
from .tables import Table, format_cell
from .threads import blas_threads

__all__ = [
    "LOCK_NAME",
    "ConfigMismatchError",
    "RunFileError",
    "RunFolderError",
    "RunFolderInUseError",
    "Table",
    "UnsafeFileError",
    "atomic_write_bytes",
    "atomic_write_json",
    "blas_threads",
    "config_diff",
    "ensure_config",
    "ensure_folder",
    "format_cell",
    "load_npy",
    "load_torch",
    "read_json",
    "read_text",
    "run_lock",
    "save_npy",
    "save_torch",
]
