"""The ``hard`` benchmark preset (the vector tasks of pymi.datasets.HARD_SUITE) and per-task MI grids."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pymi
from pymi import bench
from pymi.bench import runner
from pymi.bench.cli import main as bench_main
from pymi.bench.tasks import _HARD_MAX_JOINT_DIM, HARD_ESTIMATORS
from pymi.datasets import draw, hard_suite

SUITE = {t.name: t for t in hard_suite(images=False)}


def joint_dim(task) -> int:
    s = draw(task, task.mi_values[0], 2, random_state=0)
    return s.x.shape[1] + s.y.shape[1]


def test_hard_preset_builds_and_validates():
    cfg = bench.preset("hard")
    cfg.validate()
    assert cfg.n == 5000 and cfg.seeds == (0, 1, 2)
    assert tuple(cfg.estimators) == HARD_ESTIMATORS
    assert all(cfg.estimators[e].options.get("k") == 5 for e in ("ksg", "kl", "wkl"))
    assert list(cfg.tasks) == list(SUITE)
    expected = 0
    for name, task in cfg.tasks.items():
        assert cfg.task_grid(task) == SUITE[name].mi_values
        ests = [e.name for e in cfg.estimators_for(task)]
        wkl_ok = joint_dim(SUITE[name]) <= _HARD_MAX_JOINT_DIM["wkl"]
        assert ests == [e for e in HARD_ESTIMATORS if e != "wkl" or wkl_ok]
        expected += len(ests) * len(SUITE[name].mi_values)
    assert sum(len(t.mi_values) for t in SUITE.values()) == 55
    assert cfg.n_estimates == 3 * expected
    quick = bench.preset("hard-quick")
    quick.validate()
    assert quick.n == 1000 and quick.seeds == (0,)
    assert all(len(quick.task_grid(t)) == 1 for t in quick.tasks.values())


def test_wkl_is_skipped_exactly_where_it_refuses():
    dims = sorted({joint_dim(t) for t in SUITE.values()})
    kept = max(d for d in dims if d <= _HARD_MAX_JOINT_DIM["wkl"])
    skipped = min(d for d in dims if d > _HARD_MAX_JOINT_DIM["wkl"])
    by_dim = {joint_dim(t): t for t in SUITE.values()}
    for d, refuses in ((kept, False), (skipped, True)):
        s = draw(by_dim[d], by_dim[d].mi_values[0], 300, random_state=0)
        if refuses:
            with pytest.raises(ValueError, match=r"weighted KL"):
                pymi.mutual_information(s.x, s.y, method="wkl", k=5)
        else:
            assert np.isfinite(float(pymi.mutual_information(s.x, s.y, method="wkl", k=5)))


def test_hard_smoke_run(tmp_path):
    cfg = (
        bench.preset("hard")
        .select(tasks=["swiss_roll-2+1", "student_t-df2-2+2-pure"], estimators=["ksg", "gaussian"])
        .replace(n=500, seeds=[0])
    )
    assert cfg.n_estimates == 2 * (3 + 1)
    out = runner.run(cfg, out_dir=tmp_path / "run", progress=False, report=False)
    rows = runner.read_results(out)
    assert len(rows) == cfg.n_estimates
    assert not any(r["error"] for r in rows)
    assert all(np.isfinite(r["estimate"]) and r["n"] == 500 for r in rows)
    pure = {r["true_mi"] for r in rows if r["task"] == "student_t-df2-2+2-pure"}
    assert pure == set(SUITE["student_t-df2-2+2-pure"].mi_values)
    assert {r["true_mi"] for r in rows if r["task"] == "swiss_roll-2+1"} == {0.5, 1.0, 2.0}


def tiny_grid_config(**task_changes):
    task = {"generator": "correlated_normal", "dim_x": 1, "dim_y": 1, **task_changes}
    return bench.BenchConfig(
        estimators={"gaussian": {"method": "gaussian"}},
        tasks={"t": task, "u": {"generator": "near_discrete", "levels": 2}},
        mi_grid=[0.0, 0.5, 1.0],
        n=50,
    )


def test_task_mi_grid_restricts_and_round_trips():
    cfg = tiny_grid_config(mi_grid=[1.0, 3.0])
    t = cfg.tasks["t"]
    assert t.mi_grid == (1.0, 3.0) and cfg.task_grid(t) == (1.0,)  # 3.0 is off the grid
    assert [mi for _, mi in cfg.planned(t)] == [1.0]
    assert cfg.n_estimates == 1 + 3
    again = bench.BenchConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again.to_dict() == cfg.to_dict() and again.n_estimates == cfg.n_estimates
    # a coarser benchmark grid thins the task; a task left with no point runs nothing
    assert cfg.replace(mi_grid=[0.0, 0.5]).n_estimates == 2


def test_task_mi_grid_errors():
    with pytest.raises(bench.ConfigError, match=r"task 't': mi_grid values must be finite and >= 0"):
        tiny_grid_config(mi_grid=[-1.0])
    with pytest.raises(bench.ConfigError, match=r"plans no estimate: no task has a point"):
        bench.BenchConfig(
            estimators=["gaussian"],
            tasks={"t": {"generator": "correlated_normal", "dim_x": 1, "dim_y": 1, "mi_grid": [2.0]}},
            mi_grid=[1.0],
        )
    with pytest.raises(bench.ConfigError, match=r"rejects true MI 0.1 nats.*below the smallest MI"):
        bench.BenchConfig(
            estimators=["gaussian"],
            tasks={"t": {"generator": "student_t", "dim_x": 1, "dim_y": 1, "df": 1, "mi_grid": [0.1]}},
            mi_grid=[0.1, 1.0],
            n=50,
        ).validate()


def test_cli_hard_preset(capsys):
    assert bench_main(["--preset", "hard", "--print-config", "--tasks", "near_discrete-K4-1+1"]) == 0
    cap = capsys.readouterr()
    cfg = json.loads(cap.out)
    assert cfg["tasks"]["near_discrete-K4-1+1"]["mi_grid"] == [0.5, 1.0]
    assert f"{2 * 3 * len(HARD_ESTIMATORS)} estimates" in cap.err
    assert bench_main(["--preset", "hard", "--quick", "--print-config"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "hard-quick"


def test_hard_images_preset_is_the_realistic_budget_call():
    images = [t for t in hard_suite() if t.image]
    cfg = bench.preset("hard-images")
    cfg.validate()
    assert cfg.n == 5000 and cfg.seeds == (0, 1, 2)
    assert list(cfg.tasks) == [t.name for t in images]
    assert cfg.n_estimates == 3 * sum(len(t.mi_values) for t in images)
    for task in images:
        spec = cfg.tasks[task.name]
        assert cfg.task_grid(spec) == task.mi_values
        (est,) = cfg.estimators_for(spec)
        opts = cfg.options_for(spec, est)
        latent = draw(task, 1.0, 2, random_state=0).latent_x.shape[1]
        assert est.method == "cksg" and opts["compress"] == "ae" and opts["latent_dim"] == latent
        assert opts["compressor_options"] == {"progress": False}  # the autoencoders' defaults


def test_hard_images_quick_runs(tmp_path):
    cfg = bench.preset("hard-images-quick")
    out = runner.run(cfg, out_dir=tmp_path / "run", progress=False, report=False)
    (row,) = runner.read_results(out)
    assert row["task"] == "images-gaussian_bump-16" and not row["error"]
    # two epochs of training keep some of the 1 nat, never more than the truth by much
    assert -0.1 < row["estimate"] < 1.0 + 3 * row["stderr"]
