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


# ------------------------------------------------------------- API reference
#: The packages whose public names the API reference lists (``docs/api/<package>.rst``).
API_PACKAGES = ("pymi", "pymi.estimators", "pymi.datasets", "pymi.compression", "pymi.bench", "pymi.ib")

_DOCS = __import__("pathlib").Path(__file__).resolve().parents[1] / "docs"


def _listed(page: str) -> set[str]:
    """Names on an API page: autosummary entries and the names of ``pymi.x.y`` references."""
    text = (_DOCS / "api" / page).read_text()
    entries = set(re.findall(r"^   ([A-Za-z_]\w*)$", text, flags=re.M))
    refs = {ref.rsplit(".", 1)[-1] for ref in re.findall(r"``(pymi(?:\.\w+)+)``", text)}
    return entries | refs


@pytest.mark.parametrize("package", API_PACKAGES)
def test_every_public_name_is_in_the_api_reference(package):
    import importlib
    import types

    module = importlib.import_module(package)
    page = _DOCS / "api" / f"{package}.rst"
    assert page.is_file(), f"no API page {page} for {package}"
    assert "api/index" in (_DOCS / "index.md").read_text()
    assert package in (_DOCS / "api" / "index.md").read_text()
    public = {
        name for name in module.__all__ if not isinstance(getattr(module, name), types.ModuleType)
    }
    if package == "pymi.datasets":  # its submodules' own public names too
        for sub in ("suite", "images", "mnist", "autoregressive", "conditional"):
            submodule = importlib.import_module(f"{package}.{sub}")
            public |= set(getattr(submodule, "__all__", ()))
    missing = public - _listed(page.name)
    assert not missing, (
        f"docs/api/{page.name} does not list {sorted(missing)}: run python docs/api_pages.py"
    )


def test_the_guide_pages_are_in_the_table_of_contents():
    index = (_DOCS / "index.md").read_text()
    for page in sorted(_DOCS.glob("*.md")):
        if page.stem != "index":
            assert f"\n{page.stem}\n" in index, f"docs/{page.name} is not in the toctree of docs/index.md"
