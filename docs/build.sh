#!/usr/bin/env bash
# Build the documentation site into docs/_build/html; any warning fails the build.
# Needs pymi installed and the docs extra: pip install ".[docs]"
# (after adding a public name: python docs/api_pages.py rewrites docs/api/*.rst)
set -euo pipefail
cd "$(dirname "$0")/.."
python -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
