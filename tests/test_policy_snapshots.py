"""Policy snapshots and replays: the bound and its even thinning, the snapshot a click replays, the worker writing
and announcing snapshots, and a replay that says its step and return, plays the same episode again from its cache,
and leaves training's random streams alone."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from agents.config.run_config import RunConfig, build_config
from agents.runs.control import RunControl
from agents.runs.events import CollectingSink, Evaluated, PolicySnapshotsKept
from agents.runs.replay import Replay, ReplayError, expected_length, replay, snapshot_store
from agents.runs.training import TrainJob, train
from agents.storage.snapshots import MAX_SNAPSHOTS, REPLAY_DIR, SnapshotStore, nearest_snapshot, thin
from tests.tiny import TINY
from tests.training_paths import EveryNthCall


def kept_after_adding(steps: range, max_count: int = MAX_SNAPSHOTS, max_bytes: int = 10**12) -> list[int]:
    kept: list[int] = []
    for step in steps:
        kept.append(step)
        for gone in thin(kept, [1] * len(kept), max_count, max_bytes):
            kept.remove(gone)
    return kept


def test_a_long_run_keeps_twenty_snapshots_spread_evenly_from_its_first_to_its_latest() -> None:
    kept = kept_after_adding(range(2_048, 2_048 * 1_000 + 1, 2_048))
    assert len(kept) == MAX_SNAPSHOTS
    assert kept[0] == 2_048 and kept[-1] == 2_048 * 1_000, "the first and the latest moment stay"
    ideal = (kept[-1] - kept[0]) / (MAX_SNAPSHOTS - 1)
    gaps = np.diff(kept)
    assert gaps.max() <= 2 * ideal and gaps.min() >= ideal / 2, "early, middle and late moments all survive"
    thirds = np.array_split(np.arange(kept[0], kept[-1]), 3)
    assert all(sum(part[0] <= s <= part[-1] for s in kept) >= 5 for part in thirds)


def test_the_byte_cap_thins_as_the_count_does_and_a_snapshot_above_it_alone_is_not_kept() -> None:
    assert thin([1, 2, 3, 4], [10, 10, 10, 10], max_count=20, max_bytes=25) == [2, 3]
    assert thin([5, 9], [10, 10], max_count=20, max_bytes=15) == [5], "the latest stays"
    assert thin([5], [100], max_count=20, max_bytes=50) == [5]
    assert thin([1, 2, 3], [1, 1, 1], max_count=3, max_bytes=3) == []


def test_a_click_replays_the_latest_snapshot_at_or_before_it() -> None:
    steps = [1_000, 5_000, 9_000]
    assert nearest_snapshot(steps, 5_000) == 5_000
    assert nearest_snapshot(steps, 8_999) == 5_000
    assert nearest_snapshot(steps, 50_000) == 9_000
    assert nearest_snapshot(steps, 10) == 1_000, "before the first snapshot: the first one"
    assert nearest_snapshot([], 10) is None


def test_the_expected_length_is_that_of_the_episodes_before_the_snapshot() -> None:
    assert expected_length([10, 20, 30], [10, 10, 40], 25) == 10.0
    assert expected_length([10, 20, 30], [10, 10, 40], 5) is None


def test_a_resumed_run_drops_the_snapshots_it_will_train_again(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, ".zip")
    for step in (100, 200, 300):
        store.add(step, lambda path: path.write_bytes(b"x"))
    store.cut_back(200)
    assert store.steps() == [100, 200]


def tiny_config() -> RunConfig:
    return build_config("CartPole-v1", "ppo", seed=3, timesteps=640, overrides=TINY["ppo"])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CollectingSink]:
    folder = tmp_path_factory.mktemp("run")
    config = tiny_config()
    sink = CollectingSink()
    job = TrainJob("snap", config, folder=folder, eval_schedule=EveryNthCall(40), checkpoint_every_s=1e9)
    train(job, RunControl(), sink)
    return folder, sink


def test_the_worker_keeps_a_snapshot_with_each_evaluation_and_announces_it(
    trained: tuple[Path, CollectingSink],
) -> None:
    folder, sink = trained
    config = tiny_config()
    evaluated = [e.result.step for e in sink.of_type(Evaluated)]
    announced = sink.of_type(PolicySnapshotsKept)
    assert len(evaluated) > 3
    assert announced[-1].steps == tuple(snapshot_store(folder, config).steps())
    assert set(announced[-1].steps) == set(evaluated), "one snapshot per evaluation step, all kept (under 20)"
    assert announced[-1].steps[-1] == 640, "the final policy has one"


def test_a_replay_says_its_step_and_return_and_plays_the_same_episode_from_its_cache(
    trained: tuple[Path, CollectingSink],
) -> None:
    folder, _ = trained
    config = tiny_config()
    step = snapshot_store(folder, config).steps()[1]
    torch.manual_seed(11)
    np.random.seed(11)
    random.seed(11)
    before = (torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    first = replay(folder, config, step, seed=7, expected=20)
    after = (torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    assert torch.equal(before[0], after[0]) and np.array_equal(before[1], after[1]) and before[2] == after[2]
    assert isinstance(first, Replay) and first.step == step and first.length > 0
    assert first.gif.startswith(b"GIF8")
    assert first.episode_return == first.length, "CartPole pays 1 a step"
    assert first.describe() == f"Policy at step {step:,}: return {first.length} over {first.length} steps"
    assert (folder / REPLAY_DIR / f"{step}-7.gif").read_bytes() == first.gif
    (folder / REPLAY_DIR / f"{step}-7.json").unlink()  # played again, not read from the cache: the same episode
    again = replay(folder, config, step, seed=7, expected=20)
    assert (again.episode_return, again.length) == (first.episode_return, first.length)


def test_a_snapshot_thinned_out_or_a_bad_seed_is_said_in_words(trained: tuple[Path, CollectingSink]) -> None:
    folder, _ = trained
    config = tiny_config()
    with pytest.raises(ReplayError, match="no longer keeps a snapshot of step 1"):
        replay(folder, config, 1, seed=0)
    with pytest.raises(ValueError, match="seed"):
        replay(folder, config, 640, seed=-1)
