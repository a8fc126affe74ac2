"""pytest-benchmark configuration for the pymi benchmark suites.

Run a suite by naming its file (the files are called bench_*.py so that the
test run never collects them):

    nice python -m pytest benchmarks/bench_knn.py --benchmark-json=bench_knn.json
    nice python -m pytest benchmarks/bench_ksg.py --huge   # include the N = 1e6 cases

Cases marked ``huge`` (N = 1e6, or a slow baseline) are skipped unless
``--huge`` is given, so a default run of each suite stays within minutes.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--huge", action="store_true", default=False, help="also run the cases marked huge"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "huge: a large benchmark case, run only with --huge")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--huge"):
        return
    skip = pytest.mark.skip(reason="huge case; pass --huge to run it")
    for item in items:
        if item.get_closest_marker("huge") is not None:
            item.add_marker(skip)
