"""The student: a tiny MLP (or a linear map) whose forward pass is plain numpy, and the script it downloads as.

Trained with torch (:mod:`agents.distill.dagger`), then kept as numpy arrays, so what is measured (return,
microseconds per step) is exactly what the downloaded script runs. Discrete actions are the argmax of the
logits; continuous ones the output clipped into the action box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np


@dataclass(frozen=True)
class StudentPolicy:
    """``act(obs)``: tanh hidden layers, then a linear output; weights as float64 numpy arrays.

    ``layers``: ``(W, b)`` pairs, ``W`` of shape (inputs, outputs). ``n_obs_states``: the number of states of a
    Discrete observation space (one-hot encoded), 0 for a Box. ``action_low``/``action_high``: the Box's bounds,
    or None for discrete actions.
    """

    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    n_obs_states: int = 0
    action_low: np.ndarray | None = None
    action_high: np.ndarray | None = None

    @property
    def discrete(self) -> bool:
        return self.action_low is None

    @property
    def n_parameters(self) -> int:
        return sum(w.size + b.size for w, b in self.layers)

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(int(w.shape[1]) for w, _ in self.layers[:-1])

    def features(self, obs: Any) -> np.ndarray:
        """One observation as the network's input vector."""
        if self.n_obs_states:
            one_hot = np.zeros(self.n_obs_states)
            one_hot[int(np.asarray(obs).reshape(-1)[0])] = 1.0
            return one_hot
        return np.asarray(obs, dtype=np.float64).reshape(-1)

    def act(self, obs: Any) -> int | np.ndarray:
        """The action for one observation: an int (discrete) or a clipped float array (continuous)."""
        x = self.features(obs)
        for w, b in self.layers[:-1]:
            x = np.tanh(x @ w + b)
        w, b = self.layers[-1]
        out = x @ w + b
        if self.action_low is None:
            return int(np.argmax(out))
        assert self.action_high is not None
        return np.clip(out, self.action_low, self.action_high).reshape(self.action_low.shape)

    def predict(self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True):  # type: ignore[no-untyped-def]
        """SB3's ``predict`` for one observation, so the playground's evaluation code can play the student."""
        return np.asarray(self.act(observation)), None

    @classmethod
    def for_spaces(cls, observation_space: gym.Space, action_space: gym.Space) -> tuple[int, int, dict[str, Any]]:
        """(input size, output size, the keyword arguments that describe the spaces) for a new student."""
        if isinstance(observation_space, gym.spaces.Discrete):
            n_in, spaces = int(observation_space.n), {"n_obs_states": int(observation_space.n)}
        elif isinstance(observation_space, gym.spaces.Box):
            n_in, spaces = int(np.prod(observation_space.shape)), {}
        else:
            raise ValueError(f"a student reads Box or Discrete observations, not {type(observation_space).__name__}")
        if isinstance(action_space, gym.spaces.Discrete):
            if int(action_space.start) != 0:
                raise ValueError("a student's discrete actions must be numbered from 0")
            return n_in, int(action_space.n), spaces
        if isinstance(action_space, gym.spaces.Box):
            low, high = action_space.low.astype(np.float64), action_space.high.astype(np.float64)
            return n_in, int(np.prod(action_space.shape)), {**spaces, "action_low": low, "action_high": high}
        raise ValueError(f"a student acts in Box or Discrete spaces, not {type(action_space).__name__}")


def student_script(student: StudentPolicy, env_id: str) -> str:
    """A standalone Python program that needs only numpy: the student's weights as literals and ``act(obs)``.

    ``python student.py`` plays a few episodes of ``env_id`` if gymnasium is installed (``--episodes``,
    ``--seed``); ``python student.py --stdio`` reads one observation per line (numbers separated by spaces or
    commas) and writes one action per line, for any program that runs the environment itself.
    """
    weights = ",\n".join(f"    ({_literal(w)},\n     {_literal(b)})" for w, b in student.layers)
    bounds = (
        f"ACTION_LOW = {_literal(student.action_low)}\nACTION_HIGH = {_literal(student.action_high)}"
        if student.action_low is not None
        else "ACTION_LOW = ACTION_HIGH = None  # discrete actions: the argmax of the outputs"
    )
    return f'''"""A policy distilled by the RL Playground for {env_id}: {student.n_parameters} parameters, numpy only.

Hidden layers {list(student.hidden) or "none (linear)"}, tanh; act(obs) returns the action for one observation.
"""

import argparse
import sys

import numpy as np

ENV_ID = {env_id!r}
N_OBS_STATES = {student.n_obs_states}  # > 0: Discrete observations, one-hot encoded
LAYERS = [  # (W, b) per layer, W of shape (inputs, outputs)
{weights},
]
LAYERS = [(np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)) for w, b in LAYERS]
{bounds}
if ACTION_LOW is not None:
    ACTION_LOW, ACTION_HIGH = np.array(ACTION_LOW), np.array(ACTION_HIGH)


def act(obs):
    """The action for one observation: an int (discrete) or a numpy array clipped into the action bounds."""
    if N_OBS_STATES:
        x = np.zeros(N_OBS_STATES)
        x[int(np.asarray(obs).reshape(-1)[0])] = 1.0
    else:
        x = np.asarray(obs, dtype=np.float64).reshape(-1)
    for w, b in LAYERS[:-1]:
        x = np.tanh(x @ w + b)
    w, b = LAYERS[-1]
    out = x @ w + b
    if ACTION_LOW is None:
        return int(np.argmax(out))
    return np.clip(out, ACTION_LOW, ACTION_HIGH).reshape(ACTION_LOW.shape)


def play(episodes, seed):
    """Mean return over ``episodes`` episodes reset with seeds seed, seed + 1, ... (needs gymnasium)."""
    try:
        import gymnasium as gym
    except ImportError:
        sys.exit("playing episodes needs gymnasium (pip install gymnasium); act(obs) itself needs only numpy")
    env = gym.make(ENV_ID)
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return returns


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stdio", action="store_true", help="read observations from stdin, write actions")
    args = parser.parse_args()
    if args.stdio:
        for line in sys.stdin:
            numbers = [float(v) for v in line.replace(",", " ").split()]
            if numbers:
                action = act(np.array(numbers))
                print(action if isinstance(action, int) else " ".join(repr(float(a)) for a in action), flush=True)
        return
    returns = play(args.episodes, args.seed)
    print(f"mean return {{np.mean(returns):.2f}} over {{len(returns)}} episodes")


if __name__ == "__main__":
    main()
'''


def _literal(array: np.ndarray | None) -> str:
    """Exact float literals (``repr`` round-trips a float64), nested like the array; ValueError if not finite."""
    values = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("a student's weights and action bounds must be finite numbers")
    return repr(values.tolist())
