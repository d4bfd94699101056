"""The operator's sign-in: whoever runs the server stops, pauses and deletes any run (a classroom's teacher).

A run can otherwise be controlled only by the browser that started it (or its control link), so a run whose
student closed the tab would hold a training slot until its wall-clock cap. The operator key is a server
setting (``RL_PLAYGROUND_OPERATOR_KEY``, at least 16 characters; on Community Cloud a root-level secret), typed
into a password field: never part of an address, so no link a person copies carries it.
"""

from __future__ import annotations

import streamlit as st

from ui.common import is_operator, operator_key, sign_in_operator

_TYPED_KEY = "operator_key_typed"
_REFUSED_KEY = "operator_key_refused"


def _check_typed() -> None:
    """Try the typed key, then clear the field (a callback may; the page's script may not)."""
    typed = st.session_state.get(_TYPED_KEY, "")
    st.session_state[_REFUSED_KEY] = bool(typed) and not sign_in_operator(typed)
    st.session_state[_TYPED_KEY] = ""


def operator_sign_in() -> None:
    """A password field in the sidebar when the server has an operator key; says whether this session is one."""
    if operator_key() is None:
        return
    with st.sidebar.expander("Operator", expanded=False, icon=":material/admin_panel_settings:"):
        if is_operator():
            st.success("You are the operator: you can pause, stop and delete every run on this server.")
            return
        st.text_input("Operator key", type="password", key=_TYPED_KEY, max_chars=200, on_change=_check_typed)
        if st.session_state.get(_REFUSED_KEY):
            st.error("That is not the operator key.")
