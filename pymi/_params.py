"""Declared parameter constraints and the one function that checks them.

In the spirit of scikit-learn's ``sklearn.utils._param_validation``: a class
lists, per constructor argument, the constraints a value may satisfy, e.g.::

    _parameter_constraints = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "nan_policy": [Options(str, {"raise", "omit"})],
        "jitter_scale": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
    }

and :func:`validate_params` checks the values against them. A value is valid
when it satisfies any one constraint of its list. A value whose type fits no
constraint raises :class:`InvalidParameterType` (a ``TypeError``); a value of a
fitting type but outside the allowed set raises ``ValueError``. Every message
names the argument, says what was expected, what was received and, where a
:func:`hint` is declared, how to fix it.

Named constraints (strings): ``"boolean"``, ``"random_state"``, ``"n_jobs"``,
``"device"`` (``"auto" | "cpu" | "cuda"``), ``"torch_device"`` (also
``"cuda:N"`` and ``torch.device``); ``None`` allows the value None.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np

__all__ = [
    "Constraint",
    "HasMethods",
    "Integral",
    "Interval",
    "InvalidParameterType",
    "Options",
    "Real",
    "SequenceOf",
    "hint",
    "make_constraint",
    "validate_params",
]

#: Largest thread count the compiled kernels accept (a C ``int``).
MAX_THREADS = 2**31 - 1


class InvalidParameterType(TypeError, ValueError):
    """A parameter has the wrong type.

    A ``TypeError``; also a ``ValueError``, as scikit-learn's
    ``InvalidParameterError``, so that code catching ``ValueError`` for any bad
    argument keeps working.
    """


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _join(parts: Sequence[str]) -> str:
    """``"a"``, ``"a or b"``, ``"a, b or c"``."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} or {parts[-1]}"


class Constraint(ABC):
    """One allowed kind of value.

    Subclasses say whether a value's type fits (:meth:`type_fits`), whether the
    value satisfies the constraint (:meth:`is_satisfied_by`), describe the
    allowed values in words (:meth:`describe`) and may normalise an accepted
    value (:meth:`convert`, e.g. ``numpy.int64(5) -> 5``).
    """

    def type_fits(self, value: Any) -> bool:
        return self.is_satisfied_by(value)

    @abstractmethod
    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` is allowed."""

    @abstractmethod
    def describe(self) -> str:
        """The allowed values, in words (for error messages)."""

    def convert(self, value: Any) -> Any:
        return value

    def error(self, name: str, value: Any) -> Exception | None:
        """A ready-made error for ``value``, when this constraint has its own message."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


class _NoneConstraint(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


class _Boolean(Constraint):
    parts = ("True", "False")

    def is_satisfied_by(self, value: Any) -> bool:
        return _is_bool(value)

    def describe(self) -> str:
        return "True or False"

    def convert(self, value: Any) -> bool:
        return bool(value)


class Interval(Constraint):
    """Numbers of ``type`` (``Integral`` or ``Real``) between ``left`` and ``right``.

    Parameters
    ----------
    type : numbers.Integral or numbers.Real
        ``Integral`` accepts Python and NumPy integers; ``Real`` accepts any real
        number. Booleans are never accepted.
    left, right : float or None
        Bounds; None means unbounded on that side (infinity itself excluded). To
        accept infinity, pass ``math.inf`` with that side closed.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval. NaN never does.
    """

    def __init__(
        self,
        type: type,  # noqa: A002 - the name scikit-learn uses
        left: float | None,
        right: float | None,
        *,
        closed: Literal["left", "right", "both", "neither"],
    ) -> None:
        if type not in (Integral, Real):
            msg = f"Interval type must be numbers.Integral or numbers.Real; got {type!r}"
            raise ValueError(msg)
        if closed not in ("left", "right", "both", "neither"):
            msg = f"closed must be 'left', 'right', 'both' or 'neither'; got {closed!r}"
            raise ValueError(msg)
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed

    def type_fits(self, value: Any) -> bool:
        return isinstance(value, self.type) and not _is_bool(value)

    def is_satisfied_by(self, value: Any) -> bool:
        if not self.type_fits(value):
            return False
        v = float(value) if self.type is Real else int(value)
        if isinstance(v, float) and math.isnan(v):
            return False
        lo = -math.inf if self.left is None else self.left
        hi = math.inf if self.right is None else self.right
        lo_ok = v >= lo if self.closed in ("left", "both") and self.left is not None else v > lo
        hi_ok = v <= hi if self.closed in ("right", "both") and self.right is not None else v < hi
        return lo_ok and hi_ok

    def convert(self, value: Any) -> Any:
        return int(value) if self.type is Integral else float(value)

    def describe(self) -> str:
        left_closed = self.closed in ("left", "both")
        right_closed = self.closed in ("right", "both")
        inf_ok = self.right == math.inf and right_closed
        if self.type is Integral:
            noun, sign_noun = "integer", "integer"
        else:
            noun = "number"
            sign_noun = "number" if inf_ok else "finite number"
        if self.right is None or self.right == math.inf:
            if self.left is None:
                return f"a {sign_noun}"
            low = self.left
            if self.type is Integral and not left_closed:
                low, left_closed = int(low) + 1, True
            if low == 0:
                return f"a {'non-negative' if left_closed else 'positive'} {sign_noun}"
            if self.type is Integral and low == 1:
                return "a positive integer"
            article = "an" if sign_noun[0] in "aeiou" else "a"
            return f"{article} {sign_noun} {'>=' if left_closed else '>'} {low:g}"
        if self.left is None:
            return f"a {noun} {'<=' if right_closed else '<'} {self.right:g}"
        lb = "[" if left_closed else "("
        rb = "]" if right_closed else ")"
        article = "an" if noun[0] in "aeiou" else "a"
        return f"{article} {noun} in {lb}{self.left:g}, {self.right:g}{rb}"


class Options(Constraint):
    """One of a fixed set of values of ``type`` (e.g. ``Options(str, {"raise", "omit"})``).

    The order of ``options`` as given is the order in messages (sorted when a set).
    """

    def __init__(self, type: type, options: Iterable[Any]) -> None:  # noqa: A002
        self.type = type
        self.options = tuple(sorted(options)) if isinstance(options, (set, frozenset)) else tuple(options)

    def type_fits(self, value: Any) -> bool:
        return isinstance(value, self.type) and not _is_bool(value)

    def is_satisfied_by(self, value: Any) -> bool:
        return self.type_fits(value) and value in self.options

    def describe(self) -> str:
        if len(self.options) == 1:
            return repr(self.options[0])
        return f"one of {list(self.options)}"


class SequenceOf(Constraint):
    """A non-empty sequence (list, tuple, array) whose items satisfy ``item``; normalised to a tuple."""

    def __init__(self, item: Constraint, *, what: str) -> None:
        self.item = item
        self.what = what

    def type_fits(self, value: Any) -> bool:
        return isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (str, bytes))

    def is_satisfied_by(self, value: Any) -> bool:
        return self.type_fits(value) and len(value) > 0 and all(self.item.is_satisfied_by(v) for v in value)

    def convert(self, value: Any) -> tuple:
        return tuple(self.item.convert(v) for v in value)

    def describe(self) -> str:
        return f"a non-empty sequence of {self.what}"


class HasMethods(Constraint):
    """An object with the named methods (e.g. an estimator or a compressor)."""

    def __init__(self, methods: Sequence[str], *, what: str | None = None) -> None:
        self.methods = tuple(methods)
        self.what = what

    def is_satisfied_by(self, value: Any) -> bool:
        return all(callable(getattr(value, m, None)) for m in self.methods)

    def describe(self) -> str:
        names = _join([f"{m}()" for m in self.methods])
        return self.what or f"an object with {names}"


class _RandomState(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return self.error("random_state", value) is None

    def type_fits(self, value: Any) -> bool:
        return True  # every failure has its own message (see error)

    def describe(self) -> str:
        return "None, a non-negative integer seed, a numpy.random.Generator or a SeedSequence"

    def error(self, name: str, value: Any) -> Exception | None:
        from ._random import check_random_state

        try:
            check_random_state(value)
        except ValueError as err:
            if name != "random_state":
                return type(err)(str(err).replace("random_state", name))
            return err
        return None


class _NJobs(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return self.error("n_jobs", value) is None

    def type_fits(self, value: Any) -> bool:
        return True

    def describe(self) -> str:
        return "-1 (all cores) or a positive integer"

    def convert(self, value: Any) -> int:
        from ._validation import check_n_jobs

        return check_n_jobs(value)

    def error(self, name: str, value: Any) -> Exception | None:
        from ._validation import check_n_jobs

        try:
            check_n_jobs(value, name)
        except (TypeError, ValueError) as err:
            return err
        return None


class _TorchDevice(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        if hasattr(value, "type") and hasattr(value, "index") and not isinstance(value, str):
            return str(value.type) in ("cpu", "cuda")  # a torch.device
        if not isinstance(value, str):
            return False
        if value in ("auto", "cpu", "cuda"):
            return True
        head, _, index = value.partition(":")
        return head == "cuda" and index.isdigit()

    def type_fits(self, value: Any) -> bool:
        return isinstance(value, str) or (hasattr(value, "type") and hasattr(value, "index"))

    def describe(self) -> str:
        return "'auto', 'cpu' or 'cuda' (or 'cuda:N', or a torch.device)"


class _Hint:
    """A sentence added to every message about one parameter (see :func:`hint`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"hint({self.text!r})"


def hint(text: str) -> _Hint:
    """Attach an explanation or fix to a parameter's constraint list.

    It is shown in parentheses after the expectation, e.g.
    ``[Interval(Real, 1, math.inf, closed="both"), hint("the weights sum to 1")]``.
    """
    return _Hint(text)


def _device_options() -> Options:
    from ._device import DEVICES

    return Options(str, DEVICES)


_NAMED: dict[str, Any] = {
    "boolean": _Boolean,
    "random_state": _RandomState,
    "n_jobs": _NJobs,
    "device": _device_options,
    "torch_device": _TorchDevice,
}


def make_constraint(spec: Any) -> Constraint:
    """Turn a declared constraint (an object, a name or None) into a :class:`Constraint`."""
    if isinstance(spec, Constraint):
        return spec
    if spec is None:
        return _NoneConstraint()
    if isinstance(spec, str) and spec in _NAMED:
        return _NAMED[spec]()
    msg = f"unknown parameter constraint {spec!r}; use one of {sorted(_NAMED)}, None or a Constraint"
    raise ValueError(msg)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_param(name: str, value: Any, specs: Sequence[Any], *, owner: str = "") -> Any:
    """Check one value against its declared constraints; return it normalised.

    See :func:`validate_params`.
    """
    hints = [s.text for s in specs if isinstance(s, _Hint)]
    constraints = [make_constraint(s) for s in specs if not isinstance(s, _Hint)]
    for c in constraints:
        if c.is_satisfied_by(value):
            return c.convert(value)
    prefix = f"{owner}: " if owner else ""
    # a constraint with its own message (seed, thread count) speaks for the others
    # when it is the only one besides None
    own = [c for c in constraints if not isinstance(c, _NoneConstraint)]
    if len(own) == 1:
        err = own[0].error(name, value)
        if err is not None:
            kind = InvalidParameterType if type(err) is TypeError else type(err)
            raise kind(f"{prefix}{err}") from None
    expected = _join([part for c in constraints for part in getattr(c, "parts", (c.describe(),))])
    why = f" ({'; '.join(hints)})" if hints else ""
    if any(c.type_fits(value) for c in constraints):
        msg = f"{prefix}{name} must be {expected}{why}; got {_short(value)}"
        raise ValueError(msg)
    msg = f"{prefix}{name} must be {expected}{why}; got {_short(value)} of type {type(value).__name__}"
    raise InvalidParameterType(msg)


def validate_params(
    values: Mapping[str, Any], constraints: Mapping[str, Sequence[Any]], *, owner: str = ""
) -> dict[str, Any]:
    """Check ``values`` against their declared ``constraints``.

    Parameters
    ----------
    values : mapping
        Parameter name -> value (e.g. an estimator's constructor arguments).
    constraints : mapping
        Parameter name -> list of allowed constraints (:class:`Interval`,
        :class:`Options`, :class:`SequenceOf`, :class:`HasMethods`, a named
        constraint such as ``"random_state"``, or None) and optional
        :func:`hint` texts. Parameters without an entry are not checked.
    owner : str
        Who takes the parameters (e.g. ``"WKL"``), the prefix of every message.

    Returns
    -------
    dict
        The checked values, normalised: NumPy integers and floats become Python
        ``int`` / ``float``, sequences tuples, ``n_jobs`` -1 for all cores.

    Raises
    ------
    InvalidParameterType
        A ``TypeError`` (also a ``ValueError``) when a value's type fits no constraint.
    ValueError
        When a value has a fitting type but is outside every constraint.

    Examples
    --------
    >>> validate_params({"k": 5}, {"k": [Interval(Integral, 1, None, closed="left")]})
    {'k': 5}
    >>> validate_params({"k": 0}, {"k": [Interval(Integral, 1, None, closed="left")]}, owner="KL")
    Traceback (most recent call last):
    ...
    ValueError: KL: k must be a positive integer; got 0
    """
    out = dict(values)
    for name, specs in constraints.items():
        if name in values:
            out[name] = check_param(name, values[name], specs, owner=owner)
    return out

