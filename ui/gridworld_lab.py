"""The GridWorld lab's state: one layout, one tabular agent and the few settings a person turns.

Plain Python (no streamlit), so the page stays thin and this logic is tested without a browser. A page keeps
one :class:`Lab` per browser session: the agent is small and fast, so it is stepped in the page's own
script run (a timed fragment for "run"), never in a background thread.

The settings travel in a share link as ``layout`` (:meth:`GridLayout.to_string`), ``algo``, ``gamma``,
``learning_rate``, ``epsilon`` and ``seed``. A link is untrusted input: :func:`settings_from_query` checks
every value with the same rules as a typed one and falls back to the default, with a warning, for anything
it cannot use. Nothing in it is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import gymnasium as gym

from agents.algos.tabular import AGENTS, Learner, Planner, Sweep, TabularAgent
from agents.algos.tabular.params import EXPLORATION_FINAL_EPS, GAMMA, LEARNING_RATE
from agents.config.fields import SEED
from agents.config.schema import HyperParam, HyperParamError, Value
from agents.lessons.gridworld import Setup
from envs.gridworld import ENV_ID, LAYOUTS, GridLayout, resolve_layout
from envs.gridworld_layouts import MAX_ABS_REWARD

DEFAULT_LAYOUT = "4x3"
DEFAULT_ALGO = "q_learning"
DEFAULT_EPSILON = 0.1
"""A constant ε: the lab steps without a budget, so a decaying schedule would have no end to decay to."""
QUERY_KEYS = ("layout", "algo", "gamma", "learning_rate", "epsilon", "seed")
_SHOWN_CHARS = 40
STEP_REWARD = HyperParam(
    "step_reward",
    "float",
    0.0,
    "Paid on every move, on top of the reward of the cell entered.",
    low=-MAX_ABS_REWARD,
    high=MAX_ABS_REWARD,
)
CELL_REWARD = HyperParam(
    "reward",
    "float",
    0.0,
    "Paid for entering the cell (an exit's reward ends the episode).",
    low=-MAX_ABS_REWARD,
    high=MAX_ABS_REWARD,
)
"""The lab's typed numbers, bounded as the layout bounds them (:data:`MAX_ABS_REWARD`)."""


@dataclass(frozen=True)
class LabSettings:
    """Everything that decides what the lab's agent does, and nothing about how the page shows it."""

    layout: GridLayout = field(default_factory=lambda: LAYOUTS[DEFAULT_LAYOUT])
    algo: str = DEFAULT_ALGO
    gamma: float = float(GAMMA.default)
    learning_rate: float = float(LEARNING_RATE.default)
    epsilon: float = DEFAULT_EPSILON
    """Probability of a random action, constant over time (both of the schema's epsilons)."""
    seed: int = 0

    def hyperparams(self) -> dict[str, Value]:
        """The constructor arguments of the agent: only the names its schema has (planners take no α or ε)."""
        candidates: dict[str, Value] = {
            "gamma": self.gamma,
            "learning_rate": self.learning_rate,
            "exploration_initial_eps": self.epsilon,
            "exploration_final_eps": self.epsilon,
        }
        names = AGENTS[self.algo].schema.names
        return {name: value for name, value in candidates.items() if name in names}

    @property
    def layout_name(self) -> str | None:
        """The named layout this is, or None for an edited one."""
        text = self.layout.to_string()
        return next((name for name, layout in LAYOUTS.items() if layout.to_string() == text), None)


def make_env(layout: GridLayout) -> gym.Env:
    """The registered GridWorld (with its 100-step time limit) on ``layout``."""
    return gym.make(ENV_ID, layout=layout.to_string())  # a string: gymnasium copies the spec's kwargs


class Lab:
    """One agent on one grid, stepped by hand: what the lab page shows and changes."""

    def __init__(self, settings: LabSettings | None = None) -> None:
        self.settings = settings or LabSettings()
        self.agent = self._build()
        self.last_sweep: Sweep | None = None

    def _build(self) -> TabularAgent:
        settings = self.settings
        return AGENTS[settings.algo](make_env(settings.layout), seed=settings.seed, **settings.hyperparams())  # type: ignore[arg-type]

    @property
    def layout(self) -> GridLayout:
        return self.settings.layout

    @property
    def is_planner(self) -> bool:
        return isinstance(self.agent, Planner)

    # --- changing it --------------------------------------------------------------------------------------

    def rebuild(self, settings: LabSettings) -> None:
        """Start afresh with new settings: another layout, algorithm or seed, or a lesson."""
        self.settings = settings
        self.agent = self._build()
        self.last_sweep = None

    def edit_layout(self, layout: GridLayout) -> None:
        """Use an edited grid; the agent keeps what it learnt when the size is the same, to watch it adapt."""
        self.settings = replace(self.settings, layout=layout)
        self.agent.set_env(make_env(layout))
        self.last_sweep = None

    def tune(
        self, *, gamma: float | None = None, learning_rate: float | None = None, epsilon: float | None = None
    ) -> None:
        """Change γ, α or ε in place: they apply from the next step, nothing learnt is lost."""
        given = {"gamma": gamma, "learning_rate": learning_rate, "epsilon": epsilon}
        before = self.settings.hyperparams()
        self.settings = replace(self.settings, **{name: value for name, value in given.items() if value is not None})
        changed = {name: value for name, value in self.settings.hyperparams().items() if before.get(name) != value}
        if changed:
            self.agent.set_hyperparams(**changed)

    def reset(self) -> None:
        """Forget everything learnt; keep the grid and the settings (the same seed replays the same run)."""
        self.agent.reset_learning()
        self.last_sweep = None

    # --- stepping -----------------------------------------------------------------------------------------

    def step(self, count: int = 1) -> int:
        """``count`` env steps (learners) or sweeps (planners); a planner stops once it has converged.

        Returns how many were done.
        """
        done = 0
        for _ in range(max(0, int(count))):
            result = self.agent.step()
            done += 1
            if isinstance(result, Sweep):
                self.last_sweep = result
                if result.converged:
                    break
        return done

    def episode(self) -> float:
        """Play one whole episode (learners learn from it; planners follow their plan); return its return."""
        return float(self.agent.run_episode().episode_return)

    # --- reading it ---------------------------------------------------------------------------------------

    @property
    def converged(self) -> bool:
        return isinstance(self.agent, Planner) and self.agent.converged

    @property
    def sweeps(self) -> int:
        return self.agent.sweeps if isinstance(self.agent, Planner) else 0

    @property
    def epsilon(self) -> float | None:
        return self.agent.exploration_rate if isinstance(self.agent, Learner) else None


def settings_for_setup(setup: Setup, seed: int = 0) -> LabSettings:
    """A lesson's set-up as lab settings; what it leaves unsaid takes the lab's defaults, so it replays alike."""
    values = dict(setup.hyperparams)
    defaults = LabSettings()
    return LabSettings(
        layout=setup.grid,
        algo=setup.algo,
        gamma=float(values.get("gamma", defaults.gamma)),
        learning_rate=float(values.get("learning_rate", defaults.learning_rate)),
        epsilon=float(values.get("exploration_final_eps", defaults.epsilon)),
        seed=seed,
    )


# --- share links ------------------------------------------------------------------------------------------


def settings_to_query(settings: LabSettings) -> dict[str, str]:
    """The query parameters that reproduce ``settings``; all of them, so a link means the same next month."""
    return {
        "layout": settings.layout.to_string(),
        "algo": settings.algo,
        "gamma": f"{settings.gamma:g}",
        "learning_rate": f"{settings.learning_rate:g}",
        "epsilon": f"{settings.epsilon:g}",
        "seed": str(settings.seed),
    }


def settings_from_query(query: Mapping[str, str | Sequence[str]]) -> tuple[LabSettings, list[str]]:
    """Read a link's settings; each unusable value falls back to its default with a warning saying why.

    The warnings quote the link (shortened): a page must Markdown-escape them before showing them.
    """
    defaults = LabSettings()
    warnings: list[str] = []
    values: dict[str, object] = {}

    raw = _first(query.get("layout"))
    if raw is not None:
        try:
            values["layout"] = resolve_layout(raw)
        except ValueError as error:
            warnings.append(f"layout could not be read ({error}); showing the {DEFAULT_LAYOUT} grid instead")
    raw = _first(query.get("algo"))
    if raw is not None:
        if raw in AGENTS:
            values["algo"] = raw
        else:
            warnings.append(f"algorithm {_show(raw)} is not one of {', '.join(AGENTS)}; using {defaults.algo}")
    for name, param in (("gamma", GAMMA), ("learning_rate", LEARNING_RATE), ("epsilon", EXPLORATION_FINAL_EPS)):
        raw = _first(query.get(name))
        if raw is not None:
            try:
                values[name] = float(param.parse(raw))
            except HyperParamError as error:
                warnings.append(f"{name} was ignored ({str(error)[:120]}); using {getattr(defaults, name):g}")
    raw = _first(query.get("seed"))
    if raw is not None:
        try:
            values["seed"] = int(SEED.parse(raw))
        except HyperParamError as error:
            warnings.append(f"seed was ignored ({str(error)[:120]}); using {defaults.seed}")
    return replace(defaults, **values), warnings  # type: ignore[arg-type]


def _first(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value[0]) if len(value) else None


def _show(text: str) -> str:
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…")
