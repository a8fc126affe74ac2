"""KSG calibrated against a Gaussian reference, on normal-score (copula) data.

The estimator combines three facts about mutual information (nats):

1. MI is invariant under injective maps of X and of Y separately, so each
   column may be replaced by its normal scores (the copula transform,
   :func:`pymi._copula.normal_scores`) without changing I(X; Y).
2. For a Gaussian with covariance ``C`` the MI is known in closed form,
   ``I_G(C) = 1/2 (log det C_xx + log det C_yy - log det C)``.
3. The bias of the KSG estimator (Kraskov, Stögbauer & Grassberger 2004) is a
   smooth function of the distribution; on data close to a Gaussian it is close
   to its bias on that Gaussian.

With ``C`` the covariance of the normal scores and ``G`` a sample of the same
size drawn from ``N(0, C)`` (normal-scored like the data), the estimate is

    I = I_G(C) + [KSG(data) - KSG(G)] - (1 - alpha) B,

where ``KSG(G)`` is averaged over ``n_references`` draws. The bracket is KSG's
estimate of the non-Gaussian part of the dependence with the part of its bias
that a Gaussian of the same covariance shares removed: exact in expectation on
Gaussian data, whatever the dimension, while KSG's robustness on manifolds,
heavy tails and near-discrete data is kept. ``B`` is the exact bias of the
Gaussian plug-in term on Gaussian data (Wishart log-determinant,
:func:`pymi._copula.logdet_bias`); ``alpha = KSG(G) / I_G(C)`` (clipped to
[0, 1]) is KSG's measured sensitivity on the reference, so the correction
applies where KSG cannot see the dependence (high dimension) and vanishes
where KSG tracks it (then the reference already cancels the plug-in bias).

Where the dependence is curved or heavy-tailed on the scale of the neighbourhoods
(a Gaussian of the same covariance does not share the bias), the estimate changes
with the neighbour order. The leading bias of a kNN estimator of order ``j`` on
``n`` points in ``D`` joint dimensions is proportional to
``Gamma(j + 2/D) / Gamma(j) * n^(-2/D)`` for smooth densities (Berrett, Samworth &
Yuan 2019; Gao, Oh & Viswanath 2018), so the combination
``w_a I_a + w_b I_b`` of the calibrated estimates at orders ``a = 1`` and ``b = k``
(``b = 2`` when ``k = 1``) with ``w_a + w_b = 1`` and
``w_a Gamma(a + 2/D) / Gamma(a) + w_b Gamma(b + 2/D) / Gamma(b) = 0`` cancels
it (the weighted estimators of Berrett et al. and the ensemble estimators of
Moon, Sricharan & Hero 2017 rest on the same expansion). The difference
``c = w_a I_a + w_b I_b - I_k`` is used only where it is significant
(``|c| > extrapolation_z`` standard errors, from the per-point terms of the
data and of the reference) and known to within :data:`MAX_CORRECTION_SE` nats:
on data with a Gaussian copula ``c`` is zero in expectation (the reference has
the same bias), and it grows with ``D``, so elsewhere the plain estimate is kept.

References
----------
A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information",
Phys. Rev. E 69, 066138 (2004).
P. Czyż, F. Grabowski, J. E. Vogt, N. Beerenwinkel, A. Marx, "Beyond normal: on the
evaluation of mutual information estimators", NeurIPS 2023 (normal-score
preprocessing of kNN estimators).
T. W. Anderson, *An Introduction to Multivariate Statistical Analysis*, 3rd ed.,
Wiley 2003, section 7.5.3 (moments of the log-determinant of a Wishart matrix).
T. B. Berrett, R. J. Samworth, M. Yuan, "Efficient multivariate entropy estimation via
k-nearest neighbour distances", Ann. Statist. 47(1), 288-318 (2019).
W. Gao, S. Oh, P. Viswanath, "Demystifying fixed k-nearest neighbor information
estimators", IEEE Trans. Inf. Theory 64(8), 5629-5661 (2018).
K. R. Moon, K. Sricharan, A. O. Hero III, "Ensemble estimation of mutual information",
IEEE ISIT 2017, 3030-3034.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy import special

from .. import _neighbors
from .._copula import gaussian_mi_from_cov, logdet_bias, normal_scores
from .._interval import (
    INTERVAL_CONSTRAINTS,
    check_n_subsamples,
    interval_from_values,
    subsample_rows,
    subsample_size,
)
from .._params import Interval, Options
from .._validation import check_k, resolve_n_jobs
from .._whitening import _raise_constant
from ._backend import BACKENDS, count_backend, resolve_backend
from ._base import K_CONSTRAINT, MIEstimator
from ._protocol import Capabilities
from .ksg import KSG

__all__ = ["CalibratedKSG"]

#: Correlation-matrix eigenvalues below this (relative to the largest) mean the
#: normal scores are (nearly) collinear: duplicate or functionally dependent columns.
COLLINEAR_TOL = 1e-10

#: Largest standard error (nats) of the neighbour-order correction that is still
#: applied: the error grows like ``D / sqrt(n)``, and a chance exceedance of the
#: z threshold must not move the estimate by more than a few tenths of a nat.
MAX_CORRECTION_SE = 0.15

#: Lower bound of the spread of the data's per-point correction terms divided by the
#: order-1 weight (0.95-1.1 on every task of the hard suite at n = 5000). The
#: correction's standard error is at least ``w_a * MIN_CORRECTION_SPREAD / sqrt(n)``, so
#: where that exceeds :data:`MAX_CORRECTION_SE` (joint dimension above 24 at n = 5000)
#: it is not computed at all: its count pass would only be thrown away.
MIN_CORRECTION_SPREAD = 0.8

#: A column has atoms (exact ties, jittered or not) when more than ``ATOM_GAP_SHARE`` of
#: the gaps between its sorted values are at most ``ATOM_GAP`` times their 90th
#: percentile (a scale that heavy tails and atoms of up to 90 % leave alone) or
#: ``ATOM_GAP_STD`` times the column's standard deviation (larger atoms). For a
#: continuous density such gaps are rare (about 0.04 % for a Cauchy sample at
#: n = 5000); ties broken by the estimators' jitter (1e-10 x std) are all below. The
#: neighbour-order expansion assumes a smooth density, so it is not applied to such data.
ATOM_GAP = 1e-5
ATOM_GAP_STD = 1e-9
ATOM_GAP_SHARE = 0.01


class CalibratedKSG(MIEstimator):
    """KSG on normal scores, calibrated against a Gaussian reference of the same covariance.

    The default MI estimator of pymi for continuous X and Y (see the module
    docstring for the formula). It is exact in expectation on Gaussian data of
    any dimension and keeps KSG's robustness on non-Gaussian data.

    Parameters
    ----------
    k : int, default 2
        Neighbour order of the KSG estimates (data and reference alike). The
        reference cancels the bias that a small ``k`` shares with a Gaussian, so
        the default is small: on pymi's hard-distribution suite k = 2 had the lowest
        mean absolute error short of k = 1, which is noisier on Gaussian data
        (table in ``docs/accuracy.md``).
    n_references : int, default 1
        Gaussian reference samples drawn; their KSG values are averaged. Each one
        costs one more KSG run and lowers the reference's share of the variance.
    copula : bool, default True
        Replace every column by its normal scores first (MI is unchanged). With
        False the data are used as given (centred), which leaves heavy tails and
        monotone distortions to KSG.
    backend : {"auto", "kdtree", "brute", "faiss", "cuda"}
        Engine for KSG's neighbour search and counts.
    n_subsamples : int, default 4
        Disjoint random subsamples for the interval (:attr:`pymi.Estimate.interval`):
        the rows are split into this many parts of ``n // n_subsamples`` rows and the
        estimate is recomputed on each (with one shared Gaussian reference of that
        size); 0 gives no interval (faster). See :func:`pymi._interval.subsample_interval`.
    interval_level : float, default 0.9
        Nominal coverage of the interval.
    extrapolation_z : float or None, default 3.0
        Threshold (in standard errors) of the neighbour-order extrapolation (module
        docstring): the correction ``c`` (nats) from orders 1 and ``k`` is added when
        ``|c|`` exceeds ``extrapolation_z`` times its standard error and that error is
        at most :data:`MAX_CORRECTION_SE`. 0 adds it whenever it is that precise; None
        never computes it (one marginal count pass less on the data and on each
        reference). The value, its standard error and whether it was applied are in
        ``params`` (``order_correction``, ``order_correction_se``,
        ``order_correction_applied``); ``order_correction`` is nan where the data's share
        of the standard error alone exceeds :data:`MAX_CORRECTION_SE` (then
        ``order_correction_se`` is that share). When
        applied, the correction's variance is added to the standard error's and the
        interval is shifted by ``c`` and widened by its standard error in quadrature.
        Data with atoms (ties, :data:`ATOM_GAP_SHARE`) never get it
        (``params["order_correction_skipped_atoms"]``), nor data whose dimension makes it
        too imprecise at this n before any counting (:data:`MIN_CORRECTION_SPREAD`;
        ``params["order_correction_skipped_imprecise"]``).
    **kwargs
        ``base``, ``nan_policy``, ``ties``, ``jitter_scale``, ``random_state``,
        ``n_jobs``, ``device``: see :class:`pymi.estimators.MIEstimator`.

    Notes
    -----
    With two or more threads on the CPU the KSG passes (data, references, subsamples)
    run as jobs on two worker threads with half of ``n_jobs`` each; every random number
    is drawn before them, so the estimate does not depend on ``n_jobs``.

    With ``discrete_y=True`` no Gaussian reference exists for labels: the
    estimate is the KSG estimator of Ross (2014) on the normal scores of X.
    Entropies are not estimated (``method="wkl"`` or ``"kl"``).

    Examples
    --------
    >>> import numpy as np
    >>> from pymi.estimators import CalibratedKSG
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((2000, 10))
    >>> y = x + rng.standard_normal((2000, 10))       # I = 10 * log(2) / 2 = 3.466 nats
    >>> est = CalibratedKSG(random_state=0).estimate(x, y)
    >>> abs(est.value - 3.466) < 0.15
    True
    """

    name = "cksg"
    capabilities = Capabilities(entropy=False, takes_k=True)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": K_CONSTRAINT,
        "n_references": [Interval(Integral, 1, None, closed="left")],
        "copula": ["boolean"],
        "backend": [Options(str, BACKENDS)],
        **INTERVAL_CONSTRAINTS,
        "extrapolation_z": [Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        k: int = 2,
        *,
        n_references: int = 1,
        copula: bool = True,
        backend: str = "auto",
        n_subsamples: int = 4,
        interval_level: float = 0.9,
        extrapolation_z: float | None = 3.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.k = k
        self.n_references = n_references
        self.copula = copula
        self.backend = backend
        self.n_subsamples = n_subsamples
        self.interval_level = interval_level
        self.extrapolation_z = extrapolation_z

    def _check_params(self) -> None:
        super()._check_params()
        check_n_subsamples(type(self).__name__, self.n_subsamples)

    # ------------------------------------------------------------------ MI
    def _ksg(self, n_jobs: int | None) -> KSG:
        return KSG(
            k=self.k, whiten=False, backend=self.backend, n_jobs=n_jobs, device=self.device,
            ties="raise",
        )

    def _transform(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator):
        _raise_constant(x, "x")
        _raise_constant(y, "y")
        if self.copula:
            return normal_scores(x, rng), normal_scores(y, rng)
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        return x64 - x64.mean(axis=0), y64 - y64.mean(axis=0)

    def _orders(self) -> tuple[int, int]:
        """Neighbour orders ``(a, b)`` of the extrapolation: ``(1, k)``; ``(1, 2)`` if ``k = 1``."""
        return 1, max(self.k, 2)

    def _ksg_terms(
        self, ksg: KSG, sx: np.ndarray, sy: np.ndarray, orders: bool
    ) -> tuple[np.ndarray, np.ndarray | None, str]:
        """Per-point KSG terms (nats) at order ``k`` and, with ``orders``, the correction's terms.

        The correction's terms are ``w_a t_a + w_b t_b - t_k`` with the order-``j`` KSG
        terms ``t_j`` from one joint neighbour search (:func:`order_weights`). Runs with
        ``ksg``'s threads and draws nothing at random.
        """
        a, b = self._orders()
        n = sx.shape[0]
        if not orders or n <= b:  # (k = 1 with 2 rows has no second neighbour)
            _, terms, params = ksg._mi_continuous(sx, sy, None)
            return terms, None, params["backend"]
        joint = np.ascontiguousarray(np.concatenate([sx, sy], axis=1))
        backend, device = resolve_backend(self.backend, self.device)
        dist, _ = _neighbors.knn(
            joint, b, metric="chebyshev", backend=backend, n_jobs=ksg.n_jobs, device=device
        )
        # both orders' marginal counts from one pass per side
        radii = np.ascontiguousarray(dist[:, [a - 1, b - 1]])
        kw = {"metric": "chebyshev", "backend": count_backend(backend), "n_jobs": ksg.n_jobs, "device": device}
        nx, ny = _neighbors.count_within_pair_radii(sx, sy, radii, **kw)
        terms = {
            j: special.digamma(j) + special.digamma(n) - special.digamma(nx[:, c] + 1.0)
            - special.digamma(ny[:, c] + 1.0)
            for c, j in enumerate((a, b))
        }
        w_a, w_b = order_weights(a, b, sx.shape[1] + sy.shape[1])
        correction = w_a * terms[a] + w_b * terms[b] - terms[self.k]
        return terms[self.k], correction, backend

    def _run_ksg(
        self, jobs: list[tuple[np.ndarray, np.ndarray, bool]]
    ) -> list[tuple[np.ndarray, np.ndarray | None, str]]:
        """:meth:`_ksg_terms` of every ``(sx, sy, orders)`` job, in order.

        The jobs are independent, so on the CPU with two or more threads they run on
        two worker threads with half the threads each (the kernels release the GIL):
        their small and single-threaded parts (1-D sorted counts, the subsamples, the
        Python between kernel calls) then overlap instead of leaving a core idle. The
        kernels are exact, so the result does not depend on the thread count.
        """
        threads = resolve_n_jobs(self.n_jobs)
        _, device = resolve_backend(self.backend, self.device)
        if threads < 2 or device != "cpu" or self.backend == "faiss" or len(jobs) < 2:
            ksg = self._ksg(self.n_jobs)
            return [self._ksg_terms(ksg, sx, sy, orders) for sx, sy, orders in jobs]
        ksg = self._ksg(threads // 2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda job: self._ksg_terms(ksg, *job), jobs))

    def _sample(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, full: bool) -> dict:
        """Normal scores, their covariance and Gaussian MI (nats) of ``(x, y)``.

        With ``full`` (the whole sample) also whether the neighbour-order correction is
        computed (``orders``), or why not (``atoms``, ``hopeless``; module docstring).
        """
        n, dx = x.shape
        dy = y.shape[1]
        check_k(self.k, n)
        sx, sy = self._transform(x, y, rng)
        cov = np.cov(np.concatenate([sx, sy], axis=1), rowvar=False).reshape(dx + dy, dx + dy)
        _check_collinear(cov, dx)
        sample = {"sx": sx, "sy": sy, "cov": cov, "i_gauss": gaussian_mi_from_cov(cov, dx)}
        sample.update(orders=False, atoms=False, hopeless=False)
        if full and self.extrapolation_z is not None:
            a, b = self._orders()
            atoms = _has_atoms(x) or _has_atoms(y)
            w_a = abs(order_weights(a, b, dx + dy)[0])
            hopeless = not atoms and w_a * MIN_CORRECTION_SPREAD / np.sqrt(n) > MAX_CORRECTION_SE
            sample.update(orders=not (atoms or hopeless), atoms=atoms, hopeless=hopeless)
        return sample

    def _draw_references(
        self, cov: np.ndarray, n: int, dim_x: int, rng: np.random.Generator
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``n_references`` Gaussian samples of ``n`` rows from ``N(0, cov)``, split into (x, y)
        and normal-scored like the data."""
        chol = np.linalg.cholesky(cov)
        draws = []
        for _ in range(self.n_references):
            g = rng.standard_normal((n, cov.shape[0])) @ chol.T
            gx, gy = g[:, :dim_x], g[:, dim_x:]
            if self.copula:
                gx, gy = normal_scores(gx, rng), normal_scores(gy, rng)
            draws.append((gx, gy))
        return draws

    @staticmethod
    def _reference(
        results: list[tuple[np.ndarray, np.ndarray | None, str]],
    ) -> tuple[list[float], list[float], list[np.ndarray]]:
        """KSG values (nats) of the reference draws, their delta-method variances and
        their order-correction terms (where computed)."""
        values = [float(np.mean(terms)) for terms, _, _ in results]
        variances = [float(np.var(terms, ddof=1) / terms.size) for terms, _, _ in results]
        corrections = [c for _, c, _ in results if c is not None]
        return values, variances, corrections

    def _calibrated(
        self,
        sample: dict,
        data: tuple[np.ndarray, np.ndarray | None, str],
        reference: tuple[list[float], list[float], list[np.ndarray]],
    ) -> dict:
        """The calibrated estimate (nats) of ``sample`` from its KSG terms ``data`` and the
        ``reference``'s (:meth:`_reference`, Gaussian draws of the same size).

        Where the data's terms include the order correction's, its value and standard
        error are returned too (keys ``order_correction``, ``order_correction_se``).
        """
        data_terms, data_correction, backend = data
        n = data_terms.size
        dx, dy = sample["sx"].shape[1], sample["sy"].shape[1]
        cov, i_gauss = sample["cov"], sample["i_gauss"]
        data_value = float(np.mean(data_terms))
        ref_values, ref_vars, ref_corrections = reference
        ref_value = float(np.mean(ref_values))
        plugin_bias = 0.5 * (logdet_bias(dx, n) + logdet_bias(dy, n) - logdet_bias(dx + dy, n))
        alpha = float(np.clip(ref_value / i_gauss, 0.0, 1.0)) if i_gauss > 0.0 else 1.0
        value = i_gauss + data_value - ref_value - (1.0 - alpha) * plugin_bias
        # sampling variance: the data's KSG terms, the reference's (independent rows),
        # and the part of the Gaussian term the reference does not cancel (delta method:
        # var I_G = sum of squared canonical correlations / n)
        var_gauss = _canonical_sq_sum(cov, dx) / n
        var_ref = float(np.sum(ref_vars)) / len(ref_vars) ** 2
        var = np.var(data_terms, ddof=1) / n + var_ref + (1.0 - alpha) ** 2 * var_gauss
        order: dict[str, Any] = {}
        if sample["atoms"]:
            order["order_correction_skipped_atoms"] = True
        elif sample["hopeless"]:
            order["order_correction_skipped_imprecise"] = True
        if data_correction is not None:
            var_c = float(np.var(data_correction, ddof=1) / n)
            correction = float("nan")  # not reported: too imprecise to be applied
            # the references only add to the correction's variance: where the data's share
            # alone exceeds MAX_CORRECTION_SE the correction is not used
            if ref_corrections and np.sqrt(var_c) <= MAX_CORRECTION_SE:
                # the data's and the references' correction terms are independent samples
                ref_mean = float(np.mean([c.mean() for c in ref_corrections]))
                correction = float(data_correction.mean()) - ref_mean
                var_c += float(
                    np.sum([np.var(c, ddof=1) / n for c in ref_corrections])
                ) / len(ref_corrections) ** 2
            order = {"order_correction": correction, "order_correction_se": float(np.sqrt(var_c))}
        return {
            "value": float(value),
            "stderr": float(np.sqrt(var)),
            "reference_variance": var_ref,
            "i_gauss": i_gauss,
            "ksg_data": float(data_value),
            "ksg_reference": ref_value,
            "ksg_reference_draws": [float(v) for v in ref_values],
            "ksg_sensitivity": alpha,
            "plugin_bias": float(plugin_bias),
            "backend": backend,
            **order,
        }

    def _mi_continuous(self, x, y, rng):
        n, dx = x.shape
        m = subsample_size(n, self.n_subsamples, self.k)
        # every random draw first, in one fixed order (normal scores break ties at
        # random): the KSG runs below are then independent jobs whose scheduling cannot
        # change the result
        full = self._sample(x, y, rng, full=True)
        references = self._draw_references(full["cov"], n, dx, rng)
        sub_references: list[tuple[np.ndarray, np.ndarray]] = []
        subsamples: list[dict] = []
        if self.n_subsamples:
            # one Gaussian reference of the subsample size serves every subsample: its
            # KSG value is common to all of them, so its share of the variance is added
            # from the full-sample reference instead of showing in their spread
            sub_references = self._draw_references(full["cov"], m, dx, rng)
            subsamples = [
                self._sample(x[rows], y[rows], rng, full=False)
                for rows in subsample_rows(n, self.n_subsamples, rng)
            ]
        # the reference draws compute the correction's terms with the data's: deciding
        # after the data's run (where its share of the error alone rules the correction
        # out) would serialise the two largest jobs
        jobs = [(full["sx"], full["sy"], full["orders"])]
        jobs += [(gx, gy, full["orders"]) for gx, gy in references]
        jobs += [(gx, gy, False) for gx, gy in sub_references]
        jobs += [(s["sx"], s["sy"], False) for s in subsamples]
        results = self._run_ksg(jobs)
        n_ref, n_sub_ref = len(references), len(sub_references)
        parts = self._calibrated(full, results[0], self._reference(results[1 : 1 + n_ref]))
        hidden = ("value", "stderr", "reference_variance")
        params = {
            "k": self.k,
            "copula": self.copula,
            "n_references": self.n_references,
            **{key: parts[key] for key in parts if key not in hidden},
            "stderr_method": (
                "delta method: KSG per-sample terms of the data and of the reference(s), plus "
                "(1 - sensitivity)^2 x the Gaussian term's asymptotic variance (approximate)"
            ),
            "_stderr": parts["stderr"],
        }
        if self.n_subsamples:
            sub_reference = self._reference(results[1 + n_ref : 1 + n_ref + n_sub_ref])
            values = [
                self._calibrated(sample, result, sub_reference)["value"]
                for sample, result in zip(subsamples, results[1 + n_ref + n_sub_ref :])
            ]
            params.update(
                interval_from_values(
                    np.array(values), n, parts["value"], level=self.interval_level,
                    shared_variance=parts["reference_variance"],
                )
            )
        value = parts["value"]
        if "order_correction" in parts:
            value = self._extrapolate(value, params)
        return value, None, {**params, "_n": n}

    def _extrapolate(self, value: float, params: dict) -> float:
        """``value`` plus the order correction where significant and precise; updates ``params``.

        The stderr gets the correction's in quadrature; the interval (computed for the
        order-``k`` estimate: its subsamples have no correction) is shifted by it and
        its half-width combined in quadrature with ``z_level`` times its stderr.
        """
        c, se = params["order_correction"], params["order_correction_se"]
        applied = bool(se <= MAX_CORRECTION_SE and abs(c) > self.extrapolation_z * se)
        params["order_correction_applied"] = applied
        params["extrapolation_orders"] = self._orders()
        if not applied:
            return value
        params["_stderr"] = float(np.hypot(params["_stderr"], se))
        if "interval" in params:
            low, high = params["interval"]
            z_level = float(special.ndtri(0.5 + self.interval_level / 2.0))
            half = float(np.hypot(0.5 * (high - low), z_level * se))
            centre = 0.5 * (low + high) + c
            params["interval"] = (centre - half, centre + half)
        return value + c

    def _min_samples(self, d: int) -> int:
        return self.k + 1

    def _min_samples_reason(self, d: int) -> str:
        return f"k={self.k} neighbours within the class"

    def _mi_discrete(self, x, codes, classes, rng):
        check_k(self.k, x.shape[0])
        _raise_constant(x, "x")
        sx = normal_scores(x, rng) if self.copula else x
        value, terms, params = self._ksg(self.n_jobs)._mi_discrete(sx, codes, classes, rng)
        params = {**params, "copula": self.copula, "calibrated": False}
        return value, terms, params


def _has_atoms(v: np.ndarray) -> bool:
    """True when a column of ``v`` has atoms (:data:`ATOM_GAP`, :data:`ATOM_GAP_SHARE`)."""
    if v.shape[0] < 3:
        return False
    ordered = np.sort(v, axis=0)
    gaps = np.diff(ordered, axis=0)
    size = np.max(np.abs(ordered), axis=0)
    size[size == 0] = 1.0
    std = (ordered / size).std(axis=0) * size  # no overflow at 1e200, no underflow at 1e-200
    scale = np.maximum(ATOM_GAP * np.quantile(gaps, 0.9, axis=0), ATOM_GAP_STD * std)
    tiny = gaps <= scale
    return bool(np.any(tiny.mean(axis=0) > ATOM_GAP_SHARE))


def order_weights(a: int, b: int, dim: int) -> tuple[float, float]:
    """Weights ``(w_a, w_b)`` that cancel the leading bias of kNN estimates at orders ``a < b``.

    The leading bias at order ``j`` in ``dim`` joint dimensions is proportional to
    ``Gamma(j + 2/dim) / Gamma(j)`` (Berrett, Samworth & Yuan 2019), so the weights
    solve ``w_a + w_b = 1`` and ``w_a g_a + w_b g_b = 0`` with ``g_j`` that ratio.
    For ``a, b = 1, 2``: ``w_a = dim / 2 + 1``, ``w_b = -dim / 2``.

    Parameters
    ----------
    a, b : int
        Neighbour orders, ``1 <= a < b``.
    dim : int
        Dimension of the joint space, ``>= 1``.

    Returns
    -------
    tuple of float
        ``(w_a, w_b)``.
    """
    beta = 2.0 / dim
    g_a = np.exp(special.gammaln(a + beta) - special.gammaln(a))
    g_b = np.exp(special.gammaln(b + beta) - special.gammaln(b))
    w_b = float(g_a / (g_a - g_b))
    return 1.0 - w_b, w_b


def _check_collinear(cov: np.ndarray, dim_x: int) -> None:
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    for name, block in (("x", corr[:dim_x, :dim_x]), ("y", corr[dim_x:, dim_x:])):
        eig = np.linalg.eigvalsh(block)
        if eig[0] <= COLLINEAR_TOL * eig[-1]:
            msg = (
                f"{name} has (nearly) duplicate or collinear columns after the rank transform "
                f"(smallest correlation eigenvalue {eig[0]:.3g}); the Gaussian reference needs "
                f"a non-singular covariance. Drop the duplicated columns of {name}, or use "
                f"method='ksg'"
            )
            raise ValueError(msg)
    eig = np.linalg.eigvalsh(corr)
    if eig[0] <= COLLINEAR_TOL * eig[-1]:
        msg = (
            f"the normal scores of x and y are (nearly) collinear jointly (smallest correlation "
            f"eigenvalue {eig[0]:.3g}): part of y is a monotone function of x, so I(X; Y) is "
            f"infinite or beyond what n samples can resolve. Check that y is not a copy or "
            f"transform of x; for finite-precision data use method='ksg'"
        )
        raise ValueError(msg)


def _canonical_sq_sum(cov: np.ndarray, dim_x: int) -> float:
    """Sum of squared canonical correlations between the two blocks of ``cov``."""
    lx = np.linalg.cholesky(cov[:dim_x, :dim_x])
    ly = np.linalg.cholesky(cov[dim_x:, dim_x:])
    cross = np.linalg.solve(lx, np.linalg.solve(ly, cov[dim_x:, :dim_x]).T)
    return float(np.sum(cross * cross))
