"""A sweep on the Sweeps page: the live table of trials, the parallel-coordinates chart, and the best configuration
(open it on the Train page, download its RL Zoo entry). Redrawn every second while the sweep runs."""

from __future__ import annotations

import math
import time
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st

from agents.config.schema import Value
from agents.export.zoo import zoo_filename
from agents.sweeps.records import StoredSweep
from agents.sweeps.report import format_metric, sweep_link, table_rows, train_link, zoo_entry
from agents.sweeps.runner import METRIC, SweepRun, TrialResult
from agents.sweeps.space import ParamSpace
from ui.common import owner_token, plain
from ui.present import plotly_chart

REFRESH_S = 1.0


def show_sweep(sweep: SweepRun) -> None:
    """The sweep's results, live until it is done."""
    st.subheader(f"Sweep: {sweep.definition.describe()}")
    st.caption(f"{sweep.definition.env_id} · {sweep.definition.algo} · each trial's metric: the {METRIC}.")
    if isinstance(sweep, StoredSweep):
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(sweep.created_at))
        ended = {"done": "finished", "stopped": "was stopped", "interrupted": "was running when its server stopped"}
        st.caption(
            f"From the runs folder: started {started}, {ended[sweep.status]}. Trials whose runs are still on this "
            "server show them as they are now; the others, as the sweep recorded them."
        )
    if sweep.done:
        _results(sweep)
    else:
        _live(sweep)


@st.fragment(run_every=REFRESH_S)
def _live(sweep: SweepRun) -> None:
    if sweep.done:
        st.rerun(scope="app")  # drawn once more, without the timer
    _results(sweep)


def _results(sweep: SweepRun) -> None:
    results = sweep.results()
    finished = sum(1 for r in results if r.status in ("finished", "failed", "stopped"))
    status = "stopped" if sweep.stopped else ("done" if sweep.done else "running")
    total = sweep.definition.trial_count()
    st.markdown(f"**{status.capitalize()}**: {finished} of {total} trials ended.")
    if sweep.driver:
        st.caption(f"Trials chosen and scheduled by {plain(sweep.driver)}; each one's seeds train on Ray.")
    if sweep.error:
        st.error(plain(sweep.error))
    if sweep.note and not sweep.done:
        st.caption(f"The next trial waits: {plain(sweep.note)}.")
    if not sweep.done and sweep.is_owner(owner_token()) and st.button("Stop the sweep", icon=":material/stop:"):
        sweep.stop()
        st.rerun(scope="app")
    st.dataframe(table_rows(sweep), hide_index=True, width="stretch")
    figure = parallel_coordinates(sweep.definition.searched, results)
    if figure is None:
        st.caption("The parallel-coordinates chart appears once a trial has a metric (its first episodes ended).")
    else:
        plotly_chart(figure, key=f"sweep-parcoords-{sweep.id}")
        st.caption(
            "Each line is a trial, through its value of each hyperparameter to its metric, coloured by the metric: "
            "drag along an axis to keep only the lines that pass there."
        )
    _best(sweep, results)


def _best(sweep: SweepRun, results: list[TrialResult]) -> None:
    best = sweep.best()
    if best is None:
        return
    values = ", ".join(f"{name} {value}" for name, value in best.params.items())
    final = "" if best.complete else " so far (its seeds are still training)"
    metric = format_metric(best.metric)
    st.markdown(f"**Best configuration{final}**: trial {best.index + 1} ({plain(values)}), {metric}.")
    cols = st.columns(3)
    cols[0].link_button("Open on Train", train_link(best), icon=":material/monitoring:", width="stretch")
    text, reason = zoo_entry(best)
    if text is None:
        cols[1].caption(f"RL Zoo YAML: {plain(reason)}")
    else:
        cols[1].download_button(
            "RL Zoo YAML",
            text,
            file_name=zoo_filename(best.config),
            mime="text/plain",
            icon=":material/code:",
            width="stretch",
            key=f"sweep-zoo-{sweep.id}",
        )
    run_ids = [run_id for result in results for run_id in result.run_ids]
    if run_ids:
        cols[2].link_button(
            "Compare the runs",
            f"/compare?{urlencode({'runs': ','.join(run_ids[:50])})}",
            icon=":material/stacked_line_chart:",
            width="stretch",
        )
    st.caption("To share this sweep's definition (its results stay on this server):")
    st.code(sweep_link(sweep), language=None, wrap_lines=True)


def parallel_coordinates(spaces: tuple[ParamSpace, ...], results: list[TrialResult]) -> go.Figure | None:
    """One axis per searched hyperparameter (log-scaled ones as powers of ten, options as named ticks) and one for
    the metric; a line per trial with a metric. None before any trial has one."""
    rows = [r for r in results if r.metric is not None]
    if not rows:
        return None
    dimensions = [_dimension(space, [r.params[space.name] for r in rows]) for space in spaces]
    metrics = [round(float(r.metric or 0.0), 1) for r in rows]  # as the table shows them (format_metric)
    dimensions.append({"label": "metric", "values": metrics, "tickformat": ".1f"})
    figure = go.Figure(
        go.Parcoords(
            line={"color": metrics, "colorscale": "Viridis", "showscale": True, "colorbar": {"title": "metric"}},
            dimensions=dimensions,
        )
    )
    figure.update_layout(height=360, margin={"l": 60, "r": 60, "t": 50, "b": 30})
    return figure


def _dimension(space: ParamSpace, values: list[Value]) -> dict[str, object]:
    if space.values and not all(isinstance(v, int | float) and not isinstance(v, bool) for v in space.values):
        options = list(space.values)
        return {
            "label": space.name,
            "values": [options.index(v) for v in values],
            "tickvals": list(range(len(options))),
            "ticktext": [str(o) for o in options],
        }
    numbers = [float(v) for v in values]  # type: ignore[arg-type]
    if space.log:
        ends = [float(v) for v in space.values] if space.values else [space.low or 1.0, space.high or 1.0]  # type: ignore[arg-type]
        low, high = math.floor(math.log10(min(ends))), math.ceil(math.log10(max(ends)))
        ticks = list(range(low, high + 1))
        return {
            "label": f"{space.name} (log)",
            "values": [math.log10(x) for x in numbers],
            "range": [low, high],
            "tickvals": ticks,
            "ticktext": [f"{10.0**t:g}" for t in ticks],
        }
    ends = [float(v) for v in space.values] if space.values else [space.low or 0.0, space.high or 0.0]  # type: ignore[arg-type]
    return {"label": space.name, "values": numbers, "range": [min(ends), max(ends)]}
