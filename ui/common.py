"""Small helpers every page shares: the run manager, who may control a run, and safe text.

Who may control a run: the browser that started it, whoever opened the run's control link, and the server's
operator (a session that typed the key set in ``RL_PLAYGROUND_OPERATOR_KEY``; see :func:`sign_in_operator`). Control
is never carried by an address a person may copy: a browser is recognised by the XSRF cookie Streamlit's
server sets once per browser (``server.enableXsrfProtection``, on in ``.streamlit/config.toml``), read with
``st.context.cookies``; so ownership survives a reload of any page and is shared by the browser's tabs.
Streamlit 1.67 cannot set a cookie of our own without replacing ``streamlit run app.py`` by an ASGI
``st.App``; its XSRF cookie is already per browser, server-set and sent with every connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets

import streamlit as st

from agents.config.run_config import RunConfig
from agents.config.share import read_flag
from agents.runs.manager import RunActionError, RunManager, get_manager
from agents.runs.run import Run

XSRF_COOKIE = "_streamlit_xsrf"
"""Streamlit's XSRF cookie: ``2|mask|masked secret|timestamp`` in hex, the secret fixed for the browser."""
CONTROL_PARAM = "control"
"""Query key of a run's control link (``/train?run=ID&control=...``); removed from the address once read."""
_SESSION_KEY = "_session_id"
_OWNER_KEY = "owner_token"
_GRANTS_KEY = "control_grants"
_OPERATOR_SESSION_KEY = "operator"
OPERATOR_KEY_ENV = "RL_PLAYGROUND_OPERATOR_KEY"
"""The server setting that turns the operator sign-in on: a key of at least :data:`OPERATOR_KEY_MIN_CHARS`."""
OPERATOR_KEY_MIN_CHARS = 16
log = logging.getLogger(__name__)
_GRANT_SECRET = secrets.token_bytes(32)
"""Signs control links; a new one at each server start, so a restart ends every handed-over control."""
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


def session_id() -> str:
    """An id of this tab's session (not of the browser: each tab is a session of its own)."""
    return st.session_state.setdefault(_SESSION_KEY, secrets.token_hex(8))


def owner_token() -> str:
    """This browser's control token: from its XSRF cookie (the same after a reload, in every tab), else
    (XSRF protection off, or under AppTest) a token for this session only."""
    state = st.session_state
    if _OWNER_KEY not in state:
        state[_OWNER_KEY] = browser_token(st.context.cookies.get(XSRF_COOKIE)) or secrets.token_urlsafe(18)
    return state[_OWNER_KEY]


def browser_token(cookie: str | None) -> str | None:
    """The control token of the browser holding Streamlit's XSRF ``cookie``: the secret behind its mask,
    hashed with a purpose string (the cookie's own value changes its mask at each page load). None if the
    cookie is absent or not in Streamlit's version-2 format."""
    parts = (cookie or "").strip("\"'").split("|")
    if len(parts) != 4 or parts[0] != "2":
        return None
    try:
        mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return None
    if len(mask) != 4 or len(masked) < 16:
        return None
    secret = bytes(byte ^ mask[i % 4] for i, byte in enumerate(masked))
    return hashlib.sha256(b"rl-playground run owner|" + secret).hexdigest()


def control_link_token(run: Run) -> str:
    """The token of ``run``'s control link: it lets whoever opens the link pause, resume and stop this run
    (not delete it, not resume it from a checkpoint), until the server restarts."""
    digest = hmac.new(_GRANT_SECRET, f"{run.id}|{run.owner_hash}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def accept_control_link(run_id: str) -> bool:
    """Read a control link's token from the address (and remove it there): True if it is ``run_id``'s."""
    token = st.query_params.get(CONTROL_PARAM)
    if token is None:
        return False
    del st.query_params[CONTROL_PARAM]
    run = manager().get(run_id) if run_id else None
    if run is None or not hmac.compare_digest(control_link_token(run), token):
        return False
    st.session_state.setdefault(_GRANTS_KEY, set()).add(run.id)
    return True


def operator_key() -> str | None:
    """The operator key from ``RL_PLAYGROUND_OPERATOR_KEY`` (None: no operator on this server).

    A key shorter than :data:`OPERATOR_KEY_MIN_CHARS` is refused (logged), so a guessable key never opens
    every run to whoever guesses it."""
    key = os.environ.get(OPERATOR_KEY_ENV, "")
    if not key:
        return None
    if len(key) < OPERATOR_KEY_MIN_CHARS:
        log.warning(
            "%s is shorter than %d characters: operator sign-in is off", OPERATOR_KEY_ENV, OPERATOR_KEY_MIN_CHARS
        )
        return None
    return key


def sign_in_operator(typed: str) -> bool:
    """Make this session the operator if ``typed`` is the operator key (compared in constant time)."""
    key = operator_key()
    if key is None or not typed:
        return False
    if not hmac.compare_digest(hashlib.sha256(typed.encode()).digest(), hashlib.sha256(key.encode()).digest()):
        return False
    st.session_state[_OPERATOR_SESSION_KEY] = True
    return True


def is_operator() -> bool:
    """This session signed in as the operator (and the server still has an operator key)."""
    return bool(st.session_state.get(_OPERATOR_SESSION_KEY)) and operator_key() is not None


def can_control(run: Run) -> bool:
    """Pause, resume and stop: the browser that started the run, a session that opened its control link, or
    the operator."""
    return run.is_owner(owner_token()) or run.id in st.session_state.get(_GRANTS_KEY, set()) or is_operator()


def owns(run: Run) -> bool:
    """Delete an ended run: the browser that started it, or the operator."""
    return run.is_owner(owner_token()) or is_operator()


def start_runs(configs: list[RunConfig]) -> list[str]:
    """Start runs owned by this browser; if the server refuses one (queue full), say why and start no more."""
    ids: list[str] = []
    for config in configs:
        try:
            ids.append(manager().start(config, owner=owner_token()).id)
        except RunActionError as error:
            st.error(f"Not started: {plain(str(error))}.")
            break
    return ids


def start_run(config: RunConfig) -> str:
    """Start a run owned by this browser and put its id (never a control token) in the address bar.

    Returns "" (after showing why) when the server refuses it."""
    ids = start_runs([config])
    if ids:
        st.query_params["run"] = ids[0]
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
