"""The Train page's sharing and take-home tools: links, exported code, several seeds at once."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode, urlsplit

import streamlit as st

from agents.config.run_config import RunConfig
from agents.config.share import config_to_query
from agents.export.script import (
    ExportError,
    export_script,
    export_unavailable_reason,
    export_zoo_yaml,
    script_filename,
    zoo_filename,
)
from ui.common import plain, start_runs

MAX_SEEDS = 10


def _base_url() -> str:
    """This server's address as the browser sees it, without query (``st.context.url``)."""
    url = st.context.url or ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def share_panel(config: RunConfig, run_id: str | None) -> None:
    """Links to copy: this configuration, the same without controls, and (with a run) a read-only watch link."""
    base = _base_url()
    query = config_to_query(config)
    st.caption("Anyone opening this link gets exactly this configuration:")
    st.code(f"{base}/train?{urlencode(query)}", language=None, wrap_lines=True)
    st.caption("For an explainer: the same without the controls (the reader presses Start):")
    st.code(f"{base}/train?{urlencode({**query, 'hide_controls': '1'})}", language=None, wrap_lines=True)
    if run_id:
        st.caption("To let others watch this run live (they cannot pause or stop it):")
        st.code(f"{base}/train?{urlencode({'run': run_id})}", language=None, wrap_lines=True)


def export_buttons(config: RunConfig) -> None:
    """The configuration as a standalone SB3 script and as an RL Zoo hyperparameter entry."""
    cols = st.columns(2)
    for col, kind, label in ((cols[0], "script", "Python script"), (cols[1], "zoo", "RL Zoo YAML")):
        reason = export_unavailable_reason(config, kind)
        if reason:
            col.caption(f"{label}: {plain(reason)}")
            continue
        try:
            if kind == "script":
                text, name = export_script(config), script_filename(config)
            else:
                text, name = export_zoo_yaml(config), zoo_filename(config)
        except ExportError as error:
            col.caption(f"{label}: {plain(str(error))}")
            continue
        col.download_button(
            label,
            text,
            file_name=name,
            mime="text/plain",
            icon=":material/code:",
            key=f"export-{kind}",
            width="stretch",
            help="Uses only gymnasium and stable-baselines3; the shaping is written into it."
            if kind == "script"
            else "The entry for RL Baselines3 Zoo's hyperparams/<algo>.yml.",
        )


def seeds_form(config: RunConfig) -> None:
    """Queue the same configuration with seeds 0..N-1 and open the Compare page on them."""
    cols = st.columns([1, 2])
    count = cols[0].number_input(
        "Number of seeds",
        min_value=2,
        max_value=MAX_SEEDS,
        value=3,
        step=1,
        key="seed_count",
        label_visibility="collapsed",
    )
    if cols[1].button(
        f"Run {count} seeds",
        icon=":material/stacked_line_chart:",
        width="stretch",
        help="Queues this configuration with seeds 0, 1, ... and compares them with a confidence band.",
    ):
        ids = start_runs([replace(config, seed=seed) for seed in range(int(count))])
        if ids:
            st.session_state.pop("compare_runs", None)
            st.switch_page("pages/compare.py", query_params={"runs": ",".join(ids)})
