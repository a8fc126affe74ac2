"""Data with known mutual information, and MNIST-format loaders.

Vector families (true MI in nats, exact): :func:`correlated_normal`,
:func:`transformed_normal` (maps in :data:`TRANSFORMS`, ``"normal_cdf"`` for uniform
marginals), :func:`student_t` (pure, or with a Gaussian part); hard families:
:func:`swiss_roll` (a 1-D latent rolled into the plane, no density) and
:func:`near_discrete` (a nearly discrete variable and a Gaussian mixture); image
families (Butakov et al., ICLR 2024): :mod:`pymi.datasets.images` (``gaussian_bump``,
``correlated_bump``, ``rectangles``); closed forms :func:`gaussian_entropy`,
:func:`gaussian_mi`, :func:`student_t_mi_correction`, :func:`near_discrete_mi`.
Conditional MI and transfer entropy: :func:`conditional_normal` (Gaussian (x, y, z) with
known I(X; Y | Z), closed form :func:`gaussian_cmi`), :func:`coupled_ar` (coupled AR(1)
series with known transfer entropy, :func:`var_transfer_entropy` for any VAR(1)).
Discrete and mixed: :func:`discrete_channel` (two discrete variables), :func:`class_gaussian`
(labels and a continuous variable), :func:`zero_inflated_normal` (an atom at 0 plus a Gaussian),
:func:`zero_inflated_pair` (a joint atom at (0, 0) plus a correlated Gaussian pair), closed
form :func:`binary_entropy`.
The hard-distribution suite: :data:`HARD_SUITE` of :class:`SuiteTask`,
:func:`hard_suite`, :func:`draw`. MNIST: :func:`load_mnist`, :func:`read_idx`.
Every generator returns a :class:`KnownMISample`.
"""

from . import autoregressive, conditional, discrete, images, mnist, suite
from ._sample import KnownMISample
from .autoregressive import KnownTESample, coupled_ar, var_transfer_entropy
from .conditional import KnownCMISample, conditional_normal, gaussian_cmi
from .discrete import (
    binary_entropy,
    class_gaussian,
    discrete_channel,
    pmf_mutual_information,
    zero_inflated_normal,
    zero_inflated_pair,
)
from .gaussian import correlated_normal, gaussian_entropy, gaussian_mi, pair_correlations
from .images import correlated_bump, gaussian_bump, rectangles
from .manifold import swiss_roll, swiss_roll_embedding
from .mnist import load_mnist, read_idx
from .near_discrete import near_discrete, near_discrete_gap_bound, near_discrete_mi
from .student import student_t, student_t_mi_correction
from .suite import HARD_SUITE, SuiteTask, draw, hard_suite
from .transformed import TRANSFORMS, transformed_normal

__all__ = [
    "HARD_SUITE",
    "KnownCMISample",
    "KnownTESample",
    "autoregressive",
    "binary_entropy",
    "class_gaussian",
    "conditional",
    "discrete",
    "discrete_channel",
    "pmf_mutual_information",
    "zero_inflated_normal",
    "zero_inflated_pair",
    "conditional_normal",
    "coupled_ar",
    "gaussian_cmi",
    "var_transfer_entropy",
    "TRANSFORMS",
    "KnownMISample",
    "SuiteTask",
    "correlated_bump",
    "correlated_normal",
    "draw",
    "gaussian_bump",
    "gaussian_entropy",
    "gaussian_mi",
    "hard_suite",
    "images",
    "load_mnist",
    "mnist",
    "near_discrete",
    "near_discrete_gap_bound",
    "near_discrete_mi",
    "pair_correlations",
    "read_idx",
    "rectangles",
    "student_t",
    "student_t_mi_correction",
    "suite",
    "swiss_roll",
    "swiss_roll_embedding",
    "transformed_normal",
]
