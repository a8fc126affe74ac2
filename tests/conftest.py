"""Shared pytest helpers: the CUDA skip and a seeded random generator."""

from __future__ import annotations

import numpy as np
import pytest

from pymi._device import cuda_device_count

#: Whether tests marked ``cuda`` can run here.
HAS_CUDA: bool = cuda_device_count() > 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every test marked ``@pytest.mark.cuda`` when no CUDA device is usable."""
    if HAS_CUDA:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device and pymi built with CUDA")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator, so every test is reproducible on its own."""
    return np.random.default_rng(20240601)
