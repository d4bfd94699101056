"""Export a configuration as code: a standalone training script (the RL Baselines3 Zoo entry: :mod:`agents.export.zoo`).

The script needs only gymnasium, stable-baselines3, numpy and torch: the reward shaping is written into it as
one small ``gymnasium.Wrapper``, the potential as a plain function and the custom reward expression as Python
generated from its *validated* syntax tree (never from its text). It builds the model exactly as the
playground does (``DummyVecEnv`` of Monitor-wrapped envs, seeded the same way, the same constructor
arguments with floats written by ``repr``), so with the same library versions it trains the same network.

Settings changed while the run trained (its schedule, :mod:`agents.config.schedule`) are written as ``SCHEDULE`` and
one callback that applies each value at its step, as the playground did, so the script replays the run.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import textwrap
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
from stable_baselines3.common.utils import LinearSchedule

from agents.algos.sb3.algorithm import sb3_kwargs
from agents.config.presets import presets_for
from agents.config.run_config import RunConfig
from agents.config.schema import HyperParamError, Value
from agents.export.shaping import ShapingExportError, shaping_code
from agents.runs.live import SOLVE_WINDOW

ALLOWED_SCRIPT_IMPORTS = frozenset(
    {"argparse", "collections", "math", "gymnasium", "numpy", "torch", "stable_baselines3", "__future__"}
)
"""Top-level modules an exported script may import (the tests hold it to this)."""


class ExportError(ValueError):
    """A configuration that cannot be exported; the message says why, in words for a learner."""


def export_unavailable_reason(config: RunConfig, kind: str = "script") -> str | None:
    """Why this configuration cannot be exported as ``kind`` ("script" or "zoo"); None when it can.

    Lets a page say so up front instead of offering a download that fails.
    """
    if config.algo_info.export_class is None:
        return config.algo_info.export_note or (
            f"{config.algo_info.title} is the playground's own agent; only stable-baselines3 runs export as code."
        )
    if kind == "script" and not is_gymnasium_env(config.env_id):
        return f"{config.env_id} is the playground's own environment, which a standalone script cannot build."
    if kind == "script" and config.feedback is not None:
        return (
            "this run learns its reward from preferences (a reward model and its labeller), which a standalone "
            "script does not carry: it would train on the env's own reward instead"
        )
    return None


def script_filename(config: RunConfig) -> str:
    return f"train_{config.algo}_{config.env_id.lower().replace('-', '_')}.py"


# --- the script -----------------------------------------------------------------------------------------------


def export_script(config: RunConfig) -> str:
    """A runnable Python script that trains this configuration with gymnasium and stable-baselines3 only."""
    values = checked_hyperparams(config, "script")
    info = config.env_info
    cls = str(config.algo_info.export_class)
    kwargs = sb3_kwargs(values)
    shaping = config.shaping
    shaped = not shaping.is_identity()
    stop_when_solved = config.stop_when_solved and info.solved_threshold is not None
    noise = float(values.get("action_noise") or 0.0)

    constants = [
        f"ENV_ID = {_str(config.env_id)}",
        f"SEED = {config.seed!r}",
        f"TOTAL_TIMESTEPS = {_code(config.total_timesteps)}",
        f"N_ENVS = {int(values.get('n_envs', 1))!r}",
    ]
    if noise:
        constants.append(f"ACTION_NOISE = {noise!r}  # exploration noise std, in SB3's normalised actions [-1, 1]")
    if stop_when_solved:
        constants.append(f"SOLVED_THRESHOLD = {float(info.solved_threshold or 0.0)!r}  # mean of the last SOLVE_WINDOW")
        constants.append(f"SOLVE_WINDOW = {SOLVE_WINDOW!r}  # episodes averaged, as the playground's solved test")

    sections = ["\n".join(constants)]
    if shaped:
        try:
            sections.append(
                shaping_code(config.shaping, config.env_id, config.env_info.feature_names, config.learner_gamma)
            )
        except ShapingExportError as error:
            raise ExportError(str(error)) from None
    sections.append(_make_env_section(config, shaped))
    if stop_when_solved:
        sections.append(_STOP_WHEN_SOLVED)
    if config.schedule:
        sections.append(_schedule_section(config))
    sections.append(_build_model_section(config, kwargs, noise))
    sections.append(_main_section(config, stop_when_solved))
    body = "\n\n\n".join(section.strip("\n") for section in sections)
    return _header(config, shaped, stop_when_solved) + "\n\n" + _imports(cls, body) + "\n\n" + body + "\n"


def _imports(cls: str, body: str) -> str:
    """Only what the generated code uses (read off the code itself), so the script is lint-clean."""
    standard = ["argparse"] + (["math"] if "math." in body else [])
    lines = ["from __future__ import annotations", "", *(f"import {name}" for name in standard)]
    if "deque(" in body:
        lines.append("from collections import deque")
    lines += ["", "import gymnasium as gym"]
    if "np." in body:
        lines.append("import numpy as np")
    lines += ["import torch", f"from stable_baselines3 import {cls}"]
    for module, name in (
        ("callbacks", "BaseCallback"),
        ("monitor", "Monitor"),
        ("noise", "NormalActionNoise"),
        ("utils", "ConstantSchedule"),
        ("utils", "LinearSchedule"),
        ("vec_env", "DummyVecEnv"),
    ):
        if re.search(rf"\b{name}\b[(),]", body):  # called, or named as a base class
            lines.append(f"from stable_baselines3.common.{module} import {name}")
    return "\n".join(lines)


def _header(config: RunConfig, shaped: bool, stop_when_solved: bool) -> str:
    algo = config.algo_info
    versions = ", ".join(f"{name} {_version(name)}" for name in ("gymnasium", "stable-baselines3", "torch"))
    # A stored config's preset name is free text: name it only if it is one of the pair's presets.
    preset = f" (preset {config.preset!r})" if config.preset in presets_for(config.env_id, config.algo) else ""
    lines = [
        f'"""Train {algo.title} on {config.env_id} with stable-baselines3, as the RL playground did.',
        "",
        f"Reproduces the playground run: environment {config.env_id}, algorithm {algo.title}{preset},",
        f"seed {config.seed}, {config.total_timesteps} timesteps"
        + (", stopping once solved" if stop_when_solved else "")
        + (", with reward shaping (see ShapedReward)." if shaped else ", without reward shaping.")
        + (" Settings change at given steps (see SCHEDULE)." if config.schedule else ""),
        f"Exported with {versions}; other versions may train differently.",
        f"(The playground also stops any run after {config.max_wall_s:g} s of wall-clock time; this script does not.)",
        "",
        f'Setup:  pip install "{_gymnasium_requirement(config.env_id)}" stable-baselines3',
        f"Run:    python {script_filename(config)} [--timesteps N] [--seed S] [--output PATH] [--monitor-dir DIR]",
        '"""',
    ]
    return "\n".join(lines)


def _make_env_section(config: RunConfig, shaped: bool) -> str:
    make_kwargs = "".join(f", {key}={value!r}" for key, value in config.env_info.make_kwargs)
    lines = [
        "def make_env(monitor_file: str | None = None) -> gym.Env:",
        '    """One copy of the environment, as the playground builds it: shaping inside, Monitor outside.',
        "",
        "    The Monitor writes each episode's return and length to monitor_file (a CSV), if given.",
        '    """',
        f"    env = gym.make(ENV_ID{make_kwargs})",
    ]
    if shaped:
        lines += [
            "    env = ShapedReward(env)",
            '    return Monitor(env, monitor_file, info_keywords=("true_return",))',
        ]
    else:
        lines.append("    return Monitor(env, monitor_file)")
    return "\n".join(lines)


_STOP_WHEN_SOLVED = '''
class StopWhenSolved(BaseCallback):
    """Ends training once the mean of the env's own return over SOLVE_WINDOW episodes reaches SOLVED_THRESHOLD."""

    def __init__(self) -> None:
        super().__init__()
        self.returns: deque[float] = deque(maxlen=SOLVE_WINDOW)
        self.solved = False

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            episode = info.get("episode")
            if episode:
                self.returns.append(float(episode.get("true_return", episode["r"])))
                if len(self.returns) == SOLVE_WINDOW and float(np.mean(self.returns)) >= SOLVED_THRESHOLD:
                    self.solved = True
        if self.solved:
            print(f"solved after {self.num_timesteps} steps")
        return not self.solved
'''


def _build_model_section(config: RunConfig, kwargs: Mapping[str, Any], noise: float) -> str:
    cls = str(config.algo_info.export_class)
    schema = config.algo_info.schema
    body = [
        f"def build_model(seed: int = SEED, monitor_dir: str | None = None) -> {cls}:",
        '    """The vectorised envs and the model, built and seeded in the same order as the playground does.',
        "",
        "    With monitor_dir, env copy i writes its episodes to <monitor_dir>/<i>.monitor.csv, as in the playground.",
        '    """',
        '    files = [None if monitor_dir is None else f"{monitor_dir}/{i}.monitor.csv" for i in range(N_ENVS)]',
        "    vec_env = DummyVecEnv([lambda file=file: make_env(file) for file in files])",
        "    vec_env.seed(seed)",
    ]
    if noise:
        body += [
            "    n_actions = int(np.prod(vec_env.action_space.shape))",
            "    # SB3 adds it to the normalised action, before scaling to the env's bounds (RL Zoo's noise_std)",
            "    action_noise = NormalActionNoise(np.zeros(n_actions), ACTION_NOISE * np.ones(n_actions))",
        ]
    body += [f"    return {cls}(", '        "MlpPolicy",', "        vec_env,"]
    for name, value in kwargs.items():
        help_name = "net_arch" if name == "policy_kwargs" else name
        if help_name in schema.names:
            body += [f"        # {line}" for line in textwrap.wrap(schema.get(help_name).help, 100)]
        if isinstance(value, LinearSchedule):
            body.append("        # (a linear schedule: from learning_rate at the start to 0 at the end, Zoo's lin_)")
        body.append(f"        {name}={_code(value)},")
    if noise:
        body.append("        action_noise=action_noise,")
    body += ["        seed=seed,", "        verbose=1,", '        device="cpu",', "    )"]
    return "\n".join(body)


_SETTERS = {
    "learning_rate": ["model.learning_rate = value", "model.lr_schedule = ConstantSchedule(value)"],
    "clip_range": ["model.clip_range = ConstantSchedule(value)"],
    "ent_coef": ["model.ent_coef = value"],
    "exploration_rate": ["model.exploration_schedule = ConstantSchedule(value)", "model.exploration_rate = value"],
    "living_reward": ['globals()["LIVING_REWARD"] = value  # ShapedReward reads it at every step'],
    "potential_scale": ['globals()["POTENTIAL_SCALE"] = value  # ShapedReward reads it at every step'],
    "reward_scale": ['globals()["REWARD_SCALE"] = value  # ShapedReward reads it at every step'],
}
"""How the script sets each setting of a schedule: as :func:`agents.runs.schedule.apply_setting` does."""


def _schedule_section(config: RunConfig) -> str:
    entries = "\n".join(
        f"    {_str(name)}: [{', '.join(f'({_code(step)}, {value!r})' for step, value in steps)}],"
        for name, steps in config.schedule.items()
    )
    setter: list[str] = []
    for name in config.schedule:
        setter.append(f"    {'if' if not setter else 'elif'} name == {_str(name)}:")
        setter += [f"        {line}" for line in _SETTERS[name]]
    return (
        "# Settings changed while the playground run trained: from each step on, the value (SB3's own names).\n"
        f"SCHEDULE = {{\n{entries}\n}}\n\n\n"
        "def set_setting(model, name: str, value: float) -> None:\n"
        '    """Set one setting where SB3 reads it: its schedules become constant, so its own update applies them."""\n'
        + "\n".join(setter)
        + "\n\n\n"
        + _APPLY_SCHEDULE.lstrip("\n")
    )


_APPLY_SCHEDULE = '''
class ApplySchedule(BaseCallback):
    """Applies SCHEDULE after each env step (between updates), as the playground did while the run trained."""

    def _on_training_start(self) -> None:
        self.due = sorted((step, name, value) for name, steps in SCHEDULE.items() for step, value in steps)
        self._apply_due()

    def _on_step(self) -> bool:
        self._apply_due()
        return True

    def _apply_due(self) -> None:
        while self.due and self.due[0][0] <= self.model.num_timesteps:
            _, name, value = self.due.pop(0)
            set_setting(self.model, name, value)
'''


def _main_section(config: RunConfig, stop_when_solved: bool) -> str:
    callbacks = (["ApplySchedule()"] if config.schedule else []) + (["StopWhenSolved()"] if stop_when_solved else [])
    callback = f", callback=[{', '.join(callbacks)}]" if callbacks else ""
    output = f"{config.algo}_{config.env_id}"
    return f"""
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=TOTAL_TIMESTEPS, help="training steps")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    parser.add_argument("--output", default={_str(output)}, help="where to save the model (.zip is added)")
    parser.add_argument("--monitor-dir", help="write each env copy's episodes to <DIR>/<i>.monitor.csv (SB3's Monitor)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small networks train faster on one thread, and the playground uses one
    model = build_model(args.seed, args.monitor_dir)
    model.learn(total_timesteps=args.timesteps{callback})
    model.save(args.output)
    print(f"saved the model to {{args.output}}.zip")


if __name__ == "__main__":
    main()
"""


def _code(value: Any) -> str:
    """Python source for one constructor argument; floats by ``repr`` so they read back exactly."""
    if isinstance(value, LinearSchedule):
        return f"LinearSchedule({value.start!r}, {value.end!r}, {value.end_fraction!r})"
    if isinstance(value, dict):
        return "dict(" + ", ".join(f"{key}={_code(item)}" for key, item in value.items()) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_code(item) for item in value) + "]"
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:_}"  # 100_000 reads better than 100000
    if isinstance(value, bool | int | float):
        return repr(value)
    raise ExportError(f"cannot write {type(value).__name__} as code")


def _str(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are valid Python)."""
    return json.dumps(text)


# --- shared -------------------------------------------------------------------------------------------------------


def checked_hyperparams(config: RunConfig, kind: str) -> dict[str, Value]:
    """The hyperparameters, parsed again by their schema: a hand-built config cannot smuggle text into code."""
    reason = export_unavailable_reason(config, kind)
    if reason:
        raise ExportError(reason)
    for name in ("seed", "total_timesteps"):
        if type(getattr(config, name)) is not int:
            raise ExportError(f"{name} must be a whole number")
    try:
        return config.algo_info.schema.resolve(config.hyperparams)
    except HyperParamError as error:
        raise ExportError(str(error)) from None


def _entry_point(env_id: str) -> str | None:
    try:
        entry = gym.spec(env_id).entry_point
    except gym.error.Error:
        return None
    return entry if isinstance(entry, str) else None


def is_gymnasium_env(env_id: str) -> bool:
    return (_entry_point(env_id) or "").startswith("gymnasium.envs.")


def _gymnasium_requirement(env_id: str) -> str:
    entry = _entry_point(env_id) or ""
    for family, extra in (("box2d", "box2d"), ("classic_control", "classic-control"), ("mujoco", "mujoco")):
        if f".{family}." in entry:
            return f"gymnasium[{extra}]"
    return "gymnasium"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "(unknown version)"
