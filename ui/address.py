"""What a session wrote into the address bar, so a page can tell a link a person followed from a late echo of its
own writing.

A page that mirrors its state into the address (a share link, always current) reads the address back only when it
asks for something the session did not write there: a link. But a rerun the browser asked for before it showed the
page's latest address carries the one before; read as a link, it undid what the person had just done (typed a
value and clicked Start at once, and the run trained on the old value). :class:`AddressLog` keeps the address a
page last wrote and those it replaced in the last :data:`STALE_ADDRESS_S` seconds.
"""

from __future__ import annotations

import time

import streamlit as st

STALE_ADDRESS_S = 15.0
"""How long after a page replaced an address a rerun may still bring it back (the browser had not yet shown the
new one when it asked for the rerun: on a loaded class server that can take seconds)."""
KEPT_ADDRESSES = 16

Address = dict[str, str]


class AddressLog:
    """One page's writing into the address bar, kept in the session under ``{prefix}_address`` and
    ``{prefix}_replaced``."""

    def __init__(self, prefix: str) -> None:
        self._latest, self._replaced = f"{prefix}_address", f"{prefix}_replaced"

    def wrote(self, address: Address) -> None:
        """Record that the page put ``address`` (its own keys only) into the address bar."""
        state = st.session_state
        before = state.get(self._latest)
        if before is not None and address != before:
            now = time.monotonic()
            kept = [(old, when) for old, when in state.get(self._replaced, []) if now - when < STALE_ADDRESS_S]
            state[self._replaced] = [*kept, (before, now)][-KEPT_ADDRESSES:]
        state[self._latest] = dict(address)

    def late_echo(self, address: Address) -> bool:
        """``address`` is one the page wrote and replaced within :data:`STALE_ADDRESS_S`, and not its latest (a
        person may go back to what they had: then it is the latest again)."""
        state = st.session_state
        if not address or address == state.get(self._latest):
            return False
        now = time.monotonic()
        return any(old == address and now - when < STALE_ADDRESS_S for old, when in state.get(self._replaced, []))

    def is_link(self, address: Address) -> bool:
        """``address`` asks for something the page did not write: a link a person followed."""
        return bool(address) and address != st.session_state.get(self._latest) and not self.late_echo(address)
