"""A reward learned from preferences: a small network over (observation, action), fit with a Bradley-Terry loss.

Christiano et al. 2017 (arXiv 1706.03741), section 2.2.3: the probability that a person prefers clip A to
clip B is modelled as ``P(A > B) = exp(sum r(A)) / (exp(sum r(A)) + exp(sum r(B))) = sigmoid(sum r(A) - sum
r(B))``, and the reward ``r`` is fit by cross-entropy against the labels. As there, the inputs are normalised
with running statistics, and the reward the agent sees is normalised to zero mean and unit variance (the
``imitation`` library's ``NormalizedRewardNet`` with ``RunningNorm``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from agents.feedback.fragments import Fragment
from agents.feedback.labelers import SAME, Label

torch.set_num_threads(1)  # as in every training process: measured 3x-29x faster under CPU contention


class RunningNorm(nn.Module):
    """Running mean and variance of a feature vector (Chan et al.'s parallel update), as non-trainable buffers."""

    def __init__(self, size: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(size))
        self.register_buffer("var", torch.ones(size))
        self.register_buffer("count", torch.tensor(0.0))
        self.eps = eps

    @torch.no_grad()
    def update(self, batch: torch.Tensor) -> None:
        """Fold a batch of shape ``(N, size)`` into the statistics."""
        n = float(batch.shape[0])
        if n == 0:
            return
        mean, var = batch.mean(0), batch.var(0, unbiased=False)
        total = self.count + n
        delta = mean - self.mean
        self.var.copy_((self.var * self.count + var * n + delta**2 * self.count * n / total) / total)
        self.mean.add_(delta * n / total)
        self.count.fill_(total)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / torch.sqrt(self.var + self.eps)


def action_features(acts: np.ndarray, action_space: gym.Space) -> np.ndarray:
    """Actions as network inputs, shape ``(N, k)``: one-hot for ``Discrete``, the flat vector for ``Box``.

    Raises:
        TypeError: another kind of action space.
    """
    if isinstance(action_space, gym.spaces.Discrete):
        return np.eye(int(action_space.n), dtype=np.float32)[np.asarray(acts, dtype=np.int64).reshape(-1)]
    if isinstance(action_space, gym.spaces.Box):
        return np.asarray(acts, dtype=np.float32).reshape(len(acts), -1)
    raise TypeError(f"no reward model for {type(action_space).__name__} actions")


class RewardNet(nn.Module):
    """``r(s, a)`` (or ``r(s)``): an MLP over normalised (observation, action) features, one scalar per step.

    Args:
        observation_space: a ``Box`` of any shape (flattened).
        action_space: ``Discrete`` or ``Box``.
        hidden: sizes of the hidden layers.
        seed: seeds the initial weights.
        use_action: give the network the action too. Off, ``r(s)`` cannot pay one action more than another in
            the same state: on CartPole, whose reward depends on the state only, an ``r(s, a)`` fit to a hundred
            labels paid one push direction more, and the agent learned to push that way and fall (return 9).
        bounded: squash each step's reward into (-1, 1) with ``tanh``. Unbounded, a reward fit to pairs that
            differ only in how soon the pole fell is near-linear in the state and keeps paying more the further a
            state lies from the fall's absorbing state, so on fixed-horizon CartPole it paid a pole leaning hard
            one way 1.7x a centred one and the agent learned to push that way and fall (true return 9). Bounded,
            the labels saturate it: every upright state pays about +1, the fallen state about -1 (measured:
            0.998 and -0.999 after 100 labels), which is the task's own reward up to scale and offset.
    """

    def __init__(
        self,
        observation_space: gym.spaces.Box,
        action_space: gym.Space,
        hidden: Sequence[int] = (64, 64),
        seed: int = 0,
        use_action: bool = True,
        bounded: bool = True,
    ) -> None:
        super().__init__()
        self.observation_space, self.action_space = observation_space, action_space
        self.use_action = use_action
        self.bounded = bounded
        obs_size = int(np.prod(observation_space.shape))
        act_size = (
            action_features(np.zeros((1, *action_space.shape), dtype=action_space.dtype), action_space).shape[1]
            if use_action
            else 0
        )
        self.in_size = obs_size + act_size
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        layers: list[nn.Module] = []
        size = self.in_size
        for width in hidden:
            layers += [nn.Linear(size, width), nn.ReLU()]
            size = width
        layers.append(nn.Linear(size, 1))
        self.mlp = nn.Sequential(*layers)
        torch.random.set_rng_state(generator_state)  # building a reward model never moves the agent's generator
        self.input_norm = RunningNorm(self.in_size)
        self.output_norm = RunningNorm(1)

    def features(self, obs: np.ndarray, acts: np.ndarray) -> torch.Tensor:
        """Inputs of shape ``(N, in_size)`` from ``obs`` ``(N, *obs_shape)`` and ``acts`` ``(N, ...)``."""
        flat_obs = np.asarray(obs, dtype=np.float32).reshape(len(obs), -1)
        if not self.use_action:
            return torch.from_numpy(flat_obs)
        return torch.from_numpy(np.concatenate([flat_obs, action_features(acts, self.action_space)], axis=1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Unnormalised reward per row, shape ``(N,)`` (in (-1, 1) when :attr:`bounded`)."""
        out = self.mlp(self.input_norm(features)).squeeze(-1)
        return torch.tanh(out) if self.bounded else out

    @torch.no_grad()
    def predict(self, obs: np.ndarray, acts: np.ndarray) -> np.ndarray:
        """Raw learned reward per step, shape ``(N,)``, float64."""
        return self(self.features(obs, acts)).double().numpy()

    @torch.no_grad()
    def predict_normalized(self, obs: np.ndarray, acts: np.ndarray, update_stats: bool = True) -> np.ndarray:
        """The reward the agent sees: raw reward normalised by its running mean and std, shape ``(N,)``."""
        raw = self(self.features(obs, acts))
        if update_stats:
            self.output_norm.update(raw.unsqueeze(-1))
        return self.output_norm(raw.unsqueeze(-1)).squeeze(-1).double().numpy()

    def num_params(self) -> int:
        """Trainable parameters (the cost meter's ``reward_model`` count)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def reward_net_for(observation_space: gym.spaces.Box, action_space: gym.Space, seed: int = 0) -> RewardNet:
    """The lab's reward model for an env: ``r(s)`` for discrete actions, ``r(s, a)`` for continuous ones.

    Pendulum's reward charges for torque, CartPole's does not, and a CartPole ``r(s, a)`` fit to a hundred labels
    paid one push direction more, which the agent then exploited.
    """
    return RewardNet(observation_space, action_space, seed=seed, use_action=isinstance(action_space, gym.spaces.Box))


def bradley_terry_loss(
    returns_left: torch.Tensor, returns_right: torch.Tensor, labels: torch.Tensor, noise_prob: float = 0.0
) -> torch.Tensor:
    """Cross-entropy of ``P(left > right) = sigmoid(R_left - R_right)`` against ``labels`` in [0, 1].

    ``noise_prob`` mixes in a uniform choice, ``P = (1 - noise_prob) * sigmoid(.) + noise_prob / 2`` (Christiano
    et al. assume 10% of answers are random). Shapes: all ``(B,)``; returns the mean loss, a scalar.
    """
    logits = returns_left - returns_right
    if noise_prob == 0.0:
        return nn.functional.binary_cross_entropy_with_logits(logits, labels)
    p_left = (1 - noise_prob) * torch.sigmoid(logits) + noise_prob / 2
    return nn.functional.binary_cross_entropy(p_left, labels)


@dataclass(frozen=True)
class LabelledPair:
    """One answered comparison: the two clips, their network inputs and the label (P(left preferred))."""

    left: Fragment
    right: Fragment
    label: float
    left_features: torch.Tensor
    right_features: torch.Tensor


class RewardModelTrainer:
    """Fits a :class:`RewardNet` on a growing set of labelled pairs; every ``holdout_every``-th pair is held out.

    Held-out pairs measure how often the model orders a pair as the labeler did (``accuracy``), the figure
    behind the label-efficiency curve. Pairs labelled ``SAME`` train the model (target 0.5) but are not counted
    in accuracy; ``None`` labels (can't tell) are dropped.

    Args:
        net: the reward model to train.
        learning_rate: Adam's step size.
        epochs: passes over the training pairs per :meth:`train` call (at least).
        min_gradient_steps: more passes, until at least this many gradient steps, while there are few pairs.
            Three passes over the first 20 labels are 3 gradient steps, and the reward the agent is paid with
            stays a barely-fit, near-linear function of the state for most of the run (on fixed-horizon CartPole
            it paid states about to fall more than a centred pole for the first 60k steps).
        batch_size: pairs per gradient step.
        holdout_every: hold out one pair in this many (0: none).
        noise_prob: see :func:`bradley_terry_loss`.
        seed: seeds minibatch order.
    """

    def __init__(
        self,
        net: RewardNet,
        learning_rate: float = 1e-3,
        epochs: int = 3,
        min_gradient_steps: int = 100,
        batch_size: int = 32,
        holdout_every: int = 5,
        noise_prob: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.net = net
        self.optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
        self.epochs, self.batch_size = epochs, batch_size
        self.min_gradient_steps = min_gradient_steps
        self.holdout_every, self.noise_prob = holdout_every, noise_prob
        self.rng = np.random.default_rng(seed)
        self.train_pairs: list[LabelledPair] = []
        self.heldout_pairs: list[LabelledPair] = []
        self._seen = 0

    @property
    def labels_used(self) -> int:
        return len(self.train_pairs) + len(self.heldout_pairs)

    def add(self, pairs: Sequence[tuple[Fragment, Fragment]], labels: Sequence[Label]) -> int:
        """Add answered pairs (``None`` labels dropped); returns how many were kept."""
        kept = 0
        for (left, right), label in zip(pairs, labels, strict=True):
            if label is None:
                continue
            self._seen += 1
            pair = LabelledPair(left, right, float(label), self._features(left), self._features(right))
            held = self.holdout_every and self._seen % self.holdout_every == 0
            (self.heldout_pairs if held else self.train_pairs).append(pair)
            self.net.input_norm.update(torch.cat([pair.left_features, pair.right_features]))
            kept += 1
        return kept

    def restore(self, pairs: Sequence[tuple[Fragment, Fragment, float, bool]]) -> None:
        """Put back pairs saved earlier, ``(left, right, label, held out)`` in the order :meth:`add` kept them.

        The input statistics are not updated: they already count these pairs (they are saved with the weights).
        """
        for left, right, label, held in pairs:
            pair = LabelledPair(left, right, float(label), self._features(left), self._features(right))
            (self.heldout_pairs if held else self.train_pairs).append(pair)
        self._seen = self.labels_used

    def _features(self, fragment: Fragment) -> torch.Tensor:
        return self.net.features(fragment.obs, fragment.acts)

    def _returns(self, pairs: Sequence[LabelledPair]) -> tuple[torch.Tensor, torch.Tensor]:
        """Predicted clip returns, each ``(B,)``, computed in one forward pass."""
        lengths = [len(p.left) for p in pairs] + [len(p.right) for p in pairs]
        rewards = self.net(torch.cat([p.left_features for p in pairs] + [p.right_features for p in pairs]))
        sums = torch.stack([chunk.sum() for chunk in torch.split(rewards, lengths)])
        return sums[: len(pairs)], sums[len(pairs) :]

    def train(self) -> float | None:
        """Run :attr:`epochs` passes over the training pairs; returns the last epoch's mean loss (None if empty)."""
        if not self.train_pairs:
            return None
        self.net.train()
        losses: list[float] = []
        batches = -(-len(self.train_pairs) // self.batch_size)
        for _ in range(max(self.epochs, -(-self.min_gradient_steps // batches))):
            order = self.rng.permutation(len(self.train_pairs))
            losses = []
            for start in range(0, len(order), self.batch_size):
                batch = [self.train_pairs[i] for i in order[start : start + self.batch_size]]
                left, right = self._returns(batch)
                labels = torch.tensor([p.label for p in batch], dtype=left.dtype)
                loss = bradley_terry_loss(left, right, labels, self.noise_prob)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
        self.net.eval()
        return float(np.mean(losses))

    @torch.no_grad()
    def accuracy(self, pairs: Sequence[LabelledPair] | None = None) -> float | None:
        """Fraction of decided pairs (label not ``SAME``) the model orders as labelled; held-out pairs by default."""
        decided = [p for p in (self.heldout_pairs if pairs is None else pairs) if p.label != SAME]
        if not decided:
            return None
        left, right = self._returns(decided)
        predicted_left = (left > right).numpy()
        labelled_left = np.array([p.label > SAME for p in decided])
        return float(np.mean(predicted_left == labelled_left))


def reward_correlation(net: RewardNet, fragments: Sequence[Fragment]) -> float | None:
    """Pearson correlation of learned and true reward per step over ``fragments`` (None if either is constant)."""
    if not fragments:
        return None
    obs = np.concatenate([f.obs for f in fragments])
    acts = np.concatenate([f.acts for f in fragments])
    true = np.concatenate([f.true_rewards for f in fragments])
    learned = net.predict(obs, acts)
    if np.std(true) == 0 or np.std(learned) == 0:
        return None
    return float(np.corrcoef(learned, true)[0, 1])
