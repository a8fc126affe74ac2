"""``pymi bench``: the accuracy benchmark from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from ..runs import RunFolderError
from .tasks import PRESETS, BenchConfig, ConfigError

__all__ = ["add_parser", "main"]

_DESCRIPTION = """\
Accuracy benchmark of MI estimators on data with known mutual information.

Runs every estimator on every task at every true MI of the grid and every seed
(fresh data per task, true MI and seed, shared by the estimators), and writes to
the run folder (--out). A task's quantity follows from its generator: I(X;Y), or
I(X;Y|Z) (conditional_normal, estimated by pymi.conditional_mutual_information),
or transfer entropy (coupled_ar, by pymi.transfer_entropy); the grid and true_mi
then hold true CMI or TE values, in nats.

  results.csv     one row per estimate, written as it is computed: task, estimator,
                  true_mi, seed, n, estimate, stderr (nats), seconds, error, warnings,
                  ci_low, ci_high (the estimator's interval, nats, when it has one).
                  An estimator that raises at a grid point is recorded, not fatal.
  config.json     the resolved config;  metadata.json  versions, platform, timings
  summary.md/.csv mean / worst absolute error and time per task x estimator
  scoreboard.md   the estimators ranked over the whole suite (mean abs error, share
                  within 0.1 nats or 10 %, interval coverage, time against ksg)
  <task>.png      estimated vs true MI / CMI / TE (nats) with the identity line

Runs are resumable: rerun the same command and the rows already in results.csv
are skipped (an interrupted last line is recomputed). A different config for an
existing folder is refused: pass a new --out.
"""

_EPILOG = """\
presets:
{presets}

config file (.toml or .json; same keys):
  name = "my-bench"                          # default --out: runs/<name>
  n = 5000                                   # samples per estimate
  seeds = [0, 1, 2]
  mi_grid = {{start = 0, stop = 10, num = 41}}  # or a list of nats
  [estimators.wkl]                           # any label
  method = "wkl"                             # one of: {methods}
  k = 5                                      # other keys: estimator options
  [tasks.gaussian-2x2]                       # any label
  generator = "correlated_normal"            # one of: {generators}
  dim_x = 2                                  # other keys: generator arguments
  dim_y = 2
  [tasks.cmi-dz2]                            # a conditional MI task: the grid is true CMI
  generator = "conditional_normal"           # (methods: {cmi_methods})
  dim_x = 2
  dim_y = 2
  dim_z = 2
  [tasks.te]                                 # transfer entropy of coupled AR(1) series
  generator = "coupled_ar"                   # lag, history, source_history: of the task
  history = 2
  # optional per task: n, estimators = [...], estimator_options = {{compress = "pca"}},
  #   compressors = {{ae = {{method = "ae", latent_dim = 2, n_train = 20000, options = {{...}}}}}}
  # optional per estimator: codes = "ae" (run on that task compressor's codes),
  #   mi_grid = [...] (a subset of the grid); see benchmarks/compression/README.md

examples:
  pymi bench --quick
  pymi bench --preset images --quick                      # image benchmark smoke test
  pymi bench --preset paper-gaussian --out benchmarks/results/paper-gaussian
  pymi bench my.toml --estimators wkl,ksg --grid 0:10:11 --seeds 2 --n 2000
  pymi bench --preset paper-gaussian --print-config > my.json   # start a config from a preset
  pymi bench --report-only --out runs/paper-gaussian              # redraw tables and figures
  pymi bench --preset images-quick --workers 2                    # two worker processes
  pymi bench --preset images --scheduler tcp://10.0.0.5:8786      # an existing Dask cluster
  pymi bench --preset conditional --out benchmarks/results/conditional-preset
"""


def _epilog() -> str:
    from .._api import methods
    from ..conditional import CMI_METHODS
    from .tasks import GENERATORS

    width = max(16, max(len(name) for name in PRESETS) + 1)
    presets = "\n".join(
        textwrap.fill(
            desc, width=88, initial_indent=f"  {name:<{width}}", subsequent_indent=" " * (width + 2)
        )
        for name, (desc, _) in PRESETS.items()
    )
    return _EPILOG.format(
        presets=presets,
        methods=", ".join(methods()),
        cmi_methods=", ".join(CMI_METHODS),
        generators=", ".join(GENERATORS),
    )


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` sub-command to ``pymi``'s argparse sub-parsers.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The ``bench`` parser (its ``func`` default runs the command).
    """
    p = subparsers.add_parser(
        "bench",
        help="accuracy benchmark on data with known MI (estimated vs true MI, resumable)",
        description=_DESCRIPTION,
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_argument_group("what to run (one of)")
    src.add_argument("config", nargs="?", help="benchmark config file (.toml or .json)")
    src.add_argument("--preset", choices=sorted(PRESETS), help="a built-in benchmark (see below)")
    src.add_argument(
        "--quick",
        action="store_true",
        help="same as --preset quick (under 2 minutes on 2 cores); with --preset NAME, "
        "the preset's smoke test NAME-quick where there is one (--preset images --quick)",
    )
    ov = p.add_argument_group("overrides (applied to the config or preset)")
    ov.add_argument(
        "--estimators",
        metavar="A,B",
        help="comma-separated estimator labels of the config, or pymi methods",
    )
    ov.add_argument("--tasks", metavar="A,B", help="comma-separated task labels of the config")
    ov.add_argument(
        "--grid", metavar="SPEC", help="true MI in nats: 'start:stop:num' (linspace) or 'v1,v2,...'"
    )
    ov.add_argument("--n", type=int, metavar="N", help="samples per estimate")
    ov.add_argument("--seeds", metavar="SPEC", help="'3' = seeds 0,1,2; '4,7' = seeds 4 and 7")
    ov.add_argument("--name", help="benchmark label (default output folder runs/<name>)")
    run_on = p.add_argument_group("where to compute")
    run_on.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="1 (default): compute in this process; N > 1: an embedded Dask LocalCluster of N "
        "single-threaded worker processes (needs pymi[distributed])",
    )
    run_on.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="compute on a running Dask cluster (started with `dask scheduler` and `dask worker`), "
        "e.g. tcp://10.0.0.5:8786",
    )
    out = p.add_argument_group("output")
    out.add_argument("--out", metavar="DIR", help="run folder (default runs/<name>)")
    out.add_argument(
        "--no-resume",
        action="store_true",
        help="refuse a folder that already holds results instead of continuing it",
    )
    out.add_argument("--no-progress", action="store_true", help="no progress bar")
    out.add_argument(
        "--print-config",
        action="store_true",
        help="print the resolved config as JSON and the number of estimates, then exit",
    )
    out.add_argument(
        "--report-only",
        action="store_true",
        help="only rewrite summary and figures of --out from its results.csv",
    )
    p.set_defaults(func=_main)
    return p


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _build_config(args: argparse.Namespace) -> BenchConfig:
    from .tasks import load_config, preset

    if args.quick and args.preset and f"{args.preset}-quick" in PRESETS:
        # --preset images --quick: the preset's own smoke test (images-quick)
        args.preset, args.quick = f"{args.preset}-quick", False
    sources = [s for s in (args.config, args.preset, "quick" if args.quick else None) if s]
    if len(sources) != 1:
        got = "nothing" if not sources else " and ".join(map(repr, sources))
        msg = f"pass exactly one of a config file, --preset NAME ({', '.join(sorted(PRESETS))}) or --quick; got {got}"
        raise ConfigError(msg)
    config = load_config(args.config) if args.config else preset(args.preset or "quick")
    if args.estimators is not None or args.tasks is not None:
        config = config.select(estimators=_split(args.estimators), tasks=_split(args.tasks))
    changes: dict[str, Any] = {}
    if args.grid is not None:
        changes["mi_grid"] = args.grid
    if args.n is not None:
        changes["n"] = args.n
    if args.seeds is not None:
        changes["seeds"] = args.seeds
    if args.name is not None:
        changes["name"] = args.name
    return config.replace(**changes) if changes else config


def _main(args: argparse.Namespace) -> int:
    from .report import write_report
    from .runner import run

    try:
        if args.report_only:
            if not args.out:
                msg = "--report-only needs --out DIR (the run folder to summarise)"
                raise ConfigError(msg)
            write_report(args.out)
            print((Path(args.out) / "summary.md").read_text(encoding="utf-8"))
            return 0
        config = _build_config(args)
        if args.print_config:
            print(json.dumps(config.to_dict(), indent=2))
            print(f"# {config.n_estimates} estimates", file=sys.stderr)
            return 0
        out = Path(args.out) if args.out else Path("runs") / config.name
        print(
            f"pymi bench {config.name!r}: {config.n_estimates} estimates -> {out}", file=sys.stderr
        )
        run(
            config,
            out_dir=out,
            resume=not args.no_resume,
            progress=not args.no_progress,
            workers=args.workers,
            scheduler=args.scheduler,
        )
    except (ConfigError, FileNotFoundError, RunFolderError) as err:
        print(f"pymi bench: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\npymi bench: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    print((out / "summary.md").read_text(encoding="utf-8"))
    print(f"results, figures and summary in {out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``pymi bench`` with ``argv`` (for ``python -m pymi.bench.cli``)."""
    parser = argparse.ArgumentParser(prog="pymi")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
