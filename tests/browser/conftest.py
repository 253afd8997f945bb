"""Real-browser fixtures: the dashboard served by `streamlit run` against a demo database,
driven by Debian's chromium through Playwright (never `playwright install`).

Fixtures (reusable by any browser test; mark tests ``@pytest.mark.browser``):

- ``demo_db_url`` (session): a fresh SQLite database filled with the demo data.
- ``app_server`` (session): ``streamlit run app.py`` on 127.0.0.1 and a free port, in demo
  mode against ``demo_db_url``, with its own users file; yields the base URL; stopped at the
  end (its log is printed if it fails to start).
- ``browser`` (session): headless chromium; ``page`` (per test): a fresh context (no
  cookies) and page, closed after the test.
- Helpers: ``wait_ready(page)`` (the script finished and nothing is running),
  ``screenshot(page, name)`` (PNG under test-artifacts/screenshots/), ``sign_in(page,
  username, password)``, ``sign_out(page)``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
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
    from data_access import demo

    url = make_database("sqlite", "browser_demo")
    demo.load(url, demo.generate(), progress=lambda _line: None)
    return url


@pytest.fixture(scope="session")
def app_server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    folder = tmp_path_factory.mktemp("app_server")
    log = folder / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(DATABASE_URL=demo_db_url, DEMO_MODE="true", USERS_FILE=str(folder / "users.yaml"),
               PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer in {START_TIMEOUT} s:\n"
                            f"{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (or "
                    "`bash scripts/install-system-deps.sh`); never `playwright install`",
                    pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def wait_ready(page) -> None:  # type: ignore[no-untyped-def]
    """The script run has finished and the running indicator is gone."""
    page.wait_for_selector(READY, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                           timeout=PAGE_TIMEOUT_MS)


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Fill and submit the sign-in form; waits until the sidebar shows the sign-out button."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    wait_ready(page)


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()
    wait_ready(page)
