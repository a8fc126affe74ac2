"""Sphinx configuration of the pymi documentation site.

Build (from the repository root)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

from importlib.metadata import version as _version

project = "pymi"
author = "the pymi authors"
copyright = "the pymi authors"  # noqa: A001 - Sphinx's name
release = _version("pymi")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", ".gitignore", "build.sh"]

# Markdown pages (MyST): $...$ maths, ::: fences, definition lists, heading anchors
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

# API reference: one page per public object, generated from the docstrings
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"pymi {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []


def _write_cli_help(app) -> None:  # noqa: ANN001 - Sphinx's application object
    """``pymi COMMAND --help`` of every sub-command, as text files the CLI page includes."""
    import argparse
    import os
    from pathlib import Path

    from pymi.cli import build_parser

    os.environ["COLUMNS"] = "88"  # argparse wraps at the terminal width
    out = Path(app.srcdir) / "api" / "generated" / "cli"
    out.mkdir(parents=True, exist_ok=True)
    parser = build_parser()
    (out / "pymi.txt").write_text(parser.format_help())
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                (out / f"{name}.txt").write_text(sub.format_help())


def setup(app) -> None:  # noqa: ANN001
    app.connect("builder-inited", _write_cli_help)
