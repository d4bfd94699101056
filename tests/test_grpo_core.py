"""GRPO's arithmetic against values worked out by hand on tiny inputs: group advantages, the clipped loss, the KL."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from agents.algos.grpo.core import (
    ADVANTAGE_EPS,
    clipped_surrogate,
    group_advantages,
    k3_kl,
    normalise_in_group,
    returns_to_go,
)


def test_a_group_is_normalised_by_its_mean_and_sample_std() -> None:
    # returns 1, 2, 3: mean 2, sample std 1 -> advantages -1, 0, 1 (less TRL's eps of 1e-4)
    adv = normalise_in_group(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(adv, np.array([-1.0, 0.0, 1.0]) / (1.0 + ADVANTAGE_EPS))


def test_each_group_is_normalised_on_its_own() -> None:
    # the second group's scores are ten times bigger and shifted, and get the same advantages
    adv = normalise_in_group(np.array([[0.0, 2.0], [10.0, 30.0]]))
    # mean 1, sample std sqrt(2); mean 20, sample std sqrt(200)
    np.testing.assert_allclose(adv[0], [-1 / (math.sqrt(2) + 1e-4), 1 / (math.sqrt(2) + 1e-4)])
    np.testing.assert_allclose(adv[1], [-10 / (math.sqrt(200) + 1e-4), 10 / (math.sqrt(200) + 1e-4)])


def test_outcome_advantage_gives_every_step_of_an_attempt_its_return_advantage() -> None:
    # group of two: returns 3 (three steps) and 1 (one step); mean 2, sample std sqrt(2)
    scored = group_advantages([[np.ones(3), np.ones(1)]], "outcome", gamma=0.5)
    a = 1 / (math.sqrt(2) + ADVANTAGE_EPS)
    np.testing.assert_allclose(scored.per_step[0][0], [a, a, a])
    np.testing.assert_allclose(scored.per_step[0][1], [-a])
    assert not scored.zero_spread[0]


def test_returns_to_go_are_discounted_sums_of_what_follows() -> None:
    np.testing.assert_allclose(returns_to_go(np.array([1.0, 2.0, 4.0]), 0.5), [1 + 1 + 1, 2 + 2, 4])


def test_returns_to_go_advantage_compares_attempts_at_the_same_step_number() -> None:
    # attempt A: rewards 1, 1 (returns-to-go with gamma 1: 2, 1); attempt B: reward 1 (1, then 0 after it ended)
    scored = group_advantages([[np.ones(2), np.ones(1)]], "returns_to_go", gamma=1.0)
    # step 0: scores (2, 1), mean 1.5, sample std sqrt(0.5); step 1: (1, 0), the same spread
    a = 0.5 / (math.sqrt(0.5) + ADVANTAGE_EPS)
    np.testing.assert_allclose(scored.per_step[0][0], [a, a])
    np.testing.assert_allclose(scored.per_step[0][1], [-a])


def test_a_group_whose_attempts_all_scored_the_same_has_zero_spread_and_no_signal() -> None:
    scored = group_advantages([[np.ones(4), np.ones(4)], [np.ones(2), np.ones(5)]], "outcome", gamma=0.99)
    np.testing.assert_array_equal(scored.zero_spread, [True, False])
    np.testing.assert_array_equal(scored.per_step[0][0], np.zeros(4))
    np.testing.assert_array_equal(scored.per_step[0][1], np.zeros(4))


def test_group_advantages_refuse_a_group_of_one_and_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        group_advantages([[np.ones(3)]], "outcome", gamma=1.0)
    with pytest.raises(ValueError, match="unknown advantage"):
        group_advantages([[np.ones(3), np.ones(2)]], "value", gamma=1.0)


def test_clipped_surrogate_takes_the_pessimistic_side_of_the_clip() -> None:
    # ratios 1.5, 0.5, 1.1 with clip 0.2; advantages +1, +1, -2
    old = torch.zeros(3)
    new = torch.log(torch.tensor([1.5, 0.5, 1.1]))
    advantages = torch.tensor([1.0, 1.0, -2.0])
    loss, clip_fraction = clipped_surrogate(new, old, advantages, clip_range=0.2)
    # step 0: min(1.5, 1.2) = 1.2; step 1: min(0.5, 0.8) = 0.5; step 2: min(-2.2, -2.2) = -2.2
    assert float(loss) == pytest.approx(-(1.2 + 0.5 - 2.2) / 3, rel=1e-6)
    assert float(clip_fraction) == pytest.approx(2 / 3)  # ratios 1.5 and 0.5 lie outside [0.8, 1.2]


def test_clipped_surrogate_gradient_vanishes_where_the_clip_binds() -> None:
    new = torch.log(torch.tensor([1.5, 1.0])).requires_grad_(True)
    loss, _ = clipped_surrogate(new, torch.zeros(2), torch.tensor([1.0, 1.0]), clip_range=0.2)
    loss.backward()
    assert new.grad is not None
    # the clipped step (ratio 1.5 > 1.2 with a positive advantage) gets no gradient; the other -ratio/N = -0.5
    np.testing.assert_allclose(new.grad.numpy(), [0.0, -0.5], atol=1e-7)


def test_k3_kl_matches_its_formula_and_is_zero_only_where_the_policies_agree() -> None:
    log_prob = torch.log(torch.tensor([0.5, 0.25, 0.8]))
    ref = torch.log(torch.tensor([0.5, 0.5, 0.4]))
    kl = k3_kl(log_prob, ref)
    # ref/p - log(ref/p) - 1: 0; 2 - ln 2 - 1; 0.5 - ln 0.5 - 1
    np.testing.assert_allclose(kl.numpy(), [0.0, 1 - math.log(2), -0.5 + math.log(2)], rtol=1e-6, atol=1e-7)
    assert torch.all(kl >= 0)


def test_k3_kl_averages_to_the_true_kl_over_the_policys_samples() -> None:
    # KL(p || q) for p = (0.7, 0.3), q = (0.4, 0.6), estimated exactly by weighting each action by p
    p, q = torch.tensor([0.7, 0.3]), torch.tensor([0.4, 0.6])
    estimate = float((p * k3_kl(p.log(), q.log())).sum())
    assert estimate == pytest.approx(float((p * (p / q).log()).sum()), rel=1e-6)
