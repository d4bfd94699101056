"""The configurations the export tests turn into scripts, and how a test imports a generated script.

Shared by :mod:`tests.test_export` (the script as a program) and :mod:`tests.test_export_shaping` (its rewards), so
both check the same cases: every SB3 algorithm and each kind of shaping.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from agents.config.run_config import RunConfig, build_config
from tests.tiny import TINY


@dataclass(frozen=True)
class Case:
    name: str
    env_id: str
    algo: str
    shaping: dict[str, object] = field(default_factory=dict)
    overrides: dict[str, object] = field(default_factory=dict)
    stop_when_solved: bool = False
    schedule: dict[str, object] = field(default_factory=dict)

    def config(self) -> RunConfig:
        return build_config(
            self.env_id,
            self.algo,
            preset="defaults",
            overrides={**TINY[self.algo], **self.overrides},
            seed=7,
            timesteps=50_000,
            stop_when_solved=self.stop_when_solved,
            shaping=self.shaping,
            schedule=self.schedule,
        )


CASES = [
    Case(
        "ppo-expression",
        "CartPole-v1",
        "ppo",
        {
            "reward_expr": "reward - 0.1*abs(theta) + (x > 0) * sign(x_dot) - clip(obs[-1], -1, 1)**2"
            " + (0.5 if t > 10 and not terminated else 0) + action / 4"
        },
        {"learning_rate_schedule": "linear", "learning_rate": 0.0025},
    ),
    Case("a2c-potential", "Acrobot-v1", "a2c", {"potential": "tip_height", "potential_scale": 2, "reward_scale": 0.5}),
    Case(
        "dqn-bonuses-scale-clip",
        "MountainCar-v0",
        "dqn",
        {"living_reward": -0.5, "termination_bonus": 10, "truncation_bonus": -3, "reward_scale": 0.5, "reward_clip": 2},
    ),
    Case(
        "sac-expression-on-action",
        "Pendulum-v1",
        "sac",
        {"reward_expr": "reward - 0.01 * action[0] ** 2 + max(cos_theta, 0, sin_theta) / 10"},
    ),
    Case(
        "td3-energy-noise",
        "MountainCarContinuous-v0",
        "td3",
        {"potential": "energy", "potential_gamma": 0.95},
        {"action_noise": 0.3},
    ),
    Case("ddpg-plain-stop-when-solved", "Pendulum-v1", "ddpg", {}, {"learning_rate_schedule": "linear"}, True),
]
IN_PROCESS_ONLY = [
    Case("dqn-cliffwalking-expression", "CliffWalking-v1", "dqn", {"reward_expr": "reward + (state == 47) * 5 - t/50"}),
    Case("ppo-cartpole-all-shaping", "CartPole-v1", "ppo", {"reward_expr": "reward + x", "living_reward": 0.25,
         "termination_bonus": -10, "potential": "upright", "reward_scale": 3, "reward_clip": 2.5}),
    Case("dqn-schedule-of-every-kind", "MountainCar-v0", "dqn", {"living_reward": -0.5, "potential": "energy",
         "reward_scale": 0.5}, schedule={"learning_rate": [(0, 1e-3), (500, 1e-4)], "exploration_rate": [(200, 0.3)],
         "living_reward": [(300, -1)], "potential_scale": [(300, 2)], "reward_scale": [(400, 0.25)]}),
    Case("ppo-schedule-clip-and-entropy", "CartPole-v1", "ppo", stop_when_solved=True,
         schedule={"clip_range": [(64, 0.1)], "ent_coef": [(64, 0.01), (640, 0.0)]}),
]  # fmt: skip


def load_module(source: str, directory: Path, name: str) -> ModuleType:
    """Import generated code from a file, as a person running it would (never exec'd from a string)."""
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
