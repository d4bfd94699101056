"""Imported once by the forkserver that workers fork from: everything a run needs, warmed up.

Importing torch and stable-baselines3 takes seconds (more under load), and the first model a process
builds pays torch's lazy initialisation (~1 s). Done here once, every forked worker starts with all of it.
"""

from __future__ import annotations

import atexit
import os

import agents.runs.workers.process  # noqa: F401  (the worker's entry point and the body)
from agents.runs.warmup import prepare_worker

prepare_worker()
# The forkserver exits when the server does (even on SIGKILL). Python's normal shutdown of a process holding
# torch, SB3 and pygame then took seconds of CPU; nothing in it needs flushing, so it ends at once. Its
# workers never run atexit handlers (multiprocessing ends them with os._exit).
atexit.register(os._exit, 0)
