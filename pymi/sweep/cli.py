"""``pymi sweep``: a grid of information-plane runs on Dask workers.

``pymi sweep CONFIG.toml`` runs every grid point of the configuration (see
``pymi sweep --example``) as its own ``pymi ib`` run folder under the sweep folder,
on an embedded Dask cluster of one worker process per core; ``--workers 1`` runs them
in this process, ``--scheduler ADDRESS`` on an existing cluster. Rerunning the same
command finishes an interrupted sweep: finished points are kept, interrupted runs
resume from their last checkpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["add_parser", "main"]

_EXAMPLES = """\
examples:
  pymi sweep --quick                        # 6 short runs on the shipped MNIST digits
  pymi sweep --example > noise.toml         # start a configuration from the example
  pymi sweep noise.toml --workers 4         # 4 local worker processes
  pymi sweep noise.toml --workers 1         # one run after the other, in this process
  pymi sweep noise.toml --scheduler tcp://10.0.0.5:8786   # an existing Dask cluster
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``sweep`` sub-command on ``subparsers`` (from ``pymi.cli``)."""
    p = subparsers.add_parser(
        "sweep",
        help="grid of information-plane runs (seeds, noise, estimators, ...) on Dask workers",
        description=__doc__,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", nargs="?", metavar="CONFIG.toml", help="the sweep configuration")
    p.add_argument(
        "--quick",
        action="store_true",
        help="the built-in example: 3 seeds x 2 noise levels, 8 epochs (a few minutes on 2 cores)",
    )
    p.add_argument(
        "--example", action="store_true", help="print the built-in configuration (TOML) and exit"
    )
    p.add_argument("--out", metavar="DIR", help="sweep folder (default: [sweep] out)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of an embedded Dask LocalCluster (default: one per core); "
        "1: run in this process",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a running Dask cluster (started with `dask scheduler` and `dask worker`), "
        "e.g. tcp://10.0.0.5:8786",
    )
    p.set_defaults(func=_run)
    return p


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a job scheduler's stop) ends the sweep as Ctrl-C does: recorded, resumable."""

    def handler(signum: int, frame: Any) -> None:
        msg = f"signal {signum}"
        raise KeyboardInterrupt(msg)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str) -> int:
    print(f"pymi sweep: {message}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    from .config import QUICK_TOML, SweepConfigError, load_config, parse_config

    if args.example:
        print(QUICK_TOML, end="")
        return 0
    if args.quick and args.config:
        return _fail(f"pass a configuration ({args.config}) or --quick, not both")
    if not args.quick and not args.config:
        return _fail("pass a configuration file (pymi sweep CONFIG.toml) or --quick")
    if args.workers is not None and args.workers < 1:
        return _fail(
            f"--workers must be >= 1 (1 runs in this process); got --workers {args.workers}"
        )
    if args.scheduler is not None and args.workers not in (None, 1):
        return _fail(
            f"--workers {args.workers} and --scheduler were both given: the cluster's own workers "
            "run the points; drop --workers"
        )
    try:
        if args.quick:
            config = parse_config(QUICK_TOML, source="the built-in --quick configuration")
        else:
            config = load_config(args.config)
    except SweepConfigError as err:
        return _fail(str(err))

    from ..engine import default_workers
    from .driver import run_sweep

    workers = 1 if args.scheduler else (args.workers or default_workers())
    try:
        with _sigterm_as_interrupt():
            folder = run_sweep(config, workers=workers, scheduler=args.scheduler, out=args.out)
    except KeyboardInterrupt:
        print(
            "\npymi sweep: interrupted; finished points are stored, rerun the same command to "
            "go on",
            file=sys.stderr,
        )
        return 130
    except (ValueError, ConnectionError, ImportError) as err:
        # configuration and run-folder errors of pymi, also when a worker raised them
        notes = [n for n in getattr(err, "__notes__", []) if n.startswith("raised by")]
        where = f" ({notes[0]})" if notes else ""
        return _fail(f"{err}{where}")
    print(f"results in {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m pymi.sweep.cli``."""
    parser = argparse.ArgumentParser(prog="pymi")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(["sweep", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
