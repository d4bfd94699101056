"""Headless trainer: the same run code as the app, without a browser.

    python -m agents.train --env CartPole-v1 --algo ppo [--timesteps N] [--seed S] [--set NAME=VALUE ...]
        [--schedule learning_rate=0:3e-4,20000:1e-4 ...]

Prints one JSON object as its last line of stdout. Without ``--timesteps`` it trains for the preset's
budget and stops as soon as the env counts as solved. Bad input exits with status 2 and one line on
stderr, before anything is allocated; a run that fails inside training exits with status 1.
``--export script`` or ``--export zoo`` prints the configuration as a standalone training script or an
RL Baselines3 Zoo YAML entry instead of training.

Each run is kept in its own folder under ``--runs-dir`` (default: ``RUNS_DIR`` or ``./runs``), named in the
JSON's ``run_dir``; ``--resume RUN_DIR`` continues an interrupted or stopped run from its last checkpoint
to its budget.

``--executor ray`` trains in a Ray actor instead of a thread of this process: on the cluster at
``RAY_ADDRESS``, or on a local one started for the run; the run folder is still written here.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from agents.config.run_config import DEFAULT_WALL_S, ConfigError, RunConfig, build_config
from agents.config.schedule import parse_schedule_text
from agents.config.schema import HyperParamError, parse_assignments
from agents.export.script import ExportError, export_script
from agents.export.zoo import export_zoo_yaml
from agents.runs.live import SOLVE_WINDOW, RunSnapshot
from agents.runs.names import next_run_name
from agents.runs.run import DEFAULT_CHECKPOINT_EVERY_S, Run, RunStatus
from agents.storage.store import RunStore, StorageError, default_root, limits_from_env

if TYPE_CHECKING:
    from agents.runs.workers.ray import RayExecutor

EXIT_FAILED, EXIT_USAGE = 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m agents.train", description=__doc__.splitlines()[0])
    parser.add_argument("--env", help="environment id, e.g. CartPole-v1 (required unless --resume)")
    parser.add_argument("--algo", help="algorithm id, e.g. ppo, dqn, sac (required unless --resume)")
    parser.add_argument("--timesteps", help="step budget (default: the preset's, stopping early once solved)")
    parser.add_argument(
        "--stop-when-solved",
        metavar="BOOL",
        help="end the run once the mean of the last 20 episodes reaches the env's threshold: true/false, "
        "yes/no, on/off or 1/0 (default: true without --timesteps, false with it)",
    )
    parser.add_argument("--seed", default="0", help="random seed (default 0)")
    parser.add_argument("--preset", help="hyperparameter preset: demo, zoo or defaults (default: the pair's)")
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one hyperparameter (repeatable), e.g. --set learning_rate=0.001",
    )
    parser.add_argument(
        "--schedule",
        dest="schedules",
        action="append",
        default=[],
        metavar="SETTING=STEP:VALUE,...",
        help="change a setting at given steps, as a change made while training does (repeatable), e.g. "
        "--schedule learning_rate=0:3e-4,20000:1e-4 (settings: learning_rate, ent_coef, clip_range, "
        "exploration_rate, living_reward, potential_scale, reward_scale, where the run has them)",
    )
    parser.add_argument("--max-wall-s", default=str(DEFAULT_WALL_S), help="wall-clock cap in seconds")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--runs-dir", help="folder that keeps one folder per run (default: $RUNS_DIR or ./runs)")
    parser.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue the run in this folder (one this trainer or the app wrote) from its last checkpoint",
    )
    parser.add_argument(
        "--checkpoint-every-s",
        type=_positive_float,
        default=DEFAULT_CHECKPOINT_EVERY_S,
        help=f"seconds between checkpoints (default {DEFAULT_CHECKPOINT_EVERY_S:g})",
    )
    parser.add_argument(
        "--executor",
        choices=("inline", "ray"),
        default="inline",
        help="where the run trains: in this process (default) or in a Ray actor (the cluster at $RAY_ADDRESS, "
        "else a local one)",
    )
    parser.add_argument(
        "--export",
        choices=("script", "zoo"),
        help="print the configuration as a standalone Python script or an RL Zoo YAML entry, instead of training",
    )
    feedback = parser.add_argument_group("learning the reward from preferences (the feedback lab)")
    feedback.add_argument(
        "--feedback",
        choices=("oracle", "rule", "human"),
        help="train on a reward learned from labelled pairs of clips: the oracle reads the true return, "
        "a rule is a reward expression summed over each clip",
    )
    feedback.add_argument("--labels", help="labels asked over the run (default 200)")
    feedback.add_argument("--rule", help='with --feedback rule: the preference rule, e.g. "-abs(theta)"')
    feedback.add_argument("--initial-labels", dest="initial_labels", help="labels before the first step (20)")
    feedback.add_argument("--fragment-length", dest="fragment_length", help="steps per clip (25)")
    feedback.add_argument("--label-noise", dest="label_noise", help="fraction of random oracle answers (0)")
    feedback.add_argument("--label-temperature", dest="label_temperature", help="oracle's temperature (0)")
    feedback.add_argument("--freeze-after", dest="freeze_after", help="fraction of training that asks labels (1)")
    shaping = parser.add_argument_group("reward shaping")
    shaping.add_argument("--reward-expr", help='custom reward expression, e.g. "reward - 0.1*abs(x)"')
    shaping.add_argument("--living-reward", help="added to every step's reward")
    shaping.add_argument("--termination-bonus", help="added when an episode terminates")
    shaping.add_argument("--truncation-bonus", help="added when an episode is cut by the time limit")
    shaping.add_argument("--potential", help="named potential for potential-based shaping")
    shaping.add_argument(
        "--potential-gamma", help="gamma of the potential-based term (default: the learner's gamma, as it must be)"
    )
    shaping.add_argument("--potential-scale", help="scale of the potential-based term")
    shaping.add_argument("--reward-scale", help="multiply the reward by this")
    shaping.add_argument("--reward-clip", help="clip the reward to [-c, c] (0: no clip)")
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


FEEDBACK_FLAGS = (
    "labels",
    "rule",
    "initial_labels",
    "fragment_length",
    "label_noise",
    "label_temperature",
    "freeze_after",
)

SHAPING_FLAGS = (
    "reward_expr",
    "living_reward",
    "termination_bonus",
    "truncation_bonus",
    "potential",
    "potential_gamma",
    "potential_scale",
    "reward_scale",
    "reward_clip",
)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Turn the command line into a checked configuration (raises ConfigError / HyperParamError)."""
    shaping = {name: getattr(args, name) for name in SHAPING_FLAGS if getattr(args, name) is not None}
    feedback = None
    if args.feedback is not None:
        if args.feedback == "human":
            raise ConfigError("a person labels in the app's feedback lab; headless, use --feedback oracle or rule")
        feedback = {"feedback": args.feedback}
        feedback.update({name: getattr(args, name) for name in FEEDBACK_FLAGS if getattr(args, name) is not None})
    elif any(getattr(args, name) is not None for name in FEEDBACK_FLAGS):
        raise ConfigError("--labels, --rule and the other feedback flags need --feedback oracle or rule")
    return build_config(
        args.env,
        args.algo,
        preset=args.preset,
        overrides=parse_assignments(args.assignments),
        seed=args.seed,
        timesteps=args.timesteps,
        stop_when_solved=args.timesteps is None if args.stop_when_solved is None else args.stop_when_solved,
        max_wall_s=args.max_wall_s,
        shaping=shaping,
        feedback=feedback,
        schedule=parse_schedule_text(";".join(args.schedules)),
    )


def summarise(run: Run, wall_s: float) -> dict[str, Any]:
    """The JSON the trainer prints: what a benchmark or a script needs to judge the run."""
    snap = run.snapshot()
    config = run.config
    return {
        "run_id": run.id,
        "run_name": run.name,
        "run_dir": None if run.folder is None else str(run.folder.path),
        "resumed_from_step": run.resumed_from_step,
        "resume_note": run.resume_note or None,
        "env": config.env_id,
        "algo": config.algo,
        "seed": config.seed,
        "preset": config.preset,
        "status": str(run.status),
        "end_reason": run.end_reason,
        "error": run.error or None,
        "timesteps": snap.timesteps,
        "episodes": len(snap.episode_returns),
        "mean_return_last20": _finite(snap.mean_last(snap.episode_returns)),
        "mean_true_return_last20": _finite(snap.mean_last(snap.episode_true_returns)),
        "solved_threshold": config.env_info.solved_threshold,
        "solved_at_step": snap.solved_at_step,
        "solved_at_s": None if snap.solved_at_s is None else round(snap.solved_at_s, 3),
        "wall_s": round(wall_s, 3),
        "train_s": round(snap.elapsed_s, 3),
        "fps": round(snap.timesteps / snap.elapsed_s, 1) if snap.elapsed_s > 0 else 0.0,
        "start_latency_s": None if run.start_latency_s is None else round(run.start_latency_s, 3),
        "cost": None if snap.cost is None else snap.cost.to_json(),
        "hyperparams": config.hyperparams,
        "shaping": config.effective_shaping.to_dict(),
        "schedule": {name: [list(entry) for entry in entries] for name, entries in config.schedule.items()},
        **_feedback_summary(run, snap),
    }


def _feedback_summary(run: Run, snap: RunSnapshot) -> dict[str, Any]:
    """For a run that learned its reward from preferences: labels used, held-out pair accuracy and the
    learned-vs-true reward correlation per step, as last logged (None before the first refit)."""
    if run.config.feedback is None:
        return {}

    def last(key: str) -> float | None:
        series = snap.losses.get(key) or snap.losses.get(key.removeprefix("train/"))
        return _finite(series[-1][1]) if series else None

    labels = last("train/labels_used")
    return {
        "feedback": run.config.feedback.to_dict(),
        "labels_used": None if labels is None else int(labels),
        "reward_model_accuracy": last("train/reward_model_accuracy"),
        "reward_correlation": last("train/reward_correlation"),
    }


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 3)


def resumable_run(run_dir: str, checkpoint_every_s: float = DEFAULT_CHECKPOINT_EVERY_S) -> Run:
    """The run to continue from a folder this app wrote; StorageError with one line if it cannot be."""
    path = Path(run_dir).expanduser().resolve()
    if not path.is_dir():
        raise StorageError(f"{run_dir} is not a folder")
    folder = RunStore(path.parent).open(path.name)
    stored = Run.restore(folder, record_episodes=False, checkpoint_every_s=checkpoint_every_s)
    return stored.resumed(record_episodes=False)


def new_stored_run(config: RunConfig, runs_dir: str | None, checkpoint_every_s: float) -> Run:
    """A run with its own folder under the runs folder (config.json written now), pruning old ones first."""
    store = RunStore(runs_dir or default_root())
    name = next_run_name(config, store.names())
    run = Run(config, record_episodes=False, store=store, checkpoint_every_s=checkpoint_every_s, name=name)
    max_runs, max_bytes = limits_from_env()
    store.prune(max_runs, max_bytes, protect={run.id})
    return run


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.resume:
        if args.env or args.algo or args.export:
            return _usage("--resume takes the configuration from the run folder; drop --env, --algo and --export")
        try:
            run = resumable_run(args.resume, args.checkpoint_every_s)
        except StorageError as error:
            return _usage(f"cannot resume {args.resume}: {error}")
        return _train(run, quiet=args.quiet, executor=args.executor)
    if not args.env or not args.algo:
        return _usage("--env and --algo are required (or --resume RUN_DIR)")
    try:
        config = config_from_args(args)
    except (ConfigError, HyperParamError) as error:
        return _usage(str(error))
    for warning in config.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    if args.export:
        try:
            print(export_script(config) if args.export == "script" else export_zoo_yaml(config), end="")
        except ExportError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
        return 0
    try:
        run = new_stored_run(config, args.runs_dir, args.checkpoint_every_s)
    except (StorageError, OSError) as error:
        return _usage(f"cannot write the run folder: {error}")
    return _train(run, quiet=args.quiet, executor=args.executor)


def _usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _train(run: Run, *, quiet: bool, executor: str = "inline") -> int:
    """Train inline (the worker body in a thread of this process) or in a Ray actor, print the JSON, return the exit
    status."""
    # A failed run's reason is printed as one line below; without this, Python's last-resort logging
    # handler would dump the run thread's traceback on stderr too.
    logging.getLogger("agents.runs.training").addHandler(logging.NullHandler())
    started = time.perf_counter()
    chosen = _executor(executor)
    try:
        run.start(chosen)
    except StorageError as error:
        return _usage(str(error))
    try:
        _wait(run, quiet=quiet)
    except KeyboardInterrupt:
        run.stop()
        run.join()
    finally:
        if chosen is not None:
            chosen.close()  # frees the cluster's CPU its warm actor would hold
    result = summarise(run, time.perf_counter() - started)
    print(json.dumps(result))
    if run.status == RunStatus.FAILED:
        print(f"error: {run.error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _executor(name: str) -> RayExecutor | None:
    """The executor named on the command line (None: inline); Ray is imported only when asked for."""
    if name != "ray":
        return None
    from agents.runs.workers.ray import RayExecutor

    return RayExecutor()


def _wait(run: Run, *, quiet: bool) -> None:
    last_report = time.perf_counter()
    while not run.join(timeout=0.5):
        if not quiet and time.perf_counter() - last_report >= 5:
            last_report = time.perf_counter()
            snap = run.snapshot()
            mean = snap.mean_last(snap.episode_true_returns)
            shown = "-" if mean is None else f"{mean:.1f}"
            print(
                f"{snap.timesteps:>9} steps  {snap.fps:7.0f} steps/s  mean return (last {SOLVE_WINDOW}) {shown}",
                file=sys.stderr,
            )


if __name__ == "__main__":
    raise SystemExit(main())
