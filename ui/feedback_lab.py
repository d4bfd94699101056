"""The feedback lab's widgets: what to teach, who labels, how many labels; and the explainer beside them.

``feedback_form`` returns a checked :class:`~agents.config.run_config.RunConfig` (or None and the reason), like
the Train page's sidebar; every number is bounded by :data:`agents.feedback.config.FEEDBACK_FIELDS`. The lab's
address mirrors the form (:data:`LAB`, :mod:`ui.config_url`), so it is always a share link; values a link or a
run carries that the form has no field for (hyperparameters, ``initial_labels``, ``freeze_after``) are kept while
its env and algorithm are chosen, and listed under the form.
"""

from __future__ import annotations

import streamlit as st

from agents.algos.registry import compatible_algos
from agents.config.fields import SEED, TIMESTEPS
from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.config.schema import format_value
from agents.feedback.config import FEEDBACK_FIELDS, FeedbackConfig, initial_labels_for
from envs.registry import ENVS
from ui.common import plain
from ui.config_url import ConfigPage
from ui.inputs import checked, number_input

LAB_ENVS = ("Pendulum-v1", "FixedHorizonCartPole-v0", "MountainCar-v0", "Acrobot-v1", "LunarLander-v3")
"""Envs with vector observations that a reward model can read; CartPole in its fixed-horizon form, where an
episode's length cannot give the answer away. Pendulum first: from 200 oracle labels it learns as well as from
its true reward (README, *Feedback lab*); on CartPole 100 labels keep the pole up a median 345-461 of 500 steps,
but reach 475 in 1 seed of 3."""
LABELERS = {
    "human": "You: watch two clips, click the better one",
    "oracle": "Oracle: reads the env's true return (Bradley-Terry, as in Christiano et al. 2017)",
    "rule": "Rule: you write what 'better' means, in the reward-expression language",
}
PERSON_LABELS = 50
"""A person's default number of labels: about 4 minutes at Christiano et al.'s 3-5 s a label."""
PERSON_INITIAL_LABELS = 15
"""Labels a person gives before the agent's first step (rl-teacher, too, waits for the first ones)."""
EXPLAINER = """
**What this lab shows.** The agent never sees the environment's reward. It sees pairs of short clips of its own
behaviour, someone says which clip is better, and a small network learns a reward that agrees with those answers
(a *Bradley-Terry* model, Christiano et al. 2017). The agent trains on that learned reward. The chart draws the
learned return beside the **true** return, so you see whether what it learned is what you meant.

**Why it matters (DeepSeek-R1).** Labels from people are slow and dear. A person takes 3-5 seconds a label
(Christiano et al. 2017): the 100 labels that teach CartPole here are 5-8 minutes of someone's time; the 700 that
were enough for a MuJoCo robot in 2017, 35-60 minutes; a million comparisons, the scale of a language model's
preference data, 830-1,390 hours: 35-58 days of labelling around the clock, or 5-8 months of eight-hour working
days, for one person. An automated labeler here answers tens of thousands of pairs a second once the clips are
played (the *Labels* line of a run says how many), and about 50 a second counting the playing, on one core: a
person's working day of labels, 6,000-10,000, in a few minutes at most.

R1's answer, for tasks whose answers can be *checked* (maths, code), was to replace the human judge by **rules**:
a compiler or an answer key scores each attempt. R1-Zero learned from such rule-based rewards alone, because a
learned reward model "may suffer from reward hacking" at scale; the final R1 still used learned reward models for
open-ended writing, where no rule can check an answer. The bill: DeepSeek-V3's final training run took 2.8 million
GPU-hours (about $5.6M at $2 an hour, research excluded), and R1's reinforcement learning about $294k on top. Here
the *oracle* plays the tireless labeler and the *rule* labeler is R1's idea in miniature.
"""


LAB_ALGOS = ("ppo", "a2c", "dqn", "sac", "td3", "ddpg")
"""SB3's algorithms: the preference loop is an SB3 callback."""
SHOWN_FIELDS = ("labels", "fragment_length", "label_noise", "label_temperature")
"""The feedback fields the form shows (the oracle's noise and temperature only for the oracle)."""
LINK_FIELDS = ("initial_labels", "freeze_after")
"""Feedback fields a link or a run may carry that the form has no field for."""
_LINKED = "fb_linked"


def load_lab_config(config: RunConfig) -> None:
    """Put a lab configuration (from a link or a run) into the lab's widgets, before they are drawn; what has no
    widget is kept for the form to use while the same env and algorithm stay chosen."""
    feedback = config.feedback or FeedbackConfig()
    state = st.session_state
    state["fb_env"], state["fb_algo"] = config.env_id, config.algo
    state["fb_labeler"] = feedback.feedback
    if feedback.rule:
        state["fb_rule"] = feedback.rule
    for name in SHOWN_FIELDS:
        state[_field_key(name, feedback.feedback == "human")] = getattr(feedback, name)
    state["fb_seed"], state["fb_timesteps"] = config.seed, config.total_timesteps
    state[_LINKED] = config


def _linked_values(env_id: str, algo: str) -> tuple[dict[str, object], dict[str, object]]:
    """(build_config's extra arguments, feedback fields) a loaded link or run carries beyond the form's fields."""
    linked: RunConfig | None = st.session_state.get(_LINKED)
    if linked is None or (linked.env_id, linked.algo) != (env_id, algo):
        return {}, {}
    changes = {name: value for name, (value, _) in linked.preset_changes().items() if name != "timesteps"}
    extra = {"preset": linked.preset_info.name, "overrides": changes, "stop_when_solved": linked.stop_when_solved}
    feedback = linked.feedback or FeedbackConfig()
    first = _first_labels(feedback.feedback, feedback.labels)
    defaults = {"initial_labels": first, "freeze_after": FeedbackConfig().freeze_after}
    fields = {name: getattr(feedback, name) for name in LINK_FIELDS if getattr(feedback, name) != defaults[name]}
    if fields or changes:
        told = {**changes, **fields}
        st.caption(
            "Also from the link or run loaded: "
            + ", ".join(f"{plain(name)} {plain(format_value(value))}" for name, value in told.items())  # type: ignore[arg-type]
        )
    return extra, fields


def _field_key(name: str, person: bool) -> str:
    """The session key of a feedback field's widget: a person's budget of labels has its own (it is smaller)."""
    return f"fb_{name}_human" if person and name == "labels" else f"fb_{name}"


def _first_labels(labeler: str, labels: int) -> int:
    """Labels before the agent's first step: a person's fewer; never more than all of them."""
    return min(PERSON_INITIAL_LABELS, labels) if labeler == "human" else initial_labels_for(labels)


def _offered(key: str, options: list[str]) -> list[str]:
    """The choices of a select box; a value a link put in its state that is not among them falls back to the first."""
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    return options


def feedback_form() -> tuple[RunConfig | None, str]:
    """Draw the lab's settings; return the checked configuration, or None and what to fix."""
    envs = _offered("fb_env", [env_id for env_id in LAB_ENVS if env_id in ENVS])
    env_id = st.selectbox(
        "Environment", envs, format_func=lambda e: ENVS[e].title, key="fb_env", help=ENVS[envs[0]].description
    )
    st.caption(ENVS[env_id].description)
    algos = _offered("fb_algo", [a.id for a in compatible_algos(ENVS[env_id]) if a.id in LAB_ALGOS])
    st.session_state.setdefault("fb_algo", "ppo" if "ppo" in algos else algos[0])
    algo = st.selectbox("Algorithm", algos, key="fb_algo")
    labeler = st.radio("Who labels", _offered("fb_labeler", list(LABELERS)), format_func=LABELERS.get, key="fb_labeler")
    values: dict[str, object] = {"feedback": labeler}
    rule = ""
    if labeler == "rule":
        names = ", ".join(ENVS[env_id].feature_names) or "obs[i]"
        st.session_state.setdefault("fb_rule", "-abs(theta)" if "theta" in ENVS[env_id].feature_names else "reward")
        rule = st.text_input(
            "Preference rule (summed over each clip; the higher sum wins)",
            key="fb_rule",
            max_chars=300,
            help=f"Names you can use: {names}, reward, action, t. Example for CartPole: -abs(theta), 'prefer the "
            "clip whose pole stays more upright'.",
        )
        values["rule"] = rule
    left, right = st.columns(2)
    refused = False
    shown = [name for name in SHOWN_FIELDS if labeler == "oracle" or name not in ("label_noise", "label_temperature")]
    person = labeler == "human"
    for index, name in enumerate(shown):
        param = FEEDBACK_FIELDS.get(name)
        key = _field_key(name, person)
        st.session_state.setdefault(key, PERSON_LABELS if key == "fb_labels_human" else param.default)
        slot = number_input(param, key, where=(left, right)[index % 2])
        value = checked(param, st.session_state.get(key), slot)
        refused = refused or value is None
        values[name] = param.default if value is None else value
    # the first labels come before the agent's first step: at most the default, never more than all of them
    values["initial_labels"] = _first_labels(labeler, int(values["labels"]))
    if person:
        st.caption(
            f"Training waits for your first {values['initial_labels']} labels, then asks for more as it trains. "
            "A person takes 3-5 s a label (Christiano et al. 2017)."
        )
    st.session_state.setdefault("fb_seed", SEED.default)
    seed_slot = number_input(SEED, "fb_seed", label="seed")
    seed = checked(SEED, st.session_state.get("fb_seed"), seed_slot)
    st.session_state.setdefault("fb_timesteps", ENVS[env_id].default_timesteps)
    steps_slot = number_input(TIMESTEPS, "fb_timesteps", label="timesteps")
    timesteps = checked(TIMESTEPS, st.session_state.get("fb_timesteps"), steps_slot)
    if refused or seed is None or timesteps is None:
        return None, "a value is out of its bounds"
    extra, linked_fields = _linked_values(env_id, algo)
    values.update(linked_fields)
    try:
        config = build_config(env_id, algo, seed=seed, timesteps=timesteps, feedback=values, **extra)  # type: ignore[arg-type]
    except ConfigError as error:
        st.error(str(error))
        return None, str(error)
    return config, ""


LAB = ConfigPage("fb", load_lab_config, lab=True)
"""The lab's address: a share link of the form, or a watch link of a lab run."""
