"""The load test's websocket driver (benchmarks/streamlit_ws.py, ``python -m benchmarks.load``)
against real ``streamlit run`` servers: it signs in and sees the figures a browser shows,
an exception element counts as an error, and the load command runs clean on the demo data.

SQLite only: the driver serves a database file. No timing is asserted (speed lives in the
load test's own figures, docs/load.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks import load_server
from benchmarks.streamlit_ws import Session
from tests.browser.test_pages_browser import CARD_OF_PAGE, Viewer

ROOT = Path(__file__).resolve().parent.parent


def run_async(coroutine):
    """``asyncio.run`` on a thread of its own: Playwright's sync API (the browser tests that
    run before these in the same process) leaves an event loop running on the main
    thread, where ``asyncio.run`` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def demo_url(make_database: Callable[[str, str], str]) -> str:
    import demo
    url = make_database("sqlite", "load_driver_demo")
    demo.load(url, demo.generate(), progress=lambda _line: None)
    return url


@pytest.fixture(scope="module")
def server(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, base, _log = load_server.start_server(demo_url, tmp_path_factory.mktemp("load_server"))
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


async def _sign_in(base: str, username: str, password: str):
    async with Session(base, timeout=60) as session:
        await session.run()
        form = await session.run()
        session.set_text(form.widget("text_input", "Username"), username)
        session.set_text(form.widget("text_input", "Password"), password)
        signed_in = await session.run(click=form.widget("button", "Sign in"))
        period = None
        if signed_in.widget("selectbox", "Period") is not None:
            session.choose(signed_in.widget("selectbox", "Period"), "2016")
            period = await session.run()
        return form, signed_in, period


def test_a_session_signs_in_and_sees_the_overview_figures(server: str, demo_url: str) -> None:
    form, signed_in, period = run_async(_sign_in(server, "demo-focal-tn", "focal-tn-demo"))
    assert form.widget("button", "Sign out") is None
    assert form.problems() == []
    assert signed_in.problems() == [] and signed_in.widget("button", "Sign out") is not None
    # A Tunisia focal point: the pages of the role, Administration not among them.
    names = [page.name for page in signed_in.pages]
    assert "Overview" in names and "Caseload" in names and "Administration" not in names
    viewer = Viewer(demo_url, "demo-focal-tn")
    title, text = viewer.card(CARD_OF_PAGE["pages/overview.py"])
    assert signed_in.metrics()[title] == text
    assert signed_in.widget("multiselect", "Countries").options == ["Tunisia"]
    # The 2016 Period is what the same card shows after the change.
    year = viewer.filters.with_period(dt.date(2016, 1, 1), dt.date(2016, 12, 31))
    assert period.metrics()[title] == viewer.card(CARD_OF_PAGE["pages/overview.py"], year)[1]
    assert period.metrics()[title] != text


def test_a_wrong_password_is_not_signed_in(server: str) -> None:
    _form, refused, period = run_async(_sign_in(server, "demo-admin", "wrong"))
    assert period is None and refused.widget("button", "Sign out") is None
    assert [a.alert.body for a in refused.of_type("alert")
            if a.alert.body == "Username or password is incorrect."]
    assert refused.metrics() == {}


def test_an_exception_element_is_an_error(tmp_path: Path) -> None:
    script = tmp_path / "raises.py"
    script.write_text("import streamlit as st\nst.write('before')\n"
                      "raise ValueError('on purpose')\n")
    port = load_server.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script),
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        load_server.wait_for_health(proc, base)

        async def one_run():
            async with Session(base, timeout=60) as session:
                return await session.run()

        run = run_async(one_run())
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert run.status == "FINISHED_SUCCESSFULLY"
    # (The message itself is redacted when client.showErrorDetails says so.)
    assert [p for p in run.problems() if p.startswith("exception ")], run.problems()
    assert len(run.of_type("exception")) == 1


def test_the_load_command_runs_clean(demo_url: str) -> None:
    path = demo_url.removeprefix("sqlite:///")
    out = subprocess.run([sys.executable, "-m", "benchmarks.load", "--sessions", "2",
                          "--duration", "8", "--think", "0", "--warmup", "0",
                          "--db", path], cwd=ROOT, capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "errors: 0" in out.stdout
    found = re.search(r"steps (\d+)", out.stdout)
    assert found, out.stdout[-3000:]
    steps = int(found.group(1))
    assert steps > 0
    assert re.search(r"sign-in .* 2 sign-ins", out.stdout)
    assert "slope over the second half" in out.stdout


def test_the_benchmark_rewrite_keeps_the_load_section() -> None:
    from benchmarks.run import kept_sections

    previous = ("# Benchmarks\n\n## Figures (old)\n\n| a |\n\n## Load\n\nSee docs/load.md.\n\n"
                "### 20 sessions\n\n| p95 | 1.5 s |\n\n## Notes\n\nold notes\n")
    assert kept_sections(previous) == ("## Load\n\nSee docs/load.md.\n\n### 20 sessions\n\n"
                                       "| p95 | 1.5 s |\n")
    assert kept_sections("# Benchmarks\n\n## Figures\n") == ""
    with_faults = previous + "\n## Faults\n\n| fault | test |\n"
    assert kept_sections(with_faults).endswith("| p95 | 1.5 s |\n\n## Faults\n\n| fault | test |\n")
