"""The hard-distribution suite: families with exactly known MI on which estimators are known to struggle.

Each :class:`SuiteTask` names a generator of :mod:`pymi.datasets`, its arguments and a few
true MI values (nats) that the family reaches; :func:`draw` makes a
:class:`~pymi.datasets.KnownMISample` from a task. :data:`HARD_SUITE` covers, in the
spirit of the benchmark of Czyż et al. (NeurIPS 2023):

=================  ==========================================================================
family             what makes it hard
=================  ==========================================================================
gaussian_dense     correlated Gaussians, the MI spread evenly over all pairs (1+1 to 50+50)
gaussian_sparse    the MI on 2 of 25 or 50 pairs, the other coordinates independent noise
student_t          heavy tails (df 1, 2, 3); "pure" tasks have an identity scale matrix, so
                   all the dependence is in the shared scale and the MI is its minimum
transformed        injective maps of Gaussians: half_cube, asinh, normal_cdf (uniform
                   marginals), spiral; MI invariant (Kraskov et al. 2004)
swiss_roll         x on a 1-D curve in R^2 (no density), y Gaussian or rolled as well
near_discrete      x concentrated on a few levels (spikes of width 1e-3), y a Gaussian mixture
images             rendered images of Butakov et al. (ICLR 2024), 16x16 and 32x32 pixels
=================  ==========================================================================

The non-image part has 55 (task, MI) points in 26 tasks with per-side dimensions from 1 to 50.

References
----------
P. Czyż, F. Grabowski, J. E. Vogt, N. Beerenwinkel, A. Marx, "Beyond normal: on the
evaluation of mutual information estimators", NeurIPS 2023.
A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information", Phys. Rev. E 69
(2004) 066138.
I. Butakov, A. Tolmachev, S. Malanchuk, A. Neopryatnaya, A. Frolov, K. Andreev,
"Information bottleneck analysis of deep neural networks via lossy compression", ICLR 2024.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._random import RandomStateLike
from ._checks import check_mi
from ._sample import KnownMISample
from .gaussian import correlated_normal
from .images import correlated_bump, gaussian_bump, rectangles
from .manifold import swiss_roll
from .near_discrete import near_discrete
from .student import student_t, student_t_mi_correction
from .transformed import transformed_normal

__all__ = ["FAMILIES", "HARD_SUITE", "SUITE_GENERATORS", "SuiteTask", "draw", "hard_suite"]

#: The families of :data:`HARD_SUITE` (the ``family`` field of a :class:`SuiteTask`).
FAMILIES: tuple[str, ...] = (
    "gaussian_dense",
    "gaussian_sparse",
    "student_t",
    "transformed",
    "swiss_roll",
    "near_discrete",
    "images",
)

#: Generators a :class:`SuiteTask` may name: public name in :mod:`pymi.datasets` -> function.
SUITE_GENERATORS: dict[str, Callable[..., KnownMISample]] = {
    "correlated_normal": correlated_normal,
    "student_t": student_t,
    "transformed_normal": transformed_normal,
    "swiss_roll": swiss_roll,
    "near_discrete": near_discrete,
    "images.gaussian_bump": gaussian_bump,
    "images.correlated_bump": correlated_bump,
    "images.rectangles": rectangles,
}

_RESERVED = ("mi", "n", "random_state")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _freeze(value: Any) -> Any:
    """Lists become tuples and dicts read-only mappings, so a task cannot be changed in place."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class SuiteTask:
    """One distribution of the hard suite: a generator, its arguments and true MI values.

    Parameters
    ----------
    name : str
        Unique label, letters, digits and ``_ . + -`` (e.g. ``"student_t-df2-2+2-pure"``);
        it becomes a benchmark task name and a file name.
    family : str
        One of :data:`FAMILIES`.
    generator : str
        A key of :data:`SUITE_GENERATORS` (``"correlated_normal"``, ``"images.rectangles"``, ...).
    args : mapping
        Keyword arguments of the generator other than ``mi``, ``n`` and ``random_state``;
        stored read-only (lists as tuples).
    mi_values : tuple of float
        True MI values in nats at which the task is meant to be drawn; all reachable by
        the family with these arguments.
    image : bool, default False
        Whether the samples are images (these need compression before estimation).

    Raises
    ------
    ValueError
        For a malformed name, an unknown family or generator, reserved keys in ``args``,
        or an empty or invalid ``mi_values``.
    """

    name: str
    family: str
    generator: str
    args: Mapping[str, Any] = field(default_factory=dict)
    mi_values: tuple[float, ...] = ()
    image: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            msg = (
                f"name must be a non-empty string of letters, digits and '_', '.', '+', '-' "
                f"(it becomes a task and file name); got name={self.name!r}; pass e.g. name='gaussian_dense-2+2'"
            )
            raise ValueError(msg)
        if self.family not in FAMILIES:
            msg = f"family must be one of {', '.join(map(repr, FAMILIES))}; got family={self.family!r} (task {self.name!r}); pass e.g. family='gaussian_dense'"
            raise ValueError(msg)
        if self.generator not in SUITE_GENERATORS:
            msg = (
                f"generator must be one of {', '.join(map(repr, SUITE_GENERATORS))}; got "
                f"generator={self.generator!r} (task {self.name!r}); pass e.g. generator='correlated_normal'"
            )
            raise ValueError(msg)
        if not isinstance(self.args, Mapping):
            msg = f"args must be a mapping of generator keyword arguments; got args={self.args!r} (task {self.name!r}); pass e.g. args={{'dim_x': 2, 'dim_y': 2}}"
            raise ValueError(msg)
        clash = sorted(set(self.args) & set(_RESERVED))
        if clash:
            msg = f"args must not set {clash}: mi, n and random_state are given to draw(); got args={dict(self.args)!r} (task {self.name!r}); remove them"
            raise ValueError(msg)
        if isinstance(self.mi_values, (str, bytes)) or not hasattr(self.mi_values, "__iter__"):
            msg = f"mi_values must be a non-empty sequence of MI values in nats; got mi_values={self.mi_values!r} (task {self.name!r}); pass e.g. mi_values=(0.5, 1.0, 2.0)"
            raise ValueError(msg)
        values = tuple(check_mi(v, "mi_values") for v in self.mi_values)
        if not values:
            msg = f"mi_values must hold at least one MI value in nats; got mi_values=() (task {self.name!r}); pass e.g. mi_values=(0.5, 1.0, 2.0)"
            raise ValueError(msg)
        if len(set(values)) != len(values):
            msg = f"mi_values must be distinct; got mi_values={values!r} (task {self.name!r}); remove the repeats"
            raise ValueError(msg)
        if not isinstance(self.image, bool):
            msg = f"image must be True or False; got image={self.image!r} (task {self.name!r})"
            raise ValueError(msg)
        object.__setattr__(self, "args", _freeze(self.args))
        object.__setattr__(self, "mi_values", values)

    def __hash__(self) -> int:
        # args is a read-only mapping (not hashable itself); equal tasks have equal items
        return hash((self.name, self.family, self.generator, tuple(self.args.items()), self.mi_values, self.image))

    @property
    def function(self) -> Callable[..., KnownMISample]:
        """The generator function."""
        return SUITE_GENERATORS[self.generator]


def draw(task: SuiteTask, mi: float, n: int, random_state: RandomStateLike = None) -> KnownMISample:
    """Draw ``n`` joint samples of ``task`` with true MI ``mi`` nats.

    Parameters
    ----------
    task : SuiteTask
        The distribution (e.g. an element of :data:`HARD_SUITE`).
    mi : float
        True MI in nats; normally one of ``task.mi_values``, but any value the generator
        accepts with ``task.args`` is allowed (the generator checks it).
    n : int
        Number of joint samples.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Source of randomness; the same seed gives the same sample.

    Returns
    -------
    KnownMISample
        As returned by the task's generator.

    Raises
    ------
    ValueError
        If ``task`` is not a :class:`SuiteTask`, or the generator rejects ``mi``, ``n``
        or the arguments (e.g. an MI below the Student-t minimum).

    Examples
    --------
    >>> task = next(t for t in HARD_SUITE if t.name == "swiss_roll-2+1")
    >>> draw(task, 1.0, 500, random_state=0).x.shape
    (500, 2)
    """
    if not isinstance(task, SuiteTask):
        msg = f"task must be a SuiteTask (e.g. an element of HARD_SUITE); got {type(task).__name__}; pass one of hard_suite()"
        raise ValueError(msg)
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in task.args.items()}
    return task.function(mi=mi, n=n, random_state=random_state, **kwargs)


def _sparse(d: int) -> tuple[float, ...]:
    """Split weights putting the whole MI on the first 2 of ``d`` pairs, evenly."""
    return (1.0, 1.0) + (0.0,) * (d - 2)


def _gaussian_tasks() -> list[SuiteTask]:
    tasks = []
    for d, values in ((1, (0.5, 1.0, 2.0, 4.0)), (3, (0.5, 1.0, 2.0, 4.0)), (10, (1.0, 2.0))):
        tasks.append(
            SuiteTask(f"gaussian_dense-{d}+{d}", "gaussian_dense", "correlated_normal",
                      {"dim_x": d, "dim_y": d}, values)
        )  # fmt: skip
    for d in (25, 50):
        tasks.append(
            SuiteTask(f"gaussian_dense-{d}+{d}", "gaussian_dense", "correlated_normal",
                      {"dim_x": d, "dim_y": d}, (1.0, 2.0))
        )  # fmt: skip
        tasks.append(
            SuiteTask(f"gaussian_sparse-{d}+{d}", "gaussian_sparse", "correlated_normal",
                      {"dim_x": d, "dim_y": d, "split": _sparse(d)}, (1.0, 2.0))
        )  # fmt: skip
    return tasks


def _student_tasks() -> list[SuiteTask]:
    tasks = []
    for df, d, pure, gauss in (
        (1, 1, True, (0.5, 1.0, 2.0)),
        (1, 5, True, ()),
        (2, 2, True, (1.0, 2.0)),
        (3, 5, True, (1.0, 2.0)),
    ):
        args = {"dim_x": d, "dim_y": d, "df": df}
        if pure:
            c = student_t_mi_correction(df, d, d)
            tasks.append(SuiteTask(f"student_t-df{df}-{d}+{d}-pure", "student_t", "student_t", args, (c,)))
        if gauss:
            tasks.append(SuiteTask(f"student_t-df{df}-{d}+{d}-gauss", "student_t", "student_t", args, gauss))
    return tasks


def _transformed_tasks() -> list[SuiteTask]:
    specs = (
        ("half_cube", 1, False, (0.5, 1.0, 2.0)),
        ("asinh", 1, False, (1.0, 2.0)),
        ("normal_cdf", 2, False, (1.0, 2.0)),
        ("spiral", 2, False, (1.0, 2.0)),
        ("half_cube", 5, True, (1.0, 2.0)),
        ("asinh", 5, True, (1.0, 2.0)),
        ("normal_cdf", 5, True, (1.0, 2.0)),
        ("spiral", 5, True, (1.0, 2.0)),
    )
    tasks = []
    for transform, d, sparse, values in specs:
        args: dict[str, Any] = {"dim_x": d, "dim_y": d, "transform": transform}
        name = f"transformed-{transform}-{d}+{d}"
        if sparse:
            args["split"] = _sparse(d)
            name += "-sparse"
        tasks.append(SuiteTask(name, "transformed", "transformed_normal", args, values))
    return tasks


def _other_tasks() -> list[SuiteTask]:
    return [
        SuiteTask("swiss_roll-2+1", "swiss_roll", "swiss_roll", {}, (0.5, 1.0, 2.0)),
        SuiteTask("swiss_roll-both-2+2", "swiss_roll", "swiss_roll", {"both": True}, (1.0, 2.0)),
        SuiteTask("near_discrete-K4-1+1", "near_discrete", "near_discrete", {"levels": 4}, (0.5, 1.0)),
        SuiteTask("near_discrete-K8-1+1", "near_discrete", "near_discrete", {"levels": 8}, (1.0, 2.0)),
    ]


def _image_tasks() -> list[SuiteTask]:
    values = (0.5, 1.0, 2.0, 3.0, 5.0)
    return [
        SuiteTask("images-gaussian_bump-16", "images", "images.gaussian_bump", {"size": 16}, values, image=True),
        SuiteTask("images-gaussian_bump-32", "images", "images.gaussian_bump", {"size": 32}, values, image=True),
        SuiteTask("images-rectangles-16", "images", "images.rectangles", {"size": 16}, values, image=True),
        SuiteTask("images-rectangles-32", "images", "images.rectangles", {"size": 32}, values, image=True),
    ]


#: The hard-distribution suite, vector tasks first, then image tasks (``image=True``).
HARD_SUITE: tuple[SuiteTask, ...] = tuple(
    _gaussian_tasks() + _student_tasks() + _transformed_tasks() + _other_tasks() + _image_tasks()
)


def hard_suite(*, images: bool = True) -> tuple[SuiteTask, ...]:
    """The tasks of :data:`HARD_SUITE`, optionally without the image tasks.

    Parameters
    ----------
    images : bool, default True
        Include the image tasks (``task.image``); they need a compressor (an autoencoder
        or PCA) before any estimator applies.

    Returns
    -------
    tuple of SuiteTask

    Examples
    --------
    >>> vector = hard_suite(images=False)
    >>> sum(len(t.mi_values) for t in vector)
    55
    """
    if not isinstance(images, bool):
        msg = f"images must be True or False; got images={images!r}; pass images=False for the vector tasks only"
        raise ValueError(msg)
    return HARD_SUITE if images else tuple(t for t in HARD_SUITE if not t.image)
