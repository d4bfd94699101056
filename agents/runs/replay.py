"""Replay any moment: the policy as it was at one of the run's snapshots plays an episode, on demand.

The server asks for ``(snapshot step, seed)``; :func:`replay` loads that snapshot (a file the worker wrote,
:mod:`agents.storage.snapshots`), plays one episode with the evaluation's own code (:func:`agents.runs.evaluation.
play_episode`, acting as in training, not greedily) inside :func:`agents.runs.eval_streams.evaluation_streams`, so the
replay draws from streams of its own, and encodes the clip. Training runs in a worker process of its own, so playing in
the server never touches its random streams; the same ``(run, step, seed)`` always plays the same episode, and its
clip is cached in the run's folder (``replays/<step>-<seed>.gif`` and ``.json``), so a second click costs a file read.

Plays are serialised (one at a time per server): each loads a model and plays up to the env's time limit (0.1-1 s of
one core), and the cores belong to training.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.config.run_config import RunConfig
from agents.runs.eval_streams import evaluation_rng, evaluation_streams
from agents.runs.evaluation import encode_gif, play_episode
from agents.runs.live import SOLVE_WINDOW
from agents.storage.folder import atomic_write_bytes
from agents.storage.snapshots import MAX_CACHED_REPLAYS, REPLAY_DIR, SnapshotStore

log = logging.getLogger(__name__)

MAX_SEED = 2**32 - 1
_play_lock = threading.Lock()


class ReplayError(Exception):
    """A replay that cannot be played; the message is one sentence for the page."""


@dataclass(frozen=True)
class Replay:
    """One episode played by the policy of snapshot ``step`` with episode seed ``seed``."""

    step: int
    seed: int
    episode_return: float
    length: int
    gif: bytes

    def describe(self) -> str:
        """ "Policy at step 40,960: return 187 over 187 steps"."""
        value = self.episode_return
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
        return f"Policy at step {self.step:,}: return {shown} over {self.length:,} steps"


def expected_length(episode_steps: Sequence[int], episode_lengths: Sequence[int], step: int) -> float | None:
    """Mean length of the last 20 training episodes ended at or before ``step`` (how long the snapshot's episode
    will likely be, to spread the clip's frames over it); None before any episode."""
    lengths = [length for at, length in zip(episode_steps, episode_lengths, strict=False) if at <= step]
    return float(np.mean(lengths[-SOLVE_WINDOW:])) if lengths else None


def snapshot_store(run_path: Path, config: RunConfig) -> SnapshotStore:
    return SnapshotStore(run_path, Path(config.algo_info.checkpoint_file).suffix)


def replay(
    run_path: Path, config: RunConfig, step: int, seed: int, *, expected: float | None = None, run_id: str = ""
) -> Replay:
    """The episode the policy of snapshot ``step`` plays with episode seed ``seed`` (cached; played on first ask).

    ``expected``: the episode length to spread the clip's frames over (:func:`expected_length`; None: the env's
    time limit). Raises ValueError for a seed outside [0, 2**32 - 1], :class:`ReplayError` when the run has no
    snapshot at ``step`` (never kept, or thinned out meanwhile).
    """
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"the episode seed must be between 0 and {MAX_SEED:,}")
    step, seed = int(step), int(seed)
    cache = run_path / REPLAY_DIR
    cached = _read_cache(cache, step, seed)
    if cached is not None:
        return cached
    store = snapshot_store(run_path, config)
    with _play_lock:
        cached = _read_cache(cache, step, seed)  # another tab may have played it while this one waited
        if cached is not None:
            return cached
        try:
            with evaluation_streams(None, seed, step):  # loading seeds the global generators: put them back after
                model = config.algo_info.restore(
                    store.file(step), config.env_info.make, config.hyperparams, config.seed
                )
        except (FileNotFoundError, ValueError) as error:
            if store.file(step).is_file():
                raise
            raise ReplayError(
                f"The run no longer keeps a snapshot of step {step:,} (it was thinned out as the run went on)."
            ) from error
        try:
            result = _play(model, config, step, seed, expected, run_id)
        finally:
            _close(model)
    try:
        _write_cache(cache, result)
    except OSError:
        log.warning("could not cache the replay of step %d, seed %d", step, seed, exc_info=True)
    return result


def _play(model: Any, config: RunConfig, step: int, seed: int, expected: float | None, run_id: str) -> Replay:
    import torch

    torch.set_num_threads(1)  # the server's cores train the runs
    env = config.env_info.make(render_mode="rgb_array")
    try:
        with evaluation_streams(model, seed, step):  # streams of the replay's own; training's are put back
            recording = play_episode(model, env, seed=seed, expected_length=expected, rng=evaluation_rng(seed, step))
    finally:
        env.close()
    described = Replay(step, seed, recording.episode_return, recording.length, b"")
    comment = f"RL Playground run {run_id}. {described.describe()}, episode seed {seed}."
    gif = encode_gif(recording.frames, fps=recording.fps, comment=comment)
    return Replay(step, seed, recording.episode_return, recording.length, gif)


def _close(model: Any) -> None:
    env = getattr(model, "env", None)
    if env is not None:
        try:
            env.close()
        except Exception:
            log.debug("closing a replay model's env failed", exc_info=True)


def _names(cache: Path, step: int, seed: int) -> tuple[Path, Path]:
    return cache / f"{step}-{seed}.gif", cache / f"{step}-{seed}.json"


def _read_cache(cache: Path, step: int, seed: int) -> Replay | None:
    gif_path, meta_path = _names(cache, step, seed)
    try:
        meta = json.loads(meta_path.read_text())
        return Replay(step, seed, float(meta["episode_return"]), int(meta["length"]), gif_path.read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(cache: Path, result: Replay) -> None:
    """The clip, then its meta (a meta file means a whole clip); past the bound the oldest clips go."""
    cache.mkdir(exist_ok=True)
    gif_path, meta_path = _names(cache, result.step, result.seed)
    atomic_write_bytes(gif_path, result.gif)
    meta = {k: v for k, v in asdict(result).items() if k != "gif"}
    atomic_write_bytes(meta_path, json.dumps(meta).encode())
    metas = sorted(cache.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in metas[: max(0, len(metas) - MAX_CACHED_REPLAYS)]:
        old.unlink(missing_ok=True)
        old.with_suffix(".gif").unlink(missing_ok=True)
