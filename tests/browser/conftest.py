"""A real server and a real headless Chromium for end-to-end tests.

The server is ``streamlit run app.py`` on a free loopback port, in a temporary runs folder. Chromium is
Debian's (``apt-get install chromium``), driven by Playwright. Locally a missing browser skips these tests
with the reason; under CI (``CI=true``) it fails them, so a green CI always means the browser tests ran.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


CUT_TEXT_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')].filter(el => {
  // Text the browser cuts with an ellipsis: a metric's label, a link's title ("... (MountainCar")
  const style = getComputedStyle(el);
  return style.textOverflow === 'ellipsis' && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
}).map(el => el.innerText.slice(0, 80))"""
"""Text a page cuts short with an ellipsis (a metric's label, a link's title): what a person cannot read."""


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (CI must run the browser tests: install it in .ci/run)")
    pytest.skip(what)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Start ``streamlit run app.py`` on a free loopback port with its runs and log in ``folder``.

    Returns the process, its base URL once ``/_stcore/health`` answers, and the log's path."""
    port = _free_port()
    log_path = folder / "streamlit.log"
    runs_dir = folder / "runs"
    runs_dir.mkdir(exist_ok=True)
    env = {**os.environ, "RUNS_DIR": str(runs_dir), "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, base, log_path
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    pytest.fail(f"streamlit did not become healthy:\n{log_path.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int | None:
    """Stop the server as an operator does (SIGTERM, as Ctrl+C or ``docker stop``); its exit status."""
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


_SERVER_LOG: list[Path] = []
"""The session server's log, for the report of a failed test (:func:`page`)."""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the app once for the browser tests; yield its base URL."""
    process, base, log_path = start_server(tmp_path_factory.mktemp("server"))
    _SERVER_LOG.append(log_path)
    try:
        yield base
    finally:
        stop_server(process)
        server_log = log_path.read_text()
        assert "Traceback" not in server_log, f"the server logged a traceback:\n{server_log[-4000:]}"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item, so :func:`page` knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def page_text(page: object, chars: int = 1500) -> str:
    """The first ``chars`` characters the page's main area says (its title, status and messages come first), or why
    there are none: for a failure's report."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return page.locator("[data-testid='stMain']").inner_text(timeout=5_000)[:chars]  # type: ignore[attr-defined]
    except PlaywrightError as error:
        return f"(no main area: {str(error).splitlines()[0]})"


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context's tab. When the test fails, its report says where the tab was, what the page said and
    the end of the server's log: a CI failure can be read without reproducing it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(f"--- the tab was at {tab.url}; its main area said:\n{page_text(tab)}")
        if _SERVER_LOG and _SERVER_LOG[-1].exists():
            print("--- the server's log ends:\n" + "\n".join(_SERVER_LOG[-1].read_text().splitlines()[-40:]))
    context.close()


def open_app(page: object, url: str) -> None:
    """Open a page of the app and wait until its websocket is connected."""
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")  # type: ignore[attr-defined]
