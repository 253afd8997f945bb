"""Load test: N concurrent sessions against one dashboard server (issue 9).

    python -m benchmarks.load                        # 20 sessions, 300 s, think 3-10 s, 100k
    python -m benchmarks.load --think 0 --duration 120          # saturated: nobody reads
    python -m benchmarks.load --sessions 5 --duration 60 --db /tmp/load10k.db \
        --beneficiaries 10000
    python -m benchmarks.load --driver browser --sessions 3     # chromium tabs instead

Not part of the test command. It

1. makes the database if the file is missing (``manage.py demo-data --beneficiaries N``);
2. starts ``streamlit run app.py`` on a free port of 127.0.0.1 in demo mode against it;
3. opens N sessions (the six demo accounts in turn, started half a second apart). The
   default driver, ``websocket``, speaks Streamlit's own protocol over the websocket from
   this process (``benchmarks/streamlit_ws.py``), so the machine's CPU goes to the server,
   not to browsers; ``--driver browser`` opens the sessions as tabs of one headless chromium
   (Debian's, through Playwright). Each session signs in with the sign-in form, then until
   the time is up, after a think time (``--think``, seconds, uniform in a range) between
   steps, alternates between opening the next page of its role (every page in a shuffled
   order, then again) and changing a filter (a random Period; with the websocket driver, a
   random set of Countries half of the time);
4. times each step from the click (the ``rerun_script`` message) until the run has
   finished (``script_finished``), and samples the server's RSS (VmRSS, /proc) every 2 s;
5. prints p50/p95/max step time overall and per page, steps, errors, the server's memory
   (at the end of the warm-up, at the end, and its slope over the second half of the run)
   and the CPU the server and the driver used, and stops the server. Traffic goes to
   127.0.0.1 only; every loop is bounded in count and time.

A step is an error when it shows an exception element, the database message or "page not
found", ends otherwise than ``FINISHED_SUCCESSFULLY``, or does not finish within --timeout
seconds (the session then connects again and signs in anew).
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


MAX_RECONNECTS = 20  # per session: a session whose steps keep timing out stops trying


@dataclass
class Step:
    at: float  # time.monotonic() when it finished
    what: str  # "page", "period" or "countries"
    page: str  # the page's URL path ("" for the default page)
    took: float


@dataclass
class Results:
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sign_ins: list[float] = field(default_factory=list)


def parse_think(text: str) -> tuple[float, float]:
    """``"3-10"`` -> (3, 10); ``"0"`` -> (0, 0)."""
    low, _dash, high = text.partition("-")
    bounds = (float(low), float(high or low))
    if not 0 <= bounds[0] <= bounds[1] <= 600:
        raise ValueError(f"think time {text!r}: want A-B seconds with 0 <= A <= B <= 600")
    return bounds


async def think(rng: random.Random, bounds: tuple[float, float], deadline: float) -> None:
    """A user reading the page before the next click (never past the deadline)."""
    wait = min(rng.uniform(*bounds), max(0.0, deadline - time.monotonic()))
    if wait > 0:
        await asyncio.sleep(wait)


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class Sampler(threading.Thread):
    """The servers' RSS, summed, every ``every`` seconds."""

    def __init__(self, pids: list[int], every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.pids, self.every = pids, every
        self.samples: list[tuple[float, float]] = []  # (time.monotonic(), MiB)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.samples) < 100_000:
            self.samples.append((time.monotonic(), sum(rss_mib(p) for p in self.pids)))
            self.stop.wait(self.every)


# --- the websocket driver ----------------------------------------------------------------

async def ws_session(number: int, base: str, deadline: float, timeout: float,
                     think_time: tuple[float, float], results: Results, seed: int) -> None:
    """One user: sign in, then page and filter changes until the deadline. A step that
    times out leaves the socket mid-run: connect again and sign in anew."""
    from benchmarks.streamlit_ws import ProtocolError, Session

    rng = random.Random(seed + number)
    username = ACCOUNTS[number % len(ACCOUNTS)][0]
    for _attempt in range(MAX_RECONNECTS + 1):
        if time.monotonic() > deadline:
            return
        try:
            async with Session(base, timeout) as session:
                await _ws_walk(number, session, deadline, think_time, results, rng)
            return
        except (TimeoutError, ProtocolError, OSError) as exc:
            results.errors.append(f"session {number} ({username}): "
                                  f"{type(exc).__name__} {str(exc)[:160]}")
            await asyncio.sleep(1)


async def _ws_walk(number: int, session, deadline: float,  # type: ignore[no-untyped-def]
                   think_time: tuple[float, float], results: Results,
                   rng: random.Random) -> None:
    username, password, _role = ACCOUNTS[number % len(ACCOUNTS)]
    who = f"session {number} ({username})"
    started = time.monotonic()
    # The page loads (first run); the re-login cookie component answers and the browser
    # reruns the script on the page's own hash: do the same, so that the form's widget ids
    # are those a submit is checked against.
    await session.run()
    run = await session.run()
    fields = (run.widget("text_input", "Username"), run.widget("text_input", "Password"),
              run.widget("button", "Sign in"))
    if None in fields:
        results.errors.append(f"{who}: no sign-in form ({run.problems()})")
        return
    session.set_text(fields[0], username)
    session.set_text(fields[1], password)
    run = await session.run(click=fields[2])
    if run.widget("button", "Sign out") is None:
        results.errors.append(f"{who}: not signed in ({run.problems()})")
        return
    results.sign_ins.append(time.monotonic() - started)
    pages = {page.script_hash: page for page in run.pages}
    current = pages.get(run.page_hash)
    order: list = []
    for step in range(MAX_STEPS):
        await think(rng, think_time, deadline)
        if time.monotonic() > deadline:
            return
        period, countries = run.widget("selectbox", "Period"), \
            run.widget("multiselect", "Countries")
        if step % 2 == 0 and len(pages) > 1 or period is None:
            if not order:  # every page, in a shuffled order, then again
                order = [p for p in pages.values() if p is not current] or list(pages.values())
                rng.shuffle(order)
            if not order:
                results.errors.append(f"{who}: no page to open ({run.problems()})")
                return
            current, what = order.pop(), "page"
        elif countries is not None and len(countries.options) > 1 and rng.random() < 0.5:
            what = "countries"
            session.choose_many(countries, rng.sample(list(countries.options),
                                                      rng.randint(0, len(countries.options))))
        else:
            what = "period"
            session.choose(period, rng.choice([o for o in period.options
                                               if o != "Custom range"]))
        name = current.url_pathname if current is not None else "?"
        t0 = time.monotonic()
        try:
            run = await session.run(page=current if what == "page" else None)
        except TimeoutError:
            results.steps.append(Step(time.monotonic(), what, name, time.monotonic() - t0))
            raise TimeoutError(f"{what} on {name or 'overview'} did not finish") from None
        results.steps.append(Step(time.monotonic(), what, name, run.seconds))
        for problem in run.problems():
            results.errors.append(f"{who} {what} on {name or 'overview'}: {problem}")
        pages = {page.script_hash: page for page in run.pages} or pages


async def drive_websocket(bases: list[str], sessions: int, duration: float,
                          timeout: float, think_time: tuple[float, float], results: Results,
                          seed: int) -> float:
    """Every session until the deadline, session i on server i mod len(bases) (as a
    proxy with sticky sessions would); returns when the traffic started (monotonic)."""
    from benchmarks.streamlit_ws import Session

    # One visit first: until a session has run app.py, a fresh Streamlit process serves
    # the pages/ folder the old way (see tests/browser/test_faults_browser.py).
    for base in bases:
        async with Session(base, timeout) as first:
            await first.run()
    t0 = time.monotonic()
    deadline = t0 + duration
    # Stagger the sign-ins a little, as people arrive.
    await asyncio.gather(*[_after(i * 0.5, ws_session(i, bases[i % len(bases)], deadline,
                                                     timeout, think_time, results, seed))
                           for i in range(sessions)])
    return t0


# --- the browser driver ------------------------------------------------------------------

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


async def browser_session(number: int, browser, base: str, deadline: float,  # type: ignore[no-untyped-def]
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
        await asyncio.gather(*[_after(i * 0.5, browser_session(
            i, launched[i % browsers], base, deadline, timeout, think_time, results, seed))
            for i in range(sessions)])
        for browser in launched:
            await browser.close()
    return t0


async def _after(delay: float, coroutine) -> None:  # type: ignore[no-untyped-def]
    await asyncio.sleep(delay)
    await coroutine


def start_server(url: str, folder: Path, *, profile: bool = False,
                 ) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``streamlit run app.py`` in demo mode on a free port (under the stack sampler of
    benchmarks/sampled_server.py with ``profile``: it writes ``folder/profile.txt``)."""
    port = free_port()
    log = folder / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(DATABASE_URL=url, DEMO_MODE="true", USERS_FILE=str(folder / "users.yaml"),
               PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        entry = [str(ROOT / "benchmarks" / "sampled_server.py"), str(folder / "profile.txt")] \
            if profile else ["-m", "streamlit"]
        proc = subprocess.Popen([sys.executable, *entry, "run", "app.py",
                                 "--server.headless", "true", "--server.port", str(port),
                                 "--server.address", "127.0.0.1",
                                 "--browser.gatherUsageStats", "false",
                                 "--server.fileWatcherType", "none"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(proc, base)
    except SystemExit:
        print(log.read_text()[-2000:], file=sys.stderr)
        raise
    return proc, base, log


def wait_for_health(proc: subprocess.Popen[bytes], base: str, seconds: float = 90) -> None:
    """Until the server answers /_stcore/health (SystemExit if it exits or stays silent)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"streamlit did not answer in {seconds:.0f} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def spread(values: list[float]) -> str:
    return (f"n {len(values)}, p50 {percentile(values, 0.5):.2f} s, "
            f"p95 {percentile(values, 0.95):.2f} s, max {max(values):.2f} s")


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len(points) < 2:
        return float("nan")
    mean_t = statistics.fmean(t for t, _m in points)
    mean_m = statistics.fmean(m for _t, m in points)
    var = sum((t - mean_t) ** 2 for t, _m in points)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in points)
    return cov / var * 60 if var else float("nan")


@dataclass
class Setup:
    """What one load test asked for, and the CPU it used."""

    driver: str
    sessions: int
    duration: float  # seconds of traffic, measured
    warmup: float
    think: tuple[float, float]
    server_cpu: float = float("nan")  # seconds, all servers
    driver_cpu: float = float("nan")
    servers: int = 1


def report(results: Results, samples: list[tuple[float, float]], run: Setup) -> None:
    """Print the figures; step and sample times are seconds since the traffic started."""
    steps = results.steps
    measured = [s for s in steps if s.at >= run.warmup] or steps
    low, high = run.think
    thinking = f"{low:g}-{high:g} s" if high > low else f"{low:g} s"
    print(f"\ndriver {run.driver}, sessions {run.sessions}"
          f"{f' over {run.servers} servers' if run.servers > 1 else ''}, think time {thinking} "
          f"(uniform), {run.duration:.0f} s of traffic, steps {len(steps)} "
          f"({len([s for s in steps if s.at >= run.warmup])} after the "
          f"{run.warmup:.0f} s warm-up, {len(measured) / max(1.0, run.duration - run.warmup):.1f}"
          f" steps/s)")
    if results.sign_ins:
        print(f"sign-in (page load, sign in, first page): median "
              f"{statistics.median(results.sign_ins):.2f} s, max {max(results.sign_ins):.2f} s,"
              f" {len(results.sign_ins)} sign-ins")
    if measured:
        print(f"step time after warm-up: {spread([s.took for s in measured])}")
        for what in ("page", "period", "countries"):
            values = [s.took for s in measured if s.what == what]
            if values:
                print(f"  {what} changes: {spread(values)}")
        print("per page (page and filter changes on it), slowest p95 first:")
        by_page: dict[str, list[float]] = {}
        for step in measured:
            by_page.setdefault(step.page or "overview", []).append(step.took)
        for name, values in sorted(by_page.items(),
                                   key=lambda item: -percentile(item[1], 0.95)):
            print(f"  {name:<16} {spread(values)}")
    print(f"errors: {len(results.errors)}")
    for line in results.errors[:10]:
        print(f"  {line}")
    if samples:
        print(f"server RSS (MiB{', the servers summed' if run.servers > 1 else ''}) over time:")
        every = max(1, len(samples) // 15)
        print("  " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples[::every]))
        after = [(t, m) for t, m in samples if t >= run.warmup] or samples
        second_half = [(t, m) for t, m in samples if t >= run.duration / 2]
        print(f"  at start {samples[0][1]:.0f}, at the end of the warm-up ({after[0][0]:.0f} s)"
              f" {after[0][1]:.0f}, at the end {samples[-1][1]:.0f}, max "
              f"{max(m for _t, m in samples):.0f} MiB; slope over the second half "
              f"{slope_per_minute(second_half):+.1f} MiB/min")
    # A sign-in is three runs (load, the component's rerun, the submit and its rerun).
    runs = len(steps) + 3 * len(results.sign_ins)
    print(f"CPU: server {run.server_cpu:.0f} s ({run.server_cpu / max(1, runs):.2f} s per run, "
          f"{run.server_cpu / max(1.0, run.duration):.2f} cores), driver "
          f"{run.driver_cpu:.1f} s (this process"
          f"{'' if run.driver == 'websocket' else '; chromium not counted'}), over "
          f"{run.duration:.0f} s on {os.cpu_count()} cores; load average at the end "
          f"{os.getloadavg()[0]:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", choices=("websocket", "browser"), default="websocket",
                        help="websocket: Streamlit's protocol from this process (default); "
                             "browser: tabs of a headless chromium")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=300, help="seconds of traffic")
    parser.add_argument("--think", default="3-10",
                        help="seconds between steps, uniform in A-B (default 3-10; 0: none)")
    parser.add_argument("--warmup", type=float, default=60,
                        help="seconds from the start left out of the step percentiles")
    parser.add_argument("--db", type=Path, default=Path("/tmp/load100k.db"))
    parser.add_argument("--beneficiaries", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=60, help="seconds per step")
    parser.add_argument("--servers", type=int, default=1,
                        help="streamlit processes, the sessions spread over them "
                             "(--driver websocket)")
    parser.add_argument("--browsers", type=int, default=1,
                        help="chromium processes (--driver browser)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--profile", action="store_true",
                        help="sample the server's script threads' stacks and print where "
                             "their time goes (benchmarks/sampled_server.py)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100 or not 1 <= args.duration <= 3600 or \
            not 1 <= args.servers <= 8:
        parser.error("--sessions 1..100, --duration 1..3600, --servers 1..8")
    if args.servers > 1 and args.driver == "browser":
        parser.error("--servers is for --driver websocket")
    try:
        think_time = parse_think(args.think)
    except ValueError as exc:
        parser.error(str(exc))
    sys.path.insert(0, str(ROOT))
    url = ensure_database(args.db, args.beneficiaries)
    folder = Path(tempfile.mkdtemp(prefix="rrd-load-"))
    servers = []
    try:
        for number in range(args.servers):  # one after the other: each migrates at start
            (folder / f"server{number}").mkdir()
            servers.append(start_server(url, folder / f"server{number}",
                                        profile=args.profile))
        pids, bases = [p.pid for p, _b, _l in servers], [b for _p, b, _l in servers]
        sampler = Sampler(pids)
        results = Results()
        cpu = (sum(cpu_seconds(p) for p in pids), time.process_time())
        sampler.start()
        if args.driver == "websocket":
            t0 = asyncio.run(drive_websocket(bases, args.sessions, args.duration,
                                             args.timeout, think_time, results, args.seed))
        else:
            t0 = asyncio.run(drive_browser(bases[0], args.sessions, args.duration,
                                           args.timeout, think_time, results, args.seed,
                                           args.browsers))
        run = Setup(args.driver, args.sessions, time.monotonic() - t0, args.warmup, think_time,
                    sum(cpu_seconds(p) for p in pids) - cpu[0],
                    time.process_time() - cpu[1], args.servers)
        sampler.stop.set()
        sampler.join(5)
    finally:
        for proc, _base, _log in servers:
            proc.terminate()
        for proc, _base, _log in servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    for step in results.steps:
        step.at -= t0
    report(results, [(t - t0, m) for t, m in sampler.samples if t >= t0 - 2], run)
    if args.profile:
        print_profile(folder / "server0" / "profile.txt")
    print(f"server logs: {folder}/server*/streamlit.log")
    return 1 if results.errors else 0


def print_profile(path: Path, most: int = 30) -> None:
    """The project's functions by share of the script threads' time, and the top frames."""
    if not path.exists():
        print(f"no profile at {path}")
        return
    lines = path.read_text().splitlines()
    own = lines.index("== self")
    ours = [line for line in lines[2:own]
            if line.split("% ", 1)[1].startswith(("pages/", "ui/", "metrics/", "data_access/",
                                                  "reports/", "app.py"))]
    print(f"where the script threads' time went ({lines[0]}; whole list: {path}):")
    print("  project functions, inclusive:")
    print("\n".join(f"    {line}" for line in ours[:most]))
    print("  on top of the stack (self):")
    print("\n".join(f"    {line}" for line in lines[own + 1:own + 1 + most // 2]))


if __name__ == "__main__":
    sys.exit(main())
