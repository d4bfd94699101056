"""Runs on a real local Ray cluster (2 CPUs). Not collected by itself: :mod:`tests.test_ray` runs this module in a
network namespace that has only loopback, so every packet Ray sends stays on 127.0.0.1 (GUIDE.md section 9).

One cluster for the whole module; ``RAY_ADDRESS`` names it, so the app's run manager picks the Ray executor exactly
as a server started with ``RAY_ADDRESS`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from agents.algos.registry import get_algo
from agents.config.run_config import RunConfig, build_config
from agents.runs.manager import get_manager
from agents.runs.run import RunStatus
from agents.runs.workers.ray import RayExecutor
from agents.sweeps import records
from agents.sweeps.definition import make_definition
from agents.sweeps.ray_tune import TuneSweepRun
from agents.sweeps.runner import SWEEPS, new_sweep
from agents.sweeps.space import parse_space
from tests.conftest import wait_until
from tests.test_app_pages import _no_entrypoint_rerun, app_at, texts  # noqa: F401  (autouse fixture)
from tests.tiny import TINY
from ui.sweep_records import keep_record

OWNER = "ray-cases-owner"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_ADDRESS", context.address_info["gcs_address"])
        yield
    SWEEPS.stop_all()
    import agents.runs.manager as manager_module

    if manager_module._manager is not None:
        manager_module._manager.stop_all()
    ray.shutdown()


def _config(timesteps: int, seed: int = 0) -> RunConfig:
    return build_config("CartPole-v1", "ppo", seed=seed, timesteps=timesteps, overrides=TINY["ppo"])


def test_ray_listens_on_loopback_only() -> None:
    lines = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout.splitlines()
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in lines}
    assert addresses, "Ray listens nowhere?"
    assert addresses <= {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"}, addresses


def _cli(runs_dir: Path, *extra: str) -> dict:
    """``python -m agents.train`` in a process of its own, run from outside the working copy: on Ray its actor
    imports the playground from the code the job carries (the cluster's workers cannot see this folder)."""
    args = ["--env", "CartPole-v1", "--algo", "ppo", "--timesteps", "256", "--quiet", "--runs-dir", str(runs_dir)]
    args += [f"--set={name}={value}" for name, value in TINY["ppo"].items()]
    result = subprocess.run(
        [sys.executable, "-m", "agents.train", *args, *extra],
        cwd=runs_dir.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _names(folder: Path) -> set[str]:
    """The folder's files; a TensorBoard event file by its folder (its name holds the time, host and process)."""
    return {
        (p.parent / "events.out.tfevents.*" if p.name.startswith("events.out.tfevents.") else p)
        .relative_to(folder)
        .as_posix()
        for p in folder.rglob("*")
        if p.is_file()
    }


def _returns(folder: Path) -> list[list[str]]:
    """Each training env's episode returns and lengths, from its Monitor CSV (times differ from run to run)."""
    return [
        [",".join(line.split(",")[:2]) for line in path.read_text().splitlines()[2:]]
        for path in sorted((folder / "monitor").glob("*.csv"))
    ]


def test_a_cli_run_on_ray_leaves_the_folder_an_inline_run_leaves(tmp_path: Path) -> None:
    on_ray = _cli(tmp_path / "ray", "--executor", "ray")  # joins the cluster at RAY_ADDRESS
    inline = _cli(tmp_path / "inline")
    assert on_ray["status"] == "finished" and on_ray["timesteps"] == inline["timesteps"] == 256
    ray_folder, inline_folder = Path(on_ray["run_dir"]), Path(inline["run_dir"])
    assert _names(ray_folder) == _names(inline_folder) and "model.zip" in _names(ray_folder)
    assert "tensorboard/events.out.tfevents.*" in _names(ray_folder)
    assert _returns(ray_folder) == _returns(inline_folder)  # the same run, wherever it trains
    monitor_rows = sum(len(p.read_text().splitlines()) - 2 for p in (ray_folder / "monitor").glob("*.csv"))
    assert monitor_rows == on_ray["episodes"]  # every episode's line reached the server's folder
    status = json.loads((ray_folder / "status.json").read_text())
    assert status["status"] == "finished" and status["checkpoint_timesteps"] == 256


def test_the_app_trains_on_ray_pauses_changes_resumes_stops_and_resumes_from_the_checkpoint() -> None:
    manager = get_manager()
    assert isinstance(manager.executor, RayExecutor) and manager.max_concurrent == 2  # the cluster's CPUs
    run = manager.start(_config(200_000), owner=OWNER)
    assert wait_until(lambda: run.status == RunStatus.RUNNING and run.snapshot().timesteps > 0, 60)
    assert run.where == "on Ray node 127.0.0.1"

    at = app_at("pages/train.py", run=run.id)
    assert "Training on Ray node 127.0.0.1." in texts(at)

    run.pause()
    time.sleep(1.0)  # the steps in flight arrive
    paused_at = run.snapshot().timesteps
    time.sleep(1.0)
    assert run.status == RunStatus.PAUSED and run.snapshot().timesteps == paused_at
    run.change_setting("learning_rate", "0.01")  # a change while training goes down like any command
    run.resume()
    assert wait_until(lambda: run.snapshot().timesteps > paused_at, 30)
    assert wait_until(lambda: "learning_rate" in run.config.schedule, 30)
    ((step, value),) = run.config.schedule["learning_rate"]
    assert value == 0.01 and step >= paused_at

    run.stop()
    assert run.join(30) and run.status == RunStatus.STOPPED, run.error
    assert run.folder is not None and (run.folder.path / "model.zip").exists()
    checkpoint = run.checkpoint_timesteps
    assert checkpoint is not None and checkpoint > 0

    again = manager.resume(run.id, OWNER)  # the checkpoint travels from the server's folder to the actor
    assert wait_until(lambda: again.status == RunStatus.RUNNING, 60)
    assert again.resumed_from_step == checkpoint
    assert wait_until(lambda: again.snapshot().timesteps > checkpoint, 30)
    again.stop()
    assert again.join(30) and again.status == RunStatus.STOPPED


def test_a_warm_actor_trains_the_next_run_as_a_fresh_one_would() -> None:
    manager = get_manager()
    first = manager.start(_config(512, seed=3), owner=OWNER)
    assert first.join(60) and first.status == RunStatus.FINISHED, first.error
    actor = first.worker.actor  # type: ignore[union-attr]
    second = manager.start(_config(512, seed=3), owner=OWNER)
    assert second.join(60) and second.status == RunStatus.FINISHED, second.error
    assert second.worker.actor is actor  # type: ignore[union-attr]  (reused: no second import of torch)
    assert second.snapshot().episode_returns == first.snapshot().episode_returns


def test_a_killed_worker_fails_its_run_and_the_other_run_goes_on() -> None:
    manager = get_manager()
    doomed = manager.start(_config(200_000), owner=OWNER)
    other = manager.start(_config(1_024, seed=1), owner=OWNER)
    assert wait_until(lambda: doomed.status == RunStatus.RUNNING and doomed.snapshot().timesteps > 0, 60)
    ray.kill(doomed.worker.actor)  # type: ignore[union-attr]
    assert doomed.join(30) and doomed.status == RunStatus.FAILED
    assert "died before the run ended" in doomed.error and "Ray node 127.0.0.1" in doomed.error, doomed.error
    assert other.join(120) and other.status == RunStatus.FINISHED, other.error
    assert os.getpid() and manager.active_count() == 0  # the server goes on, its slots free


def test_a_six_trial_sweep_on_ray_goes_through_ray_tune_and_every_trial_is_a_stored_run() -> None:
    manager = get_manager()
    schema = get_algo("ppo").schema
    spaces = [parse_space(schema.get("learning_rate"), "1e-4:1e-2"), parse_space(schema.get("n_epochs"), "1,2")]
    fixed = {name: value for name, value in TINY["ppo"].items() if name != "n_epochs"}
    definition = make_definition(
        "CartPole-v1", "ppo", spaces, method="grid", points=3, seeds=1, timesteps=256, fixed=fixed
    )
    sweep = new_sweep(definition, definition.make_trials(), lambda c: manager.start(c, owner=OWNER), 2, on_ray=True)
    assert isinstance(sweep, TuneSweepRun)
    SWEEPS.add(sweep)
    sweep.start_feeding(on_poll=keep_record(sweep))  # as the Sweeps page starts it
    at = app_at("pages/sweeps.py", sweep=sweep.id)
    assert "Trials chosen and scheduled by Ray Tune; each one's seeds train on Ray." in texts(at)
    assert wait_until(lambda: sweep.done, 240), sweep.results()

    grid = sweep.result_grid
    assert grid is not None and len(grid) == 6 and not grid.errors  # Tune ran the grid: 3 learning rates x 2
    tune_configs = sorted((r.config["learning_rate"], r.config["n_epochs"]) for r in grid)
    assert tune_configs == [(lr, n) for lr in (0.0001, 0.001, 0.01) for n in (1, 2)]
    assert all(r.metrics["mean_return"] > 0 and r.metrics["timesteps"] == 256 for r in grid)  # reported as runs trained

    results = sweep.results()
    assert sorted((r.params["learning_rate"], r.params["n_epochs"]) for r in results) == tune_configs
    store = manager.store
    assert store is not None
    for result in results:
        assert result.status == "finished" and len(result.run_ids) == 1
        run = manager.get(result.run_ids[0])
        assert run is not None and run.config.hyperparams["learning_rate"] == result.params["learning_rate"]
        assert result.run_ids[0] in store.run_ids()  # an ordinary run in RUNS_DIR (Runs, Compare)
        assert json.loads((store.folder(result.run_ids[0]).path / "status.json").read_text())["status"] == "finished"
    best = grid.get_best_result()
    assert best.metrics["mean_return"] == max(r.metric for r in results)
    assert sweep.folder is not None and (sweep.folder / "tune").is_dir()  # Tune's experiment, in the sweep's folder
    stored = records.load(store.root, sweep.id, manager.get)  # and its record, for the page after a restart
    assert stored.driver == "Ray Tune" and [r.run_ids for r in stored.results()] == [r.run_ids for r in results]


def test_with_early_stop_asha_ends_trailing_trials_and_stops_their_runs() -> None:
    manager = get_manager()
    space = parse_space(get_algo("ppo").schema.get("learning_rate"), "1e-5:5e-2")
    budget = 4096
    definition = make_definition(
        "CartPole-v1", "ppo", [space], method="random", trials=6, seeds=1, timesteps=budget, fixed=TINY["ppo"]
    )
    sweep = new_sweep(definition, definition.make_trials(), manager.start, 2, on_ray=True, early_stop=True)
    assert sweep.driver == "Ray Tune, with ASHA stopping trailing trials early"
    sweep.start_feeding()
    assert wait_until(lambda: sweep.done, 240), sweep.results()
    grid = sweep.result_grid  # type: ignore[attr-defined]
    assert grid is not None and len(grid) == 6 and not grid.errors
    runs = {result.params["learning_rate"]: manager.get(result.run_ids[0]) for result in sweep.results()}
    stopped = 0
    for result in grid:
        run = runs[space.snap(result.config["learning_rate"])]
        assert run is not None and run.status in (RunStatus.FINISHED, RunStatus.STOPPED), run.status
        if run.status == RunStatus.STOPPED:  # ASHA ended its trial at a rung, and the sweep stopped its run there
            stopped += 1
            assert result.metrics["timesteps"] < budget and run.snapshot().timesteps < budget
        else:
            assert run.snapshot().timesteps == budget
    assert stopped >= 1, [(r.config, r.metrics.get("timesteps")) for r in grid]
    sweep.stop()  # its feeding thread ends before the cluster does
