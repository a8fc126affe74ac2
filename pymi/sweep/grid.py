"""The grid points of a sweep: one :class:`pymi.ib.IBConfig` and one run folder each."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import SweepConfig, SweepConfigError

__all__ = ["SEED", "Point", "expand", "group_key"]

#: The grid axis over which the figures and the summary show the mean and a band.
SEED = "seed"


@dataclass(frozen=True)
class Point:
    """One run of a sweep.

    Parameters
    ----------
    name : str
        ``key=value`` for every grid axis, joined by commas (``"sigma=0.001,seed=0"``);
        the run folder's name. ``"base"`` when the grid is empty.
    values : dict
        The grid values of this point, in the order of the grid's keys.
    config : dict
        The complete :class:`pymi.ib.IBConfig` of the run, as ``IBConfig.to_dict()``.
    """

    name: str
    values: dict[str, Any]
    config: dict[str, Any] = field(repr=False)


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    return re.sub(r"[^A-Za-z0-9._+-]", "_", str(value))


def expand(config: SweepConfig) -> list[Point]:
    """Every point of the grid, each with a checked IBConfig (the last key varies fastest).

    Raises
    ------
    SweepConfigError
        If a combination is refused by :class:`pymi.ib.IBConfig` (the message names
        the point and the field), or two points would share a run folder name.
    """
    from ..ib.config import IBConfig

    keys = list(config.grid)
    points = []
    names: dict[str, dict[str, Any]] = {}
    for combo in itertools.product(*(config.grid[k] for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        name = ",".join(f"{k}={_label(v)}" for k, v in values.items()) or "base"
        if name in names:
            msg = (
                f"{config.source}: grid points {names[name]} and {values} both get the run "
                f"folder name {name!r}; make the values differ in letters, digits or . _ + -"
            )
            raise SweepConfigError(msg)
        names[name] = values
        fields = {**config.base, **values}
        fields["run_dir"] = str(Path(config.out) / "runs" / name)
        fields["progress"] = False
        try:
            ib_config = IBConfig(**fields)
        except (ValueError, TypeError) as err:
            where = f"grid point {name}" if values else "[ib]"
            msg = f"{config.source}: {where}: {err}"
            raise SweepConfigError(msg) from None
        points.append(Point(name=name, values=values, config=ib_config.to_dict()))
    return points


def group_key(point_values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The grid values other than the seed: the points that the mean and band are over."""
    return tuple((k, v) for k, v in point_values.items() if k != SEED)
