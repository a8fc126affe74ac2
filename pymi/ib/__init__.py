"""The information-plane experiment of Butakov et al. (ICLR 2024) on MNIST.

"Information Bottleneck Analysis of Deep Neural Networks via Lossy Compression"
(I. Butakov, A. Tolmachev, S. Malanchuk, A. Neopryatnaya, A. Frolov, K. Andreev,
ICLR 2024), section 6: a small CNN with multiplicative noise before every layer is
trained on MNIST; after every epoch the mutual information between the input X and
each layer L, and between L and the label Y, is estimated on a fixed evaluation set
after compressing X and L to 4-D codes. All values are in nats.

Example
-------
>>> from pymi.ib import IBConfig, run                     # doctest: +SKIP
>>> run_dir = run(IBConfig.quick(run_dir="runs/demo"))      # doctest: +SKIP

Command line: ``pymi ib --quick`` (about a minute), ``pymi ib`` (the documented run).
Needs PyTorch and matplotlib (``pip install "pymi[torch,plot]"``).
"""

from __future__ import annotations

import importlib
from typing import Any

# Lazy attributes (PEP 562): ``pymi ib`` is registered by ``pymi.cli`` on every start,
# and importing PyTorch and matplotlib there would slow down every other sub-command.
_EXPORTS = {
    "IBConfig": "config",
    "RUNTIME_FIELDS": "config",
    "derive_seed": "config",
    "IBData": "data",
    "load_data": "data",
    "H_Y": "estimation",
    "artefact_notes": "estimation",
    "estimate_layers": "estimation",
    "RunSetupError": "experiment",
    "run": "experiment",
    "LAYER_NAMES": "model",
    "MultiplicativeNoise": "model",
    "NoisyCNN": "model",
    "layer_outputs": "model",
    "plot_run": "plots",
    "ConfigMismatchError": "storage",
    "RunStore": "storage",
    "read_csv": "storage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'pymi.ib' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
