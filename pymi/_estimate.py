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

    def __post_init__(self) -> None:
        unit_factor(self.unit)

    def __float__(self) -> float:
        return float(self.value)

    def to(self, unit: str) -> Estimate:
        """Return the same estimate expressed in ``unit`` (``"nats"``, ``"bits"``, ``"dits"``)."""
        scale = unit_factor(unit) / unit_factor(self.unit)
        return replace(self, value=self.value * scale, stderr=self.stderr * scale, unit=unit)

    def __repr__(self) -> str:
        return (
            f"Estimate({self.value:.4f} ± {self.stderr:.4f} {self.unit}, "
            f"method={self.method!r}, n={self.n})"
        )

    def __str__(self) -> str:
        return f"{self.value:.4f} ± {self.stderr:.4f} {self.unit} ({self.method}, n={self.n})"
