"""Random streams of their own for evaluation episodes, so watching a run never changes what it learns.

An evaluation episode acts through the model's own ``predict``, and ``predict`` draws from the streams training
draws from: PPO, A2C and SAC sample actions from torch's default generator, DQN's ε-greedy draws from numpy's
global generator and the action space's, the tabular agents from their ``rng``. One evaluation would shift
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


def _model_generators(model: Any) -> list[np.random.Generator]:
    """numpy Generators a model's ``predict`` may draw from: its spaces' and any held as an attribute."""
    found: list[np.random.Generator] = []
    for name in ("action_space", "observation_space"):
        space = getattr(model, name, None)
        generator = getattr(space, "_np_random", None)  # not .np_random: that would seed an unseeded space
        if isinstance(generator, np.random.Generator):
            found.append(generator)
    for value in vars(model).values():
        if isinstance(value, np.random.Generator):
            found.append(value)
    unique: list[np.random.Generator] = []
    for generator in found:
        if all(generator is not seen for seen in unique):
            unique.append(generator)
    return unique


@contextmanager
def evaluation_streams(model: Any, run_seed: int, index: int) -> Iterator[None]:
    """Within the block, every stream ``model.predict`` can draw from is evaluation ``index``'s own.

    On exit (also on an exception) training's streams are restored bit for bit: torch's default CPU
    generator, numpy's and Python's global generators, and the model's numpy Generators.
    """
    seeds = np.random.SeedSequence([run_seed, EVAL_STREAM, index]).generate_state(4, np.uint32)
    generators = _model_generators(model)
    saved_torch = torch.random.get_rng_state()
    saved_numpy = np.random.get_state()
    saved_python = random.getstate()
    saved_model = [generator.bit_generator.state for generator in generators]
    try:
        torch.random.manual_seed(int(seeds[0]))
        np.random.seed(int(seeds[1]))
        random.seed(int(seeds[2]))
        for offset, generator in enumerate(generators):
            own = type(generator.bit_generator)(np.random.SeedSequence([int(seeds[3]), offset]))
            generator.bit_generator.state = own.state
        yield
    finally:
        torch.random.set_rng_state(saved_torch)
        np.random.set_state(saved_numpy)
        random.setstate(saved_python)
        for generator, state in zip(generators, saved_model, strict=True):
            generator.bit_generator.state = state
