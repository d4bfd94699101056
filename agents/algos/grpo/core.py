"""GRPO's arithmetic, as small pure functions: group advantages, the clipped surrogate, the k3 KL estimate.

Group Relative Policy Optimization (Shao et al. 2024, DeepSeekMath, arXiv 2402.03300, section 4.1): sample G
attempts at the same problem, score each against its group, ``A = (r - mean(r)) / (std(r) + eps)``, and
maximise PPO's clipped objective minus ``beta`` times a KL estimate to a reference policy. The group mean
replaces PPO's learned value baseline. Conventions follow TRL's ``GRPOTrainer``: the sample standard deviation
(``ddof=1``), ``eps = 1e-4``, and the k3 estimator ``exp(ref - logp) - (ref - logp) - 1`` (Schulman, "Approximating
KL divergence", 2020), which is never negative and unbiased for KL(policy || reference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

ADVANTAGE_EPS = 1e-4
"""Added to the group's standard deviation (TRL's value)."""


@dataclass(frozen=True)
class GroupAdvantages:
    """Per-step advantages of one batch of groups, and how many groups carried no signal."""

    per_step: list[list[np.ndarray]]
    """``per_step[k][i]``: advantages of attempt ``i`` of group ``k``, shape (length of that attempt,)."""
    zero_spread: np.ndarray
    """Shape (n_groups,): True where all G returns were equal, so every advantage in the group is zero."""


def normalise_in_group(scores: np.ndarray) -> np.ndarray:
    """``(r - mean) / (std + eps)`` along the last axis: the group axis.

    ``scores``: shape (..., G). The standard deviation is the sample one (``ddof=1``), as TRL computes it;
    a group whose scores are all equal gets advantages of exactly zero.
    """
    scores = np.asarray(scores, dtype=np.float64)
    mean = scores.mean(axis=-1, keepdims=True)
    std = scores.std(axis=-1, ddof=1, keepdims=True)
    return (scores - mean) / (std + ADVANTAGE_EPS)


def returns_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """``R_t = r_t + gamma * R_{t+1}`` for one attempt's rewards, shape (T,) -> (T,)."""
    out = np.zeros(len(rewards), dtype=np.float64)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = float(rewards[t]) + gamma * running
        out[t] = running
    return out


def group_advantages(groups: list[list[np.ndarray]], mode: str, gamma: float) -> GroupAdvantages:
    """Advantages of every step of every attempt, measured within its group.

    ``groups[k][i]``: the rewards of attempt ``i`` of group ``k``, shape (T_i,); every group holds the same
    number G >= 2 of attempts, which started from the same state.

    - ``"outcome"``: each attempt's return ``sum(r)`` is normalised within the group, and every step of the
      attempt gets that one advantage (DeepSeekMath's outcome supervision).
    - ``"returns_to_go"``: at each step number t, the attempts' discounted returns-to-go are normalised across the
      group; an attempt that already ended counts with 0 still to come, so surviving longer is credited.

    A group has zero spread when its G returns (sums of rewards) are all equal: no attempt did better than
    another, so it carries no learning signal in ``"outcome"`` mode.
    """
    if mode not in ("outcome", "returns_to_go"):
        raise ValueError(f"unknown advantage {mode!r}; choose outcome or returns_to_go")
    per_step: list[list[np.ndarray]] = []
    zero_spread = np.zeros(len(groups), dtype=bool)
    for k, group in enumerate(groups):
        if len(group) < 2:
            raise ValueError("a group needs at least 2 attempts to compare them")
        totals = np.array([float(np.sum(r)) for r in group])
        zero_spread[k] = bool(np.isclose(totals.std(ddof=1), 0.0))
        if mode == "outcome":
            scores = normalise_in_group(totals)
            per_step.append([np.full(len(r), scores[i]) for i, r in enumerate(group)])
            continue
        horizon = max(len(r) for r in group)
        table = np.zeros((len(group), horizon))  # returns-to-go, 0 after an attempt ended
        for i, r in enumerate(group):
            table[i, : len(r)] = returns_to_go(r, gamma)
        normalised = normalise_in_group(table.T).T  # across the group at each step number
        per_step.append([normalised[i, : len(r)] for i, r in enumerate(group)])
    return GroupAdvantages(per_step, zero_spread)


def clipped_surrogate(
    log_prob: torch.Tensor, old_log_prob: torch.Tensor, advantages: torch.Tensor, clip_range: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped objective as a loss to minimise, and the fraction of steps whose ratio was clipped.

    All inputs have shape (N,). ``loss = -mean(min(ratio * A, clip(ratio, 1 - c, 1 + c) * A))`` with
    ``ratio = exp(log_prob - old_log_prob)`` (Schulman et al. 2017, arXiv 1707.06347, eq. 7).
    """
    ratio = torch.exp(log_prob - old_log_prob)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_range, 1.0 + clip_range) * advantages
    loss = -torch.min(unclipped, clipped).mean()
    clip_fraction = ((ratio - 1.0).abs() > clip_range).float().mean()
    return loss, clip_fraction


def k3_kl(log_prob: torch.Tensor, ref_log_prob: torch.Tensor) -> torch.Tensor:
    """Per-step k3 estimate of KL(policy || reference) from the sampled actions, shape (N,) -> (N,).

    ``exp(ref - logp) - (ref - logp) - 1`` (DeepSeekMath eq. 4, TRL's ``per_token_kl``): zero where the two
    policies agree on the action, positive otherwise.
    """
    delta = ref_log_prob - log_prob
    return torch.exp(delta) - delta - 1.0
