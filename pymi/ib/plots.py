"""Figures of an information-plane run (matplotlib, Agg backend; PNG into the run folder).

* ``ib_plane.png``: one panel per layer, x = I(X; L), y = I(L; Y) (nats), raw points
  coloured by epoch with error bars (horizontal: stderr of I(X; L), vertical: stderr
  of I(L; Y)), a smoothed trajectory (Savitzky--Golay, then a zero-phase Butterworth
  low-pass, as in Butakov et al., ICLR 2024), a dashed line at H(Y) = log 10, dotted
  zero lines and a legend; a note when estimates are negative (estimator bias).
* ``ib_mi_epochs.png``: I(X; L) and I(L; Y) against the epoch, one line per layer.
* ``ib_training.png``: loss and accuracy curves.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .storage import RunStore, read_csv

__all__ = [
    "plane_figure",
    "plot_information_plane",
    "plot_mi_epochs",
    "plot_run",
    "plot_training",
    "smooth",
]

H_Y = math.log(10.0)
#: Fewest points for which a smoothed trajectory is drawn (filtfilt needs > 9 for order 2).
MIN_SMOOTH_POINTS = 10


def _figure(**kwargs: Any) -> Any:
    """A matplotlib Figure drawn with the Agg canvas (no pyplot state, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def smooth(
    values: np.ndarray,
    epochs: np.ndarray | None = None,
    *,
    log_time: bool = True,
    window: int | None = None,
    polyorder: int = 2,
    cutoff: float = 0.35,
) -> np.ndarray | None:
    """Savitzky--Golay smoothing followed by a zero-phase low-pass filter.

    The paper's smoothing (Butakov et al., ICLR 2024). With ``log_time=True`` the
    series is first resampled onto a grid uniform in ``log(1 + epoch)`` (as many points
    as epochs), filtered there, and read back at the original epochs: the first few
    epochs, where the network changes fastest, get as much resolution as the slow
    late phase, so the filter does not smear the early fitting phase into a straight
    line while the noisy plateau is still smoothed.

    Parameters
    ----------
    values : numpy.ndarray, shape (n,)
        One MI series (NaNs are interpolated over first).
    epochs : numpy.ndarray, shape (n,), optional
        The (increasing) epochs of ``values``; default ``0, 1, ..., n - 1``.
    log_time : bool
        Filter on the ``log(1 + epoch)`` grid (True) or on the sample index (False).
    window : int, optional
        Savitzky--Golay window (odd); default about n / 20, at least 5.
    polyorder : int
        Savitzky--Golay polynomial order.
    cutoff : float
        Butterworth (order 2) cutoff as a fraction of the Nyquist frequency, applied
        forwards and backwards (``scipy.signal.filtfilt``), so the curve is not shifted.

    Returns
    -------
    numpy.ndarray or None
        The smoothed series at ``epochs``, or ``None`` when there are fewer than
        :data:`MIN_SMOOTH_POINTS` finite points (nothing sensible to smooth).
    """
    from scipy.signal import butter, filtfilt, savgol_filter

    v = np.asarray(values, dtype=np.float64)
    t = (
        np.arange(v.size, dtype=np.float64)
        if epochs is None
        else np.asarray(epochs, dtype=np.float64)
    )
    ok = np.isfinite(v)
    if ok.sum() < MIN_SMOOTH_POINTS:
        return None
    if not ok.all():
        v = np.interp(t, t[ok], v[ok])
    n = v.size
    if log_time:
        u = np.log1p(t - t.min())
        grid = np.linspace(u[0], u[-1], n)
        v = np.interp(grid, u, v)
    if window is None:
        window = max(5, (n // 20) | 1)
    window = min(window, n if n % 2 else n - 1)
    s = savgol_filter(v, window, min(polyorder, window - 1))
    b, a = butter(2, cutoff)
    out = filtfilt(b, a, s)
    if log_time:
        out = np.interp(u, grid, out)
    return out


def _series(
    mi_rows: list[dict[str, Any]], layer: str, quantity: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = sorted(
        (r for r in mi_rows if r["layer"] == layer and r["quantity"] == quantity),
        key=lambda r: r["epoch"],
    )
    return (
        np.array([r["epoch"] for r in rows], dtype=float),
        np.array([r["value"] for r in rows], dtype=float),
        np.array([r["stderr"] for r in rows], dtype=float),
    )


def _layers(mi_rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in mi_rows:
        seen.setdefault(r["layer"], None)
    return list(seen)


def plane_figure(
    mi_rows: list[dict[str, Any]],
    *,
    title: str | None = None,
    h_y: float = H_Y,
    n_eval: int | None = None,
) -> Any:
    """The information-plane figure (see :func:`plot_information_plane`) as a matplotlib Figure."""
    import matplotlib
    from matplotlib import cm, colors
    from matplotlib.lines import Line2D

    layers = _layers(mi_rows)
    epochs_all = np.array([r["epoch"] for r in mi_rows], dtype=float)
    norm = colors.Normalize(vmin=float(epochs_all.min()), vmax=max(float(epochs_all.max()), 1.0))
    cmap = matplotlib.colormaps["viridis"]
    fig = _figure(figsize=(3.3 * len(layers) + 1.0, 4.2))
    axes = fig.subplots(1, len(layers), squeeze=False)
    smoothed = negative = False
    for ax, layer in zip(axes[0], layers, strict=True):
        ep, x, xe = _series(mi_rows, layer, "I(X;L)")
        ep_y, y, ye = _series(mi_rows, layer, "I(L;Y)")
        if not np.array_equal(ep, ep_y):  # pragma: no cover - rows are written in pairs
            msg = f"{layer}: I(X;L) and I(L;Y) rows cover different epochs"
            raise ValueError(msg)
        ax.errorbar(
            x, y, xerr=xe, yerr=ye, fmt="none", ecolor="0.6", elinewidth=0.6, alpha=0.6, zorder=1
        )
        ax.scatter(x, y, c=ep, cmap=cmap, norm=norm, s=12, zorder=2, edgecolors="none")
        sx, sy = smooth(x, ep), smooth(y, ep)
        if sx is not None and sy is not None:
            ax.plot(sx, sy, color="crimson", lw=1.4, zorder=3)
            smoothed = True
        ax.axhline(h_y, ls="--", color="k", lw=0.8)
        # zero marked on both axes: estimates below it are bias, the true MI is >= 0
        ax.axhline(0.0, ls=":", color="0.4", lw=0.8, zorder=0)
        ax.axvline(0.0, ls=":", color="0.4", lw=0.8, zorder=0)
        negative |= bool(np.any(x[np.isfinite(x)] < 0) or np.any(y[np.isfinite(y)] < 0))
        ax.set_title(layer)
        ax.set_xlabel("I(X; L) [nats]")
        ax.grid(alpha=0.3)
        top = max(h_y, float(np.nanmax(y + np.nan_to_num(ye))) if np.isfinite(y).any() else h_y)
        ax.set_ylim(top=top * 1.05 + 0.02)
    axes[0][0].set_ylabel("I(L; Y) [nats]")
    handles = [
        Line2D([], [], ls="none", marker="o", ms=4, color=cmap(0.6), label="estimate ± stderr"),
        Line2D([], [], ls="--", color="k", lw=0.8, label="H(Y) = log 10"),
        Line2D([], [], ls=":", color="0.4", lw=0.8, label="zero"),
    ]
    if smoothed:
        handles.insert(
            1,
            Line2D([], [], color="crimson", lw=1.4, label="smoothed (Savitzky-Golay + low-pass)"),
        )
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    fig.colorbar(
        cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes[0].tolist(), label="epoch", shrink=0.9
    )
    if title:
        fig.suptitle(title)
    if negative:
        size = f" (n = {n_eval})" if n_eval else ""
        fig.text(
            0.01,
            0.01,
            f"Values below zero are estimator bias at small n{size}: the true MI is >= 0.",
            fontsize=7,
            color="0.25",
        )
    return fig


def plot_information_plane(
    mi_rows: list[dict[str, Any]],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    h_y: float = H_Y,
    n_eval: int | None = None,
) -> Path:
    """One panel per layer: I(L; Y) against I(X; L), coloured by epoch (nats).

    Error bars: ``xerr`` = stderr of I(X; L), ``yerr`` = stderr of I(L; Y). A legend
    names the points, the smoothed trajectory (omitted for runs with fewer than
    :data:`MIN_SMOOTH_POINTS` estimation epochs), the H(Y) ceiling and the zero lines;
    when an estimate is negative, a note says that this is the estimator's bias at
    small ``n_eval`` (the true MI is never negative).
    """
    fig = plane_figure(mi_rows, title=title, h_y=h_y, n_eval=n_eval)
    path = Path(path)
    fig.savefig(path, dpi=130)
    return path


def plot_mi_epochs(
    mi_rows: list[dict[str, Any]],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    h_y: float = H_Y,
) -> Path:
    """I(X; L) and I(L; Y) against the epoch, one line per layer with a stderr band."""
    layers = _layers(mi_rows)
    fig = _figure(figsize=(11, 3.8))
    axes = fig.subplots(1, 2)
    for ax, quantity in zip(axes, ("I(X;L)", "I(L;Y)"), strict=True):
        for i, layer in enumerate(layers):
            ep, v, se = _series(mi_rows, layer, quantity)
            color = f"C{i}"
            ax.plot(ep, v, color=color, lw=1.0, label=layer, marker="." if ep.size < 30 else None)
            ax.fill_between(ep, v - se, v + se, color=color, alpha=0.2, lw=0)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{quantity} [nats]")
        ax.grid(alpha=0.3)
    axes[1].axhline(h_y, ls="--", color="k", lw=0.8, label="H(Y) = log 10")
    axes[1].legend(fontsize=8, ncol=2)
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=130)
    return path


def plot_training(
    epoch_rows: list[dict[str, Any]], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Training and evaluation loss (NLL, nats) and accuracy against the epoch."""
    ep = np.array([r["epoch"] for r in epoch_rows], dtype=float)
    fig = _figure(figsize=(10, 3.6))
    ax_l, ax_a = fig.subplots(1, 2)
    for key, label, style in (
        ("train", "train (dropout + noise)", "-"),
        ("eval", "evaluation (noise)", "--"),
    ):
        loss = np.array([r[f"{key}_loss"] for r in epoch_rows], dtype=float)
        acc = np.array([r[f"{key}_accuracy"] for r in epoch_rows], dtype=float)
        ax_l.plot(ep, loss, style, label=label)
        ax_a.plot(ep, acc, style, label=label)
    ax_l.set_ylabel("NLL loss [nats]")
    ax_a.set_ylabel("accuracy")
    for ax in (ax_l, ax_a):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=130)
    return path


def _k_note(method: str, k: int) -> str:
    """`` (k=5)`` for the neighbour estimators, nothing for those without a k."""
    from .._api import methods

    info = methods().get(method)
    return f" (k={k})" if info is not None and info.capabilities.takes_k else ""


def plot_run(
    run_dir: str | os.PathLike[str], *, out_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Write all figures of a run folder; return their paths.

    Parameters
    ----------
    run_dir : path-like
        A folder written by :func:`pymi.ib.run`.
    out_dir : path-like, optional
        Where to put the PNGs (default: ``run_dir``).
    """
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir is not None else run_dir
    out.mkdir(parents=True, exist_ok=True)
    mi_rows = read_csv(run_dir / "mi.csv")
    epoch_rows = read_csv(run_dir / "epochs.csv")
    cfg = RunStore(run_dir).read_json(run_dir / "config.json")
    title = None
    if cfg is not None:
        title = (
            f"{cfg['data']}: n_eval={cfg['n_eval']}, lr={cfg['lr']:g}, sigma={cfg['sigma']:g}, "
            f"{cfg['estimator']}{_k_note(cfg['estimator'], cfg['k'])} on "
            f"{cfg['layer_compressor']}-{cfg['layer_dim']} codes"
        )
        if cfg.get("label_estimator"):
            title += (
                f"; I(L;Y) by {cfg['label_estimator']}{_k_note(cfg['label_estimator'], cfg['k'])}"
            )
    paths = []
    if mi_rows:
        n_eval = cfg.get("n_eval") if cfg else None
        paths.append(
            plot_information_plane(mi_rows, out / "ib_plane.png", title=title, n_eval=n_eval)
        )
        paths.append(plot_mi_epochs(mi_rows, out / "ib_mi_epochs.png", title=title))
    if epoch_rows:
        paths.append(plot_training(epoch_rows, out / "ib_training.png", title=title))
    return paths
