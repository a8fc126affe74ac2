"""The information-plane experiment: train the noisy CNN, estimate per-layer MI every epoch.

Reproduces the MNIST experiment of Butakov et al., "Information Bottleneck
Analysis of Deep Neural Networks via Lossy Compression" (ICLR 2024), section 6.
For every estimation epoch and every layer L of
:class:`~pymi.ib.model.NoisyCNN`:

* X~ = 4-D code of the input image from a convolutional autoencoder (sigmoid code,
  L1 loss) trained once on the training images and cached in the run folder;
* L~ = 4-D compression of the layer output on the fixed evaluation set (PCA refit
  every epoch, as in the paper, or an MLP autoencoder);
* I(X; L) = I(X~; L~) with the chosen estimator (default Kozachenko--Leonenko, k=5);
* I(L; Y) = h(L~) - sum_y p(y) h(L~ | Y=y) with the labels (``discrete_y=True``), or,
  with ``label_estimator="ksg"``, the estimator of Ross (2014) for discrete labels.

All values are in nats, with the estimator's standard error. Rows of the layer
outputs, the input codes and the labels are aligned by construction: all three
come from the same fixed evaluation tensor walked in order.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .._plausibility import ImplausibleEstimateWarning

from .._runlock import run_lock
from .config import IBConfig
from .storage import RunStore

__all__ = [
    "H_Y",
    "IBData",
    "estimate_layers",
    "load_data",
    "resolve_device",
    "run",
]

#: Entropy of uniformly distributed labels over 10 classes, log 10 nats: the ceiling of
#: I(L; Y) for MNIST (I(L; Y) <= H(Y) <= log 10).
H_Y = math.log(10.0)

# Tags that derive independent seeds from IBConfig.seed.
_SPLIT, _INPUT_AE, _MODEL, _SHUFFLE, _TORCH, _ESTIMATOR, _LAYER_AE = range(1, 8)


def derive_seed(seed: int, *tags: int) -> int:
    """An independent 31-bit seed for the stream named by ``tags`` (numpy SeedSequence)."""
    return int(np.random.SeedSequence([seed, *tags]).generate_state(1, np.uint32)[0] >> 1)


# ------------------------------------------------------------------------------ data


@dataclass
class IBData:
    """Training and evaluation sets, pixels scaled to [0, 1].

    Attributes
    ----------
    train_images, eval_images : numpy.ndarray
        float32, shape ``(n, 28, 28)``.
    train_labels, eval_labels : numpy.ndarray
        int64, shape ``(n,)``.
    eval_indices : numpy.ndarray
        Row numbers of the evaluation images in their IDX split (sorted).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    eval_images: np.ndarray
    eval_labels: np.ndarray
    eval_indices: np.ndarray


def load_data(config: IBConfig) -> IBData:
    """Load the IDX data of ``config`` and draw the training and evaluation sets.

    When ``train_split == eval_split`` the two sets are disjoint parts of one
    permutation seeded by ``config.seed`` (default: 8,000 / 2,000 of the 10,000 MNIST
    test digits shipped with pymi).

    Raises
    ------
    ValueError
        If the split holds fewer images than requested.
    """
    from ..datasets import load_mnist

    rng = np.random.default_rng(derive_seed(config.seed, _SPLIT))
    ev_imgs, ev_labels = load_mnist(config.root, split=config.eval_split, kind=config.data)
    if config.train_split == config.eval_split:
        tr_imgs, tr_labels = ev_imgs, ev_labels
        n = ev_imgs.shape[0]
        n_train = n - config.n_eval if config.n_train is None else config.n_train
        if n_train < 1 or config.n_eval + n_train > n:
            msg = (
                f"n_eval={config.n_eval} + n_train={config.n_train} exceed the {n} images of the "
                f"{config.data} {config.eval_split} split (training and evaluation sets are disjoint "
                "parts of it); lower n_eval / n_train, or draw them from different splits "
                "(train_split='train')"
            )
            raise ValueError(msg)
        perm = rng.permutation(n)
        ev_idx, tr_idx = perm[: config.n_eval], perm[config.n_eval : config.n_eval + n_train]
    else:
        tr_imgs, tr_labels = load_mnist(config.root, split=config.train_split, kind=config.data)
        for name, want, have, split in (
            ("n_eval", config.n_eval, ev_imgs.shape[0], config.eval_split),
            ("n_train", config.n_train, tr_imgs.shape[0], config.train_split),
        ):
            if want is not None and want > have:
                msg = f"{name}={want} exceeds the {have} images of the {config.data} {split} split; lower {name}"
                raise ValueError(msg)
        ev_idx = rng.permutation(ev_imgs.shape[0])[: config.n_eval]
        tr_idx = rng.permutation(tr_imgs.shape[0])[: config.n_train]
    ev_idx = np.sort(ev_idx)
    for split, imgs, labels in (
        (config.eval_split, ev_imgs, ev_labels),
        (config.train_split, tr_imgs, tr_labels),
    ):
        if imgs.shape[1:] != (28, 28):
            msg = (
                f"the {config.data} {split} images in {config.root!r} have shape "
                f"{imgs.shape[1:]}, but the classifier (NoisyCNN) takes 28x28 MNIST-format "
                f"digits; pass root= a folder with 28x28 IDX files"
            )
            raise ValueError(msg)
        if labels.size and not (labels.min() >= 0 and labels.max() <= 9):
            msg = (
                f"the {config.data} {split} labels in {config.root!r} range over "
                f"{int(labels.min())}..{int(labels.max())}, but the classifier has 10 outputs "
                f"(labels 0..9)"
            )
            raise ValueError(msg)
    return IBData(
        train_images=(tr_imgs[tr_idx].astype(np.float32) / 255.0),
        train_labels=tr_labels[tr_idx].astype(np.int64),
        eval_images=(ev_imgs[ev_idx].astype(np.float32) / 255.0),
        eval_labels=ev_labels[ev_idx].astype(np.int64),
        eval_indices=ev_idx.astype(np.int64),
    )


# ----------------------------------------------------------------------- torch setup


def resolve_device(device: str) -> Any:
    """``"auto" | "cpu" | "cuda"`` -> ``torch.device`` (``"auto"``: CUDA when visible); see :func:`pymi._device.resolve_device`."""
    from .._device import resolve_device as _resolve

    return _resolve(device, framework="torch")


def _threads(n_jobs: int) -> int:
    """The thread count ``n_jobs`` stands for (pymi's one rule: -1 for all cores)."""
    from .._validation import resolve_n_jobs

    return resolve_n_jobs(n_jobs)


_OPENBLAS_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


@contextlib.contextmanager
def blas_threads(n_threads: int) -> Iterator[list[str]]:
    """Limit every loaded OpenBLAS (numpy's, scipy's) to ``n_threads`` for the body.

    PyTorch's ``set_num_threads`` does not reach the BLAS under numpy, which the
    per-layer PCA uses; on a machine shared with other jobs, OpenBLAS threads that
    spin while their peers are descheduled made the PCA 5-10x slower in our
    measurements. Best effort (Linux: libraries found in ``/proc/self/maps``; a
    no-op elsewhere); yields the names of the libraries it limited and restores
    their previous thread counts afterwards.
    """
    import ctypes

    touched: list[tuple[Any, Any, int, str]] = []
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted(
                {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
            )
    except OSError:
        paths = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _OPENBLAS_SYMBOLS:
            get, put = getattr(lib, get_name, None), getattr(lib, set_name, None)
            if get is not None and put is not None:
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                old = int(get())
                put(int(n_threads))
                touched.append((get, put, old, os.path.basename(path)))
                break
    try:
        yield [name for *_, name in touched]
    finally:
        for _, put, old, _ in touched:
            put(old)


@contextlib.contextmanager
def _torch_settings(n_threads: int, device: Any) -> Iterator[None]:
    """Thread counts (PyTorch and OpenBLAS) and deterministic algorithms for the body; restored afterwards."""
    import torch

    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch.set_num_threads(n_threads)
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
    else:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        with blas_threads(n_threads):
            yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = old_cudnn


# ------------------------------------------------------------------- MI per layer


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
        to ``n_threads`` too (see :func:`blas_threads`).

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

    device = resolve_device(config.device) if device is None else device
    n_threads = _threads(config.n_jobs) if n_threads is None else n_threads
    names = layer_names or tuple(f"L{i + 1}" for i in range(len(outputs)))
    def build(method: str, options: dict[str, Any]) -> Any:
        return make_estimator(
            method,
            k=_k_for(config, method),
            random_state=derive_seed(config.seed, _ESTIMATOR, epoch),
            n_jobs=n_threads,
            device="auto" if device.type == "cuda" else "cpu",  # pymi picks its CUDA kernels if built
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


# ------------------------------------------------------------------------ the run


def _versions() -> dict[str, str]:
    import scipy
    import torch

    import pymi

    out = {
        "pymi": pymi.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "torch": torch.__version__,
    }
    try:
        import matplotlib

        out["matplotlib"] = matplotlib.__version__
    except ImportError:  # pragma: no cover
        pass
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _input_codes(
    config: IBConfig,
    store: RunStore,
    data: IBData,
    device: Any,
    n_threads: int,
    log: Callable[[str], None],
) -> tuple[np.ndarray, dict[str, Any]]:
    """X~ for the evaluation images: cached in the run folder, else train the autoencoder once."""
    cached = store.load_array(store.input_codes_path)
    info = store.read_json(store.dir / "input_autoencoder.json")
    if (
        cached is not None
        and info is not None
        and cached.shape == (config.n_eval, config.input_dim)
    ):
        return cached, info
    import torch

    from ..compression import ConvAutoencoder

    log(
        f"training the input autoencoder ({config.input_dim}-D sigmoid code, L1 loss) on "
        f"{data.train_images.shape[0]} training images ..."
    )
    t0 = time.perf_counter()
    ae = ConvAutoencoder(
        config.input_dim,
        code_activation="sigmoid",
        max_epochs=config.input_ae_epochs,
        batch_size=config.input_ae_batch_size,
        random_state=derive_seed(config.seed, _INPUT_AE),
        device=device.type,
        n_jobs=n_threads,
        progress=config.progress,
    )
    ae.fit(data.train_images)
    codes = np.asarray(ae.transform(data.eval_images), dtype=np.float64)
    recon = ae.inverse_transform(codes.astype(np.float32))
    info = {
        "seconds": time.perf_counter() - t0,
        "params": {k: v for k, v in ae._params().items() if k != "random_state"},
        "seed": derive_seed(config.seed, _INPUT_AE),
        "epochs_run": int(getattr(ae, "n_epochs_", -1)),
        "best_epoch": int(getattr(ae, "best_epoch_", -1)),
        "eval_l1": float(np.mean(np.abs(recon.reshape(data.eval_images.shape) - data.eval_images))),
        "code_min": codes.min(axis=0).tolist(),
        "code_max": codes.max(axis=0).tolist(),
    }
    buf = {"encoder": ae.encoder_.state_dict(), "decoder": ae.decoder_.state_dict()}
    import io

    raw = io.BytesIO()
    torch.save(buf, raw)
    from .storage import atomic_write_bytes

    atomic_write_bytes(store.dir / "input_autoencoder.pt", raw.getvalue())
    store.write_json(store.dir / "input_autoencoder.json", info)
    store.save_array(store.input_codes_path, codes)
    log(
        f"input autoencoder: {info['epochs_run']} epochs in {info['seconds']:.1f} s, "
        f"evaluation L1 reconstruction error {info['eval_l1']:.4f}"
    )
    return codes, info


def _train_epoch(
    model: Any, opt: Any, x: Any, y: Any, batch_size: int, gen: Any
) -> tuple[float, float]:
    import torch
    import torch.nn.functional as F

    model.train()
    n = x.shape[0]
    perm = torch.randperm(n, generator=gen).to(x.device)
    total, correct = 0.0, 0
    for start in range(0, n, batch_size):
        idx = perm[start : start + batch_size]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        logp = model(xb)
        loss = F.nll_loss(logp, yb)
        loss.backward()
        opt.step()
        total += float(loss.detach()) * idx.shape[0]
        correct += int((logp.detach().argmax(1) == yb).sum())
    return total / n, correct / n


def run(
    config: IBConfig | None = None,
    *,
    stop_after: int | None = None,
    plots: bool = True,
    verbose: bool = True,
) -> Path:
    """Run (or resume) the information-plane experiment; return the run folder.

    Every epoch's results are appended to ``mi.csv`` / ``epochs.csv`` as soon as they
    are computed, then the model, optimizer and RNG states are checkpointed
    (atomically). Calling ``run`` again with the same configuration and ``run_dir``
    resumes after the last checkpointed epoch, and gives the same numbers as an
    uninterrupted run (on the same device with the same ``n_jobs``: PyTorch's CPU
    results depend on the thread count). ``epochs`` may be raised to continue a
    finished run.

    Parameters
    ----------
    config : IBConfig, optional
        The experiment (default: ``IBConfig()``, the documented run).
    stop_after : int, optional
        Stop after this epoch even if ``config.epochs`` is larger (the run can be
        resumed later); used to split long runs and to test resumption.
    plots : bool
        Write the figures (``ib_*.png``) at the end.
    verbose : bool
        Print one line per epoch.

    Returns
    -------
    pathlib.Path
        The run folder (see :mod:`pymi.ib.storage` for its files).

    Raises
    ------
    RunSetupError
        If the configuration cannot run (unknown estimator or options, unusable
        device, missing data files, more images requested than the split holds);
        raised before anything is written to ``run_dir``.
    pymi.ib.storage.ConfigMismatchError
        If ``run_dir`` holds a run with a different configuration.
    pymi._runlock.RunFolderInUseError
        If another live process is running in ``run_dir``.

    References
    ----------
    I. Butakov, A. Tolmachev, S. Malanchuk, A. Neopryatnaya, A. Frolov, K. Andreev,
    "Information Bottleneck Analysis of Deep Neural Networks via Lossy Compression",
    ICLR 2024.
    """
    config = IBConfig() if config is None else config
    log: Callable[[str], None] = (lambda s: print(s, flush=True)) if verbose else (lambda s: None)
    data = _check_setup(config)
    store = RunStore(config.run_dir)
    store.dir.mkdir(parents=True, exist_ok=True)
    with run_lock(store.dir, "run_dir / --run-dir"):
        return _run_locked(config, store, data, stop_after, plots, log)


def _k_for(config: IBConfig, method: str) -> int | None:
    """``config.k`` for the estimators that take a neighbour count, else None."""
    from .._api import methods

    info = methods().get(method)
    return config.k if info is not None and info.capabilities.takes_k else None


class RunSetupError(ValueError):
    """The configuration of an information-plane run cannot run (nothing was written)."""


def _check_setup(config: IBConfig) -> IBData:
    """Everything that can fail before the first epoch, checked before ``run_dir`` is touched."""
    from .._api import make_estimator

    try:
        resolve_device(config.device)
        for method, options in (
            (config.estimator, config.estimator_options),
            (config.label_estimator, {}),
        ):
            if method is not None:
                try:
                    make_estimator(method, k=_k_for(config, method), **options)
                except (ValueError, TypeError) as err:
                    if "invalid option" in str(err):
                        msg = f"estimator_options {options!r} do not fit estimator={method!r}: {err}"
                        raise ValueError(msg) from None
                    raise
        if "wkl" in (config.estimator, config.label_estimator):
            # WKL's largest entropy term: the joint of the input and layer codes for
            # I(X; L), the layer code alone for I(L; Y)
            from .._weights import MAX_WEIGHT_NORM, wkl_weights

            max_norm = config.estimator_options.get("max_weight_norm", MAX_WEIGHT_NORM)
            d = config.input_dim + config.layer_dim if config.estimator == "wkl" else config.layer_dim
            wkl_weights(config.k, d, max_norm=max_norm if config.estimator == "wkl" else MAX_WEIGHT_NORM)
        return load_data(config)
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise RunSetupError(str(err)) from err


def _run_locked(
    config: IBConfig,
    store: RunStore,
    data: IBData,
    stop_after: int | None,
    plots: bool,
    log: Callable[[str], None],
) -> Path:
    resumed = store.prepare(config.to_dict(), config.identity(), IBConfig.defaults())
    device = resolve_device(config.device)
    n_threads = _threads(config.n_jobs)
    session_start = time.perf_counter()

    meta = store.read_json(store.metadata_path) or {}
    meta.update(
        {
            "versions": _versions(),
            "paper": "Butakov et al., Information Bottleneck Analysis of Deep Neural Networks via Lossy Compression, ICLR 2024",
            "units": "nats",
            "seed": config.seed,
            "derived_seeds": {
                name: derive_seed(config.seed, tag)
                for name, tag in (
                    ("split", _SPLIT),
                    ("input_autoencoder", _INPUT_AE),
                    ("model_init", _MODEL),
                    ("batch_order", _SHUFFLE),
                    ("dropout_and_noise", _TORCH),
                )
            },
            "deterministic_torch": device.type == "cpu",
            "h_y_ceiling_nats": H_Y,
        }
    )
    sessions = meta.setdefault("sessions", [])
    session: dict[str, Any] = {
        "started": _now(),
        "resumed": resumed,
        "device": str(device),
        "n_threads": n_threads,
        "status": "running",
    }
    sessions.append(session)
    store.write_json(store.metadata_path, meta)

    try:
        _run_epochs(config, store, meta, session, data, device, n_threads, stop_after, log)
    except BaseException as exc:
        session.update(
            {
                "finished": _now(),
                "status": f"interrupted: {type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - session_start,
            }
        )
        store.write_json(store.metadata_path, meta)
        raise
    all_mi = store.read_mi()
    epochs_rows = store.read_epochs()
    mi_secs = [r["mi_seconds"] for r in epochs_rows if np.isfinite(r["mi_seconds"])]
    train_secs = [r["train_seconds"] for r in epochs_rows if np.isfinite(r["train_seconds"])]
    meta["timings"] = {
        "mi_seconds_per_estimation_epoch_mean": float(np.mean(mi_secs)) if mi_secs else None,
        "mi_seconds_per_estimation_epoch_max": float(np.max(mi_secs)) if mi_secs else None,
        "train_seconds_per_epoch_mean": float(np.mean(train_secs)) if train_secs else None,
        "n_eval": config.n_eval,
    }
    meta["notes_h_y"] = artefact_notes(all_mi)
    done = bool(epochs_rows) and epochs_rows[-1]["epoch"] >= config.epochs
    session.update(
        {
            "finished": _now(),
            "status": "completed" if done else "stopped",
            "seconds": time.perf_counter() - session_start,
        }
    )
    store.write_json(store.metadata_path, meta)
    if plots and all_mi:
        from .plots import plot_run

        for path in plot_run(store.dir):
            log(f"wrote {path}")
    return store.dir


def _run_epochs(
    config: IBConfig,
    store: RunStore,
    meta: dict[str, Any],
    session: dict[str, Any],
    data: IBData,
    device: Any,
    n_threads: int,
    stop_after: int | None,
    log: Callable[[str], None],
) -> None:
    """Data, input codes, model; then train / evaluate / estimate / checkpoint epoch by epoch."""
    import torch

    from .model import LAYER_NAMES, NoisyCNN, count_parameters, layer_outputs

    session_start = time.perf_counter()
    with _torch_settings(n_threads, device):
        store.save_array(store.eval_indices_path, data.eval_indices)
        counts = np.bincount(data.eval_labels, minlength=10)
        p = counts[counts > 0] / counts.sum()
        meta["data"] = {
            "kind": config.data,
            "train_split": config.train_split,
            "eval_split": config.eval_split,
            "n_train": int(data.train_images.shape[0]),
            "n_eval": int(data.eval_images.shape[0]),
            "eval_class_counts": counts.tolist(),
            "eval_label_entropy_nats": float(-(p * np.log(p)).sum()),
        }
        input_codes, ae_info = _input_codes(config, store, data, device, n_threads, log)
        meta["input_autoencoder"] = ae_info

        torch.manual_seed(derive_seed(config.seed, _MODEL))
        model = NoisyCNN(sigma=config.sigma, dropout=config.dropout).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        shuffle_gen = torch.Generator().manual_seed(derive_seed(config.seed, _SHUFFLE))
        meta["model"] = {
            "class": "NoisyCNN",
            "parameters": count_parameters(model),
            "repr": repr(model),
        }

        ckpt = store.load_checkpoint()
        if ckpt is None:
            store.truncate_after(-1)
            torch.manual_seed(derive_seed(config.seed, _TORCH))
            start = 0
        else:
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["optimizer"])
            torch.set_rng_state(ckpt["torch_rng"])
            shuffle_gen.set_state(ckpt["shuffle_rng"])
            if device.type == "cuda" and ckpt.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(ckpt["cuda_rng"], device)
            dropped = store.truncate_after(int(ckpt["epoch"]))
            start = int(ckpt["epoch"]) + 1
            log(
                f"resuming {store.dir} after epoch {ckpt['epoch']}"
                + (f" (dropped {dropped} rows of an unfinished epoch)" if dropped else "")
            )
        session["start_epoch"] = start

        x_train = torch.from_numpy(data.train_images[:, None]).to(device)
        y_train = torch.from_numpy(data.train_labels).to(device)
        x_eval = torch.from_numpy(data.eval_images[:, None]).to(device)
        last = config.epochs if stop_after is None else min(config.epochs, stop_after)
        for epoch in range(start, last + 1):
            row: dict[str, Any] = {"epoch": epoch}
            if epoch > 0:
                t0 = time.perf_counter()
                row["train_loss"], row["train_accuracy"] = _train_epoch(
                    model, opt, x_train, y_train, config.batch_size, shuffle_gen
                )
                row["train_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            outputs = layer_outputs(model, x_eval)
            logp = outputs[-1]
            row["eval_loss"] = float(-np.mean(logp[np.arange(logp.shape[0]), data.eval_labels]))
            row["eval_accuracy"] = float(np.mean(logp.argmax(1) == data.eval_labels))
            row["eval_seconds"] = time.perf_counter() - t0
            mi_rows: list[dict[str, Any]] = []
            notes: list[dict[str, Any]] = []
            if epoch % config.estimate_every == 0:
                mi_rows, timings, notes = estimate_layers(
                    outputs,
                    input_codes,
                    data.eval_labels,
                    config,
                    epoch=epoch,
                    layer_names=LAYER_NAMES,
                    device=device,
                    n_threads=n_threads,
                )
                row.update(timings)
            notes += [{"epoch": epoch, "layer": "", "note": s} for s in artefact_notes(mi_rows)]
            store.append_mi(mi_rows)
            store.append_notes(notes)
            store.append_epoch(row)
            state = {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "shuffle_rng": shuffle_gen.get_state(),
                "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            }
            store.save_checkpoint(state)
            session["end_epoch"] = epoch
            session["seconds"] = time.perf_counter() - session_start
            store.write_json(store.metadata_path, meta)
            log(_epoch_line(row, mi_rows, config.epochs))
            for n in notes:
                log(f"  note: {n['layer']} {n['note']}".rstrip())


def _epoch_line(row: dict[str, Any], mi_rows: list[dict[str, Any]], epochs: int) -> str:
    parts = [f"epoch {row['epoch']:>3}/{epochs}"]
    if "train_loss" in row:
        parts.append(f"train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.3f}")
    parts.append(f"eval acc {row['eval_accuracy']:.3f}")
    if mi_rows:
        by = {(r["layer"], r["quantity"]): r["value"] for r in mi_rows}
        layers = sorted({r["layer"] for r in mi_rows})
        parts.append(
            " ".join(
                f"{name}({by[(name, 'I(X;L)')]:.2f},{by[(name, 'I(L;Y)')]:.2f})" for name in layers
            )
        )
        parts.append(f"MI {row['mi_seconds']:.2f} s")
    return " | ".join(parts)
