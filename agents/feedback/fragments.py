"""Clips of behaviour to compare: fragments cut from episodes the current policy plays, and pairs of them.

The names follow the ``imitation`` library's preference comparisons (``RandomFragmenter``,
``fragment_length``), whose behaviour this reproduces; ``imitation`` pins gymnasium 0.29 and SB3 2.2, so it
cannot be a dependency here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np

Policy = Callable[[np.ndarray], Any]
"""Maps one observation to one env action (e.g. ``lambda obs: model.predict(obs)[0]``)."""
FrameFilter = Callable[[np.ndarray], np.ndarray]
"""Turns a rendered RGB frame into the one kept (e.g. shrinks it)."""


@dataclass(frozen=True)
class Fragment:
    """A clip of ``T`` consecutive steps of one episode.

    Attributes:
        obs: observations before each action, shape ``(T, *obs_shape)``, float32.
        acts: actions taken, shape ``(T, *act_shape)`` (discrete: ``(T,)`` int64).
        true_rewards: the env's own reward per step, shape ``(T,)``, float64. Only automated labelers and
            the charts read it; the agent never does.
        start: index of the clip's first step within its episode.
        episode_seed: the reset seed of the episode it was cut from (replays the clip exactly).
        frames: rendered RGB frames, one per step, when the clip is for a person; else empty.
    """

    obs: np.ndarray
    acts: np.ndarray
    true_rewards: np.ndarray
    start: int
    episode_seed: int
    frames: tuple[np.ndarray, ...] = field(default=(), repr=False)

    def __len__(self) -> int:
        return len(self.true_rewards)

    @property
    def true_return(self) -> float:
        """Sum of the env's rewards over the clip (undiscounted)."""
        return float(self.true_rewards.sum())


@dataclass(frozen=True)
class Episode:
    """One episode as arrays: ``obs`` ``(T, *obs_shape)``, ``acts`` ``(T, ...)``, ``rewards`` ``(T,)``."""

    obs: np.ndarray
    acts: np.ndarray
    rewards: np.ndarray
    seed: int
    frames: tuple[np.ndarray, ...] = ()
    absorbed_from: int | None = None
    """Index of the first step spent in an absorbing state (``info["absorbed"]``, see
    :mod:`envs.fixed_horizon`), or None if the episode never reached one."""

    def __len__(self) -> int:
        return len(self.rewards)


def play_episode(env: gym.Env, policy: Policy, seed: int, *, render: bool = False, max_steps: int = 10_000) -> Episode:
    """Play one episode from ``env.reset(seed=seed)`` and record it; ``render`` keeps an RGB frame per step.

    Raises:
        ValueError: the env returned a non-finite reward.
    """
    obs, _ = env.reset(seed=seed)
    observations, actions, rewards, frames = [], [], [], []
    absorbed_from = None
    for _ in range(max_steps):
        if render:
            frames.append(np.asarray(env.render()))
        action = policy(obs)
        next_obs, reward, terminated, truncated, info = env.step(action)
        if absorbed_from is None and info.get("absorbed"):
            absorbed_from = len(rewards)
        if not np.isfinite(reward):
            raise ValueError(f"the env returned a non-finite reward ({reward})")
        observations.append(np.asarray(obs, dtype=np.float32))
        actions.append(np.asarray(action))
        rewards.append(float(reward))
        obs = next_obs
        if terminated or truncated:
            break
    return Episode(
        obs=np.stack(observations),
        acts=np.stack(actions),
        rewards=np.asarray(rewards, dtype=np.float64),
        seed=seed,
        frames=tuple(frames),
        absorbed_from=absorbed_from,
    )


def cut_fragments(episode: Episode, fragment_length: int, count: int, rng: np.random.Generator) -> list[Fragment]:
    """Cut up to ``count`` distinct clips of ``fragment_length`` steps at uniformly random offsets of ``episode``.

    Fewer when the episode has fewer distinct windows (a clip as long as the episode: one); none when the
    episode is shorter than ``fragment_length`` (a fixed-horizon env never is). A clip starts before the
    episode's absorbing state, so it always shows some behaviour: a clip of nothing but the aftermath tells a
    labeler nothing (measured on fixed-horizon CartPole: 85 of 100 pairs were "same", and the reward learned
    from the rest paid states about to fall more than a centred pole, so the agent learned to fall).
    """
    if fragment_length < 1:
        raise ValueError("fragment_length must be at least 1")
    last_start = len(episode) - fragment_length
    if last_start < 0:
        return []
    if episode.absorbed_from is not None:
        last_start = min(last_start, max(0, episode.absorbed_from - 1))
    fragments = []
    starts = rng.choice(last_start + 1, size=min(count, last_start + 1), replace=False)  # no clip twice
    for start in starts:
        window = slice(int(start), int(start) + fragment_length)
        fragments.append(
            Fragment(
                obs=episode.obs[window],
                acts=episode.acts[window],
                true_rewards=episode.rewards[window],
                start=int(start),
                episode_seed=episode.seed,
                frames=episode.frames[window] if episode.frames else (),
            )
        )
    return fragments


def render_clips(
    env: gym.Env, episode: Episode, fragments: list[Fragment], frame: FrameFilter | None = None
) -> list[Fragment]:
    """``fragments`` of ``episode`` with their frames, rendered by replaying the episode on ``env``.

    The episode is replayed from its reset seed with its recorded actions (gymnasium's envs are deterministic
    given both), and only the steps inside a clip are rendered: a frame costs 1.5-3 ms, a step microseconds,
    so two 25-step clips of a 500-step episode cost 50 frames instead of 500. ``env`` is made with
    ``render_mode="rgb_array"``; ``frame`` filters each rendered frame (e.g. shrinks it).

    Raises:
        ValueError: the replay went elsewhere than the recording (the env is not deterministic).
    """
    if not fragments:
        return []
    keep = frame or (lambda image: image)
    wanted: dict[int, list[int]] = {}
    for index, fragment in enumerate(fragments):
        for step in range(fragment.start, fragment.start + len(fragment)):
            wanted.setdefault(step, []).append(index)
    frames: list[list[np.ndarray]] = [[] for _ in fragments]
    obs, _ = env.reset(seed=episode.seed)
    last = max(wanted)
    for step in range(last + 1):
        if step in wanted:
            if not np.allclose(np.asarray(obs, dtype=np.float32), episode.obs[step], atol=1e-4):
                raise ValueError(f"replaying the episode from seed {episode.seed} diverged at step {step}")
            image = keep(np.asarray(env.render()))
            for index in wanted[step]:
                frames[index].append(image)
        if step < last:
            obs, *_ = env.step(episode.acts[step])
    return [replace(fragment, frames=tuple(clip)) for fragment, clip in zip(fragments, frames, strict=True)]


class FragmentSampler:
    """Clips of the *current* policy, played on an env of their own so sampling never touches training.

    Each call plays fresh episodes (reset seeds drawn from the sampler's own generator) and cuts random clips
    from them, ``fragments_per_episode`` per episode, as ``imitation``'s ``RandomFragmenter`` does with
    trajectories. Steps played here are counted in :attr:`env_steps` (the cost meter's clip steps).

    Args:
        make_env: builds the env (with ``render_mode="rgb_array"`` when clips are for a person).
        fragment_length: steps per clip (Christiano et al. 2017 used clips of 1-2 s).
        seed: seeds the sampler's generator; the same seed and policy give the same clips.
        fragments_per_episode: clips cut from each played episode.
        render: keep frames for a person to watch (rendered by replaying only the clips, :func:`render_clips`).
        frame: filters each kept frame (e.g. shrinks it); None keeps it as rendered.
    """

    def __init__(
        self,
        make_env: Callable[[], gym.Env],
        fragment_length: int,
        seed: int,
        fragments_per_episode: int = 4,
        render: bool = False,
        frame: FrameFilter | None = None,
    ) -> None:
        self.env = make_env()
        self.fragment_length = fragment_length
        self.fragments_per_episode = fragments_per_episode
        self.render = render
        self.frame = frame
        self.rng = np.random.default_rng(seed)
        self.env_steps = 0

    def sample(self, policy: Policy, n_fragments: int) -> list[Fragment]:
        """``n_fragments`` clips of ``policy`` (an even number makes whole pairs)."""
        fragments: list[Fragment] = []
        attempts = 0
        while len(fragments) < n_fragments:
            attempts += 1
            if attempts > 10 * n_fragments + 10:
                raise RuntimeError(
                    f"episodes are shorter than fragment_length={self.fragment_length}: use shorter clips "
                    "or a fixed-horizon env"
                )
            episode = play_episode(self.env, policy, int(self.rng.integers(2**31)))
            self.env_steps += len(episode)
            want = min(self.fragments_per_episode, n_fragments - len(fragments))
            clips = cut_fragments(episode, self.fragment_length, want, self.rng)
            fragments.extend(render_clips(self.env, episode, clips, self.frame) if self.render else clips)
        return fragments

    def close(self) -> None:
        self.env.close()


def pair_up(fragments: list[Fragment]) -> list[tuple[Fragment, Fragment]]:
    """Consecutive clips as pairs ``(left, right)``; an odd last clip is dropped."""
    return [(fragments[i], fragments[i + 1]) for i in range(0, len(fragments) - 1, 2)]
