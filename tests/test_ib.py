"""The information-plane experiment (pymi.ib): files, resumption, determinism, the noisy model.

Runs on a tiny generated IDX data set (300 random 28x28 images, 3 classes), two
epochs, so that the whole module stays within a few seconds per run.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")

from pymi.ib import ConfigMismatchError, IBConfig, NoisyCNN, RunStore, layer_outputs, run  # noqa: E402
from pymi.ib.estimation import artefact_notes  # noqa: E402
from pymi.ib.plots import MIN_SMOOTH_POINTS, smooth  # noqa: E402
from pymi.ib.storage import read_csv  # noqa: E402

pytestmark = pytest.mark.torch

N_IMAGES, N_TRAIN, N_EVAL, EPOCHS = 300, 200, 90, 2
LAYERS = ("L1", "L2", "L3", "L4", "L5")
TIMING = {
    "seconds",
    "train_seconds",
    "eval_seconds",
    "compress_seconds",
    "estimate_seconds",
    "mi_seconds",
}


def _write_idx(path, array, magic):
    dims = b"".join(struct.pack(">I", s) for s in array.shape)
    path.write_bytes(struct.pack(">I", magic) + dims + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def idx_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    labels = np.arange(N_IMAGES) % 3
    # class-dependent blobs plus noise, so the network has something to learn
    images = rng.integers(0, 80, size=(N_IMAGES, 28, 28))
    for c in range(3):
        images[labels == c, 4 + 7 * c : 11 + 7 * c, 4:24] += 150
    _write_idx(root / "t10k-images-idx3-ubyte", images, 2051)
    _write_idx(root / "t10k-labels-idx1-ubyte", labels, 2049)
    return root


def _config(root, run_dir, **changes):
    base = dict(
        root=str(root),
        n_train=N_TRAIN,
        n_eval=N_EVAL,
        epochs=EPOCHS,
        lr=3e-3,
        batch_size=64,
        input_ae_epochs=1,
        input_ae_batch_size=64,
        device="cpu",
        n_jobs=1,
        seed=3,
        run_dir=str(run_dir),
        progress=False,
    )
    base.update(changes)
    return IBConfig(**base)


def _strip_timing(rows):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


def _same(a, b):
    """Row lists equal, NaN == NaN."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b, strict=True):
        assert ra.keys() == rb.keys()
        for key in ra:
            va, vb = ra[key], rb[key]
            if isinstance(va, float) and math.isnan(va):
                assert isinstance(vb, float) and math.isnan(vb), key
            else:
                assert va == vb, (key, va, vb)


@pytest.fixture(scope="module")
def full_run(idx_root, tmp_path_factory):
    """An uninterrupted two-epoch run, started through the ``pymi ib`` command line."""
    from pymi.cli import main

    run_dir = tmp_path_factory.mktemp("runs") / "full"
    cfg = _config(idx_root, run_dir)
    argv = [
        "ib",
        "--root",
        cfg.root,
        "--n-train",
        str(N_TRAIN),
        "--n-eval",
        str(N_EVAL),
        "--epochs",
        str(EPOCHS),
        "--lr",
        "3e-3",
        "--batch-size",
        "64",
        "--input-ae-epochs",
        "1",
        "--device",
        "cpu",
        "--n-jobs",
        "1",
        "--seed",
        "3",
        "--run-dir",
        str(run_dir),
        "--quiet",
    ]
    # the CLI has no flags for these two; write the matching config through the API instead
    cfg_cli = cfg.replace(input_ae_batch_size=256, progress=None)
    assert main(argv) == 0
    return run_dir, cfg_cli


def test_end_to_end_writes_every_file(full_run):
    run_dir, cfg = full_run
    for name in (
        "config.json",
        "metadata.json",
        "mi.csv",
        "epochs.csv",
        "notes.csv",
        "checkpoint.pt",
        "input_codes.npy",
        "eval_indices.npy",
        "ib_plane.png",
        "ib_mi_epochs.png",
        "ib_training.png",
    ):
        assert (run_dir / name).is_file(), name
    mi = read_csv(run_dir / "mi.csv")
    assert len(mi) == (EPOCHS + 1) * len(LAYERS) * 2
    assert {r["quantity"] for r in mi} == {"I(X;L)", "I(L;Y)"}
    assert all(np.isfinite(r["value"]) and r["stderr"] > 0 and r["seconds"] >= 0 for r in mi)
    epochs = read_csv(run_dir / "epochs.csv")
    assert [r["epoch"] for r in epochs] == list(range(EPOCHS + 1))
    assert math.isnan(epochs[0]["train_loss"]) and all(r["mi_seconds"] > 0 for r in epochs)
    assert json.loads((run_dir / "config.json").read_text()) == cfg.to_dict()
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["sessions"][-1]["status"] == "completed"
    assert {"torch", "numpy", "pymi"} <= set(meta["versions"])
    assert (
        meta["data"]["n_eval"] == N_EVAL
        and meta["timings"]["mi_seconds_per_estimation_epoch_mean"] > 0
    )
    assert np.load(run_dir / "input_codes.npy").shape == (N_EVAL, 4)


def test_same_seed_same_numbers_and_resume_is_exact(full_run, tmp_path, monkeypatch):
    """Stop after epoch 1, crash between epoch 2's rows and its checkpoint, resume: same numbers."""
    run_dir, cfg = full_run
    split = tmp_path / "split"
    split_cfg = cfg.replace(run_dir=str(split))
    run(split_cfg, stop_after=1, plots=False, verbose=False)
    assert [r["epoch"] for r in read_csv(split / "epochs.csv")] == [0, 1]
    assert torch.load(split / "checkpoint.pt", weights_only=True)["epoch"] == 1

    real_save = RunStore.save_checkpoint

    def save_or_crash(self, state):
        if state["epoch"] == 2:
            msg = "simulated interruption after the rows of epoch 2"
            raise KeyboardInterrupt(msg)
        real_save(self, state)

    monkeypatch.setattr(RunStore, "save_checkpoint", save_or_crash)
    with pytest.raises(KeyboardInterrupt):
        run(split_cfg, plots=False, verbose=False)
    assert max(r["epoch"] for r in read_csv(split / "mi.csv")) == 2  # rows already on disk
    monkeypatch.setattr(RunStore, "save_checkpoint", real_save)

    run(split_cfg, plots=False, verbose=False)  # redoes epoch 2; its new rows supersede the old
    _same(_strip_timing(read_csv(split / "mi.csv")), _strip_timing(read_csv(run_dir / "mi.csv")))
    _same(
        _strip_timing(read_csv(split / "epochs.csv")),
        _strip_timing(read_csv(run_dir / "epochs.csv")),
    )
    a = torch.load(split / "checkpoint.pt", weights_only=True)
    b = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert torch.equal(a["torch_rng"], b["torch_rng"])
    sessions = json.loads((split / "metadata.json").read_text())["sessions"]
    assert [s["resumed"] for s in sessions] == [False, True, True]
    assert [s["status"].split(":")[0] for s in sessions] == ["stopped", "interrupted", "completed"]


def test_seed_changes_the_split(idx_root, tmp_path):
    from pymi.ib import load_data

    a = load_data(_config(idx_root, tmp_path, seed=3))
    b = load_data(_config(idx_root, tmp_path, seed=3))
    c = load_data(_config(idx_root, tmp_path, seed=4))
    assert np.array_equal(a.eval_indices, b.eval_indices)
    assert not np.array_equal(a.eval_indices, c.eval_indices)
    assert a.eval_images.shape == (N_EVAL, 28, 28) and a.train_images.shape == (N_TRAIN, 28, 28)
    assert a.eval_images.max() <= 1.0 and a.eval_images.dtype == np.float32


def test_config_mismatch_is_a_clear_error(full_run):
    run_dir, cfg = full_run
    with pytest.raises(ConfigMismatchError, match=r"lr: stored 0\.003, requested 0\.01.*--run-dir"):
        run(cfg.replace(lr=1e-2), plots=False, verbose=False)
    # runtime fields may change: more epochs continue the run
    assert "epochs" not in cfg.identity() and "n_jobs" not in cfg.identity()


def test_cli_config_mismatch_returns_2(full_run, capsys):
    from pymi.cli import main

    run_dir, _ = full_run
    assert main(["ib", "--run-dir", str(run_dir), "--lr", "0.5", "--quiet"]) == 2
    assert "different configuration" in capsys.readouterr().err


def test_noise_is_on_at_inference_and_dropout_only_in_training():
    x = torch.rand(16, 1, 28, 28)
    noisy = NoisyCNN(sigma=1e-3, dropout=0.1).eval()
    assert not torch.equal(noisy(x), noisy(x))  # stochastic at inference
    clean = NoisyCNN(sigma=0.0, dropout=0.5)
    clean.eval()
    assert torch.equal(clean(x), clean(x))  # no noise, dropout off in eval mode
    clean.train()
    torch.manual_seed(0)
    assert not torch.equal(clean(x), clean(x))  # dropout acts in training
    first = [o.shape[1:] for o in clean.forward_layers(x)]
    assert first == [(8, 13, 13), (16, 5, 5), (32, 1, 1), (32,), (10,)]


def test_noise_is_multiplicative_with_the_configured_scale():
    from pymi.ib.model import MultiplicativeNoise

    torch.manual_seed(0)
    x = torch.full((200_000,), 2.0)
    y = MultiplicativeNoise(1e-3).eval()(x)
    assert abs(float(((y - x) / x).std()) - 1e-3) < 2e-5
    assert torch.equal(MultiplicativeNoise(1e-3)(torch.zeros(5)), torch.zeros(5))


def test_layer_outputs_rows_align_with_inputs():
    torch.manual_seed(1)
    model = NoisyCNN(sigma=0.0)
    x = torch.rand(37, 1, 28, 28)
    outs = layer_outputs(model, x, batch_size=8)
    assert [o.shape for o in outs] == [(37, 1352), (37, 400), (37, 32), (37, 32), (37, 10)]
    assert model.training  # the mode is restored
    for i in (0, 9, 36):
        single = [o.flatten(1).detach().numpy() for o in model.eval().forward_layers(x[i : i + 1])]
        for layer, ref in zip(outs, single, strict=True):
            np.testing.assert_allclose(layer[i], ref[0], rtol=1e-5, atol=1e-6)


def test_smoothing_skips_short_series_and_keeps_length():
    assert smooth(np.arange(MIN_SMOOTH_POINTS - 1, dtype=float)) is None
    y = np.sin(np.linspace(0, 3, 40)) + np.random.default_rng(0).normal(0, 0.05, 40)
    s = smooth(y)
    assert s.shape == y.shape and np.abs(s - np.sin(np.linspace(0, 3, 40))).max() < 0.1


def test_estimates_above_log10_are_flagged():
    rows = [
        {"epoch": 3, "layer": "L5", "quantity": "I(L;Y)", "value": 2.4, "stderr": 0.05},
        {"epoch": 3, "layer": "L5", "quantity": "I(X;L)", "value": 5.0, "stderr": 0.05},
        {"epoch": 3, "layer": "L4", "quantity": "I(L;Y)", "value": 2.2, "stderr": 0.05},
    ]
    notes = artefact_notes(rows)
    assert len(notes) == 1 and "epoch 3 L5" in notes[0] and "artefact" in notes[0]


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("data", "cifar", r"data must be one of \['mnist', 'fashion'\]; got data='cifar'"),
        ("layer_compressor", "tsne", r"layer_compressor must be one of"),
        ("n_eval", 0, r"n_eval must be a positive int; got n_eval=0"),
        ("lr", -1.0, r"lr must be a positive finite number"),
        ("sigma", -1e-3, r"sigma must be a finite number >= 0"),
        ("n_jobs", -2, r"n_jobs must be -1"),
        ("estimator_options", {"k": 3}, r"estimator_options must not set \['k'\]"),
        ("label_estimator", "foo", r"label_estimator must be one of \[.*'ksg'.*\] \(or None.*got label_estimator='foo'"),
    ],
)
def test_config_validation(field, value, match):
    with pytest.raises(ValueError, match=match):
        IBConfig(**{field: value})


def test_too_few_images_is_a_clear_error(idx_root, tmp_path):
    cfg = _config(idx_root, tmp_path / "big", n_train=250, n_eval=100)
    with pytest.raises(ValueError, match=r"n_eval=100 \+ n_train=250 exceed the 300 images"):
        run(cfg, plots=False, verbose=False)


def test_label_estimator_is_used_for_i_l_y_only():
    """label_estimator='ksg' replaces the estimator of I(L;Y) (Ross 2014, k as
    configured) and leaves I(X;L) as it was."""
    import pymi
    from pymi.ib.estimation import estimate_layers

    rng = np.random.default_rng(3)
    n = 600
    labels = rng.integers(0, 3, n)
    outputs = [rng.standard_normal((n, 6)) + labels[:, None], rng.standard_normal((n, 5))]
    x_codes = rng.standard_normal((n, 4))
    cfg_kw = dict(device="cpu", layer_dim=2, n_jobs=1)
    base, _, _ = estimate_layers(outputs, x_codes, labels, IBConfig(**cfg_kw), epoch=1)
    ksg, _, _ = estimate_layers(
        outputs, x_codes, labels, IBConfig(label_estimator="ksg", **cfg_kw), epoch=1
    )
    by = lambda rows: {(r["layer"], r["quantity"]): r["value"] for r in rows}  # noqa: E731
    b, s = by(base), by(ksg)
    for layer in ("L1", "L2"):
        assert s[(layer, "I(X;L)")] == b[(layer, "I(X;L)")]
        assert s[(layer, "I(L;Y)")] != b[(layer, "I(L;Y)")]
    # the same number as Ross's estimator called directly on the same codes
    from pymi.compression import PCA

    codes = PCA(2).fit_transform(outputs[0])
    direct = pymi.mutual_information(codes, labels, method="ksg", k=5, discrete_y=True)
    assert s[("L1", "I(L;Y)")] == pytest.approx(direct.value, abs=0.05)
    # L1 carries the labels, L2 is independent noise
    assert s[("L1", "I(L;Y)")] > 0.5 > abs(s[("L2", "I(L;Y)")])
    with pytest.raises(TypeError, match="label_estimator must be a method name"):
        IBConfig(label_estimator=3)


def test_run_from_before_a_new_config_field_resumes(full_run, tmp_path):
    """A config.json written before a field existed (here label_estimator) stands
    for that field's default: resuming with the default works, asking for another
    value is a mismatch."""
    import shutil

    run_dir, cfg = full_run
    old_dir = tmp_path / "old"
    shutil.copytree(run_dir, old_dir)
    stored = json.loads((old_dir / "config.json").read_text())
    del stored["label_estimator"]
    (old_dir / "config.json").write_text(json.dumps(stored))
    run(cfg.replace(run_dir=str(old_dir)), plots=False, verbose=False)  # nothing left to do
    with pytest.raises(ConfigMismatchError, match=r"label_estimator: stored None, requested 'ksg'"):
        run(cfg.replace(run_dir=str(old_dir), label_estimator="ksg"), plots=False, verbose=False)


# --- regressions from the session-4 review -----------------------------------


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"estimator": "foo"}, r"method must be one of .*got 'foo'"),
        ({"estimator_options": {"bogus": 1}}, r"estimator_options \{'bogus': 1\} do not fit estimator='kl'"),
        ({"n_eval": 10**6}, r"n_eval=1000000 \+ n_train=.* exceed"),
        ({"estimator": "wkl", "layer_dim": 8}, r"weighted KL .* d=12 dimensions"),
    ],
)
def test_setup_errors_write_nothing(idx_root, tmp_path, changes, pattern):
    # the folder used to be written first, then the run failed and the bad
    # config.json blocked every corrected rerun
    from pymi.ib.experiment import RunSetupError

    run_dir = tmp_path / "r"
    with pytest.raises(RunSetupError, match=pattern):
        run(_config(idx_root, run_dir, **changes), plots=False, verbose=False)
    assert not run_dir.exists()


def test_missing_data_writes_nothing(tmp_path):
    from pymi.ib.experiment import RunSetupError

    run_dir = tmp_path / "r"
    with pytest.raises(RunSetupError, match=r"mnist test split \(IDX files\) was not found in .*nowhere.*--root DIR"):
        run(_config(str(tmp_path / "nowhere"), run_dir), plots=False, verbose=False)
    assert not run_dir.exists()


def test_second_process_on_a_run_folder_is_refused(idx_root, tmp_path, capsys):
    from test_runs import hold_lock

    from pymi.cli import main
    from pymi.runs import RunFolderInUseError

    run_dir = tmp_path / "r"
    run_dir.mkdir()
    argv = ["ib", "--root", str(idx_root), "--run-dir", str(run_dir), "--device", "cpu", "--quiet",
            "--n-train", str(N_TRAIN), "--n-eval", str(N_EVAL)]  # fmt: skip
    with hold_lock(run_dir) as pid:
        with pytest.raises(RunFolderInUseError, match=rf"in use by process {pid}\b"):
            run(_config(idx_root, run_dir), plots=False, verbose=False)
        assert sorted(p.name for p in run_dir.iterdir()) == [".lock", ".lock.owner"]
        assert main(argv) == 2
    assert "in use by process" in capsys.readouterr().err


def test_cli_setup_error_and_plots_only_typo_return_2(idx_root, tmp_path, capsys):
    from pymi.cli import main

    assert main(["ib", "--root", str(idx_root), "--run-dir", str(tmp_path / "a"), "--estimator", "foo"]) == 2
    assert "pymi ib: method must be one of" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    assert main(["ib", "--plots-only", "--run-dir", str(tmp_path / "typo")]) == 2
    assert "is not one: check --run-dir" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_sigterm_becomes_an_interrupt():
    import os
    import signal

    from pymi.ib.cli import _sigterm_as_interrupt

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="signal"), _sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before  # restored, not leaked


@pytest.mark.parametrize(
    ("shape", "label_max", "pattern"),
    [((32, 32), 2, r"have shape \(32, 32\), but the classifier .* takes 28x28"),
     ((28, 28), 12, r"labels .* range over 0\.\.12, but the classifier has 10 outputs")],
)
def test_data_that_does_not_fit_the_classifier(tmp_path, shape, label_max, pattern):
    from pymi.ib.experiment import RunSetupError

    root = tmp_path / "idx"
    root.mkdir()
    n = 300
    _write_idx(root / "t10k-images-idx3-ubyte", np.zeros((n, *shape), dtype=np.uint8), 2051)
    _write_idx(root / "t10k-labels-idx1-ubyte", (np.arange(n) % (label_max + 1)).astype(np.uint8), 2049)
    with pytest.raises(RunSetupError, match=pattern):
        run(_config(str(root), tmp_path / "r"), plots=False, verbose=False)
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------ damaged run folders


def _stopped_run(idx_root, run_dir, epoch=0):
    cfg = _config(idx_root, run_dir, epochs=1)
    run(cfg, stop_after=epoch, plots=False, verbose=False)
    return cfg


def test_torn_last_row_of_mi_csv_does_not_break_the_next_run(idx_root, tmp_path, full_run):
    """Non-regression: a torn last row of mi.csv made every later run fail
    ("could not convert string to float: 'L1'")."""
    ref = tmp_path / "ref"
    run(_config(idx_root, ref, epochs=1), plots=False, verbose=False)
    run_dir = tmp_path / "r"
    cfg = _stopped_run(idx_root, run_dir)
    with open(run_dir / "mi.csv", "a") as fh:
        fh.write("1,L")  # the crash cut a write short
    run(cfg, plots=False, verbose=False)
    assert (run_dir / "mi.csv").read_text().count("\n1,L1,I(X;L),") == 1
    _same(_strip_timing(read_csv(run_dir / "mi.csv")), _strip_timing(read_csv(ref / "mi.csv")))


def test_damage_in_the_middle_of_mi_csv_is_one_line_and_kept(idx_root, tmp_path, capsys):
    from pymi.cli import main
    from pymi.runs import RunFileError

    run_dir = tmp_path / "r"
    cfg = _stopped_run(idx_root, run_dir)
    lines = (run_dir / "mi.csv").read_text().splitlines(keepends=True)
    lines[2] = "0,L1\n"
    (run_dir / "mi.csv").write_text("".join(lines))
    with pytest.raises(RunFileError, match=r"mi.csv', line 3 \(MI per epoch and layer\): 2 fields instead of 6"):
        run(cfg, plots=False, verbose=False)
    assert (run_dir / "mi.csv").read_text() == "".join(lines)  # history never overwritten
    argv = ["ib", "--root", str(idx_root), "--run-dir", str(run_dir), "--epochs", "1", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pymi ib: ") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("damage", "pattern"),
    [
        ("metadata_corrupt", r"metadata.json' \(the run's history\) is not valid JSON .*repair it or move it away"),
        ("config_binary", r"config.json' \(the run's configuration\) is not UTF-8 text"),
        ("config_folder", r"config.json' \(the run's configuration\) is a folder, not a file"),
        ("checkpoint_empty", r"checkpoint.pt' \(the checkpoint of the last epoch\) is empty \(0 bytes\); delete it"),
        ("checkpoint_crafted", r"checkpoint.pt' .* holds objects other than tensors .*pymi never runs code"),
        ("codes_objects", r"input_codes.npy' .* holds Python objects"),
        ("epochs_folder", r"epochs.csv' \(training per epoch\): is a folder"),
    ],
)
def test_damaged_or_misplaced_files_are_one_line_errors(idx_root, tmp_path, monkeypatch, capsys, damage, pattern):
    """Non-regression: raw UnicodeDecodeError, IsADirectoryError, EOFError tracebacks; a
    corrupt metadata.json silently replaced."""
    import shutil

    from pymi.cli import main
    from pymi.runs import RunFileError

    run_dir = tmp_path / "r"
    cfg = _stopped_run(idx_root, run_dir)
    marker = tmp_path / "pwned"
    monkeypatch.setenv("PYMI_TEST_MARKER", str(marker))
    if damage == "metadata_corrupt":
        (run_dir / "metadata.json").write_text('{"sessions": [')
    elif damage == "config_binary":
        (run_dir / "config.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff")
    elif damage == "config_folder":
        (run_dir / "config.json").unlink()
        (run_dir / "config.json").mkdir()
    elif damage == "checkpoint_empty":
        (run_dir / "checkpoint.pt").write_bytes(b"")
    elif damage == "checkpoint_crafted":
        from test_runs import _RunsCode

        torch.save({"epoch": 0, "model": _RunsCode(), "optimizer": {}}, run_dir / "checkpoint.pt")
    elif damage == "codes_objects":
        from test_runs import _RunsCode

        np.save(run_dir / "input_codes.npy", np.array([_RunsCode()], dtype=object), allow_pickle=True)
    elif damage == "epochs_folder":
        (run_dir / "epochs.csv").unlink()
        (run_dir / "epochs.csv").mkdir()
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    with pytest.raises(RunFileError, match=pattern):
        run(cfg, plots=False, verbose=False)
    after = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file() and p.name in before}
    if damage in ("metadata_corrupt", "config_binary", "config_folder", "epochs_folder"):
        assert after == before  # refused before anything is written
    argv = ["ib", "--root", str(idx_root), "--run-dir", str(run_dir), "--n-train", str(N_TRAIN),
            "--n-eval", str(N_EVAL), "--epochs", "1", "--lr", "3e-3", "--batch-size", "64",
            "--input-ae-epochs", "1", "--device", "cpu", "--seed", "3", "--quiet"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pymi ib: ") and len(err.strip().splitlines()) == 1, err
    assert not marker.exists()
    shutil.rmtree(run_dir, ignore_errors=True)


def test_run_dir_that_is_a_file_is_one_line(idx_root, tmp_path, capsys):
    """Non-regression: a --run-dir that is a file gave a FileExistsError traceback."""
    from pymi.cli import main
    from pymi.runs import RunFolderError

    (tmp_path / "afile").write_text("x")
    with pytest.raises(RunFolderError, match=r"afile' exists and is not a folder; pass run_dir \(--run-dir\)"):
        run(_config(idx_root, tmp_path / "afile"), plots=False, verbose=False)
    argv = ["ib", "--root", str(idx_root), "--run-dir", str(tmp_path / "afile"), "--quiet",
            "--n-train", str(N_TRAIN), "--n-eval", str(N_EVAL)]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pymi ib: ") and "not a folder" in err and len(err.strip().splitlines()) == 1


def test_result_files_follow_the_umask(full_run):
    """Non-regression: config.json, metadata.json, checkpoint.pt and .npy files were 0600."""
    import stat

    run_dir, _ = full_run
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in run_dir.iterdir() if p.is_file() and p.name != ".lock"}
    assert modes["config.json"] == modes["mi.csv"] == modes["ib_plane.png"], modes
    assert len(set(modes.values())) == 1, modes


# ------------------------------------------------------------------ messages and figures


def test_epoch_lines_name_both_quantities_and_the_unit(idx_root, tmp_path, capsys):
    run(_config(idx_root, tmp_path / "r", epochs=1), plots=False, verbose=True)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch ")]
    assert len(lines) == 2
    for line in lines:
        assert "nats: L1 I(X;L)=" in line and " I(L;Y)=" in line
        assert all(f"{layer} I(X;L)=" in line for layer in LAYERS)


def _mi_rows(n_epochs, offset):
    rows = []
    for e in range(n_epochs):
        for q, v in (("I(X;L)", 1.0 + 0.1 * e + offset), ("I(L;Y)", 0.5 + 0.05 * e + offset)):
            rows.append({"epoch": e, "layer": "L1", "quantity": q, "value": v, "stderr": 0.05, "seconds": 0.0})
    return rows


def test_information_plane_legend_zero_and_negative_note():
    from pymi.ib.plots import plane_figure

    fig = plane_figure(_mi_rows(MIN_SMOOTH_POINTS + 2, 0.0), n_eval=90)
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "smoothed (Savitzky-Golay + low-pass)" in labels and "zero" in labels and "H(Y) = log 10" in labels
    ax = fig.axes[0]
    zero_lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert {tuple(ln.get_ydata()) for ln in zero_lines} >= {(0.0, 0.0)}
    assert {tuple(ln.get_xdata()) for ln in zero_lines} >= {(0.0, 0.0)}
    assert not [t for t in fig.texts if "bias" in t.get_text()]  # all positive: no note
    negative = plane_figure(_mi_rows(3, -2.0), n_eval=90)
    notes = [t.get_text() for t in negative.texts if "bias" in t.get_text()]
    assert notes == ["Values below zero are estimator bias at small n (n = 90): the true MI is >= 0."]
    assert "smoothed (Savitzky-Golay + low-pass)" not in [
        t.get_text() for leg in negative.legends for t in leg.get_texts()
    ]  # 3 epochs: too few to smooth, no legend entry for a line that is not drawn


def test_fashion_without_files_names_the_real_fixes(tmp_path, monkeypatch, capsys):
    """Non-regression: `pymi ib --data fashion` suggested download=True, which the CLI lacks."""
    from pymi.cli import main
    from pymi.datasets import mnist

    monkeypatch.setattr(mnist, "FASHION_DIR", tmp_path / "no-fashion")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["ib", "--data", "fashion", "--run-dir", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "download" not in err
    assert "apt-get install dataset-fashion-mnist" in err and "--root DIR" in err
    assert not (tmp_path / "r").exists()
