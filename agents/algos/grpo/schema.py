"""GRPO's hyperparameters: TRL's and stable-baselines3's names, with bounds and one sentence of help each.

TRL's ``GRPOConfig`` calls the group size ``num_generations``, the clip range ``epsilon``, the epochs
``num_iterations`` and the reference refresh ``ref_model_sync_steps``; here they take the names the rest of the
playground (SB3) already uses where one exists (``clip_range``, ``n_epochs``), and the issue's names otherwise.
"""

from __future__ import annotations

from dataclasses import replace

from agents.algos.sb3.schemas import (
    ENT_COEF,
    GAMMA,
    LEARNING_RATE,
    LEARNING_RATE_SCHEDULE,
    MAX_GRAD_NORM,
    NET_ARCH,
    with_default,
)
from agents.config.schema import HyperParam, Schema

ADVANTAGES = ("outcome", "returns_to_go")
"""How a step's advantage is measured against its group (see :func:`agents.algos.grpo.core.group_advantages`)."""

GRPO_SCHEMA = Schema(
    (
        HyperParam(
            "group_size",
            "int",
            8,
            "G: attempts started from the same state (one reset seed); each is judged against the others, "
            "so no value network is needed (TRL's num_generations).",
            low=2,
            high=64,
        ),
        HyperParam(
            "groups_per_update",
            "int",
            4,
            "Groups collected, each from its own start, before each update; they are played side by side.",
            low=1,
            high=64,
        ),
        HyperParam(
            "advantage",
            "choice",
            "returns_to_go",
            "'outcome' credits every step of an attempt with its whole return against the group's (DeepSeekMath's "
            "outcome supervision); 'returns_to_go' compares the discounted reward still to come from the same "
            "step number in each attempt, which credits late mistakes less to early steps.",
            choices=ADVANTAGES,
        ),
        replace(
            GAMMA,
            help="Discount of the returns-to-go: what a reward one step later is worth (unused for 'outcome', "
            "which sums the episode's rewards).",
        ),
        with_default(LEARNING_RATE, 1e-3),
        LEARNING_RATE_SCHEDULE,
        HyperParam(
            "n_epochs",
            "int",
            4,
            "Passes over each update's attempts; more squeezes more out of costly samples but moves the policy "
            "further from the one that collected them (TRL's num_iterations).",
            low=1,
            high=50,
        ),
        HyperParam(
            "batch_size",
            "int",
            1024,
            "Steps in each gradient step's minibatch; an update's steps are shuffled and split into minibatches.",
            low=8,
            high=65536,
            log=True,
        ),
        HyperParam(
            "clip_range",
            "float",
            0.2,
            "How far one update may move the probability of an action (PPO's clipped ratio; TRL's epsilon).",
            low=0.01,
            high=1.0,
        ),
        HyperParam(
            "beta",
            "float",
            0.0,
            "Weight of the KL penalty that keeps the policy near a reference copy of itself; 0 turns it off "
            "(TRL's default since DAPO) and saves a forward pass.",
            low=0.0,
            high=10.0,
        ),
        HyperParam(
            "ref_update_interval",
            "int",
            10,
            "Updates between refreshing the reference policy with the current one (TRL's ref_model_sync_steps); "
            "only used when beta > 0.",
            low=1,
            high=10_000,
            log=True,
        ),
        with_default(ENT_COEF, 0.0),
        MAX_GRAD_NORM,
        replace(
            NET_ARCH,
            help="Hidden layers of the policy network, the only network GRPO trains (it has no value network).",
        ),
    )
)
