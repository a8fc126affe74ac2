"""The result object every pymi estimator returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Estimate", "UNITS", "unit_factor"]

#: Conversion factors from nats to each supported unit (value_in_unit = nats * factor).
UNITS: dict[str, float] = {"nats": 1.0, "bits": 1.0 / math.log(2.0), "dits": 1.0 / math.log(10.0)}


def unit_factor(unit: str) -> float:
    """Return the factor that converts a value in nats into ``unit``.

    Raises
    ------
    ValueError
        If ``unit`` is not one of ``"nats"``, ``"bits"``, ``"dits"``.
    """
    try:
        return UNITS[unit]
    except (KeyError, TypeError):
        msg = f"base must be one of {sorted(UNITS)}; got {unit!r}"
        raise ValueError(msg) from None


@dataclass(frozen=True)
class Estimate:
    """An entropy or mutual-information estimate with its uncertainty.

    Attributes
    ----------
    value : float
        The estimate, in ``unit``.
    stderr : float
        Standard error of ``value`` in ``unit``; how it was obtained is stated in
        ``params["stderr_method"]`` (``nan`` when not available).
    unit : str
        ``"nats"`` (natural log, the default), ``"bits"`` or ``"dits"``.
    method : str
        Estimator name (``"kl"``, ``"wkl"``, ``"ksg"``, ``"kde"``, ``"gaussian"``, ...).
    params : dict
        The parameters actually used (k, weights, bandwidth, backend, ...).
    n : int
        Number of samples the estimate was computed from.
    interval : (float, float) or None
        An interval for the true value, in ``unit``, at nominal coverage
        ``interval_level``, when the method computes one (the default method
        ``"cksg"`` does). Unlike ``stderr``, which covers sampling noise only, it
        also allows for the estimator's bias; how it was made is in
        ``params["interval_method"]``, and its measured coverage is in the docs.
    interval_level : float or None
        Nominal coverage of ``interval`` (e.g. 0.9).

    Examples
    --------
    >>> est = Estimate(1.0, 0.01, "nats", "wkl", {}, 1000)
    >>> round(est.to("bits").value, 4)
    1.4427
    >>> float(est)
    1.0
    """

    value: float
    stderr: float
    unit: str
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    n: int = 0
    interval: tuple[float, float] | None = None
    interval_level: float | None = None

    def __post_init__(self) -> None:
        unit_factor(self.unit)

    def __float__(self) -> float:
        return float(self.value)

    def to(self, unit: str) -> Estimate:
        """Return the same estimate expressed in ``unit`` (``"nats"``, ``"bits"``, ``"dits"``)."""
        scale = unit_factor(unit) / unit_factor(self.unit)
        interval = None if self.interval is None else (self.interval[0] * scale, self.interval[1] * scale)
        return replace(
            self, value=self.value * scale, stderr=self.stderr * scale, unit=unit, interval=interval
        )

    def _interval_text(self) -> str:
        if self.interval is None:
            return ""
        level = f"{100 * self.interval_level:g} % " if self.interval_level is not None else ""
        return f", {level}interval [{self.interval[0]:.4f}, {self.interval[1]:.4f}]"

    def __repr__(self) -> str:
        return (
            f"Estimate({self.value:.4f} ± {self.stderr:.4f} {self.unit}, "
            f"method={self.method!r}, n={self.n}{self._interval_text()})"
        )

    def __str__(self) -> str:
        return f"{self.value:.4f} ± {self.stderr:.4f} {self.unit} ({self.method}, n={self.n}{self._interval_text()})"
