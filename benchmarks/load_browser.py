"""The load test's browser driver: each session is a tab of a headless chromium (Debian's,
through Playwright) that signs in and clicks pages and the Period filter."""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import time
from pathlib import Path

from benchmarks.load_sessions import ACCOUNTS, MAX_STEPS, Results, Step, after_delay, think

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-renderer-backgrounding",
                 "--disable-background-timer-throttling",
                 "--disable-backgrounding-occluded-windows"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
STATUS = '[data-testid="stStatusWidget"]'
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
STATUS = '[data-testid="stStatusWidget"]'


async def wait_finished(page, timeout_ms: float, saw_start: float = 3000) -> None:
    """The run started by the last action has finished (running seen, then not running)."""
    with contextlib.suppress(Exception):  # it may already have finished
        await page.wait_for_selector(RUNNING, timeout=saw_start)
    await page.wait_for_selector(READY, timeout=timeout_ms)
    await page.wait_for_selector(STATUS, state="detached", timeout=timeout_ms)


async def check(page) -> str | None:
    if await page.locator('[data-testid="stException"]').count():
        return "exception element"
    if await page.get_by_text("The database cannot be reached").count():
        return "database message"
    return None


async def browser_session(number: int, browser, base: str, deadline: float,
                          timeout: float, think_time: tuple[float, float], results: Results,
                          seed: int) -> None:
    from ui.navigation import pages_for

    rng = random.Random(seed + number)
    username, password, role = ACCOUNTS[number % len(ACCOUNTS)]
    slugs = [Path(s.path).stem for s in pages_for(role) if (ROOT / s.path).is_file()]
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(timeout * 1000)
    page = await context.new_page()
    try:
        started = time.monotonic()
        await page.goto(base)
        await wait_finished(page, timeout * 1000, saw_start=500)
        for _attempt in range(3):  # a click landing mid-rerun is lost: try again
            await page.wait_for_function(
                "() => document.querySelectorAll('input[type=password]').length === 1",
                timeout=timeout * 1000)
            await page.get_by_label("Username").fill(username)
            await page.get_by_label("Password", exact=True).fill(password)
            await page.get_by_role("button", name="Sign in").click()
            try:
                await page.get_by_role("button", name="Sign out").wait_for(
                    timeout=timeout * 1000 / 3)
                break
            except Exception:  # noqa: BLE001
                continue
        await wait_finished(page, timeout * 1000, saw_start=500)
        results.sign_ins.append(time.monotonic() - started)
        current = slugs[0]
        for step in range(MAX_STEPS):
            await think(rng, think_time, deadline)
            if time.monotonic() > deadline:
                break
            if step % 2 == 0 or len(slugs) == 1:
                target = rng.choice([s for s in slugs if s != current] or slugs)
                href = base + "/" + ("" if target == slugs[0] else target)
                what = "page"
                t0 = time.monotonic()
                await page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()
                current = target
            else:
                box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Period")
                combo = box.first.get_by_role("combobox")
                for _try in range(3):  # a click may first close something left open
                    await combo.click()
                    if await combo.get_attribute("aria-expanded") == "true":
                        break
                    await page.wait_for_timeout(300)
                options = page.locator('[role="option"]')
                try:
                    await options.first.wait_for(timeout=10_000)
                except Exception:  # noqa: BLE001 - not a page time: skip this step
                    await page.keyboard.press("Escape")
                    continue
                count = await options.count()
                what = "period"
                t0 = time.monotonic()
                await options.nth(rng.randrange(count)).click()
            try:
                await wait_finished(page, timeout * 1000)
                took = time.monotonic() - t0
                problem = await check(page)
            except Exception as exc:  # noqa: BLE001
                took, problem = time.monotonic() - t0, f"timeout/failure: {str(exc)[:120]}"
            name = "" if current == slugs[0] else current
            results.steps.append(Step(time.monotonic(), what, name, took))
            if problem:
                results.errors.append(f"session {number} ({username}) {what} on {current}: "
                                      f"{problem}")
    except Exception as exc:  # noqa: BLE001
        results.errors.append(f"session {number} ({username}) aborted: {str(exc)[:200]}")
    finally:
        await context.close()


async def drive_browser(base: str, sessions: int, duration: float, timeout: float,
                        think_time: tuple[float, float], results: Results, seed: int,
                        browsers: int) -> float:
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        launched = [await playwright.chromium.launch(executable_path=executable,
                                                     args=CHROMIUM_ARGS)
                    for _ in range(browsers)]
        # One visit first (see drive_websocket).
        first = await launched[0].new_page()
        await first.goto(base)
        await wait_finished(first, timeout * 1000, saw_start=500)
        await first.close()
        t0 = time.monotonic()
        deadline = t0 + duration
        await asyncio.gather(*[after_delay(i * 0.5, browser_session(
            i, launched[i % browsers], base, deadline, timeout, think_time, results, seed))
            for i in range(sessions)])
        for browser in launched:
            await browser.close()
    return t0
