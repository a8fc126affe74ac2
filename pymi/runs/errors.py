"""Typed errors of a run folder: one base class, caught by the command-line entry points."""

from __future__ import annotations

__all__ = [
    "ConfigMismatchError",
    "RunFileError",
    "RunFolderError",
    "RunFolderInUseError",
    "UnsafeFileError",
]


class RunFolderError(ValueError):
    """A run folder cannot be used as asked (the message says why and the fix).

    ``pymi bench`` and ``pymi ib`` print it as one line, ``pymi <cmd>: <message>``,
    and exit with status 2.
    """


class RunFolderInUseError(RunFolderError):
    """Another process holds the run folder's lock."""


class ConfigMismatchError(RunFolderError):
    """The run folder holds a run made with a different configuration."""


class RunFileError(RunFolderError):
    """A file of the run folder is damaged, misplaced or not what pymi wrote there."""


class UnsafeFileError(RunFileError):
    """A stored model or array would need pickled Python objects (code) to load; refused."""
