"""The hyperparameters of the tabular agents, under the names the rest of the app uses.

``learning_rate`` is Sutton & Barto's step size α; the exploration names are stable-baselines3 DQN's, and
epsilon decays the same way: linearly from ``exploration_initial_eps`` to ``exploration_final_eps`` over the
first ``exploration_fraction`` of the step budget.
"""

from __future__ import annotations

from dataclasses import replace

from agents.config.schema import HyperParam, Schema

LEARNING_RATE = HyperParam(
    "learning_rate",
    "float",
    0.2,
    "Step size α: how far each update moves a Q-value towards its new target. Large values learn fast but "
    "keep chasing noise on slippery grids; small values average it out slowly.",
    low=0.001,
    high=1.0,
    log=True,
)
GAMMA = HyperParam(
    "gamma",
    "float",
    0.99,
    "Discount factor γ: what a reward one step later is worth. Near 1 the agent plans for distant rewards; "
    "at 0.5 a reward ten steps away is worth almost nothing.",
    low=0.0,
    high=1.0,
)
EXPLORATION_INITIAL_EPS = HyperParam(
    "exploration_initial_eps",
    "float",
    1.0,
    "Probability ε of a random action at the start of training.",
    low=0.0,
    high=1.0,
)
EXPLORATION_FINAL_EPS = HyperParam(
    "exploration_final_eps",
    "float",
    0.0,
    "Probability ε of a random action once the decay is over. 0 lets the agent follow what it learnt; set "
    "both epsilons equal for a constant ε (0.1 in Sutton & Barto's cliff example).",
    low=0.0,
    high=1.0,
)
EXPLORATION_FRACTION = HyperParam(
    "exploration_fraction",
    "float",
    0.2,
    "Fraction of the step budget over which ε decays from its initial to its final value.",
    low=0.0,
    high=1.0,
)
THETA = HyperParam(
    "theta",
    "float",
    1e-6,
    "Convergence threshold: planning has converged once a sweep changes no state value by more than this.",
    low=1e-12,
    high=1.0,
    log=True,
)

EVALUATION_SWEEPS = HyperParam(
    "evaluation_sweeps",
    "int",
    5,
    "Policy iteration: at most this many evaluation sweeps before each improvement. Few improve the policy "
    "on rough values (modified policy iteration), many evaluate each policy fully first.",
    low=1,
    high=10_000,
    log=True,
)

LEARNER_SCHEMA = Schema((LEARNING_RATE, GAMMA, EXPLORATION_INITIAL_EPS, EXPLORATION_FINAL_EPS, EXPLORATION_FRACTION))
"""Q-learning, SARSA and Expected SARSA."""
MONTE_CARLO_SCHEMA = Schema(
    (
        replace(
            LEARNING_RATE,
            default=0.05,
            help="Step size α: how far each update moves a Q-value towards the return that followed. Whole "
            "returns are noisy, so Monte Carlo wants a smaller step than TD.",
        ),
        GAMMA,
        EXPLORATION_INITIAL_EPS,
        EXPLORATION_FINAL_EPS,
        EXPLORATION_FRACTION,
    )
)
VALUE_ITERATION_SCHEMA = Schema((GAMMA, THETA))
POLICY_ITERATION_SCHEMA = Schema((GAMMA, THETA, EVALUATION_SWEEPS))
