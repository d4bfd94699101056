"""stable-baselines3's hyperparameters as declared schemas: SB3's own names, defaults, bounds and help text.

One schema per algorithm is the single source for the widgets, validation, the constructor arguments, the share
URL and the exported script. Bounds are what a live demo on a 2-core CPU can afford and what SB3 accepts without
crashing; the help text is the one sentence a learner needs next to the widget. Building the models from these
values is :mod:`agents.algos.sb3.algorithm`.
"""

from __future__ import annotations

from dataclasses import replace

from agents.config.schema import HyperParam, Schema, Value

NET_ARCHS = ("32", "64", "32x32", "64x64", "128x128", "256x256", "400x300")
"""Hidden layer sizes offered for the policy and value networks, written as in the UI."""


def net_arch_layers(text: str) -> list[int]:
    """``"64x64"`` -> ``[64, 64]``."""
    return [int(part) for part in str(text).split("x")]


# --- parameters shared by several algorithms -------------------------------------------------------------

LEARNING_RATE = HyperParam(
    "learning_rate",
    "float",
    3e-4,
    "Step size of each gradient update: too small learns slowly, too big forgets what it learnt.",
    low=1e-6,
    high=1.0,
    log=True,
)
LEARNING_RATE_SCHEDULE = HyperParam(
    "learning_rate_schedule",
    "choice",
    "constant",
    "'linear' decays the learning rate to zero by the end of "
    "the budget (RL Zoo's lin_ prefix), which steadies the final policy.",
    choices=("constant", "linear"),
)
GAMMA = HyperParam(
    "gamma",
    "float",
    0.99,
    "Discount factor: how much a reward one step later is worth. Near 1 plans far "
    "ahead; smaller values make the agent short-sighted.",
    low=0.0,
    high=0.9999,
)
NET_ARCH = HyperParam(
    "net_arch",
    "choice",
    "64x64",
    "Hidden layers of the policy and value networks. Bigger nets can learn more but train slower on a CPU.",
    choices=NET_ARCHS,
)
N_ENVS = HyperParam(
    "n_envs",
    "int",
    1,
    "Copies of the environment stepped together; more copies give more varied experience per update.",
    low=1,
    high=16,
)
MAX_GRAD_NORM = HyperParam(
    "max_grad_norm",
    "float",
    0.5,
    "Gradients are clipped to this norm, so one bad batch cannot wreck the network.",
    low=0.01,
    high=100.0,
    log=True,
)
ENT_COEF = HyperParam(
    "ent_coef",
    "float",
    0.0,
    "Bonus for keeping the policy random: encourages exploration.",
    low=0.0,
    high=1.0,
)
VF_COEF = HyperParam("vf_coef", "float", 0.5, "Weight of the value-function loss in the total loss.", low=0.0, high=2.0)
GAE_LAMBDA = HyperParam(
    "gae_lambda",
    "float",
    0.95,
    "Generalised advantage estimation: 1 uses whole returns (unbiased, noisy), "
    "lower values lean on the value estimate (biased, steady).",
    low=0.0,
    high=1.0,
)

# Off-policy (replay buffer) parameters.
BUFFER_SIZE = HyperParam(
    "buffer_size",
    "int",
    100_000,
    "How many past transitions the replay buffer keeps (memory grows with it).",
    low=100,
    high=1_000_000,
    log=True,
)
LEARNING_STARTS = HyperParam(
    "learning_starts",
    "int",
    100,
    "Steps of random play collected before the first gradient update.",
    low=0,
    high=100_000,
)
BATCH_SIZE_OFF = HyperParam(
    "batch_size",
    "int",
    256,
    "Transitions sampled from the replay buffer for each gradient step.",
    low=8,
    high=4096,
    log=True,
)
TAU = HyperParam(
    "tau",
    "float",
    0.005,
    "How fast the target network follows the online one (1: copy at once).",
    low=0.0001,
    high=1.0,
    log=True,
)
TRAIN_FREQ = HyperParam(
    "train_freq",
    "int",
    1,
    "Train every this many environment steps.",
    low=1,
    high=1000,
)
GRADIENT_STEPS = HyperParam(
    "gradient_steps",
    "int",
    1,
    "Gradient steps after each collection; -1 does as many as environment steps collected.",
    low=1,
    high=256,
    special=(-1,),
)
ACTION_NOISE = HyperParam(
    "action_noise",
    "float",
    0.1,
    "Std of the Gaussian noise added to actions while training: the deterministic policy's exploration. In "
    "SB3's normalised action space [-1, 1], whatever the env's units (RL Zoo's noise_std): 0.1 on Pendulum's "
    "[-2, 2] torque is 0.2 N m.",
    low=0.0,
    high=1.0,
)


def with_default(param: HyperParam, default: Value) -> HyperParam:
    """The same parameter (name, bounds, help) with another algorithm's default."""
    return replace(param, default=default)


def _schema(*params: HyperParam) -> Schema:
    return Schema(params)


PPO_SCHEMA = _schema(
    LEARNING_RATE,
    LEARNING_RATE_SCHEDULE,
    GAMMA,
    HyperParam(
        "n_steps",
        "int",
        2048,
        "Steps collected per environment copy before each update.",
        low=2,
        high=8192,
        log=True,
    ),
    HyperParam("batch_size", "int", 64, "Minibatch size of each gradient step.", low=2, high=8192, log=True),
    HyperParam(
        "n_epochs",
        "int",
        10,
        "Passes over each collected batch; more squeezes more out of the data but costs CPU time.",
        low=1,
        high=50,
    ),
    GAE_LAMBDA,
    HyperParam(
        "clip_range",
        "float",
        0.2,
        "How far one update may move the policy (PPO's trust region).",
        low=0.01,
        high=1.0,
    ),
    ENT_COEF,
    VF_COEF,
    MAX_GRAD_NORM,
    N_ENVS,
    NET_ARCH,
)

A2C_SCHEMA = _schema(
    with_default(LEARNING_RATE, 7e-4),
    LEARNING_RATE_SCHEDULE,
    GAMMA,
    HyperParam(
        "n_steps",
        "int",
        5,
        "Steps collected per environment copy before each update.",
        low=1,
        high=4096,
        log=True,
    ),
    with_default(GAE_LAMBDA, 1.0),
    ENT_COEF,
    VF_COEF,
    MAX_GRAD_NORM,
    HyperParam("use_rms_prop", "bool", True, "RMSprop as in the original A2C paper; Adam otherwise."),
    HyperParam("normalize_advantage", "bool", False, "Normalise advantages in each batch."),
    N_ENVS,
    NET_ARCH,
)

DQN_SCHEMA = _schema(
    with_default(LEARNING_RATE, 1e-4),
    LEARNING_RATE_SCHEDULE,
    GAMMA,
    BUFFER_SIZE,
    with_default(LEARNING_STARTS, 100),
    with_default(BATCH_SIZE_OFF, 32),
    HyperParam(
        "tau",
        "float",
        1.0,
        "1 copies the online network into the target at every target update; smaller values blend it in.",
        low=0.0001,
        high=1.0,
        log=True,
    ),
    with_default(TRAIN_FREQ, 4),
    GRADIENT_STEPS,
    HyperParam(
        "target_update_interval",
        "int",
        10_000,
        "Environment steps between target network updates.",
        low=1,
        high=100_000,
        log=True,
    ),
    HyperParam(
        "exploration_fraction",
        "float",
        0.1,
        "Fraction of the budget over which epsilon decays from its initial to its final value.",
        low=0.0,
        high=1.0,
    ),
    HyperParam(
        "exploration_initial_eps",
        "float",
        1.0,
        "Probability of a random action at the start.",
        low=0.0,
        high=1.0,
    ),
    HyperParam(
        "exploration_final_eps",
        "float",
        0.05,
        "Probability of a random action after the decay.",
        low=0.0,
        high=1.0,
    ),
    with_default(MAX_GRAD_NORM, 10.0),
    N_ENVS,
    NET_ARCH,
)

SAC_SCHEMA = _schema(
    LEARNING_RATE,
    LEARNING_RATE_SCHEDULE,
    GAMMA,
    BUFFER_SIZE,
    LEARNING_STARTS,
    BATCH_SIZE_OFF,
    TAU,
    TRAIN_FREQ,
    GRADIENT_STEPS,
    HyperParam(
        "ent_coef",
        "float",
        "auto",
        "Entropy bonus weight; 'auto' tunes it to keep the policy as random as it needs to be.",
        low=0.0,
        high=10.0,
        allow_auto=True,
    ),
    N_ENVS,
    with_default(NET_ARCH, "256x256"),
)

DETERMINISTIC_ACTOR_PARAMS = (
    with_default(LEARNING_RATE, 1e-3),
    LEARNING_RATE_SCHEDULE,
    GAMMA,
    BUFFER_SIZE,
    LEARNING_STARTS,
    with_default(BATCH_SIZE_OFF, 256),
    TAU,
    TRAIN_FREQ,
    GRADIENT_STEPS,
    ACTION_NOISE,
)
"""What DDPG and TD3 share (TD3 adds its delayed policy and target smoothing)."""
DETERMINISTIC_ACTOR_NET = with_default(NET_ARCH, "400x300")

TD3_SCHEMA = _schema(
    *DETERMINISTIC_ACTOR_PARAMS,
    HyperParam("policy_delay", "int", 2, "Critic updates per actor update (TD3's 'delayed' policy).", low=1, high=20),
    HyperParam(
        "target_policy_noise",
        "float",
        0.2,
        "Std of the noise added to the target policy's actions to smooth the critic, in SB3's normalised "
        "action space [-1, 1] like action_noise (SB3 clips each draw to ±0.5).",
        low=0.0,
        high=1.0,
    ),
    N_ENVS,
    DETERMINISTIC_ACTOR_NET,
)

DDPG_SCHEMA = _schema(*DETERMINISTIC_ACTOR_PARAMS, N_ENVS, DETERMINISTIC_ACTOR_NET)
