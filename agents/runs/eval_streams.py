"""Random streams of their own for evaluation episodes, so watching a run never changes what it learns.

An evaluation episode acts through the model's own ``predict``, and ``predict`` draws from the streams training
draws from: PPO, A2C and SAC sample actions from torch's default generator, DQN's ε-greedy draws from numpy's
global generator and the action space's, the tabular agents from their ``rng``, GRPO from its policy's
``torch.Generator``. (SB3 policies usually act through a numpy copy with a generator of the evaluation's own,
:mod:`agents.runs.numpy_policy`; these streams guard every other way of acting.) One evaluation would shift
every later training draw, so a run with the page open learned other weights than the same run headless.

:func:`evaluation_streams` swaps each of those streams for one derived from the run's seed and the evaluation's
index (``SeedSequence([seed, EVAL_STREAM, index])``, numpy's way of spawning independent streams), plays, and
puts training's streams back exactly as they were. Evaluation ``index`` of a run always plays the same way for
the same weights, and the training streams never see it happen.

The torch and numpy generators are process-wide: a run in another *thread* of the same process can draw
from them during the swap. One run per process (issue 10) makes that impossible; within one thread it is exact.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

EVAL_STREAM = 0x6576616C
"""Spawn key of the evaluation streams (the bytes of "eval"): apart from every stream training derives from a seed."""


def evaluation_seed(run_seed: int, index: int) -> int:
    """The env seed of evaluation ``index`` (1, 2, ...) of a run: deterministic, independent of training's."""
    return int(np.random.SeedSequence([run_seed, EVAL_STREAM, index]).generate_state(1, np.uint32)[0])


def evaluation_rng(run_seed: int, index: int) -> np.random.Generator:
    """A numpy generator of evaluation ``index``'s own, for actions sampled outside the model (numpy policies)."""
    return np.random.default_rng(np.random.SeedSequence([run_seed, EVAL_STREAM, index, 1]))


def _owned_generators(model: Any) -> list[np.random.Generator | torch.Generator]:
    """Generators a model's ``predict`` may draw from besides the global ones: its spaces', and any numpy or
    torch generator the model or its policy holds as an attribute (the tabular agents' ``rng``, GRPO's
    policy's ``torch.Generator``)."""
    found: list[np.random.Generator | torch.Generator] = []
    for name in ("action_space", "observation_space"):
        space = getattr(model, name, None)
        generator = getattr(space, "_np_random", None)  # not .np_random: that would seed an unseeded space
        if isinstance(generator, np.random.Generator):
            found.append(generator)
    for owner in (model, getattr(model, "policy", None)):
        # a planner's policy is a plain array: only objects with attributes can hold a generator
        for value in getattr(owner, "__dict__", {}).values():
            if isinstance(value, np.random.Generator | torch.Generator):
                found.append(value)
    unique: list[np.random.Generator | torch.Generator] = []
    for generator in found:
        if all(generator is not seen for seen in unique):
            unique.append(generator)
    return unique


def _state(generator: np.random.Generator | torch.Generator) -> Any:
    return generator.get_state() if isinstance(generator, torch.Generator) else generator.bit_generator.state


def _set_state(generator: np.random.Generator | torch.Generator, state: Any) -> None:
    if isinstance(generator, torch.Generator):
        generator.set_state(state)
    else:
        generator.bit_generator.state = state


def _seed_own(generator: np.random.Generator | torch.Generator, seed: int, offset: int) -> None:
    if isinstance(generator, torch.Generator):
        generator.manual_seed(int(np.random.SeedSequence([seed, offset]).generate_state(1, np.uint64)[0] >> 1))
    else:
        generator.bit_generator.state = type(generator.bit_generator)(np.random.SeedSequence([seed, offset])).state


@contextmanager
def evaluation_streams(model: Any, run_seed: int, index: int) -> Iterator[None]:
    """Within the block, every stream ``model.predict`` can draw from is evaluation ``index``'s own.

    On exit (also on an exception) training's streams are restored bit for bit: torch's default CPU
    generator, numpy's and Python's global generators, and the generators the model and its policy hold.
    """
    seeds = np.random.SeedSequence([run_seed, EVAL_STREAM, index]).generate_state(4, np.uint32)
    generators = _owned_generators(model)
    saved_torch = torch.random.get_rng_state()
    saved_numpy = np.random.get_state()
    saved_python = random.getstate()
    saved_model = [_state(generator) for generator in generators]
    try:
        torch.random.manual_seed(int(seeds[0]))
        np.random.seed(int(seeds[1]))
        random.seed(int(seeds[2]))
        for offset, generator in enumerate(generators):
            _seed_own(generator, int(seeds[3]), offset)
        yield
    finally:
        torch.random.set_rng_state(saved_torch)
        np.random.set_state(saved_numpy)
        random.setstate(saved_python)
        for generator, state in zip(generators, saved_model, strict=True):
            _set_state(generator, state)
