"""The Sweeps page's memory across restarts: where a started sweep's record goes, finding a sweep by the page's
``sweep`` key (running, or stored in the runs folder), and the list of past sweeps."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import streamlit as st

from agents.sweeps import records
from agents.sweeps.runner import SWEEPS, SweepRun
from ui.common import manager, plain

log = logging.getLogger(__name__)


def _runs_root() -> Path | None:
    store = manager().store
    return None if store is None else store.root


def keep_record(sweep: SweepRun) -> records.RecordWriter | None:
    """Give ``sweep`` its folder in the runs folder and the writer its feeding thread calls (None: no runs folder)."""
    root = _runs_root()
    if root is None:
        return None
    sweep.folder = records.sweeps_root(root) / sweep.id
    return records.RecordWriter(sweep, sweep.folder)


def find_sweep(sweep_id: object) -> SweepRun | None:
    """The sweep the page's address names: a running one, else one stored in the runs folder (None, with a warning,
    when there is none or its record fails its checks)."""
    sweep = SWEEPS.get(sweep_id)
    root = _runs_root()
    if sweep is not None or sweep_id is None or root is None:
        return sweep
    try:
        return records.load(root, sweep_id, manager().get)
    except records.RecordError as error:
        log.info("not showing stored sweep %.40r: %s", sweep_id, error)
        st.warning(f"That sweep is not on this server: {plain(str(error))}.")
        return None


def past_sweeps() -> None:
    """The stored sweeps, newest first, each a button that opens its results (and puts its id in the address)."""
    root = _runs_root()
    listed = records.stored(root) if root is not None else []
    if not listed:
        return
    st.subheader("Past sweeps")
    for item in listed:
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.started))
        label = f"{started} · {item.description} · {item.status}"
        if st.button(label, key=f"past-sweep-{item.sweep_id}", icon=":material/history:", type="tertiary"):
            st.query_params["sweep"] = item.sweep_id  # the address names it, to reload or share on this server
            st.rerun()
