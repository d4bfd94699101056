"""Evaluation episodes: play the current policy on a separate rendering env and keep a few frames.

Rendering costs 2-4.5 ms a frame, so frames are captured at most ``max_frames`` per episode, halved in
size by striding (no resampling cost), and encoded as a small animated GIF that a browser plays on its own.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
from PIL import Image


@dataclass
class EpisodeRecording:
    """One evaluation episode: its true return, its length and a thinned-out list of frames."""

    episode_return: float
    length: int
    frames: list[np.ndarray] = field(default_factory=list)
    frame_every: int = 1
    """Steps between two captured frames: the GIF plays that many steps per frame."""


def play_episode(
    model: object, env: gym.Env, *, seed: int, max_frames: int = 60, deterministic: bool = False
) -> EpisodeRecording:
    """Play one episode with ``model.predict`` on ``env`` (made with ``render_mode="rgb_array"``).

    Not greedy by default: the episode shows the policy as it acts in training, so it matches the curve
    (an untrained PPO net acting greedily can balance CartPole by luck and mislead a learner).
    """
    limit = env.spec.max_episode_steps if env.spec and env.spec.max_episode_steps else 1000
    frame_every = max(1, math.ceil(limit / max_frames))
    obs, _ = env.reset(seed=seed)
    total, steps, frames = 0.0, 0, []
    frames.append(_shrink(env.render()))
    done = False
    while not done and steps < limit:
        action, _ = model.predict(obs, deterministic=deterministic)  # type: ignore[attr-defined]
        obs, reward, terminated, truncated, _ = env.step(_as_env_action(action, env))
        total += float(reward)
        steps += 1
        done = terminated or truncated
        if done or steps % frame_every == 0:
            frames.append(_shrink(env.render()))
    return EpisodeRecording(total, steps, frames, frame_every)


def _as_env_action(action: np.ndarray | int, env: gym.Env) -> np.ndarray | int:
    if isinstance(env.action_space, gym.spaces.Discrete):
        return int(np.asarray(action).reshape(-1)[0])
    return np.asarray(action, dtype=np.float32).reshape(env.action_space.shape)


def _shrink(frame: np.ndarray | None, max_width: int = 320) -> np.ndarray:
    """Halve a frame by striding until it fits ``max_width``: free, unlike resampling."""
    if frame is None:
        return np.zeros((8, 8, 3), dtype=np.uint8)
    step = max(1, math.ceil(frame.shape[1] / max_width))
    return np.ascontiguousarray(frame[::step, ::step, :3])


def encode_gif(frames: list[np.ndarray], fps: float = 25.0) -> bytes:
    """An endlessly looping animated GIF of the frames (a 32-colour palette keeps it small and quick)."""
    if not frames:
        return b""
    images = [Image.fromarray(f).quantize(colors=32, method=Image.Quantize.FASTOCTREE) for f in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return buffer.getvalue()
