"""Compressed estimation in the benchmark: one compressor per task, trained once, cached.

The image experiment of Butakov et al. (ICLR 2024): estimate I(X; Y) between
high-dimensional images whose MI is known exactly by compressing both sides with an
autoencoder (or PCA) and running a classical estimator (KL, WKL, KDE, ...) on the
codes.

A task declares its compressors by name; an estimator runs on the codes of one of
them with the estimator key ``codes``::

    [tasks.bump16]
    generator = "gaussian_bump"
    size = 16
    [tasks.bump16.compressors.ae]
    method = "ae"                 # "ae" (ConvAutoencoder for images) or "pca"
    latent_dim = 2                # code size = number of true parameters
    n_train = 20000               # fresh training images (X and Y stacked)
    options = {channels = [8, 16, 16], batch_size = 256, max_steps = 1500}

    [estimators.ae-wkl]
    method = "wkl"
    k = 5
    codes = "ae"                  # run on the codes of the task's compressor "ae"

**Why one compressor per task serves every grid point.** Every image generator draws
the latents of each side as standard normal vectors, ``xi_X ~ N(0, I)`` and
``xi_Y ~ N(0, I)``, whatever the target MI; the MI only sets the correlation *between*
the sides. Each side is rendered by the same map, so the marginal distribution of one
image is the same at every true MI and on both sides. An autoencoder trained on that
marginal is therefore the right encoder at all 41 grid points, for X and for Y (one
encoder serves both sides, as in the paper). Training images are drawn fresh from the
task's generator at MI = 0 with a seed derived from the task and compressor names
(independent of every evaluation seed), and the X and Y images are stacked:
``n_train`` independent images of the marginal.

**Caching.** A fitted compressor is written to ``<run>/compressors/<task>.<name>.pt``
(autoencoder: ``torch`` state dicts and fitted attributes) or ``.npz`` (PCA), with a
``.json`` record (spec, fit time, steps, losses). A resumed run loads it instead of
training again; the codes of a fixed probe batch, stored with it, are recomputed on
load and must match.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..runs import (
    RunFileError,
    UnsafeFileError,
    atomic_write_bytes,
    atomic_write_json,
    read_json,
)

__all__ = [
    "CODES_KEY",
    "CompressorSpec",
    "deserialize_compressor",
    "load_compressor",
    "parse_compressors",
    "range_summary",
    "serialize_compressor",
    "write_image_report",
]

#: Estimator option naming the task compressor whose codes the estimator runs on.
CODES_KEY = "codes"
#: Sub-folder of the run folder holding the fitted compressors.
CACHE_DIR = "compressors"
_SPEC_KEYS = ("method", "latent_dim", "n_train", "options")
_METHODS = ("ae", "pca")
_SEED_TAG = 0xC0DEC0DE
_PROBE_ROWS = 64
#: Default ranges of true MI (nats) for the per-range error table.
DEFAULT_RANGES: tuple[tuple[float, float], ...] = ((0.0, 6.0), (6.0, 10.0))


class _ConfigError(ValueError):
    pass


def _config_error() -> type[ValueError]:
    from .tasks import ConfigError

    return ConfigError


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class CompressorSpec:
    """One compressor of a task, trained once on fresh images of the task's marginal.

    Parameters
    ----------
    name : str
        Label, referred to by estimators as ``codes = "<name>"``.
    method : {"ae", "pca"}
        ``"ae"``: :class:`pymi.compression.ConvAutoencoder` for images (MLP for vectors);
        ``"pca"``: :class:`pymi.compression.PCA`.
    latent_dim : int
        Code size (the paper: the number of true parameters).
    n_train : int
        Number of fresh training images (half from X, half from Y of MI-0 pairs).
    options : dict
        Constructor options of the compressor (``channels``, ``batch_size``,
        ``max_steps``, ``n_jobs``, ...). ``random_state`` defaults to a seed derived
        from the task and compressor names; ``progress`` defaults to False.
    """

    name: str
    method: str
    latent_dim: int
    n_train: int = 20000
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, task: str, name: str, spec: object) -> CompressorSpec:
        err = _config_error()
        where = f"task {task!r} compressor {name!r}"
        if (
            not isinstance(name, str)
            or not name
            or not name.replace("-", "").replace("_", "").isalnum()
        ):
            msg = f"task {task!r}: compressor names must be letters, digits, '-' or '_'; got {name!r}; rename it, e.g. 'ae'"
            raise err(msg)
        if not isinstance(spec, Mapping):
            msg = f'{where} must be a table {{method = "ae"|"pca", latent_dim = ..., n_train = ..., options = {{...}}}}; got {spec!r}'
            raise err(msg)
        unknown = sorted(set(spec) - set(_SPEC_KEYS))
        if unknown:
            msg = f"{where}: unknown keys {unknown}; allowed keys are {list(_SPEC_KEYS)} (constructor options go in options = {{...}})"
            raise err(msg)
        method = spec.get("method")
        if method not in _METHODS:
            msg = f"{where}: method must be one of {list(_METHODS)}; got method={method!r}"
            raise err(msg)
        ld = spec.get("latent_dim")
        if isinstance(ld, bool) or not isinstance(ld, numbers.Integral) or ld < 1:
            msg = f"{where}: latent_dim must be a positive int (the code size, e.g. the number of true parameters); got latent_dim={ld!r}"
            raise err(msg)
        n_train = spec.get("n_train", 20000)
        if isinstance(n_train, bool) or not isinstance(n_train, numbers.Integral) or n_train < 4:
            msg = f"{where}: n_train must be an int >= 4 (fresh training images); got n_train={n_train!r}; pass e.g. n_train=20000"
            raise err(msg)
        options = spec.get("options", {}) or {}
        if not isinstance(options, Mapping):
            msg = f"{where}: options must be a table of constructor options; got {options!r}"
            raise err(msg)
        fixed = sorted(set(options) & {"latent_dim"})
        if fixed:
            msg = f"{where}: set latent_dim at the top level of the compressor, not in options"
            raise err(msg)
        return cls(
            name=name,
            method=str(method),
            latent_dim=int(ld),
            n_train=int(n_train),
            options=dict(options),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "latent_dim": self.latent_dim,
            "n_train": self.n_train,
        }
        if self.options:
            out["options"] = dict(self.options)
        return out

    def seed(self, task: str) -> np.random.SeedSequence:
        """Seed of the training images and of the compressor: from the task and compressor names."""
        return np.random.SeedSequence(
            [_SEED_TAG, zlib.crc32(task.encode("utf-8")), zlib.crc32(self.name.encode("utf-8"))]
        )

    def build(self, sample_shape: tuple[int, ...], seed: int) -> Any:
        """An unfitted compressor for samples of ``sample_shape``."""
        from ..compression import make_compressor

        kwargs = dict(self.options)
        if self.method == "ae":
            kwargs.setdefault("random_state", int(seed))
            kwargs.setdefault("progress", False)
            for key in ("channels", "image_shape", "hidden"):
                if isinstance(kwargs.get(key), list):
                    kwargs[key] = tuple(kwargs[key])
        return make_compressor(self.method, self.latent_dim, sample_shape=sample_shape, **kwargs)


def parse_compressors(task: str, spec: object) -> dict[str, CompressorSpec]:
    """Parse a task's ``compressors`` table into :class:`CompressorSpec` objects."""
    err = _config_error()
    if not isinstance(spec, Mapping) or not spec:
        msg = f'task {task!r}: compressors must be a non-empty table name -> {{method = "ae"|"pca", latent_dim = ...}}; got {spec!r}'
        raise err(msg)
    return {name: CompressorSpec.from_dict(task, name, s) for name, s in spec.items()}


def validate_compressors(
    task: Any, sample_shape: tuple[int, ...], y_shape: tuple[int, ...] | None = None
) -> None:
    """Build each compressor once (unfitted) so that a bad option fails before the run."""
    err = _config_error()
    for spec in task.compressor_specs.values():
        try:
            comp = spec.build(sample_shape, 0)
        except (TypeError, ValueError) as e:
            msg = (
                f"task {task.name!r} compressor {spec.name!r}: pymi rejects {spec.to_dict()!r}: {e}"
            )
            raise err(msg) from None
        n_feat = int(np.prod(sample_shape))
        if y_shape is not None and tuple(y_shape) != tuple(sample_shape):
            msg = (
                f"task {task.name!r} compressor {spec.name!r}: one compressor encodes both X and Y, "
                f"but their samples differ in shape ({tuple(sample_shape)} vs {tuple(y_shape)}); "
                f"use a task with equal dim_x and dim_y, or no compressor"
            )
            raise err(msg)
        if spec.latent_dim >= n_feat:
            msg = f"task {task.name!r} compressor {spec.name!r}: latent_dim={spec.latent_dim} must be smaller than the {n_feat} features of a sample"
            raise err(msg)
        del comp


# --------------------------------------------------------------------------- training data


def _smallest_mi(task: Any) -> float:
    """The smallest true MI the task's generator accepts (nats)."""
    if task.generator == "student_t":
        from ..datasets.student import student_t_mi_correction

        args = task.args  # df, dim_x and dim_y are required arguments of student_t
        return float(student_t_mi_correction(args["df"], args["dim_x"], args["dim_y"]))
    return 0.0


def training_images(task: Any, spec: CompressorSpec) -> np.ndarray:
    """``spec.n_train`` fresh images of the task's marginal (X and Y of MI-0 pairs, stacked).

    The marginal of each side does not depend on the true MI (the latents of each
    side are standard normal at every MI, times the shared chi-square scale for
    Student-t), so the smallest MI the generator allows (0, or the Student-t
    correction) gives the most independent pairs.
    """
    rng = np.random.default_rng(spec.seed(task.name))
    half = (spec.n_train + 1) // 2
    sample = task.sample(_smallest_mi(task), half, rng)
    return np.concatenate([sample.x, sample.y], axis=0)[: spec.n_train]


# --------------------------------------------------------------------------- cache


def _ext(stem: Path, suffix: str) -> Path:
    """``stem`` plus a suffix (``with_suffix`` would eat the ``.<name>`` part of the stem)."""
    return stem.with_name(stem.name + suffix)


def cache_stem(out: Path, task: str, name: str) -> Path:
    """``<run>/compressors/<task>.<name>``: the cache files add ``.pt``/``.npz`` and ``.json``."""
    return Path(out) / CACHE_DIR / f"{task}.{name}"


def _fitted_attrs(comp: Any) -> dict[str, Any]:
    """Fitted state of a compressor other than torch modules (numpy arrays, numbers, tuples)."""
    skip = {"encoder_", "decoder_", "device_"}
    return {
        k: v
        for k, v in vars(comp).items()
        if (k.endswith("_") and k not in skip) or k == "_feature_shape"
    }


def _to_plain(torch: Any, value: Any) -> Any:
    """A fitted attribute as data ``torch.load(weights_only=True)`` accepts (arrays as tensors)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_to_plain(torch, v) for v in value)
    return value


def _from_plain(value: Any) -> Any:
    """Inverse of :func:`_to_plain`: tensors back to numpy arrays."""
    if hasattr(value, "numpy") and hasattr(value, "detach"):
        return value.detach().numpy()
    if isinstance(value, tuple):
        return tuple(_from_plain(v) for v in value)
    return value


def describe_fit(comp: Any, n_train: int, gen_seconds: float, fit_seconds: float) -> dict[str, Any]:
    """What the record of a fitted compressor says: sizes, times, training details."""
    details: dict[str, Any] = {
        "n_train": int(n_train),
        "train_images_seconds": round(gen_seconds, 3),
        "fit_seconds": round(fit_seconds, 3),
        "compressor": repr(comp),
    }
    for attr in (
        "n_steps_",
        "n_epochs_",
        "best_epoch_",
        "best_val_loss_",
        "stopped_early_",
        "n_val_",
    ):
        if hasattr(comp, attr):
            v = getattr(comp, attr)
            details[attr.rstrip("_")] = v if not isinstance(v, float) or math.isfinite(v) else None
    if hasattr(comp, "history_"):
        details["val_loss_history"] = [round(v, 6) for v in comp.history_.get("val_loss", [])]
    if hasattr(comp, "explained_variance_ratio_"):
        details["explained_variance_ratio"] = [float(v) for v in comp.explained_variance_ratio_]
    return details


def serialize_compressor(comp: Any, spec: CompressorSpec, train: np.ndarray) -> tuple[bytes, str]:
    """A fitted compressor as the content of its cache file: ``(bytes, ".pt" or ".npz")``.

    Tensors and plain data only (``torch.load(weights_only=True)`` and
    ``np.load(allow_pickle=False)`` read it back), with the codes of a probe batch
    (the first rows of ``train``) that a reloaded compressor must reproduce.
    """
    probe = np.ascontiguousarray(train[:_PROBE_ROWS])
    probe_codes = comp.transform(probe)
    attrs = _fitted_attrs(comp)
    buf = io.BytesIO()
    if spec.method == "ae":
        from .._torch import import_torch

        torch = import_torch()
        state = {
            "format": 2,
            "spec": spec.to_dict(),
            "class": type(comp).__name__,
            "encoder": {k: v.detach().cpu() for k, v in comp.encoder_.state_dict().items()},
            "decoder": {k: v.detach().cpu() for k, v in comp.decoder_.state_dict().items()},
            "attrs": {k: _to_plain(torch, v) for k, v in attrs.items()},
            "probe": torch.from_numpy(probe),
            "probe_codes": torch.from_numpy(np.ascontiguousarray(probe_codes)),
        }
        torch.save(state, buf)
        return buf.getvalue(), ".pt"
    arrays = {f"attr__{k}": np.asarray(v) for k, v in attrs.items()}
    np.savez(
        buf,
        spec=np.array(json.dumps(spec.to_dict())),
        probe=probe,
        probe_codes=probe_codes,
        **arrays,
    )
    return buf.getvalue(), ".npz"


def _refused(where: str, err: BaseException) -> RunFileError:
    msg = (
        f"cached {where} cannot be loaded safely ({type(err).__name__}): it is damaged, was "
        f"written by an older pymi, or holds objects other than tensors and plain data (pymi "
        f"never runs code from a run folder); delete it (and its .json) to train it again"
    )
    return (
        UnsafeFileError(msg)
        if "weights_only" in str(err) or "allow_pickle" in str(err)
        else RunFileError(msg)
    )


def deserialize_compressor(
    blob: bytes,
    suffix: str,
    spec: CompressorSpec,
    sample_shape: tuple[int, ...],
    seed: int,
    *,
    where: str,
) -> Any:
    """The fitted compressor stored in ``blob`` (see :func:`serialize_compressor`).

    Raises
    ------
    RunFileError
        If the content is damaged, needs pickled code (:class:`UnsafeFileError`), was
        written for another spec, or does not reproduce its probe codes.
    """
    comp = spec.build(sample_shape, seed)
    if suffix == ".pt":
        from .._torch import import_torch, resolve_device

        torch = import_torch()
        try:
            state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - UnpicklingError, RuntimeError, EOFError...
            raise _refused(where, err) from None
        if not isinstance(state, dict) or state.get("format") != 2:
            msg = f"cached {where} is not a pymi compressor file of format 2; delete it (and its .json) to train it again"
            raise RunFileError(msg)
        _check_spec(state["spec"], spec, where)
        attrs = {k: _from_plain(v) for k, v in state["attrs"].items()}
        chw = attrs.get("image_chw_")
        if chw is not None:
            encoder, decoder = comp._build(torch, tuple(chw))
        else:  # MLPAutoencoder: the network input is the flattened, standardised sample
            encoder, decoder = comp._build(torch, (int(np.prod(sample_shape)),))
        encoder.load_state_dict(state["encoder"])
        decoder.load_state_dict(state["decoder"])
        dev = resolve_device(getattr(comp, "device", "cpu"))
        encoder = comp._to_layout(torch, encoder.to(dev)).eval()
        decoder = comp._to_layout(torch, decoder.to(dev)).eval()
        for k, v in attrs.items():
            setattr(comp, k, v)
        comp.encoder_, comp.decoder_, comp.device_ = encoder, decoder, dev
        probe, probe_codes = state["probe"].numpy(), state["probe_codes"].numpy()
    else:
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as data:
                _check_spec(json.loads(str(data["spec"])), spec, where)
                for key in data.files:
                    if key.startswith("attr__"):
                        name = key[len("attr__") :]
                        value = data[key]
                        setattr(
                            comp,
                            name,
                            tuple(int(v) for v in value) if name == "_feature_shape" else value,
                        )
                probe, probe_codes = data["probe"], data["probe_codes"]
        except (ValueError, OSError, EOFError, KeyError) as err:
            if isinstance(err, RunFileError):
                raise
            raise _refused(where, err) from None
    comp._fitted = True
    again = comp.transform(probe)
    if not np.allclose(again, probe_codes, rtol=1e-4, atol=1e-4):
        worst = float(np.max(np.abs(again - probe_codes)))
        msg = (
            f"cached {where} does not reproduce its stored probe codes (max difference "
            f"{worst:.3g}); delete it (and its .json) to train it again"
        )
        raise RunFileError(msg)
    return comp


def _check_spec(saved: Any, spec: CompressorSpec, where: str) -> None:
    if json.loads(json.dumps(saved)) != json.loads(json.dumps(spec.to_dict())):
        msg = (
            f"cached {where} was trained for {saved!r}, but the task now asks for "
            f"{spec.to_dict()!r}; delete the cache file (or use a new run folder)"
        )
        raise RunFileError(msg)


def read_cache(stem: Path, spec: CompressorSpec) -> tuple[bytes, str, dict[str, Any]] | None:
    """The cached file content, suffix and record of a compressor; ``None`` when not cached."""
    suffix = ".pt" if spec.method == "ae" else ".npz"
    path = _ext(stem, suffix)
    if path.is_dir():
        msg = f"{str(path)!r} is a folder, where pymi keeps a cached compressor; move it away"
        raise RunFileError(msg)
    if not path.exists():
        return None
    record = read_json(
        _ext(stem, ".json"), what="record of a cached compressor", fix="delete it to rewrite it"
    )
    return path.read_bytes(), suffix, record or {}


def write_cache(
    stem: Path, spec: CompressorSpec, blob: bytes, suffix: str, details: dict[str, Any]
) -> Path:
    """Store a fitted compressor (from :func:`serialize_compressor`) and its ``.json`` record."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = _ext(stem, suffix)
    atomic_write_bytes(path, blob)
    atomic_write_json(_ext(stem, ".json"), {"spec": spec.to_dict(), "file": path.name, **details})
    return path


def load_compressor(
    spec: CompressorSpec, path_stem: Path, sample_shape: tuple[int, ...], seed: int
) -> Any | None:
    """Load a cached compressor, or None when there is no cache file.

    Raises
    ------
    RunFileError
        If the cache is damaged, needs pickled code, was written for another spec, or
        its probe codes do not reproduce.
    """
    cached = read_cache(path_stem, spec)
    if cached is None:
        return None
    blob, suffix, _ = cached
    where = f"compressor {str(_ext(path_stem, suffix))!r}"
    return deserialize_compressor(blob, suffix, spec, sample_shape, seed, where=where)


# --------------------------------------------------------------------------- report


def range_summary(
    out_dir: str | os.PathLike[str], ranges: tuple[tuple[float, float], ...] = DEFAULT_RANGES
) -> list[dict[str, Any]]:
    """Mean absolute error per task x estimator over ranges of true MI (nats).

    The first range is closed, ``lo <= I <= hi``; later ones are ``lo < I <= hi``
    (so 0..6 and 6..10 split the paper's grid without overlap).
    """
    from .report import _load

    config, rows = _load(Path(out_dir))
    out = []
    for task, tspec in config["tasks"].items():
        names = tspec.get("estimators") or list(config["estimators"])
        for est in [e for e in config["estimators"] if e in names]:
            group = [r for r in rows if r["task"] == task and r["estimator"] == est]
            row: dict[str, Any] = {"task": task, "estimator": est, "n_estimates": len(group)}
            for i, (lo, hi) in enumerate(ranges):
                sel = [
                    r for r in group
                    if (lo <= r["true_mi"] if i == 0 else lo < r["true_mi"]) and r["true_mi"] <= hi
                ]  # fmt: skip
                ok = [
                    r["estimate"] - r["true_mi"]
                    for r in sel
                    if not r["error"] and math.isfinite(r["estimate"])
                ]
                key = f"{lo:g}-{hi:g}"
                row[f"mae_{key}"] = float(np.mean(np.abs(ok))) if ok else math.nan
                row[f"bias_{key}"] = float(np.mean(ok)) if ok else math.nan
                row[f"n_{key}"] = len(ok)
                row[f"failed_{key}"] = len(sel) - len(ok)
            secs = [r["seconds"] for r in group if math.isfinite(r["seconds"]) and not r["error"]]
            row["mean_seconds"] = float(np.mean(secs)) if secs else math.nan
            warned = sum(1 for r in group if r["warnings"])
            row["n_with_warnings"] = warned
            out.append(row)
    return out


def _plot(out: Path, task: str, config: dict[str, Any], rows: list[dict[str, Any]]) -> Path:
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    from .report import finish_estimate_axes

    tspec = config["tasks"][task]
    names = tspec.get("estimators") or list(config["estimators"])
    ests = [e for e in config["estimators"] if e in names]
    colours = rcParams["axes.prop_cycle"].by_key()["color"]
    grid = config["mi_grid"]
    lo, hi = min(grid), max(grid)
    fig = Figure(figsize=(6.4, 8.0))
    ax, axe = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax.plot([lo, hi], [lo, hi], color="black", lw=1, ls="--", label="true MI", zorder=1)
    axe.axhline(0.0, color="black", lw=1, ls="--")
    for i, est in enumerate(ests):
        pts: dict[float, list[float]] = {}
        for r in rows:
            if (
                r["task"] == task
                and r["estimator"] == est
                and not r["error"]
                and math.isfinite(r["estimate"])
            ):
                pts.setdefault(r["true_mi"], []).append(r["estimate"])
        colour = colours[i % len(colours)]
        if not pts:
            ax.plot([], [], color=colour, label=f"{est} (no estimates)")
            continue
        t = np.array(sorted(pts))
        mean = np.array([np.mean(pts[v]) for v in t])
        ax.plot(t, mean, "o-", ms=3, lw=1.2, color=colour, label=est, zorder=3)
        axe.plot(t, mean - t, "o-", ms=3, lw=1.2, color=colour, zorder=3)
    comps = tspec.get("compressors", {})
    comp_text = "; ".join(
        f"{n}: {c['method']}-{c['latent_dim']} ({c['n_train']} train imgs)"
        for n, c in comps.items()
    )
    size = tspec.get("size")
    n = tspec.get("n", config["n"])
    ax.set_title(
        f"{task}: {tspec['generator']}"
        + (f" {size}x{size}" if size else "")
        + f", N = {n}, seeds {config['seeds']}\n{comp_text}",
        fontsize=9,
    )
    finish_estimate_axes(fig, ax, axe, linthresh=0.3, linscale=1.0, legend_fontsize=8)
    path = out / f"{task}.png"
    fig.savefig(path, dpi=110)
    return path


def write_image_report(
    out_dir: str | os.PathLike[str],
    ranges: tuple[tuple[float, float], ...] = DEFAULT_RANGES,
    *,
    figures: bool = True,
) -> list[Path]:
    """Write ``summary-ranges.md`` / ``.csv`` (MAE per range of true MI) and one figure per task.

    The figures replace the generic ``<task>.png`` of :func:`pymi.bench.report.write_report`
    with a title that names the compressors instead of printing their options.
    """
    from .report import _load, read_metadata, write_csv

    out = Path(out_dir)
    config, rows = _load(out)
    summary = range_summary(out, ranges)
    keys = [f"{lo:g}-{hi:g}" for lo, hi in ranges]
    written = []
    fields = ["task", "estimator", "n_estimates"]
    for k in keys:
        fields += [f"mae_{k}", f"bias_{k}", f"n_{k}", f"failed_{k}"]
    fields += ["mean_seconds", "n_with_warnings"]
    write_csv(out / "summary-ranges.csv", fields, summary)
    written.append(out / "summary-ranges.csv")
    meta = read_metadata(out)
    lines = [
        f"# `{config['name']}`: mean absolute error by range of true MI (nats)",
        "",
        f"N = {config['n']} per estimate, seeds {config['seeds']}, grid {len(config['mi_grid'])} points "
        f"{min(config['mi_grid']):g}..{max(config['mi_grid']):g} (an estimator may run on a subset: "
        "see the n columns). MAE = mean |estimate - true|; bias = mean (estimate - true). "
        f"First range {keys[0]} is closed, later ranges exclude their lower end.",
    ]
    comp_meta = meta.get("compressors", {})
    for task, tspec in config["tasks"].items():
        size = tspec.get("size")
        lines += ["", f"## {task}: {tspec['generator']}" + (f" {size}x{size}" if size else ""), ""]
        for cname, c in tspec.get("compressors", {}).items():
            info = comp_meta.get(task, {}).get(cname, {})
            extra = ""
            if info.get("fit_seconds") is not None:
                extra = f"; trained in {info['fit_seconds']:.0f} s"
                if info.get("n_steps") is not None:
                    extra += f" ({info['n_steps']} steps, best val MAE {info.get('best_val_loss', float('nan')):.4f})"
            lines.append(f"- compressor `{cname}`: {json.dumps(c)}{extra}")
        lines += [
            "",
            f"![{task}]({task}.png)",
            "",
            "| estimator | "
            + " | ".join(f"MAE {k} (n) | bias {k}" for k in keys)
            + " | s / estimate | rows with warnings |",
            "|---|" + "---:|---:|" * len(keys) + "---:|---:|",
        ]
        for s in summary:
            if s["task"] != task:
                continue
            cells = []
            for k in keys:
                mae, bias = s[f"mae_{k}"], s[f"bias_{k}"]
                fail = f", {s[f'failed_{k}']} failed" if s[f"failed_{k}"] else ""
                cells.append(("" if math.isnan(mae) else f"{mae:.3f}") + f" ({s[f'n_{k}']}{fail})")
                cells.append("" if math.isnan(bias) else f"{bias:+.3f}")
            secs = "" if math.isnan(s["mean_seconds"]) else f"{s['mean_seconds']:.3f}"
            lines.append(
                f"| {s['estimator']} | "
                + " | ".join(cells)
                + f" | {secs} | {s['n_with_warnings']} |"
            )
    (out / "summary-ranges.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(out / "summary-ranges.md")
    if figures:
        for task in config["tasks"]:
            written.append(_plot(out, task, config, rows))
    return written
