"""The layers of the code: a module may import its own layer and the ones below, never one above.

From the bottom (DESIGN.md section 3)::

    envs
    agents.config.schema, limits   the hyperparameter language every algorithm declares itself in; operator caps
    agents.algos, agents.feedback  what can learn: the registry, SB3's algorithms, the tabular agents, and
                                   rewards learned from preferences (the worker trains with them)
    agents.config                  what a run is: an env, an algorithm, its values (build_config asks the algorithm)
    agents.storage, agents.runs    run folders; how a run trains and is watched
    agents.export, analysis, distill, lessons, labs, sweeps, agents.train
    ui
    pages, app

``agents/`` and ``envs/`` never import streamlit. Every import is read from the source (``ast``), including imports
inside functions, so a deferred import cannot hide an upward edge. A module in no layer fails the test: place new
packages in :data:`LAYERS` when they are made.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("agents", "envs", "ui", "pages", "app")
LAYERS: tuple[tuple[str, ...], ...] = (
    ("envs",),
    ("agents.config.schema", "agents.config.limits"),
    ("agents.algos", "agents.feedback"),
    ("agents.config",),
    ("agents.storage", "agents.runs"),
    (
        "agents.export",
        "agents.analysis",
        "agents.distill",
        "agents.lessons",
        "agents.labs",
        "agents.sweeps",
        "agents.sweep",
        "agents.train",
    ),
    ("ui",),
    ("pages", "app"),
)
NO_STREAMLIT = ("agents", "envs")


def layer_of(module: str) -> int | None:
    """Index of the layer holding ``module`` (the longest matching prefix); None if no layer holds it."""
    best: tuple[int, int] | None = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return best[0] if best else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every import in ``source``; relative imports resolved against ``module``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]  # from pkg import module
    return found


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """Every import in ``source`` that goes up the layers, or pulls streamlit into agents/ or envs/."""
    own = layer_of(module)
    problems: list[str] = []
    if own is None:
        return [f"{module} is in no layer: add it to LAYERS in tests/test_layers.py"]
    reported: set[int] = set()  # one problem per import statement ("from a import b" is also read as a.b)
    for line, target in imported_modules(module, source, is_package):
        if line in reported:
            continue
        top = target.split(".")[0]
        if top == "streamlit" and module.split(".")[0] in NO_STREAMLIT:
            problems.append(f"{module}:{line} imports streamlit")
            reported.add(line)
        if top not in PROJECT_PACKAGES:
            continue
        theirs = layer_of(target)
        if theirs is not None and theirs > own:
            problems.append(
                f"{module}:{line} imports {target}, a layer above it ({LAYERS[theirs][0]} > {LAYERS[own][0]})"
            )
            reported.add(line)
    return problems


def project_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in ("agents", "envs", "ui", "pages"):
        files += sorted((ROOT / package).rglob("*.py"))
    return [path for path in files if path != ROOT / "agents" / "__init__.py"]  # a docstring; agents.* are placed


@pytest.mark.parametrize("path", project_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_goes_up_the_layers(path: Path) -> None:
    assert violations(module_name(path), path.read_text(), path.name == "__init__.py") == []


def test_an_upward_import_is_refused_with_where_and_why() -> None:
    """The checker itself: upward edges (also deferred and relative ones) and streamlit in agents/ are caught."""
    source = (
        "from agents.config.schema import Schema\n"  # down: fine
        "from envs.registry import get_env\n"  # down: fine
        "def later():\n"
        "    from agents.runs.run import Run\n"  # up, hidden in a function
        "from ...storage import folder\n"  # up, relative
        "import streamlit as st\n"
    )
    found = violations("agents.algos.sb3.registry", source)
    assert any(":4 imports agents.runs.run" in problem for problem in found)
    assert any(":5 imports agents.storage" in problem for problem in found)
    assert any(":6 imports streamlit" in problem for problem in found)
    assert len(found) == 3, found
    assert violations("agents.config.run_config", "from agents.algos.registry import get_algo\n") == []
    assert violations("agents.config.schema", "from agents.algos.registry import get_algo\n") != []
    assert violations("agents.brand_new", "") != [], "a module in no layer is refused"
