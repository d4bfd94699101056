"""Imported once by the forkserver that workers fork from: everything a run needs, warmed up.

Importing torch and stable-baselines3 takes seconds (more under load), and the first model a process
builds pays torch's lazy initialisation (~1 s). Done here once, every forked worker starts with all of it.
"""

from __future__ import annotations

import atexit
import os

import agents.runs.workers.process  # noqa: F401  (the worker's entry point and the body)
from agents.algos.registry import algorithms
from agents.runs.warmup import import_libraries, warm_up

import_libraries()
for _info in algorithms().values():
    _info.algorithm  # noqa: B018  (imports each algorithm's entry point now, not in every worker)
warm_up()
# The forkserver exits when the server does (even on SIGKILL). Python's normal shutdown of a process holding
# torch, SB3 and pygame then took seconds of CPU; nothing in it needs flushing, so it ends at once. Its
# workers never run atexit handlers (multiprocessing ends them with os._exit).
atexit.register(os._exit, 0)
