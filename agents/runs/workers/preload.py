"""Imported once by the forkserver that workers fork from: everything a run needs, warmed up.

Importing torch and stable-baselines3 takes seconds (more under load), and the first model a process
builds pays torch's lazy initialisation (~1 s). Done here once, a forked worker starts with all of it.
"""

from __future__ import annotations

import agents.algos.registry
import agents.runs.workers.process
import envs  # noqa: F401  (registers the playground's own environments)
from agents.runs.warmup import warm_up

agents.algos.registry.algorithms()  # registers SB3's and the tabular algorithms
warm_up()
