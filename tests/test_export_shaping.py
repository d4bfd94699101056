"""Export as code, its rewards: the script computes the playground's shaped rewards exactly, and never pastes text.

Generated scripts are imported in-process and stepped side by side with the project's own wrappers; reward
expressions are translated to Python and compared with the playground's evaluator on random inputs. A
configuration that skipped validation still cannot put its text into the script.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.config.run_config import build_config
from agents.export.script import ExportError, export_script
from agents.export.shaping import expression_to_python
from agents.runs.run import make_training_env
from envs.potentials import POTENTIALS
from envs.registry import get_env
from envs.reward_expr import RewardExpression
from envs.shaping_config import ShapingConfig
from tests.export_cases import CASES, IN_PROCESS_ONLY, Case, load_module

# --- the script computes the playground's numbers ---------------------------------------------------------------


def _transitions(env: Any, actions: list[Any], seed: int) -> list[tuple[float, bool, bool, float | None]]:
    """Step through ``actions``, resetting at episode ends; what the learner sees, and Monitor's true return."""
    seen: list[tuple[float, bool, bool, float | None]] = []
    env.reset(seed=seed)
    for action in actions:
        _, reward, terminated, truncated, info = env.step(action)
        episode = info.get("episode")
        # Monitor's "r" is the true return when nothing is shaped (it rounds to 6 decimals)
        true_return = round(episode.get("true_return", episode["r"]), 6) if episode else None
        seen.append((float(reward), bool(terminated), bool(truncated), true_return))
        if terminated or truncated:
            env.reset()
    return seen


@pytest.mark.parametrize("case", CASES + IN_PROCESS_ONLY, ids=[case.name for case in CASES + IN_PROCESS_ONLY])
def test_script_shapes_rewards_exactly_like_the_project(case: Case, tmp_path: Path) -> None:
    config = case.config()
    module = load_module(export_script(config), tmp_path, case.name)
    space = get_env(case.env_id).make().action_space
    space.seed(3)
    actions = [space.sample() for _ in range(1100)]  # past the longest time limit (999)
    ours = _transitions(make_training_env(config), actions, seed=11)
    theirs = _transitions(module.make_env(), actions, seed=11)
    assert theirs == ours
    assert any(terminated or truncated for _, terminated, truncated, _ in ours), "episode ends were covered"
    if case.shaping:
        assert len({reward for reward, *_ in ours}) > 1, "the shaping changed something to compare"


@pytest.mark.parametrize(("env_id", "name"), [(env_id, name) for env_id, named in POTENTIALS.items() for name in named])
def test_every_potential_is_written_out_exactly(env_id: str, name: str, tmp_path: Path) -> None:
    config = build_config(env_id, "ppo", shaping={"potential": name})
    module = load_module(export_script(config), tmp_path, f"{env_id}-{name}")
    space = get_env(env_id).make().observation_space
    space.seed(0)
    for obs in [space.sample() for _ in range(200)]:
        assert module.potential(obs) == POTENTIALS[env_id][name].fn(obs)


CARTPOLE_FEATURES = ("x", "x_dot", "theta", "theta_dot")
EXPRESSIONS = [
    "reward - 0.1*abs(theta)",
    "x > 0 and 2 or -1",
    "not x < 0 or theta",
    "(not x) + 3 // 2 - x % 0.3 + theta // 0.2",
    "min(x, x_dot, 0.5) * max(theta, -theta_dot)",
    "1 if -0.1 < theta <= 0.1 != x else -1",
    "sqrt(abs(x)) + exp(-theta**2) + tanh(theta_dot) + log(1 + x*x)",
    "obs[-1] * 2 ** 3 + sign(theta) + sign(0) + clip(x_dot, -0.5, 0.5) + t / 100 + terminated - truncated",
    "reward * (1 + action) + -obs[0] ** 2 + (x == x) + True",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_translated_expression_computes_what_the_playground_evaluates(text: str, tmp_path: Path) -> None:
    source = "import math\n\nimport numpy as np\n\n\n" + expression_to_python(text, CARTPOLE_FEATURES)
    module = load_module(source, tmp_path, "expression")
    expression = RewardExpression.compile(text, CARTPOLE_FEATURES, obs_size=4)
    rng = np.random.default_rng(0)
    for _ in range(300):
        obs = rng.normal(0, 0.5, 4).astype(np.float32)
        if rng.random() < 0.1:
            obs[0] = 0.0
        inputs = {
            "reward": float(rng.normal()),
            "obs": obs,
            "action": int(rng.integers(2)),
            "t": int(rng.integers(1, 500)),
            "terminated": bool(rng.random() < 0.2),
            "truncated": bool(rng.random() < 0.2),
        }
        expected = expression.evaluate(**inputs)
        got = module.custom_reward(
            inputs["reward"],
            inputs["obs"],
            inputs["action"],
            float(inputs["t"]),
            float(inputs["terminated"]),
            float(inputs["truncated"]),
        )
        assert type(got) is float and got == expected, inputs


@pytest.mark.parametrize(
    "hostile",
    [
        "__import__('os').system('touch pwned')",
        "obs.tofile('x')",
        "reward # comment\nimport os",
        "reward\nimport os",
        "(lambda: 1)()",
        "x if True else open('f')",
    ],
)
def test_unvalidated_expression_is_refused_not_pasted(hostile: str) -> None:
    """A configuration that skipped validation (e.g. built by hand) still cannot put its text into the script."""
    config = build_config("CartPole-v1", "ppo")
    tampered = replace(config, shaping=ShapingConfig(reward_expr=hostile))
    with pytest.raises(ExportError, match="reward expression"):
        export_script(tampered)


def test_free_text_in_a_stored_config_never_reaches_the_code() -> None:
    """Preset names and hyperparameters of a hand-built or stored config are checked, not pasted."""
    config = build_config("CartPole-v1", "ppo", shaping={"living_reward": 0.5})
    sneaky_preset = replace(config, preset='x"""\nimport os\n"""')
    assert "import os" not in export_script(sneaky_preset)
    ast.parse(export_script(sneaky_preset))
    with pytest.raises(ExportError, match="gamma"):
        export_script(replace(config, hyperparams={**config.hyperparams, "gamma": "0.9)\nimport os\n#"}))
    with pytest.raises(ExportError, match="seed"):
        export_script(replace(config, seed='1"""\nimport os'))  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="living_reward"):
        export_script(replace(config, shaping=ShapingConfig(living_reward=float("nan"))))
