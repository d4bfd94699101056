"""The Train page's sharing and take-home tools: links, exported code, several seeds at once."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from agents.config.fields import SEED_COUNT
from agents.config.run_config import RunConfig, seed_configs
from agents.config.share import config_to_query
from agents.export.script import ExportError, export_script, export_unavailable_reason, script_filename
from agents.export.zoo import export_zoo_yaml, zoo_filename
from agents.runs.run import Run
from ui.common import can_control, control_link_token, manager, plain, start_runs
from ui.inputs import checked, number_input


def _base_url() -> str:
    """This server's address as the browser sees it, without query (``st.context.url``)."""
    url = st.context.url or ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def share_panel(config: RunConfig, run_id: str | None, page: str = "train") -> None:
    """Links to copy: this configuration, the same without controls (the Train page), and (with a run) a read-only
    watch link; ``page`` is the page's address (``train``, or ``feedback`` for the lab, whose links never carry the
    run's labels: those stay in its folder)."""
    base = _base_url()
    query = config_to_query(config)
    st.caption("Anyone opening this link gets exactly this configuration:")
    st.code(f"{base}/{page}?{urlencode(query)}", language=None, wrap_lines=True)
    if page == "train":
        st.caption("For an explainer: the same without the controls (the reader presses Start):")
        st.code(f"{base}/train?{urlencode({**query, 'hide_controls': '1'})}", language=None, wrap_lines=True)
    else:
        st.caption("The link carries the settings, never the labels: a run's labels stay in its folder on this server.")
    run = manager().get(run_id) if run_id else None
    if run is not None:
        st.caption("To let others watch this run live (they cannot pause or stop it):")
        st.code(f"{base}/{page}?{urlencode({'run': run.id})}", language=None, wrap_lines=True)
        if run.status.active and can_control(run):
            _control_link(base, run, page)


def _control_link(base: str, run: Run, page: str) -> None:
    """Handing over control is explicit: a separate, labelled link, shown only on request."""
    if st.toggle("Show a control link for this run", key=f"control-link-{run.id}"):
        st.caption(
            ":orange[**Control link**: whoever opens it can pause, resume and stop this run (not delete it), "
            "until the server restarts. Share it only with someone you trust to do that.]"
        )
        query = urlencode({"run": run.id, "control": control_link_token(run)})
        st.code(f"{base}/{page}?{query}", language=None, wrap_lines=True)


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
    st.session_state.setdefault("seed_count", SEED_COUNT.default)
    slot = number_input(SEED_COUNT, "seed_count", label="Number of seeds", where=cols[0], label_visibility="collapsed")
    count = checked(SEED_COUNT, st.session_state.seed_count, slot)
    if cols[1].button(
        f"Run {count} seeds (0-{count - 1})" if count is not None else "Run N seeds",  # not the Seed field's
        icon=":material/stacked_line_chart:",
        width="stretch",
        disabled=count is None,
        help="Queues this configuration with seeds 0, 1, ... (the Seed field is for Start) and compares them.",
    ):
        ids = start_runs(seed_configs(config, int(count or 0)))
        if ids:
            st.switch_page("pages/compare.py", query_params={"runs": ",".join(ids)})
