"""A sweep's results for people and files: the table, the best configuration's link and Zoo entry, the sweep folder.

A sweep folder holds ``sweep.json`` (the definition as its share-link query, when it started, whether it is done or
stopped, what chose its trials, and per trial its values, status, metric per seed and run ids: the runs themselves
stay in the runs folder; :mod:`agents.sweeps.records` reads it back), ``trials.csv`` (one row per trial) and, when
the best configuration can be exported, ``best_zoo.yml`` (its RL Baselines3 Zoo entry).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from agents.config.schema import format_value
from agents.config.share import config_to_query
from agents.export.script import ExportError, export_unavailable_reason
from agents.export.zoo import export_zoo_yaml
from agents.sweeps.runner import METRIC, SweepRun, TrialResult
from agents.sweeps.share import definition_to_query


def train_link(result: TrialResult, base: str = "") -> str:
    """The Train page's address for a trial's configuration (seed 0): opens it ready to start."""
    return f"{base}/train?{urlencode(config_to_query(result.config))}"


def sweep_link(sweep: SweepRun, base: str = "") -> str:
    """The Sweeps page's address for this sweep's definition (not its results: those live on this server)."""
    return f"{base}/sweeps?{urlencode(definition_to_query(sweep.definition))}"


def zoo_entry(result: TrialResult) -> tuple[str | None, str]:
    """The trial's RL Zoo YAML entry, or None and why it cannot be exported."""
    reason = export_unavailable_reason(result.config, "zoo")
    if reason:
        return None, reason
    try:
        return export_zoo_yaml(result.config), ""
    except ExportError as error:
        return None, str(error)


def format_metric(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table_rows(sweep: SweepRun) -> list[dict[str, str]]:
    """The table as text cells: trial number, status, each searched value, the metric and each seed's."""
    names = [space.name for space in sweep.definition.searched]
    rows = []
    for result in sweep.results():
        row = {"trial": str(result.index + 1), "status": result.status}
        row.update({name: format_value(result.params[name]) for name in names})
        row["metric"] = format_metric(result.metric)
        row["per seed"] = " ".join(format_metric(m) for m in result.seed_metrics)
        rows.append(row)
    return rows


def format_table(sweep: SweepRun) -> str:
    """The table as aligned plain text (the CLI prints it)."""
    rows = table_rows(sweep)
    if not rows:
        return "(no trials)"
    headers = list(rows[0])
    widths = {h: max(len(h), *(len(row[h]) for row in rows)) for h in headers}
    lines = ["  ".join(h.ljust(widths[h]) for h in headers)]
    lines += ["  ".join(row[h].ljust(widths[h]) for h in headers) for row in rows]
    return "\n".join(lines)


def summary(sweep: SweepRun) -> dict[str, Any]:
    """What ``sweep.json`` holds."""
    best = sweep.best()
    done = sweep.done
    return {
        "sweep_id": sweep.id,
        "started_at": sweep.created_at,
        "status": ("stopped" if sweep.stopped else "done") if done else "running",
        "driver": sweep.driver,
        "definition": definition_to_query(sweep.definition),
        "metric": METRIC,
        "trials": [
            {
                "trial": result.index + 1,
                "params": result.params,
                "status": result.status,
                "metric": result.metric,
                "seed_metrics": list(result.seed_metrics),
                "run_ids": list(result.run_ids),
            }
            for result in sweep.results()
        ],
        "best": None
        if best is None
        else {"trial": best.index + 1, "params": best.params, "metric": best.metric, "train_link": train_link(best)},
    }


def write_sweep_folder(sweep: SweepRun, folder: Path) -> Path:
    """Write ``sweep.json``, ``trials.csv`` and (when it can be exported) ``best_zoo.yml`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep.json").write_text(json.dumps(summary(sweep), indent=2) + "\n")
    rows = table_rows(sweep)
    with (folder / "trials.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["trial"])
        writer.writeheader()
        writer.writerows(rows)
    best = sweep.best()
    if best is not None:
        text, _ = zoo_entry(best)
        if text is not None:
            (folder / "best_zoo.yml").write_text(text)
    return folder
