"""Command line: ``pymi demo``, ``pymi estimate`` (and ``pymi bench``, ``pymi ib``, ``pymi sweep`` where installed)."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import time

import numpy as np

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    """First estimate on built-in data: correlated Gaussians with known MI."""
    import pymi

    rng = np.random.default_rng(args.seed)
    n, d, true_mi = args.n, args.dim, args.mi
    rho = np.sqrt(1 - np.exp(-2 * true_mi / d))
    x = rng.standard_normal((n, d))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    print(f"pymi {pymi.__version__}: correlated Gaussians, d_X = d_Y = {d}, N = {n}")
    print(f"true I(X;Y) = {true_mi:.4f} nats\n")
    print(f"{'method':<10}{'estimate (nats)':>22}{'error':>10}{'time (s)':>10}")
    # every method that needs neither PyTorch nor labels, in the public list's order
    for method, info in pymi.methods().items():
        if info.capabilities.needs_torch or not info.capabilities.mutual_information:
            continue
        t0 = time.perf_counter()
        est = pymi.mutual_information(x, y, method, random_state=args.seed)
        dt = time.perf_counter() - t0
        print(f"{method:<10}{est.value:>12.4f} ± {est.stderr:<7.4f}{est.value - true_mi:>+10.4f}{dt:>10.3f}")
    return 0


def _fail(command: str, message: str) -> int:
    """Print ``pymi <command>: message`` to stderr; the exit status of a usage error (2)."""
    print(f"pymi {command}: {message}", file=sys.stderr)
    return 2


def _columns(spec: str, option: str, n_cols: int) -> list[int] | str:
    """Column indices from ``"0,2,3"``, or an error message naming ``option``."""
    try:
        cols = [int(c) for c in spec.split(",")]
    except ValueError:
        return f"{option} must be comma-separated integer column indices, e.g. {option} 0,1; got {spec!r}"
    bad = [c for c in cols if not -n_cols <= c < n_cols]
    if bad:
        return f"{option} columns {bad} are out of range for a table with {n_cols} columns (0..{n_cols - 1})"
    return cols


def _estimate(args: argparse.Namespace) -> int:
    """MI between column groups of a .npy/.csv file."""
    import os

    import pymi

    path = args.file
    if not os.path.isfile(path):
        return _fail("estimate", f"file {path!r} not found (pass the path of a .npy or .csv table)")
    try:
        if path.endswith(".npy"):
            data = np.load(path, allow_pickle=False)
        else:
            data = np.loadtxt(path, delimiter=",", skiprows=args.skip_header)
        data = np.asarray(data, dtype=np.float64)
    except (ValueError, EOFError, OSError) as err:
        hint = "" if path.endswith(".npy") else " (a header line? pass --skip-header 1)"
        return _fail("estimate", f"cannot read {path!r} as a numeric table{hint}: {err}")
    if data.ndim != 2:
        return _fail("estimate", f"{path} must hold a 2-D table; got shape {data.shape}")
    cols_x = _columns(args.x, "--x", data.shape[1])
    cols_y = _columns(args.y, "--y", data.shape[1])
    for cols in (cols_x, cols_y):
        if isinstance(cols, str):
            return _fail("estimate", cols)
    if args.k is not None and not pymi.methods()[args.method].capabilities.takes_k:
        with_k = [name for name, info in pymi.methods().items() if info.capabilities.takes_k]
        return _fail(
            "estimate",
            f"--k is a neighbour count and --method {args.method} takes none; drop --k or use "
            f"one of {', '.join(with_k)}",
        )
    from ._validation import check_n_jobs

    try:
        check_n_jobs(args.n_jobs, name="--n-jobs")
    except ValueError as err:
        return _fail("estimate", str(err))
    options = {"k": args.k, "random_state": args.seed, "n_jobs": args.n_jobs, "nan_policy": args.nan_policy}
    try:
        est = pymi.mutual_information(
            data[:, cols_x],
            data[:, cols_y],
            args.method,
            discrete_y=args.discrete_y,
            base=args.base,
            **options,
        )
    except (ValueError, TypeError) as err:
        return _fail("estimate", str(err))
    print(est)
    return 0


#: reStructuredText markup of docstrings: ``literal``, :role:`~target`, :role:`target`, `text`.
_RST = (
    (re.compile(r"``(.+?)``", re.S), r"\1"),
    (re.compile(r":[a-z]+(?::[a-z]+)?:`~?(?:[\w.]*\.)?([^`<]+?)(?: <[^>]+>)?`"), r"\1"),
    (re.compile(r"(?<![\w`])`([^`\n]+)`(?![\w`])"), r"\1"),
)


def plain_text(text: str) -> str:
    """``text`` without reStructuredText markup, as a terminal shows it.

    ``pymi demo`` becomes pymi demo and :class:`pymi.ib.IBConfig` becomes
    IBConfig (the docstrings that serve as help texts are also the docs site's
    source).
    """
    for pattern, repl in _RST:
        text = pattern.sub(repl, text)
    return text


class _PlainFormatterMixin:
    """Strips reStructuredText markup from descriptions, epilogs and option help before wrapping."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain_text(text))  # type: ignore[misc]

    def _expand_help(self, action: argparse.Action) -> str:
        return plain_text(super()._expand_help(action))  # type: ignore[misc]


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose help is plain text (also for the sub-commands it creates)."""

    def _get_formatter(self) -> argparse.HelpFormatter:
        base = self.formatter_class
        plain = type(f"Plain{base.__name__}", (_PlainFormatterMixin, base), {})  # type: ignore[arg-type]
        return plain(prog=self.prog)


def _mi_method_names() -> list[str]:
    """The methods ``pymi estimate --method`` accepts (MI for continuous or labelled y)."""
    import pymi

    return [
        name
        for name, info in pymi.methods().items()
        if info.capabilities.mutual_information or info.capabilities.discrete_y
    ]


def build_parser() -> argparse.ArgumentParser:
    """The ``pymi`` argument parser with every installed sub-command."""
    import pymi

    parser = _Parser(prog="pymi", description=__doc__)
    from importlib.metadata import version

    parser.add_argument("--version", action="version", version=f"pymi {version('pymi')}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="pymi COMMAND --help describes its options"
    )

    demo = sub.add_parser(
        "demo",
        help="estimate MI on built-in correlated Gaussians",
        description="Estimate I(X;Y) with every method on correlated Gaussians with known MI.",
    )
    demo.add_argument("--n", type=int, default=5000, help="samples (default 5000)")
    demo.add_argument("--dim", type=int, default=2, help="dimension of X and of Y (default 2)")
    demo.add_argument("--mi", type=float, default=2.0, help="true MI in nats (default 2)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the data and the estimators (default 0)")
    demo.set_defaults(func=_demo)

    methods = _mi_method_names()
    est = sub.add_parser(
        "estimate",
        help="MI between column groups of a .npy or .csv table",
        description=(
            "Estimate I(X;Y) between two groups of columns of a table (rows are samples) "
            "and print it with its standard error (and interval, for cksg)."
        ),
        epilog="example: pymi estimate data.csv --x 0,1 --y 2 --method ksg --k 3 --seed 0",
    )
    est.add_argument("file", help="a 2-D table: .npy, or comma-separated text (.csv)")
    est.add_argument("--x", required=True, help="comma-separated column indices of X, e.g. 0,1")
    est.add_argument("--y", required=True, help="comma-separated column indices of Y, e.g. 2")
    est.add_argument(
        "--method",
        default=pymi.DEFAULT_MI_METHOD,
        choices=methods,
        metavar="{" + ",".join(methods) + "}",
        help=f"estimator (default {pymi.DEFAULT_MI_METHOD}: calibrated KSG, with an interval)",
    )
    est.add_argument(
        "--k",
        type=int,
        default=None,
        help="neighbour order of the kNN methods (default 2 for cksg, 5 for ksg, kl, wkl)",
    )
    est.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed (jitter of ties, references, subsamples): same seed, same result",
    )
    est.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        help="threads: -1 for all cores (default), else a positive number",
    )
    est.add_argument(
        "--discrete-y",
        action="store_true",
        help="Y is one column of class labels (integers) instead of continuous values",
    )
    est.add_argument(
        "--nan-policy",
        default="raise",
        choices=["raise", "omit"],
        help="rows with NaN/inf: refuse them (default) or drop them",
    )
    est.add_argument(
        "--base", default="nats", choices=["nats", "bits", "dits"], help="unit of the result (default nats)"
    )
    est.add_argument(
        "--skip-header",
        type=int,
        default=0,
        metavar="N",
        help="lines to skip at the top of a .csv file (default 0; 1 for a header line)",
    )
    est.set_defaults(func=_estimate)

    # the sub-command modules import without their optional dependencies (those are
    # imported when a command runs, with the install command if missing)
    for module in ("pymi.bench.cli", "pymi.ib.cli", "pymi.sweep.cli"):
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
