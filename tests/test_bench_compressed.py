"""Compressed estimation in ``pymi bench``: one compressor per task, trained once, cached, resumable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from pymi import bench
from pymi.bench import compressed, compute, runner
from pymi.bench.cli import main as bench_main
from pymi.compression.base import Compressor
from pymi.runs import RunFileError, UnsafeFileError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
AE = {
    "method": "ae",
    "latent_dim": 2,
    "n_train": 240,
    "options": {"channels": [2, 4], "batch_size": 64, "max_steps": 4, "max_epochs": 100,
                "n_jobs": 1, "device": "cpu"},
}  # fmt: skip
PCA = {"method": "pca", "latent_dim": 2, "n_train": 240}


def image_config(**changes):
    """gaussian_bump 8x8, an AE and a PCA, 3 grid points x 2 seeds, n=200."""
    data = {
        "name": "tiny-images",
        "estimators": {
            "ae+kl": {"method": "kl", "k": 3, "codes": "ae", "n_jobs": 1},
            "ae+wkl": {"method": "wkl", "k": 5, "codes": "ae", "n_jobs": 1},
            "pca+kl": {"method": "kl", "k": 3, "codes": "pca", "n_jobs": 1},
            "ksg-raw": {
                "method": "ksg",
                "k": 3,
                "whiten": False,
                "n_jobs": 1,
                "mi_grid": [0.0, 4.0],
            },
        },
        "tasks": {
            "bump8": {
                "generator": "gaussian_bump",
                "size": 8,
                "compressors": {"ae": AE, "pca": PCA},
            },
        },
        "mi_grid": [0.0, 2.0, 4.0],
        "n": 200,
        "seeds": [0, 1],
    }
    data.update(changes)
    return bench.BenchConfig.from_dict(data)


@pytest.fixture
def fits(monkeypatch):
    """Count Compressor.fit calls (by class name)."""
    calls: list[str] = []
    original = Compressor.fit

    def counting(self, x):
        calls.append(type(self).__name__)
        return original(self, x)

    monkeypatch.setattr(Compressor, "fit", counting)
    return calls


def read_rows(out):
    with open(Path(out) / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_compressor_trained_once_per_task_and_reused(tmp_path, fits):
    cfg = image_config()
    assert cfg.n_estimates == 3 * 3 * 2 + 2 * 2  # 3 coded estimators x 3 MI x 2 seeds + ksg on 2 MI
    out = bench.run(cfg, out_dir=tmp_path / "run", progress=False, report=False)
    assert sorted(fits) == ["ConvAutoencoder", "PCA"]  # 12 data sets, one fit each
    rows = read_rows(out)
    assert len(rows) == cfg.n_estimates
    assert all(r["error"] == "" for r in rows), [r["error"] for r in rows if r["error"]]
    ksg = sorted(float(r["true_mi"]) for r in rows if r["estimator"] == "ksg-raw")
    assert ksg == [0.0, 0.0, 4.0, 4.0]
    meta = json.loads((out / "metadata.json").read_text())
    info = meta["compressors"]["bump8"]
    assert info["ae"]["source"] == "fitted" and info["ae"]["n_steps"] == 4
    assert info["pca"]["source"] == "fitted"
    assert (out / "compressors" / "bump8.ae.pt").exists()
    assert (out / "compressors" / "bump8.pca.npz").exists()
    assert json.loads((out / "compressors" / "bump8.ae.json").read_text())["n_train"] == 240


def test_resume_loads_cache_without_retraining(tmp_path, fits):
    cfg = image_config(seeds=[0])
    out = bench.run(cfg, out_dir=tmp_path / "run", progress=False, report=False)
    first = {(r["estimator"], r["true_mi"]): r["estimate"] for r in read_rows(out)}
    assert len(fits) == 2
    # drop every row but the first two (an interrupted run), then resume
    lines = (out / "results.csv").read_text().splitlines(keepends=True)
    (out / "results.csv").write_text("".join(lines[:3]))
    bench.run(cfg, out_dir=out, progress=False, report=False)
    assert len(fits) == 2  # nothing retrained
    again = {(r["estimator"], r["true_mi"]): r["estimate"] for r in read_rows(out)}
    assert again == first  # the cached encoders give the same codes
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["sessions"][-1]["compressors"]["bump8"]["ae"]["source"] == "cache"
    assert meta["compressors"]["bump8"]["ae"]["fit_seconds"] > 0  # kept from the first session


def fit_and_cache(out, cfg, name, task="bump8"):
    """Train one compressor as the driver does (a pure job) and store it in ``out``."""
    res = compute.fit_compressor(compute.FitJob(cfg, task, name))
    assert not res.error, res.error
    spec = cfg.tasks[task].compressor_specs[name]
    return compressed.write_cache(compressed.cache_stem(out, task, name), spec, res.blob, res.suffix, res.details)


def load_cached(out, cfg, name, task="bump8"):
    t = cfg.tasks[task]
    spec = t.compressor_specs[name]
    seed = int(spec.seed(task).generate_state(1)[0])
    return compressed.load_compressor(spec, compressed.cache_stem(out, task, name), (8, 8), seed)


def test_cached_compressor_reproduces_codes(tmp_path):
    cfg = image_config()
    x = cfg.tasks["bump8"].sample(3.0, 50, 7).x
    codes = {}
    for name in ("ae", "pca"):
        res = compute.fit_compressor(compute.FitJob(cfg, "bump8", name))
        spec = cfg.tasks["bump8"].compressor_specs[name]
        comp = compressed.deserialize_compressor(res.blob, res.suffix, spec, (8, 8), 0, where=name)
        codes[name] = comp.transform(x)
        compressed.write_cache(compressed.cache_stem(tmp_path, "bump8", name), spec, res.blob, res.suffix, res.details)
    for name in ("ae", "pca"):
        np.testing.assert_allclose(load_cached(tmp_path, cfg, name).transform(x), codes[name], rtol=1e-5, atol=1e-6)
    assert load_cached(tmp_path / "nothing", cfg, "ae") is None


def test_cache_of_another_spec_is_refused(tmp_path):
    cfg = image_config()
    fit_and_cache(tmp_path, cfg, "pca")
    other = image_config(tasks={"bump8": {"generator": "gaussian_bump", "size": 8, "compressors": {"pca": {**PCA, "n_train": 300}}}},
                         estimators={"pca+kl": {"method": "kl", "codes": "pca"}})  # fmt: skip
    with pytest.raises(RunFileError, match="was trained for"):
        load_cached(tmp_path, other, "pca")
    # the run refuses the folder before computing anything, with one line on the command line
    with pytest.raises(RunFileError, match="was trained for"):
        bench.run(other, out_dir=tmp_path, progress=False, report=False)


def test_training_images_come_from_the_marginal_and_are_fresh():
    cfg = image_config()
    task = cfg.tasks["bump8"]
    spec = task.compressor_specs["ae"]
    a = compressed.training_images(task, spec)
    assert a.shape == (240, 8, 8)
    np.testing.assert_array_equal(a, compressed.training_images(task, spec))  # seeded
    pca_imgs = compressed.training_images(task, task.compressor_specs["pca"])
    assert not np.array_equal(a, pca_imgs)  # each compressor its own fresh draw
    evaluation = task.sample(0.0, 120, runner._seed_sequence("bump8", 0.0, 0)).x
    assert not np.any(np.all(a[:120] == evaluation, axis=(1, 2)))


def test_config_errors():
    with pytest.raises(bench.ConfigError, match="defines no such compressor"):
        image_config(estimators={"x": {"method": "kl", "codes": "nope"}})
    with pytest.raises(bench.ConfigError, match="method must be one of"):
        image_config(tasks={"t": {"generator": "gaussian_bump", "size": 8, "compressors": {"ae": {"method": "vae", "latent_dim": 2}}}})  # fmt: skip
    with pytest.raises(bench.ConfigError, match="unknown keys"):
        image_config(tasks={"t": {"generator": "gaussian_bump", "size": 8, "compressors": {"ae": {**AE, "channels": [2]}}}})  # fmt: skip
    with pytest.raises(bench.ConfigError, match="subset"):
        image_config(estimators={"ksg": {"method": "ksg", "mi_grid": [1.0]}})
    bad_opt = image_config(tasks={"t": {"generator": "gaussian_bump", "size": 8, "compressors": {"ae": {**AE, "options": {"chanels": [2]}}}}},  # fmt: skip
                           estimators={"ae+kl": {"method": "kl", "codes": "ae"}})  # fmt: skip
    with pytest.raises(bench.ConfigError, match="pymi rejects"):
        bad_opt.validate()


def test_images_presets_parse():
    quick = bench.preset("images-quick")
    quick.validate()
    assert list(quick.tasks) == ["gaussian_bump-16"]
    assert quick.n_estimates == 11 * len(quick.estimators)
    full = bench.preset("images")
    full.validate()
    assert set(full.tasks) == {
        "gaussian_bump-16",
        "rectangles-16",
        "rectangles-32",
        "correlated_bump-32",
    }
    assert full.n == 5000 and len(full.mi_grid) == 41
    dims = {t: s.compressor_specs["ae"].latent_dim for t, s in full.tasks.items()}
    assert dims == {
        "gaussian_bump-16": 2,
        "rectangles-16": 4,
        "rectangles-32": 4,
        "correlated_bump-32": 5,
    }
    assert full.estimators["ae+mine"].grid == tuple(float(v) for v in range(11))
    # round trip through config.json
    again = bench.BenchConfig.from_dict(json.loads(json.dumps(full.to_dict())))
    assert again.to_dict() == full.to_dict()


def test_cli_images_quick_prints_config(capsys):
    assert bench_main(["--preset", "images", "--quick", "--print-config"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["name"] == "images-quick"


def test_tiny_end_to_end_writes_csv_tables_and_figure(tmp_path):
    cfg = image_config(seeds=[0], mi_grid=[0.0, 4.0])
    out = bench.run(cfg, out_dir=tmp_path / "run", progress=False)
    assert len(read_rows(out)) == cfg.n_estimates
    assert (out / "bump8.png").read_bytes()[:8] == PNG_MAGIC
    md = (out / "summary-ranges.md").read_text()
    assert "MAE 0-6" in md and "ae+wkl" in md and "compressor `ae`" in md
    with open(out / "summary-ranges.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert {r["estimator"] for r in table} == set(cfg.estimators)
    assert all(r["n_0-6"] in ("1", "2") for r in table)


# --- regressions from the session-4 review -----------------------------------


def test_unequal_dims_with_a_compressor_are_refused_at_validation():
    cfg = image_config(
        tasks={"g": {"generator": "correlated_normal", "dim_x": 8, "dim_y": 4, "compressors": {"pca": PCA}}},
        estimators={"pca+kl": {"method": "kl", "k": 3, "codes": "pca"}},
    )
    with pytest.raises(bench.ConfigError, match=r"one compressor encodes both X and Y.*\(8,\) vs \(4,\)"):
        cfg.validate()


def test_student_t_compressor_trains_at_the_smallest_valid_mi():
    from pymi.datasets.student import student_t_mi_correction

    cfg = image_config(
        tasks={"t": {"generator": "student_t", "dim_x": 8, "dim_y": 8, "df": 3, "compressors": {"pca": PCA}}},
        estimators={"pca+kl": {"method": "kl", "k": 3, "codes": "pca"}},
        mi_grid=[1.0, 2.0],
    )
    cfg.validate()
    task = cfg.tasks["t"]
    assert compressed._smallest_mi(task) == pytest.approx(student_t_mi_correction(3, 8, 8))
    images = compressed.training_images(task, task.compressor_specs["pca"])
    assert images.shape == (240, 8) and np.all(np.isfinite(images))


def test_compression_options_pass_estimator_validation():
    cfg = image_config(
        tasks={"g": {"generator": "correlated_normal", "dim_x": 8, "dim_y": 8}},
        estimators={
            "pca+kl": {
                "method": "kl", "k": 3, "compress": "pca", "latent_dim": 2, "train_fraction": 0.7,
                "shared": True, "compressor_options": {},
            }
        },
    )  # fmt: skip
    cfg.validate()


class _RunsCode:
    """A pickle payload that would run code when unpickled."""

    def __reduce__(self):
        return (Path.touch, (Path(__file__).parent / "_pwned_marker",))


def test_crafted_pickle_in_a_compressor_cache_is_refused_and_never_runs(tmp_path, capsys):
    """Non-regression: `pymi bench --out <folder>` ran a shell command from a crafted compressors/*.pt."""
    import torch

    cfg = image_config(seeds=[0], mi_grid=[0.0, 4.0])
    out = bench.run(cfg, out_dir=tmp_path / "run", progress=False, report=False)
    cache = out / "compressors" / "bump8.ae.pt"
    marker = Path(__file__).parent / "_pwned_marker"
    torch.save({"format": 2, "payload": _RunsCode()}, cache)
    (out / "results.csv").write_text((out / "results.csv").read_text().splitlines()[0] + "\n")
    with pytest.raises(UnsafeFileError, match="cannot be loaded safely.*never runs code.*delete it"):
        bench.run(cfg, out_dir=out, progress=False, report=False)
    assert not marker.exists()
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(cfg.to_dict()))
    assert bench_main([str(cfg_path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("pymi bench: error: ")
    assert not marker.exists()


def test_committed_compressor_caches_load_without_pickle():
    import torch

    root = Path(__file__).parents[1] / "benchmarks" / "results"
    files = sorted(root.rglob("*.pt"))
    assert files
    for path in files:
        state = torch.load(path, map_location="cpu", weights_only=True)
        assert state["format"] == 2
