"""The Train page's configuration and the address bar: which one wins, when.

Streamlit clears the query string on a page switch and drops a widget's value when its page is left, so
the configuration lives in the widgets' session state (kept with ``persist_state``) and the address bar is
rewritten from it on every run (:func:`mirror_into_url`). The address bar is read back only when it asks
for something this session did not write there itself (:func:`sync_from_url`): a share link, a watch
link, or another page's link to a run. So a page switch keeps the configuration, and a watch link shows
the watched run's configuration, not the previous one beside it.
"""

from __future__ import annotations

import streamlit as st

from agents.config.run_config import RunConfig
from agents.config.share import VIEW_KEYS, config_to_query, query_to_config
from agents.runs.manager import RUN_ID_PATTERN
from ui.common import manager
from ui.config_form import load_config_into_widgets

MIRRORED = "cfg_mirrored"
"""The configuration query this session last wrote into the address bar."""
LOADED_RUN = "cfg_loaded_run"
"""The run whose link the widgets last followed (a watch link loads its run's configuration once)."""
VIEWED_RUN = "cfg_viewed_run"
"""The run the Train page showed last: shown again when the person comes back from another page."""
DROPPED_KEYS = ("ctl", "control")
"""View keys never written back: a control token must not stay in an address a person may copy."""


def sync_from_url() -> tuple[list[str], str]:
    """Before the sidebar is drawn: take the configuration a link asks for; return what was ignored and
    the id of the run to show ("" for none)."""
    state = st.session_state
    params = st.query_params.to_dict()
    query = {key: value for key, value in params.items() if key not in VIEW_KEYS}
    run_id = params.get("run", "")
    warnings: list[str] = []
    if "cfg_env" not in state and not query:
        load_config_into_widgets(query_to_config({}).config)  # a first visit: the default env's default preset
    if not query and not run_id and state.get(VIEWED_RUN):
        run_id = state[VIEWED_RUN]  # back from another page (which cleared the address): the same run again
        state[LOADED_RUN] = run_id
    if run_id and not RUN_ID_PATTERN.match(run_id):
        warnings.append("run id is not valid; showing a new run's settings instead")
        run_id = ""
    if query and query != state.get(MIRRORED):
        shared = query_to_config(query)  # a share link, or a page's link with a configuration
        load_config_into_widgets(shared.config)
        warnings.extend(shared.warnings)
    elif not query and run_id and run_id != state.get(LOADED_RUN):
        run = manager().get(run_id)  # a watch link: the sidebar shows the watched run's configuration
        if run is not None:
            load_config_into_widgets(run.config)
    if run_id:
        state[LOADED_RUN] = run_id
    state[VIEWED_RUN] = run_id
    return warnings, run_id


def show_run_in_url(run_id: str) -> None:
    """The run just started is the one in view; its configuration is already the widgets'."""
    st.query_params["run"] = run_id
    st.session_state[LOADED_RUN] = st.session_state[VIEWED_RUN] = run_id


def mirror_into_url(config: RunConfig | None, run_id: str) -> None:
    """Keep the address bar a share link for what the widgets say, plus the run in view (while a value is
    refused, the address keeps the last valid configuration)."""
    query = config_to_query(config) if config is not None else st.session_state.get(MIRRORED, {})
    kept = {k: st.query_params[k] for k in VIEW_KEYS if k in st.query_params and k not in DROPPED_KEYS}
    if run_id:
        kept["run"] = run_id
    wanted = {**query, **kept}
    st.session_state[MIRRORED] = query
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)
