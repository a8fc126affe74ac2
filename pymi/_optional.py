"""Import an optional dependency, or fail with the install command that brings it."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_optional"]


def import_optional(name: str, extra: str, purpose: str) -> ModuleType:
    """The module ``name``; if it is missing, an ImportError naming ``pymi[extra]``.

    Parameters
    ----------
    name : str
        Module to import (e.g. ``"filelock"``).
    extra : str
        The pymi extra that installs it (e.g. ``"bench"``).
    purpose : str
        What pymi needs it for, for the message.
    """
    try:
        return importlib.import_module(name)
    except ImportError as err:
        msg = (
            f"{purpose} needs the package {name!r}, which is not installed ({err}); "
            f'install it with: pip install "pymi[{extra}]" (or pip install {name})'
        )
        raise ImportError(msg) from None
