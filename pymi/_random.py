"""Random-state handling shared by everything in pymi that draws random numbers."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["RandomStateLike", "build_torch_modules", "check_random_state", "torch_seed"]

#: Seeds handed to PyTorch are below this (``torch.manual_seed`` takes 64-bit
#: integers; 63 bits keep them positive in every signed representation).
_SEED_BOUND = 2**63 - 1

#: What a ``random_state`` argument accepts.
RandomStateLike = (
    None | int | np.integer | np.random.Generator | np.random.SeedSequence | np.random.BitGenerator
)


def check_random_state(random_state: RandomStateLike = None) -> np.random.Generator:
    """Turn a ``random_state`` argument into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator, numpy.random.SeedSequence or numpy.random.BitGenerator
        ``None`` gives a freshly seeded generator (fresh OS entropy, not reproducible);
        a non-negative int or a ``SeedSequence`` / ``BitGenerator`` seeds a new
        generator deterministically; a ``Generator`` is returned as is (so the caller's
        stream advances).

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    ValueError
        For a negative int.
    pymi._params.InvalidParameterType
        (a ``TypeError`` and a ``ValueError``) for a bool, a legacy
        ``numpy.random.RandomState`` or any other type.

    Examples
    --------
    >>> rng = check_random_state(0)
    >>> check_random_state(rng) is rng
    True
    >>> float(check_random_state(0).random()) == float(check_random_state(0).random())
    True
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, (np.random.SeedSequence, np.random.BitGenerator)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, (bool, np.bool_)
    ):
        if random_state < 0:
            msg = (
                f"random_state must be a non-negative integer seed; got random_state={random_state}; "
                f"pass e.g. random_state={abs(int(random_state))}"
            )
            raise ValueError(msg)
        return np.random.default_rng(int(random_state))
    from ._params import InvalidParameterType

    if isinstance(random_state, np.random.RandomState):
        msg = (
            "random_state must be None, an int, a numpy.random.Generator or a SeedSequence; "
            "got a legacy numpy.random.RandomState; pass np.random.default_rng(seed) instead"
        )
        raise InvalidParameterType(msg)
    msg = (
        "random_state must be None, an int, a numpy.random.Generator or a SeedSequence; "
        f"got {random_state!r} of type {type(random_state).__name__}; "
        "pass an integer seed such as random_state=0"
    )
    raise InvalidParameterType(msg)


def torch_seed(random_state: RandomStateLike = None) -> int:
    """Turn a ``random_state`` argument into one integer seed (for PyTorch, split seeds).

    Accepts what :func:`check_random_state` accepts, with the same errors. An int
    is used as is (reduced below 2**63 - 1); ``None`` draws fresh OS entropy (not
    reproducible); a ``Generator`` is drawn from (the caller's stream advances);
    a ``SeedSequence`` / ``BitGenerator`` gives a deterministic seed.

    Returns
    -------
    int
        In ``[0, 2**63 - 1)``.

    Examples
    --------
    >>> torch_seed(5)
    5
    >>> torch_seed(np.random.default_rng(0)) == torch_seed(np.random.default_rng(0))
    True
    """
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, (bool, np.bool_)
    ):
        check_random_state(random_state)  # the error for a negative seed
        return int(random_state) % _SEED_BOUND
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
    return int(check_random_state(random_state).integers(0, _SEED_BOUND))


def build_torch_modules(build: Any, seed: int) -> Any:
    """Build PyTorch modules and initialise their weights from a generator of their own.

    ``build()`` runs on PyTorch's ``meta`` device (no memory, no random numbers drawn
    from the global generator); the modules are then materialised on the CPU and
    every weight with a fan-in (``Linear``, ``Conv*``, ``ConvTranspose*``) is drawn
    with PyTorch's default rule, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weight and
    bias (He et al. 2015 uniform with ``a = sqrt(5)``), from a local
    ``torch.Generator`` seeded with ``seed``. Other modules (batch norm) are reset by
    their own deterministic ``reset_parameters``. The global generator is neither
    read nor changed, so two threads building with the same seed get the same weights.

    Parameters
    ----------
    build : callable
        Returns a module or a tuple of modules.
    seed : int
        Seed of the local generator.

    Returns
    -------
    Whatever ``build`` returns, on the CPU, initialised.
    """
    import math

    import torch

    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed))
    with torch.device("meta"):
        built = build()
    modules = built if isinstance(built, tuple) else (built,)
    materialised = tuple(m.to_empty(device="cpu") for m in modules)
    with torch.no_grad():
        for module in materialised:
            for m in module.modules():
                weight = getattr(m, "weight", None)
                if isinstance(weight, torch.nn.Parameter) and weight.dim() >= 2:
                    fan_in = weight.shape[1] * math.prod(weight.shape[2:])
                    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                    weight.uniform_(-bound, bound, generator=gen)
                    bias = getattr(m, "bias", None)
                    if isinstance(bias, torch.nn.Parameter):
                        bias.uniform_(-bound, bound, generator=gen)
                elif hasattr(m, "reset_parameters"):
                    m.reset_parameters()  # batch norm: ones, zeros and fresh running statistics
    return materialised if isinstance(built, tuple) else materialised[0]
