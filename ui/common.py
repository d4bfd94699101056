"""Small helpers every page shares: the run manager, who may control a run, and safe text."""

from __future__ import annotations

import re
import secrets

import streamlit as st

from agents.config.run_config import RunConfig
from agents.config.share import read_flag
from agents.runs.manager import RunActionError, RunManager, get_manager
from agents.runs.run import Run

OWNER_PARAM = "ctl"
"""Query key of the token that lets a tab control the runs it started (kept in the URL for reloads)."""
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def require_entrypoint() -> None:
    """Make sure a page runs through ``app.py``, with its navigation and page config.

    On a fresh server Streamlit treats a top-level ``pages/`` folder as a legacy multipage app until the
    first ``st.navigation`` call, so the very first visit to ``/train`` would run ``pages/train.py`` alone.
    Turning that legacy mode off and rerunning sends the visit through ``app.py`` instead.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def view_flag(name: str, warnings: list[str] | None = None) -> bool:
    """A yes/no view flag of the page's link (``hide_controls=1``), read with the one boolean vocabulary
    (true/false, yes/no, on/off, 1/0); a value outside it counts as no, with a warning added to ``warnings``."""
    return read_flag(st.query_params.to_dict(), name, [] if warnings is None else warnings)


def manager() -> RunManager:
    """The server's run manager, shared by every session and page."""
    return get_manager()


def owner_token() -> str:
    """This browser tab's control token: from the URL after a reload, else a new one."""
    if "owner_token" not in st.session_state:
        from_url = st.query_params.get(OWNER_PARAM, "")
        st.session_state.owner_token = from_url if _TOKEN_PATTERN.match(from_url) else secrets.token_urlsafe(18)
    return st.session_state.owner_token


def can_control(run: Run) -> bool:
    """Only the tab that started a run may pause or stop it; everyone else watches."""
    return run.is_owner(owner_token())


def start_runs(configs: list[RunConfig]) -> list[str]:
    """Start runs owned by this tab; if the server refuses one (queue full), say why and start no more."""
    ids: list[str] = []
    for config in configs:
        try:
            ids.append(manager().start(config, owner=owner_token()).id)
        except RunActionError as error:
            st.error(f"Not started: {plain(str(error))}.")
            break
    return ids


def start_run(config: RunConfig) -> str:
    """Start a run owned by this tab and put its id and the tab's control token in the address bar.

    Returns "" (after showing why) when the server refuses it."""
    ids = start_runs([config])
    if ids:
        st.query_params["run"] = ids[0]
        st.query_params[OWNER_PARAM] = owner_token()
    return ids[0] if ids else ""


def plain(text: str) -> str:
    """Escape Markdown so untrusted text (a link's value, an error quoting it) shows as typed, inert."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
