"""Figures of a sweep: the information plane and MI per epoch, mean and band over seeds.

One panel per layer, one colour per group of seeds (see :mod:`pymi.sweep.aggregate`).
The information plane (Shwartz-Ziv and Tishby, 2017; Butakov et al., ICLR 2024) plots
I(L;Y) against I(X;L) over the epochs: the mean trajectory, with error bars of one
standard deviation over seeds on both axes; the first epoch is a circle, the last a
square. Needs matplotlib (``pip install "pymi[plot]"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .aggregate import ILY, IXL, Group, mean_sd

__all__ = ["plot_sweep"]

#: H(Y) of ten balanced classes (MNIST), the ceiling of I(L;Y), in nats.
_H_Y = math.log(10)


def _seeds_note(group_list: Sequence[Group]) -> str:
    counts = sorted({len(g.records) for g in group_list})
    n = "/".join(str(c) for c in counts)
    if counts == [1]:
        return "one seed per curve (no band)"
    return f"mean ± 1 s.d. over {n} seeds"


def _figure(**kwargs: object) -> Figure:
    """A figure on the Agg canvas: no pyplot state, no display needed."""
    fig = Figure(layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def plot_sweep(folder: Path, group_list: Sequence[Group]) -> list[Path]:
    """Write ``information_plane.png`` and ``mi_per_epoch.png`` into ``folder``."""
    layers = list(dict.fromkeys(layer for g in group_list for layer in g.layers))
    colours = matplotlib.colormaps["tab10"]
    note = _seeds_note(group_list)
    written = []

    fig = _figure(figsize=(3.2 * len(layers), 3.6))
    axes = fig.subplots(1, len(layers), squeeze=False)
    for j, layer in enumerate(layers):
        ax = axes[0, j]
        for g_i, group in enumerate(group_list):
            if layer not in group.layers:
                continue
            x_mean, x_sd = mean_sd(group.series(layer, IXL))
            y_mean, y_sd = mean_sd(group.series(layer, ILY))
            colour = colours(g_i % 10)
            ax.errorbar(
                x_mean,
                y_mean,
                xerr=None if np.all(np.isnan(x_sd)) else x_sd,
                yerr=None if np.all(np.isnan(y_sd)) else y_sd,
                color=colour,
                lw=1.2,
                elinewidth=0.6,
                alpha=0.9,
                label=group.label if j == 0 else None,
            )
            ax.plot(x_mean[:1], y_mean[:1], "o", color=colour, ms=5)
            ax.plot(x_mean[-1:], y_mean[-1:], "s", color=colour, ms=5)
        ax.axhline(_H_Y, color="grey", ls=":", lw=0.8)
        ax.set_title(layer)
        ax.set_xlabel("I(X;L) (nats)")
        if j == 0:
            ax.set_ylabel("I(L;Y) (nats)")
    fig.suptitle(f"Information plane, {note}; o first epoch, □ last; dotted: ln 10", fontsize=9)
    fig.legend(loc="outside lower center", ncol=min(4, len(group_list)), fontsize=8, frameon=False)
    path = folder / "information_plane.png"
    fig.savefig(path, dpi=120)
    written.append(path)

    fig = _figure(figsize=(3.2 * len(layers), 5.6))
    axes = fig.subplots(2, len(layers), squeeze=False, sharex=True)
    for j, layer in enumerate(layers):
        for i, quantity in enumerate((IXL, ILY)):
            ax = axes[i, j]
            for g_i, group in enumerate(group_list):
                if layer not in group.layers:
                    continue
                mean, sd = mean_sd(group.series(layer, quantity))
                colour = colours(g_i % 10)
                ax.plot(
                    group.epochs,
                    mean,
                    color=colour,
                    lw=1.2,
                    label=group.label if (i, j) == (0, 0) else None,
                )
                if not np.all(np.isnan(sd)):
                    ax.fill_between(
                        group.epochs, mean - sd, mean + sd, color=colour, alpha=0.25, lw=0
                    )
            if i == 0:
                ax.set_title(layer)
            else:
                ax.set_xlabel("epoch")
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if j == 0:
                ax.set_ylabel(f"{quantity} (nats)")
    fig.suptitle(f"MI per epoch, {note}", fontsize=9)
    fig.legend(loc="outside lower center", ncol=min(4, len(group_list)), fontsize=8, frameon=False)
    path = folder / "mi_per_epoch.png"
    fig.savefig(path, dpi=120)
    written.append(path)
    return written
