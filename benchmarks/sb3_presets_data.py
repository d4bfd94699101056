"""The settings the preset search compares: RL Zoo's tuned presets, the fast winners, and the candidates tried.

Kept apart from the timing code in :mod:`benchmarks.sb3_presets_search` because this is plain data that grows
with every search round, and the figures that chose the winners (``benchmarks/FINDINGS_presets.md``) refer to
these names. Hyperparameters use SB3's argument names; schedules are written like RL Zoo's: ``"lin_1e-3"`` is a
learning rate that falls linearly from 1e-3 to 0; TD3's ``"action_noise": "normal_0.1"`` is Gaussian noise with
that std.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    """One way to train one algorithm on one env: plain data, so it can be printed and compared."""

    name: str
    algo: str
    env_id: str
    threshold: float
    budget_steps: int
    n_envs: int = 1
    hyperparams: dict[str, Any] = field(default_factory=dict)
    normalize: bool = False
    """Wrap the vec env in VecNormalize (RL Zoo's ``normalize: true``); Monitor still sees raw returns."""
    source: str = "this search"


# ---------------------------------------------------------------------------------------------------------
# RL Zoo's settings, copied as data (values from rl-baselines3-zoo hyperparams/<algo>.yml; ``n_timesteps``
# becomes the budget only where it is larger than ours, as the demo budget is what we care about).
# ---------------------------------------------------------------------------------------------------------
ZOO: dict[str, Preset] = {
    "ppo_cartpole": Preset(
        name="zoo",
        algo="ppo",
        env_id="CartPole-v1",
        threshold=475.0,
        budget_steps=100_000,
        n_envs=8,
        hyperparams={
            "n_steps": 32,
            "batch_size": 256,
            "gae_lambda": 0.8,
            "gamma": 0.98,
            "n_epochs": 20,
            "ent_coef": 0.0,
            "learning_rate": "lin_1e-3",
            "clip_range": "lin_0.2",
        },
        source="rl-baselines3-zoo hyperparams/ppo.yml",
    ),
    "dqn_cartpole": Preset(
        name="zoo",
        algo="dqn",
        env_id="CartPole-v1",
        threshold=475.0,
        budget_steps=50_000,
        hyperparams={
            "learning_rate": 2.3e-3,
            "batch_size": 64,
            "buffer_size": 100_000,
            "learning_starts": 1000,
            "gamma": 0.99,
            "target_update_interval": 10,
            "train_freq": 256,
            "gradient_steps": 128,
            "exploration_fraction": 0.16,
            "exploration_final_eps": 0.04,
            "policy_kwargs": {"net_arch": [256, 256]},
        },
        source="rl-baselines3-zoo hyperparams/dqn.yml",
    ),
    "sac_pendulum": Preset(
        name="zoo",
        algo="sac",
        env_id="Pendulum-v1",
        threshold=-200.0,
        budget_steps=20_000,
        hyperparams={"learning_rate": 1e-3},  # the rest are SB3 defaults: net 256x256, batch 256
        source="rl-baselines3-zoo hyperparams/sac.yml",
    ),
    "td3_pendulum": Preset(
        name="zoo",
        algo="td3",
        env_id="Pendulum-v1",
        threshold=-200.0,
        budget_steps=20_000,
        hyperparams={
            "gamma": 0.98,
            "buffer_size": 200_000,
            "learning_starts": 10_000,
            "action_noise": "normal_0.1",
            "gradient_steps": 1,
            "train_freq": 1,
            "learning_rate": 1e-3,
            "policy_kwargs": {"net_arch": [400, 300]},
        },
        source="rl-baselines3-zoo hyperparams/td3.yml",
    ),
    "a2c_cartpole": Preset(
        name="zoo",
        algo="a2c",
        env_id="CartPole-v1",
        threshold=475.0,
        budget_steps=500_000,
        n_envs=8,
        hyperparams={"ent_coef": 0.0},
        source="rl-baselines3-zoo hyperparams/a2c.yml",
    ),
    "ppo_acrobot": Preset(
        name="zoo",
        algo="ppo",
        env_id="Acrobot-v1",
        threshold=-100.0,
        budget_steps=1_000_000,
        n_envs=16,
        normalize=True,
        hyperparams={"n_steps": 256, "gae_lambda": 0.94, "gamma": 0.99, "n_epochs": 4, "ent_coef": 0.0},
        source="rl-baselines3-zoo hyperparams/ppo.yml",
    ),
}

# ---------------------------------------------------------------------------------------------------------
# The winners of the searches below (see FINDINGS_presets.md for the figures).
# ---------------------------------------------------------------------------------------------------------
FAST: dict[str, Preset] = {
    "ppo_cartpole": Preset(
        # search candidate "e16_s16_ep10_lr2e-3": Zoo's rollout size (256) from 16 envs x 16 steps, so one
        # policy forward serves 16 env steps; half the epochs, twice the learning rate, 60k-step horizon.
        name="fast",
        algo="ppo",
        env_id="CartPole-v1",
        threshold=475.0,
        budget_steps=60_000,
        n_envs=16,
        hyperparams={
            "n_steps": 16,
            "batch_size": 256,
            "gae_lambda": 0.8,
            "gamma": 0.98,
            "n_epochs": 10,
            "ent_coef": 0.0,
            "learning_rate": "lin_2e-3",
            "clip_range": "lin_0.2",
        },
    ),
    "sac_pendulum": Preset(
        # search candidate "net64_e4_g2": a 64x64 net, and 4 envs with 2 gradient steps per vec step
        # (half a gradient step per env step), so each costly update is paid for by more cheap env steps.
        name="fast",
        algo="sac",
        env_id="Pendulum-v1",
        threshold=-200.0,
        budget_steps=20_000,
        n_envs=4,
        hyperparams={"learning_rate": 1e-3, "gradient_steps": 2, "policy_kwargs": {"net_arch": [64, 64]}},
    ),
    "td3_pendulum": Preset(
        # search candidate "net64_ls1000_e4_g2": Zoo's TD3 with a 64x64 net, 1,000 (not 10,000) random
        # warm-up steps, and 4 envs with 2 gradient steps per vec step.
        name="fast",
        algo="td3",
        env_id="Pendulum-v1",
        threshold=-200.0,
        budget_steps=20_000,
        n_envs=4,
        hyperparams={
            "gamma": 0.98,
            "buffer_size": 200_000,
            "learning_starts": 1000,
            "action_noise": "normal_0.1",
            "gradient_steps": 2,
            "train_freq": 1,
            "learning_rate": 1e-3,
            "policy_kwargs": {"net_arch": [64, 64]},
        },
    ),
}

SEARCH_BUDGET: dict[str, int] = {"ppo_cartpole": 60_000}
"""Step budget of the candidates where it differs from Zoo's ``n_timesteps`` (linear schedules end there)."""

# Candidate variants per group: each is (name, n_envs, changes merged over the group's base preset).
CANDIDATES: dict[str, list[tuple[str, int, dict[str, Any]]]] = {
    "ppo_cartpole": [
        ("zoo_ep10", 8, {"n_epochs": 10}),
        ("zoo_ep5_lr3e-3", 8, {"n_epochs": 5, "learning_rate": "lin_3e-3"}),
        ("e16_ep5_lr3e-3", 16, {"n_epochs": 5, "learning_rate": "lin_3e-3", "batch_size": 512}),
        ("zoo_ep10_net32", 8, {"n_epochs": 10, "policy_kwargs": {"net_arch": [32, 32]}}),
        # round 2
        ("ep5_lr2e-3", 8, {"n_epochs": 5, "learning_rate": "lin_2e-3"}),
        ("ep8_lr2e-3", 8, {"n_epochs": 8, "learning_rate": "lin_2e-3"}),
        ("ep5_lr3e-3_const", 8, {"n_epochs": 5, "learning_rate": 3e-3, "clip_range": 0.2}),
        ("s64_ep5_lr2e-3", 8, {"n_steps": 64, "n_epochs": 5, "learning_rate": "lin_2e-3"}),
        ("e16_ep5_b256_lr2e-3", 16, {"n_epochs": 5, "learning_rate": "lin_2e-3"}),
        ("ep5_lr3e-3_g99", 8, {"n_epochs": 5, "learning_rate": "lin_3e-3", "gamma": 0.99, "gae_lambda": 0.9}),
        # round 3
        ("ep8_lr3e-3", 8, {"n_epochs": 8, "learning_rate": "lin_3e-3"}),
        ("ep6_lr2.5e-3", 8, {"n_epochs": 6, "learning_rate": "lin_2.5e-3"}),
        ("b128_ep4_lr2e-3", 8, {"n_epochs": 4, "batch_size": 128, "learning_rate": "lin_2e-3"}),
        ("e16_b512_ep10_lr2e-3", 16, {"n_epochs": 10, "batch_size": 512, "learning_rate": "lin_2e-3"}),
        ("ep8_lr2e-3_clip0.3", 8, {"n_epochs": 8, "learning_rate": "lin_2e-3", "clip_range": "lin_0.3"}),
        # round 4
        ("ep6_lr2.5e-3_clip0.3", 8, {"n_epochs": 6, "learning_rate": "lin_2.5e-3", "clip_range": "lin_0.3"}),
        ("ep5_lr3e-3_clip0.3", 8, {"n_epochs": 5, "learning_rate": "lin_3e-3", "clip_range": "lin_0.3"}),
        # round 5: more envs per vec step (cheaper env steps), same 256-sample rollouts
        ("e16_s16_ep6", 16, {"n_steps": 16, "n_epochs": 6, "learning_rate": "lin_2.5e-3", "clip_range": "lin_0.3"}),
        ("e16_s16_ep8", 16, {"n_steps": 16, "n_epochs": 8, "learning_rate": "lin_2.5e-3", "clip_range": "lin_0.3"}),
        ("e32_s8_ep6", 32, {"n_steps": 8, "n_epochs": 6, "learning_rate": "lin_2.5e-3", "clip_range": "lin_0.3"}),
        ("e16_s16_ep10_lr2e-3", 16, {"n_steps": 16, "n_epochs": 10, "learning_rate": "lin_2e-3"}),
        ("e16_s16_ep8_lr2e-3", 16, {"n_steps": 16, "n_epochs": 8, "learning_rate": "lin_2e-3"}),
    ],
    "dqn_cartpole": [
        ("net64", 1, {"policy_kwargs": {"net_arch": [64, 64]}}),
        ("net64_g64", 1, {"policy_kwargs": {"net_arch": [64, 64]}, "gradient_steps": 64}),
        ("net64_tf64_g16", 1, {"policy_kwargs": {"net_arch": [64, 64]}, "train_freq": 64, "gradient_steps": 16}),
    ],
    "sac_pendulum": [
        ("net64", 1, {"policy_kwargs": {"net_arch": [64, 64]}}),
        ("net64_e4_g2", 4, {"policy_kwargs": {"net_arch": [64, 64]}, "gradient_steps": 2}),
        ("net64_b64", 1, {"policy_kwargs": {"net_arch": [64, 64]}, "batch_size": 64}),
    ],
    "td3_pendulum": [
        ("net64_ls1000", 1, {"policy_kwargs": {"net_arch": [64, 64]}, "learning_starts": 1000}),
        (
            "net64_ls1000_e4_g2",
            4,
            {"policy_kwargs": {"net_arch": [64, 64]}, "learning_starts": 1000, "gradient_steps": 2},
        ),
    ],
}
