"""The Estimate object and the command line."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import pymi
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
        (["--x", "0", "--y", "1", "--method", "gaussian", "--k", "3"], r"--k is a neighbour count and --method gaussian takes none; drop --k or use one of cksg, kl, wkl, ksg"),
        (["--x", "0", "--y", "1", "--n-jobs", "-3"], r"--n-jobs must be -1 \(all cores\) or a positive integer .*got --n-jobs=-3"),
        (["--x", "0", "--y", "1", "--method", "kl", "--k", "500"], r"k=500 must be smaller than n_samples=200"),
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


def test_cli_estimate_unknown_method_lists_the_choices(tmp_path, capsys):
    path = tmp_path / "d.csv"
    np.savetxt(path, np.random.default_rng(0).standard_normal((200, 2)), delimiter=",")
    with pytest.raises(SystemExit) as info:
        main(["estimate", str(path), "--x", "0", "--y", "1", "--method", "foo"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --method: invalid choice: 'foo'" in err
    for name, method in pymi.methods().items():
        if method.capabilities.mutual_information or method.capabilities.discrete_y:
            assert repr(name) in err


def test_cli_estimate_passes_k_seed_and_n_jobs(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 2))
    table = np.column_stack([x, x + rng.standard_normal((600, 2))])
    path = tmp_path / "t.npy"
    np.save(path, table)
    argv = ["estimate", str(path), "--x", "0,1", "--y", "2,3", "--method", "ksg", "--k", "3", "--n-jobs", "1"]
    assert main(argv) == 0
    ref = pymi.mutual_information(table[:, :2], table[:, 2:], "ksg", k=3, n_jobs=1)
    assert capsys.readouterr().out.strip() == str(ref)
    # the default method is random (references, subsamples): --seed makes it repeatable
    outs = []
    for seed in ("7", "7", "8"):
        assert main(["estimate", str(path), "--x", "0,1", "--y", "2,3", "--seed", seed]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] != outs[2]
    assert "(cksg, n=600, 90 % interval" in outs[0]


def _parsers(parser):
    """``parser`` and every sub-command parser under it."""
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _parsers(sub)


def test_cli_help_is_plain_text_and_describes_every_option():
    import argparse

    from pymi.cli import build_parser

    markup = re.compile(r"``|:(?:func|class|meth|mod|attr|data|obj):|`\w")
    for parser in _parsers(build_parser()):
        text = parser.format_help()
        assert not markup.search(text), f"{parser.prog} --help shows markup: {markup.search(text)}"
        if parser.prog in ("pymi", "pymi demo", "pymi estimate"):
            for action in parser._actions:
                if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                    continue
                assert action.help, f"{parser.prog}: {action.option_strings or action.dest} has no help"


def test_plain_text_strips_rst_roles_and_literals():
    from pymi.cli import plain_text

    assert plain_text("run ``pymi ib --quick``") == "run pymi ib --quick"
    assert plain_text("see :class:`pymi.ib.IBConfig` and :func:`~pymi.entropy`") == "see IBConfig and entropy"
    assert plain_text("the `default` role, x_`not`") == "the default role, x_`not`"
