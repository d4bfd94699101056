"""Readable run names: "CartPole · PPO · seed 0 · #3" instead of only ``20261130-131500-a1b2c3``.

The id stays the id (folders, links, the API); the name is what a person reads on the Train, Runs and Compare
pages. It says what ran and numbers the repeats of the same env, algorithm and seed, so two runs on one
server never share a name. It is stored in the run's ``status.json`` and kept across a resume.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.config.run_config import RunConfig

SEPARATOR = " · "


def name_stem(config: RunConfig) -> str:
    """What ran: "CartPole · PPO · seed 0"; a run learning from preferences says from what labels:
    "Pendulum · PPO · 200 oracle labels · seed 0"."""
    learned = (config.feedback.describe(),) if config.feedback is not None else ()
    return SEPARATOR.join((config.env_info.title, config.algo_info.title, *learned, f"seed {config.seed}"))


HANDED_OVER = ", then the oracle"


def handed_over_name(name: str, config: RunConfig) -> str:
    """The name of a run whose person handed the labelling to the oracle mid-run: "Pendulum · PPO · 100 labels by a
    person, then the oracle · seed 0 · #1" (unchanged if it says so already or never named a person's labels)."""
    if config.feedback is None or config.feedback.feedback != "human":
        return name
    said = config.feedback.describe()
    if said not in name or said + HANDED_OVER in name:
        return name
    return name.replace(said, said + HANDED_OVER, 1)


def next_run_name(config: RunConfig, taken: Iterable[str]) -> str:
    """The stem with the next number after every run already named with it: unique among ``taken``."""
    stem = name_stem(config)
    pattern = re.compile(rf"^{re.escape(stem + SEPARATOR)}#(\d+)$")
    numbers = [int(match.group(1)) for name in taken if (match := pattern.match(name))]
    return f"{stem}{SEPARATOR}#{max(numbers, default=0) + 1}"


def fallback_name(config: RunConfig, run_id: str) -> str:
    """For a run stored before runs had names: the stem and the end of its id."""
    return f"{name_stem(config)}{SEPARATOR}{run_id[-6:]}"
