"""A run's labelled pairs as a file of plain arrays, so a resumed run continues its pair set and its label count.

The pairs are a run's most expensive data (a person's label takes 3-5 s), so they live in the run's folder,
never in a link. The file is an ``.npz`` of plain arrays (read with ``np.load(..., allow_pickle=False)``: nothing
in it is ever unpickled), ``N`` pairs of clips of ``T`` steps:

* ``obs`` ``(N, 2, T, *obs_shape)`` float32, ``acts`` ``(N, 2, T, *act_shape)``, ``true_rewards`` ``(N, 2, T)``
  float64: the left and right clip of each pair;
* ``starts``, ``episode_seeds`` ``(N, 2)`` int64: where each clip was cut (it replays exactly);
* ``labels`` ``(N,)`` float64: P(left preferred), 1 left, 0 right, 0.5 the same (can't-tell answers are dropped
  before they are stored, as in training); ``heldout`` ``(N,)`` bool: held out to measure accuracy;
* ``meta``: a JSON string: labels and labelling seconds by source (``oracle``, ``rule``, ``human``), the
  agreement with the oracle of each batch, and the state of the loop's random generators (the sampler's, the
  labeler's and the trainer's), so the next labels are the ones an unstopped run would have asked.

Clips' frames are not kept: they were only for a person's eyes, and a clip replays from its seed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from agents.feedback.fragments import Fragment
from agents.feedback.preference_loop import PreferenceLoop

FORMAT_VERSION = 1


class PairFileError(ValueError):
    """A pairs file that does not fit this run (another env, a newer format, damaged arrays)."""


def _generators(loop: PreferenceLoop) -> dict[str, Any]:
    """The loop's numpy generators by part (a labeler without one, like the rule, is left out)."""
    parts = {"sampler": loop.sampler, "labeler": loop.labeler, "reference": loop.reference, "trainer": loop.trainer}
    return {
        name: part.rng for name, part in parts.items() if isinstance(getattr(part, "rng", None), np.random.Generator)
    }


def pairs_to_npz(loop: PreferenceLoop) -> bytes:
    """The loop's labelled pairs and counters as the bytes of an ``.npz`` file (see the module docstring).

    Raises:
        PairFileError: clips of different lengths (a run cuts every clip to ``fragment_length``).
    """
    trainer = loop.trainer
    pairs = [*trainer.train_pairs, *trainer.heldout_pairs]
    clips = [clip for pair in pairs for clip in (pair.left, pair.right)]
    if len({len(clip) for clip in clips}) > 1:
        raise PairFileError("clips of different lengths cannot be stored as one array")
    space = trainer.net.observation_space
    act_space = trainer.net.action_space

    def stacked(name: str, empty_shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        if not pairs:
            return np.zeros((0, 2, 0, *empty_shape), dtype=dtype)
        return np.stack([np.stack([getattr(p.left, name), getattr(p.right, name)]) for p in pairs]).astype(dtype)

    stats = loop.stats
    meta = {
        "format": FORMAT_VERSION,
        "labels_by_source": stats.labels_by_source,
        "labeling_s_by_source": stats.labeling_s_by_source,
        "agreements": loop.agreements,
        "generators": {name: rng.bit_generator.state for name, rng in _generators(loop).items()},
    }
    buffer = io.BytesIO()
    np.savez(
        buffer,
        obs=stacked("obs", tuple(space.shape), np.float32),
        acts=stacked("acts", tuple(act_space.shape), act_space.dtype if act_space.shape else np.int64),
        true_rewards=stacked("true_rewards", (), np.float64),
        starts=np.array([[p.left.start, p.right.start] for p in pairs], dtype=np.int64).reshape(-1, 2),
        episode_seeds=np.array([[p.left.episode_seed, p.right.episode_seed] for p in pairs], dtype=np.int64).reshape(
            -1, 2
        ),
        labels=np.array([p.label for p in pairs], dtype=np.float64),
        heldout=np.array([False] * len(trainer.train_pairs) + [True] * len(trainer.heldout_pairs), dtype=bool),
        meta=np.array(json.dumps(meta)),
    )
    return buffer.getvalue()


def restore_pairs(loop: PreferenceLoop, path: Path) -> int:
    """Put the pairs saved in ``path`` back into ``loop`` (its trainer, counters and generators); returns how many.

    The reward model's weights and input statistics come from its own checkpoint, so restoring adds the pairs
    without refitting or re-normalising. The loop's figures (held-out accuracy, learned-vs-true correlation on the
    latest clips) are measured again at once, so a resumed run shows them before its next label.

    Raises:
        PairFileError: the file does not fit this run's reward model, or is not a pairs file of this format.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, KeyError, ValueError) as error:
        raise PairFileError(f"{path.name} cannot be read ({type(error).__name__})") from None
    if meta.get("format") != FORMAT_VERSION:
        raise PairFileError(f"{path.name} has format {meta.get('format')!r}, not {FORMAT_VERSION}")
    obs, labels = arrays["obs"], arrays["labels"]
    n = len(labels)
    shape = tuple(loop.trainer.net.observation_space.shape)
    if n and tuple(obs.shape[3:]) != shape:
        raise PairFileError(f"{path.name} holds observations of shape {obs.shape[3:]}, this run's are {shape}")
    if any(len(arrays[name]) != n for name in ("obs", "acts", "true_rewards", "starts", "episode_seeds", "heldout")):
        raise PairFileError(f"{path.name}: its arrays do not hold the same number of pairs")

    def clip(i: int, side: int) -> Fragment:
        return Fragment(
            obs=obs[i, side],
            acts=arrays["acts"][i, side],
            true_rewards=arrays["true_rewards"][i, side],
            start=int(arrays["starts"][i, side]),
            episode_seed=int(arrays["episode_seeds"][i, side]),
        )

    loop.trainer.restore([(clip(i, 0), clip(i, 1), float(labels[i]), bool(arrays["heldout"][i])) for i in range(n)])
    stats = loop.stats
    stats.labels_by_source = {str(k): int(v) for k, v in meta.get("labels_by_source", {}).items()}
    stats.labeling_s_by_source = {str(k): float(v) for k, v in meta.get("labeling_s_by_source", {}).items()}
    loop.agreements = [float(a) for a in meta.get("agreements", [])]
    for name, rng in _generators(loop).items():
        state = meta.get("generators", {}).get(name)
        if state is not None and state.get("bit_generator") == rng.bit_generator.state["bit_generator"]:
            rng.bit_generator.state = state
    loop.remeasure([clip(i, side) for i in range(max(0, n - 100), n) for side in (0, 1)])
    return n
