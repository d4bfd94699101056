"""Headless sweeps: grid or random search over hyperparameters, times N seeds, on worker processes or on Ray Tune.

    python -m agents.sweep --env CartPole-v1 --algo ppo --param learning_rate=1e-4:1e-2 --param n_epochs=auto \\
        --method random --trials 8 --seeds 2

``--param NAME=SPEC`` searches one hyperparameter: ``low:high`` (a range, on a log scale when the schema says so),
``v1,v2,...`` (values) or ``auto`` (derived from the schema: a choice's options; a decade either side of the
default for a log-scaled number, else half to one and a half times it). ``--set NAME=VALUE`` fixes one for every
trial. Each trial's seed is an ordinary run in the runs folder (``--runs-dir``), trained by worker processes,
``--parallel`` at a time; with ``--executor ray`` (the default when ``RAY_ADDRESS`` is set) Ray Tune draws and
schedules the trials and each run trains in a Ray actor (``--early-stop``: Tune's ASHA). Prints the table of trials,
the best configuration, its Train page link and Zoo entry, and writes a sweep folder (``--out``, default
``sweeps/<id>`` in the runs folder: ``sweep.json``, ``trials.csv``, ``best_zoo.yml``; on Ray, Tune's ``tune/``).
Bad input, or a sweep larger than ``RL_PLAYGROUND_MAX_SWEEP_RUNS``, exits with status 2 and one line on stderr
before anything starts; status 1 when no trial finished.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from agents.algos.registry import get_algo
from agents.config.schema import HyperParamError, parse_assignments
from agents.runs.manager import RunManager
from agents.storage.store import RunStore, StorageError, default_root, limits_from_env
from agents.sweeps.definition import METHODS, SweepDefinition, SweepError, make_definition
from agents.sweeps.records import sweeps_root
from agents.sweeps.report import format_metric, format_table, train_link, write_sweep_folder, zoo_entry
from agents.sweeps.runner import METRIC, SweepRun, new_sweep
from agents.sweeps.space import ParamSpace, parse_space
from agents.train import EXIT_FAILED, EXIT_USAGE, _Parser

if TYPE_CHECKING:
    from agents.runs.workers.ray import RayExecutor

PROGRESS_EVERY_S = 10.0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m agents.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="environment id, e.g. CartPole-v1")
    parser.add_argument("--algo", required=True, help="algorithm id, e.g. ppo")
    parser.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=SPEC",
        help="a hyperparameter to search (repeatable): low:high, v1,v2,... or auto",
    )
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE", help="fix one for every trial"
    )
    parser.add_argument("--method", default="random", choices=METHODS, help="grid or random search (default random)")
    parser.add_argument("--trials", default="8", help="random search: configurations to draw (default 8)")
    parser.add_argument("--points", default="3", help="grid search: values per range (default 3)")
    parser.add_argument("--seeds", default="2", help="seeds per configuration, 0..N-1 (default 2)")
    parser.add_argument("--sweep-seed", default="0", help="random search: seed of the draws (default 0)")
    parser.add_argument("--preset", help="the preset trials start from: demo, zoo or defaults (default: the pair's)")
    parser.add_argument("--timesteps", help="each run's step budget (default: the preset's)")
    parser.add_argument(
        "--parallel", type=int, help="runs training at once (default: RL_PLAYGROUND_MAX_RUNS or the number of cores)"
    )
    parser.add_argument(
        "--executor",
        choices=("process", "ray"),
        default="ray" if os.environ.get("RAY_ADDRESS") else "process",
        help="where runs train: worker processes here, or Ray actors with Ray Tune choosing the trials (the cluster at "
        "$RAY_ADDRESS, else a local one); default ray when RAY_ADDRESS is set",
    )
    parser.add_argument(
        "--early-stop", action="store_true", help="on Ray: Ray Tune's ASHA scheduler stops trials that trail early"
    )
    parser.add_argument("--runs-dir", help="folder that keeps one folder per run (default: $RUNS_DIR or ./runs)")
    parser.add_argument("--out", help="the sweep folder (default: sweeps/<sweep id> in the runs folder)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def definition_from_args(args: argparse.Namespace) -> SweepDefinition:
    """The checked definition (SweepError, HyperParamError or ValueError with one line otherwise)."""
    schema = get_algo(args.algo).schema
    spaces: list[ParamSpace] = []
    for name, spec in parse_assignments(args.params).items():
        spaces.append(parse_space(schema.get(name), spec))
    return make_definition(
        args.env,
        args.algo,
        spaces,
        method=args.method,
        trials=args.trials,
        seeds=args.seeds,
        points=args.points,
        sweep_seed=args.sweep_seed,
        preset=args.preset,
        timesteps=args.timesteps,
        fixed=parse_assignments(args.assignments),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        definition = definition_from_args(args)
        trials = definition.make_trials()
    except (SweepError, HyperParamError, ValueError) as error:
        return _usage(str(error))
    parallel = args.parallel or int(os.environ.get("RL_PLAYGROUND_MAX_RUNS", "0") or 0) or os.cpu_count() or 1
    if parallel < 1:
        return _usage("--parallel must be at least 1")
    try:
        store = RunStore(args.runs_dir or default_root())
    except (StorageError, OSError) as error:
        return _usage(f"cannot use the runs folder: {error}")
    if args.early_stop and args.executor != "ray":
        return _usage("--early-stop needs --executor ray (Ray Tune's ASHA scheduler)")
    max_runs, max_bytes = limits_from_env()
    executor = _executor(args.executor)
    manager = RunManager(
        max_concurrent=parallel, store=store, max_kept=max_runs, max_bytes=max_bytes, executor=executor
    )
    sweep = new_sweep(
        definition, trials, manager.start, parallel, on_ray=executor is not None, early_stop=args.early_stop
    )
    sweep.folder = Path(args.out) if args.out else sweeps_root(Path(store.root)) / sweep.id  # the Sweeps page lists it
    where = "on Ray, trials chosen by Ray Tune" if executor is not None else "in worker processes"
    print(f"sweep {sweep.id}: {definition.describe()}, {parallel} at a time {where}", file=sys.stderr)
    try:
        sweep.wait(on_poll=None if args.quiet else _progress(sweep))
    except KeyboardInterrupt:
        sweep.stop()
    finally:
        manager.stop_all()
        if executor is not None:
            executor.close()
    return _report(sweep, sweep.folder)


def _executor(name: str) -> RayExecutor | None:
    """The Ray executor when asked for (None: the manager's worker processes); Ray is imported only then."""
    if name != "ray":
        return None
    from agents.runs.workers.ray import RayExecutor

    return RayExecutor()


def _report(sweep: SweepRun, folder: Path) -> int:
    print(format_table(sweep))
    print(f"\nmetric: {METRIC}")
    best = sweep.best()
    if best is not None:
        values = " ".join(f"{k}={v}" for k, v in best.params.items())
        print(f"best: trial {best.index + 1} ({values}): {format_metric(best.metric)}")
        print(f"open on Train: {train_link(best)}")
        text, reason = zoo_entry(best)
        print(text if text is not None else f"no RL Zoo entry: {reason}", end="" if text else "\n")
    grid = getattr(sweep, "result_grid", None)  # a sweep on Ray: Tune's ResultGrid
    if grid is not None:
        print(f"Ray Tune: {len(grid)} trials, {len(grid.errors)} errored; its experiment: {folder / 'tune'}")
    try:
        write_sweep_folder(sweep, folder)
        print(f"sweep folder: {folder}")
    except OSError as error:
        print(f"error: cannot write the sweep folder: {error}", file=sys.stderr)
        return EXIT_FAILED
    return 0 if any(result.complete for result in sweep.results()) else EXIT_FAILED


def _progress(sweep: SweepRun):  # type: ignore[no-untyped-def]
    last = [time.monotonic()]

    def report() -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
            last[0] = time.monotonic()
            results = sweep.results()
            done = sum(1 for r in results if r.status in ("finished", "failed", "stopped"))
            print(f"{done}/{len(results)} trials done", file=sys.stderr)

    return report


def _usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
