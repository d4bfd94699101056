"""GRPO, the critic-free policy optimiser of DeepSeekMath and DeepSeek-R1, on gymnasium tasks.

Read top to bottom, like a CleanRL file: :class:`GRPO` collects ``groups_per_update`` groups of ``group_size``
attempts (every attempt of a group starts from the same reset seed, so they answer the same "problem"), scores
each step against its group (:func:`~agents.algos.grpo.core.group_advantages`), and takes ``n_epochs`` passes of
PPO's clipped objective plus ``beta`` times a k3 KL to a reference policy refreshed every ``ref_update_interval``
updates. There is no value network: the group mean is the baseline.

It speaks stable-baselines3's surface (``learn`` with callbacks, ``predict``, ``save``/``load``, ``set_logger``,
``num_timesteps``, ``policy``, ``get_env``), so the playground's run code, live view and storage drive it like an
SB3 model. Checkpoints are a zip in SB3's layout (``data`` as JSON, ``policy.pth``, ``policy.optimizer.pth``)
read back with ``torch.load(weights_only=True)``: nothing is unpickled.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.algos.callbacks import MaybeCallback, init_callback
from agents.algos.grpo.checkpoint import read_checkpoint, write_checkpoint
from agents.algos.grpo.core import clipped_surrogate, group_advantages, k3_kl
from agents.algos.grpo.policy import GRPOPolicy, count_parameters
from agents.algos.grpo.schema import GRPO_SCHEMA
from agents.config.schema import Value


@dataclass
class Attempt:
    """One episode of a group: what the policy saw and did, and what it was paid."""

    observations: list[np.ndarray] = field(default_factory=list)
    actions: list[np.ndarray] = field(default_factory=list)
    log_probs: list[float] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Batch:
    """An update's steps, flattened over attempts and groups, as tensors of N rows."""

    observations: torch.Tensor
    actions: torch.Tensor
    old_log_probs: torch.Tensor
    advantages: torch.Tensor
    returns: np.ndarray
    """Each attempt's sum of rewards, shape (n_groups, group_size)."""
    zero_spread: np.ndarray
    """Shape (n_groups,): groups whose attempts all scored the same."""


class GRPO:
    """Group Relative Policy Optimization (Shao et al. 2024, arXiv 2402.03300) with SB3's model surface.

    ``env``: a ``DummyVecEnv`` of exactly ``group_size * groups_per_update`` copies of an env with a time limit
    (GRPO compares whole attempts), or a function that makes one such env. ``hyperparams``: the names of
    :data:`~agents.algos.grpo.schema.GRPO_SCHEMA`, checked against its bounds (HyperParamError otherwise).
    ``seed`` fixes the initial weights, the groups' reset seeds, the sampled actions and the minibatch order.
    """

    algo_id: ClassVar[str] = "grpo"

    def __init__(
        self,
        env: DummyVecEnv | Callable[[], gym.Env] | None,
        seed: int = 0,
        *,
        _observation_space: gym.Space | None = None,
        _action_space: gym.Space | None = None,
        **hyperparams: Value,
    ) -> None:
        self.hyperparams: dict[str, Value] = GRPO_SCHEMA.resolve(hyperparams)
        self.seed = int(seed)
        self.group_size = int(self.hyperparams["group_size"])
        self.n_envs = self.group_size * int(self.hyperparams["groups_per_update"])
        self.env: DummyVecEnv | None = None
        if env is not None:
            self.set_env(env)
        assert self.env is not None or (_observation_space is not None and _action_space is not None)
        self.observation_space = _observation_space or self.env.observation_space  # type: ignore[union-attr]
        self.action_space = _action_space or self.env.action_space  # type: ignore[union-attr]
        self.policy = GRPOPolicy(
            self.observation_space,
            self.action_space,
            [int(width) for width in str(self.hyperparams["net_arch"]).split("x")],
            float(self.hyperparams["learning_rate"]),
            seed=self.seed,
        )
        self.reference = GRPOPolicy(self.observation_space, self.action_space, self.policy.net_arch)
        self.reference.load_state_dict(self.policy.state_dict())
        self.reference.requires_grad_(False)
        self.rng = np.random.default_rng(self.seed)
        """Draws the groups' reset seeds and the minibatch order."""
        self.num_timesteps = 0
        self._total_timesteps = 0
        self._n_updates = 0
        self._logger: Logger | None = None
        self.ep_info_buffer: deque[dict[str, float]] = deque(maxlen=100)
        """The last 100 finished episodes' Monitor records (SB3's name), for rollout/ep_rew_mean."""
        if self.hyperparams["learning_rate_schedule"] == "linear":
            self.lr_schedule: Callable[[float], float] = LinearSchedule(float(self.hyperparams["learning_rate"]), 0, 1)
        else:
            self.lr_schedule = lambda _: float(self.hyperparams["learning_rate"])

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        """The policy's Adam optimizer (where SB3 keeps it: ``model.policy.optimizer``)."""
        assert self.policy.optimizer is not None
        return self.policy.optimizer

    @property
    def n_parameters(self) -> int:
        """Trainable parameters: the policy's only (the reference is a frozen copy, and there is no critic)."""
        return count_parameters(self.policy)

    # --- collecting groups --------------------------------------------------------------------------------

    def collect_rollouts(self, callback: BaseCallback) -> Batch | None:
        """Play ``groups_per_update`` groups side by side until every attempt ended; None if a callback stopped.

        Env ``k * group_size + i`` plays attempt ``i`` of group ``k``, reset with group ``k``'s seed. SB3's
        ``VecEnv.seed(s)`` would give env i the seed s + i and auto-reset finished envs, so GRPO resets and steps
        the vector's envs itself; an env whose attempt ended waits for the rest of the update.
        """
        envs = self._require_env().envs
        group_seeds = self.rng.integers(0, 2**31 - 1, size=self.n_envs // self.group_size)
        obs = [env.reset(seed=int(group_seeds[i // self.group_size]))[0] for i, env in enumerate(envs)]
        attempts = [Attempt() for _ in envs]
        active = list(range(len(envs)))
        callback.on_rollout_start()
        while active:
            actions, log_probs = self.policy.act(self.policy.obs_to_tensor(np.stack([obs[i] for i in active])))
            rewards = np.zeros(len(active))
            dones = np.zeros(len(active), dtype=bool)
            infos: list[dict[str, Any]] = []
            for j, i in enumerate(active):
                attempt = attempts[i]
                attempt.observations.append(obs[i])
                attempt.actions.append(actions[j])
                attempt.log_probs.append(float(log_probs[j]))
                obs[i], reward, terminated, truncated, info = envs[i].step(self.policy.to_env_action(actions[j]))
                attempt.rewards.append(float(reward))
                rewards[j], dones[j] = reward, terminated or truncated
                infos.append(info)
                if "episode" in info:
                    self.ep_info_buffer.append(info["episode"])
            if not np.all(np.isfinite(rewards)):
                raise FloatingPointError(f"the environment returned a reward of {rewards[~np.isfinite(rewards)][0]}")
            self.num_timesteps += len(active)
            callback.update_locals({"rewards": rewards, "dones": dones, "infos": infos, "actions": actions})
            if not callback.on_step():
                return None
            active = [i for j, i in enumerate(active) if not dones[j]]
        callback.on_rollout_end()
        return self._batch(attempts)

    def _batch(self, attempts: list[Attempt]) -> Batch:
        """Score every step against its group and flatten the update's steps into tensors."""
        g = self.group_size
        groups = [[np.asarray(a.rewards) for a in attempts[k : k + g]] for k in range(0, len(attempts), g)]
        scored = group_advantages(groups, str(self.hyperparams["advantage"]), float(self.hyperparams["gamma"]))
        advantages = np.concatenate([adv for group in scored.per_step for adv in group])
        observations = np.stack([o for a in attempts for o in a.observations])
        actions = np.stack([np.asarray(x) for a in attempts for x in a.actions])
        return Batch(
            observations=self.policy.obs_to_tensor(observations),
            actions=torch.as_tensor(actions),
            old_log_probs=torch.as_tensor(np.array([lp for a in attempts for lp in a.log_probs]), dtype=torch.float32),
            advantages=torch.as_tensor(advantages, dtype=torch.float32),
            returns=np.array([[sum(r) for r in group] for group in groups]),
            zero_spread=scored.zero_spread,
        )

    # --- the update -----------------------------------------------------------------------------------------

    def train(self, batch: Batch) -> None:
        """``n_epochs`` passes of minibatch gradient steps on the clipped objective plus ``beta`` x KL."""
        hp = self.hyperparams
        beta, clip_range = float(hp["beta"]), float(hp["clip_range"])
        ent_coef, max_grad_norm = float(hp["ent_coef"]), float(hp["max_grad_norm"])
        batch_size, n = int(hp["batch_size"]), len(batch.advantages)
        learning_rate = self.lr_schedule(self._progress_remaining())
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        ref_log_probs = None
        if beta > 0:
            with torch.no_grad():
                ref_log_probs, _ = self.reference.log_prob_and_entropy(batch.observations, batch.actions)
        logs: dict[str, list[float]] = {"pg": [], "kl": [], "approx_kl": [], "clip": [], "entropy": [], "loss": []}
        for _ in range(int(hp["n_epochs"])):
            order = torch.as_tensor(self.rng.permutation(n))
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                log_prob, entropy = self.policy.log_prob_and_entropy(batch.observations[idx], batch.actions[idx])
                pg_loss, clip_fraction = clipped_surrogate(
                    log_prob, batch.old_log_probs[idx], batch.advantages[idx], clip_range
                )
                kl = k3_kl(log_prob, ref_log_probs[idx]).mean() if ref_log_probs is not None else torch.zeros(())
                entropy_loss = -entropy.mean()
                loss = pg_loss + beta * kl + ent_coef * entropy_loss
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), max_grad_norm)
                self.optimizer.step()
                with torch.no_grad():
                    log_ratio = log_prob - batch.old_log_probs[idx]
                    approx_kl = ((log_ratio.exp() - 1) - log_ratio).mean()  # SB3's approx_kl, to the old policy
                for key, value in zip(logs, (pg_loss, kl, approx_kl, clip_fraction, -entropy_loss, loss), strict=True):
                    logs[key].append(float(value.detach()))
        self._n_updates += 1
        if beta > 0 and self._n_updates % int(hp["ref_update_interval"]) == 0:
            self.reference.load_state_dict(self.policy.state_dict())
        self._record_train_logs(batch, logs, learning_rate)

    def _record_train_logs(self, batch: Batch, logs: Mapping[str, list[float]], learning_rate: float) -> None:
        record = self.logger.record
        record("train/policy_gradient_loss", float(np.mean(logs["pg"])))
        record("train/kl", float(np.mean(logs["kl"])))
        record("train/approx_kl", float(np.mean(logs["approx_kl"])))
        record("train/clip_fraction", float(np.mean(logs["clip"])))
        record("train/entropy_loss", -float(np.mean(logs["entropy"])))
        record("train/loss", float(np.mean(logs["loss"])))
        record("train/frac_reward_zero_std", float(np.mean(batch.zero_spread)))
        record("train/reward", float(batch.returns.mean()))
        record("train/reward_std", float(batch.returns.std(axis=1, ddof=1).mean()))
        record("train/learning_rate", learning_rate)
        record("train/clip_range", float(self.hyperparams["clip_range"]))
        record("train/n_updates", self._n_updates, exclude="tensorboard")

    # --- SB3's learn loop ---------------------------------------------------------------------------------

    def learn(
        self,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "GRPO",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> GRPO:
        """Train for at least ``total_timesteps`` env steps (the last update's groups are played to the end).

        As in SB3, ``reset_num_timesteps=False`` continues counting (a resumed run), and a callback returning
        False from ``on_step`` ends training at once.
        """
        if reset_num_timesteps:
            self.num_timesteps = 0
            self._total_timesteps = total_timesteps
        else:
            self._total_timesteps = total_timesteps + self.num_timesteps
        callback = init_callback(callback, self)
        started, start_steps = time.perf_counter(), self.num_timesteps
        callback.on_training_start(locals(), globals())
        iteration = 0
        while self.num_timesteps < self._total_timesteps:
            batch = self.collect_rollouts(callback)
            if batch is None:
                break
            iteration += 1
            self.train(batch)
            if log_interval and iteration % log_interval == 0:
                self._dump_logs(iteration, started, start_steps)
        callback.on_training_end()
        return self

    def _dump_logs(self, iteration: int, started: float, start_steps: int) -> None:
        elapsed = max(time.perf_counter() - started, 1e-9)
        if self.ep_info_buffer:
            self.logger.record("rollout/ep_rew_mean", float(np.mean([e["r"] for e in self.ep_info_buffer])))
            self.logger.record("rollout/ep_len_mean", float(np.mean([e["l"] for e in self.ep_info_buffer])))
        self.logger.record("time/iterations", iteration, exclude="tensorboard")
        self.logger.record("time/fps", int((self.num_timesteps - start_steps) / elapsed))
        self.logger.record("time/time_elapsed", int(elapsed), exclude="tensorboard")
        self.logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        self.logger.dump(step=self.num_timesteps)

    def _progress_remaining(self) -> float:
        """SB3's progress: 1 at the start of the budget, 0 at its end."""
        if self._total_timesteps <= 0:
            return 1.0
        return max(0.0, 1.0 - self.num_timesteps / self._total_timesteps)

    # --- the rest of SB3's surface ------------------------------------------------------------------------

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        """Actions for one observation or a batch, like SB3's ``model.predict`` (Box actions are clipped)."""
        return self.policy.predict(observation, state, episode_start, deterministic)

    @property
    def logger(self) -> Logger:
        if self._logger is None:
            self._logger = Logger(folder=None, output_formats=[])
        return self._logger

    def set_logger(self, logger: Logger) -> None:
        self._logger = logger

    def get_env(self) -> DummyVecEnv | None:
        return self.env

    def set_env(self, env: DummyVecEnv | Callable[[], gym.Env]) -> None:
        """Train on ``env``: a DummyVecEnv of ``group_size * groups_per_update`` envs, or a factory of one env."""
        vec_env = env if isinstance(env, DummyVecEnv) else DummyVecEnv([env] * self.n_envs)
        if vec_env.num_envs != self.n_envs:
            raise ValueError(
                f"GRPO plays group_size x groups_per_update = {self.n_envs} attempts at once, "
                f"so it needs {self.n_envs} envs, not {vec_env.num_envs}"
            )
        spec = vec_env.envs[0].spec
        if spec is None or not spec.max_episode_steps:
            raise ValueError("GRPO compares whole attempts, so it needs an env whose episodes end (a time limit)")
        if hasattr(self, "policy") and (
            vec_env.observation_space != self.observation_space or vec_env.action_space != self.action_space
        ):
            raise ValueError("the env's observation or action space differs from the one GRPO was trained on")
        self.env = vec_env

    def _require_env(self) -> DummyVecEnv:
        if self.env is None:
            raise RuntimeError("this GRPO model has no environment; pass one to load() or set_env()")
        return self.env

    # --- checkpoints (the file format lives in :mod:`agents.algos.grpo.checkpoint`) -----------------------

    def save(self, path: str | Path) -> None:
        """A zip in SB3's layout: ``data`` (JSON: hyperparameters, seed, spaces, step count) and tensors.

        ``.zip`` is added when ``path`` has no suffix, as SB3 does.
        """
        data = {
            "algo": self.algo_id,
            "hyperparams": self.hyperparams,
            "seed": self.seed,
            "num_timesteps": self.num_timesteps,
            "n_updates": self._n_updates,
        }
        states = {
            "policy.pth": self.policy.state_dict(),
            "reference.pth": self.reference.state_dict(),
            "policy.optimizer.pth": self.optimizer.state_dict(),
        }
        write_checkpoint(path, data, states, self.observation_space, self.action_space)

    @classmethod
    def load(
        cls, path: str | Path, env: DummyVecEnv | Callable[[], gym.Env] | None = None, seed: int | None = None
    ) -> GRPO:
        """Rebuild a model saved by :meth:`save`; without ``env`` it can ``predict`` but not ``learn``.

        ``seed`` reseeds the generators of what follows (a resumed run passes its own); None keeps the saved one.
        Tensors are read with ``weights_only=True``; a file that is not a GRPO checkpoint raises ValueError.
        """
        saved = read_checkpoint(path, cls.algo_id, ("policy.pth", "reference.pth", "policy.optimizer.pth"))
        data, states = saved.data, saved.states
        model = cls(
            env,
            seed=int(data["seed"]) if seed is None else seed,
            _observation_space=saved.observation_space,
            _action_space=saved.action_space,
            **data["hyperparams"],
        )
        model.policy.load_state_dict(states["policy.pth"])
        model.reference.load_state_dict(states["reference.pth"])
        model.policy.optimizer.load_state_dict(states["policy.optimizer.pth"])
        model.num_timesteps = int(data["num_timesteps"])
        model._n_updates = int(data.get("n_updates", 0))
        return model
