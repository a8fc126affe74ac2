"""Estimator objects: parameters in ``__init__``, data in ``.estimate``.

``est.estimate(x)`` returns the entropy h(X); ``est.estimate(x, y)`` (or
``est.mutual_information(x, y, discrete_y=...)``) the mutual information; both
as :class:`pymi.Estimate` in nats unless ``base`` says otherwise.
"""

from ._base import EntropySumEstimator, MIEstimator, TiesWarning
from .gaussian import Gaussian
from .kde import KDE
from .knn import KL, WKL
from .ksg import KSG
from .mine import MINE

__all__ = ["KDE", "KL", "KSG", "MINE", "WKL", "EntropySumEstimator", "Gaussian", "MIEstimator", "TiesWarning"]
