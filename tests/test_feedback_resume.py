"""A lab run's labelled pairs live in its folder: they round-trip through it, and a resumed run continues its pair set
and its label count instead of asking again for labels it already has."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agents.config.run_config import RunConfig, build_config
from agents.feedback.pair_store import PairFileError, restore_pairs
from agents.runs.preferences import PAIRS_FILE, PreferenceLearning
from agents.runs.run import Run, RunStatus
from agents.storage.cost import AUTOMATED, PERSON, Cost
from agents.storage.store import RunStore
from tests.conftest import wait_until

TINY_PPO = {"n_steps": 64, "batch_size": 32, "n_epochs": 1, "net_arch": "32"}


def _config(timesteps: int = 2_000, **feedback: str) -> RunConfig:
    settings = {"feedback": "oracle", "labels": "30", "initial_labels": "10", "fragment_length": "10", **feedback}
    return build_config("Pendulum-v1", "ppo", overrides=TINY_PPO, timesteps=timesteps, feedback=settings)


def _swing(obs: np.ndarray) -> np.ndarray:
    """A policy that depends on the state, so clips differ: torque against the angular velocity."""
    return np.clip(np.array([-obs[2]], dtype=np.float32), -2.0, 2.0)


def _pair_keys(learning: PreferenceLearning) -> list[tuple[int, int, int, int, float]]:
    trainer = learning.loop.trainer
    pairs = [*trainer.train_pairs, *trainer.heldout_pairs]
    return [(p.left.episode_seed, p.left.start, p.right.episode_seed, p.right.start, p.label) for p in pairs]


def test_labelled_pairs_round_trip_through_the_run_folder(tmp_path: Path) -> None:
    config = _config(label_noise="0.3")  # a noisy oracle: its generator must come back too
    first = PreferenceLearning(config, tmp_path)
    first.loop.query(_swing, 12)
    first.save()
    stored = np.load(tmp_path / PAIRS_FILE, allow_pickle=False)  # plain arrays only: nothing to unpickle
    assert all(stored[name].dtype != object for name in stored.files)
    assert stored["obs"].shape == (12, 2, 10, 3) and stored["labels"].shape == (12,)

    again = PreferenceLearning(config, tmp_path, resume=True)
    assert again.loop.trainer.labels_used == first.loop.trainer.labels_used == 12
    assert _pair_keys(again) == _pair_keys(first)
    for a, b in zip(again.loop.trainer.train_pairs, first.loop.trainer.train_pairs, strict=True):
        assert np.array_equal(a.left.obs, b.left.obs) and np.array_equal(a.right.true_rewards, b.right.true_rewards)
        assert np.array_equal(a.left_features.numpy(), b.left_features.numpy())
    assert again.stats.labels_by_source == first.stats.labels_by_source == {"oracle": 12}
    assert again.stats.reward_model_accuracy == first.stats.reward_model_accuracy
    assert again.stats.reward_correlation == pytest.approx(first.stats.reward_correlation)
    # the generators go on where they were: the next labels are the ones an unstopped run would have asked
    first.loop.query(_swing, 6)
    again.loop.query(_swing, 6)
    assert _pair_keys(again) == _pair_keys(first)
    first.close()
    again.close()


def test_pairs_of_another_env_are_refused(tmp_path: Path) -> None:
    pendulum = PreferenceLearning(_config(), tmp_path)
    pendulum.loop.query(_swing, 2)
    pendulum.save()
    acrobot = build_config("Acrobot-v1", "ppo", feedback={"feedback": "oracle", "fragment_length": "10"})
    other = PreferenceLearning(acrobot, None)
    with pytest.raises(PairFileError, match="shape"):
        restore_pairs(other.loop, tmp_path / PAIRS_FILE)
    pendulum.close()
    other.close()


def _stored_pairs(run: Run) -> list[tuple[int, int, float]]:
    with np.load(run.folder.path / PAIRS_FILE, allow_pickle=False) as data:  # type: ignore[union-attr]
        seeds, starts, labels = data["episode_seeds"], data["starts"], data["labels"]
        return [(int(seeds[i, 0]), int(starts[i, 0]), float(labels[i])) for i in range(len(labels))]


def test_a_resumed_lab_run_keeps_its_labels_and_asks_only_those_still_due(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = Run(_config(timesteps=3_000), record_episodes=False, store=store, checkpoint_every_s=0.05)
    run.start()
    assert wait_until(lambda: (run.checkpoint_timesteps or 0) >= 500, timeout=60)
    run.stop()
    assert run.join(30) and run.status == RunStatus.STOPPED, run.error
    before = _stored_pairs(run)
    assert 10 <= len(before) < 30  # the first labels, not yet all of them

    resumed = Run.restore(store.open(run.id), record_episodes=False).resumed()
    resumed.start()
    assert resumed.join(120) and resumed.status == RunStatus.FINISHED, resumed.error
    after = _stored_pairs(resumed)
    assert len(after) == 30  # the whole budget, not the budget again on top of what it had
    assert set(before) <= set(after)  # the pairs it had are still its pairs
    status = json.loads((run.folder.path / "status.json").read_text())  # type: ignore[union-attr]
    assert Cost.from_json(status["cost"]).labels == {PERSON: 0, AUTOMATED: 30}  # counted once
    labels_used = resumed.snapshot().losses["train/labels_used"]
    assert labels_used[-1][1] == 30
    resumed_points = [value for step, value in labels_used if step >= (resumed.resumed_from_step or 0)]
    assert min(resumed_points) >= len(before)  # the count went on from where it stopped
