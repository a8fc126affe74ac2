"""The accuracy benchmark runner ``pymi.bench`` and the ``pymi bench`` command."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_runs import hold_lock

from pymi import bench
from pymi.bench import compute, runner
from pymi.bench.cli import main as bench_main
from pymi.runs import RunFolderError, RunFolderInUseError

TASK = {"generator": "correlated_normal", "dim_x": 2, "dim_y": 2}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ESTIMATE_ONE = compute._estimate_one  # the real one, before any monkeypatching


def tiny(**changes):
    """2 estimators x 1 task x 2 grid points x 1 seed, n=300 (4 estimates)."""
    data = {
        "name": "tiny",
        "estimators": {"kl": {"method": "kl", "k": 3}, "ksg": {"method": "ksg", "k": 3}},
        "tasks": {"g2": TASK},
        "mi_grid": [0.0, 2.0],
        "n": 300,
        "seeds": [0],
    }
    data.update(changes)
    return bench.BenchConfig.from_dict(data)


def rows_without_timing(path):
    """The CSV rows as tuples, minus the wall-clock column, in file order."""
    with open(Path(path) / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [tuple(v for k, v in r.items() if k != "seconds") for r in rows]


class CountingEstimator:
    """Wraps compute._estimate_one, counting calls per (estimator method, ...)."""

    def __init__(self, fail_after=None, exc=KeyboardInterrupt):
        self.calls = 0
        self.fail_after = fail_after
        self.exc = exc

    def __call__(self, method, options, x, y):
        if self.fail_after is not None and self.calls >= self.fail_after:
            msg = "simulated interruption"
            raise self.exc(msg)
        self.calls += 1
        return ESTIMATE_ONE(method, options, x, y)


# ----------------------------------------------------------------------------- files


def test_tiny_run_writes_every_file(tmp_path):
    out = bench.run(tiny(), out_dir=tmp_path / "run", progress=False)
    names = {p.name for p in out.iterdir()}
    assert {
        "results.csv",
        "config.json",
        "metadata.json",
        "summary.md",
        "summary.csv",
        "g2.png",
    } <= names
    assert not {n for n in names if n.endswith(".tmp")}  # no temporary file left behind
    assert (out / "g2.png").read_bytes()[:8] == PNG_MAGIC

    rows = bench.read_results(out)
    assert len(rows) == 4
    assert {(r["estimator"], r["true_mi"]) for r in rows} == {
        (e, m) for e in ("kl", "ksg") for m in (0.0, 2.0)
    }
    for r in rows:
        assert r["error"] == "" and np.isfinite(r["estimate"]) and r["stderr"] > 0
        assert r["n"] == 300 and r["seed"] == 0 and r["seconds"] >= 0
        assert abs(r["estimate"] - r["true_mi"]) < 0.5  # n=300: loose, but in the right place
    with open(out / "results.csv") as fh:
        assert fh.readline().strip() == ",".join(bench.CSV_FIELDS)

    cfg = json.loads((out / "config.json").read_text())
    assert cfg == tiny().to_dict()
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["n_estimates_done"] == 4
    assert meta["seeds"] == [0] and meta["finished"]
    for key in ("pymi", "numpy", "scipy", "python", "platform", "cpu_count", "knn"):
        assert key in meta["environment"]
    assert set(meta["timings"]["estimator_seconds_by_estimator"]) == {"kl", "ksg"}
    assert len(meta["sessions"]) == 1 and meta["sessions"][0]["computed"] == 4

    summary = bench.summarize(out)
    assert [(s["task"], s["estimator"]) for s in summary] == [("g2", "kl"), ("g2", "ksg")]
    assert all(s["n_estimates"] == 2 and s["n_failed"] == 0 for s in summary)
    md = (out / "summary.md").read_text()
    assert "| kl |" in md and "| ksg |" in md and "g2.png" in md
    with open(out / "summary.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 2


def test_same_config_gives_same_numbers(tmp_path):
    a = bench.run(tiny(), out_dir=tmp_path / "a", progress=False, report=False)
    b = bench.run(tiny(), out_dir=tmp_path / "b", progress=False, report=False)
    assert rows_without_timing(a) == rows_without_timing(b)


def test_progress_bar_runs(tmp_path, capsys):
    bench.run(tiny(mi_grid=[1.0]), out_dir=tmp_path / "p", progress=True, report=False)
    assert "tiny" in capsys.readouterr().err


# ----------------------------------------------------------------------------- resume


def test_resume_after_interrupt_completes_identically(tmp_path, monkeypatch):
    reference = bench.run(tiny(), out_dir=tmp_path / "ref", progress=False, report=False)

    interrupted = CountingEstimator(fail_after=2)
    monkeypatch.setattr(compute, "_estimate_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bench.run(tiny(), out_dir=tmp_path / "run", progress=False)
    assert len(bench.read_results(tmp_path / "run")) == 2
    meta = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert meta["status"] == "interrupted" and meta["finished"] is None

    resumed = CountingEstimator()
    monkeypatch.setattr(compute, "_estimate_one", resumed)
    bench.run(tiny(), out_dir=tmp_path / "run", progress=False, report=False)
    assert resumed.calls == 2  # nothing already present is recomputed
    assert rows_without_timing(tmp_path / "run") == rows_without_timing(reference)
    meta = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert meta["status"] == "complete" and [s["computed"] for s in meta["sessions"]] == [2, 2]

    again = CountingEstimator()
    monkeypatch.setattr(compute, "_estimate_one", again)
    bench.run(tiny(), out_dir=tmp_path / "run", progress=False, report=False)
    assert again.calls == 0


def test_resume_after_truncated_csv(tmp_path, monkeypatch):
    reference = bench.run(tiny(), out_dir=tmp_path / "ref", progress=False, report=False)
    path = tmp_path / "ref" / "results.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2]))  # header + first row
    counter = CountingEstimator()
    monkeypatch.setattr(compute, "_estimate_one", counter)
    bench.run(tiny(), out_dir=reference, progress=False, report=False)
    assert counter.calls == 3
    assert path.read_text().splitlines()[0] == lines[0].strip()
    assert len(bench.read_results(reference)) == 4


@pytest.mark.parametrize("cut", ["mid_row", "header_only_partial"])
def test_torn_last_line_is_recomputed(tmp_path, monkeypatch, cut):
    reference = bench.run(tiny(), out_dir=tmp_path / "ref", progress=False, report=False)
    expected = rows_without_timing(reference)
    run_dir = tmp_path / "run"
    bench.run(tiny(), out_dir=run_dir, progress=False, report=False)
    path = run_dir / "results.csv"
    data = path.read_bytes()
    if cut == "mid_row":
        last = data.rstrip(b"\n").rfind(b"\n") + 1
        path.write_bytes(data[: last + 20])  # 3 rows + a torn 4th
        n_kept, n_redo = 3, 1
    else:
        path.write_bytes(data[:10])  # even the header is torn
        n_kept, n_redo = 0, 4
    assert len(bench.read_results(run_dir)) == n_kept  # the torn line is skipped on read
    counter = CountingEstimator()
    monkeypatch.setattr(compute, "_estimate_one", counter)
    bench.run(tiny(), out_dir=run_dir, progress=False, report=False)
    assert counter.calls == n_redo
    assert rows_without_timing(run_dir) == expected
    assert path.read_bytes().endswith(b"\n")


def test_malformed_row_in_the_middle_is_an_error(tmp_path):
    out = bench.run(tiny(), out_dir=tmp_path / "r", progress=False, report=False)
    path = out / "results.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = "g2,kl,not-a-number\n"
    path.write_text("".join(lines))
    with pytest.raises(
        bench.ResultsFileError, match=r"results.csv', line 3 .*3 fields instead of 12.*delete the damaged line"
    ):
        bench.run(tiny(), out_dir=out, progress=False, report=False)


def test_config_mismatch_is_a_clear_error(tmp_path):
    bench.run(tiny(), out_dir=tmp_path / "r", progress=False, report=False)
    with pytest.raises(
        bench.ConfigMismatchError, match=r"different configuration \(n: stored 300, requested 400\).*--out"
    ):
        bench.run(tiny(n=400), out_dir=tmp_path / "r", progress=False, report=False)
    with pytest.raises(bench.ConfigMismatchError, match=r"estimators.wkl: added"):
        bench.run(
            tiny(estimators={**tiny().to_dict()["estimators"], "wkl": {"method": "wkl"}}),
            out_dir=tmp_path / "r", progress=False, report=False,
        )  # fmt: skip


def test_no_resume_refuses_existing_results(tmp_path):
    bench.run(tiny(), out_dir=tmp_path / "r", progress=False, report=False)
    with pytest.raises(RunFolderError, match="resume=False"):
        bench.run(tiny(), out_dir=tmp_path / "r", resume=False, progress=False)


def test_foreign_folder_and_live_lock_are_refused(tmp_path):
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "results.csv").write_text("a,b\n1,2\n")
    with pytest.raises(RunFolderError, match="not a pymi bench run folder"):
        bench.run(tiny(), out_dir=tmp_path / "f", progress=False)
    (tmp_path / "l").mkdir()
    with hold_lock(tmp_path / "l") as pid:
        with pytest.raises(RunFolderInUseError, match=rf"in use by process {pid}\b"):
            bench.run(tiny(), out_dir=tmp_path / "l", progress=False)
    (tmp_path / "l" / ".lock").write_text("999999999")  # left by a dead process: no obstacle
    bench.run(tiny(mi_grid=[1.0]), out_dir=tmp_path / "l", progress=False, report=False)


# ----------------------------------------------------------------------------- failures


def test_estimator_failure_is_recorded_not_fatal(tmp_path, monkeypatch):
    original = ESTIMATE_ONE

    def flaky(method, options, x, y):
        if method == "ksg" and y[0, 0] == flaky.bad_first:
            msg = "boom\nsecond line"
            raise ValueError(msg)
        return original(method, options, x, y)

    # the data of (g2, true MI 2, seed 0), the same for every estimator
    ss = runner._seed_sequence("g2", 2.0, 0)
    flaky.bad_first = bench.GENERATORS["correlated_normal"](
        2.0, 2, 2, 300, random_state=np.random.default_rng(ss)
    ).y[0, 0]
    monkeypatch.setattr(compute, "_estimate_one", flaky)
    out = bench.run(tiny(), out_dir=tmp_path / "r", progress=False)
    rows = {(r["estimator"], r["true_mi"]): r for r in bench.read_results(out)}
    assert len(rows) == 4
    bad = rows[("ksg", 2.0)]
    assert bad["error"] == "ValueError: boom second line" and np.isnan(bad["estimate"])
    assert all(r["error"] == "" for k, r in rows.items() if k != ("ksg", 2.0))
    summary = {s["estimator"]: s for s in bench.summarize(out)}
    assert summary["ksg"]["n_failed"] == 1 and summary["kl"]["n_failed"] == 0
    assert "1/2" in (out / "summary.md").read_text()
    assert json.loads((out / "metadata.json").read_text())["n_failed"] == 1


def test_real_estimator_error_recorded_with_its_message(tmp_path):
    # WKL with k=2 works for d=4 marginals but not for the 8-D joint of a 4+4 task
    cfg = tiny(
        estimators={"wkl2": {"method": "wkl", "k": 2}},
        tasks={"g4": {"generator": "correlated_normal", "dim_x": 4, "dim_y": 4}},
        mi_grid=[1.0],
    )
    out = bench.run(cfg, out_dir=tmp_path / "r", progress=False)
    (row,) = bench.read_results(out)
    assert row["error"].startswith("ValueError: k=2 is too small") and "k=4" in row["error"]
    assert (out / "g4.png").exists()


def test_warnings_are_recorded(tmp_path, monkeypatch):
    original = ESTIMATE_ONE

    def noisy(method, options, x, y):
        warnings.warn("ties broken", UserWarning, stacklevel=1)
        return original(method, options, x, y)

    monkeypatch.setattr(compute, "_estimate_one", noisy)
    out = bench.run(tiny(mi_grid=[1.0]), out_dir=tmp_path / "r", progress=False, report=False)
    assert all(r["warnings"] == "UserWarning: ties broken" for r in bench.read_results(out))


# ----------------------------------------------------------------------------- config


def test_image_task_with_per_task_estimators_and_n(tmp_path):
    cfg = bench.BenchConfig(
        name="img",
        estimators={"kl": {"method": "kl", "k": 3}, "ksg": {"method": "ksg"}},
        tasks={"bump": {"generator": "images.gaussian_bump", "size": 3, "n": 200, "estimators": ["kl"],
                        "estimator_options": {"whiten": True}}},
        mi_grid=[0.5],
    )  # fmt: skip
    assert cfg.tasks["bump"].generator == "gaussian_bump" and cfg.n_estimates == 1
    out = bench.run(cfg, out_dir=tmp_path / "r", progress=False)
    (row,) = bench.read_results(out)
    assert row["estimator"] == "kl" and row["n"] == 200 and row["error"] == ""


def test_toml_and_json_configs_load(tmp_path):
    toml = tmp_path / "my bench.toml"
    toml.write_text(
        "n = 300\nseeds = [1, 2]\nmi_grid = {start = 0, stop = 4, num = 3}\n"
        '[estimators.w]\nmethod = "wkl"\nk = 5\n[estimators.kl]\n'
        '[tasks.g2]\ngenerator = "correlated_normal"\ndim_x = 2\ndim_y = 2\n'
    )
    cfg = bench.load_config(toml)
    assert cfg.name == "my-bench" and cfg.mi_grid == (0.0, 2.0, 4.0) and cfg.seeds == (1, 2)
    assert cfg.estimators["kl"].method == "kl" and cfg.estimators["w"].options == {"k": 5}
    js = tmp_path / "c.json"
    js.write_text(json.dumps(cfg.to_dict()))
    assert bench.load_config(js).to_dict() == cfg.to_dict()
    assert bench.BenchConfig.from_dict(cfg.to_dict()).to_dict() == cfg.to_dict()


def test_presets_are_valid():
    quick = bench.preset("quick")
    quick.validate()
    assert quick.n == 2000 and len(quick.seeds) == 1 and len(quick.tasks) == 2
    paper = bench.preset("paper-gaussian")
    assert paper.n == 5000 and paper.seeds == (0, 1, 2) and paper.mi_grid == bench.DEFAULT_MI_GRID
    assert len(paper.mi_grid) == 41 and paper.mi_grid[-1] == 10.0
    assert {"kl", "wkl", "ksg"} <= set(paper.estimators)
    assert all(e.options.get("k", 5) == 5 for e in paper.estimators.values())


def test_mixed_preset_and_bench_mixed_share_the_joint_atom_grids():
    from pymi.bench.tasks import MIXED_PAIR_GRIDS

    mixed = bench.preset("mixed")
    pairs = {t.args["p_zero"]: t.mi_grid for t in mixed.tasks.values() if t.generator == "zero_inflated_pair"}
    assert pairs == MIXED_PAIR_GRIDS
    for p0, grid in MIXED_PAIR_GRIDS.items():
        # each point above the atom's own information, with I(G; G') <= 3 nats
        h = bench.tasks.datasets.binary_entropy(p0)
        assert all(h < mi and (mi - h) / (1 - p0) <= 3.0 for mi in grid)


def test_unknown_quantity_of_one_estimate_says_the_fix():
    x = np.zeros((10, 1))
    with pytest.raises(
        ValueError,
        match=r"quantity must be one of 'mi', 'cmi', 'te' \(I\(X; Y\), I\(X; Y \| Z\), transfer "
        r"entropy\); got quantity='pmi'; pass one of those, or leave it out for 'mi'",
    ):
        ESTIMATE_ONE("ksg", {}, x, x, quantity="pmi")


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (
            {"estimators": {"x": {"method": "nope"}}},
            r"estimator 'x': method must be one of \[.*'wkl'\] .*; got method='nope'",
        ),
        (
            {"estimators": {"kl": {"method": "kl", "kk": 3}}},
            r"estimator 'kl': pymi rejects the options .*'kk'",
        ),
        (
            {"estimators": {"kl": {"method": "kl", "base": "bits"}}},
            r"options \['base'\] cannot be set",
        ),
        (
            {"tasks": {"t": {"generator": "gaussian"}}},
            r"generator must be one of \[.*'correlated_normal'.*\] \(pymi.datasets\); got 'gaussian'",
        ),
        (
            {"tasks": {"t": {"generator": "correlated_normal", "dim_x": 2}}},
            r"invalid arguments for generator 'correlated_normal'.*accepts \['dim_x', 'dim_y'",
        ),
        (
            {"tasks": {"t": {"generator": "correlated_normal", "dim_x": 0, "dim_y": 2}}},
            r"task 't': generator 'correlated_normal' rejects .*dim_x must be a positive integer",
        ),
        ({"tasks": {"t": {**TASK, "mi": 1.0}}}, r"\['mi'\] are set by the benchmark"),
        (
            {"tasks": {"t": {**TASK, "estimators": ["wkl"]}}},
            r"lists estimators \['wkl'\] that are not defined",
        ),
        ({"tasks": {"t": {"dim_x": 2}}}, r"task 't' must be a table with a 'generator' key"),
        ({"tasks": {"bad name": TASK}}, r"task names must be .*got 'bad name'"),
        ({"mi_grid": []}, r"mi_grid is empty"),
        ({"mi_grid": [0.0, -1.0]}, r"mi_grid values must be finite and >= 0.*got \[-1.0\]"),
        ({"mi_grid": [1.0, 1.0]}, r"mi_grid values must be distinct"),
        ({"mi_grid": "0:10"}, r"mi_grid must be .*got '0:10'; pass e.g. '0:10:41'"),
        ({"mi_grid": {"start": 0, "stop": 1}}, r"needs exactly the keys start, stop, num"),
        ({"seeds": [0, 0]}, r"seeds must be distinct"),
        ({"seeds": [-1]}, r"seeds must be non-negative integers; got -1"),
        ({"n": 1}, r"n must be an integer >= 2 .*got 1"),
    ],
)
def test_config_errors_name_what_was_expected(changes, match):
    with pytest.raises(bench.ConfigError, match=match):
        tiny(**changes).validate()


def test_config_file_errors(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"config file '.*missing.toml' not found; pass an existing .json or .toml",
    ):
        bench.load_config(tmp_path / "missing.toml")
    (tmp_path / "c.yaml").write_text("n: 3")
    with pytest.raises(bench.ConfigError, match=r"must be a .json or .toml file; got .*'.yaml'"):
        bench.load_config(tmp_path / "c.yaml")
    (tmp_path / "c.json").write_text('{"estimators": {}, "tasks": {}, "grid": [1]}')
    with pytest.raises(bench.ConfigError, match=r"unknown keys \['grid'\]; allowed keys are"):
        bench.load_config(tmp_path / "c.json")
    (tmp_path / "d.json").write_text('{"n": 5')
    with pytest.raises(bench.ConfigError, match="is not valid JSON"):
        bench.load_config(tmp_path / "d.json")
    with pytest.raises(
        bench.ConfigError, match=r"preset must be one of \[.*'paper-gaussian', 'quick', .*\]; got 'paper'"
    ):
        bench.preset("paper")


def test_select_estimators_and_tasks():
    cfg = bench.preset("quick").select(estimators=["ksg", "gaussian"], tasks=["gaussian-2x2"])
    assert list(cfg.estimators) == ["ksg", "gaussian"] and list(cfg.tasks) == ["gaussian-2x2"]
    with pytest.raises(
        bench.ConfigError, match=r"estimator 'foo' is neither defined .* nor a pymi method"
    ):
        bench.preset("quick").select(estimators=["foo"])
    with pytest.raises(
        bench.ConfigError, match=r"tasks \['t9'\] are not defined .*defined tasks: \["
    ):
        bench.preset("quick").select(tasks=["t9"])


# ----------------------------------------------------------------------------- CLI


def test_cli_help_runs(tmp_path):
    # Run the same pymi the tests import (installed or checkout), from a
    # neutral folder so that a source tree without the extension cannot shadow it.

    import pymi

    env = {**os.environ, "PYTHONPATH": str(Path(pymi.__file__).resolve().parents[1])}
    res = subprocess.run(
        [sys.executable, "-m", "pymi.cli", "bench", "--help"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    for text in ("--preset", "--quick", "--out", "results.csv", "paper-gaussian", "resum"):
        assert text in res.stdout


def test_cli_runs_and_resumes(tmp_path, capsys):
    from pymi.cli import main

    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(tiny().to_dict()))
    out = tmp_path / "out"
    args = [
        "bench",
        str(cfg),
        "--out",
        str(out),
        "--no-progress",
        "--grid",
        "0,1",
        "--estimators",
        "kl",
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "| kl |" in captured.out and "2 estimates" in captured.err
    assert len(bench.read_results(out)) == 2
    assert main(args) == 0  # resume: nothing to do
    assert main([*args[:-1], "ksg"]) == 2
    assert "different config" in capsys.readouterr().err
    assert main(["bench", "--report-only", "--out", str(out)]) == 0


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        ([], "pass exactly one of a config file, --preset NAME"),
        (["--quick", "--preset", "paper-gaussian"], "got 'paper-gaussian' and 'quick'"),
        (["nothere.toml"], "not found"),
        (["--quick", "--estimators", "foo"], "estimator 'foo' is neither defined"),
        (["--quick", "--grid", "5:1"], "mi_grid must be"),
        (["--quick", "--seeds", "x"], "seeds must be a count"),
        (["--report-only"], "--report-only needs --out"),
    ],
)
def test_cli_errors(argv, match, capsys):
    assert bench_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pymi bench: error:") and match in err


def test_cli_print_config(capsys):
    assert (
        bench_main(["--preset", "paper-gaussian", "--print-config", "--tasks", "gaussian-4x4"]) == 0
    )
    cap = capsys.readouterr()
    cfg = json.loads(cap.out)
    assert list(cfg["tasks"]) == ["gaussian-4x4"] and len(cfg["mi_grid"]) == 41
    assert f"{41 * 3 * len(cfg['estimators'])} estimates" in cap.err


def test_cli_folder_in_use_and_file_as_out_return_2(tmp_path, capsys):
    from pymi.cli import main

    (tmp_path / "l").mkdir()
    with hold_lock(tmp_path / "l"):
        assert main(["bench", "--quick", "--out", str(tmp_path / "l"), "--no-progress"]) == 2
    assert "in use by process" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert main(["bench", "--quick", "--out", str(tmp_path / "afile"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "exists and is not a folder" in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("pymi bench: error: ")


def test_cli_no_resume_on_results_keeps_the_runner_message(tmp_path, capsys):
    from pymi.cli import main

    out = tmp_path / "r"
    assert main(["bench", "--quick", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["bench", "--quick", "--out", str(out), "--no-progress", "--no-resume"]) == 2
    err = capsys.readouterr().err
    assert "None" not in err and "no-resume" in err


# ----------------------------------------------------------------------------- run folder damage


def test_corrupt_metadata_is_refused_not_replaced(tmp_path, capsys):
    """Non-regression: a corrupt metadata.json was silently replaced (the run's history lost)."""
    out = bench.run(tiny(), out_dir=tmp_path / "r", progress=False, report=False)
    (out / "metadata.json").write_text('{"sessions": [{"start": ')
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(runner.RunFileError, match=r"metadata.json' \(the run's history\) is not valid JSON .*repair it or move it away"):
        bench.run(tiny(), out_dir=out, progress=False, report=False)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps(tiny().to_dict()))
    assert bench_main([str(cfg), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("pymi bench: error: ") and "metadata.json" in err[-1]


@pytest.mark.parametrize(
    ("damage", "pattern"),
    [
        ("results_binary", r"results.csv', line 6 \(pymi bench results\): is not UTF-8 text"),
        ("config_binary", r"config.json' \(the run's configuration\) is not UTF-8 text"),
        ("config_folder", r"config.json' \(the run's configuration\) is a folder"),
        ("results_folder", r"results.csv' \(pymi bench results\): is a folder"),
    ],
)
def test_damaged_or_misplaced_files_are_one_line_errors(tmp_path, capsys, damage, pattern):
    """Non-regression: UnicodeDecodeError and IsADirectoryError tracebacks."""
    out = bench.run(tiny(), out_dir=tmp_path / "r", progress=False, report=False)
    if damage == "results_binary":
        with open(out / "results.csv", "ab") as fh:
            fh.write(b"g2,kl,\xff\xfe,0\n")
    elif damage == "config_binary":
        (out / "config.json").write_bytes(b"\xff\xd8\xff\xe0 a JPEG")
    elif damage == "config_folder":
        (out / "config.json").unlink()
        (out / "config.json").mkdir()
        (out / "results.csv").unlink()
    else:
        (out / "results.csv").unlink()
        (out / "results.csv").mkdir()
    with pytest.raises(RunFolderError, match=pattern):
        bench.run(tiny(), out_dir=out, progress=False, report=False)
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps(tiny().to_dict()))
    assert bench_main([str(cfg), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("pymi bench: error: ")


@pytest.mark.parametrize(("argv", "match"), [(["--workers", "0"], r"workers must be an int >= 1"),
                                             (["--scheduler", " "], r"scheduler must be the address")])
def test_workers_and_scheduler_are_checked(tmp_path, capsys, argv, match):
    assert bench_main(["--quick", "--out", str(tmp_path / "r"), *argv]) == 2
    assert re.search(match, capsys.readouterr().err)
    with pytest.raises(bench.ConfigError, match=match):
        bench.run(tiny(), out_dir=tmp_path / "r", **{"workers": 0} if "--workers" in argv else {"scheduler": " "})


def _rows(out):
    keep = [f for f in bench.CSV_FIELDS if f != "seconds"]
    return sorted(tuple(r[f] for f in keep) for r in bench.read_results(out))


def test_two_workers_give_the_serial_table(tmp_path):
    """bench --workers 2 on a real LocalCluster: the same rows and values as in-process."""
    pytest.importorskip("distributed")
    cfg = tiny(mi_grid=[0.0, 1.0, 2.0])
    serial = bench.run(cfg, out_dir=tmp_path / "serial", progress=False, report=False)
    parallel = bench.run(cfg, out_dir=tmp_path / "two", progress=False, report=False, workers=2)
    assert len(_rows(parallel)) == 6
    assert _rows(parallel) == _rows(serial)
    meta = json.loads((parallel / "metadata.json").read_text())
    assert meta["sessions"][-1]["workers"] == 2 and meta["status"] == "complete"


def test_binary_config_file_is_a_config_error(tmp_path, capsys):
    cfg = tmp_path / "cfg.json"
    cfg.write_bytes(b"\xff\xfe{}")
    with pytest.raises(bench.ConfigError, match=r"cfg.json' is not UTF-8 text \(byte 0\)"):
        bench.load_config(cfg)
    assert bench_main([str(cfg), "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err.startswith("pymi bench: error: ")


def test_mixed_quick_preset_runs_both_atoms(tmp_path):
    cfg = bench.preset("mixed-quick")
    assert {t.generator for t in cfg.tasks.values()} == {"zero_inflated_normal", "zero_inflated_pair"}
    full = bench.preset("mixed")
    full.validate()
    # every joint-atom point lies above H_b(p_zero), the smallest MI the sampler can reach
    for t in full.tasks.values():
        if t.generator == "zero_inflated_pair":
            p = t.args["p_zero"]
            assert min(t.mi_grid) > -p * np.log(p) - (1 - p) * np.log1p(-p)
    out = bench.run(cfg, out_dir=tmp_path / "mixed", progress=False, report=False)
    rows = bench.read_results(out)
    assert len(rows) == cfg.n_estimates == 6 and {r["error"] for r in rows} == {""}
    # the default method, on both atoms, within the 0.05 nats at N = 5000 scaled to
    # N = 1000 like a standard error (0.05 * sqrt(5)); the jitter is reported as a warning
    for r in rows:
        if r["estimator"] == "cksg":
            assert abs(r["estimate"] - r["true_mi"]) < 0.05 * np.sqrt(5000 / r["n"])
            assert "TiesWarning" in r["warnings"]
        if r["estimator"] == "mixed_ksg":
            assert r["warnings"] == ""  # mixed KSG keeps the ties
