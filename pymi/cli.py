"""Command line: ``pymi demo``, ``pymi estimate`` (and ``pymi bench``, ``pymi ib`` where installed)."""

from __future__ import annotations

import argparse
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
    try:
        est = pymi.mutual_information(
            data[:, cols_x], data[:, cols_y], args.method or pymi.DEFAULT_MI_METHOD, discrete_y=args.discrete_y, base=args.base
        )
    except (ValueError, TypeError) as err:
        return _fail("estimate", str(err))
    print(est)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pymi", description=__doc__)
    from importlib.metadata import version

    parser.add_argument("--version", action="version", version=f"pymi {version('pymi')}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="estimate MI on built-in correlated Gaussians")
    demo.add_argument("--n", type=int, default=5000, help="samples (default 5000)")
    demo.add_argument("--dim", type=int, default=2, help="dimension of X and of Y (default 2)")
    demo.add_argument("--mi", type=float, default=2.0, help="true MI in nats (default 2)")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)

    est = sub.add_parser("estimate", help="MI between column groups of a .npy or .csv table")
    est.add_argument("file")
    est.add_argument("--x", required=True, help="comma-separated column indices of X")
    est.add_argument("--y", required=True, help="comma-separated column indices of Y")
    est.add_argument(
        "--method",
        default=None,
        help="MI method, one of pymi.methods() (default: pymi's default, calibrated KSG 'cksg')",
    )
    est.add_argument("--discrete-y", action="store_true")
    est.add_argument("--base", default="nats", choices=["nats", "bits", "dits"])
    est.add_argument("--skip-header", type=int, default=0)
    est.set_defaults(func=_estimate)

    for module in ("pymi.bench.cli", "pymi.ib.cli", "pymi.sweep.cli"):
        try:
            mod = __import__(module, fromlist=["add_parser"])
        except ImportError:
            continue
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
