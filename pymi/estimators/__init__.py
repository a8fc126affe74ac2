"""Estimator objects: parameters in ``__init__``, data in ``.estimate``.

``est.estimate(x)`` returns the entropy h(X); ``est.estimate(x, y)`` (or
``est.mutual_information(x, y, discrete_y=...)``) the mutual information; both
as :class:`pymi.Estimate` in nats unless ``base`` says otherwise. Every class
follows one protocol (:class:`Estimator`): declared, validated constructor
arguments, ``parameters()`` and ``capabilities``; :func:`methods` lists them.
"""

from ._base import EntropySumEstimator, MIEstimator, TiesWarning
from ._protocol import Capabilities, Estimator
from ._registry import MethodInfo, methods, register
from .calibrated import CalibratedKSG
from .gaussian import Gaussian
from .kde import KDE
from .knn import KL, WKL
from .ksg import KSG
from .mine import MINE

__all__ = [
    "KDE",
    "KL",
    "KSG",
    "MINE",
    "WKL",
    "CalibratedKSG",
    "Capabilities",
    "EntropySumEstimator",
    "Estimator",
    "Gaussian",
    "MIEstimator",
    "MethodInfo",
    "TiesWarning",
    "methods",
    "register",
]
