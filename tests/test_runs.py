"""The run-folder layer ``pymi.runs``: lock, atomic files, append-only tables, typed errors."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import pickle
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pymi.runs import (
    ConfigMismatchError,
    RunFileError,
    RunFolderError,
    RunFolderInUseError,
    Table,
    UnsafeFileError,
    atomic_write_json,
    blas_threads,
    ensure_config,
    ensure_folder,
    format_cell,
    load_npy,
    load_torch,
    read_json,
    run_lock,
    save_npy,
)

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pymi.runs import run_lock
    with run_lock(sys.argv[1], "--out"):
        print("held", flush=True)
        sys.stdin.readline()
    """
)


@contextlib.contextmanager
def hold_lock(folder):
    """A separate process holds ``folder``'s run lock for the block; yields its pid.

    It runs in the temporary directory: from a checkout's root ``python -c`` would import the
    source tree's ``pymi`` instead of the installed package.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc.pid
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()


# ----------------------------------------------------------------------------- lock


def _contender(folder, start, hold, results):
    """Wait for the start signal, try the lock once, report, and hold a winner until told."""
    start.wait()
    try:
        with run_lock(folder, "--out"):
            results.put("won")
            hold.wait()
    except RunFolderInUseError:
        results.put("refused")


@pytest.mark.parametrize("round_", range(2))
def test_50_simultaneous_starts_on_a_stale_folder_have_exactly_one_winner(tmp_path, round_):
    """Non-regression: the PID-file lock's stale takeover let two processes in (2 of 15 starts)."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / ".lock").write_text("999999999")  # left behind by a process that died
    (folder / ".lock.owner").write_text("999999999@elsewhere\n")
    ctx = multiprocessing.get_context("fork")
    start, hold, results = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_contender, args=(folder, start, hold, results)) for _ in range(50)]
    for p in procs:
        p.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in procs]
    hold.set()
    for p in procs:
        p.join(timeout=60)
    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("refused") == 49
    with run_lock(folder, "--out"):  # released by the winner: free again
        pass


def test_lock_is_freed_when_its_process_dies(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    assert proc.stdout.readline().strip() == "held"
    with pytest.raises(RunFolderInUseError, match=rf"in use by process {proc.pid}\b.*--out"):
        with run_lock(tmp_path, "--out"):
            pass
    proc.kill()
    proc.wait(timeout=30)
    proc.stdin.close()
    proc.stdout.close()
    with run_lock(tmp_path, "--out"):  # no takeover logic: the kernel freed the lock
        pass


def test_nested_lock_in_one_process_is_refused(tmp_path):
    with run_lock(tmp_path, "--out"):
        with pytest.raises(RunFolderInUseError, match="already in use by this process"):
            with run_lock(tmp_path, "--out"):
                pass
    with run_lock(tmp_path, "--out"):
        pass


def test_run_folder_errors_are_value_errors():
    for cls in (RunFolderInUseError, ConfigMismatchError, RunFileError, UnsafeFileError):
        assert issubclass(cls, RunFolderError) and issubclass(cls, ValueError)


# ----------------------------------------------------------------------------- files


def test_atomic_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_json(tmp_path / "a.json", {"x": 1})
        save_npy(tmp_path / "a.npy", np.arange(3))
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    want = stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert want == 0o644
    for name in ("a.json", "a.npy"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == want, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.npy", "plain.txt"]


def test_read_json_turns_every_damage_into_one_typed_line(tmp_path):
    fix = "move it away"
    assert read_json(tmp_path / "missing.json", what="x", fix=fix) is None
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(
        RunFileError, match=r"bin.json' \(x\) is not UTF-8 text \(byte 0 is 0xff\); move"
    ):
        read_json(tmp_path / "bin.json", what="x", fix=fix)
    (tmp_path / "bad.json").write_text('{"a": ')
    with pytest.raises(RunFileError, match=r"bad.json' \(x\) is not valid JSON \(.*line 1"):
        read_json(tmp_path / "bad.json", what="x", fix=fix)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(RunFileError, match=r"dir.json' \(x\) is a folder, not a file"):
        read_json(tmp_path / "dir.json", what="x", fix=fix)


def test_ensure_folder_names_the_file_in_the_way(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(
        RunFolderError, match=r"'.*afile' exists and is not a folder; pass --run-dir"
    ):
        ensure_folder(tmp_path / "afile", option="--run-dir")
    with pytest.raises(RunFolderError, match=r"'.*afile' exists and is not a folder"):
        ensure_folder(tmp_path / "afile" / "sub", option="--out")
    assert ensure_folder(tmp_path / "new" / "run", option="--out").is_dir()


def test_ensure_config_writes_checks_and_reports_differences(tmp_path):
    path = tmp_path / "config.json"
    assert ensure_config(path, {"n": 1, "t": (1, 2)}, option="--out") is False
    assert ensure_config(path, {"n": 1, "t": [1, 2]}, option="--out") is True  # tuples as lists
    with pytest.raises(
        ConfigMismatchError, match=r"\(n: stored 1, requested 2\).*pass a new folder \(--out\)"
    ):
        ensure_config(path, {"n": 2, "t": [1, 2]}, option="--out")
    with pytest.raises(ConfigMismatchError, match=r"u: added"):
        ensure_config(path, {"n": 1, "t": [1, 2], "u": 0}, option="--out")
    # compared keys only; a key missing from the file stands for its default
    assert ensure_config(path, {"n": 1, "t": [1, 2], "epochs": 9}, option="--x", compare=["n"])
    assert json.loads(path.read_text())["epochs"] == 9
    assert ensure_config(
        path, {"n": 1, "k": 5}, option="--x", compare=["n", "k"], defaults={"k": 5}
    )
    path.write_text("[1, 2]")
    with pytest.raises(RunFileError, match="holds a JSON list, not a table"):
        ensure_config(path, {"n": 1}, option="--out")


class _RunsCode:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["PYMI_TEST_MARKER"]),))


def test_crafted_pickle_in_a_torch_file_is_refused_and_never_runs(tmp_path, monkeypatch):
    import torch

    marker = tmp_path / "pwned"
    monkeypatch.setenv("PYMI_TEST_MARKER", str(marker))
    torch.save({"model": _RunsCode()}, tmp_path / "checkpoint.pt")
    with pytest.raises(
        UnsafeFileError,
        match=r"checkpoint.pt' \(ckpt\) holds objects other than tensors.*refuses it; fix",
    ):
        load_torch(tmp_path / "checkpoint.pt", what="ckpt", fix="fix")
    assert not marker.exists()
    (tmp_path / "raw.pt").write_bytes(pickle.dumps(_RunsCode()))  # a bare pickle, not a torch zip
    with pytest.raises(RunFileError, match=r"raw.pt' \(ckpt\)"):
        load_torch(tmp_path / "raw.pt", what="ckpt", fix="fix")
    assert not marker.exists()
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(RunFileError, match=r"empty.pt' \(ckpt\) is empty \(0 bytes\); fix"):
        load_torch(tmp_path / "empty.pt", what="ckpt", fix="fix")
    (tmp_path / "torn.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(RunFileError, match=r"torn.pt' \(ckpt\) is not a valid PyTorch file"):
        load_torch(tmp_path / "torn.pt", what="ckpt", fix="fix")
    assert load_torch(tmp_path / "absent.pt", what="ckpt", fix="fix") is None


def test_object_arrays_in_npy_are_refused(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("PYMI_TEST_MARKER", str(marker))
    np.save(tmp_path / "codes.npy", np.array([_RunsCode()], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeFileError, match=r"codes.npy' \(codes\) holds Python objects"):
        load_npy(tmp_path / "codes.npy", what="codes", fix="fix")
    assert not marker.exists()
    (tmp_path / "torn.npy").write_bytes(b"\x93NUMPY\x01\x00")
    with pytest.raises(RunFileError, match=r"torn.npy' \(codes\) is not a valid .npy file"):
        load_npy(tmp_path / "torn.npy", what="codes", fix="fix")


# ----------------------------------------------------------------------------- tables


def _table(path):
    return Table(
        path,
        {"epoch": int, "layer": str, "value": float},
        key=("epoch", "layer"),
        what="t",
        fix="the fix",
    )


def test_table_appends_and_reads_typed_rows(tmp_path):
    t = _table(tmp_path / "t.csv").open()
    assert (tmp_path / "t.csv").read_text() == "epoch,layer,value\n"
    t.append(
        [
            {"epoch": 0, "layer": "L1", "value": 0.1},
            {"epoch": 0, "layer": "L2", "value": float("nan")},
        ]
    )
    t.append([{"epoch": 0, "layer": "L1", "value": 0.25}])  # recomputed: the last row wins
    rows = t.read()
    assert [(r["epoch"], r["layer"]) for r in rows] == [(0, "L2"), (0, "L1")]
    assert rows[1]["value"] == 0.25 and np.isnan(rows[0]["value"])
    assert len((tmp_path / "t.csv").read_text().splitlines()) == 4  # history kept
    assert format_cell(0.1) == "0.1" and format_cell(None) == "" and format_cell(float("nan")) == ""


def test_torn_tail_is_cut_on_open_and_the_next_row_starts_clean(tmp_path):
    path = tmp_path / "t.csv"
    t = _table(path).open()
    t.append([{"epoch": 1, "layer": "L1", "value": 1.5}])
    with open(path, "a") as fh:
        fh.write("2,L")  # a crash in the middle of a write
    assert len(_table(path).read()) == 1  # skipped on read, file untouched
    assert path.read_text().endswith("2,L")
    t2 = _table(path).open()
    t2.append([{"epoch": 2, "layer": "L1", "value": 2.5}])
    assert path.read_text() == "epoch,layer,value\n1,L1,1.5\n2,L1,2.5\n"


def test_mid_file_damage_is_refused_and_never_overwritten(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("epoch,layer,value\n1,L1,1.5\n2,L1\n3,L1,3.5\n")
    before = path.read_bytes()
    with pytest.raises(
        RunFileError, match=r"t.csv', line 3 \(t\): 2 fields instead of 3 .*; the fix$"
    ):
        _table(path).open()
    path.write_text("epoch,layer,value\nL1,1,1.5\n3,L1,3.5\n")
    with pytest.raises(RunFileError, match=r"line 2 \(t\): column epoch must be int; found 'L1'"):
        _table(path).read()
    path.write_bytes(b"epoch,layer,value\n1,L\xff,1\n2,L1,2\n")
    with pytest.raises(RunFileError, match=r"line 2 \(t\): is not UTF-8 text"):
        _table(path).open()
    path.write_text("a,b\n1,2\n")
    with pytest.raises(
        RunFileError, match=r"line 1 \(t\): header must be epoch,layer,value; found a,b"
    ):
        _table(path).open()
    assert path.read_text() == "a,b\n1,2\n"
    path.write_bytes(before)
    with pytest.raises(RunFileError):
        _table(path).open()
    assert path.read_bytes() == before  # refused, not repaired
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(RunFileError, match=r"d.csv' \(t\): is a folder"):
        _table(tmp_path / "d.csv").open()


def test_blas_threads_limits_and_restores():
    from threadpoolctl import threadpool_info

    before = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    with blas_threads(1) as names:
        inside = {
            i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
        }
        assert all(v == 1 for v in inside.values())
        assert len(names) == len(inside)
    after = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    assert after == before


def test_no_pickle_loading_left_in_the_package():
    """Every stored model loads with weights_only=True, every array with allow_pickle=False."""
    import re

    import pymi

    root = Path(pymi.__file__).parent
    offenders = [
        f"{p.relative_to(root)}:{i}"
        for p in sorted(root.rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"weights_only\s*=\s*False|allow_pickle\s*=\s*True|pickle\.loads?\(", line)
    ]
    assert offenders == []


def test_missing_filelock_names_the_install_command(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "filelock", None)  # as if not installed
    with pytest.raises(ImportError, match=r"needs the package 'filelock'.*pip install \"pymi\[bench\]\""):
        with run_lock(tmp_path, "--out"):
            pass


def test_subcommands_do_not_need_their_optional_dependencies(monkeypatch):
    import sys

    from pymi.cli import build_parser

    for name in ("filelock", "threadpoolctl", "dask", "distributed", "matplotlib", "tqdm"):
        monkeypatch.setitem(sys.modules, name, None)
    choices = build_parser()._subparsers._group_actions[0].choices
    assert {"bench", "ib", "sweep", "estimate", "demo"} <= set(choices)
