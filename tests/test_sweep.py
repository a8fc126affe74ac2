"""pymi sweep: the TOML configuration, the grid, the tables over seeds, and the same tables
from 2 Dask worker processes as from a run in this process.

The runs use a tiny generated IDX data set (300 random 28x28 images, 3 classes) and
two epochs, as tests/test_ib.py does, so that one run takes a few seconds.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import struct

import numpy as np
import pytest

from pymi.sweep import QUICK_TOML, SweepConfigError, expand, parse_config
from pymi.sweep.aggregate import Group, mean_sd, summary_rows

N_IMAGES = 300
TABLES = ("mi.csv", "epochs.csv", "summary.csv", "summary.md")


def _write_idx(path, array, magic):
    dims = b"".join(struct.pack(">I", s) for s in array.shape)
    path.write_bytes(struct.pack(">I", magic) + dims + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def idx_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    labels = np.arange(N_IMAGES) % 3
    images = rng.integers(0, 80, size=(N_IMAGES, 28, 28))
    for c in range(3):
        images[labels == c, 4 + 7 * c : 11 + 7 * c, 4:24] += 150
    _write_idx(root / "t10k-images-idx3-ubyte", images, 2051)
    _write_idx(root / "t10k-labels-idx1-ubyte", labels, 2049)
    return root


def _tiny_toml(root, out, **extra_ib):
    ib = {
        "root": str(root),
        "n_train": 200,
        "n_eval": 90,
        "epochs": 2,
        "lr": 3e-3,
        "batch_size": 64,
        "input_ae_epochs": 1,
        "input_ae_batch_size": 64,
        "device": "cpu",
        **extra_ib,
    }
    lines = ["[sweep]", f'out = "{out}"', "[ib]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in ib.items()]
    lines += ["[grid]", "seed = [0, 1]", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------ configuration


def test_quick_config_is_valid_and_expands_in_grid_order():
    config = parse_config(QUICK_TOML)
    points = expand(config)
    assert config.out == "runs/sweep-quick"
    assert [p.name for p in points] == [
        f"sigma={s},seed={seed}" for s in (0.001, 0.1) for seed in (0, 1, 2)
    ]
    assert points[4].config["sigma"] == 0.1 and points[4].config["seed"] == 1
    assert points[4].config["run_dir"].endswith("runs/sweep-quick/runs/sigma=0.1,seed=1")
    assert points[4].config["progress"] is False
    assert points[4].config["epochs"] == 8  # from [ib]


def test_empty_grid_is_one_point():
    [point] = expand(parse_config("[ib]\nepochs = 3\n"))
    assert point.name == "base" and point.config["epochs"] == 3


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[sweeps]\nout = 'x'\n", r"unknown section or key 'sweeps'.*\[sweep\]: out"),
        ("out = 'x'\n", r"unknown section or key 'out' at the top level"),
        ("[ib]\nepoch = 3\n", r"\[ib\] has no IBConfig field 'epoch' \(did you mean 'epochs'\?\)"),
        (
            "[ib]\nlr = '0.01'\n",
            r"\[ib\] lr must be a number; got str '0.01' \(write it without quotes\)",
        ),
        ("[ib]\nepochs = 2.5\n", r"\[ib\] epochs must be an integer; got float 2.5"),
        ("[ib]\nepochs = true\n", r"\[ib\] epochs must be an integer; got bool True"),
        (
            "[ib]\nsigma = [0.1, 0.2]\n",
            r"\[ib\] sigma must be a number; got list .*belongs in \[grid\]",
        ),
        ("[ib]\nrun_dir = 'x'\n", r"\[ib\] run_dir is set by the sweep.*\[sweep\] out"),
        (
            "[grid]\nsigma = 0.1\n",
            r"\[grid\] sigma must be a non-empty list of values.*sigma = \[0.001\]",
        ),
        ("[grid]\nsigma = []\n", r"\[grid\] sigma must be a non-empty list"),
        ("[grid]\nseed = [0, 1, 0]\n", r"\[grid\] seed lists 0 more than once"),
        ("[grid]\nestimator = ['kl', 3]\n", r"\[grid\] estimator\[1\] must be a string; got int 3"),
        (
            "[grid]\nn_jobs = [1, 2]\n",
            r"\[grid\] n_jobs cannot be a grid axis.*set it once in \[ib\]",
        ),
        ("[ib]\nseed = 1\n[grid]\nseed = [0, 1]\n", r"seed is set in both \[ib\] and \[grid\]"),
        ("[grid]\nsigma = [-1.0]\n", r"grid point sigma=-1.0: sigma must be a finite number >= 0"),
        (
            "[grid]\nlayer_compressor = ['pca', 'ae']\n",
            r"grid point layer_compressor=ae: layer_compressor must be one of",
        ),
        ("[sweep]\nout = 3\n", r"\[sweep\] out must be the sweep folder as a string"),
        (
            "[sweep]\nrun_plot = true\n",
            r"\[sweep\] has no key 'run_plot'.*did you mean 'run_plots'",
        ),
        ("[sweep]\nrun_plots = 1\n", r"\[sweep\] run_plots must be true or false; got 1"),
        ("[ib\n", r"is not valid TOML"),
        ("sweep = 3\n", r"sweep must be a section \[sweep\]"),
    ],
)
def test_bad_configuration_names_the_key_and_the_fix(text, match):
    with pytest.raises(SweepConfigError, match=match):
        expand(parse_config(text, source="my.toml"))


def test_missing_file_is_a_clear_error(tmp_path):
    from pymi.sweep import load_config

    with pytest.raises(SweepConfigError, match=r"'.*nope.toml' not found .*or --quick"):
        load_config(tmp_path / "nope.toml")


def test_default_sweep_folder_is_named_after_the_file(tmp_path):
    from pymi.sweep import load_config

    path = tmp_path / "noise.toml"
    path.write_text("[grid]\nseed = [0]\n")
    assert load_config(path).out.endswith("sweep-noise")


# ------------------------------------------------------------------ aggregation


def _record(seed_values):
    """A record whose I(X;L) of layer L1 at epochs 0, 1 is ``seed_values``."""
    mi = []
    for epoch, v in enumerate(seed_values):
        mi.append({"epoch": epoch, "layer": "L1", "quantity": "I(X;L)", "value": v, "stderr": 0.1})
        mi.append(
            {"epoch": epoch, "layer": "L1", "quantity": "I(L;Y)", "value": 2 * v, "stderr": 0.1}
        )
    epochs = [
        {"epoch": e, "eval_accuracy": 0.5 + 0.1 * seed_values[-1]} for e in range(len(seed_values))
    ]
    return {"mi": mi, "epochs": epochs}


def test_mean_and_band_over_seeds_are_the_sample_mean_and_sd():
    group = Group({"sigma": 0.1}, [_record([1.0, 3.0]), _record([2.0, 1.0]), _record([3.0, 2.0])])
    mean, sd = mean_sd(group.series("L1", "I(X;L)"))
    np.testing.assert_allclose(mean, [2.0, 2.0])
    np.testing.assert_allclose(sd, [1.0, 1.0])  # sqrt(((1-2)^2 + 0 + (3-2)^2) / 2)
    [row] = summary_rows([group])
    assert row["sigma"] == 0.1 and row["n_seeds"] == 3 and row["epoch"] == 1
    assert row["ixl_mean"] == pytest.approx(2.0) and row["ixl_sd"] == pytest.approx(1.0)
    assert row["ily_mean"] == pytest.approx(4.0) and row["ily_sd"] == pytest.approx(2.0)
    assert row["ixl_max_mean"] == pytest.approx((3 + 2 + 3) / 3)
    assert row["eval_accuracy_mean"] == pytest.approx(0.5 + 0.1 * 2.0)


def test_one_seed_has_no_band():
    [row] = summary_rows([Group({}, [_record([1.0, 2.0])])])
    assert row["ixl_mean"] == 2.0 and math.isnan(row["ixl_sd"])


# ------------------------------------------------------------------ real runs


def _read_tables(folder):
    return {name: (folder / name).read_bytes() for name in TABLES}


@pytest.fixture(scope="module")
def serial_sweep(idx_root, tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    from pymi.sweep import run_sweep

    out = tmp_path_factory.mktemp("sweep") / "serial"
    config = parse_config(_tiny_toml(idx_root, out))
    run_sweep(config, workers=1, log=lambda s: None)
    return out


@pytest.mark.torch
def test_serial_sweep_writes_tables_figures_and_one_run_folder_per_point(serial_sweep):
    out = serial_sweep
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["seed=0", "seed=1"]
    assert (out / "information_plane.png").stat().st_size > 0
    assert (out / "mi_per_epoch.png").stat().st_size > 0
    lines = (out / "mi.csv").read_text().splitlines()
    assert lines[0] == "seed,epoch,layer,quantity,value,stderr"
    # 2 seeds x epochs 0..2 x 5 layers x 2 quantities
    assert len(lines) - 1 == 2 * 3 * 5 * 2
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("layer,n_seeds,epoch,ixl_mean,ixl_sd")
    assert [line.split(",")[:3] for line in summary[1:]] == [
        [f"L{i}", "2", "2"] for i in range(1, 6)
    ]
    # each point's own run folder holds the same MI values as the sweep's table
    own = (out / "runs" / "seed=1" / "mi.csv").read_text().splitlines()[1:]
    own_values = [",".join(r.split(",")[:5]) for r in own]
    sweep_values = [r.split(",", 1)[1] for r in lines[1:] if r.startswith("1,")]
    assert own_values == sweep_values
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["points"] == ["seed=0", "seed=1"] and meta["sessions"][-1]["status"] == "completed"


def _run_point_killed_once(point, *, run_plots=False):
    """In a worker: the first attempt at seed=1 stops after epoch 1 (checkpointed) and
    kills its worker process; the next attempt is the real run_point (it resumes)."""
    from pathlib import Path

    from pymi.ib import IBConfig, run
    from pymi.sweep.driver import run_point

    marker = Path(point.config["run_dir"]).parents[1] / f"killed-{point.name}"
    if point.name == "seed=1" and not marker.exists():
        run(IBConfig.from_dict(point.config), stop_after=1, plots=False, verbose=False)
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return run_point(point, run_plots=run_plots)


@pytest.mark.torch
def test_two_workers_one_killed_mid_run_give_the_serial_tables(
    serial_sweep, idx_root, tmp_path, monkeypatch
):
    pytest.importorskip("distributed")
    from pymi.sweep import driver, run_sweep

    monkeypatch.setattr(driver, "run_point", _run_point_killed_once)
    out = tmp_path / "parallel"
    run_sweep(parse_config(_tiny_toml(idx_root, out)), workers=2, log=lambda s: None)
    assert (out / "killed-seed=1").is_file()  # a worker died after epoch 1 of seed=1
    assert _read_tables(out) == _read_tables(serial_sweep)  # no row lost or doubled
    own = (out / "runs" / "seed=1" / "epochs.csv").read_text().splitlines()[1:]
    assert [line.split(",")[0] for line in own] == ["0", "1", "2"]
    sessions = json.loads((out / "runs" / "seed=1" / "metadata.json").read_text())["sessions"]
    assert [s["resumed"] for s in sessions] == [False, True]  # went on from the checkpoint


@pytest.mark.torch
def test_rerun_runs_only_missing_points_and_gives_the_same_tables(serial_sweep, idx_root, tmp_path):
    from pymi.sweep import run_sweep

    out = tmp_path / "resumed"
    shutil.copytree(serial_sweep, out)
    (out / "points" / "seed=1.json").unlink()  # as if the sweep stopped before storing it
    for name in TABLES:
        (out / name).unlink()
    lines = []
    run_sweep(parse_config(_tiny_toml(idx_root, out)), workers=1, log=lines.append)
    assert "(1 done, 1 to run on this process)" in lines[0]
    assert _read_tables(out) == _read_tables(serial_sweep)
    sessions = json.loads((out / "sweep.json").read_text())["sessions"]
    assert [s["points_to_run"] for s in sessions] == [2, 1]


@pytest.mark.torch
def test_changed_settings_are_refused_naming_the_grid_point(
    serial_sweep, idx_root, tmp_path, capsys
):
    from pymi.cli import main

    out = tmp_path / "changed"
    shutil.copytree(serial_sweep, out)
    path = tmp_path / "changed.toml"
    path.write_text(_tiny_toml(idx_root, out, lr=1e-2))  # the run folders hold lr = 3e-3
    assert main(["sweep", str(path), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pymi sweep: ")
    assert "different configuration" in err and "lr" in err
    assert "raised by ib runs task 1 of 2: Point(name='seed=0'" in err


# ------------------------------------------------------------------ command line


def test_cli_example_prints_the_quick_configuration(capsys):
    from pymi.cli import main

    assert main(["sweep", "--example"]) == 0
    assert parse_config(capsys.readouterr().out) == parse_config(QUICK_TOML)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        ([], r"pass a configuration file \(pymi sweep CONFIG.toml\) or --quick"),
        (["x.toml", "--quick"], r"pass a configuration \(x.toml\) or --quick, not both"),
        (["--quick", "--workers", "0"], r"--workers must be >= 1 .*got --workers 0"),
        (["--quick", "--workers", "3", "--scheduler", "tcp://h:1"], r"--workers 3 and --scheduler"),
        (["nope.toml"], r"'nope.toml' not found"),
    ],
)
def test_cli_usage_errors_exit_2(argv, match, capsys):
    from pymi.cli import main

    assert main(["sweep", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pymi sweep: ")
    assert len(err.strip().splitlines()) == 1
    assert re.search(match, err)


def test_cli_bad_config_file_exit_2(tmp_path, capsys):
    from pymi.cli import main

    path = tmp_path / "bad.toml"
    path.write_text("[grid]\nsigmaa = [0.1]\n")
    assert main(["sweep", str(path)]) == 2
    assert (
        "[grid] has no IBConfig field 'sigmaa' (did you mean 'sigma'?)" in capsys.readouterr().err
    )


@pytest.mark.torch
def test_damaged_point_record_is_refused_with_the_fix(serial_sweep, idx_root, tmp_path):
    from pymi.runs import RunFileError
    from pymi.sweep import run_sweep

    out = tmp_path / "damaged"
    shutil.copytree(serial_sweep, out)
    (out / "points" / "seed=0.json").write_text('{"format": 1, "mi": [')
    with pytest.raises(
        RunFileError, match=r"seed=0.json.*not valid JSON.*delete it and run the sweep again"
    ):
        run_sweep(parse_config(_tiny_toml(idx_root, out)), log=lambda s: None)


def test_sweep_folder_in_use_is_refused(idx_root, tmp_path, capsys):
    from pymi.cli import main
    from pymi.runs import run_lock

    out = tmp_path / "busy"
    out.mkdir()
    path = tmp_path / "busy.toml"
    path.write_text(_tiny_toml(idx_root, out))
    with run_lock(out, "--out"):
        assert main(["sweep", str(path), "--workers", "1"]) == 2
    assert "is already in use" in capsys.readouterr().err


def test_foreign_sessions_file_is_refused(idx_root, tmp_path):
    from pymi.runs import RunFileError
    from pymi.sweep import run_sweep

    out = tmp_path / "foreign"
    out.mkdir()
    (out / "sweep.json").write_text("[1, 2]")
    with pytest.raises(RunFileError, match=r"sweep.json.*not what pymi sweep writes; move it away"):
        run_sweep(parse_config(_tiny_toml(idx_root, out)), log=lambda s: None)
