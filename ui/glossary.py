"""The words a learner meets on the pages, each explained in one line: the single source for tooltips and captions.

Two tables, plain data (no Streamlit), so any page, chart or test can read them:

- :data:`TERMS`: the playground's own words (episode, return, "mean of last 20", solved, ...).
- :data:`LOGGED_VALUES`: every value an algorithm logs under ``train/`` (stable-baselines3's names, and those of
  the tabular agents), grouped by the question it answers, most informative first. :data:`ALGO_SPECIFIC` holds
  the few names whose meaning depends on the algorithm (``loss`` is PPO's total loss but DQN's TD loss).
  A name in neither table is still charted, in the last group, with no explanation.

``tests/test_glossary.py`` trains every registered algorithm a few dozen steps and requires every name it logs
to be explained here.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.runs.live import SOLVE_WINDOW

TERMS: dict[str, str] = {
    "episode": "One attempt from the start to the end: the pole falls, the car reaches the flag, or time runs out.",
    "return": "All the reward collected in one episode, added up. Higher is better: it is what the agent learns "
    "to maximise.",
    "true return": "The return under the environment's own reward, the task as designed. Reward shaping never "
    "changes it.",
    "shaped return": "The return under your shaped reward: what the agent is actually trained on.",
    "learned return": "The return under the reward learned from labels: what the agent is actually trained on. Its "
    "units are the reward model's own (normalised), so it has its own axis, on the right: compare its trend with the "
    "true return's, not its numbers.",
    "mean of last 20": f"The average return of the {SOLVE_WINDOW} most recent episodes. One episode is noisy; "
    f"{SOLVE_WINDOW} show the trend.",
    "solved": f"An environment counts as solved when the mean return of the last {SOLVE_WINDOW} episodes reaches "
    "its threshold (Gymnasium's and RL Zoo's convention).",
    "best episode": "The highest return of any single episode so far (one lucky episode is not learning yet).",
    "episode length": "Steps in one episode. In CartPole longer is better (the pole stayed up); in MountainCar "
    "shorter is better (the flag came sooner).",
    "steps": "Environment steps: one action and the reward that follows. The budget counts the steps of every "
    "parallel copy of the environment.",
    "steps per second": "Environment steps trained per second of wall-clock time, including the learning updates.",
    "evaluation episode": "An extra episode played now and then with the current policy, only to show it; the "
    "agent does not learn from it.",
    "seed": "The number that fixes every random choice, so the same seed and settings repeat the same run.",
    "logged values": "Numbers the algorithm reports about its own updates. They show how it learns, not how well "
    "it does: the return says that.",
    "value map": "Each point is one state of the slice named above. Its colour is the return the agent expects from "
    "there on: its value function, bright where it believes things go well.",
    "greedy action": "The action the agent rates best in each state (training still samples around it).",
    "map path": "The white line is the latest evaluation episode, the clip beside the curve, drawn on the slice from "
    "its start (circle) to its end (cross); parts of it may lie off the slice, where the rest of the state differs.",
}


def solved_text(threshold: float | None) -> str:
    """The "solved" explanation with this environment's threshold, e.g. "... solved at 475"."""
    if threshold is None:
        return "This environment has no threshold at which it counts as solved; watch the return rise instead."
    return f"{TERMS['solved']} Here: {threshold:g}."


@dataclass(frozen=True)
class Group:
    """Logged values that answer one question; charted together, in the order of :data:`GROUPS`."""

    id: str
    title: str
    question: str
    colour: str


GROUPS: tuple[Group, ...] = (
    Group("value", "Value predictions", "Is the agent learning to predict how much reward is coming?", "#1f77b4"),
    Group(
        "groups",
        "Group scores (GRPO)",
        "Do the attempts of a group differ enough to learn from?",
        "#ff7f0e",
    ),
    Group(
        "reward_model",
        "Learned reward (feedback lab)",
        "Does the reward learned from labels agree with the task?",
        "#9467bd",
    ),
    Group("policy", "Policy updates", "How much does each update change what the agent does?", "#d62728"),
    Group("exploration", "Exploration", "How random are the agent's actions still?", "#2ca02c"),
    Group("settings", "Settings and totals", "Schedules and sums: read the values above first.", "#7f7f7f"),
    Group("other", "Other logged values", "Logged by the algorithm; not explained here yet.", "#8c564b"),
)
GROUP_BY_ID: dict[str, Group] = {group.id: group for group in GROUPS}


@dataclass(frozen=True)
class LoggedValue:
    """One ``train/<name>`` value: where it is charted and what it means, in one line."""

    name: str
    """The logged name without ``train/``, exactly as the algorithm logs it."""
    label: str
    """A readable name for the chart."""
    group: str
    """An id of :data:`GROUPS`."""
    text: str
    """One line for a learner: what it measures and how to read it."""
    charted: bool = True
    """False for counters that only grow (``n_updates``)."""


def _values(*values: LoggedValue) -> dict[str, LoggedValue]:
    return {value.name: value for value in values}


LOGGED_VALUES: dict[str, LoggedValue] = _values(
    # Value predictions: the clearest sign that learning works, first.
    LoggedValue(
        "explained_variance",
        "explained variance",
        "value",
        "How much of the returns' variation the value network predicts: 1 is perfect, 0 no better than a "
        "constant guess. Rising towards 1 means the critic is learning.",
    ),
    LoggedValue(
        "value_loss",
        "value loss",
        "value",
        "Squared error of the value network's predicted returns. It falls as predictions improve but grows "
        "with the returns themselves, so read its trend, not its size.",
    ),
    LoggedValue(
        "critic_loss",
        "critic loss",
        "value",
        "Error of the Q-network's action values against their targets (reward plus the discounted value of "
        "the next state). It need not fall steadily: the targets move as the agent improves.",
    ),
    LoggedValue(
        "td_error",
        "TD error",
        "value",
        "Mean size of the temporal-difference error in the last episode: how far each Q-value was from reward "
        "plus the discounted value of the next state. Falls as the table settles.",
    ),
    LoggedValue(
        "mc_error",
        "Monte Carlo error",
        "value",
        "Mean gap between each visited Q-value and the return that actually followed it, in the last episode. "
        "Falls as the table settles.",
    ),
    LoggedValue(
        "delta",
        "largest value change",
        "value",
        "The largest change of any state's value in the last sweep; planning has converged when it is near 0.",
    ),
    # Policy updates.
    LoggedValue(
        "approx_kl",
        "approx. KL divergence",
        "policy",
        "How far one update moved the policy (approximate KL divergence, old to new). PPO keeps it small; "
        "spikes are big, risky updates.",
    ),
    LoggedValue(
        "clip_fraction",
        "clip fraction",
        "policy",
        "Share of samples where PPO's clipping stopped the update from moving the policy further. About 0.1 "
        "to 0.3 is usual; near 0 means tiny updates.",
    ),
    LoggedValue(
        "policy_changes",
        "policy changes",
        "policy",
        "States whose best action changed in the last sweep; 0 means the policy has stopped changing.",
    ),
    LoggedValue(
        "policy_gradient_loss",
        "policy loss",
        "policy",
        "PPO's clipped objective, negated: the part of the loss that improves the policy. Noisy by nature; "
        "it need not fall.",
    ),
    LoggedValue(
        "policy_loss",
        "policy loss",
        "policy",
        "A2C's policy-gradient loss (minus advantage times log-probability). Noisy by nature; it need not fall.",
    ),
    LoggedValue(
        "actor_loss",
        "actor loss",
        "policy",
        "Minus the critic's rating of the actor's actions (SAC adds an entropy term). It falls as the actor "
        "finds actions the critic rates highly.",
    ),
    # The reward learned from preferences (agents.feedback).
    LoggedValue(
        "reward_model_accuracy",
        "reward model accuracy",
        "reward_model",
        "Of labelled pairs the reward model never trained on, the share it orders as the labeler did. 0.5 is "
        "guessing; near 1 it has learned what the labeler prefers.",
    ),
    LoggedValue(
        "reward_correlation",
        "learned vs true reward",
        "reward_model",
        "Correlation, step by step, of the learned reward with the environment's own reward on recent clips. Near "
        "1 the agent is paid for the real task; low or falling, it may learn to game the reward model.",
    ),
    LoggedValue(
        "labels_used",
        "labels so far",
        "reward_model",
        "Pairs of clips labelled so far (answers of 'can't tell' are not counted). Labels are asked throughout "
        "training, most at the start.",
    ),
    LoggedValue(
        "reward_model_loss",
        "reward model loss",
        "reward_model",
        "Bradley-Terry cross-entropy of the labels under the reward model, on the pairs it trains on. It falls as "
        "the model fits the labels; held-out accuracy says whether it generalises.",
    ),
    # Group scores (GRPO).
    LoggedValue(
        "reward",
        "mean return of the attempts",
        "groups",
        "The mean return (sum of rewards) of the update's attempts: GRPO's own learning curve.",
    ),
    LoggedValue(
        "reward_std",
        "spread within groups",
        "groups",
        "Standard deviation of the returns within a group, averaged over groups: how much better the best "
        "attempts did. The advantages divide by it, so the signal exists only where it is above 0.",
    ),
    LoggedValue(
        "frac_reward_zero_std",
        "groups with no signal",
        "groups",
        "Share of groups whose attempts all scored the same (TRL's frac_reward_zero_std): their advantages are "
        "0, so they teach nothing. Near 1 once every attempt succeeds, or while every attempt fails alike.",
    ),
    LoggedValue(
        "kl",
        "KL to the reference",
        "policy",
        "How far the policy has moved from its reference copy (k3 estimate, DeepSeekMath's); beta times it "
        "is added to the loss. 0 when beta is 0 (no reference is used).",
    ),
    # Exploration.
    LoggedValue(
        "entropy_loss",
        "entropy loss",
        "exploration",
        "Minus the policy's entropy: most negative while actions are random, rising towards 0 as the policy "
        "becomes sure of what to do.",
    ),
    LoggedValue(
        "std",
        "action noise (std)",
        "exploration",
        "Standard deviation of the policy's continuous actions: how widely it still tries actions around its choice.",
    ),
    LoggedValue(
        "ent_coef",
        "entropy coefficient α",
        "exploration",
        "SAC's reward for randomness, tuned automatically; it falls as the policy settles.",
    ),
    LoggedValue(
        "ent_coef_loss",
        "entropy coefficient loss",
        "exploration",
        "The loss that tunes SAC's α towards its target entropy.",
    ),
    LoggedValue(
        "epsilon",
        "ε (random actions)",
        "exploration",
        "Probability of a random action instead of the best known one (ε-greedy); it decays over training.",
    ),
    # Settings and totals.
    LoggedValue(
        "learning_rate",
        "learning rate",
        "settings",
        "Step size of each gradient update, constant or decaying on a schedule (a setting, not a result).",
    ),
    LoggedValue(
        "clip_range",
        "clip range",
        "settings",
        "PPO's limit on how far one update may change an action's probability (a setting, maybe on a schedule).",
    ),
    LoggedValue(
        "clip_range_vf",
        "value clip range",
        "settings",
        "PPO's limit on how far one update may change the value predictions (a setting; off by default).",
    ),
    LoggedValue(
        "loss",
        "total loss",
        "settings",
        "PPO's total loss: policy loss plus ent_coef × entropy loss plus vf_coef × value loss. Mostly the value "
        "loss; read its parts instead.",
    ),
    LoggedValue(
        "n_updates",
        "gradient updates",
        "settings",
        "Gradient updates made so far (a counter, not charted).",
        charted=False,
    ),
)

ALGO_SPECIFIC: dict[str, dict[str, LoggedValue]] = {
    "grpo": _values(
        LoggedValue(
            "policy_gradient_loss",
            "policy loss",
            "policy",
            "GRPO's clipped objective, negated (PPO's, with group-relative advantages). Noisy; it need not fall.",
        ),
        LoggedValue(
            "loss",
            "total loss",
            "settings",
            "Policy loss plus beta × KL plus ent_coef × entropy loss: there is no value loss, since there is no "
            "value network.",
        ),
    ),
    "dqn": _values(
        LoggedValue(
            "loss",
            "TD loss",
            "value",
            "DQN's Huber loss between each Q-value and its target (reward plus the discounted best next "
            "Q-value). It need not fall steadily: the targets move as the agent improves.",
        ),
    ),
}
"""Names whose meaning depends on the algorithm: ``ALGO_SPECIFIC[algo][name]`` wins over ``LOGGED_VALUES``."""


def logged_value(algo: str, name: str) -> LoggedValue:
    """The explanation of ``train/<name>`` as ``algo`` logs it; an unknown name lands in the "other" group."""
    known = ALGO_SPECIFIC.get(algo, {}).get(name) or LOGGED_VALUES.get(name)
    if known is not None:
        return known
    return LoggedValue(name, name.replace("_", " "), "other", "")


def ordered(algo: str, names: list[str] | set[str]) -> list[LoggedValue]:
    """The charted values among ``names``, group by group in the order of :data:`GROUPS`, then as listed."""
    group_rank = {group.id: index for index, group in enumerate(GROUPS)}
    value_rank = {name: index for index, name in enumerate(LOGGED_VALUES)}
    values = [logged_value(algo, name) for name in names]
    values = [value for value in values if value.charted]
    return sorted(values, key=lambda v: (group_rank[v.group], value_rank.get(v.name, len(value_rank)), v.name))
