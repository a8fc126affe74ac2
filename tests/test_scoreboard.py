"""Suite-level scoreboard and the interval columns of results.csv."""

from __future__ import annotations

import json
import math

import pytest

from pymi.bench import runner
from pymi.bench.scoreboard import scoreboard, write_scoreboard


def _folder(tmp_path, rows, header=runner.CSV_FIELDS):
    config = {
        "name": "toy",
        "n": 100,
        "seeds": [0, 1],
        "mi_grid": [1.0],
        "tasks": {"fam-a": {"generator": "g"}, "other-b": {"generator": "g"}},
        "estimators": {"ksg": {"method": "ksg"}, "new": {"method": "cksg"}},
    }
    (tmp_path / runner.CONFIG).write_text(json.dumps(config))
    lines = [",".join(header)]
    for r in rows:
        lines.append(",".join(str(r.get(c, "")) for c in header))
    (tmp_path / runner.RESULTS).write_text("\n".join(lines) + "\n")
    return tmp_path


def _row(task, est, seed, estimate, seconds, lo="", hi="", error=""):
    return {
        "task": task, "estimator": est, "true_mi": 1.0, "seed": seed, "n": 100,
        "estimate": estimate, "stderr": 0.01, "seconds": seconds, "error": error,
        "warnings": "", "ci_low": lo, "ci_high": hi,
    }


def test_scoreboard_counts_errors_within_coverage_and_time(tmp_path):
    rows = [
        _row("fam-a", "ksg", 0, 0.5, 1.0),
        _row("fam-a", "ksg", 1, 0.7, 1.0),
        _row("other-b", "ksg", 0, 0.95, 1.0),
        _row("other-b", "ksg", 1, "", 1.0, error="ValueError: refused"),
        _row("fam-a", "new", 0, 1.05, 2.0, 0.9, 1.2),
        _row("fam-a", "new", 1, 0.98, 2.0, 0.99, 1.1),
        _row("other-b", "new", 0, 1.2, 3.0, 1.1, 1.3),
        _row("other-b", "new", 1, 1.0, 3.0, 0.9, 1.1),
    ]
    board = {b["estimator"]: b for b in scoreboard(_folder(tmp_path, rows))}
    ksg, new = board["ksg"], board["new"]
    assert ksg["n_failed"] == 1 and ksg["n_points"] == 2
    assert ksg["mean_abs_error"] == pytest.approx((0.5 + 0.3 + 0.05) / 3)
    assert ksg["within"] == pytest.approx(0.5)  # fam-a mean 0.6 is out, other-b 0.95 in
    assert ksg["min_mean_estimate"] == pytest.approx(0.6)
    assert math.isnan(ksg["coverage"]) and ksg["n_intervals"] == 0
    assert new["coverage"] == pytest.approx(0.75) and new["n_intervals"] == 4
    # time ratio over the three points both finished: (2 + 2 + 3) / 3
    assert new["time_ratio"] == pytest.approx(7.0 / 3.0)


def test_a_suite_of_several_quantities_is_ranked_per_quantity(tmp_path):
    config = {
        "name": "three", "n": 100, "seeds": [0], "mi_grid": [1.0],
        "tasks": {
            "g": {"generator": "correlated_normal"},
            "c": {"generator": "conditional_normal", "quantity": "cmi"},
            "t": {"generator": "coupled_ar", "quantity": "te", "estimators": ["new"]},
        },
        "estimators": {"ksg": {"method": "ksg"}, "new": {"method": "cksg"}},
    }  # fmt: skip
    rows = [
        _row("g", "ksg", 0, 0.9, 1.0), _row("g", "new", 0, 1.0, 1.0),
        _row("c", "ksg", 0, 0.5, 1.0), _row("c", "new", 0, 0.8, 1.0),
        _row("t", "new", 0, 1.3, 2.0),
    ]  # fmt: skip
    folder = _folder(tmp_path, rows)
    (folder / runner.CONFIG).write_text(json.dumps(config))
    board = {(b["quantity"], b["estimator"]): b for b in scoreboard(folder)}
    # one row per quantity and estimator run on it; errors are not pooled across quantities
    assert list(board) == [("MI", "ksg"), ("MI", "new"), ("CMI", "ksg"), ("CMI", "new"), ("TE", "new")]
    assert board[("CMI", "ksg")]["mean_abs_error"] == pytest.approx(0.5)
    assert board[("MI", "ksg")]["mean_abs_error"] == pytest.approx(0.1)
    assert board[("TE", "new")]["n_points"] == 1 and board[("TE", "new")]["mean_abs_error"] == pytest.approx(0.3)
    write_scoreboard(folder, figure=False)
    md = (folder / "scoreboard.md").read_text()
    assert "(task, true MI / CMI / TE) points" in md and "each has its own ranking" in md
    for heading in ("## MI: I(X; Y) (1 tasks)", "## CMI: I(X; Y | Z) (1 tasks)", "## TE: transfer entropy (1 tasks)"):
        assert heading in md
    assert (folder / "scoreboard.csv").read_text().splitlines()[0].startswith("quantity,estimator,")


def test_write_scoreboard_files(tmp_path):
    rows = [_row("fam-a", "ksg", 0, 0.9, 1.0), _row("fam-a", "new", 0, 1.0, 1.0, 0.9, 1.1)]
    paths = write_scoreboard(_folder(tmp_path, rows))
    assert [p.name for p in paths] == ["scoreboard.csv", "scoreboard.md", "scoreboard.png"]
    md = (tmp_path / "scoreboard.md").read_text()
    assert "| new | cksg |" in md and "(task, true MI) points" in md and "## MI" not in md


def test_results_written_before_intervals_are_still_read_and_appended(tmp_path):
    rows = [_row("fam-a", "ksg", 0, 0.9, 1.0)]
    folder = _folder(tmp_path, rows, header=runner.LEGACY_CSV_FIELDS)
    read = runner.read_results(folder)
    assert len(read) == 1 and math.isnan(read[0]["ci_low"])
    writer = runner._ResultsWriter(folder / runner.RESULTS)
    writer.append(_row("fam-a", "new", 0, 1.0, 1.0, 0.9, 1.1))
    writer.close()
    assert len(runner.read_results(folder)) == 2
    assert (folder / runner.RESULTS).read_text().splitlines()[0] == ",".join(runner.LEGACY_CSV_FIELDS)
