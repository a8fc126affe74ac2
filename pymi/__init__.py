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

try:
    from . import _core  # noqa: F401 - the compiled kernels; every estimator needs them
except ImportError as _err:  # pragma: no cover - depends on how pymi was installed
    _msg = (
        f"pymi's compiled core (pymi._core) cannot be imported: {_err}. If you are running "
        f"Python from the root of a pymi checkout, the source folder 'pymi' shadows the "
        f"installed package: run from another directory, or build the core in place "
        f"(cmake -S . -B build/dev && cmake --build build/dev; see the README's Development "
        f"section). Otherwise install pymi with: pip install ."
    )
    raise ImportError(_msg) from _err

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

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
from .conditional import conditional_mutual_information, transfer_entropy
from .discrete import (
    UndersampledWarning,
    discrete_entropy,
    mutual_information_mixed,
    plugin_mutual_information,
)
from .estimators import Capabilities, MethodInfo, TiesWarning, methods
from .feature_selection import (
    mutual_info_classif,
    mutual_info_regression,
    pairwise_mutual_information,
)
from .significance import PermutationTestResult, permutation_test

try:
    __version__ = _version("pymi")
except _PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_ENTROPY_METHOD",
    "DEFAULT_MI_METHOD",
    "ENTROPY_METHODS",
    "MI_METHODS",
    "Capabilities",
    "Estimate",
    "ImplausibleEstimateWarning",
    "MethodInfo",
    "PermutationTestResult",
    "TiesWarning",
    "UndersampledWarning",
    "compression",
    "conditional_mutual_information",
    "datasets",
    "discrete_entropy",
    "estimators",
    "entropy",
    "make_estimator",
    "methods",
    "mutual_info_classif",
    "mutual_info_regression",
    "mutual_information",
    "mutual_information_mixed",
    "pairwise_mutual_information",
    "permutation_test",
    "plugin_mutual_information",
    "transfer_entropy",
]
