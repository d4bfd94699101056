"""Pay the one-off costs of the first model at server start, not on a learner's first click.

The very first SB3 model built in a process took ~1.1 s (torch's lazy initialisation); every later one
takes a few milliseconds. The workers' forkserver imports the libraries and builds and trains one tiny model
(:func:`warm_up`) once at server start; every worker forks from it warm, so "Start" to first training step
stays well under a second.
"""

from __future__ import annotations

import os
import threading

_done = threading.Event()
_lock = threading.Lock()
_workers_warming = threading.Event()
_import_lock = threading.Lock()


def import_libraries() -> None:
    """Import torch, stable-baselines3 and the playground's envs once per process, one thread at a time.

    Every browser session runs ``app.py`` in a thread of its own. On a cold server two first visitors would
    import SB3 in two threads at once, and SB3's circular imports then deadlock: Python raises
    ``_DeadlockError`` in one of them and leaves ``stable_baselines3`` half-initialised for the rest of the
    process (every later checkpoint save failed). Under this lock the second visitor waits instead.
    pandas too: plotly takes it from ``sys.modules`` without the import lock, so a page drawing a chart while
    another session's script was importing pandas failed ("partially initialized module 'pandas'").
    """
    with _import_lock:
        import pandas  # noqa: F401  (plotly reads it from sys.modules: a page must never see it half-imported)

        import agents.algos.sb3.algorithm  # noqa: F401  (registers SB3's algorithms)
        import envs  # noqa: F401  (registers the playground's own environments)


def prepare_worker() -> None:
    """Everything a worker process needs before its first run: the libraries, each algorithm's entry point, and one
    tiny model trained (the forkserver does it once for every forked worker; a Ray actor does it when made)."""
    from agents.algos.registry import algorithms

    import_libraries()
    for info in algorithms().values():
        info.algorithm  # noqa: B018  (imports each algorithm's entry point now, not at a run's Start)
    warm_up()


def warm_up() -> None:
    """Build and train a tiny PPO model once per process (later calls return at once)."""
    if _done.is_set():
        return
    with _lock:
        if _done.is_set():
            return
        import gymnasium as gym
        import torch
        from stable_baselines3 import PPO
        from stable_baselines3.common.logger import Logger

        torch.set_num_threads(1)
        model = PPO(
            "MlpPolicy",
            gym.make("CartPole-v1"),
            n_steps=64,
            batch_size=64,
            n_epochs=1,
            device="cpu",
            policy_kwargs={"net_arch": [8]},
        )
        model.set_logger(Logger(folder=None, output_formats=[]))  # SB3's default logger makes a /tmp/SB3-* folder
        model.learn(64)
        model.get_env().close()
        _done.set()


def warm_up_in_background() -> None:
    """Start the workers' forkserver in a thread, so the first Start does not wait for it.

    Runs train in worker processes forked from a forkserver that imports torch, SB3 and gymnasium and calls
    :func:`warm_up` once (:mod:`agents.runs.workers.process`); the server itself builds no model. Not a daemon:
    a server stopped within its first seconds waits for the forkserver to answer rather than exiting mid-start.
    """
    if not _workers_warming.is_set():
        _workers_warming.set()
        threading.Thread(target=_warm_workers, name="warm-up").start()


def _warm_workers() -> None:
    if os.environ.get("RAY_ADDRESS"):  # runs train on Ray: join the cluster now (seconds), not at the first Start
        from agents.runs.manager import get_manager

        get_manager()  # no warm actors made ahead: an idle actor would hold a CPU the first runs wait for
        return
    from agents.runs.workers.process import warm

    warm()
