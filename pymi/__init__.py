"""pymi: mutual information and entropy estimators with a compiled C++/CUDA core.

Quick start::

    import numpy as np, pymi
    x = np.random.default_rng(0).standard_normal((5000, 2))
    print(pymi.entropy(x))                      # WKL estimate, nats
    print(pymi.mutual_information(x[:, :1], x[:, 1:], method="ksg"))

All values are in nats unless ``base="bits"`` (or ``est.to("bits")``).
``pymi.methods()`` lists every method with its class, capabilities and a
one-line summary.
"""

from . import compression, datasets, estimators
from ._api import (
    DEFAULT_ENTROPY_METHOD,
    DEFAULT_MI_METHOD,
    ENTROPY_METHODS,
    MI_METHODS,
    entropy,
    make_estimator,
    mutual_information,
)
from ._estimate import Estimate
from ._plausibility import ImplausibleEstimateWarning
from .estimators import Capabilities, MethodInfo, TiesWarning, methods

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ENTROPY_METHOD",
    "DEFAULT_MI_METHOD",
    "ENTROPY_METHODS",
    "MI_METHODS",
    "Capabilities",
    "Estimate",
    "ImplausibleEstimateWarning",
    "MethodInfo",
    "TiesWarning",
    "compression",
    "datasets",
    "estimators",
    "entropy",
    "make_estimator",
    "methods",
    "mutual_information",
]
