"""Real-browser fixtures: the dashboard served by `streamlit run` against a demo database,
driven by Debian's chromium through Playwright (never `playwright install`).

Fixtures (reusable by any browser test; mark tests ``@pytest.mark.browser``):

- ``demo_db_url`` (session): a fresh SQLite database filled with the demo data.
- ``app_server`` (session): ``streamlit run app.py`` on 127.0.0.1 and a free port, in demo
  mode against ``demo_db_url``, with its own users file; yields the base URL; stopped at the
  end (its log is printed if it fails to start). ``app_server_process`` is the same server
  as a ``Server`` (``.base``, ``.log``: its stdout and stderr).
- ``serving(folder, **settings)``: a context manager for another server (a PostgreSQL
  database, a malformed setting), stopped at the end of the block.
- ``browser`` (session): headless chromium; ``page`` (per test): a fresh context (no
  cookies) and page, closed after the test.
- Helpers: ``wait_ready(page)`` (the script finished and nothing is running),
  ``screenshot(page, name)`` (PNG under test-artifacts/screenshots/), ``sign_in(page,
  username, password)``, ``sign_out(page)``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
START_TIMEOUT = 60
PAGE_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def demo_db_url(make_database: Callable[[str, str], str]) -> str:
    import demo
    url = make_database("sqlite", "browser_demo")
    demo.load(url, demo.generate(), progress=lambda _line: None)
    return url


class Server:
    """One ``streamlit run app.py`` subprocess on 127.0.0.1; stdout and stderr go to ``log``.

    ``start()`` waits for ``/_stcore/health`` (fails the test with the log's tail if the
    process exits or does not answer); ``stop()`` terminates it (idempotent).
    """

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "streamlit.log"
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless",
                   "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"streamlit exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"streamlit did not answer in {START_TIMEOUT} s:\n{self.tail()}")
            time.sleep(0.2)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


def server_env(**settings: str) -> dict[str, str]:
    """The environment of a served app: ours, less any STREAMLIT_* and dashboard setting of
    whoever runs the tests, plus ``settings``."""
    from data_access.settings import SETTINGS

    names = {s.name for s in SETTINGS} | {"RRD_SETTINGS_FILE"}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STREAMLIT_") and k not in names}
    env.update(PYTHONUNBUFFERED="1", **settings)
    return env


@contextmanager
def serving(folder: Path, **settings: str) -> Iterator[Server]:
    """A server with these settings for the length of a ``with`` block."""
    server = Server(server_env(**settings), folder)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_server_process(demo_db_url: str,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The session's demo server (its ``log`` is read by tests/browser/test_zz_logs.py)."""
    folder = tmp_path_factory.mktemp("app_server")
    with serving(folder, DATABASE_URL=demo_db_url, DEMO_MODE="true",
                 USERS_FILE=str(folder / "users.yaml")) as server:
        yield server


@pytest.fixture(scope="session")
def app_server(app_server_process: Server) -> str:
    return app_server_process.base


# ``browser`` and ``page`` are in tests/conftest.py: one chromium for the whole run, for
# tests/browser and for the tests outside it that drive a page (tests/test_deploy.py).


def wait_ready(page) -> None:
    """The script run has finished and the running indicator is gone."""
    page.wait_for_selector(READY, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                           timeout=PAGE_TIMEOUT_MS)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # Streamlit scrolls inside its main block, so a "full page" screenshot is only the
    # window: grow the window to the page's height for the picture (every chart in it),
    # then give it back.
    size = page.viewport_size
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                           "'[data-testid=\"stMain\"], [data-testid=\"stAppViewContainer\"]')]"
                           ".map(e => e.scrollHeight), 0)")
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height), 12000)})
        page.wait_for_timeout(800)  # charts re-lay out to the new size
    page.screenshot(path=str(path), full_page=True)
    if size and height > size["height"]:
        page.set_viewport_size(size)
    return path


def submit_sign_in(page, username: str, password: str) -> None:
    """Fill the sign-in form and click Sign in (once there is exactly one form)."""
    wait_ready(page)
    page.wait_for_function(
        "() => document.querySelectorAll('input[type=password]').length === 1",
        timeout=PAGE_TIMEOUT_MS)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in(page, username: str, password: str) -> None:
    """Fill and submit the sign-in form; waits until the sidebar shows the sign-out button.

    Right after a page load the form can be on the page twice for a moment (the element
    tree of a rerun replacing the first one): wait until exactly one is left."""
    signed_in = page.get_by_role("button", name="Sign out")
    for attempt in range(3):
        # A click that lands while a rerun is replacing the form is lost (the form stays,
        # filled, with no message): fill and click again, at most three times.
        submit_sign_in(page, username, password)
        try:
            signed_in.wait_for(timeout=PAGE_TIMEOUT_MS / 3 if attempt < 2 else PAGE_TIMEOUT_MS)
            break
        except Exception:
            # "Enter your username and password" is not a refusal: the fill landed in a form
            # a rerun then replaced, and the click sent the new, empty one. Fill again.
            refused = page.get_by_text(re.compile("incorrect|locked"))
            if attempt == 2 or refused.count():
                screenshot(page, f"sign_in_failed_{username}")
                raise
            wait_ready(page)
    wait_ready(page)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    wait_ready(page)
