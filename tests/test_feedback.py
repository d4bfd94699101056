"""The feedback lab's parts: clips, labelers, the Bradley-Terry reward model, the learned reward, the schedule."""

from __future__ import annotations

import itertools
import math

import gymnasium as gym
import numpy as np
import pytest
import torch

import envs  # noqa: F401
from agents.feedback.config import FeedbackConfig, FeedbackConfigError
from agents.feedback.fragments import Episode, Fragment, FragmentSampler, cut_fragments, pair_up
from agents.feedback.labelers import ANSWERS, LEFT, RIGHT, SAME, OracleLabeler, RuleLabeler, agreement
from agents.feedback.learned_reward import LearnedReward
from agents.feedback.preference_loop import FeedbackSettings, PreferenceLoop
from agents.feedback.reward_model import (
    RewardModelTrainer,
    RewardNet,
    RunningNorm,
    bradley_terry_loss,
    reward_correlation,
)
from envs.reward_expr import RewardExprError
from envs.shaping import TrueReturnRecorder

CARTPOLE_FEATURES = ("x", "x_dot", "theta", "theta_dot")


def _fragment(rewards: list[float], obs: np.ndarray | None = None, acts: np.ndarray | None = None) -> Fragment:
    n = len(rewards)
    return Fragment(
        obs=np.zeros((n, 4), np.float32) if obs is None else obs,
        acts=np.zeros(n, np.int64) if acts is None else acts,
        true_rewards=np.asarray(rewards, dtype=np.float64),
        start=0,
        episode_seed=0,
    )


# --- clips -------------------------------------------------------------------------------------------------


def test_cut_fragments_gives_windows_of_the_episode_in_order() -> None:
    episode = Episode(
        obs=np.arange(20, dtype=np.float32).reshape(10, 2),
        acts=np.arange(10),
        rewards=np.arange(10, dtype=np.float64),
        seed=7,
    )
    fragments = cut_fragments(episode, fragment_length=4, count=5, rng=np.random.default_rng(0))
    assert len(fragments) == 5
    for fragment in fragments:
        assert len(fragment) == 4 and fragment.episode_seed == 7
        np.testing.assert_array_equal(fragment.true_rewards, np.arange(fragment.start, fragment.start + 4))
        np.testing.assert_array_equal(fragment.acts, np.arange(fragment.start, fragment.start + 4))
    assert cut_fragments(episode, fragment_length=11, count=3, rng=np.random.default_rng(0)) == []


def test_clips_start_before_the_absorbing_state_so_each_shows_some_behaviour() -> None:
    rewards = np.r_[np.ones(12), np.zeros(488)]
    episode = Episode(obs=np.zeros((500, 4), np.float32), acts=np.zeros(500), rewards=rewards, seed=0, absorbed_from=12)
    fragments = cut_fragments(episode, fragment_length=50, count=4, rng=np.random.default_rng(0))
    assert len(fragments) == 4
    assert all(f.start <= 11 and f.true_return > 0 for f in fragments)


def test_play_episode_finds_where_the_absorbing_state_begins() -> None:
    from agents.feedback.fragments import play_episode

    episode = play_episode(gym.make("FixedHorizonCartPole-v0"), lambda obs: 0, seed=0)
    assert len(episode) == 500
    assert episode.absorbed_from == int(episode.rewards.sum())  # every step before it paid 1


def test_sampler_is_reproducible_from_its_seed_and_counts_its_env_steps() -> None:
    def policy(obs: np.ndarray) -> int:
        return int(obs[2] > 0)

    def clips(seed: int) -> list[Fragment]:
        sampler = FragmentSampler(lambda: gym.make("FixedHorizonCartPole-v0"), 20, seed=seed)
        out = sampler.sample(policy, 6)
        assert sampler.env_steps == 2 * 500  # 4 clips per episode: two whole episodes played
        return out

    first, again, other = clips(1), clips(1), clips(2)
    assert [f.start for f in first] == [f.start for f in again]
    np.testing.assert_array_equal(first[0].obs, again[0].obs)
    assert [f.start for f in first] != [f.start for f in other]
    assert len(pair_up(first)) == 3


# --- labelers ----------------------------------------------------------------------------------------------


def test_oracle_at_temperature_zero_prefers_the_higher_true_return() -> None:
    oracle = OracleLabeler()
    high, low = _fragment([1, 1, 1]), _fragment([1, 0, 0])
    assert oracle.label([(high, low), (low, high), (low, low)]) == [LEFT, RIGHT, SAME]


def test_oracle_probability_is_bradley_terry_with_a_temperature() -> None:
    oracle = OracleLabeler(temperature=2.0, sample=False)
    left, right = _fragment([3.0]), _fragment([1.0])
    assert oracle.probability(left, right) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert oracle.label([(left, right)]) == [pytest.approx(0.7310585786)]


def test_oracle_samples_answers_at_their_probability() -> None:
    oracle = OracleLabeler(temperature=1.0, seed=0)
    left, right = _fragment([1.0]), _fragment([0.0])
    labels = oracle.label([(left, right)] * 4000)
    assert set(labels) == {LEFT, RIGHT}
    assert np.mean(labels) == pytest.approx(1 / (1 + math.exp(-1.0)), abs=0.02)


@pytest.mark.parametrize("noise_rate", [0.1, 0.3])
def test_oracle_noise_rate_replaces_that_fraction_of_answers_with_coin_flips(noise_rate: float) -> None:
    oracle = OracleLabeler(noise_rate=noise_rate, seed=1)
    labels = oracle.label([(_fragment([5.0]), _fragment([0.0]))] * 4000)
    wrong = labels.count(RIGHT) / len(labels)
    assert wrong == pytest.approx(noise_rate / 2, abs=0.02)  # half of the random answers happen to be right


def test_oracle_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="temperature"):
        OracleLabeler(temperature=-1)
    with pytest.raises(ValueError, match="noise_rate"):
        OracleLabeler(noise_rate=1.5)


def test_rule_labeler_prefers_the_clip_whose_pole_stays_more_upright() -> None:
    upright = np.zeros((5, 4), np.float32)
    leaning = np.zeros((5, 4), np.float32)
    leaning[:, 2] = 0.15
    rule = RuleLabeler("-abs(theta)", CARTPOLE_FEATURES)
    a, b = _fragment([1] * 5, obs=upright), _fragment([1] * 5, obs=leaning)
    assert rule.label([(a, b), (b, a), (a, a)]) == [LEFT, RIGHT, SAME]
    assert rule.score(b) == pytest.approx(-0.75)


@pytest.mark.parametrize("rule", ["__import__('os')", "obs.tofile('x')", "theta" * 100, "open('f')"])
def test_rule_labeler_refuses_what_the_reward_language_refuses(rule: str) -> None:
    with pytest.raises(RewardExprError):
        RuleLabeler(rule, CARTPOLE_FEATURES)


def test_a_persons_four_answers_and_agreement() -> None:
    assert ANSWERS == {"left": 1.0, "right": 0.0, "same": 0.5, "cant_tell": None}
    assert agreement([LEFT, RIGHT, None, SAME], [LEFT, LEFT, RIGHT, SAME]) == pytest.approx(2 / 3)
    assert agreement([None], [LEFT]) is None


# --- the reward model --------------------------------------------------------------------------------------


def test_bradley_terry_loss_matches_hand_computed_values() -> None:
    left, right = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0])
    labels = torch.tensor([1.0, 0.5])
    expected = (-math.log(1 / (1 + math.exp(-2.0))) + math.log(2.0)) / 2
    assert float(bradley_terry_loss(left, right, labels)) == pytest.approx(expected, rel=1e-6)
    p = 0.9 / (1 + math.exp(-2.0)) + 0.05
    noisy = bradley_terry_loss(torch.tensor([2.0]), torch.tensor([0.0]), torch.tensor([1.0]), noise_prob=0.1)
    assert float(noisy) == pytest.approx(-math.log(p), rel=1e-6)


def test_running_norm_matches_numpy_over_several_batches() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, size=(300, 3)).astype(np.float32)
    norm = RunningNorm(3)
    for chunk in np.array_split(data, 7):
        norm.update(torch.from_numpy(chunk))
    np.testing.assert_allclose(norm.mean.numpy(), data.mean(0), rtol=1e-4)
    np.testing.assert_allclose(norm.var.numpy(), data.var(0), rtol=1e-3)


def _linear_task(n_pairs: int, seed: int) -> tuple[list[tuple[Fragment, Fragment]], np.ndarray]:
    """Clips whose true reward is ``obs @ w``: a reward model should recover the ordering."""
    rng = np.random.default_rng(seed)
    w = np.array([1.0, -2.0, 0.5, 0.0])
    pairs = []
    for _ in range(n_pairs):
        clips = []
        for _ in range(2):
            obs = rng.normal(size=(10, 4)).astype(np.float32)
            clips.append(_fragment(list(obs @ w), obs=obs, acts=rng.integers(0, 2, size=10)))
        pairs.append((clips[0], clips[1]))
    return pairs, w


def test_reward_model_learns_the_ordering_of_held_out_pairs() -> None:
    pairs, _ = _linear_task(250, seed=0)
    space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
    net = RewardNet(space, gym.spaces.Discrete(2), hidden=(32,), seed=0)
    trainer = RewardModelTrainer(net, learning_rate=3e-3, epochs=30, holdout_every=5, seed=0)
    trainer.add(pairs, OracleLabeler().label(pairs))
    assert len(trainer.heldout_pairs) == 50 and trainer.labels_used == 250
    assert trainer.accuracy() < 0.8  # untrained: about chance
    trainer.train()
    assert trainer.accuracy() >= 0.9
    assert reward_correlation(net, [p[0] for p in pairs]) > 0.9


def test_cant_tell_is_dropped_and_same_does_not_count_in_accuracy() -> None:
    pairs, _ = _linear_task(10, seed=1)
    net = RewardNet(gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(2))
    trainer = RewardModelTrainer(net, holdout_every=2)
    kept = trainer.add(pairs, [None, SAME] * 5)
    assert kept == 5 and trainer.labels_used == 5
    assert trainer.accuracy() is None  # the held-out pairs are all SAME: nothing decided to score


def test_building_a_reward_model_leaves_the_global_torch_generator_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    RewardNet(gym.spaces.Box(-1, 1, (4,), np.float32), gym.spaces.Discrete(2), seed=5)
    torch.testing.assert_close(torch.rand(3), expected)


def test_learned_reward_replaces_the_env_reward_and_keeps_the_true_one_in_info() -> None:
    probe = gym.make("CartPole-v1")
    net = RewardNet(probe.observation_space, probe.action_space, seed=0)
    env = LearnedReward(TrueReturnRecorder(gym.make("CartPole-v1")), net)
    obs, _ = env.reset(seed=0)
    rewards, trues = [], []
    for _ in range(5):
        expected_raw = net.predict(np.asarray(obs)[None], np.array([1]))[0]
        obs, reward, _, _, info = env.step(1)
        rewards.append(reward)
        trues.append(info["true_reward"])
        assert np.isfinite(expected_raw)
    assert trues == [1.0] * 5
    assert rewards != trues and len(set(rewards)) > 1
    assert float(net.output_norm.count) == 5  # the normaliser saw every step the agent was paid for


# --- the schedule ------------------------------------------------------------------------------------------


def test_labels_are_asked_throughout_training_at_a_falling_rate() -> None:
    settings = FeedbackSettings(total_labels=200, initial_labels=20)
    due = [settings.labels_due(p) for p in np.linspace(0, 1, 11)]
    assert due[0] == 20 and due[-1] == 200
    assert all(b >= a for a, b in itertools.pairwise(due))
    steps = np.diff(due)
    assert steps[0] > steps[-1] > 0  # more labels early, still some at the end
    frozen = FeedbackSettings(total_labels=200, initial_labels=20, freeze_after=0.2)
    assert frozen.labels_due(0.2) == 200 and frozen.labels_due(0.9) == 200


def test_the_loop_counts_labels_by_source_and_the_clip_steps_it_played() -> None:
    env_id = "FixedHorizonCartPole-v0"
    probe = gym.make(env_id)
    net = RewardNet(probe.observation_space, probe.action_space, hidden=(16,), seed=0)
    loop = PreferenceLoop(
        FragmentSampler(lambda: gym.make(env_id), 25, seed=0),
        OracleLabeler(seed=0),
        RewardModelTrainer(net, seed=0),
        FeedbackSettings(total_labels=20, initial_labels=10),
        reference=OracleLabeler(seed=0),
    )
    rng = np.random.default_rng(0)
    loop.query(lambda obs: int(rng.integers(2)), 10)
    assert loop.stats.labels_used == loop.stats.labels_by_source["oracle"] == 10
    assert loop.stats.clip_env_steps == loop.sampler.env_steps >= 20 * 25
    assert loop.agreements == [1.0]  # the oracle agrees with itself
    assert loop.stats.labels_per_s("oracle") > 100
    assert loop.history[-1][0] == 10


# --- the configuration -------------------------------------------------------------------------------------


def test_feedback_config_parses_link_text_within_bounds() -> None:
    config = FeedbackConfig.parse({"feedback": "rule", "labels": "150", "rule": " -abs(theta) "}, CARTPOLE_FEATURES)
    assert (config.feedback, config.labels, config.rule) == ("rule", 150, "-abs(theta)")
    assert config.settings().total_labels == 150
    assert isinstance(config.labeler(CARTPOLE_FEATURES, seed=0), RuleLabeler)
    assert isinstance(FeedbackConfig().labeler(CARTPOLE_FEATURES, seed=0), OracleLabeler)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"labels": "1"}, "labels"),
        ({"labels": "1e9"}, "labels"),
        ({"label_noise": "1.5"}, "label_noise"),
        ({"feedback": "crowd"}, "feedback"),
        ({"labels": "10", "initial_labels": "20"}, "initial_labels"),
        ({"feedback": "rule"}, "rule"),
        ({"feedback": "rule", "rule": "__import__('os').system('x')"}, "rule"),
        ({"feedback": "rule", "rule": "theta+" * 80 + "1"}, "rule"),
        ({"labels_secret": "1"}, None),
    ],
)
def test_feedback_config_refuses_bad_values_naming_the_field(raw: dict, field: str | None) -> None:
    with pytest.raises(FeedbackConfigError) as caught:
        FeedbackConfig.parse(raw, CARTPOLE_FEATURES)
    assert caught.value.field == field


def test_a_person_has_no_automated_labeler() -> None:
    with pytest.raises(FeedbackConfigError, match="person"):
        FeedbackConfig(feedback="human").labeler((), seed=0)
