"""The information-plane experiment: train the noisy CNN, estimate per-layer MI every epoch.

Reproduces the MNIST experiment of Butakov et al., "Information Bottleneck
Analysis of Deep Neural Networks via Lossy Compression" (ICLR 2024), section 6.
This module is the run of one job: data (:mod:`pymi.ib.data`), input codes X~ from a
convolutional autoencoder (sigmoid code, L1 loss) trained once and cached, then per
epoch training, evaluation, MI of every layer (:mod:`pymi.ib.estimation`) and the
rows and checkpoint in the run folder (:mod:`pymi.ib.storage`).

All values are in nats, with the estimator's standard error. Rows of the layer
outputs, the input codes and the labels are aligned by construction: all three
come from the same fixed evaluation tensor walked in order.
"""

from __future__ import annotations

import contextlib
import platform
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..runs import blas_threads, ensure_folder, run_lock
from .config import (
    _INPUT_AE,
    _MODEL,
    _SHUFFLE,
    _SPLIT,
    _TORCH,
    IBConfig,
    derive_seed,
)
from .data import IBData, load_data
from .estimation import H_Y, _k_for, _threads, artefact_notes, estimate_layers
from .storage import RunStore

__all__ = [
    "H_Y",
    "IBData",
    "RunSetupError",
    "estimate_layers",
    "load_data",
    "resolve_device",
    "run",
]


# ----------------------------------------------------------------------- torch setup


def resolve_device(device: str) -> Any:
    """``"auto" | "cpu" | "cuda"`` -> ``torch.device`` (``"auto"``: CUDA when visible); see :func:`pymi._device.resolve_device`."""
    from .._device import resolve_device as _resolve

    return _resolve(device, framework="torch")


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
    info = store.read_json(store.input_ae_record_path)
    if (
        cached is not None
        and info is not None
        and cached.shape == (config.n_eval, config.input_dim)
    ):
        return cached, info
    from ..compression import ConvAutoencoder
    from ..compression.autoencoder import PAPER_AE_CHANNELS, PAPER_AE_INPUT_NOISE

    log(
        f"training the input autoencoder ({config.input_dim}-D sigmoid code, L1 loss) on "
        f"{data.train_images.shape[0]} training images ..."
    )
    t0 = time.perf_counter()
    # the paper's input encoder (Butakov et al., ICLR 2024): its channels and input
    # noise, stated here because ConvAutoencoder's defaults are tuned for small budgets
    ae = ConvAutoencoder(
        config.input_dim,
        channels=PAPER_AE_CHANNELS,
        input_noise=PAPER_AE_INPUT_NOISE,
        max_steps=None,
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
    store.save_model(
        store.input_ae_path,
        {"encoder": ae.encoder_.state_dict(), "decoder": ae.decoder_.state_dict()},
    )
    store.write_json(store.input_ae_record_path, info)
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
    pymi.runs.ConfigMismatchError
        If ``run_dir`` holds a run with a different configuration.
    pymi.runs.RunFolderError
        If ``run_dir`` is a file, is in use by another process
        (:class:`pymi.runs.RunFolderInUseError`), or holds a damaged, misplaced or unsafe
        file (:class:`pymi.runs.RunFileError`, naming the file and the fix).

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
    ensure_folder(store.dir, option="run_dir (--run-dir)")
    with run_lock(store.dir, "run_dir (--run-dir)"):
        return _run_locked(config, store, data, stop_after, plots, log)


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
                        msg = (
                            f"estimator_options {options!r} do not fit estimator={method!r}: {err}"
                        )
                        raise ValueError(msg) from None
                    raise
        if "wkl" in (config.estimator, config.label_estimator):
            # WKL's largest entropy term: the joint of the input and layer codes for
            # I(X; L), the layer code alone for I(L; Y)
            from .._weights import MAX_WEIGHT_NORM, wkl_weights

            max_norm = config.estimator_options.get("max_weight_norm", MAX_WEIGHT_NORM)
            d = (
                config.input_dim + config.layer_dim
                if config.estimator == "wkl"
                else config.layer_dim
            )
            wkl_weights(
                config.k, d, max_norm=max_norm if config.estimator == "wkl" else MAX_WEIGHT_NORM
            )
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

    meta = store.read_metadata()
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
            torch.manual_seed(derive_seed(config.seed, _TORCH))
            start = 0
        else:
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["optimizer"])
            torch.set_rng_state(ckpt["torch_rng"])
            shuffle_gen.set_state(ckpt["shuffle_rng"])
            if device.type == "cuda" and ckpt.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(ckpt["cuda_rng"], device)
            start = int(ckpt["epoch"]) + 1
            redo = sum(1 for r in store.read_epochs() if r["epoch"] >= start)
            log(
                f"resuming {store.dir} after epoch {ckpt['epoch']}"
                + (f" (epoch {start} was not checkpointed: computed again)" if redo else "")
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
    """One line per epoch: losses, accuracy, and per layer I(X;L) and I(L;Y) in nats."""
    parts = [f"epoch {row['epoch']:>3}/{epochs}"]
    if "train_loss" in row:
        parts.append(f"train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.3f}")
    parts.append(f"eval acc {row['eval_accuracy']:.3f}")
    if mi_rows:
        by = {(r["layer"], r["quantity"]): r["value"] for r in mi_rows}
        layers = sorted({r["layer"] for r in mi_rows})
        parts.append(
            "nats: "
            + "; ".join(
                f"{name} I(X;L)={by[(name, 'I(X;L)')]:.2f} I(L;Y)={by[(name, 'I(L;Y)')]:.2f}"
                for name in layers
            )
        )
        parts.append(f"MI {row['mi_seconds']:.2f} s")
    return " | ".join(parts)
