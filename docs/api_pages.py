"""Write the API reference pages ``docs/api/<package>.rst`` from the packages' ``__all__``.

Run from the repository root after adding or removing a public name::

    python docs/api_pages.py

Each page lists the package's functions, classes, exceptions and constants in
autosummary tables (Sphinx generates one page per object from its docstring).
An object exported by two packages is documented once, under the first
package, and named as a re-export on the other page. ``tests/test_docs.py``
checks that every public name appears.
"""

from __future__ import annotations

import importlib
import inspect
import types
from pathlib import Path

#: Package -> page title, in the order of the reference.
PACKAGES = {
    "pymi": "pymi: entropy and mutual information",
    "pymi.estimators": "pymi.estimators: the estimator classes",
    "pymi.datasets": "pymi.datasets: data with known mutual information",
    "pymi.compression": "pymi.compression: compressors for high-dimensional data",
    "pymi.bench": "pymi.bench: the accuracy benchmark",
    "pymi.ib": "pymi.ib: the information-plane experiment",
    "pymi.runs": "pymi.runs: run folders (lock, atomic files, append-only tables)",
    "pymi.engine": "pymi.engine: tasks on Dask workers",
    "pymi.sweep": "pymi.sweep: grids of information-plane runs",
}

#: Submodules whose public names the package does not re-export get a section of their own.
SUBMODULES = {"pymi.datasets": ("suite", "images", "mnist", "autoregressive", "conditional")}


def _underline(title: str, char: str) -> str:
    return f"{title}\n{char * len(title)}\n\n"


def _table(names: list[str]) -> str:
    return ".. autosummary::\n   :toctree: generated\n\n" + "".join(f"   {n}\n" for n in names) + "\n"


def _by_kind(module: types.ModuleType, names: list[str]) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {"Functions": [], "Classes": [], "Exceptions and warnings": [], "Constants": []}
    for name in names:
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            continue
        if inspect.isclass(obj):
            kinds["Exceptions and warnings" if issubclass(obj, BaseException) else "Classes"].append(name)
        elif callable(obj):
            kinds["Functions"].append(name)
        else:
            kinds["Constants"].append(name)
    return kinds


def page(package: str, documented: dict[int, str]) -> str:
    """The reST source of ``package``'s page; ``documented`` maps id(object) -> where it is documented."""
    module = importlib.import_module(package)
    own, again = [], []
    for name in dict.fromkeys(module.__all__):
        obj = getattr(module, name)
        key = id(obj) if inspect.isclass(obj) or inspect.isfunction(obj) else None
        if key is not None and key in documented:
            again.append((name, documented[key], obj))
            continue
        if key is not None:
            documented[key] = f"{package}.{name}"
        own.append(name)
    text = _underline(PACKAGES[package], "=")
    text += f".. automodule:: {package}\n   :no-members:\n\n.. currentmodule:: {package}\n\n"
    for kind, names in _by_kind(module, own).items():
        if names:
            text += _underline(kind, "-") + _table(names)
    if again:
        text += _underline("Also exported here", "-")
        for name, where, obj in again:
            role = "class" if inspect.isclass(obj) else "func"
            text += f"- ``{package}.{name}``: the same object as :{role}:`{where}`\n"
        text += "\n"
    for sub in SUBMODULES.get(package, ()):
        submodule = importlib.import_module(f"{package}.{sub}")
        extra = [n for n in getattr(submodule, "__all__", ()) if n not in module.__all__]
        if extra:
            names = [n for group in _by_kind(submodule, extra).values() for n in group]
            text += _underline(f"{package}.{sub}", "-")
            text += f".. currentmodule:: {package}.{sub}\n\n" + _table(names)
    return text


def main() -> None:
    out = Path(__file__).resolve().parent / "api"
    documented: dict[int, str] = {}
    for package in PACKAGES:
        (out / f"{package}.rst").write_text(page(package, documented))


if __name__ == "__main__":
    main()
