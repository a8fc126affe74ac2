"""The Estimate object and the command line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pymi import Estimate
from pymi.cli import main


def test_estimate_conversion_roundtrip():
    est = Estimate(2.0, 0.1, "nats", "wkl", {"k": 5}, 100)
    bits = est.to("bits")
    assert bits.value == pytest.approx(2.0 / math.log(2))
    assert bits.stderr == pytest.approx(0.1 / math.log(2))
    assert bits.to("nats").value == pytest.approx(2.0)
    assert est.to("dits").value == pytest.approx(2.0 / math.log(10))
    assert float(est) == 2.0
    assert "nats" in repr(est) and "wkl" in str(est)


def test_estimate_rejects_unknown_unit():
    with pytest.raises(ValueError, match=r"base must be one of \['bits', 'dits', 'nats'\]; got 'bans'"):
        Estimate(1.0, 0.0, "bans", "kl")


def test_cli_demo_prints_estimates(capsys):
    assert main(["demo", "--n", "800", "--mi", "1.0"]) == 0
    out = capsys.readouterr().out
    assert "true I(X;Y) = 1.0000 nats" in out
    for method in ("wkl", "kl", "ksg", "gaussian"):
        assert f"\n{method}" in out


def test_cli_estimate_from_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    table = np.column_stack([x, x + rng.standard_normal(1000), rng.standard_normal(1000)])
    path = tmp_path / "t.csv"
    np.savetxt(path, table, delimiter=",")
    assert main(["estimate", str(path), "--x", "0", "--y", "1", "--method", "kl"]) == 0
    out = capsys.readouterr().out
    value = float(out.split()[0])
    assert abs(value - 0.5 * math.log(2)) < 0.1  # I = 1/2 log 2 for unit noise


@pytest.mark.parametrize(
    ("argv_tail", "pattern"),
    [
        (["--x", "0", "--y", "5"], r"--y columns \[5\] are out of range for a table with 2 columns"),
        (["--x", "a", "--y", "1"], r"--x must be comma-separated integer column indices"),
        (["--x", "0", "--y", "1", "--method", "foo"], r"method must be one of"),
    ],
)
def test_cli_estimate_errors_name_the_option(tmp_path, capsys, argv_tail, pattern):
    import re

    path = tmp_path / "d.csv"
    np.savetxt(path, np.random.default_rng(0).standard_normal((200, 2)), delimiter=",")
    assert main(["estimate", str(path), *argv_tail]) == 2
    assert re.search(pattern, capsys.readouterr().err)


def test_cli_estimate_missing_file_and_header(tmp_path, capsys):
    assert main(["estimate", str(tmp_path / "nofile.npy"), "--x", "0", "--y", "1"]) == 2
    assert "not found" in capsys.readouterr().err
    path = tmp_path / "h.csv"
    path.write_text("a,b\n" + "\n".join(f"{i},{i * i % 7}" for i in range(50)))
    assert main(["estimate", str(path), "--x", "0", "--y", "1"]) == 2
    assert "pass --skip-header 1" in capsys.readouterr().err


def test_cli_estimate_unreadable_npy(tmp_path, capsys):
    for name, content in (("empty.npy", b""), ("text.npy", b"1,2\n3,4\n")):
        path = tmp_path / name
        path.write_bytes(content)
        assert main(["estimate", str(path), "--x", "0", "--y", "1"]) == 2
        assert "cannot read" in capsys.readouterr().err


def test_version_option_prints_the_package_version(capsys):
    from importlib.metadata import version

    import pymi
    from pymi.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"pymi {version('pymi')}"
    assert pymi.__version__ == version("pymi")


def test_source_tree_without_core_explains_the_two_fixes(tmp_path):
    """``import pymi`` from a checkout root without a built core: say what happened and how to fix it."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import pymi

    src = Path(pymi.__file__).parent
    shutil.copytree(src, tmp_path / "pymi", ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    # -S: no site-packages, so only the copied source tree (without _core) is importable
    proc = subprocess.run(
        [sys.executable, "-S", "-c", "import pymi"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "pymi._core" in proc.stderr and "run from another directory" in proc.stderr
    assert "pip install ." in proc.stderr
