"""A page's configuration and the address bar: which one wins, when (the Train page and the feedback lab).

Streamlit clears the query string on a page switch and drops a widget's value when its page is left, so
the configuration lives in the widgets' session state (kept with ``persist_state``) and the address bar is
rewritten from it on every run (:func:`mirror_into_url`). The address bar is read back only when it asks
for something this session did not write there itself (:func:`sync_from_url`): a share link, a watch
link, or another page's link to a run. So a page switch keeps the configuration, and a watch link shows
the watched run's configuration, not the previous one beside it. Each page has its own :class:`ConfigPage`:
its session keys, how its widgets take a configuration, and whether its links are the feedback lab's.

An address this session wrote and has since replaced moments ago is not a link either (:class:`AddressLog`): a
rerun the browser asked for before it showed the latest address carries the one before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from agents.config.run_config import RunConfig
from agents.config.share import VIEW_KEYS, config_to_query, query_to_config
from agents.runs.manager import RUN_ID_PATTERN
from ui.address import AddressLog
from ui.common import manager
from ui.config_form import load_config_into_widgets

DROPPED_KEYS = ("ctl", "control")
"""View keys never written back: a control token must not stay in an address a person may copy."""


@dataclass(frozen=True)
class ConfigPage:
    """A page whose widgets hold a configuration that its address mirrors."""

    prefix: str
    """Of its session keys (``cfg`` on the Train page: ``cfg_env``, ``cfg_mirrored``...)."""
    load: Callable[[RunConfig], None]
    """Puts a configuration into the page's widgets, before they are drawn."""
    lab: bool = False
    """Its links are the feedback lab's: they always learn from preferences (:func:`query_to_config`)."""

    @property
    def mirrored(self) -> str:
        """The configuration query this session last wrote into the address bar."""
        return f"{self.prefix}_mirrored"

    @property
    def addresses(self) -> AddressLog:
        """The configuration and run this session wrote into the address bar."""
        return AddressLog(self.prefix)

    @property
    def loaded_run(self) -> str:
        """The run whose link the widgets last followed (a watch link loads its run's configuration once)."""
        return f"{self.prefix}_loaded_run"

    @property
    def viewed_run(self) -> str:
        """The run the page showed last: shown again when the person comes back from another page."""
        return f"{self.prefix}_viewed_run"

    def shows(self, config: RunConfig) -> bool:
        """Whether this page can show ``config`` (the lab shows runs that learn from preferences, Train the others)."""
        return (config.feedback is not None) == self.lab


TRAIN = ConfigPage("cfg", load_config_into_widgets)


def sync_from_url(page: ConfigPage = TRAIN) -> tuple[list[str], str]:
    """Before the sidebar is drawn: take the configuration a link asks for; return what was ignored and
    the id of the run to show ("" for none)."""
    state = st.session_state
    params = st.query_params.to_dict()
    query = {key: value for key, value in params.items() if key not in VIEW_KEYS}
    run_id = params.get("run", "")
    if page.addresses.late_echo(_address(query, run_id)):  # not a link: a rerun asked for before our last write showed
        query, run_id = state.get(page.mirrored, {}), state.get(page.viewed_run, "")
    warnings: list[str] = []
    if f"{page.prefix}_env" not in state and not query and not page.lab:
        page.load(query_to_config({}).config)  # a first visit: the default env's default preset
    if not query and not run_id and "lesson" not in params and state.get(page.viewed_run):
        run_id = state[page.viewed_run]  # back from another page (which cleared the address): the same run again
        state[page.loaded_run] = run_id
    if run_id and not RUN_ID_PATTERN.match(run_id):
        warnings.append("run id is not valid; showing a new run's settings instead")
        run_id = ""
    if query and query != state.get(page.mirrored):
        shared = query_to_config(query, lab=page.lab)  # a share link, or a page's link with a configuration
        page.load(shared.config)
        warnings.extend(shared.warnings)
    elif not query and run_id and run_id != state.get(page.loaded_run):
        run = manager().get(run_id)  # a watch link: the sidebar shows the watched run's configuration
        if run is not None and page.shows(run.config):
            page.load(run.config)
    if run_id:
        state[page.loaded_run] = run_id
    state[page.viewed_run] = run_id
    return warnings, run_id


def show_run_in_url(run_id: str, page: ConfigPage = TRAIN) -> None:
    """The run just started is the one in view; its configuration is already the widgets'."""
    st.query_params["run"] = run_id
    st.session_state[page.loaded_run] = st.session_state[page.viewed_run] = run_id


def mirror_into_url(config: RunConfig | None, run_id: str, page: ConfigPage = TRAIN) -> None:
    """Keep the address bar a share link for what the widgets say, plus the run in view (while a value is
    refused, the address keeps the last valid configuration)."""
    query = config_to_query(config) if config is not None else st.session_state.get(page.mirrored, {})
    kept = {k: st.query_params[k] for k in VIEW_KEYS if k in st.query_params and k not in DROPPED_KEYS}
    if run_id:
        kept["run"] = run_id
    wanted = {**query, **kept}
    st.session_state[page.mirrored] = query
    page.addresses.wrote(_address(query, run_id))
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)


def _address(query: dict[str, str], run_id: str) -> dict[str, str]:
    return {**query, "run": run_id} if run_id else dict(query)


def open_where_it_belongs(page: ConfigPage) -> None:
    """Call first: a link that belongs on the other page opens there, as it is (a control link's token too, which
    that page takes out of the address). A lab run's link on the Train page goes to the feedback lab, and so does a
    link with feedback settings; an ordinary run's link on the lab's page goes to the Train page."""
    query = st.query_params.to_dict()
    run = manager().get(query.get("run", ""))
    elsewhere = run is not None and not page.shows(run.config)
    if not elsewhere and not page.lab and "feedback" in query:
        elsewhere = True  # a lab link opened on the Train page
    if elsewhere:
        st.switch_page("pages/train.py" if page.lab else "pages/feedback.py", query_params=query)
