"""The feedback lab's widgets: what to teach, who labels, how many labels; and the explainer beside them.

``feedback_form`` returns a checked :class:`~agents.config.run_config.RunConfig` (or None and the reason), like
the Train page's sidebar; every number is bounded by :data:`agents.feedback.config.FEEDBACK_FIELDS`.
"""

from __future__ import annotations

import streamlit as st

from agents.algos.registry import compatible_algos
from agents.config.fields import SEED, TIMESTEPS
from agents.config.run_config import ConfigError, RunConfig, build_config
from agents.feedback.config import FEEDBACK_FIELDS
from envs.registry import ENVS
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


def feedback_form() -> tuple[RunConfig | None, str]:
    """Draw the lab's settings; return the checked configuration, or None and what to fix."""
    envs = [env_id for env_id in LAB_ENVS if env_id in ENVS]
    env_id = st.selectbox(
        "Environment", envs, format_func=lambda e: ENVS[e].title, key="fb_env", help=ENVS[envs[0]].description
    )
    st.caption(ENVS[env_id].description)
    algos = [a.id for a in compatible_algos(ENVS[env_id]) if a.id in ("ppo", "a2c", "dqn", "sac", "td3", "ddpg")]
    algo = st.selectbox("Algorithm", algos, index=algos.index("ppo") if "ppo" in algos else 0, key="fb_algo")
    labeler = st.radio("Who labels", list(LABELERS), format_func=LABELERS.get, key="fb_labeler")
    values: dict[str, object] = {"feedback": labeler}
    rule = ""
    if labeler == "rule":
        names = ", ".join(ENVS[env_id].feature_names) or "obs[i]"
        rule = st.text_input(
            "Preference rule (summed over each clip; the higher sum wins)",
            value="-abs(theta)" if "theta" in ENVS[env_id].feature_names else "reward",
            key="fb_rule",
            max_chars=300,
            help=f"Names you can use: {names}, reward, action, t. Example for CartPole: -abs(theta), 'prefer the "
            "clip whose pole stays more upright'.",
        )
        values["rule"] = rule
    left, right = st.columns(2)
    refused = False
    shown = [
        name
        for name in ("labels", "fragment_length", "label_noise", "label_temperature")
        if labeler == "oracle" or name not in ("label_noise", "label_temperature")
    ]
    person = labeler == "human"
    for index, name in enumerate(shown):
        param = FEEDBACK_FIELDS.get(name)
        key = f"fb_{name}_human" if person and name == "labels" else f"fb_{name}"  # a person's budget is smaller
        st.session_state.setdefault(key, PERSON_LABELS if key == "fb_labels_human" else param.default)
        slot = number_input(param, key, where=(left, right)[index % 2])
        value = checked(param, st.session_state.get(key), slot)
        refused = refused or value is None
        values[name] = param.default if value is None else value
    # the first labels come before the agent's first step: at most the default, never more than all of them
    first = PERSON_INITIAL_LABELS if person else int(FEEDBACK_FIELDS.get("initial_labels").default)
    values["initial_labels"] = min(first, int(values["labels"]))
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
    try:
        config = build_config(env_id, algo, seed=seed, timesteps=timesteps, feedback=values)
    except ConfigError as error:
        st.error(str(error))
        return None, str(error)
    return config, ""
