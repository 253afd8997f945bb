"""Load test: N concurrent browser sessions against one dashboard server (issue 9).

    python -m benchmarks.load                       # 20 sessions, 180 s, 100k beneficiaries
    python -m benchmarks.load --sessions 5 --duration 60 --db /tmp/load10k.db \
        --beneficiaries 10000

Not part of the test command. It

1. makes the database if the file is missing (``manage.py demo-data --beneficiaries N``);
2. starts ``streamlit run app.py`` on a free port of 127.0.0.1 in demo mode against it;
3. opens N sessions in ONE headless chromium (Debian's, through Playwright; one context
   per session): each signs in as a demo account (the six accounts in turn), then until
   the time is up opens a random page of its role from the sidebar and, every other step,
   picks a random Period, timing each step from the click until the run has finished;
4. samples the server's RSS (VmRSS of the process, /proc) every 2 s;
5. prints p50/p95/max step time, steps, errors and memory over time, and stops the
   server. Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.

A step is an error when it shows an exception element, the database message, or does not
finish within --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = [("demo-admin", "admin-demo", "admin"), ("demo-manager", "manager-demo", "manager"),
            ("demo-donor", "donor-demo", "donor"),
            ("demo-focal-ma", "focal-ma-demo", "focal_point"),
            ("demo-focal-tn", "focal-tn-demo", "focal_point"),
            ("demo-focal-sn", "focal-sn-demo", "focal_point")]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-renderer-backgrounding",
                 "--disable-background-timer-throttling",
                 "--disable-backgrounding-occluded-windows"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
STATUS = '[data-testid="stStatusWidget"]'
MAX_STEPS = 10_000  # per session, whatever the duration


@dataclass
class Results:
    times: list[tuple[float, str, float]] = field(default_factory=list)  # (at, what, s)
    errors: list[str] = field(default_factory=list)
    sign_ins: list[float] = field(default_factory=list)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_database(path: Path, beneficiaries: int) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"making {path} with {beneficiaries:,} beneficiaries …", flush=True)
        started = time.monotonic()
        subprocess.run([sys.executable, "manage.py", "demo-data", "--beneficiaries",
                        str(beneficiaries)], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                       check=True, stdout=subprocess.DEVNULL, timeout=3600)
        print(f"  made in {time.monotonic() - started:.0f} s", flush=True)
    return url


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Sampler(threading.Thread):
    def __init__(self, pid: int, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.samples) < 100_000:
            self.samples.append((time.monotonic() - self.t0, rss_mib(self.pid)))
            self.stop.wait(self.every)


async def wait_finished(page, timeout_ms: float, saw_start: float = 3000) -> None:  # type: ignore[no-untyped-def]
    """The run started by the last action has finished (running seen, then not running)."""
    with contextlib.suppress(Exception):  # it may already have finished
        await page.wait_for_selector(RUNNING, timeout=saw_start)
    await page.wait_for_selector(READY, timeout=timeout_ms)
    await page.wait_for_selector(STATUS, state="detached", timeout=timeout_ms)


async def check(page) -> str | None:  # type: ignore[no-untyped-def]
    if await page.locator('[data-testid="stException"]').count():
        return "exception element"
    if await page.get_by_text("The database cannot be reached").count():
        return "database message"
    return None


async def session(number: int, browser, base: str, deadline: float, timeout: float,  # type: ignore[no-untyped-def]
                  results: Results, seed: int) -> None:
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
            if time.monotonic() > deadline:
                break
            if step % 2 == 0 or len(slugs) == 1:
                target = rng.choice([s for s in slugs if s != current] or slugs)
                href = base + "/" + ("" if target == slugs[0] else target)
                what = f"page {target}"
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
                what = f"period on {current}"
                t0 = time.monotonic()
                await options.nth(rng.randrange(count)).click()
            try:
                await wait_finished(page, timeout * 1000)
                took = time.monotonic() - t0
                problem = await check(page)
            except Exception as exc:  # noqa: BLE001
                took, problem = time.monotonic() - t0, f"timeout/failure: {str(exc)[:120]}"
            results.times.append((time.monotonic(), what, took))
            if problem:
                results.errors.append(f"session {number} ({username}) {what}: {problem}")
    except Exception as exc:  # noqa: BLE001
        results.errors.append(f"session {number} ({username}) aborted: {str(exc)[:200]}")
    finally:
        await context.close()


async def drive(base: str, sessions: int, duration: float, timeout: float,
                results: Results, seed: int, browsers: int) -> None:
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        launched = [await playwright.chromium.launch(executable_path=executable,
                                                     args=CHROMIUM_ARGS)
                    for _ in range(browsers)]
        # One visit first: until a session has run app.py, a fresh Streamlit process
        # serves the pages/ folder the old way (see tests/browser/test_faults_browser.py).
        first = await launched[0].new_page()
        await first.goto(base)
        await wait_finished(first, timeout * 1000, saw_start=500)
        await first.close()
        deadline = time.monotonic() + duration
        tasks = []
        for number in range(sessions):
            tasks.append(session(number, launched[number % browsers], base, deadline,
                                 timeout, results, seed))
            await asyncio.sleep(0)
        # Stagger the sign-ins a little, as people arrive.
        await asyncio.gather(*[_after(i * 0.5, t) for i, t in enumerate(tasks)])
        for browser in launched:
            await browser.close()


async def _after(delay: float, coroutine) -> None:  # type: ignore[no-untyped-def]
    await asyncio.sleep(delay)
    await coroutine


def start_server(url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = folder / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(DATABASE_URL=url, DEMO_MODE="true", USERS_FILE=str(folder / "users.yaml"),
               PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                                 "--server.headless", "true", "--server.port", str(port),
                                 "--server.address", "127.0.0.1",
                                 "--server.fileWatcherType", "none"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return proc, base, log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not answer in 90 s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(results: Results, samples: list[tuple[float, float]], sessions: int,
           duration: float, warmup: float, t0: float) -> None:
    steps = [(at - t0, what, took) for at, what, took in results.times]
    measured = [took for at, _w, took in steps if at >= warmup] or [t for _a, _w, t in steps]
    print(f"\nsessions {sessions}, duration {duration:.0f} s, steps {len(steps)} "
          f"({len(measured)} after the {warmup:.0f} s warm-up)")
    if results.sign_ins:
        print(f"sign-in (load + sign in + first page): median "
              f"{statistics.median(results.sign_ins):.2f} s, max {max(results.sign_ins):.2f} s")
    if measured:
        print(f"step time after warm-up: p50 {percentile(measured, 0.5):.2f} s, "
              f"p95 {percentile(measured, 0.95):.2f} s, max {max(measured):.2f} s")
        pages = [t for a, w, t in steps if a >= warmup and w.startswith("page")]
        periods = [t for a, w, t in steps if a >= warmup and w.startswith("period")]
        for name, values in (("page changes", pages), ("period changes", periods)):
            if values:
                print(f"  {name}: n {len(values)}, p50 {percentile(values, 0.5):.2f} s, "
                      f"p95 {percentile(values, 0.95):.2f} s, max {max(values):.2f} s")
    print(f"errors: {len(results.errors)}")
    for line in results.errors[:10]:
        print(f"  {line}")
    if samples:
        print("server RSS (MiB) over time:")
        step = max(1, len(samples) // 15)
        print("  " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples[::step]))
        after = [m for t, m in samples if t >= warmup]
        if after:
            print(f"  after warm-up: first {after[0]:.0f}, last {after[-1]:.0f}, "
                  f"max {max(after):.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=180, help="seconds of browsing")
    parser.add_argument("--warmup", type=float, default=45,
                        help="seconds from the start left out of the step percentiles")
    parser.add_argument("--db", type=Path, default=Path("/tmp/load100k.db"))
    parser.add_argument("--beneficiaries", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=60, help="seconds per step")
    parser.add_argument("--browsers", type=int, default=1, help="chromium processes")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100 or not 1 <= args.duration <= 3600:
        parser.error("--sessions 1..100 and --duration 1..3600")
    sys.path.insert(0, str(ROOT))
    url = ensure_database(args.db, args.beneficiaries)
    folder = Path(tempfile.mkdtemp(prefix="rrd-load-"))
    proc, base, log = start_server(url, folder)
    sampler = Sampler(proc.pid)
    sampler.start()
    results = Results()
    t0 = time.monotonic()
    try:
        asyncio.run(drive(base, args.sessions, args.duration, args.timeout, results,
                          args.seed, args.browsers))
    finally:
        sampler.stop.set()
        sampler.join(5)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    report(results, [(t - (t0 - sampler.t0), m) for t, m in sampler.samples],
           args.sessions, time.monotonic() - t0, args.warmup, t0)
    print(f"server log: {log}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
