"""Export a configuration as an RL Baselines3 Zoo entry for ``hyperparams/<algo>.yml``: its env id, budget and
hyperparameters, each written as a YAML scalar that PyYAML reads back as the same value (text that is not a plain
identifier is refused, never quoted into the file). Zoo's YAML has no place for reward shaping, a reward learned
from preferences or a schedule of settings changed while training: the entry says so in a comment and keeps the
starting values (the exported script, :mod:`agents.export.script`, has them).
"""

from __future__ import annotations

from agents.algos.sb3.schemas import net_arch_layers
from agents.config.run_config import RunConfig
from agents.config.schema import Value
from agents.export.script import ExportError, checked_hyperparams, is_gymnasium_env


def zoo_filename(config: RunConfig) -> str:
    """Zoo keeps one file per algorithm, ``hyperparams/<algo>.yml``; the entry goes into it."""
    return f"{config.algo}.yml"


def export_zoo_yaml(config: RunConfig) -> str:
    """The entry for RL Zoo's ``hyperparams/<algo>.yml``: this env id, its budget and hyperparameters."""
    values = checked_hyperparams(config, "zoo")
    lines = [
        f"# RL Baselines3 Zoo entry for hyperparams/{zoo_filename(config)}, exported by the RL playground.",
        f"# Train with: python -m rl_zoo3.train --algo {config.algo} --env {config.env_id} --seed {config.seed}",
    ]
    if not is_gymnasium_env(config.env_id):
        lines.append(
            f"# {config.env_id} is the playground's own environment: Zoo needs it registered (--gym-packages)."
        )
    if config.stop_when_solved:
        lines.append("# The playground run stopped once solved; Zoo trains for the whole n_timesteps.")
    if config.feedback is not None:
        lines.append("# This run learned its reward from preferences, which Zoo cannot express: this entry trains on")
        lines.append("# the env's own reward.")
    elif config.shaping.is_identity():
        lines.append("# No reward shaping was used (Zoo YAML could not express it anyway).")
    else:
        lines += [
            "# This run used reward shaping, which Zoo YAML cannot express: this entry trains on the env's own",
            "# reward. The exported Python script includes the shaping.",
        ]
    if config.schedule:
        lines.append("# Settings this run changed while it trained (its schedule) have no place in Zoo YAML: the entry")
        lines.append("# keeps their starting values. The exported Python script applies them.")
    lines += [
        f"{_yaml_key(config.env_id)}:",
        f"  n_timesteps: {config.total_timesteps}",
        "  policy: 'MlpPolicy'",
        f"  n_envs: {int(values.get('n_envs', 1))}",
    ]
    for name, value in values.items():
        if name in ("n_envs", "net_arch", "learning_rate_schedule", "action_noise"):
            continue
        if name == "learning_rate" and values.get("learning_rate_schedule") == "linear":
            lines.append(f"  learning_rate: lin_{_yaml_scalar(float(value))}")
        else:
            lines.append(f"  {name}: {_yaml_scalar(value)}")
    noise = float(values.get("action_noise") or 0.0)
    if noise:
        lines += [
            "  noise_type: 'normal'",
            f"  noise_std: {_yaml_scalar(noise)}  # in SB3's normalised action space [-1, 1], like action_noise",
        ]
    layers = ", ".join(str(size) for size in net_arch_layers(str(values["net_arch"])))
    lines.append(f'  policy_kwargs: "dict(net_arch=[{layers}])"')
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: Value) -> str:
    """A YAML 1.1 scalar PyYAML reads back as the same value (``1e-05`` alone would read as a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent and exponent[0] not in "+-":
            exponent = "+" + exponent
        return mantissa + ("e" + exponent if exponent else "")
    return f"'{value}'" if value.isidentifier() else _refuse_text(value)


def _yaml_key(env_id: str) -> str:
    if not all(char.isalnum() or char in "-_" for char in env_id):
        _refuse_text(env_id)
    return env_id


def _refuse_text(text: str) -> str:
    raise ExportError(f"cannot write {text[:40]!r} into YAML")
