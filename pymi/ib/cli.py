"""``pymi ib``: the information-plane experiment from the command line.

``pymi ib`` runs (or resumes) the documented experiment into ``runs/ib``;
``pymi ib --quick`` a one-minute version into ``runs/ib-quick``. Rerunning the same
command resumes after the last completed epoch. Options override single fields of
:class:`pymi.ib.IBConfig`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "config_from_args", "main"]

# (flag, IBConfig field, type, help)
_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    ("--data", "data", str, "mnist (default) or fashion"),
    (
        "--root",
        "root",
        str,
        "folder with the IDX files (default: the MNIST test split shipped with pymi; "
        "Fashion-MNIST from `apt-get install dataset-fashion-mnist`)",
    ),
    ("--train-split", "train_split", str, "IDX split of the training set: test (default) or train"),
    ("--eval-split", "eval_split", str, "IDX split of the evaluation set: test (default) or train"),
    ("--n-train", "n_train", int, "training samples (default 8000)"),
    ("--n-eval", "n_eval", int, "evaluation samples, on which MI is estimated (default 2000)"),
    (
        "--epochs",
        "epochs",
        int,
        "training epochs (default 150; raise it to continue a finished run)",
    ),
    ("--lr", "lr", float, "Adam learning rate (default 1e-3; the paper: 1e-5 for 300 epochs)"),
    ("--batch-size", "batch_size", int, "training batch size (default 1024)"),
    ("--sigma", "sigma", float, "multiplicative noise level (default 1e-3)"),
    ("--dropout", "dropout", float, "dropout on the conv inputs, training only (default 0.1)"),
    ("--estimator", "estimator", str, "MI estimator: kl (default), wkl, ksg, kde, gaussian"),
    ("--k", "k", int, "neighbour order of kNN estimators (default 5)"),
    (
        "--label-estimator",
        "label_estimator",
        str,
        "estimator of I(L;Y) alone (default: --estimator); ksg: Ross 2014, at most its estimate of H(Y)",
    ),
    ("--layer-compressor", "layer_compressor", str, "pca (default, refit every epoch) or mlp_ae"),
    ("--layer-dim", "layer_dim", int, "code size of each layer (default 4)"),
    (
        "--input-ae-epochs",
        "input_ae_epochs",
        int,
        "max epochs of the input autoencoder (default 20)",
    ),
    ("--estimate-every", "estimate_every", int, "estimate MI every this many epochs (default 1)"),
    ("--device", "device", str, "auto (default), cpu or cuda"),
    ("--seed", "seed", int, "seed of everything (default 0)"),
    ("--n-jobs", "n_jobs", int, "CPU threads (default 1; -1: all cores)"),
    ("--run-dir", "run_dir", str, "output folder (default runs/ib, or runs/ib-quick with --quick)"),
)


_CHOICES = {
    "data": ("mnist", "fashion"),
    "train_split": ("test", "train"),
    "eval_split": ("test", "train"),
    "layer_compressor": ("pca", "mlp_ae"),
    "device": ("auto", "cpu", "cuda"),
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``ib`` sub-command on ``subparsers`` (from ``pymi.cli``)."""
    p = subparsers.add_parser(
        "ib",
        help="information-plane experiment: noisy MNIST CNN, per-layer MI every epoch",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="small, ~1 minute run (2000/1000 digits, 10 epochs, batch 128, lr 2e-3)",
    )
    for flag, field, typ, text in _OPTIONS:
        p.add_argument(
            flag, dest=field, type=typ, default=None, help=text, choices=_CHOICES.get(field)
        )
    p.add_argument(
        "--estimator-options",
        default=None,
        metavar="JSON",
        help="extra estimator keyword arguments as JSON, e.g. '{\"whiten\": false}'",
    )
    p.add_argument(
        "--stop-after",
        type=int,
        default=None,
        metavar="EPOCH",
        help="stop after this epoch (resume later by rerunning without it)",
    )
    p.add_argument(
        "--plots-only",
        action="store_true",
        help="only redraw the figures of an existing run folder",
    )
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    p.set_defaults(func=_run)
    return p


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`pymi.ib.IBConfig` that the parsed arguments describe."""
    from .config import IBConfig

    overrides = {
        field: getattr(args, field)
        for _, field, _, _ in _OPTIONS
        if getattr(args, field, None) is not None
    }
    if getattr(args, "estimator_options", None):
        try:
            opts = json.loads(args.estimator_options)
        except json.JSONDecodeError as exc:
            msg = f"--estimator-options must be a JSON object such as '{{\"whiten\": false}}'; got {args.estimator_options!r} ({exc})"
            raise ValueError(msg) from None
        overrides["estimator_options"] = opts
    return IBConfig.quick(**overrides) if args.quick else IBConfig(**overrides)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (timeout, kill, schedulers) into KeyboardInterrupt, so that the
    run records itself as interrupted instead of staying "running"."""

    def handler(signum: int, frame: Any) -> None:
        msg = f"signal {signum}"
        raise KeyboardInterrupt(msg)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    from ..runs import RunFolderError
    from .experiment import RunSetupError, run
    from .plots import plot_run

    try:
        config = config_from_args(args)
    except (ValueError, TypeError) as exc:
        print(f"pymi ib: {exc}", file=sys.stderr)
        return 2
    try:
        if args.plots_only:
            if not (Path(config.run_dir) / "config.json").is_file():
                msg = (
                    f"--plots-only needs a run folder (with config.json); "
                    f"{str(config.run_dir)!r} is not one: check --run-dir"
                )
                raise RunSetupError(msg)
            for path in plot_run(config.run_dir):
                print(f"wrote {path}")
            return 0
        with _sigterm_as_interrupt():
            run_dir = run(config, stop_after=args.stop_after, verbose=not args.quiet)
    except (RunSetupError, RunFolderError) as exc:
        print(f"pymi ib: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\npymi ib: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    print(f"results in {run_dir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m pymi.ib.cli``."""
    parser = argparse.ArgumentParser(prog="pymi")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    args = parser.parse_args(["ib", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
