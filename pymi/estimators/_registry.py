"""The public list of methods: name -> class, capabilities, one-line summary.

:func:`methods` is what ``pymi.methods()`` returns; ``pymi.make_estimator``,
``pymi.entropy`` and ``pymi.mutual_information`` look methods up here, and
everything that needs to know what a method can do reads its
:class:`~pymi.estimators._protocol.Capabilities`, never a list of names.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

from ._protocol import Capabilities, Estimator

__all__ = ["MethodInfo", "entropy_methods", "get_method", "methods", "mi_methods", "register"]

E = TypeVar("E", bound=type[Estimator])


@dataclasses.dataclass(frozen=True)
class MethodInfo:
    """One registered method.

    Attributes
    ----------
    name : str
        The ``method=`` name.
    cls : type
        The estimator class (parameters in ``__init__``, data in ``estimate``).
    capabilities : Capabilities
        What it can do.
    summary : str
        One line: the first line of the class docstring.
    """

    name: str
    cls: type[Estimator]
    capabilities: Capabilities
    summary: str


_METHODS: dict[str, MethodInfo] = {}


def register(cls: E) -> E:
    """Add an estimator class to the public list under ``cls.name`` (usable as a class decorator).

    Raises
    ------
    TypeError
        If ``cls`` does not implement the protocol (:class:`Estimator`).
    ValueError
        If another class is registered under the same name.
    """
    if not (isinstance(cls, type) and issubclass(cls, Estimator)):
        msg = f"register takes an Estimator subclass (pymi.estimators); got {cls!r}"
        raise TypeError(msg)
    caps = cls.capabilities
    if not isinstance(caps, Capabilities):
        msg = f"{cls.__name__}.capabilities must be a Capabilities instance; got {caps!r}"
        raise TypeError(msg)
    known = _METHODS.get(cls.name)
    if known is not None and known.cls is not cls:
        msg = f"method name {cls.name!r} is taken by {known.cls.__name__}; give {cls.__name__} another name"
        raise ValueError(msg)
    doc = inspect.getdoc(cls) or ""
    summary = doc.strip().splitlines()[0] if doc.strip() else cls.__name__
    _METHODS[cls.name] = MethodInfo(cls.name, cls, caps, summary)
    return cls


def _ensure_builtin() -> None:
    """Register pymi's own methods, in the order they are listed."""
    if _METHODS:
        return
    from .calibrated import CalibratedKSG
    from .gaussian import Gaussian
    from .kde import KDE
    from .knn import KL, WKL
    from .ksg import KSG
    from .mine import MINE
    from .mixed_ksg import MixedKSG

    for cls in (CalibratedKSG, KL, WKL, KSG, KDE, Gaussian, MINE, MixedKSG):
        register(cls)


def methods() -> Mapping[str, MethodInfo]:
    """Every method, in a fixed order: name -> :class:`MethodInfo` (read-only mapping).

    Examples
    --------
    >>> import pymi
    >>> list(pymi.methods())[:3]
    ['cksg', 'kl', 'wkl']
    >>> pymi.methods()["ksg"].capabilities.entropy
    False
    """
    _ensure_builtin()
    return MappingProxyType(_METHODS)


def get_method(method: object) -> MethodInfo:
    """The :class:`MethodInfo` of ``method``; a ``ValueError`` that lists the names otherwise."""
    table = methods()
    if not isinstance(method, str) or method not in table:
        msg = f"method must be one of {list(table)}; got {method!r}"
        raise ValueError(msg)
    return table[method]


def entropy_methods() -> tuple[str, ...]:
    """Names of the methods with ``capabilities.entropy``, in list order."""
    return tuple(name for name, info in methods().items() if info.capabilities.entropy)


def mi_methods() -> tuple[str, ...]:
    """Names of the methods with ``capabilities.mutual_information``, in list order."""
    return tuple(name for name, info in methods().items() if info.capabilities.mutual_information)
