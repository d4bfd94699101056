"""Distil a trained policy into a tiny one with DAgger: the student drives, the teacher relabels, refit on it all.

Dataset Aggregation (Ross, Gordon & Bagnell 2011, "A Reduction of Imitation Learning and Structured Prediction to
No-Regret Online Learning", AISTATS): plain behaviour cloning trains on the teacher's states only, so the student's
first mistakes take it to states it never saw. DAgger lets the teacher drive the first iteration (their beta_1 = 1),
then the student drives (beta_i = 0, which they found best in practice); every state visited is labelled with the
teacher's greedy action, added to the dataset, and the student is refitted on the whole dataset.

Costs are counted as they happen: CPU seconds of this thread (``time.thread_time``), env steps, teacher labels.
Returns are the env's own (true) reward: the student imitates actions, so reward shaping plays no part.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from agents.config.schema import HyperParam, Schema, Value
from agents.distill.student import StudentPolicy
from agents.distill.teacher import acting_parameters

torch.set_num_threads(1)  # as for training (agents.runs.run): tiny nets lose to thread hand-offs under contention

HIDDEN_CHOICES = ("linear", "2", "4", "8", "16", "8x8")
DISTILL_SCHEMA = Schema(
    (
        HyperParam(
            "hidden",
            "choice",
            "4",
            "The student's hidden layers: 'linear' has none (the action is a weighted sum of the observation), "
            "'4' one layer of four tanh units.",
            choices=HIDDEN_CHOICES,
        ),
        HyperParam(
            "iterations",
            "int",
            8,
            "DAgger rounds: each plays episodes with the student, has the teacher label every state, then refits.",
            low=1,
            high=20,
        ),
        HyperParam(
            "episodes_per_iteration",
            "int",
            4,
            "Episodes played (and labelled by the teacher) in each round.",
            low=1,
            high=10,
        ),
        HyperParam(
            "gradient_steps",
            "int",
            300,
            "Minibatch gradient steps of each refit on the whole dataset so far.",
            low=10,
            high=3000,
            log=True,
        ),
        HyperParam("batch_size", "int", 256, "Labelled states in each gradient step.", low=8, high=4096, log=True),
        HyperParam(
            "learning_rate",
            "float",
            0.03,
            "Step size of the student's Adam optimiser: tiny networks take large steps well.",
            low=1e-5,
            high=1.0,
            log=True,
        ),
        HyperParam(
            "eval_episodes",
            "int",
            10,
            "Episodes on which teacher and student are both measured, with the same reset seeds.",
            low=1,
            high=50,
        ),
    )
)


@dataclass(frozen=True)
class PolicyReport:
    """One policy measured: parameters it needs to act, inference time, and the env's return."""

    parameters: int
    us_per_step: float
    """Microseconds per ``predict`` of one observation (the teacher's own ``predict``, the student's numpy)."""
    returns: list[float]

    @property
    def mean_return(self) -> float:
        return float(np.mean(self.returns))


@dataclass(frozen=True)
class DistillResult:
    """The student, teacher and student measured side by side, and what distilling cost."""

    student: StudentPolicy
    teacher_report: PolicyReport
    student_report: PolicyReport
    cpu_s: float
    """CPU seconds of distilling (rollouts, labels, fitting), evaluation excluded."""
    env_steps: int
    teacher_labels: int
    history: list[dict[str, float]] = field(default_factory=list)
    """Per round: ``iteration``, ``dataset`` size, the mean return of the round's episodes and who drove them."""

    @property
    def compression(self) -> float:
        """Teacher's parameters per student parameter."""
        return self.teacher_report.parameters / max(1, self.student_report.parameters)


def distil(
    teacher: Any,
    make_env: Callable[[], gym.Env],
    values: dict[str, Value] | None = None,
    *,
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
) -> DistillResult:
    """Distil ``teacher`` (anything with SB3's ``predict``) into a :class:`StudentPolicy` on envs from ``make_env``.

    ``values``: :data:`DISTILL_SCHEMA` settings (checked; HyperParamError if out of bounds). ``seed`` fixes the
    student's initial weights, the episodes' reset seeds and the minibatch order. ``should_stop`` is polled between
    episodes (a page's Stop); the student so far is then measured and returned.
    """
    settings = DISTILL_SCHEMA.resolve(values or {})
    env = make_env()
    n_in, n_out, spaces = StudentPolicy.for_spaces(env.observation_space, env.action_space)
    hidden = () if settings["hidden"] == "linear" else tuple(int(h) for h in str(settings["hidden"]).split("x"))
    torch_rng = torch.Generator().manual_seed(seed)
    net = _mlp(n_in, hidden, n_out, torch_rng)
    optimizer = torch.optim.Adam(net.parameters(), lr=float(settings["learning_rate"]))
    rng = np.random.default_rng(seed)
    student = _to_student(net, spaces)
    started = time.thread_time()
    observations: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    history: list[dict[str, float]] = []
    env_steps = 0
    for iteration in range(int(settings["iterations"])):
        teacher_drives = iteration == 0
        round_returns = []
        for _ in range(int(settings["episodes_per_iteration"])):
            if should_stop():
                break
            driver = _teacher_action(teacher) if teacher_drives else student.act
            states, episode_return = _play(env, driver, int(rng.integers(2**31 - 1)))
            observations += [student.features(s) for s in states]
            labels.append(_label(teacher, states, student.discrete))
            env_steps += len(states)
            round_returns.append(episode_return)
        if not round_returns:
            break
        _fit(net, optimizer, np.array(observations), np.concatenate(labels), student.discrete, settings, rng)
        student = _to_student(net, spaces)
        history.append(
            {
                "iteration": iteration + 1,
                "dataset": len(observations),
                "mean_return": float(np.mean(round_returns)),
                "teacher_drove": float(teacher_drives),
            }
        )
    cpu_s = time.thread_time() - started
    eval_seeds = [10_000 + seed + i for i in range(int(settings["eval_episodes"]))]
    teacher_report = measure(teacher, env, eval_seeds, acting_parameters(teacher))
    student_report = measure(student, env, eval_seeds, student.n_parameters)
    env.close()
    return DistillResult(student, teacher_report, student_report, cpu_s, env_steps, env_steps, history)


def measure(policy: Any, env: gym.Env, seeds: list[int], parameters: int) -> PolicyReport:
    """Play one greedy episode per seed; the env's return and the microseconds ``predict`` took per step."""
    returns, predict_s, steps = [], 0.0, 0
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            started = time.perf_counter()
            action, _ = policy.predict(obs, deterministic=True)
            predict_s += time.perf_counter() - started
            obs, reward, terminated, truncated, _ = env.step(_env_action(action, env))
            total += float(reward)
            steps += 1
            done = terminated or truncated
        returns.append(total)
    return PolicyReport(parameters, 1e6 * predict_s / max(1, steps), returns)


def _play(env: gym.Env, act: Callable[[Any], Any], seed: int) -> tuple[list[np.ndarray], float]:
    """One episode driven by ``act``: the states it visited and its return."""
    obs, _ = env.reset(seed=seed)
    states, total, done = [], 0.0, False
    while not done:
        states.append(np.asarray(obs))
        obs, reward, terminated, truncated, _ = env.step(_env_action(act(obs), env))
        total += float(reward)
        done = terminated or truncated
    return states, total


def _teacher_action(teacher: Any) -> Callable[[Any], Any]:
    return lambda obs: teacher.predict(obs, deterministic=True)[0]


def _label(teacher: Any, states: list[np.ndarray], discrete: bool) -> np.ndarray:
    """The teacher's greedy action for each state, in one batched ``predict``."""
    actions, _ = teacher.predict(np.stack(states), deterministic=True)
    actions = np.asarray(actions)
    return actions.reshape(len(states)).astype(np.int64) if discrete else actions.reshape(len(states), -1)


def _env_action(action: Any, env: gym.Env) -> Any:
    if isinstance(env.action_space, gym.spaces.Discrete):
        return int(np.asarray(action).reshape(-1)[0])
    return np.asarray(action, dtype=np.float32).reshape(env.action_space.shape)


def _mlp(n_in: int, hidden: tuple[int, ...], n_out: int, generator: torch.Generator) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_in
    for units in hidden:
        layers += [nn.Linear(width, units), nn.Tanh()]
        width = units
    layers.append(nn.Linear(width, n_out))
    net = nn.Sequential(*layers)
    for layer in net:
        if isinstance(layer, nn.Linear):
            nn.init.orthogonal_(layer.weight, generator=generator)
            nn.init.zeros_(layer.bias)
    return net.double()


def _fit(
    net: nn.Sequential,
    optimizer: torch.optim.Optimizer,
    observations: np.ndarray,
    labels: np.ndarray,
    discrete: bool,
    settings: dict[str, Value],
    rng: np.random.Generator,
) -> None:
    """Refit on the whole dataset: cross-entropy on the teacher's actions, or squared error for continuous ones."""
    x = torch.as_tensor(observations, dtype=torch.float64)
    y = torch.as_tensor(labels) if discrete else torch.as_tensor(labels, dtype=torch.float64)
    batch_size = min(int(settings["batch_size"]), len(x))
    for _ in range(int(settings["gradient_steps"])):
        idx = torch.as_tensor(rng.integers(0, len(x), size=batch_size))
        out = net(x[idx])
        loss = nn.functional.cross_entropy(out, y[idx]) if discrete else nn.functional.mse_loss(out, y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _to_student(net: nn.Sequential, spaces: dict[str, Any]) -> StudentPolicy:
    linears = [layer for layer in net if isinstance(layer, nn.Linear)]
    layers = tuple((layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()) for layer in linears)
    return StudentPolicy(layers, **spaces)
