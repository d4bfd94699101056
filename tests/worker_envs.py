"""Misbehaving environments, registered only in tests: they crash, hog memory, hang or raise mid-run.

Each is CartPole until its ``after`` step, then misbehaves. Tests register them for their own duration
(:func:`registered`), so no other test that walks the env registries meets them; a worker process registers
them when it imports this module (``ProcessExecutor(imports=WORKER_IMPORTS)``), since it forks from a server
that never saw them.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gymnasium as gym
import numpy as np

from envs.registry import ENVS, EnvInfo

WORKER_IMPORTS = ("tests.worker_envs",)


class _Misbehaving(gym.Wrapper):
    after = 150

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(gym.make("CartPole-v1", render_mode=render_mode))
        self.steps = 0

    def step(self, action: Any) -> Any:
        self.steps += 1
        if self.steps >= self.after:
            self.misbehave()
        return self.env.step(action)

    def misbehave(self) -> None:
        raise NotImplementedError


class SegfaultEnv(_Misbehaving):
    """Dereferences a null pointer: the process dies of SIGSEGV, as a buggy native extension would."""

    def misbehave(self) -> None:
        ctypes.string_at(0)


class AbortEnv(_Misbehaving):
    """Calls C's abort(): SIGABRT."""

    def misbehave(self) -> None:
        import os

        os.abort()


class HogEnv(_Misbehaving):
    """Keeps 4 MB more on every step, without bound (touched, so it is resident)."""

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode)
        self.hoard: list[np.ndarray] = []

    def misbehave(self) -> None:
        self.hoard.append(np.ones(512 * 1024))  # 4 MiB of float64
        time.sleep(0.002)


class HangEnv(_Misbehaving):
    """Stops answering: a step that never returns."""

    def misbehave(self) -> None:
        while True:
            time.sleep(3600)


class RaisingEnv(_Misbehaving):
    """The simulator raises, with a message of two lines."""

    def misbehave(self) -> None:
        raise RuntimeError("the simulator crashed\nsecond line with details")


class NoMemoryEnv(gym.Wrapper):
    """Cannot even be built: MemoryError while the run builds its envs."""

    def __init__(self, render_mode: str | None = None) -> None:
        raise MemoryError


def _register(env_id: str, cls: type, title: str) -> None:
    if env_id not in gym.registry:
        gym.register(id=env_id, entry_point=f"{__name__}:{cls.__name__}", max_episode_steps=500)
    cartpole = ENVS["CartPole-v1"]
    ENVS.setdefault(
        env_id,
        EnvInfo(
            id=env_id,
            title=title,
            description="A test environment that misbehaves.",
            obs_kind=cartpole.obs_kind,
            action_kind=cartpole.action_kind,
            solved_threshold=None,
            default_timesteps=1_000,
            default_algo="ppo",
        ),
    )


MISBEHAVING = {
    "SegfaultCartPole-v0": (SegfaultEnv, "Segfaulting CartPole"),
    "AbortCartPole-v0": (AbortEnv, "Aborting CartPole"),
    "HogCartPole-v0": (HogEnv, "Memory-hogging CartPole"),
    "HangCartPole-v0": (HangEnv, "Hanging CartPole"),
    "RaisingCartPole-v0": (RaisingEnv, "Raising CartPole"),
    "NoMemoryCartPole-v0": (NoMemoryEnv, "Unbuildable CartPole"),
}


def register() -> None:
    for env_id, (cls, title) in MISBEHAVING.items():
        _register(env_id, cls, title)


def unregister() -> None:
    for env_id in MISBEHAVING:
        ENVS.pop(env_id, None)
        gym.registry.pop(env_id, None)


@contextmanager
def registered() -> Iterator[None]:
    """The misbehaving envs exist within the block only (in this process)."""
    register()
    try:
        yield
    finally:
        unregister()


if multiprocessing.current_process().name.startswith("run-"):  # a worker process: its run needs them
    register()
