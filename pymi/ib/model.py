"""The noise-injected MNIST classifier of the information-plane experiment.

Butakov et al., "Information Bottleneck Analysis of Deep Neural Networks via Lossy
Compression" (ICLR 2024), section 6: a small CNN whose every layer input is
perturbed by multiplicative Gaussian noise, ``x <- x + sigma * x * eps``. The noise
stays on at inference, which makes the network a stochastic map and I(X; L) finite
(for a deterministic network on continuous inputs it would be infinite).

PyTorch is needed (``pip install "pymi[torch]"``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LAYER_NAMES", "MultiplicativeNoise", "NoisyCNN", "layer_outputs"]

#: Names of the layers whose outputs are analysed, in forward order.
LAYER_NAMES = ("L1", "L2", "L3", "L4", "L5")


class MultiplicativeNoise(nn.Module):
    """``x + sigma * x * eps`` with ``eps ~ N(0, I)``, in training *and* evaluation mode.

    Parameters
    ----------
    sigma : float
        Relative noise level (the paper: 1e-3). ``0`` makes the layer the identity.
    """

    def __init__(self, sigma: float) -> None:
        super().__init__()
        self.sigma = float(sigma)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if self.sigma == 0.0:
            return x
        return x + self.sigma * x * torch.randn_like(x)

    def extra_repr(self) -> str:
        return f"sigma={self.sigma:g}"


class NoisyCNN(nn.Module):
    """The classifier of Butakov et al. (ICLR 2024).

    =====  ========================================  ===========
    layer  operation                                 output
    =====  ========================================  ===========
    L1     Conv2d(1, 8, 3), maxpool 2, LeakyReLU     8 x 13 x 13
    L2     Conv2d(8, 16, 3), maxpool 2, LeakyReLU    16 x 5 x 5
    L3     Conv2d(16, 32, 3), maxpool 2, LeakyReLU   32 x 1 x 1
    L4     Linear(32, 32), LeakyReLU                 32
    L5     Linear(32, 10), LogSoftmax                10
    =====  ========================================  ===========

    Every layer's input first passes :class:`MultiplicativeNoise` (always on); the
    inputs of the three convolutions also pass ``Dropout(dropout)`` (training only,
    applied before the noise). LeakyReLU slopes are 0.01.

    Parameters
    ----------
    sigma : float, default 1e-3
        Multiplicative noise level.
    dropout : float, default 0.1
        Dropout rate on the convolution inputs.

    Examples
    --------
    >>> import torch
    >>> net = NoisyCNN()
    >>> [tuple(o.shape) for o in net.forward_layers(torch.rand(2, 1, 28, 28))]
    [(2, 8, 13, 13), (2, 16, 5, 5), (2, 32, 1, 1), (2, 32), (2, 10)]
    """

    def __init__(self, sigma: float = 1e-3, dropout: float = 0.1) -> None:
        super().__init__()
        self.sigma = float(sigma)
        self.noise = nn.ModuleList(MultiplicativeNoise(sigma) for _ in LAYER_NAMES)
        self.drop = nn.ModuleList(nn.Dropout(dropout) for _ in range(3))
        self.convs = nn.ModuleList([nn.Conv2d(1, 8, 3), nn.Conv2d(8, 16, 3), nn.Conv2d(16, 32, 3)])
        self.fc4 = nn.Linear(32, 32)
        self.fc5 = nn.Linear(32, 10)
        self.slope = 0.01

    def forward_layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Outputs of L1..L5 for a batch ``x`` of shape ``(n, 1, 28, 28)``.

        The last entry holds log-probabilities (LogSoftmax over the 10 classes).
        """
        outs: list[torch.Tensor] = []
        h = x
        for i, conv in enumerate(self.convs):
            h = self.noise[i](self.drop[i](h))
            h = F.leaky_relu(F.max_pool2d(conv(h), 2), self.slope)
            outs.append(h)
        h = h.flatten(1)
        h = F.leaky_relu(self.fc4(self.noise[3](h)), self.slope)
        outs.append(h)
        outs.append(F.log_softmax(self.fc5(self.noise[4](h)), dim=1))
        return outs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the 10 classes, shape ``(n, 10)``."""
        return self.forward_layers(x)[-1]


@torch.no_grad()
def layer_outputs(model: NoisyCNN, x: torch.Tensor, *, batch_size: int = 1024) -> list[np.ndarray]:
    """Every layer's output for the fixed evaluation tensor ``x``, rows aligned with ``x``.

    The model is put in evaluation mode (dropout off, noise on) and ``x`` is walked
    in order in slices of ``batch_size`` (never through a shuffled loader), so row
    ``i`` of every returned array belongs to ``x[i]`` by construction.

    Parameters
    ----------
    model : NoisyCNN
    x : torch.Tensor, shape (n, 1, 28, 28)
        On the model's device.
    batch_size : int
        Forward batch size (changes only memory use, not the result's alignment).

    Returns
    -------
    list of numpy.ndarray
        One float32 array per layer, shape ``(n, features)`` (flattened), in the
        order of :data:`LAYER_NAMES`; the last one holds log-probabilities.
    """
    was_training = model.training
    model.eval()
    chunks: list[list[np.ndarray]] = [[] for _ in LAYER_NAMES]
    try:
        for start in range(0, x.shape[0], batch_size):
            outs = model.forward_layers(x[start : start + batch_size])
            for store, out in zip(chunks, outs, strict=True):
                store.append(out.flatten(1).float().cpu().numpy())
    finally:
        model.train(was_training)
    return [np.concatenate(c, axis=0) for c in chunks]


def count_parameters(model: Any) -> int:
    """Number of trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
