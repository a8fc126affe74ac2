"""Shared machinery of pymi estimators: input preparation and MI assembly.

Every estimator reports per-sample contributions whose mean is the estimate;
their spread gives the reported standard error (``std / sqrt(n)``). For MI the
contributions of the three (or class-conditional) entropy terms are combined
row by row, so correlations between the terms are accounted for, unlike the
sum of three separate errors used by the original paper code.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from .._device import resolve_device
from .._estimate import Estimate, unit_factor
from .._params import Integral, Interval, Options, Real
from .._plausibility import check_mi_plausible, label_entropy
from .._random import RandomStateLike, check_random_state
from .._validation import (
    as_labels,
    as_samples,
    check_k,
    check_same_length,
    drop_nonfinite_rows,
    duplicate_row_mask,
    hint_transposed,
    label_array,
    missing_label_marker,
    user_stacklevel,
)
from .._whitening import _raise_constant
from .._whitening import whiten as whiten_samples
from ._protocol import Capabilities, Estimator

__all__ = ["K_CONSTRAINT", "EntropySumEstimator", "MIEstimator", "TiesWarning"]

#: The declared constraint of every neighbour count ``k``.
K_CONSTRAINT: list[Any] = [Interval(Integral, 1, None, closed="left")]

STDERR_METHOD = (
    "per-sample contributions: std / sqrt(n) (approximate; ignores the weak dependence "
    "between the per-sample terms)"
)

#: The default tie-breaking noise is at least this many float steps (ulps) of a
#: column's largest value, so that it survives rounding back to the input dtype.
JITTER_MIN_ULPS = 64

#: Rows still duplicated after jittering (rounding collisions) get new noise this
#: many times before the estimator gives up with an error.
JITTER_REDRAWS = 8


class TiesWarning(UserWarning):
    """Duplicate samples were found and broken by adding small noise."""


class MIEstimator(Estimator):
    """Base class: validation, NaN and tie policies, units, result assembly.

    Parameters
    ----------
    base : {"nats", "bits", "dits"}
        Unit of the returned estimate (natural logarithm by default).
    nan_policy : {"raise", "omit"}
        ``"omit"`` drops every row with a NaN/inf in any variable (rows stay aligned).
    ties : {"jitter", "raise"}
        What to do with duplicate samples, whose zero distances break kNN
        estimators: ``"jitter"`` adds Gaussian noise of ``jitter_scale`` times
        each column's standard deviation (seeded by ``random_state``) and warns
        with the fraction of duplicated rows; ``"raise"`` raises.
    jitter_scale : float, optional
        Noise level for ``ties="jitter"``, in units of each column's standard
        deviation. Default: 1e-10 (at least 64 float64 steps of the column's
        largest value), added in float64 (float32 input is promoted, because
        float32 cannot hold noise that small without rounding it away). An
        explicit value is applied in the input's dtype. Rows that still collide
        after rounding get new noise, up to 8 times, then a ValueError.
    random_state : None, int, numpy.random.Generator or numpy.random.SeedSequence
        Seed for every random step (jitter, subsampling, training).
    n_jobs : int or None
        Threads for the compiled kernels: -1, 0 or None for all cores, or a
        positive integer.
    device : {"auto", "cpu", "cuda"}
        Where kernels run; ``"auto"`` uses a GPU when pymi was built with CUDA
        and one is visible.

    Notes
    -----
    Subclasses declare their own arguments in ``_parameter_constraints`` (merged
    with these) and implement ``_entropy(x, rng)``, ``_mi_continuous(x, y, rng)``
    and ``_mi_discrete(x, codes, classes, rng)``, each returning
    ``(value, per-sample contributions, params)`` in nats.
    """

    name = "base"
    capabilities = Capabilities()
    _handles_ties = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "base": [Options(str, ("bits", "dits", "nats"))],
        "nan_policy": [Options(str, ("raise", "omit"))],
        "ties": [Options(str, ("jitter", "raise"))],
        "jitter_scale": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
        "n_jobs": ["n_jobs"],
        "device": ["device"],
    }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # a subclass that only says ``supports_entropy = False`` gets matching flags
        flag = cls.__dict__.get("supports_entropy")
        if flag is not None and "capabilities" not in cls.__dict__:
            cls.capabilities = dataclasses.replace(cls.capabilities, entropy=bool(flag))

    def __init__(
        self,
        *,
        base: str = "nats",
        nan_policy: str = "raise",
        ties: str = "jitter",
        jitter_scale: float | None = None,
        random_state: RandomStateLike = None,
        n_jobs: int | None = -1,
        device: str = "auto",
    ) -> None:
        self.base = base
        self.nan_policy = nan_policy
        self.ties = ties
        self.jitter_scale = jitter_scale
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device

    @property
    def supports_entropy(self) -> bool:
        """Whether :meth:`entropy` is available (``capabilities.entropy``)."""
        return self.capabilities.entropy

    # ------------------------------------------------------------------ API
    def entropy(self, x: Any) -> Estimate:
        """Differential entropy h(X) of samples ``x`` (shape (n, ...)), in ``self.base``."""
        if not self.capabilities.entropy:
            raise TypeError(self._no_entropy_message())
        with hint_transposed(x=x):
            return self._entropy_of(x)

    def _entropy_of(self, x: Any) -> Estimate:
        rng = check_random_state(self.random_state)
        x = as_samples(x, "x")
        (x,), dropped = drop_nonfinite_rows([("x", x)], self.nan_policy)
        x, tie_info = self._break_ties(x, "x", rng)
        value, contrib, params = self._entropy(x, rng)
        params.update(tie_info)
        params["n_dropped_nonfinite"] = dropped
        return self._result(value, contrib, params)

    def mutual_information(self, x: Any, y: Any, *, discrete_y: bool = False) -> Estimate:
        """Mutual information I(X; Y) in ``self.base`` from row-aligned samples.

        Parameters
        ----------
        x : array_like, shape (n, ...)
            Samples of X (any trailing shape is flattened per sample); numpy or torch.
        y : array_like, shape (n, ...) or (n,)
            Samples of Y, or class labels when ``discrete_y=True``.
        discrete_y : bool
            Treat ``y`` as discrete labels: I = h(X) - sum_y p(y) h(X | Y=y).
        """
        with hint_transposed(x=x, y=None if discrete_y else y):
            return self._mutual_information_of(x, y, discrete_y)

    def _mutual_information_of(self, x: Any, y: Any, discrete_y: bool) -> Estimate:
        rng = check_random_state(self.random_state)
        x = as_samples(x, "x")
        check_same_length(x, y)
        if discrete_y:
            labels = label_array(y, "y")
            # the float stand-in marks missing labels (NaN, or None in object arrays)
            (x, _, labels), dropped = drop_nonfinite_rows(
                [("x", x), ("y", missing_label_marker(labels)), ("labels", labels)], self.nan_policy
            )
            codes, classes = as_labels(labels, "y")
            x, tie_info = self._break_ties(x, "x", rng)
            value, contrib, params = self._mi_discrete(x, codes, classes, rng)
        else:
            y = as_samples(y, "y")
            (x, y), dropped = drop_nonfinite_rows([("x", x), ("y", y)], self.nan_policy)
            if x.dtype != y.dtype:
                common = np.result_type(x.dtype, y.dtype)
                x, y = x.astype(common, copy=False), y.astype(common, copy=False)
            x, tie_x = self._break_ties(x, "x", rng)
            y, tie_y = self._break_ties(y, "y", rng)
            if x.dtype != y.dtype:  # jittering promotes a float32 side to float64
                x, y = x.astype(np.float64, copy=False), y.astype(np.float64, copy=False)
            tie_info = {**tie_x, **tie_y}
            value, contrib, params = self._mi_continuous(x, y, rng)
        params.update(tie_info)
        params["discrete_y"] = bool(discrete_y)
        params["n_dropped_nonfinite"] = dropped
        result = self._result(value, contrib, params)
        nats = result.to("nats")
        check_mi_plausible(
            nats.value,
            nats.stderr,
            method=self.name,
            interval=nats.interval,
            label_entropy_nats=label_entropy(np.bincount(codes)) if discrete_y else None,
        )
        return result

    # ------------------------------------------------------------- helpers
    def _resolved_device(self) -> str:
        """``"cpu"`` or ``"cuda"``: where this estimator's kernels run (:func:`pymi._device.resolve_device`)."""
        return resolve_device(self.device)

    def _break_ties(self, z: np.ndarray, name: str, rng: np.random.Generator):
        if not self._handles_ties:
            return z, {}
        dup = duplicate_row_mask(z)
        if not dup.any():
            return z, {}
        frac = float(dup.mean())
        if self.ties == "raise":
            msg = (
                f"{name} has {int(dup.sum())} rows ({100 * frac:.2f}% of {z.shape[0]}) with an "
                f"exact duplicate; their zero neighbour distances make kNN log-distances -inf. "
                f"Pass ties='jitter' to add tiny noise, or remove the duplicates"
            )
            raise ValueError(msg)
        scale = self.jitter_scale
        promoted = False
        if scale is None:
            # float32 cannot carry noise small enough to leave the estimate alone and
            # large enough to survive rounding (after whitening, too): jitter in float64
            promoted = z.dtype != np.float64
            z = z.astype(np.float64)
            scale = 1e-10
        spread = _column_std(z)
        # a constant column stays constant (the estimators refuse it with their own
        # message; noise would turn it into a column of pure noise)
        spread[~np.any(z != z[:1], axis=0)] = 0.0
        if self.jitter_scale is None:
            # at least JITTER_MIN_ULPS float steps of the column's largest value, so
            # that rounding keeps the noise
            varying = spread > 0
            if varying.any():
                ulps = JITTER_MIN_ULPS * np.finfo(z.dtype).eps * np.max(np.abs(z[:, varying]), axis=0)
                scale = float(max(scale, float((ulps / spread[varying]).max())))
        noise = rng.standard_normal(z.shape) * (scale * spread)
        jittered = (z + noise).astype(z.dtype)
        # a few rows can still collide after rounding: redraw their noise
        for _ in range(JITTER_REDRAWS):
            still = duplicate_row_mask(jittered)
            if not still.any():
                break
            redraw = rng.standard_normal((int(still.sum()), z.shape[1])) * (scale * spread)
            jittered[still] = (z[still] + redraw).astype(z.dtype)
        else:
            still = duplicate_row_mask(jittered)
            if still.any():
                msg = (
                    f"{name}: {int(still.sum())} rows are still exact duplicates after jittering "
                    f"with {scale:g} x column std in {z.dtype} ({JITTER_REDRAWS} redraws): the "
                    f"noise is lost to rounding. Pass float64 input or a larger jitter_scale"
                )
                raise ValueError(msg)
        warnings.warn(
            f"{name}: {100 * frac:.2f}% of samples have an exact duplicate (zero neighbour "
            f"distance); added Gaussian noise of {scale:g} x column std to break ties"
            f"{' (in float64: float32 cannot hold such noise)' if promoted else ''}. Quantised "
            f"data has no differential entropy: the estimate then depends on the noise level "
            f"(set jitter_scale, or ties='raise' to refuse)",
            TiesWarning,
            stacklevel=user_stacklevel(),
        )
        info = {f"ties_jittered_fraction_{name}": frac, f"ties_jitter_scale_{name}": scale}
        if promoted:
            info[f"ties_promoted_to_float64_{name}"] = True
        return jittered, info

    def _result(self, value: float, contrib: np.ndarray | None, params: dict) -> Estimate:
        """Assemble the :class:`Estimate` (nats in, ``self.base`` out).

        ``params`` may carry ``_n`` (sample count), ``_stderr`` (a standard error
        computed by the method itself, instead of the spread of ``contrib``) and
        ``interval`` / ``interval_level`` (moved onto the Estimate).
        """
        n = int(params.pop("_n", contrib.shape[0] if contrib is not None else 0))
        own_stderr = params.pop("_stderr", None)
        if own_stderr is not None:
            stderr = float(own_stderr)
        elif contrib is not None and contrib.shape[0] > 1:
            stderr = float(np.std(contrib, ddof=1) / np.sqrt(contrib.shape[0]))
            params.setdefault("stderr_method", STDERR_METHOD)
        else:
            stderr = float("nan")
        interval = params.pop("interval", None)
        level = params.pop("interval_level", None)
        factor = unit_factor(self.base)
        return Estimate(
            value=float(value) * factor,
            stderr=stderr * factor,
            unit=self.base,
            method=self.name,
            params=params,
            n=n,
            interval=None if interval is None else (interval[0] * factor, interval[1] * factor),
            interval_level=level,
        )

    def _check_class_sizes(self, codes, classes, d):
        counts = np.bincount(codes, minlength=len(classes))
        need = self._min_samples(d)
        small = np.nonzero(counts < need)[0]
        if small.size:
            shown = ", ".join(f"y={_label(classes[c])!r}: {counts[c]}" for c in small[:5])
            msg = (
                f"discrete_y=True estimates h(X | Y=y) within each class, which needs at least "
                f"{need} samples per class here ({self._min_samples_reason(d)}); too few in "
                f"{shown}. Merge or drop rare classes, pass more samples, or lower k"
            )
            raise ValueError(msg)
        return counts

    def _min_samples(self, d: int) -> int:
        return 2

    def _min_samples_reason(self, d: int) -> str:
        return "two samples"

    # -------------------------------------------------- to be implemented
    def _entropy(self, x, rng):
        msg = f"{type(self).__name__} does not estimate entropy"
        raise TypeError(msg)

    def _mi_continuous(self, x, y, rng):
        msg = f"{type(self).__name__} does not estimate MI with continuous y"
        raise TypeError(msg)

    def _mi_discrete(self, x, codes, classes, rng):
        msg = f"{type(self).__name__} does not support discrete_y=True"
        raise TypeError(msg)


class EntropySumEstimator(MIEstimator, ABC):
    """Estimators whose MI is a sum of entropy terms, each whitened separately.

    I(X;Y) = h(X) + h(Y) - h(X,Y) for continuous Y, and
    I(X;Y) = h(X) - sum_y p(y) h(X | Y=y) for discrete labels, where
    every term is computed on its own whitened copy of the data:
    h(X) = h(X W) + 1/2 log det Sigma (Butakov et al., ICLR 2024).

    Subclasses implement ``_point_terms(z, shared) -> (terms, info)`` returning
    per-sample contributions whose mean is the entropy of ``z`` (nats), and may
    implement ``_fit_shared(z) -> dict`` to fit state once on the whitened joint
    (or on X for discrete labels) that is reused for every term.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"whiten": ["boolean"]}

    def __init__(self, *, whiten: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.whiten = whiten

    def _prepare(self, z: np.ndarray, name: str) -> tuple[np.ndarray, float]:
        """``z`` ready for the entropy kernel and the log-scale (nats) to add back to its terms."""
        if self.whiten:
            return whiten_samples(z, name)
        _raise_constant(z, name)
        # a fixed bandwidth is in the data's units: keep them
        if isinstance(getattr(self, "bandwidth", None), numbers.Real):
            return z, 0.0
        return _rescale_extreme(z)

    def _term(self, z, name, shared):
        zw, half_logdet = self._prepare(z, name)
        terms, info = self._point_terms(zw, shared)
        return terms + half_logdet, info

    def _fit_shared(self, z: np.ndarray) -> dict:
        return {}

    def _base_params(self) -> dict:
        return {"whiten": self.whiten}

    def _entropy(self, x, rng):
        self._check_n(x.shape[0], x.shape[1], "x")
        zw, half_logdet = self._prepare(x, "x")
        shared = self._fit_shared(zw)
        terms, info = self._point_terms(zw, shared)
        terms = terms + half_logdet
        params = {**self._base_params(), **_public(shared), **info}
        return float(terms.mean()), terms, params

    def _mi_continuous(self, x, y, rng):
        # refuse constant columns under the caller's names, not as columns of the joint
        _raise_constant(x, "x")
        _raise_constant(y, "y")
        xy = np.concatenate([x, y], axis=1)
        self._check_n(xy.shape[0], xy.shape[1], "the joint (x, y)")
        zj, _ = self._prepare(xy, "the joint (x, y)")
        shared = self._fit_shared(zj)
        tx, _ = self._term(x, "x", shared)
        ty, _ = self._term(y, "y", shared)
        txy, info = self._term(xy, "the joint (x, y)", shared)
        contrib = tx + ty - txy
        params = {**self._base_params(), **_public(shared), **info}
        return float(contrib.mean()), contrib, params

    def _mi_discrete(self, x, codes, classes, rng):
        self._check_n(x.shape[0], x.shape[1], "x")
        counts = self._check_class_sizes(codes, classes, x.shape[1])
        zx, _ = self._prepare(x, "x")
        shared = self._fit_shared(zx)
        tx, info = self._term(x, "x", shared)
        tcond = np.empty_like(tx)
        for c in range(len(classes)):
            rows = codes == c
            tcond[rows], _ = self._term(x[rows], f"x[y == {_label(classes[c])!r}]", shared)
        contrib = tx - tcond
        params = {**self._base_params(), **_public(shared), **info}
        params["class_counts"] = {str(_label(classes[c])): int(counts[c]) for c in range(len(classes))}
        return float(contrib.mean()), contrib, params

    def _check_n(self, n: int, d: int, name: str) -> None:
        k = getattr(self, "k", None)
        if k is not None:
            check_k(k, n)
        if self.whiten and n <= d + 1:
            msg = (
                f"{name} has n_samples={n} <= n_features + 1 = {d + 1}, too few to whiten with "
                f"its covariance; pass more samples, reduce the dimension first "
                f"(compress='pca'), or pass whiten=False"
            )
            raise ValueError(msg)

    def _min_samples(self, d: int) -> int:
        return d + 2 if self.whiten else 2

    def _min_samples_reason(self, d: int) -> str:
        return f"whitening needs more samples than the dimension d={d}"

    @abstractmethod
    def _point_terms(self, z: np.ndarray, shared: dict) -> tuple[np.ndarray, dict]:
        """Per-sample contributions (nats) whose mean is the entropy of ``z``."""


#: Data whose largest magnitude lies outside [2**-EXTREME_EXPONENT, 2**EXTREME_EXPONENT]
#: is rescaled (by a power of two) before unwhitened kNN/KDE entropy terms, whose
#: squared distances would otherwise underflow or overflow.
EXTREME_EXPONENT = 32


def _rescale_extreme(z: np.ndarray) -> tuple[np.ndarray, float]:
    """``z * 2**-e`` with max |z * 2**-e| in [0.5, 1) when max |z| is extreme, and ``d e log 2``.

    Scaling by a power of two is exact (for values that stay normal), and
    h(c Z) = h(Z) + d log |c| for Z in d dimensions (Cover & Thomas, *Elements
    of Information Theory*, 2nd ed., Theorem 8.6.4), so the returned log-scale,
    added to every per-sample term, gives the entropy of ``z`` itself.
    """
    big = float(np.max(np.abs(z)))
    _, exponent = np.frexp(big)
    if abs(int(exponent)) <= EXTREME_EXPONENT:
        return z, 0.0
    scaled = np.ldexp(z, -int(exponent)).astype(z.dtype, copy=False)
    return np.ascontiguousarray(scaled), z.shape[1] * int(exponent) * float(np.log(2.0))


def _column_std(z: np.ndarray) -> np.ndarray:
    """Column standard deviations in float64 that neither underflow nor overflow.

    Each column is divided by its largest deviation from the mean before
    squaring (``z.std()`` of values near 1e-200 is 0, because the squares underflow).
    """
    z64 = z.astype(np.float64, copy=False)
    centred = z64 - z64.mean(axis=0)
    big = np.max(np.abs(centred), axis=0)
    safe = np.where(big > 0, big, 1.0)
    return big * np.sqrt(np.mean((centred / safe) ** 2, axis=0))


def _label(value: Any) -> Any:
    """A class label as a plain Python value (for messages and params)."""
    return value.item() if hasattr(value, "item") else value


def _public(shared: dict) -> dict:
    return {k: v for k, v in shared.items() if not k.startswith("_")}
