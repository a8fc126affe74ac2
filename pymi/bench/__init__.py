"""Accuracy benchmark of MI estimators on data with known mutual information.

``pymi.bench.run(config, out_dir=...)`` (or ``pymi bench`` on the command line)
runs estimators x tasks x true-MI grid x seeds, writes every estimate to a tidy
CSV as it arrives, resumes interrupted runs, and draws estimated-vs-true figures and
summary tables. One grid point is a pure job (:func:`compute_point`), computed in
this process or on Dask workers (``workers=N``, ``scheduler=ADDRESS``); the driver is
the only writer of the run folder. All values are in nats.

Examples
--------
>>> from pymi import bench
>>> cfg = bench.BenchConfig(
...     estimators={"wkl": {"method": "wkl", "k": 5}, "ksg": {"method": "ksg", "k": 5}},
...     tasks={"g2": {"generator": "correlated_normal", "dim_x": 2, "dim_y": 2}},
...     mi_grid={"start": 0, "stop": 10, "num": 11}, n=2000, seeds=[0, 1])
>>> folder = bench.run(cfg, out_dir="runs/example")        # doctest: +SKIP
>>> bench.summarize(folder)                                # doctest: +SKIP
"""

from .compute import FitJob, PointJob, compute_point, fit_compressor
from .report import plot_task, summarize, write_report
from .runner import CSV_FIELDS, ConfigMismatchError, ResultsFileError, read_results, run
from .tasks import (
    DEFAULT_MI_GRID,
    GENERATORS,
    PRESETS,
    BenchConfig,
    ConfigError,
    EstimatorSpec,
    TaskSpec,
    load_config,
    preset,
)

__all__ = [
    "CSV_FIELDS",
    "DEFAULT_MI_GRID",
    "GENERATORS",
    "PRESETS",
    "BenchConfig",
    "ConfigError",
    "ConfigMismatchError",
    "EstimatorSpec",
    "FitJob",
    "PointJob",
    "ResultsFileError",
    "TaskSpec",
    "compute_point",
    "fit_compressor",
    "load_config",
    "plot_task",
    "preset",
    "read_results",
    "run",
    "summarize",
    "write_report",
]
