"""The configuration of a sweep: a TOML file with ``[sweep]``, ``[ib]`` and ``[grid]``.

Example (``pymi sweep --example`` prints the built-in one)::

    [sweep]
    out = "runs/sweep-noise"   # the sweep folder
    run_plots = false          # also draw each run's own figures

    [ib]                       # IBConfig fields shared by every run
    epochs = 10
    n_train = 2000
    n_eval = 1000

    [grid]                     # one run per combination of these values
    seed = [0, 1, 2]
    sigma = [0.001, 0.1]
    estimator = ["kl", "wkl"]

Every key is checked before anything runs: unknown sections and fields, values of
the wrong type, and values :class:`pymi.ib.IBConfig` refuses are errors that name
the key and the fix.
"""

from __future__ import annotations

import math
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "GRID_FORBIDDEN",
    "QUICK_TOML",
    "SET_BY_SWEEP",
    "SweepConfig",
    "SweepConfigError",
    "load_config",
    "parse_config",
]

#: IBConfig fields that the sweep sets itself (each run's folder, no progress bars).
SET_BY_SWEEP = ("run_dir", "progress")
#: IBConfig fields that may be set once in ``[ib]`` but are no grid axis: where and
#: with how many threads a run executes does not change what it computes.
GRID_FORBIDDEN = ("device", "n_jobs")

_SECTIONS = {
    "sweep": "out (the sweep folder), run_plots (true: each run's own figures too)",
    "ib": "IBConfig fields shared by every run, e.g. epochs = 10",
    "grid": "lists of IBConfig values, one run per combination, e.g. seed = [0, 1, 2]",
}

#: The built-in example of ``pymi sweep --quick``: three seeds at two noise levels of
#: the short information-plane run on the MNIST digits shipped with pymi.
QUICK_TOML = """\
# pymi sweep --quick: 3 seeds x 2 noise levels of a short information-plane run
# on the 10,000 MNIST test digits shipped with pymi (6 runs).
[sweep]
out = "runs/sweep-quick"

[ib]
n_train = 2000
n_eval = 1000
epochs = 8
batch_size = 128
lr = 2e-3
input_ae_epochs = 5
estimator = "kl"
layer_compressor = "pca"
device = "cpu"

[grid]
sigma = [0.001, 0.1]
seed = [0, 1, 2]
"""


class SweepConfigError(ValueError):
    """A sweep configuration that cannot run (the message names the key and the fix)."""


@dataclass(frozen=True)
class SweepConfig:
    """A parsed, checked sweep configuration.

    Parameters
    ----------
    out : str
        The sweep folder: ``runs/<point>/`` (one :func:`pymi.ib.run` folder per grid
        point), ``points/<point>.json`` (each finished point's rows) and the tables
        and figures over all points.
    base : dict
        IBConfig fields shared by every run (``[ib]``).
    grid : dict of str to list
        Values per IBConfig field (``[grid]``); the runs are their Cartesian product,
        in the order of the keys (the last key varies fastest).
    run_plots : bool
        Draw each run's own figures (``ib_*.png``) in its run folder too.
    source : str
        Where the configuration came from, for messages.
    text : str
        The TOML text, stored in the sweep folder.
    """

    out: str
    base: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    run_plots: bool = False
    source: str = "<config>"
    text: str = ""


def load_config(path: str | Path) -> SweepConfig:
    """Read and check a sweep configuration file (TOML).

    Raises
    ------
    SweepConfigError
        If the file is missing, not TOML, or any key is unknown or has a bad value.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"sweep configuration {str(path)!r} not found (pass the path of a .toml file, or --quick)"
        raise SweepConfigError(msg)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        msg = f"cannot read the sweep configuration {str(path)!r} as UTF-8 text: {err}"
        raise SweepConfigError(msg) from None
    default_out = str(Path("runs") / f"sweep-{path.stem}")
    return parse_config(text, source=str(path), default_out=default_out)


def parse_config(
    text: str, *, source: str = "<config>", default_out: str = "runs/sweep"
) -> SweepConfig:
    """Parse and check the TOML text of a sweep configuration (see the module docstring)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = f"{source} is not valid TOML: {err}"
        raise SweepConfigError(msg) from None
    for name, value in raw.items():
        if name not in _SECTIONS:
            sections = "; ".join(f"[{s}]: {what}" for s, what in _SECTIONS.items())
            msg = f"{source}: unknown section or key {name!r} at the top level; a sweep has {sections}"
            raise SweepConfigError(msg)
        if not isinstance(value, dict):
            msg = f"{source}: {name} must be a section [{name}] ({_SECTIONS[name]}); got {name} = {value!r}"
            raise SweepConfigError(msg)

    sweep = dict(raw.get("sweep", {}))
    out = sweep.pop("out", default_out)
    if not isinstance(out, str) or not out.strip():
        msg = f'{source}: [sweep] out must be the sweep folder as a string, e.g. out = "runs/sweep"; got {out!r}'
        raise SweepConfigError(msg)
    run_plots = sweep.pop("run_plots", False)
    if not isinstance(run_plots, bool):
        msg = f"{source}: [sweep] run_plots must be true or false; got {run_plots!r}"
        raise SweepConfigError(msg)
    if sweep:
        key = sorted(sweep)[0]
        msg = f"{source}: [sweep] has no key {key!r}; its keys are out, run_plots" + _did_you_mean(
            key, ("out", "run_plots")
        )
        raise SweepConfigError(msg)

    hints = _ib_field_types()
    base = dict(raw.get("ib", {}))
    for key, value in base.items():
        _check_field(source, "ib", key, hints)
        _check_value(source, f"[ib] {key}", value, hints[key])

    grid: dict[str, list[Any]] = {}
    for key, values in raw.get("grid", {}).items():
        _check_field(source, "grid", key, hints)
        if key in GRID_FORBIDDEN:
            msg = (
                f"{source}: [grid] {key} cannot be a grid axis (where a run executes does not "
                f"change its numbers); set it once in [ib], e.g. {key} = {_example(hints[key])}"
            )
            raise SweepConfigError(msg)
        if key in base:
            msg = f"{source}: {key} is set in both [ib] and [grid]; keep it in one of them"
            raise SweepConfigError(msg)
        if not isinstance(values, list) or not values:
            msg = (
                f"{source}: [grid] {key} must be a non-empty list of values, one run per value, "
                f"e.g. {key} = [{_example(hints[key])}]; got {key} = {values!r}"
            )
            raise SweepConfigError(msg)
        for i, value in enumerate(values):
            _check_value(source, f"[grid] {key}[{i}]", value, hints[key])
            if isinstance(value, dict):
                msg = f"{source}: [grid] {key} cannot vary a table of options; set it in [ib]"
                raise SweepConfigError(msg)
        seen = [_normal(v) for v in values]
        dupes = sorted({repr(v) for v, n in zip(values, seen, strict=True) if seen.count(n) > 1})
        if dupes:
            msg = f"{source}: [grid] {key} lists {', '.join(dupes)} more than once; list each value once"
            raise SweepConfigError(msg)
        grid[key] = list(values)
    return SweepConfig(out=out, base=base, grid=grid, run_plots=run_plots, source=source, text=text)


# ----------------------------------------------------------------- checking


def _ib_field_types() -> dict[str, Any]:
    from ..ib.config import IBConfig

    return typing.get_type_hints(IBConfig)


def _did_you_mean(key: str, candidates: Any) -> str:
    from .._validation import close_names

    near = close_names(key, list(candidates))
    return f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else ""


def _check_field(source: str, section: str, key: str, hints: dict[str, Any]) -> None:
    if key in SET_BY_SWEEP:
        msg = (
            f"{source}: [{section}] {key} is set by the sweep (each run's folder is "
            "<out>/runs/<point>, without progress bars); remove it (the sweep folder is [sweep] out)"
        )
        raise SweepConfigError(msg)
    if key not in hints:
        fields = sorted(k for k in hints if k not in SET_BY_SWEEP)
        msg = (
            f"{source}: [{section}] has no IBConfig field {key!r}{_did_you_mean(key, fields)}; "
            f"the fields are {', '.join(fields)}"
        )
        raise SweepConfigError(msg)


def _allowed(hint: Any) -> tuple[type, ...]:
    """The Python types of TOML values that fit a field annotation (None is not in TOML)."""
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    allowed: list[type] = []
    for arg in args:
        origin = typing.get_origin(arg) or arg
        if origin is type(None):
            continue
        if origin is float:
            allowed += [float, int]
        elif origin in (int, str, bool, dict):
            allowed.append(origin)
    return tuple(allowed)


def _example(hint: Any) -> str:
    kind = _allowed(hint)[0]
    return {float: "0.001", int: "1", str: '"kl"', bool: "true", dict: "{ }"}[kind]


_TOML_NAMES = {
    float: "a number",
    int: "an integer",
    str: "a string",
    bool: "true or false",
    dict: "a table",
}


def _check_value(source: str, where: str, value: Any, hint: Any) -> None:
    allowed = _allowed(hint)
    ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
    if isinstance(value, float) and not math.isfinite(value):
        ok = False
    if ok:
        return
    want = " or ".join(
        dict.fromkeys(_TOML_NAMES[t] for t in allowed if t is not int or float not in allowed)
    )
    fix = ""
    if isinstance(value, str) and (float in allowed or int in allowed):
        fix = " (write it without quotes)"
    elif isinstance(value, list):
        fix = " (a list of values belongs in [grid])"
    msg = f"{source}: {where} must be {want}; got {type(value).__name__} {value!r}{fix}"
    raise SweepConfigError(msg)


def _normal(value: Any) -> Any:
    """1 and 1.0 are the same grid value."""
    return (
        float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    )
