"""Documentation: help() lists every option with examples that run; the API reference lists every public name."""

from __future__ import annotations

import doctest
import re

import pytest

import pymi
from pymi._api import mutual_information

#: Arguments of the functional API that are not estimator options.
_DATA = {"x", "y"}


def _documented(func) -> set[str]:
    """Names in the docstring's parameter lines (``name : type`` or ``a, b, c``)."""
    names: set[str] = set()
    for line in (func.__doc__ or "").splitlines():
        head = re.match(r"^    ([a-z_][\w, ]*?)(?: : |$)", line)
        if head:
            names.update(part.strip() for part in head.group(1).split(","))
    return names


def _options(capability: str) -> set[str]:
    names: set[str] = set()
    for info in pymi.methods().values():
        if getattr(info.capabilities, capability):
            names.update(info.cls._parameter_names())
    return names


def test_help_of_mutual_information_lists_every_option():
    import inspect

    own = set(inspect.signature(pymi.mutual_information).parameters) - {"options"}
    compress = {"shared", "cross_fit", "train_fraction", "compressor_options"}
    missing = (_options("mutual_information") | own | compress) - _documented(pymi.mutual_information)
    assert not missing, f"pymi.mutual_information's docstring does not describe {sorted(missing)}"


def test_help_of_entropy_lists_every_option():
    import inspect

    own = set(inspect.signature(pymi.entropy).parameters) - {"options"}
    missing = (_options("entropy") | own) - _documented(pymi.entropy) - _DATA
    assert not missing, f"pymi.entropy's docstring does not describe {sorted(missing)}"


@pytest.mark.parametrize("func", [pymi.entropy, mutual_information], ids=lambda f: f.__name__)
def test_examples_in_help_run(func):
    assert "Examples\n    --------" in func.__doc__
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(func, func.__name__, globs={}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 3 and result.failed == 0
