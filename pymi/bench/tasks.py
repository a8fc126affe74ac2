"""Benchmark configuration: tasks with known MI, estimators, the MI grid, seeds, presets.

A benchmark is the product *tasks x estimators x true-MI grid x seeds*. A
:class:`BenchConfig` holds it; it can be built in Python, loaded from a JSON or
TOML file with :func:`load_config`, or taken from :data:`PRESETS` with
:func:`preset`. Everything is in nats.

Config file layout (TOML; the JSON file has the same keys)::

    name = "my-bench"               # default output folder: runs/<name>
    n = 5000                        # samples per estimate (a task may override it)
    seeds = [0, 1, 2]               # one independent data set per seed and grid point
    mi_grid = {start = 0, stop = 10, num = 41}   # or an explicit list of nats

    [estimators.wkl]                # any name; "method" is a pymi method
    method = "wkl"                  # (default: the name itself)
    k = 5                           # every other key is an estimator option

    [tasks.gaussian-2x2]
    generator = "correlated_normal" # a generator of pymi.datasets
    dim_x = 2                       # every other key is a generator argument
    dim_y = 2

    [tasks.roll]
    generator = "swiss_roll"
    mi_grid = [0.5, 1, 2]           # optional: run this task only at these points of the grid

    [tasks.bumps]
    generator = "images.gaussian_bump"
    estimators = ["wkl"]            # optional: run only these estimators here
    estimator_options = {compress = "pca"}   # optional: merged into each estimator's options

    [tasks.bumps.compressors.ae]    # optional: compressors trained once per task and cached
    method = "ae"                   # (see pymi.bench.compressed); an estimator with
    latent_dim = 2                  # codes = "ae" runs on their codes, and one with
                                    # mi_grid = [...] only at those points of the grid

    [tasks.cmi-dz2]                 # a conditional task: its quantity is I(X; Y | Z),
    generator = "conditional_normal" # the grid holds true CMI values and each estimate
    dim_x = 2                       # is pymi.conditional_mutual_information(x, y, z, method)
    dim_y = 2
    dim_z = 2

    [tasks.te]                      # transfer entropy of coupled AR(1) series: the grid
    generator = "coupled_ar"        # holds true TE values, each estimate is
    history = 1                     # pymi.transfer_entropy(source, target, method, lag=...)

New estimators need no code here: any ``method`` known to
:func:`pymi.make_estimator` (``"kde"`` once it is installed) is accepted; on
conditional and transfer-entropy tasks, any method of
:func:`pymi.conditional_mutual_information`. The quantity of a task
(:data:`QUANTITIES`) follows from its generator (:data:`GENERATOR_QUANTITY`); the
results keep one layout whatever it is (``true_mi`` holds the true value of the
task's quantity, in nats).
"""

from __future__ import annotations

import inspect
import json
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets
from .._random import RandomStateLike
from ..datasets import images

__all__ = [
    "DEFAULT_MI_GRID",
    "GENERATORS",
    "GENERATOR_QUANTITY",
    "HARD_ESTIMATORS",
    "PRESETS",
    "QUANTITIES",
    "BenchConfig",
    "ConfigError",
    "EstimatorSpec",
    "TaskSpec",
    "load_config",
    "parse_grid",
    "parse_seeds",
    "preset",
    "coupled_ar_task",
    "conditional_normal_task",
]

#: The paper's grid of true MI: ``numpy.linspace(0, 10, 41)`` nats.
DEFAULT_MI_GRID: tuple[float, ...] = tuple(float(v) for v in np.linspace(0.0, 10.0, 41))


def conditional_normal_task(
    mi: float,
    n: int,
    *,
    dim_x: int,
    dim_y: int,
    dim_z: int,
    coupling: float = 1.0,
    random_state: RandomStateLike = None,
) -> datasets.KnownCMISample:
    """Gaussian (X, Y, Z) with a known I(X; Y | Z), in the benchmark's calling convention.

    :func:`pymi.datasets.conditional_normal` with ``mi`` and ``n`` first and the
    dimensions as keywords (task arguments of a config).

    Parameters
    ----------
    mi : float
        True conditional mutual information I(X; Y | Z), nats, ``>= 0``.
    n : int
        Number of samples (rows of ``x``, ``y`` and ``z``).
    dim_x, dim_y, dim_z : int
        Dimensions of X, Y and Z (coordinates, ``>= 1``).
    coupling : float, default 1.0
        Scale (unitless) of the common dependence of X and Y on Z: ``x = u + z A``,
        ``y = v + z B`` with entries of ``A``, ``B`` of scale ``coupling / sqrt(dim_z)``;
        it does not change I(X; Y | Z), only the unconditional I(X; Y).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Seed or generator of the draw.

    Returns
    -------
    pymi.datasets.KnownCMISample
        ``x``, ``y``, ``z`` of shapes ``(n, dim_x)``, ``(n, dim_y)``, ``(n, dim_z)`` and
        the exact ``cmi`` (= ``mi``, nats).

    Raises
    ------
    ValueError
        As :func:`pymi.datasets.conditional_normal` (negative ``mi``, bad dimensions).
    """
    return datasets.conditional_normal(
        mi, dim_x, dim_y, dim_z, n, coupling=coupling, random_state=random_state
    )


def coupled_ar_task(
    mi: float,
    n: int,
    *,
    source_memory: float = 0.5,
    target_memory: float = 0.5,
    lag: int = 1,
    history: int = 1,
    source_history: int = 1,
    burn_in: int = 1000,
    random_state: RandomStateLike = None,
) -> datasets.KnownTESample:
    """Coupled AR(1) series whose transfer entropy source -> target is ``mi`` nats.

    The coupling is solved by :func:`pymi.datasets.autoregressive.coupling_for_te` (the
    smallest one whose exact TE, for ``lag``, ``history`` and ``source_history``, is
    ``mi``), then :func:`pymi.datasets.coupled_ar` draws the series (Schreiber,
    Phys. Rev. Lett. 85, 461 (2000); exact Gaussian TE: Barnett, Barrett & Seth, Phys.
    Rev. Lett. 103, 238701 (2009)).

    Parameters
    ----------
    mi : float
        True transfer entropy source -> target, nats, ``>= 0``.
    n : int
        Length of the series (time steps after the burn-in).
    source_memory, target_memory : float, default 0.5
        AR(1) coefficients of source and target, in (-1, 1).
    lag : int, default 1
        Delay (steps) of the most recent source value in the TE.
    history, source_history : int, default 1
        Number of past target and source values in the TE.
    burn_in : int, default 1000
        Initial steps discarded (the process starts at 0).
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Seed or generator of the draw.

    Returns
    -------
    pymi.datasets.KnownTESample
        ``source``, ``target`` of shape ``(n,)`` and the exact ``te`` (= ``mi``, nats);
        ``params`` holds the coupling and the settings.

    Raises
    ------
    ValueError
        For a ``mi`` out of reach of the process (with ``lag > 1`` the TE is bounded), a
        memory outside (-1, 1), or bad lengths.
    """
    from ..datasets.autoregressive import coupling_for_te

    coupling = coupling_for_te(
        mi, source_memory=source_memory, target_memory=target_memory, lag=lag,
        history=history, source_history=source_history,
    )  # fmt: skip
    return datasets.coupled_ar(
        n, coupling=coupling, source_memory=source_memory, target_memory=target_memory,
        lag=lag, history=history, source_history=source_history, burn_in=burn_in,
        random_state=random_state,
    )  # fmt: skip


#: The quantities a task can have: name -> what ``true_mi`` and the estimates are.
QUANTITIES: dict[str, str] = {
    "mi": "I(X; Y)",
    "cmi": "I(X; Y | Z)",
    "te": "transfer entropy",
}

#: Known-truth generators a task may name (``"images.<name>"`` is accepted for image families).
GENERATORS: dict[str, Callable[..., Any]] = {
    "correlated_normal": datasets.correlated_normal,
    "student_t": datasets.student_t,
    "transformed_normal": datasets.transformed_normal,
    "swiss_roll": datasets.swiss_roll,
    "near_discrete": datasets.near_discrete,
    "gaussian_bump": images.gaussian_bump,
    "correlated_bump": images.correlated_bump,
    "rectangles": images.rectangles,
    "zero_inflated_normal": datasets.zero_inflated_normal,
    "zero_inflated_pair": datasets.zero_inflated_pair,
    "conditional_normal": conditional_normal_task,
    "coupled_ar": coupled_ar_task,
}

#: The quantity of the generators whose truth is not I(X; Y) (the others: ``"mi"``).
GENERATOR_QUANTITY: dict[str, str] = {"conditional_normal": "cmi", "coupled_ar": "te"}

#: Arguments that a transfer-entropy task passes to :func:`pymi.transfer_entropy` itself.
_TE_CALL_ARGS = ("lag", "history", "source_history")

#: Arguments the runner passes to every generator itself.
_RUNNER_ARGS = ("mi", "n", "random_state")
_TASK_KEYS = ("generator", "n", "mi_grid", "estimators", "estimator_options", "compressors", "quantity")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class ConfigError(ValueError):
    """A benchmark configuration is invalid (unknown name, bad grid, bad option, ...)."""


# --------------------------------------------------------------------------- helpers


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        msg = (
            f"{what} names must be non-empty strings of letters, digits and '_', '.', '+', '-' "
            f"(they become file names and CSV keys); got {name!r}; rename it, e.g. 'wkl-k5'"
        )
        raise ConfigError(msg)
    return name


def _jsonable(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON data (so the config round-trips through config.json)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as err:
        msg = f"{where} must hold plain JSON/TOML values (numbers, strings, lists, tables); got {value!r} ({err})"
        raise ConfigError(msg) from None


def _registry() -> dict[str, Any]:
    from .._api import _registry as reg

    return reg()


def parse_grid(grid: object) -> tuple[float, ...]:
    """Return the true-MI grid (nats) as a sorted tuple of distinct floats.

    Parameters
    ----------
    grid : sequence of float, mapping or str
        Explicit values; ``{"start": a, "stop": b, "num": m}`` for
        ``numpy.linspace(a, b, m)``; or the string ``"a:b:m"`` (same meaning) or
        ``"v1,v2,..."``.

    Returns
    -------
    tuple of float
        Finite, non-negative, distinct values in nats, sorted.

    Raises
    ------
    ConfigError
        For an empty grid, negative or non-finite values, duplicates, or a malformed spec.
    """
    expect = "a list of MI values in nats, {start, stop, num} for linspace, or 'start:stop:num'"
    if isinstance(grid, str):
        text = grid.strip()
        try:
            if ":" in text:
                parts = text.split(":")
                if len(parts) != 3:
                    raise ValueError
                grid = {"start": float(parts[0]), "stop": float(parts[1]), "num": int(parts[2])}
            else:
                grid = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            msg = f"mi_grid must be {expect}; got {text!r}; pass e.g. '0:10:41' or '0,2.5,5'"
            raise ConfigError(msg) from None
    if isinstance(grid, Mapping):
        keys = set(grid)
        if keys != {"start", "stop", "num"}:
            msg = f"mi_grid as a table needs exactly the keys start, stop, num; got {sorted(keys)}; pass e.g. {{start = 0, stop = 10, num = 41}}"
            raise ConfigError(msg)
        num = grid["num"]
        if isinstance(num, bool) or not isinstance(num, numbers.Integral) or num < 1:
            msg = f"mi_grid num must be a positive integer (number of grid points); got num={num!r}; pass e.g. num=41"
            raise ConfigError(msg)
        try:
            values = np.linspace(float(grid["start"]), float(grid["stop"]), int(num))
        except (TypeError, ValueError):
            msg = f"mi_grid start and stop must be numbers of nats; got start={grid['start']!r}, stop={grid['stop']!r}"
            raise ConfigError(msg) from None
    elif isinstance(grid, (Sequence, np.ndarray)) and not isinstance(grid, str):
        try:
            values = np.asarray(grid, dtype=np.float64)
        except (TypeError, ValueError):
            msg = f"mi_grid must be {expect}; got non-numeric values {grid!r}"
            raise ConfigError(msg) from None
        if values.ndim != 1:
            msg = f"mi_grid must be a flat list of MI values; got an array of shape {values.shape}"
            raise ConfigError(msg)
    else:
        msg = f"mi_grid must be {expect}; got {grid!r} of type {type(grid).__name__}"
        raise ConfigError(msg)
    if values.size == 0:
        msg = f"mi_grid is empty; it must hold at least one true MI value in nats; pass e.g. {expect.split(',')[0]}"
        raise ConfigError(msg)
    bad = values[~np.isfinite(values) | (values < 0)]
    if bad.size:
        msg = f"mi_grid values must be finite and >= 0 (mutual information in nats); got {bad.tolist()}; drop them or use a grid such as '0:10:41'"
        raise ConfigError(msg)
    values = np.sort(values)
    dup = values[1:][np.isclose(values[1:], values[:-1], rtol=0, atol=1e-9)]
    if dup.size:
        msg = f"mi_grid values must be distinct (results are keyed by true MI); got duplicates {dup.tolist()}; remove them"
        raise ConfigError(msg)
    return tuple(float(v) for v in values)


def parse_seeds(seeds: object) -> tuple[int, ...]:
    """Return the seeds as a tuple of distinct non-negative ints.

    Parameters
    ----------
    seeds : sequence of int or str
        Explicit seeds, or a string: ``"3"`` means three seeds ``0, 1, 2`` and
        ``"4,7"`` the seeds 4 and 7. (A bare int in a config file is a list of one seed.)

    Raises
    ------
    ConfigError
        For an empty list, negative, non-integer or repeated seeds.
    """
    if isinstance(seeds, str):
        text = seeds.strip()
        try:
            if "," in text:
                seeds = [int(s) for s in text.split(",") if s.strip()]
            else:
                count = int(text)
                if count < 1:
                    raise ValueError
                seeds = list(range(count))
        except ValueError:
            msg = f"seeds must be a count such as '3' (seeds 0, 1, 2) or a list such as '0,1,2'; got {text!r}"
            raise ConfigError(msg) from None
    if isinstance(seeds, (numbers.Integral,)) and not isinstance(seeds, bool):
        seeds = [int(seeds)]
    if not isinstance(seeds, (Sequence, np.ndarray)) or len(seeds) == 0:
        msg = f"seeds must be a non-empty list of non-negative integers; got {seeds!r}; pass e.g. seeds=[0, 1, 2]"
        raise ConfigError(msg)
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
            msg = f"seeds must be non-negative integers; got {s!r} in seeds={list(seeds)!r}; pass e.g. seeds=[0, 1, 2]"
            raise ConfigError(msg)
        out.append(int(s))
    if len(set(out)) != len(out):
        msg = f"seeds must be distinct (results are keyed by seed); got {out}; remove the repeats"
        raise ConfigError(msg)
    return tuple(out)


def _check_n(n: object, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        msg = f"{where} must be an integer >= 2 (samples per estimate); got {n!r}; pass e.g. n=5000"
        raise ConfigError(msg)
    return int(n)


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator of a benchmark: a pymi ``method`` and its options.

    Parameters
    ----------
    name : str
        Label used in the results (CSV ``estimator`` column, legends).
    method : str
        A method known to :func:`pymi.make_estimator` (``"kl"``, ``"wkl"``, ``"ksg"``,
        ``"gaussian"``, ``"kde"`` where installed, ...).
    options : dict
        Keyword options for :func:`pymi.mutual_information` (``k``, ``whiten``,
        ``compress`` where supported, ...). ``random_state`` defaults to a value
        derived from the seed.
    """

    name: str
    method: str
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, name: str, spec: object) -> EstimatorSpec:
        """Build from ``{"method": ..., **options}`` (``method`` defaults to ``name``)."""
        _check_name(name, "estimator")
        if spec is None:
            spec = {}
        if isinstance(spec, str):
            spec = {"method": spec}
        if not isinstance(spec, Mapping):
            msg = f'estimator {name!r} must be a table {{method = ..., <options>}}; got {spec!r}; pass e.g. {{"method": "wkl", "k": 5}}'
            raise ConfigError(msg)
        spec = dict(spec)
        method = spec.pop("method", name)
        return cls(name=name, method=method, options=_jsonable(spec, f"estimator {name!r} options"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``{"method": ..., **options}``."""
        return {"method": self.method, **self.options}

    def validate(
        self,
        quantity: str = "mi",
        *,
        task: str | None = None,
        task_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Check that the method exists and that pymi accepts the options.

        Parameters
        ----------
        quantity : {"mi", "cmi", "te"}
            The quantity of the tasks the estimator runs on (:data:`QUANTITIES`).
        task : str, optional
            A task of that quantity, named in the messages.
        task_options : mapping, optional
            That task's ``estimator_options``, merged under the estimator's own options
            (as in the run) for the check of a conditional or transfer-entropy task.

        Raises
        ------
        ConfigError
            For an unknown method, one that cannot estimate ``quantity``, or an option
            the estimator rejects.
        """
        where = f"estimator {self.name!r}" + (f" on task {task!r}" if task else "")
        fixed = sorted(set(self.options) & {"base", "discrete_y"})
        if fixed:
            msg = (
                f"{where}: options {fixed} cannot be set in a benchmark (results "
                f"are in nats and the tasks have continuous x and y); remove them"
            )
            raise ConfigError(msg)
        self._check_method(quantity, where)
        options = {**(task_options or {}), **self.call_options} if quantity != "mi" else self.call_options
        check_estimator_options(self.method, options, where=where, quantity=quantity)

    def _check_method(self, quantity: str, where: str) -> None:
        """Check that ``method`` can estimate ``quantity`` (and, for TE, that no task argument is set)."""
        if quantity == "mi":
            reg = _registry()
            if not isinstance(self.method, str) or self.method not in reg:
                msg = (
                    f"estimator {self.name!r}: method must be one of {sorted(reg)} (the methods this "
                    f"pymi installation provides); got method={self.method!r}; fix the name, or install a pymi "
                    f"version that provides it"
                )
                raise ConfigError(msg)
            return
        from ..conditional import CMI_METHODS

        if not isinstance(self.method, str) or self.method not in CMI_METHODS:
            msg = (
                f"{where}: method must be one of {list(CMI_METHODS)} (the methods of "
                f"pymi.conditional_mutual_information) to estimate {QUANTITIES[quantity]}, the "
                f"quantity of the task; got method={self.method!r}; pick one of those, or leave "
                f"{self.name!r} out of the task with estimators = [...]"
            )
            raise ConfigError(msg)
        if quantity == "te":
            clash = sorted(set(self.options) & set(_TE_CALL_ARGS))
            if clash:
                msg = (
                    f"{where}: options {clash} are arguments of the transfer-entropy task (its "
                    f"truth is computed for them), not of the estimator; remove them from the "
                    f"estimator and set them on the task"
                )
                raise ConfigError(msg)

    @property
    def codes(self) -> str | None:
        """Name of the task compressor whose codes this estimator runs on (None: raw data)."""
        from .compressed import CODES_KEY

        codes = self.options.get(CODES_KEY)
        if codes is not None and not isinstance(codes, str):
            msg = f"estimator {self.name!r}: codes must name a compressor of the task (a string); got codes={codes!r}"
            raise ConfigError(msg)
        return codes

    @property
    def call_options(self) -> dict[str, Any]:
        """Options for :func:`pymi.mutual_information` (without the benchmark keys ``codes``, ``mi_grid``)."""
        from .compressed import CODES_KEY

        return {k: v for k, v in self.options.items() if k not in (CODES_KEY, "mi_grid")}

    @property
    def grid(self) -> tuple[float, ...] | None:
        """The estimator's own (coarser) grid of true MI, or None for the config's grid."""
        spec = self.options.get("mi_grid")
        return None if spec is None else parse_grid(spec)

    def runs_at(self, true_mi: float) -> bool:
        """Whether this estimator is run at grid point ``true_mi``."""
        grid = self.grid
        return grid is None or any(abs(true_mi - g) <= 1e-9 for g in grid)


def _mi_call_keywords() -> set[str]:
    """Explicit keyword parameters of :func:`pymi.mutual_information` (beyond estimator options)."""
    from .. import _api

    params = inspect.signature(_api.mutual_information).parameters
    return {p.name for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}


#: ``compress`` values of :func:`pymi.conditional_mutual_information` (and so of
#: :func:`pymi.transfer_entropy`, which passes its options on): none, or a cross-fitted PCA.
_CMI_COMPRESS: tuple[str | None, ...] = (None, "pca")


def _check_cmi_compression(options: Mapping[str, Any], *, where: str, quantity: str) -> None:
    """``compress`` and ``latent_dim`` of a conditional task: supported, and set together."""
    compress, latent_dim = options.get("compress"), options.get("latent_dim")
    what = QUANTITIES[quantity]
    if compress not in _CMI_COMPRESS:
        msg = (
            f"{where}: compress must be one of {list(_CMI_COMPRESS)} to estimate {what} (pymi."
            f"conditional_mutual_information offers a cross-fitted PCA only); got "
            f"compress={compress!r}; pass compress='pca' with latent_dim, or remove compress"
        )
        raise ConfigError(msg)
    if (compress is None) != (latent_dim is None):
        given, missing = ("latent_dim", "compress") if compress is None else ("compress", "latent_dim")
        msg = (
            f"{where}: {given} needs {missing} (estimating {what}): compress='pca' reduces each "
            f"variable to latent_dim principal components; got compress={compress!r}, "
            f"latent_dim={latent_dim!r}; pass both (e.g. compress='pca', latent_dim=1) or neither"
        )
        raise ConfigError(msg)
    if latent_dim is not None:
        from ..conditional import _latent_dims

        try:
            _latent_dims(latent_dim)
        except (TypeError, ValueError) as err:
            msg = f"{where}: pymi rejects latent_dim={latent_dim!r} (estimating {what}): {err}; pass an int >= 1 or three entries (x, y, z), each an int or None"
            raise ConfigError(msg) from None


def check_estimator_options(
    method: str, options: Mapping[str, Any], *, where: str, quantity: str = "mi"
) -> None:
    """Build the estimator once with ``options`` to surface a bad option before the run.

    Options that :func:`pymi.mutual_information` itself takes (e.g. ``compress`` once
    compression lands there) are not estimator-class options and are skipped here; for
    ``quantity`` ``"cmi"`` and ``"te"`` the estimator is that of
    :func:`pymi.conditional_mutual_information`, whose call keywords are checked on their
    own: ``compress`` must be None or ``"pca"``, and ``latent_dim`` comes with it.

    Raises
    ------
    ConfigError
        Naming ``where``, the options and pymi's reason.
    """
    if quantity == "mi":
        from .._api import _COMPRESS_OPTIONS, make_estimator

        skip = _mi_call_keywords() | set(_COMPRESS_OPTIONS)
        build = make_estimator
    else:
        from .. import conditional

        _check_cmi_compression(options, where=where, quantity=quantity)
        params = inspect.signature(conditional.conditional_mutual_information).parameters
        skip = {p.name for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        build = conditional.make_cmi_estimator
    opts = {k: v for k, v in options.items() if k not in skip or k == "k"}
    opts.setdefault("random_state", 0)
    try:
        build(method, **opts)
    except (TypeError, ValueError) as err:
        what = "" if quantity == "mi" else f" (estimating {QUANTITIES[quantity]})"
        msg = f"{where}: pymi rejects the options {dict(options)!r} for method={method!r}{what}: {err}"
        raise ConfigError(msg) from None


def _task_quantity(task: str, generator: object, stated: object) -> str:
    """The quantity of a task: its generator's; a stated one must be known and agree."""
    if stated is not None and (not isinstance(stated, str) or stated not in QUANTITIES):
        msg = (
            f"task {task!r}: quantity must be one of {list(QUANTITIES)} ({', '.join(QUANTITIES.values())}); "
            f"got quantity={stated!r}; remove the key (the generator sets it) or fix it"
        )
        raise ConfigError(msg)
    if not isinstance(generator, str) or generator not in GENERATORS:
        return "mi" if stated is None else str(stated)  # an unknown generator is reported by validate()
    expected = GENERATOR_QUANTITY.get(generator, "mi")
    if stated is not None and stated != expected:
        others = sorted(g for g in GENERATORS if GENERATOR_QUANTITY.get(g, "mi") == stated)
        msg = (
            f"task {task!r}: generator {generator!r} has quantity {expected!r} "
            f"({QUANTITIES[expected]}); got quantity={stated!r}; remove the key, or pick a "
            f"generator of quantity {stated!r}: {others}"
        )
        raise ConfigError(msg)
    return expected


@dataclass(frozen=True)
class TaskSpec:
    """One data set family with known MI, drawn fresh for every grid point and seed.

    Parameters
    ----------
    name : str
        Label used in the results and as the figure file name.
    generator : str
        A key of :data:`GENERATORS` (``"correlated_normal"``, ``"images.rectangles"``, ...).
    args : dict
        Generator arguments other than ``mi``, ``n`` and ``random_state``
        (e.g. ``dim_x``, ``dim_y``, ``size``).
    n : int, optional
        Samples per estimate for this task (default: the config's ``n``).
    mi_grid : tuple of float, optional
        True MI values (nats) this task is run at (default: the config's grid). Only the
        points that are also on the config's grid are run, so a coarser ``--grid`` thins
        every task, and a task without a point on it runs nothing; this lets a family run
        only at the MI it can reach (e.g. the pure Student-t, at its one value).
    estimators : tuple of str, optional
        Run only these estimators on this task (default: all).
    estimator_options : dict
        Options merged into every estimator's options on this task (e.g.
        ``{"compress": "pca"}`` for images); the estimator's own options win.
    quantity : {"mi", "cmi", "te"}
        What the task's truth and estimates are (:data:`QUANTITIES`): I(X; Y) by
        :func:`pymi.mutual_information`, I(X; Y | Z) by
        :func:`pymi.conditional_mutual_information`, or transfer entropy by
        :func:`pymi.transfer_entropy`. Set by the generator
        (:data:`GENERATOR_QUANTITY`); a config may state it, and must then agree.
    """

    name: str
    generator: str
    args: dict[str, Any] = field(default_factory=dict)
    n: int | None = None
    estimators: tuple[str, ...] | None = None
    estimator_options: dict[str, Any] = field(default_factory=dict)
    compressors: dict[str, Any] = field(default_factory=dict)
    mi_grid: tuple[float, ...] | None = None
    quantity: str = "mi"

    @property
    def compressor_specs(self) -> dict[str, Any]:
        """The task's compressors as :class:`pymi.bench.compressed.CompressorSpec` (may be empty)."""
        if not self.compressors:
            return {}
        from .compressed import parse_compressors

        return parse_compressors(self.name, self.compressors)

    @classmethod
    def from_dict(cls, name: str, spec: object) -> TaskSpec:
        """Build from ``{"generator": ..., **generator_args}`` plus the optional task keys."""
        _check_name(name, "task")
        if isinstance(spec, str):
            spec = {"generator": spec}
        if not isinstance(spec, Mapping) or "generator" not in spec:
            msg = (
                f"task {name!r} must be a table with a 'generator' key (one of {sorted(GENERATORS)}) "
                f"and its arguments; got {spec!r}; pass e.g. "
                f'{{"generator": "correlated_normal", "dim_x": 2, "dim_y": 2}}'
            )
            raise ConfigError(msg)
        spec = dict(spec)
        generator = spec.pop("generator")
        if isinstance(generator, str) and generator.startswith("images."):
            generator = generator[len("images.") :]
        quantity = _task_quantity(name, generator, spec.pop("quantity", None))
        n = spec.pop("n", None)
        grid = spec.pop("mi_grid", None)
        if grid is not None:
            try:
                grid = parse_grid(grid)
            except ConfigError as err:
                msg = f"task {name!r}: {err}"
                raise ConfigError(msg) from None
        ests = spec.pop("estimators", None)
        if ests is not None:
            if isinstance(ests, str) or not isinstance(ests, Sequence) or not ests:
                msg = f"task {name!r}: estimators must be a non-empty list of estimator names; got {ests!r}"
                raise ConfigError(msg)
            ests = tuple(ests)
        eopts = spec.pop("estimator_options", {}) or {}
        if not isinstance(eopts, Mapping):
            msg = f'task {name!r}: estimator_options must be a table of options; got {eopts!r}; pass e.g. {{compress = "pca"}}'
            raise ConfigError(msg)
        comps = spec.pop("compressors", None)
        if comps is not None:
            from .compressed import parse_compressors

            comps = {k: v.to_dict() for k, v in parse_compressors(name, comps).items()}
        return cls(
            name=name,
            generator=generator,
            args=_jsonable(spec, f"task {name!r} arguments"),
            n=None if n is None else _check_n(n, f"task {name!r} n"),
            estimators=ests,
            estimator_options=_jsonable(dict(eopts), f"task {name!r} estimator_options"),
            compressors=_jsonable(comps or {}, f"task {name!r} compressors"),
            mi_grid=grid,
            quantity=quantity,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: generator, its arguments, and the optional task keys that are set."""
        out: dict[str, Any] = {"generator": self.generator, **self.args}
        if self.n is not None:
            out["n"] = self.n
        if self.mi_grid is not None:
            out["mi_grid"] = list(self.mi_grid)
        if self.estimators is not None:
            out["estimators"] = list(self.estimators)
        if self.estimator_options:
            out["estimator_options"] = dict(self.estimator_options)
        if self.compressors:
            out["compressors"] = json.loads(json.dumps(self.compressors))
        if self.quantity != "mi":
            out["quantity"] = self.quantity
        return out

    @property
    def function(self) -> Callable[..., datasets.KnownMISample]:
        """The generator function."""
        try:
            return GENERATORS[self.generator]
        except KeyError:
            msg = f"task {self.name!r}: generator must be one of {sorted(GENERATORS)} (pymi.datasets); got {self.generator!r}"
            raise ConfigError(msg) from None

    def sample(self, mi: float, n: int, random_state: Any) -> Any:
        """Draw ``n`` samples whose true value of the task's quantity is ``mi`` nats."""
        return self.function(mi=mi, n=n, random_state=random_state, **self.args)

    def arrays(self, sample: Any) -> tuple[tuple[np.ndarray, ...], dict[str, Any]]:
        """The arrays an estimate takes from ``sample``, and the task's own call keywords.

        ``((x, y), {})`` for MI, ``((x, y, z), {})`` for conditional MI and
        ``((source, target), {"lag": ..., "history": ..., "source_history": ...})`` for
        transfer entropy (the settings the sample's truth is computed for).
        """
        if self.quantity == "cmi":
            return (sample.x, sample.y, sample.z), {}
        if self.quantity == "te":
            return (sample.source, sample.target), {k: sample.params[k] for k in _TE_CALL_ARGS}
        return (sample.x, sample.y), {}

    def describe(self) -> str:
        """Short human description, e.g. ``correlated_normal, d_X=2, d_Y=2``."""
        parts = [self.generator]
        if self.quantity != "mi":
            parts.append(QUANTITIES[self.quantity])
        for key, value in self.args.items():
            label = {"dim_x": "d_X", "dim_y": "d_Y", "dim_z": "d_Z"}.get(key, key)
            parts.append(f"{label}={value}")
        return ", ".join(parts)

    def validate(self, n: int, grid: Sequence[float]) -> None:
        """Check the generator name and arguments with small trial draws at both ends of the grid.

        Raises
        ------
        ConfigError
            For an unknown generator, an unknown or missing argument, or values the
            generator rejects (e.g. a true MI below the Student-t minimum).
        """
        fn = self.function
        if self.quantity != "mi" and self.compressors:
            msg = (
                f"task {self.name!r}: compressors are for tasks of quantity 'mi' (image codes); "
                f"this task estimates {QUANTITIES[self.quantity]}; remove its compressors table"
            )
            raise ConfigError(msg)
        clash = sorted(set(self.args) & set(_RUNNER_ARGS))
        if clash:
            msg = f"task {self.name!r}: {clash} are set by the benchmark (from mi_grid, n and seeds), not per task; remove them from the task"
            raise ConfigError(msg)
        sig = inspect.signature(fn)
        accepted = [p for p in sig.parameters if p not in _RUNNER_ARGS]
        try:
            sig.bind(mi=0.0, n=n, random_state=0, **self.args)
        except TypeError as err:
            msg = (
                f"task {self.name!r}: invalid arguments for generator {self.generator!r} ({err}); "
                f"it accepts {accepted} (mi, n, random_state come from the benchmark)"
            )
            raise ConfigError(msg) from None
        for mi in {min(grid), max(grid)} if grid else ():
            try:
                trial = self.sample(mi, min(n, 16), 0)
            except (TypeError, ValueError) as err:
                what = {"mi": "MI", "cmi": "CMI", "te": "TE"}[self.quantity]
                msg = f"task {self.name!r}: generator {self.generator!r} rejects true {what} {mi:g} nats with {self.args}: {err}"
                raise ConfigError(msg) from None
        if self.compressors and grid:
            from .compressed import validate_compressors

            validate_compressors(self, tuple(trial.x.shape[1:]), tuple(trial.y.shape[1:]))


# --------------------------------------------------------------------------- config


def _specs(items: object, what: str, build: Callable[[str, object], Any]) -> dict[str, Any]:
    if isinstance(items, Mapping):
        pairs: Iterable[tuple[str, object]] = items.items()
    elif isinstance(items, Sequence) and not isinstance(items, str):
        pairs = [(v, None) if isinstance(v, str) else (None, v) for v in items]
        pairs = list(pairs)
        if any(k is None for k, _ in pairs):
            msg = f"{what} given as a list must hold names (strings); got {items!r}; use a table name -> options instead"
            raise ConfigError(msg)
    else:
        msg = f"{what} must be a table of name -> options; got {items!r}"
        raise ConfigError(msg)
    out: dict[str, Any] = {}
    for name, spec in pairs:
        if isinstance(spec, (EstimatorSpec, TaskSpec)):
            out[name] = spec if spec.name == name else type(spec)(**{**spec.__dict__, "name": name})
        else:
            out[name] = build(name, spec)
    if not out:
        msg = f"{what} is empty; list at least one"
        raise ConfigError(msg)
    return out


@dataclass
class BenchConfig:
    """A benchmark: every task x estimator x true MI x seed gives one estimate.

    Parameters
    ----------
    estimators : dict
        ``name -> {"method": ..., **options}`` (or :class:`EstimatorSpec`); a list of
        method names is accepted too.
    tasks : dict
        ``name -> {"generator": ..., **args}`` (or :class:`TaskSpec`).
    mi_grid : sequence of float, mapping or str
        True MI values in nats (see :func:`parse_grid`); default ``linspace(0, 10, 41)``.
    n : int
        Samples per estimate (default 5000).
    seeds : sequence of int
        One independent data set per seed and grid point (default ``[0]``).
    name : str
        Label of the benchmark (default output folder ``runs/<name>``).

    Examples
    --------
    >>> cfg = BenchConfig(
    ...     estimators={"wkl": {"method": "wkl", "k": 5}},
    ...     tasks={"g2": {"generator": "correlated_normal", "dim_x": 2, "dim_y": 2}},
    ...     mi_grid=[0.0, 5.0], n=500, seeds=[0])
    >>> cfg.n_estimates
    2
    """

    estimators: dict[str, EstimatorSpec]
    tasks: dict[str, TaskSpec]
    mi_grid: tuple[float, ...] = DEFAULT_MI_GRID
    n: int = 5000
    seeds: tuple[int, ...] = (0,)
    name: str = "bench"

    def __post_init__(self) -> None:
        self.name = _check_name(self.name, "benchmark")
        self.estimators = _specs(self.estimators, "estimators", EstimatorSpec.from_dict)
        self.tasks = _specs(self.tasks, "tasks", TaskSpec.from_dict)
        self.mi_grid = parse_grid(self.mi_grid)
        self.seeds = parse_seeds(self.seeds)
        self.n = _check_n(self.n, "n")
        for task in self.tasks.values():
            unknown = [e for e in task.estimators or () if e not in self.estimators]
            if unknown:
                msg = f"task {task.name!r} lists estimators {unknown} that are not defined; defined estimators: {sorted(self.estimators)}"
                raise ConfigError(msg)
            for est in self.estimators_for(task):
                if est.grid is not None:
                    off = [g for g in est.grid if not any(abs(g - m) <= 1e-9 for m in self.mi_grid)]
                    if off:
                        msg = f"estimator {est.name!r}: its mi_grid must be a subset of the benchmark's mi_grid; {off} are not on it"
                        raise ConfigError(msg)
                if est.codes is not None and est.codes not in task.compressors:
                    have = sorted(task.compressors) or "none"
                    msg = (
                        f"estimator {est.name!r} runs on codes={est.codes!r}, but task {task.name!r} "
                        f"defines no such compressor (it has: {have}); add it under "
                        f"tasks.{task.name}.compressors, or leave {est.name!r} out of that task's estimators"
                    )
                    raise ConfigError(msg)
        if self.n_estimates == 0:
            grids = {t.name: list(t.mi_grid) for t in self.tasks.values() if t.mi_grid is not None}
            msg = (
                f"this benchmark plans no estimate: no task has a point of its own mi_grid on the "
                f"benchmark's mi_grid {list(self.mi_grid)} (task grids: {grids}); pass a grid that "
                f"contains some of those values"
            )
            raise ConfigError(msg)

    # ------------------------------------------------------------ derived
    def task_n(self, task: TaskSpec) -> int:
        """Samples per estimate for ``task``."""
        return task.n if task.n is not None else self.n

    def task_grid(self, task: TaskSpec) -> tuple[float, ...]:
        """The true MI values (nats) at which ``task`` runs: the grid, cut to the task's own."""
        if task.mi_grid is None:
            return self.mi_grid
        return tuple(m for m in self.mi_grid if any(abs(m - g) <= 1e-9 for g in task.mi_grid))

    def planned(self, task: TaskSpec) -> list[tuple[EstimatorSpec, float]]:
        """Every (estimator, true MI) pair run on ``task`` (per seed)."""
        return [(e, mi) for mi in self.mi_grid for e in self.estimators_for(task) if e.runs_at(mi)]

    def estimators_for(self, task: TaskSpec) -> list[EstimatorSpec]:
        """The estimators run on ``task``, in config order.

        For a task with its own ``mi_grid``, each estimator comes with its grid cut to the
        points the task runs at (so that ``runs_at`` answers for this task); an estimator
        left with no point is not run on the task.
        """
        names = task.estimators or tuple(self.estimators)
        ests = [self.estimators[e] for e in self.estimators if e in names]
        if task.mi_grid is None:
            return ests
        grid = self.task_grid(task)
        out = []
        for est in ests:
            points = [m for m in grid if est.runs_at(m)]
            if points:
                out.append(EstimatorSpec(est.name, est.method, {**est.options, "mi_grid": points}))
        return out

    def options_for(self, task: TaskSpec, est: EstimatorSpec) -> dict[str, Any]:
        """Options passed to the pymi function of the task's quantity for this estimator."""
        return {**task.estimator_options, **est.call_options}

    @property
    def n_estimates(self) -> int:
        """Total number of estimates (CSV rows) of a complete run."""
        return len(self.seeds) * sum(len(self.planned(t)) for t in self.tasks.values())

    # ------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration as JSON data (explicit grid and seeds)."""
        return {
            "name": self.name,
            "n": self.n,
            "seeds": list(self.seeds),
            "mi_grid": list(self.mi_grid),
            "estimators": {k: v.to_dict() for k, v in self.estimators.items()},
            "tasks": {k: v.to_dict() for k, v in self.tasks.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> BenchConfig:
        """Build from the dict form (as in a config file); unknown keys are an error."""
        if not isinstance(data, Mapping):
            msg = f"{source} must be a table/object at the top level; got {type(data).__name__}"
            raise ConfigError(msg)
        allowed = {"name", "n", "seeds", "mi_grid", "estimators", "tasks"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            msg = f"{source}: unknown keys {unknown}; allowed keys are {sorted(allowed)}"
            raise ConfigError(msg)
        missing = [k for k in ("estimators", "tasks") if k not in data]
        if missing:
            msg = f"{source}: missing required keys {missing}; a config needs 'estimators' and 'tasks' tables (see `pymi bench --help`)"
            raise ConfigError(msg)
        kwargs = {k: data[k] for k in allowed if k in data}
        return cls(**kwargs)

    def validate(self) -> None:
        """Check every estimator and task against the installed pymi (cheap trial draws).

        Raises
        ------
        ConfigError
            Naming the first bad estimator or task.
        """
        for est in self.estimators.values():
            # once for the MI tasks; on every other task with its own options merged in
            used = [t for t in self.tasks.values() if any(e.name == est.name for e in self.estimators_for(t))]
            if not used or any(t.quantity == "mi" for t in used):
                est.validate()
            for task in used:
                if task.quantity != "mi":
                    est.validate(task.quantity, task=task.name, task_options=task.estimator_options)
        for task in self.tasks.values():
            task.validate(self.task_n(task), self.task_grid(task))
            if task.quantity != "mi":
                self._check_code_sizes(task)
            for est in self.estimators_for(task):
                if task.estimator_options and task.quantity == "mi":
                    check_estimator_options(
                        est.method,
                        self.options_for(task, est),
                        where=f"estimator {est.name!r} on task {task.name!r}",
                        quantity=task.quantity,
                    )

    def _check_code_sizes(self, task: TaskSpec) -> None:
        """On a conditional or TE task, each ``latent_dim`` fits the dimension of its variable."""
        from ..conditional import _latent_dims

        for est in self.estimators_for(task):
            latent = self.options_for(task, est).get("latent_dim")
            if latent is None:
                continue
            trial = task.sample(self.task_grid(task)[0], 16, 0)
            arrays, call = task.arrays(trial)
            if task.quantity == "te":  # the delay embedding: T_t, the source's and target's pasts
                f = arrays[0].reshape(arrays[0].shape[0], -1).shape[1]
                dims = (f, f * call["source_history"], f * call["history"])
                names = ("the target's present", "the source's past", "the target's past")
                order = "(target present, source past, target past)"
            else:
                dims = tuple(a.reshape(a.shape[0], -1).shape[1] for a in arrays)
                names = ("x", "y", "z")
                order = "(x, y, z)"
            for name, d, ld in zip(names, dims, _latent_dims(latent), strict=True):
                if ld is not None and ld > d:
                    msg = (
                        f"estimator {est.name!r} on task {task.name!r}: latent_dim={latent!r} asks "
                        f"for {ld} components of {name}, which has {d} coordinate(s) (dimensions "
                        f"of {order}: {dims}); pass latent_dim with entries <= {list(dims)}, or "
                        f"None to keep a variable as is"
                    )
                    raise ConfigError(msg)

    def replace(self, **changes: Any) -> BenchConfig:
        """A copy with some fields changed (values in any form the constructor accepts)."""
        data = self.to_dict()
        data.update(changes)
        return BenchConfig.from_dict(data)

    def select(
        self, *, estimators: Sequence[str] | None = None, tasks: Sequence[str] | None = None
    ) -> BenchConfig:
        """A copy restricted to some estimators / tasks.

        An estimator name that is not in the config but is a pymi method is added with
        default options.

        Raises
        ------
        ConfigError
            For a name that is neither defined nor (for estimators) a pymi method.
        """
        data = self.to_dict()
        if estimators is not None:
            reg = _registry()
            chosen = {}
            for e in estimators:
                if e in data["estimators"]:
                    chosen[e] = data["estimators"][e]
                elif e in reg:
                    chosen[e] = {"method": e}
                else:
                    msg = (
                        f"estimator {e!r} is neither defined in config {self.name!r} "
                        f"({sorted(data['estimators'])}) nor a pymi method ({sorted(reg)}); "
                        f"pick one of those"
                    )
                    raise ConfigError(msg)
            data["estimators"] = chosen
            for t in data["tasks"].values():
                if "estimators" in t:
                    t["estimators"] = [e for e in t["estimators"] if e in chosen] or list(chosen)
        if tasks is not None:
            unknown = [t for t in tasks if t not in data["tasks"]]
            if unknown:
                msg = f"tasks {unknown} are not defined in config {self.name!r}; defined tasks: {sorted(data['tasks'])}"
                raise ConfigError(msg)
            data["tasks"] = {t: data["tasks"][t] for t in tasks}
        return BenchConfig.from_dict(data)


def load_config(path: str | Path) -> BenchConfig:
    """Load a :class:`BenchConfig` from a ``.json`` or ``.toml`` file.

    Parameters
    ----------
    path : str or pathlib.Path
        The config file (layout in the module docstring).

    Returns
    -------
    BenchConfig

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ConfigError
        For an unsupported suffix, a syntax error or invalid content.
    """
    p = Path(path)
    if not p.is_file():
        msg = (
            f"benchmark config file {str(p)!r} not found; pass an existing .json or .toml file, "
            f"or a preset (one of {sorted(PRESETS)}) with --preset"
        )
        raise FileNotFoundError(msg)
    suffix = p.suffix.lower()
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        msg = f"benchmark config {str(p)!r} is not UTF-8 text (byte {err.start}); pass a .json or .toml config file"
        raise ConfigError(msg) from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            msg = f"benchmark config {str(p)!r} is not valid JSON: {err}"
            raise ConfigError(msg) from None
    elif suffix == ".toml":
        try:
            import tomllib
        except ImportError:  # pragma: no cover - python 3.10
            try:
                import tomli as tomllib  # type: ignore[no-redef]
            except ImportError:
                msg = f"reading {str(p)!r} needs Python >= 3.11 (tomllib) or `pip install tomli`; or write the config as .json"
                raise ConfigError(msg) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            msg = f"benchmark config {str(p)!r} is not valid TOML: {err}"
            raise ConfigError(msg) from None
    else:
        msg = f"benchmark config must be a .json or .toml file; got {str(p)!r} (suffix {suffix!r}); rename it or convert it"
        raise ConfigError(msg)
    data = dict(data)
    data.setdefault("name", re.sub(r"[^A-Za-z0-9_.+-]", "-", p.stem) or "bench")
    return BenchConfig.from_dict(data, source=f"benchmark config {str(p)!r}")


# --------------------------------------------------------------------------- presets


def _gaussian_task(d: int) -> dict[str, Any]:
    return {"generator": "correlated_normal", "dim_x": d, "dim_y": d}


def _paper_gaussian() -> BenchConfig:
    ests: dict[str, Any] = {
        "kl": {"method": "kl", "k": 5},
        "wkl": {"method": "wkl", "k": 5},
        "ksg": {"method": "ksg", "k": 5},
    }
    if "kde" in _registry():
        ests["kde"] = {"method": "kde"}
    return BenchConfig(
        name="paper-gaussian",
        estimators=ests,
        tasks={"gaussian-2x2": _gaussian_task(2), "gaussian-4x4": _gaussian_task(4)},
        mi_grid=DEFAULT_MI_GRID,
        n=5000,
        seeds=(0, 1, 2),
    )


def _quick() -> BenchConfig:
    return BenchConfig(
        name="quick",
        estimators={
            "kl": {"method": "kl", "k": 5},
            "wkl": {"method": "wkl", "k": 5},
            "ksg": {"method": "ksg", "k": 5},
        },
        tasks={"gaussian-2x2": _gaussian_task(2), "gaussian-4x4": _gaussian_task(4)},
        mi_grid={"start": 0.0, "stop": 10.0, "num": 11},
        n=2000,
        seeds=(0,),
    )


#: Images of the paper's benchmark: generator, size, number of true parameters (= code size).
_IMAGE_TASKS: dict[str, tuple[str, int, int]] = {
    "gaussian_bump-16": ("gaussian_bump", 16, 2),
    "rectangles-16": ("rectangles", 16, 4),
    "rectangles-32": ("rectangles", 32, 4),
    "correlated_bump-32": ("correlated_bump", 32, 5),
}
_COARSE_GRID: tuple[float, ...] = tuple(float(v) for v in np.linspace(0.0, 10.0, 11))


def _ae_options(task: str, *, quick: bool) -> dict[str, Any]:
    """Autoencoder budget for this CPU (see benchmarks/compression/README.md for the choice).

    The input noise is the paper's (0.1), stated because ConvAutoencoder's default is
    tuned for the realistic budget of ``compress="ae"``.
    """
    if quick:
        return {
            "channels": [8, 16, 16], "batch_size": 128, "max_steps": 150, "max_epochs": 1000,
            "patience": 1000, "input_noise": 0.1, "n_jobs": 1, "device": "auto",
        }  # fmt: skip
    batch, steps = _AE_BUDGET[task]
    return {
        "channels": [8, 16, 16], "batch_size": batch, "max_steps": steps,
        "max_epochs": 1000, "patience": 1000, "input_noise": 0.1, "n_jobs": 1, "device": "auto",
    }  # fmt: skip


#: (batch size, optimiser steps) of the image autoencoders: what fits this 2-core CPU
#: (benchmarks/compression/README.md measures the effect of the budget).
_AE_BUDGET: dict[str, tuple[int, int]] = {
    "gaussian_bump-16": (256, 600),
    "rectangles-16": (256, 4800),
    "rectangles-32": (128, 2400),
    "correlated_bump-32": (128, 2400),
}


def _images(*, quick: bool = False) -> BenchConfig:
    n_train = 4000 if quick else 20000
    ests: dict[str, Any] = {
        "ae+wkl": {"method": "wkl", "k": 5, "codes": "ae", "n_jobs": 1},
        "ae+kl": {"method": "kl", "k": 5, "codes": "ae", "n_jobs": 1},
    }
    if "kde" in _registry():
        ests["ae+kde"] = {"method": "kde", "codes": "ae", "n_jobs": 1}
    ests["pca+wkl"] = {"method": "wkl", "k": 5, "codes": "pca", "n_jobs": 1}
    mine = {
        "method": "mine", "codes": "ae", "critic": "mlp", "max_epochs": 60, "patience": 10,
        "n_jobs": 1, "device": "auto",
    }  # fmt: skip
    ksg = {"method": "ksg", "k": 5, "whiten": False, "n_jobs": 1}
    if quick:
        mine["max_epochs"] = 20
    else:
        mine["mi_grid"] = list(_COARSE_GRID)
        ksg["mi_grid"] = list(_COARSE_GRID)
    ests["ae+mine"] = mine
    ests["ksg-raw"] = ksg
    names = ["gaussian_bump-16"] if quick else list(_IMAGE_TASKS)
    tasks = {}
    for name in names:
        gen, size, k = _IMAGE_TASKS[name]
        tasks[name] = {
            "generator": gen,
            "size": size,
            "compressors": {
                "ae": {
                    "method": "ae",
                    "latent_dim": k,
                    "n_train": n_train,
                    "options": _ae_options(name, quick=quick),
                },
                "pca": {"method": "pca", "latent_dim": k, "n_train": n_train},
            },
        }
    return BenchConfig(
        name="images-quick" if quick else "images",
        estimators=ests,
        tasks=tasks,
        mi_grid={"start": 0.0, "stop": 10.0, "num": 11} if quick else DEFAULT_MI_GRID,
        n=1000 if quick else 5000,
        seeds=(0,),
    )


#: Estimators of the ``hard`` preset, in this order (k = 5 for the neighbour methods).
HARD_ESTIMATORS: tuple[str, ...] = ("cksg", "ksg", "ksg_raw", "kl", "wkl", "kde", "gaussian")
#: Options per estimator name (``method`` defaults to the name): ``ksg_raw`` is KSG
#: without its per-side whitening, to measure what the whitening does.
_HARD_OPTIONS: dict[str, dict[str, Any]] = {
    "cksg": {},  # the default method at its default settings
    "ksg": {"k": 5},
    "ksg_raw": {"method": "ksg", "k": 5, "whiten": False},
    "kl": {"k": 5},
    "wkl": {"k": 5},
}
#: Largest joint dimension ``d_x + d_y`` at which a ``hard`` estimator is run. WKL with
#: k = 5 refuses d >= 11 (its exact weights would amplify the noise more than
#: ``max_weight_norm`` allows; Berrett, Samworth & Yuan 2019), so it skips the tasks of
#: joint dimension 20 to 100 instead of recording one refusal per point.
_HARD_MAX_JOINT_DIM: dict[str, int] = {"wkl": 10}


def _hard(*, quick: bool = False) -> BenchConfig:
    """The vector tasks of :data:`pymi.datasets.HARD_SUITE`, each at its own true MI values."""
    from ..datasets.suite import draw, hard_suite

    tasks: dict[str, Any] = {}
    for task in hard_suite(images=False):
        trial = draw(task, task.mi_values[0], 2, random_state=0)
        joint = trial.x.shape[1] + trial.y.shape[1]
        ests = [e for e in HARD_ESTIMATORS if joint <= _HARD_MAX_JOINT_DIM.get(e, joint)]
        grid = task.mi_values[len(task.mi_values) // 2 :][:1] if quick else task.mi_values
        spec: dict[str, Any] = {"generator": task.generator, **task.args, "mi_grid": list(grid)}
        if len(ests) < len(HARD_ESTIMATORS):
            spec["estimators"] = ests
        tasks[task.name] = spec
    grid_all = sorted({m for t in tasks.values() for m in t["mi_grid"]})
    return BenchConfig(
        name="hard-quick" if quick else "hard",
        estimators={e: {"method": e, **_HARD_OPTIONS.get(e, {})} for e in HARD_ESTIMATORS},
        tasks=tasks,
        mi_grid=grid_all,
        n=1000 if quick else 5000,
        seeds=(0,) if quick else (0, 1, 2),
    )


def _hard_images(*, quick: bool = False) -> BenchConfig:
    """The image tasks of :data:`pymi.datasets.HARD_SUITE` on the realistic budget.

    Every estimate is one call ``mutual_information(x, y, "cksg", compress="ae",
    latent_dim=L)`` on the task's N image pairs and nothing else: cross-fitted
    autoencoders at their defaults (``L`` = the number of true parameters per image).
    The quick version is a smoke test whose autoencoders train for 2 epochs only.
    """
    from ..datasets.suite import draw, hard_suite

    tasks: dict[str, Any] = {}
    for task in hard_suite():
        if not task.image or (quick and task.name != "images-gaussian_bump-16"):
            continue
        latent_dim = int(draw(task, task.mi_values[0], 2, random_state=0).latent_x.shape[1])
        training: dict[str, Any] = {"progress": False, **({"max_epochs": 2} if quick else {})}
        options = {"compress": "ae", "latent_dim": latent_dim, "compressor_options": training}
        tasks[task.name] = {
            "generator": task.generator.split(".")[-1],
            **task.args,
            "mi_grid": [1.0] if quick else list(task.mi_values),
            "estimator_options": options,
        }
    grid_all = sorted({m for t in tasks.values() for m in t["mi_grid"]})
    return BenchConfig(
        name="hard-images-quick" if quick else "hard-images",
        estimators={"cksg+ae": {"method": "cksg"}},
        tasks=tasks,
        mi_grid=grid_all,
        n=1000 if quick else 5000,
        seeds=(0,) if quick else (0, 1, 2),
    )


#: Estimators of the ``mixed`` preset: the mixed KSG of Gao et al. (2017) against KSG and the
#: default, both of which break the ties of the atom with seeded jitter.
MIXED_ESTIMATORS: dict[str, dict[str, Any]] = {
    "mixed_ksg": {"method": "mixed_ksg"},
    "ksg": {"method": "ksg", "k": 5},
    "cksg": {"method": "cksg"},
}


#: Joint-atom cases (``zero_inflated_pair``) of the ``mixed`` preset and of
#: benchmarks/bench_mixed.py: p_zero -> true MI values (nats), each above H_b(p_zero)
#: (0.500, 0.693, 0.500) with I(G; G') = (I - H_b) / (1 - p_zero) <= 3 nats.
MIXED_PAIR_GRIDS: dict[float, tuple[float, ...]] = {
    0.2: (0.75, 1.0, 1.5, 2.0, 2.5),
    0.5: (0.75, 1.0, 1.5, 2.0),
    0.8: (0.6, 0.75, 1.0),
}


def _mixed(*, quick: bool = False) -> BenchConfig:
    """Data with an atom: X is 0 with probability ``p_zero`` and Gaussian otherwise, correlated
    with Y (``zero_inflated``); and a joint atom, X = Y = 0 together (``zero_inflated_pair``)."""
    single = (0.5,) if quick else (0.1, 0.25, 0.5, 1.0)
    tasks: dict[str, Any] = {
        f"zero_inflated-p{int(100 * p)}": {
            "generator": "zero_inflated_normal", "p_zero": p, "mi_grid": list(single),
        }
        for p in ((0.5,) if quick else (0.5, 0.8))
    }  # fmt: skip
    pairs = {0.5: (1.0,)} if quick else MIXED_PAIR_GRIDS
    for p, grid in pairs.items():
        tasks[f"zero_inflated_pair-p{int(100 * p)}"] = {
            "generator": "zero_inflated_pair", "p_zero": p, "mi_grid": list(grid),
        }  # fmt: skip
    return BenchConfig(
        name="mixed-quick" if quick else "mixed",
        estimators=dict(MIXED_ESTIMATORS),
        tasks=tasks,
        mi_grid=sorted({m for t in tasks.values() for m in t["mi_grid"]}),
        n=1000 if quick else 5000,
        seeds=(0,) if quick else (0, 1, 2),
    )


#: Estimators of the ``conditional`` and ``transfer-entropy`` presets, at pymi's defaults:
#: Frenzel–Pompe calibrated on a Gaussian reference (``cksg``, the default), plain
#: Frenzel–Pompe (``ksg``), and the entropy sum of Kozachenko–Leonenko entropies (``kl``).
CONDITIONAL_ESTIMATORS: dict[str, dict[str, Any]] = {
    "cksg": {"method": "cksg"},
    "ksg": {"method": "ksg"},
    "kl": {"method": "kl"},
}


def _conditional(*, quick: bool = False) -> BenchConfig:
    """Gaussian (X, Y, Z) with d_X = d_Y = 2 and d_Z = 1..4, true I(X; Y | Z) up to 3 nats."""
    dims = (1, 4) if quick else (1, 2, 3, 4)
    tasks = {
        f"cmi_dz{d}": {"generator": "conditional_normal", "dim_x": 2, "dim_y": 2, "dim_z": d}
        for d in dims
    }
    return BenchConfig(
        name="conditional-quick" if quick else "conditional",
        estimators=dict(CONDITIONAL_ESTIMATORS),
        tasks=tasks,
        mi_grid=(0.5, 2.0) if quick else {"start": 0.0, "stop": 3.0, "num": 13},
        n=1000 if quick else 5000,
        seeds=(0,) if quick else (0, 1, 2),
    )


#: Transfer-entropy tasks: coupled AR(1) series (source memory, target memory, histories).
_TE_TASKS: dict[str, dict[str, Any]] = {
    "te_h1": {"generator": "coupled_ar"},
    "te_h2": {"generator": "coupled_ar", "history": 2, "source_history": 2},
    "te_slow": {"generator": "coupled_ar", "source_memory": 0.9, "target_memory": 0.9},
}


def _transfer_entropy(*, quick: bool = False) -> BenchConfig:
    """Coupled AR(1) series with exact transfer entropy source -> target (Schreiber 2000)."""
    names = ("te_h1",) if quick else tuple(_TE_TASKS)
    return BenchConfig(
        name="transfer-entropy-quick" if quick else "transfer-entropy",
        estimators=dict(CONDITIONAL_ESTIMATORS),
        tasks={name: dict(_TE_TASKS[name]) for name in names},
        mi_grid=(0.1, 0.5) if quick else (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
        n=1000 if quick else 5000,
        seeds=(0,) if quick else (0, 1, 2),
    )


#: Built-in benchmarks: name -> (description, factory).
PRESETS: dict[str, tuple[str, Callable[[], BenchConfig]]] = {
    "quick": (
        "smoke test (< 2 min): KL, WKL, KSG (k=5) on correlated Gaussians 2+2 and 4+4, "
        "true MI 0, 1, ..., 10 nats, N=2000, 1 seed",
        _quick,
    ),
    "paper-gaussian": (
        "the paper's Gaussian benchmark: KL, WKL, KSG (k=5; and KDE when installed) on "
        "correlated Gaussians 2+2 and 4+4, true MI linspace(0, 10, 41) nats, N=5000, seeds 0, 1, 2",
        _paper_gaussian,
    ),
    "images": (
        "the paper's image benchmark (Butakov et al., ICLR 2024): one autoencoder and one PCA per "
        "data set (trained once on fresh images, cached), then AE+WKL, AE+KL (AE+KDE when "
        "installed), PCA+WKL, MINE (MLP critic on the AE codes) and KSG on raw pixels; "
        "gaussian_bump 16x16, rectangles 16x16 and 32x32, correlated_bump 32x32; true MI "
        "linspace(0, 10, 41) nats (MINE and raw KSG: 0, 1, ..., 10), N=5000, seed 0",
        lambda: _images(quick=False),
    ),
    "hard": (
        "the hard-distribution suite (pymi.datasets.HARD_SUITE without images): Gaussians 1+1 to "
        "50+50 (dense and sparse), Student-t df 1, 2, 3 (pure and with a Gaussian part), "
        "transformed Gaussians (half_cube, asinh, normal_cdf, spiral), swiss roll, near-discrete; "
        "each task at its own true MI values (55 points, 0.19 to 4 nats); KSG, KL, WKL (k=5; WKL "
        "only up to joint dimension 10) and the Gaussian estimator, N=5000, seeds 0, 1, 2",
        lambda: _hard(quick=False),
    ),
    "hard-quick": (
        "smoke test of the hard suite: every vector task at one true MI value, the same "
        "estimators, N=1000, seed 0",
        lambda: _hard(quick=True),
    ),
    "hard-images": (
        "the image tasks of the hard suite on the realistic budget: gaussian_bump and "
        "rectangles, 16x16 and 32x32, each estimate one call of the default method with "
        "compress='ae' (cross-fitted autoencoders at their defaults, code size = true "
        "parameters) on the N pairs only; true MI 0.5, 1, 2, 3, 5 nats, N=5000, seeds 0, 1, 2 "
        "(hours on a CPU)",
        lambda: _hard_images(quick=False),
    ),
    "hard-images-quick": (
        "smoke test of hard-images: gaussian_bump 16x16 at true MI 1, autoencoders trained "
        "for 2 epochs, N=1000, seed 0",
        lambda: _hard_images(quick=True),
    ),
    "mixed": (
        "data with an atom, exact truths: X 0 with probability p_zero (0.5, 0.8) and Gaussian "
        "otherwise, correlated with a Gaussian Y (true MI 0.1, 0.25, 0.5, 1 nats); and a joint atom, "
        "X = Y = 0 with probability p_zero (0.2, 0.5, 0.8) and a correlated Gaussian pair otherwise "
        "(true MI 0.6 to 2.5 nats, above H_b(p_zero)); mixed KSG (Gao et al. 2017), KSG (k=5) and "
        "cksg, the last two with seeded jitter on the ties; N=5000, seeds 0, 1, 2",
        lambda: _mixed(quick=False),
    ),
    "mixed-quick": (
        "smoke test of the mixed preset: the atom in X (p_zero 0.5, true MI 0.5) and the joint "
        "atom (p_zero 0.5, true MI 1), N=1000, seed 0",
        lambda: _mixed(quick=True),
    ),
    "conditional": (
        "conditional MI I(X;Y|Z) of Gaussians (d_X = d_Y = 2, d_Z = 1, 2, 3, 4; closed form): "
        "cksg (calibrated Frenzel-Pompe, the default), ksg (plain Frenzel-Pompe) and kl "
        "(entropy sum), pymi's default options; true CMI linspace(0, 3, 13) nats, N=5000, "
        "seeds 0, 1, 2",
        lambda: _conditional(quick=False),
    ),
    "conditional-quick": (
        "smoke test of the conditional preset: d_Z = 1 and 4, true CMI 0.5 and 2 nats, "
        "N=1000, seed 0",
        lambda: _conditional(quick=True),
    ),
    "transfer-entropy": (
        "transfer entropy of coupled AR(1) series (exact, Barnett et al. 2009): memories 0.5 with "
        "histories 1 and 2, memories 0.9 with history 1; cksg, ksg and kl through "
        "pymi.transfer_entropy; true TE 0, 0.02, 0.05, 0.1, 0.2, 0.5, 1 nats, series of "
        "N=5000 steps, seeds 0, 1, 2",
        lambda: _transfer_entropy(quick=False),
    ),
    "transfer-entropy-quick": (
        "smoke test of the transfer-entropy preset: memories 0.5, history 1, true TE 0.1 and "
        "0.5 nats, N=1000, seed 0",
        lambda: _transfer_entropy(quick=True),
    ),
    "images-quick": (
        "smoke test of the image benchmark (< 2 min): gaussian_bump 16x16, a small AE (150 "
        "steps on 4000 images) and PCA, the same estimators, true MI 0, 1, ..., 10, N=1000, seed 0",
        lambda: _images(quick=True),
    ),
}


def preset(name: str) -> BenchConfig:
    """The built-in benchmark ``name`` (see :data:`PRESETS`).

    Raises
    ------
    ConfigError
        For an unknown preset name.
    """
    if name not in PRESETS:
        msg = f"preset must be one of {sorted(PRESETS)}; got {name!r}; or pass a config file"
        raise ConfigError(msg)
    return PRESETS[name][1]()
