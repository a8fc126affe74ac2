"""The estimator protocol every pymi method implements.

As small as BMI's (Czyż et al., "Beyond normal", NeurIPS 2023) estimator
interface: parameters go to ``__init__`` and are declared once per class,
data go to :meth:`Estimator.estimate`:

- ``estimate(x, y=None)``: I(X; Y) when ``y`` is given, else h(X);
- ``mutual_information(x, y, *, discrete_y=False)`` and ``entropy(x)``;
- ``parameters()``: the constructor arguments, so that
  ``type(est)(**est.parameters())`` builds an equal estimator;
- ``capabilities``: what the method can do (:class:`Capabilities`);
- ``_parameter_constraints``: the declared constraints of the constructor
  arguments (:mod:`pymi._params`), merged along the class hierarchy and checked
  once, right after the outermost ``__init__`` has stored the arguments.

``__init__`` stores its arguments under their own names and nothing else;
checks that involve several parameters go into :meth:`Estimator._check_params`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from .._estimate import Estimate
from .._params import validate_params

__all__ = ["Capabilities", "Estimator"]


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What a method can do, as flags (used instead of lists of method names).

    Attributes
    ----------
    entropy : bool
        Estimates the differential entropy h(X) (``entropy(x)``).
    mutual_information : bool
        Estimates I(X; Y) for continuous X and Y.
    discrete_y : bool
        Estimates I(X; Y) for class labels Y (``discrete_y=True``).
    takes_k : bool
        Has a neighbour count ``k`` (what ``pymi.mutual_information(..., k=...)`` sets).
    devices : tuple of str
        Hardware it can run on (``"cpu"``, ``"cuda"``).
    needs_torch : bool
        Needs PyTorch (``pip install "pymi[torch]"``).
    """

    entropy: bool = True
    mutual_information: bool = True
    discrete_y: bool = True
    takes_k: bool = False
    devices: tuple[str, ...] = ("cpu", "cuda")
    needs_torch: bool = False


def _merged_constraints(cls: type) -> dict[str, list[Any]]:
    """``_parameter_constraints`` of ``cls`` and its bases; a subclass entry overrides its base's."""
    merged: dict[str, list[Any]] = {}
    for klass in reversed(cls.__mro__):
        merged.update(klass.__dict__.get("_parameter_constraints", {}))
    return merged


def _merged_signature(cls: type, init: Any) -> inspect.Signature:
    """``init``'s signature with ``**kwargs`` replaced by the base class's keyword parameters."""
    sig = inspect.signature(init)
    params = list(sig.parameters.values())
    if not params or params[-1].kind is not inspect.Parameter.VAR_KEYWORD:
        return sig
    own = {p.name for p in params}
    parent = super(cls, cls).__init__  # type: ignore[misc]
    try:
        inherited = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(parent).parameters.values()
            if p.name != "self" and p.name not in own and p.kind is not inspect.Parameter.VAR_POSITIONAL
        ]
    except (TypeError, ValueError):  # pragma: no cover - object.__init__ and the like
        return sig
    return sig.replace(parameters=[*params[:-1], *inherited])


class Estimator(ABC):
    """Base of every pymi estimator: declared parameters, ``parameters()``, capabilities.

    Subclasses define ``name``, ``capabilities``, ``_parameter_constraints``, an
    ``__init__`` with explicit keyword arguments that stores each one on
    ``self`` under its own name, and ``mutual_information`` (and ``entropy``
    when ``capabilities.entropy``). The arguments are validated (and
    normalised, e.g. ``numpy.int64`` -> ``int``) once, when the outermost
    ``__init__`` returns; then :meth:`_check_params` runs the checks that
    involve several parameters.
    """

    #: Method name (``pymi.mutual_information(..., method=name)``).
    name: ClassVar[str] = "estimator"
    #: What the method can do.
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: Declared constraints of the constructor arguments (see :mod:`pymi._params`).
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_validates_params", False):
            return

        @functools.wraps(init)
        def __init__(self: Estimator, *args: Any, **kw: Any) -> None:
            outermost = not self.__dict__.get("_initialising", False)
            self.__dict__["_initialising"] = True
            try:
                init(self, *args, **kw)
            finally:
                if outermost:
                    del self.__dict__["_initialising"]
            if outermost:
                self._validate_params()

        __init__._validates_params = True  # type: ignore[attr-defined]
        __init__.__signature__ = _merged_signature(cls, init)  # type: ignore[attr-defined]
        cls.__init__ = __init__  # type: ignore[method-assign]

    # ------------------------------------------------------------ parameters
    @classmethod
    def _parameter_names(cls) -> tuple[str, ...]:
        sig = inspect.signature(cls.__init__)
        return tuple(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    @classmethod
    def parameter_constraints(cls) -> dict[str, list[Any]]:
        """The declared constraints of every constructor argument (merged along the class hierarchy)."""
        return _merged_constraints(cls)

    def parameters(self) -> dict[str, Any]:
        """The constructor arguments, by name: ``type(self)(**self.parameters())`` is an equal estimator."""
        return {name: getattr(self, name) for name in self._parameter_names()}

    def _validate_params(self) -> None:
        """Check the stored arguments against the declared constraints, then the cross-parameter rules."""
        checked = validate_params(self.parameters(), _merged_constraints(type(self)), owner=type(self).__name__)
        for key, value in checked.items():
            setattr(self, key, value)
        self._check_params()

    def _check_params(self) -> None:
        """Checks that involve several parameters (none by default); raise ``ValueError``."""

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        shown = []
        for key, value in self.parameters().items():
            default = sig.parameters[key].default
            try:
                same = value == default or (isinstance(default, tuple) and tuple(value) == default)
            except Exception:  # noqa: BLE001 - arrays and the like: show them
                same = False
            if not (same is True or same is False) or not same:
                shown.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # --------------------------------------------------------------- protocol
    def estimate(self, x: Any, y: Any = None, *, discrete_y: bool = False) -> Estimate:
        """Mutual information I(X; Y) when ``y`` is given, otherwise the entropy h(X)."""
        if y is None:
            return self.entropy(x)
        return self.mutual_information(x, y, discrete_y=discrete_y)

    def entropy(self, x: Any) -> Estimate:
        """Differential entropy h(X); raises ``TypeError`` for methods without ``capabilities.entropy``."""
        raise TypeError(self._no_entropy_message())

    @abstractmethod
    def mutual_information(self, x: Any, y: Any, *, discrete_y: bool = False) -> Estimate:
        """Mutual information I(X; Y) from row-aligned samples."""

    def _no_entropy_message(self) -> str:
        from ._registry import entropy_methods

        return (
            f"{type(self).__name__} estimates mutual information only; pass y, or call "
            f"pymi.entropy(x, method=...) with a method in {list(entropy_methods())}"
        )


def parameters_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two ``parameters()`` dicts are equal (identity for objects without ``==``)."""
    if a.keys() != b.keys():
        return False
    for key in a:
        va, vb = a[key], b[key]
        try:
            same = va is vb or bool(va == vb)
        except Exception:  # noqa: BLE001 - e.g. arrays
            same = False
        if not same:
            return False
    return True
