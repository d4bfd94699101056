"""Headless trainer: the same run code as the app, without a browser.

    python -m agents.train --env CartPole-v1 --algo ppo [--timesteps N] [--seed S] [--set NAME=VALUE ...]

Prints one JSON object as its last line of stdout. Without ``--timesteps`` it trains for the preset's
budget and stops as soon as the env counts as solved. Bad input exits with status 2 and one line on
stderr, before anything is allocated; a run that fails inside training exits with status 1.
``--export script`` or ``--export zoo`` prints the configuration as a standalone training script or an
RL Baselines3 Zoo YAML entry instead of training.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from agents.config import DEFAULT_WALL_S, ConfigError, RunConfig, build_config
from agents.export import ExportError, export_script, export_zoo_yaml
from agents.live import SOLVE_WINDOW
from agents.run import Run, RunStatus
from agents.schema import HyperParamError, parse_assignments

EXIT_FAILED, EXIT_USAGE = 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m agents.train", description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="environment id, e.g. CartPole-v1")
    parser.add_argument("--algo", required=True, help="algorithm id, e.g. ppo, dqn, sac")
    parser.add_argument("--timesteps", help="step budget (default: the preset's, stopping early once solved)")
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
    parser.add_argument("--max-wall-s", default=str(DEFAULT_WALL_S), help="wall-clock cap in seconds")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--export",
        choices=("script", "zoo"),
        help="print the configuration as a standalone Python script or an RL Zoo YAML entry, instead of training",
    )
    shaping = parser.add_argument_group("reward shaping")
    shaping.add_argument("--reward-expr", help='custom reward expression, e.g. "reward - 0.1*abs(x)"')
    shaping.add_argument("--living-reward", help="added to every step's reward")
    shaping.add_argument("--termination-bonus", help="added when an episode terminates")
    shaping.add_argument("--truncation-bonus", help="added when an episode is cut by the time limit")
    shaping.add_argument("--potential", help="named potential for potential-based shaping")
    shaping.add_argument("--potential-gamma", help="gamma of the potential-based term")
    shaping.add_argument("--potential-scale", help="scale of the potential-based term")
    shaping.add_argument("--reward-scale", help="multiply the reward by this")
    shaping.add_argument("--reward-clip", help="clip the reward to [-c, c] (0: no clip)")
    return parser


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
    return build_config(
        args.env,
        args.algo,
        preset=args.preset,
        overrides=parse_assignments(args.assignments),
        seed=args.seed,
        timesteps=args.timesteps,
        stop_when_solved=args.timesteps is None,
        max_wall_s=args.max_wall_s,
        shaping=shaping,
    )


def summarise(run: Run, wall_s: float) -> dict[str, Any]:
    """The JSON the trainer prints: what a benchmark or a script needs to judge the run."""
    snap = run.snapshot()
    config = run.config
    return {
        "run_id": run.id,
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
        "hyperparams": config.hyperparams,
        "shaping": config.shaping.to_dict(),
    }


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 3)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except (ConfigError, HyperParamError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.export:
        try:
            print(export_script(config) if args.export == "script" else export_zoo_yaml(config), end="")
        except ExportError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
        return 0
    # A failed run's reason is printed as one line below; without this, Python's last-resort logging
    # handler would dump the run thread's traceback on stderr too.
    logging.getLogger("agents.run").addHandler(logging.NullHandler())
    started = time.perf_counter()
    run = Run(config, record_episodes=False)
    run.start()
    try:
        _wait(run, quiet=args.quiet)
    except KeyboardInterrupt:
        run.stop()
        run.join()
    result = summarise(run, time.perf_counter() - started)
    print(json.dumps(result))
    if run.status == RunStatus.FAILED:
        print(f"error: {run.error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


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
