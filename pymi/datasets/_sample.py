"""The result type returned by every generator in :mod:`pymi.datasets`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["KnownMISample"]


@dataclass(frozen=True, eq=False)
class KnownMISample:
    """A paired sample ``(x, y)`` drawn from a distribution whose mutual information is known.

    Attributes
    ----------
    x, y : numpy.ndarray
        The observed data; row ``i`` of ``x`` and row ``i`` of ``y`` form one joint draw
        (rows are aligned by construction). Vectors have shape ``(n, dim)``, images
        ``(n, size, size)``.
    mi : float
        The true mutual information ``I(x; y)`` of the generating distribution, in nats.
        It is a property of the distribution, not of this finite sample.
    latent_x, latent_y : numpy.ndarray
        The variables the data were made from, shape ``(n, k)``, rows aligned with ``x``
        and ``y``. For the Gaussian families these are the canonical (un-rotated)
        coordinate pairs, correlated pairwise; for images they are the Gaussian latents
        ``xi`` whose normal CDF gives the rendering parameters. Since ``x`` is an
        injective function of ``latent_x`` (and ``y`` of ``latent_y``),
        ``I(latent_x; latent_y) = I(x; y) = mi``.
    name : str
        The generator that produced the sample (``"correlated_normal"``, ``"rectangles"``, ...).
    params : dict
        The generator's arguments (all except ``random_state``), enough to describe the
        distribution; generator-specific derived constants are documented per generator.

    Notes
    -----
    The sample is deliberately not iterable: write ``s.x, s.y, s.mi`` rather than
    unpacking, so that code never confuses which element is which. Equality is identity
    (comparing arrays elementwise has no single truth value); compare fields explicitly.
    The attributes cannot be rebound (frozen), but the arrays are ordinary writeable arrays.

    Examples
    --------
    >>> from pymi.datasets import correlated_normal
    >>> s = correlated_normal(1.0, 3, 2, 100, random_state=0)
    >>> s.x.shape, s.y.shape, s.mi
    ((100, 3), (100, 2), 1.0)
    """

    x: np.ndarray
    y: np.ndarray
    mi: float
    latent_x: np.ndarray
    latent_y: np.ndarray
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of joint samples (rows)."""
        return int(self.x.shape[0])

    def __repr__(self) -> str:
        return (
            f"KnownMISample(name={self.name!r}, mi={self.mi:.6g} nats, n={self.n}, "
            f"x={self.x.shape} {self.x.dtype}, y={self.y.shape} {self.y.dtype})"
        )
