"""Sweeps of the information-plane experiment over seeds, noise, estimators and data.

A sweep is a grid of :func:`pymi.ib.run` runs, given as a TOML file (see
:mod:`pymi.sweep.config`): every grid point gets its own run folder, the points run
on Dask workers through :func:`pymi.engine.map_tasks` (in this process, on an
embedded ``LocalCluster`` or on an existing cluster), and the driver writes the
tables and the figures with the mean and a band over seeds per layer. MI in nats.

Example
-------
>>> from pymi.sweep import QUICK_TOML, parse_config, run_sweep          # doctest: +SKIP
>>> run_sweep(parse_config(QUICK_TOML), workers=2)                      # doctest: +SKIP

Command line: ``pymi sweep CONFIG.toml``, ``pymi sweep --quick``.
"""

from __future__ import annotations

import importlib
from typing import Any

# Lazy attributes (PEP 562): ``pymi sweep`` is registered by ``pymi.cli`` on every start,
# and the driver imports PyTorch and matplotlib through pymi.ib.
_EXPORTS = {
    "QUICK_TOML": "config",
    "SweepConfig": "config",
    "SweepConfigError": "config",
    "load_config": "config",
    "parse_config": "config",
    "Point": "grid",
    "expand": "grid",
    "run_point": "driver",
    "run_sweep": "driver",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'pymi.sweep' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
