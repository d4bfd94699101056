"""Evaluation episodes: play the current policy on a separate rendering env and keep a few frames.

Cheap enough to play every few seconds (measured in ``benchmarks/bench_eval.py``):

* only the frames that are kept are rendered (2-5 ms each). The stride between them is chosen from the
  episode length the agent currently reaches, so a 20-step episode keeps every step (every other one for an
  env drawn at 50 frames a second) and a 500-step one about every sixteenth, and at most ``max_frames`` are
  kept: past that, every other frame is dropped and the stride doubles;
* frames are shrunk to at most 320 px wide by averaging pixel blocks, so a 1-px line (CartPole's track)
  stays visible instead of falling between the rows that striding keeps;
* the GIF shares one palette, computed once per clip, instead of quantising every frame on its own;
* an SB3 policy acts through a numpy copy of its weights (:mod:`agents.runs.numpy_policy`, ~20 µs a step
  against ~250 µs for ``predict``); for other models ``predict`` is called with the policy's evaluation mode
  set once per episode instead of on every call (a third of its cost).

Acting draws from random streams of the evaluation's own (:mod:`agents.runs.eval_streams`).
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from PIL import Image

from agents.runs.numpy_policy import numpy_policy

MAX_FRAMES = 32
"""Frames kept per clip (a frame costs 2-5 ms to render and about 1 ms to encode)."""
MAX_GIF_FPS = 25.0
"""Frames per second a clip plays at, at most: an env drawn at 50 frames a second (CartPole, LunarLander) keeps
every other step, which the eye does not miss (and browsers slow GIF frames shorter than 20 ms to 100 ms)."""
MIN_GIF_FPS = 8.0
"""A long episode's few kept frames play at least this fast: faster than real time rather than a slide show."""
MAX_WIDTH = 320
"""Pixels: frames wider than this are shrunk by averaging blocks of pixels."""


@dataclass
class EpisodeRecording:
    """One evaluation episode: its true return, its length, a thinned-out list of frames and what it cost."""

    episode_return: float
    length: int
    frames: list[np.ndarray] = field(default_factory=list)
    frame_every: int = 1
    """Steps between two kept frames: the GIF plays that many steps per frame."""
    fps: float = MAX_GIF_FPS
    """Frames per second to play the clip at: the env's own speed, within [MIN_GIF_FPS, MAX_GIF_FPS]."""
    play_s: float = 0.0
    """CPU seconds (of the playing thread) spent choosing actions and stepping the env."""
    frames_s: float = 0.0
    """CPU seconds spent rendering and shrinking the kept frames."""
    observations: list[np.ndarray] = field(default_factory=list)
    """Every observation of the episode, from the reset's to the last step's (length + 1 of them): its path."""


def play_episode(
    model: object,
    env: gym.Env,
    *,
    seed: int,
    expected_length: float | None = None,
    max_frames: int = MAX_FRAMES,
    deterministic: bool = False,
    rng: np.random.Generator | None = None,
) -> EpisodeRecording:
    """Play one episode with ``model.predict`` on ``env`` (made with ``render_mode="rgb_array"``).

    ``expected_length``: the steps the episode will likely take (the training episodes' recent mean), to
    spread the ``max_frames`` kept frames over it; None assumes the env's time limit.
    Not greedy by default: the episode shows the policy as it acts in training, so it matches the curve
    (an untrained PPO net acting greedily can balance CartPole by luck and mislead a learner).
    With ``rng``, an SB3 policy acts through a numpy copy of its weights (:mod:`agents.runs.numpy_policy`),
    sampling from ``rng``; other models, or without ``rng``, act through ``model.predict``.
    """
    limit = env.spec.max_episode_steps if env.spec and env.spec.max_episode_steps else 1000
    expected = min(limit, max(1.0, expected_length)) if expected_length else limit
    render_fps = float(env.metadata.get("render_fps") or MAX_GIF_FPS)
    stride = max(math.ceil(render_fps / MAX_GIF_FPS), math.ceil(expected / max_frames))
    started = time.thread_time()
    obs, _ = env.reset(seed=seed)
    observations = [obs]
    frames = [shrink_frame(env.render())]
    render_s = time.thread_time() - started  # with the reset: a fixed cost per episode
    total, steps, done = 0.0, 0, False
    act = numpy_policy(model, rng, deterministic=deterministic) if rng is not None else None
    with _policy_mode_set_once(model):
        while not done and steps < limit:
            if act is not None:
                action = act(obs)
            else:
                action, _ = model.predict(obs, deterministic=deterministic)  # type: ignore[attr-defined]
            obs, reward, terminated, truncated, _ = env.step(_as_env_action(action, env))
            observations.append(obs)
            total += float(reward)
            steps += 1
            done = terminated or truncated
            if not done and steps % stride:
                continue
            before = time.thread_time()
            if not done and len(frames) >= max_frames:  # longer than expected: keep every other frame
                frames, stride = frames[::2], stride * 2
            if done or steps % stride == 0:
                frames.append(shrink_frame(env.render()))
            render_s += time.thread_time() - before
    elapsed = time.thread_time() - started
    fps = min(MAX_GIF_FPS, max(MIN_GIF_FPS, render_fps / stride))
    return EpisodeRecording(
        total, steps, frames, stride, fps, play_s=elapsed - render_s, frames_s=render_s, observations=observations
    )


@contextmanager
def _policy_mode_set_once(model: object) -> Iterator[None]:
    """Put an SB3 policy in evaluation mode once and make ``predict``'s own per-call switch a no-op meanwhile.

    SB3's ``predict`` calls ``policy.set_training_mode(False)``, which walks every module on every step. The
    callbacks run while training has already set that mode, so the policy ends as it was found.
    """
    policy = getattr(model, "policy", None)
    set_mode = getattr(policy, "set_training_mode", None)
    if policy is None or set_mode is None:
        yield
        return
    set_mode(False)
    policy.set_training_mode = _keep_mode  # an instance attribute shadows the method
    try:
        yield
    finally:
        del policy.set_training_mode


def _keep_mode(mode: bool) -> None:
    """Stands in for ``set_training_mode`` while an evaluation episode plays."""


def _as_env_action(action: np.ndarray | int, env: gym.Env) -> np.ndarray | int:
    if isinstance(env.action_space, gym.spaces.Discrete):
        return int(np.asarray(action).reshape(-1)[0])
    return np.asarray(action, dtype=np.float32).reshape(env.action_space.shape)


def shrink_frame(frame: np.ndarray | None, max_width: int = MAX_WIDTH) -> np.ndarray:
    """An RGB frame at most ``max_width`` wide, each pixel the mean of a block (PIL's ``reduce``, ~0.5 ms).

    Striding (keeping every n-th row and column) is as fast but drops what lies between: CartPole's 1-px
    track vanished and the cart floated. Averaging keeps a thin line as a fainter one, on every env.
    """
    if frame is None:
        return np.zeros((8, 8, 3), dtype=np.uint8)
    rgb = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
    factor = max(1, math.ceil(rgb.shape[1] / max_width))
    if factor == 1:
        return rgb
    return np.asarray(Image.fromarray(rgb).reduce(factor))


def encode_gif(frames: list[np.ndarray], fps: float = 25.0, comment: str = "") -> bytes:
    """An endlessly looping animated GIF of the frames, with ``comment`` stored in the file.

    One 64-colour palette, computed from the first, middle and last frames together, serves every frame
    (quantising each frame on its own cost three times as much).
    """
    if not frames:
        return b""
    height = min(f.shape[0] for f in frames)
    width = min(f.shape[1] for f in frames)
    samples = [frames[0], frames[len(frames) // 2], frames[-1]]
    sheet = Image.fromarray(np.concatenate([f[:height, :width] for f in samples], axis=0))
    palette = sheet.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    images = [
        Image.fromarray(np.ascontiguousarray(f[:height, :width])).quantize(palette=palette, dither=Image.Dither.NONE)
        for f in frames
    ]
    buffer = io.BytesIO()
    extra: dict[str, Any] = {"comment": comment.encode()} if comment else {}
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0, **extra
    )
    return buffer.getvalue()
