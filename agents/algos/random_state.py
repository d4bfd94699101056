"""A learner's random state, as plain JSON data: saved with a checkpoint, restored when the run resumes.

What SB3 lets us restore: the global generators it draws from (torch's for sampling actions, numpy's for
epsilon-greedy, replay sampling and action noise, Python's), the model's action space (warm-up actions) and each
training env's own generator (its resets). SB3's ``load`` reseeds all of these with the run's first seed, so a
resumed run would replay the random numbers of its first steps; restoring them continues the streams instead.
What cannot be restored is the env's episode in progress: a resumed run starts new episodes.

Plain data, no pickle: the file is JSON, and a generator is rebuilt only from numpy's own bit generators.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM, "MT19937": np.random.MT19937}
"""The bit generators a saved state may name (gymnasium and numpy use PCG64)."""


def capture(model: Any) -> dict[str, Any]:
    """The generators' states now (copies; tens of microseconds), ``num_timesteps`` saying when: see :func:`to_json`."""
    import torch

    action_space = getattr(model, "action_space", None)
    return {
        "num_timesteps": int(model.num_timesteps),
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "action_space": _generator_state(getattr(action_space, "np_random", None)),
        "envs": [_generator_state(env.unwrapped.np_random) for env in training_envs(model)],
    }


def to_json(state: dict[str, Any]) -> dict[str, Any]:
    """A :func:`capture` as plain JSON data (what :func:`restore` reads)."""
    kind, keys, position, has_gauss, cached = state["numpy"]
    version, python_state, gauss = state["python"]
    return {
        **state,
        "torch": state["torch"].tolist(),
        "numpy": [kind, keys.tolist(), int(position), int(has_gauss), float(cached)],
        "python": [version, list(python_state), gauss],
    }


def restore(model: Any, state: dict[str, Any]) -> bool:
    """Put saved generator states (:func:`to_json`'s data) back; False if they are of another step count.

    Call it after SB3's ``load``, which reseeds every generator with the run's first seed. The training envs
    then reset from their restored generators rather than from a new seed.
    """
    import torch

    envs = training_envs(model)
    if state.get("num_timesteps") != int(model.num_timesteps) or len(state.get("envs", ())) != len(envs):
        return False
    torch.set_rng_state(torch.tensor(state["torch"], dtype=torch.uint8))
    kind, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((str(kind), np.array(keys, dtype=np.uint32), int(position), int(has_gauss), float(cached)))
    version, python_state, gauss = state["python"]
    random.setstate((int(version), tuple(int(n) for n in python_state), gauss))
    action_space = getattr(model, "action_space", None)
    if action_space is not None and state.get("action_space"):
        action_space._np_random = _generator(state["action_space"])
    for env, env_state in zip(envs, state["envs"], strict=True):
        if env_state:
            env.unwrapped.np_random = _generator(env_state)
    vec_env = model.get_env() if hasattr(model, "get_env") else None
    if vec_env is not None and hasattr(vec_env, "_reset_seeds"):
        vec_env._reset_seeds()  # SB3's VecEnv would otherwise reseed each env at its next reset
    return True


def training_envs(model: Any) -> list[Any]:
    """The gymnasium envs a model steps: a DummyVecEnv's copies, or a tabular agent's one env."""
    env = model.get_env() if hasattr(model, "get_env") else getattr(model, "env", None)
    if env is None:
        return []
    return list(getattr(env, "envs", [env]))


def _generator_state(generator: Any) -> dict[str, Any] | None:
    if not isinstance(generator, np.random.Generator):
        return None
    return dict(generator.bit_generator.state)


def _generator(state: dict[str, Any]) -> np.random.Generator:
    kind = BIT_GENERATORS.get(str(state.get("bit_generator")))
    if kind is None:
        raise ValueError(f"unknown bit generator {state.get('bit_generator')!r}")
    bit_generator = kind()
    bit_generator.state = state
    return np.random.Generator(bit_generator)
