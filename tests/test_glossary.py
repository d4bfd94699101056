"""The glossary explains every value any registered algorithm logs, and every term the pages use.

SB3's habit for speed: every algorithm trains a few dozen steps with a tiny net, on one env with discrete and
one with continuous actions where it supports them (PPO and A2C log ``std`` only for continuous actions).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import stable_baselines3
from stable_baselines3.common.logger import Logger

import envs  # noqa: F401  (registers the playground's envs)
from agents.algos.registry import algorithms, get_algo
from agents.config.run_config import build_config
from agents.runs.events import CollectingSink, Metrics
from agents.runs.metrics_output import MetricsOutput
from envs.registry import ENVS
from ui.glossary import ALGO_SPECIFIC, GROUP_BY_ID, LOGGED_VALUES, TERMS, logged_value, ordered, solved_text

TINY = {
    "net_arch": "32",
    "n_envs": 1,
    "n_steps": 8,
    "batch_size": 8,
    "n_epochs": 1,
    "learning_starts": 0,
    "train_freq": 1,
    "gradient_steps": 1,
    "buffer_size": 500,
    "target_update_interval": 10,
    "group_size": 2,
    "groups_per_update": 1,
}
STEPS = 48
RECORD = re.compile(r"""record\(\s*["']train/([A-Za-z0-9_]+)["']""")
REPO = Path(__file__).resolve().parents[1]
EXPECTED = {
    ("ppo", "Pendulum-v1"): {"approx_kl", "explained_variance", "std"},
    ("dqn", "CartPole-v1"): {"loss"},
    ("sac", "Pendulum-v1"): {"ent_coef", "critic_loss", "actor_loss"},
    ("grpo", "CartPole-v1"): {"reward_std", "kl", "frac_reward_zero_std"},
    ("q_learning", "FrozenLake-v1"): {"epsilon", "td_error"},
}
"""A few names each probe must see: the probes really train far enough to log them."""


SHORT_FIRST = ("CartPole-v1", "Pendulum-v1")
"""Probed first where supported: short episodes (GRPO plays whole episodes before its first update)."""


def probe_envs(algo: str) -> list[str]:
    """One env of each action kind the algorithm supports, short episodes first."""
    info, found = get_algo(algo), {}
    for env in sorted(ENVS.values(), key=lambda e: e.id not in SHORT_FIRST):
        if info.supports(env):
            found.setdefault(env.action_kind, env.id)
    return list(found.values())


def logged_names(algo: str, env_id: str) -> set[str]:
    """Train ``algo`` a few dozen steps on ``env_id`` through the registry, and return what it logged."""
    info = get_algo(algo)
    tiny = {name: value for name, value in TINY.items() if name in info.schema.names}
    config = build_config(env_id, algo, preset="defaults", overrides=tiny, timesteps=STEPS)
    model = info.build(config.env_info.make, config.hyperparams, 0)
    sink = CollectingSink()
    model.set_logger(Logger(folder=None, output_formats=[MetricsOutput(sink)]))
    try:
        model.learn(STEPS)
        model.logger.dump(model.num_timesteps)  # off-policy learners dump every few episodes only
    finally:
        env = getattr(model, "env", None)
        if env is not None:
            env.close()
    return {key.removeprefix("train/") for metrics in sink.of_type(Metrics) for key in metrics.values}


CASES = [(algo, env_id) for algo in algorithms() for env_id in probe_envs(algo)]


@pytest.mark.parametrize(("algo", "env_id"), CASES, ids=[f"{a}-{e}" for a, e in CASES])
def test_every_value_an_algorithm_logs_is_explained(algo: str, env_id: str) -> None:
    names = logged_names(algo, env_id)
    assert names, f"{algo} logged nothing in {STEPS} steps: the probe is too short to test anything"
    assert EXPECTED.get((algo, env_id), set()) <= names
    for name in names:
        value = logged_value(algo, name)
        assert value.group != "other" and value.text, f"{algo} logs train/{name}, which ui/glossary.py does not explain"


def test_every_algorithm_has_a_probe() -> None:
    assert {algo for algo, _ in CASES} == set(algorithms())


def test_every_train_value_in_the_libraries_source_is_explained() -> None:
    """Also names logged only with settings the probes do not use (``clip_range_vf``, gSDE's ``std``)."""
    sources = [*Path(stable_baselines3.__file__).parent.rglob("*.py"), *(REPO / "agents").rglob("*.py")]
    names = {name for path in sources for name in RECORD.findall(path.read_text(encoding="utf-8"))}
    names |= {
        m
        for path in (REPO / "agents" / "algos").rglob("*.py")
        for m in re.findall(r"""["']train/([A-Za-z0-9_]+)["']""", path.read_text(encoding="utf-8"))
    }
    assert {"approx_kl", "explained_variance", "clip_range_vf", "ent_coef_loss", "td_error", "delta"} <= names
    missing = sorted(name for name in names if name not in LOGGED_VALUES)
    assert not missing, f"logged but not explained in ui/glossary.py: {missing}"


def test_explanations_are_one_line_and_groups_exist() -> None:
    values = [*LOGGED_VALUES.values(), *(v for table in ALGO_SPECIFIC.values() for v in table.values())]
    for value in values:
        assert value.group in GROUP_BY_ID and value.group != "other"
        assert "\n" not in value.text and 20 <= len(value.text) <= 240, value.name
    for term, text in TERMS.items():
        assert "\n" not in text and 20 <= len(text) <= 240, term


def test_an_unknown_name_is_still_charted_last_and_a_counter_is_not() -> None:
    order = [v.name for v in ordered("ppo", ["brand_new", "learning_rate", "n_updates", "value_loss", "approx_kl"])]
    assert order == ["value_loss", "approx_kl", "learning_rate", "brand_new"]


def test_loss_means_what_the_algorithm_means_by_it() -> None:
    assert logged_value("dqn", "loss").label == "TD loss" and logged_value("dqn", "loss").group == "value"
    assert logged_value("ppo", "loss").label == "total loss"


def test_solved_names_the_threshold() -> None:
    assert "475" in solved_text(475.0) and "20" in solved_text(475.0)
    assert "no threshold" in solved_text(None)
