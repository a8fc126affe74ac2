"""Data with known mutual information, and MNIST-format loaders.

Vector families (true MI in nats, exact): :func:`correlated_normal`,
:func:`transformed_normal`, :func:`student_t`; image families (Butakov et al., ICLR
2024): :mod:`pymi.datasets.images` (``gaussian_bump``, ``correlated_bump``,
``rectangles``); closed forms :func:`gaussian_entropy`, :func:`gaussian_mi`,
:func:`student_t_mi_correction`; MNIST: :func:`load_mnist`, :func:`read_idx`.
Every generator returns a :class:`KnownMISample`.
"""

from . import images, mnist
from ._sample import KnownMISample
from .gaussian import correlated_normal, gaussian_entropy, gaussian_mi, pair_correlations
from .images import correlated_bump, gaussian_bump, rectangles
from .mnist import load_mnist, read_idx
from .student import student_t, student_t_mi_correction
from .transformed import TRANSFORMS, transformed_normal

__all__ = [
    "TRANSFORMS",
    "KnownMISample",
    "correlated_bump",
    "correlated_normal",
    "gaussian_bump",
    "gaussian_entropy",
    "gaussian_mi",
    "images",
    "load_mnist",
    "mnist",
    "pair_correlations",
    "read_idx",
    "rectangles",
    "student_t",
    "student_t_mi_correction",
    "transformed_normal",
]
