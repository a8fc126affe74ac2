#!/usr/bin/env bash
# Build the documentation site into docs/_build/html; any warning fails the build.
# Needs pymi installed and the docs extra: pip install ".[docs]"
# (after adding a public name: python docs/api_pages.py rewrites docs/api/*.rst)
set -euo pipefail
# run from docs/: from the repository root, python -m would put the source tree's
# pymi (without the compiled core of an installed wheel) first on sys.path
cd "$(dirname "$0")"
python -m sphinx -W --keep-going -b html . _build/html "$@"
