"""The MI of one epoch: every layer's I(X; L) and I(L; Y) on compressed codes, in nats.

For each layer L of :class:`~pymi.ib.model.NoisyCNN`, after Butakov et al. (ICLR 2024):

* L~ = 4-D compression of the layer output on the fixed evaluation set (PCA refit
  every epoch, as in the paper, or an MLP autoencoder);
* I(X; L) = I(X~; L~) with the chosen estimator (default Kozachenko--Leonenko, k=5),
  X~ being the input codes;
* I(L; Y) = h(L~) - sum_y p(y) h(L~ | Y=y) with the labels (``discrete_y=True``), or,
  with ``label_estimator="ksg"``, the estimator of Ross (2014) for discrete labels.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np

from .._plausibility import ImplausibleEstimateWarning
from ..runs import blas_threads
from .config import _ESTIMATOR, _LAYER_AE, IBConfig, derive_seed

__all__ = ["H_Y", "artefact_notes", "estimate_layers"]

#: Entropy of uniformly distributed labels over 10 classes, log 10 nats: the ceiling of
#: I(L; Y) for MNIST (I(L; Y) <= H(Y) <= log 10).
H_Y = math.log(10.0)


def _resolve_device(device: str) -> Any:
    from .._device import resolve_device

    return resolve_device(device, framework="torch")


def _threads(n_jobs: int) -> int:
    """The thread count ``n_jobs`` stands for (pymi's one rule: -1 for all cores)."""
    from .._validation import resolve_n_jobs

    return resolve_n_jobs(n_jobs)


def _k_for(config: IBConfig, method: str) -> int | None:
    """``config.k`` for the estimators that take a neighbour count, else None."""
    from .._api import methods

    info = methods().get(method)
    return config.k if info is not None and info.capabilities.takes_k else None


def _layer_compressor(config: IBConfig, epoch: int, layer: int, device: Any, n_threads: int) -> Any:
    from ..compression import PCA, MLPAutoencoder

    if config.layer_compressor == "pca":
        return PCA(config.layer_dim)
    return MLPAutoencoder(
        config.layer_dim,
        max_epochs=config.layer_ae_epochs,
        random_state=derive_seed(config.seed, _LAYER_AE, epoch, layer),
        device=device.type,
        n_jobs=n_threads,
        progress=False,
    )


def estimate_layers(
    outputs: list[np.ndarray],
    input_codes: np.ndarray,
    labels: np.ndarray,
    config: IBConfig,
    *,
    epoch: int,
    layer_names: tuple[str, ...] | None = None,
    device: Any = None,
    n_threads: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, float], list[dict[str, Any]]]:
    """I(X; L) and I(L; Y) for every layer, on compressed codes (nats).

    Parameters
    ----------
    outputs : list of numpy.ndarray
        Layer outputs on the evaluation set, shape ``(n, features)`` each.
    input_codes : numpy.ndarray, shape (n, input_dim)
        X~, rows aligned with ``outputs``.
    labels : numpy.ndarray, shape (n,)
        Class labels, rows aligned with ``outputs``.
    config : IBConfig
        Estimator, compressor and seed settings.
    epoch : int
        Seeds the estimator's tie-breaking and the per-layer autoencoders.
    layer_names : tuple of str, optional
        Names for the rows (default L1, L2, ...).
    device, n_threads
        Where and on how many threads (default: from ``config``); OpenBLAS is limited
        to ``n_threads`` too (see :func:`pymi.runs.blas_threads`).

    Returns
    -------
    rows : list of dict
        :data:`pymi.ib.storage.MI_FIELDS` rows, two per layer.
    timings : dict
        ``compress_seconds``, ``estimate_seconds``, ``mi_seconds`` (their sum).
    notes : list of dict
        Warnings raised by the estimators (e.g. tie-breaking) and failed estimates
        (stored as NaN), as ``{"epoch", "layer", "note"}``.
    """
    from .._api import make_estimator

    device = _resolve_device(config.device) if device is None else device
    n_threads = _threads(config.n_jobs) if n_threads is None else n_threads
    names = layer_names or tuple(f"L{i + 1}" for i in range(len(outputs)))

    def build(method: str, options: dict[str, Any]) -> Any:
        return make_estimator(
            method,
            k=_k_for(config, method),
            random_state=derive_seed(config.seed, _ESTIMATOR, epoch),
            n_jobs=n_threads,
            device="auto"
            if device.type == "cuda"
            else "cpu",  # pymi picks its CUDA kernels if built
            **options,
        )

    est = build(config.estimator, config.estimator_options)
    est_y = est if config.label_estimator is None else build(config.label_estimator, {})
    with blas_threads(n_threads):
        return _estimate_layers(
            outputs, input_codes, labels, config, (est, est_y), names, epoch, device, n_threads
        )


def _estimate_layers(
    outputs: list[np.ndarray],
    input_codes: np.ndarray,
    labels: np.ndarray,
    config: IBConfig,
    estimators: tuple[Any, Any],
    names: tuple[str, ...],
    epoch: int,
    device: Any,
    n_threads: int,
) -> tuple[list[dict[str, Any]], dict[str, float], list[dict[str, Any]]]:
    from ..estimators import TiesWarning

    x_codes = np.asarray(input_codes, dtype=np.float64)
    rows: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    t_compress = t_estimate = 0.0
    for li, (name, out) in enumerate(zip(names, outputs, strict=True)):
        t0 = time.perf_counter()
        comp = _layer_compressor(config, epoch, li, device, n_threads)
        codes = np.asarray(comp.fit_transform(out), dtype=np.float64)
        t_compress += time.perf_counter() - t0
        for quantity, est, args, kwargs in (
            ("I(X;L)", estimators[0], (x_codes, codes), {}),
            ("I(L;Y)", estimators[1], (codes, labels), {"discrete_y": True}),
        ):
            t1 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", TiesWarning)
                # an I(L;Y) above H(Y) becomes a note of the run, not an exception
                warnings.simplefilter("always", ImplausibleEstimateWarning)
                try:
                    res = est.mutual_information(*args, **kwargs)
                    value, stderr = res.value, res.stderr
                except ValueError as exc:
                    value = stderr = float("nan")
                    notes.append(
                        {"epoch": epoch, "layer": name, "note": f"{quantity} failed: {exc}"}
                    )
            seconds = time.perf_counter() - t1
            t_estimate += seconds
            for w in caught:
                notes.append({"epoch": epoch, "layer": name, "note": f"{quantity}: {w.message}"})
            rows.append(
                {
                    "epoch": epoch,
                    "layer": name,
                    "quantity": quantity,
                    "value": value,
                    "stderr": stderr,
                    "seconds": seconds,
                }
            )
    timings = {
        "compress_seconds": t_compress,
        "estimate_seconds": t_estimate,
        "mi_seconds": t_compress + t_estimate,
    }
    return rows, timings, notes


def artefact_notes(mi_rows: list[dict[str, Any]], h_y: float = H_Y) -> list[str]:
    """Messages for every I(L; Y) estimate above H(Y) (impossible: an estimator artefact)."""
    out = []
    for r in mi_rows:
        if r["quantity"] == "I(L;Y)" and np.isfinite(r["value"]) and r["value"] > h_y:
            out.append(
                f"epoch {r['epoch']} {r['layer']}: I(L;Y) = {r['value']:.3f} ± {r['stderr']:.3f} nats "
                f"exceeds H(Y) <= log 10 = {h_y:.3f} nats; I(L;Y) cannot exceed H(Y), so this is an "
                "estimator artefact (bias of the class-conditional entropy estimates)"
            )
    return out
