"""Evaluation clips: thin lines survive shrinking, frames are capped, each clip says at which step it was played,
and a stopped run's clip is its final policy, as a finished run's is."""

from __future__ import annotations

import io
import json
from typing import Any

import av
import gymnasium as gym
import numpy as np
import pytest
from PIL import Image

from agents.config.run_config import build_config
from agents.export.media import gif_comment, gif_to_mp4
from agents.runs.evaluation import MAX_FRAMES, encode_gif, play_episode, shrink_frame
from agents.runs.run import Run, RunStatus
from agents.storage.store import RunStore
from envs.registry import ENVS, get_env
from tests.conftest import wait_until


class RandomModel:
    """Acts at random; enough to play an episode."""

    def __init__(self, space: gym.Space) -> None:
        self.space = space
        space.seed(0)

    def predict(self, obs: Any, deterministic: bool = False) -> tuple[Any, None]:
        return self.space.sample(), None


def dark_rows(frame: np.ndarray, threshold: int = 200, share: float = 0.9) -> list[int]:
    """Rows where most pixels are dark: a horizontal line across the picture."""
    dark = (frame[..., :3] < threshold).all(axis=2).mean(axis=1)
    return [int(i) for i in np.flatnonzero(dark >= share)]


@pytest.mark.parametrize("row", [99, 100, 301])
def test_a_one_pixel_line_survives_shrinking_on_any_row(row: int) -> None:
    frame = np.full((400, 600, 3), 255, dtype=np.uint8)
    frame[row, :, :] = 0
    small = shrink_frame(frame)
    assert small.shape == (200, 300, 3)
    assert dark_rows(small, threshold=220), "the line is still drawn"


def first_frame(env_id: str) -> np.ndarray:
    """The env's first frame after a seeded reset, as it renders it."""
    env = get_env(env_id).make(render_mode="rgb_array")
    try:
        env.reset(seed=0)
        return env.render()
    finally:
        env.close()


def test_cartpole_keeps_its_track_so_the_cart_does_not_float() -> None:
    full = first_frame("CartPole-v1")
    assert dark_rows(full), "the env draws a track"
    gif = encode_gif([shrink_frame(full)] * 2)
    with Image.open(io.BytesIO(gif)) as image:
        shown = np.asarray(image.convert("RGB"))
    assert dark_rows(shown, threshold=220), "the clip as the browser gets it shows the track"


@pytest.mark.parametrize("env_id", list(ENVS))
def test_every_env_shrinks_to_the_clip_width_without_losing_its_picture(env_id: str) -> None:
    full = first_frame(env_id)
    small = shrink_frame(full)
    assert small.shape[1] <= 320 and small.dtype == np.uint8
    factor = int(np.ceil(full.shape[1] / 320))
    # Averaging keeps every part of the picture: the mean colour barely moves, striding's could.
    assert (
        np.abs(
            small.reshape(-1, 3).mean(0)
            - full[: small.shape[0] * factor, : small.shape[1] * factor].reshape(-1, 3).mean(0)
        ).max()
        < 2
    )


@pytest.mark.parametrize(
    ("expected", "low", "high"), [(10.0, MAX_FRAMES // 2, MAX_FRAMES + 1), (200.0, 24, MAX_FRAMES + 1)]
)
def test_frames_are_spread_over_the_episode_and_capped(expected: float, low: int, high: int) -> None:
    """Pendulum always plays 200 steps: a guess too short thins frames as it goes, a right guess spreads them."""
    env = gym.make("Pendulum-v1", render_mode="rgb_array")
    try:
        recording = play_episode(RandomModel(env.action_space), env, seed=0, expected_length=expected)
    finally:
        env.close()
    assert recording.length == 200
    assert low <= len(recording.frames) <= high
    assert recording.frame_every * (len(recording.frames) - 2) <= 200 <= recording.frame_every * len(recording.frames)
    assert recording.play_s > 0 and recording.frames_s > 0


def test_a_finished_runs_clip_says_at_which_step_it_was_played(tmp_path: Any) -> None:
    config = build_config(
        "CartPole-v1", "ppo", preset="defaults", overrides={"n_steps": 64, "batch_size": 64}, timesteps=256
    )
    run = Run(config, store=RunStore(tmp_path))
    run.start()
    assert run.join(60) and run.status == RunStatus.FINISHED, run.error
    clip = run.snapshot().evaluation
    assert clip is not None and clip.step == run.snapshot().timesteps
    assert f"played at training step {clip.step}:" in gif_comment(clip.gif)
    status = json.loads((run.folder.path / "status.json").read_text())
    assert status["evaluation"]["step"] == clip.step
    stored = (run.folder.path / "latest_episode.gif").read_bytes()
    assert stored == clip.gif
    with av.open(io.BytesIO(gif_to_mp4(stored))) as video:
        assert f"played at training step {clip.step}:" in video.metadata["comment"]


def test_a_stopped_run_gets_a_final_evaluation_as_a_finished_one_does() -> None:
    config = build_config(
        "CartPole-v1", "ppo", preset="defaults", overrides={"n_steps": 64, "batch_size": 64}, timesteps=1_000_000
    )
    run = Run(config)
    run.start()
    assert wait_until(lambda: run.snapshot().evaluation is not None, timeout=60)
    first = run.snapshot().evaluation
    assert wait_until(lambda: run.snapshot().timesteps > first.step + 2_000, timeout=60)
    run.stop()
    assert run.join(30) and run.status == RunStatus.STOPPED
    snap = run.snapshot()
    assert snap.evaluation is not None and snap.evaluation.index > first.index
    # The final policy: a stopped on-policy run keeps the weights of its last whole update (one rollout of
    # n_steps=64 on 1 env back at most), and its clip is played with them.
    assert snap.timesteps - 64 <= snap.evaluation.step <= snap.timesteps, (
        "the clip beside a stopped run is its final policy"
    )
