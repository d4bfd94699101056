"""One configuration and seed learn bit-identical weights and episodes by every path a user can train it by.

The reference is a run in a worker process with no evaluation episodes and nothing beside it; each path of
:mod:`tests.training_paths` (the server's manager alone, beside another run, with evaluation episodes playing,
seed k of *Run N seeds*, the headless trainer as a program, the exported script as a program) must save a model
whose every tensor is ``torch.equal`` to the reference's and record the same episode returns and lengths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.config.run_config import RunConfig, build_config, seed_configs
from agents.export.script import export_unavailable_reason
from tests.tiny import TINY
from tests.training_paths import PATHS, Outcome, unwatched


@dataclass(frozen=True)
class Case:
    name: str
    env_id: str
    algo: str
    timesteps: int
    shaping: tuple[tuple[str, object], ...] = ()
    feedback: tuple[tuple[str, object], ...] = ()
    """A reward learned from preferences (the feedback lab's settings); empty: the env's own reward."""
    slow: bool = False

    def config(self) -> RunConfig:
        # seed 1: seed k of Run N seeds is then not the first of its group
        return build_config(
            self.env_id,
            self.algo,
            preset="defaults",
            overrides=TINY[self.algo],
            seed=1,
            timesteps=self.timesteps,
            shaping=dict(self.shaping),
            feedback=dict(self.feedback) or None,
        )


CASES = [
    Case("cartpole-ppo", "CartPole-v1", "ppo", 1_024),  # on-policy, two env copies
    Case("cartpole-dqn", "CartPole-v1", "dqn", 1_000),  # off-policy, epsilon-greedy from numpy's generators
    Case("pendulum-ppo", "Pendulum-v1", "ppo", 1_024),  # continuous actions: a Gaussian policy
    # the rest under -m slow, to keep the default suite short on 2 cores
    Case("pendulum-sac", "Pendulum-v1", "sac", 1_000, slow=True),  # continuous, off-policy: ~1,000 updates
    Case(
        "cartpole-ppo-shaped",
        "CartPole-v1",
        "ppo",
        1_024,
        (("reward_expr", "reward - abs(x)"), ("potential", "upright")),
        slow=True,
    ),
    Case(
        "pendulum-ppo-oracle",  # the feedback lab's automated labeller: not exported
        "Pendulum-v1",
        "ppo",
        1_024,
        feedback=(("feedback", "oracle"), ("labels", 12), ("initial_labels", 6)),
        slow=True,
    ),
    Case("cartpole-grpo", "CartPole-v1", "grpo", 1_000, slow=True),  # the playground's own algorithm: not exported
    Case("frozenlake-q-learning", "FrozenLake-v1", "q_learning", 2_000, slow=True),  # a table: not exported
]
MATRIX = [
    pytest.param(case, path, id=f"{case.name}-{path}", marks=[pytest.mark.slow] if case.slow else [])
    for case in CASES
    for path in PATHS
    if path != "exported_script" or export_unavailable_reason(case.config()) is None
]


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], Outcome]:
    """The reference outcome of each case, trained once for the module."""
    trained: dict[Case, Outcome] = {}

    def reference(case: Case) -> Outcome:
        if case not in trained:
            trained[case] = unwatched(case.config(), tmp_path_factory.mktemp("reference"))
            assert all(trained[case].episodes), "every env copy finished episodes"
        return trained[case]

    return reference


@pytest.mark.parametrize(("case", "path"), MATRIX)
def test_every_path_learns_the_same_weights_and_episodes(
    case: Case, path: str, references: Callable[[Case], Outcome], tmp_path: Path
) -> None:
    PATHS[path](case.config(), tmp_path).assert_equal(references(case))


def test_seed_k_of_n_seeds_is_the_single_run_with_seed_k() -> None:
    """What *Run N seeds* queues differs from the configuration on the page in its seed only."""
    settings = {"overrides": {"learning_rate": 0.001}, "timesteps": 5_000, "shaping": {"living_reward": 0.5}}
    configs = seed_configs(build_config("CartPole-v1", "ppo", seed=4, **settings), 3)
    assert configs == [build_config("CartPole-v1", "ppo", seed=seed, **settings) for seed in range(3)]
