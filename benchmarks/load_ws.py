"""The load test's websocket driver: each session speaks Streamlit's own protocol from this
process (``benchmarks/streamlit_ws.py``), so the machine's CPU goes to the server."""

from __future__ import annotations

import asyncio
import random
import time

from benchmarks.load_sessions import (
    ACCOUNTS,
    MAX_RECONNECTS,
    MAX_STEPS,
    Results,
    Step,
    after_delay,
    think,
)


async def ws_session(number: int, base: str, deadline: float, timeout: float,
                     think_time: tuple[float, float], results: Results, seed: int,
                     cookies: dict[str, str] | None = None) -> None:
    """One user: sign in, then page and filter changes until the deadline. A step that
    times out leaves the socket mid-run: connect again and sign in anew. ``cookies`` go
    with every handshake (behind the proxy: its routing cookie, as a browser keeps it)."""
    from benchmarks.streamlit_ws import ProtocolError, Session

    rng = random.Random(seed + number)
    username = ACCOUNTS[number % len(ACCOUNTS)][0]
    for _attempt in range(MAX_RECONNECTS + 1):
        if time.monotonic() > deadline:
            return
        try:
            async with Session(base, timeout, cookies=cookies) as session:
                await _ws_walk(number, session, deadline, think_time, results, rng)
            return
        except (TimeoutError, ProtocolError, OSError) as exc:
            results.errors.append(f"session {number} ({username}): "
                                  f"{type(exc).__name__} {str(exc)[:160]}")
            await asyncio.sleep(1)


async def _ws_walk(number: int, session, deadline: float,
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
                          seed: int, proxy: str | None = None) -> float:
    """Every session until the deadline, session i on server i mod len(bases) (as a
    proxy with sticky sessions would), or with ``proxy`` every session through that proxy:
    a first visit of its page gets the proxy's routing cookie, which then goes with each of
    the session's handshakes, as a browser's would. Returns when the traffic started
    (monotonic)."""
    from benchmarks.proxy import ROUTE_COOKIE, route_cookie
    from benchmarks.streamlit_ws import Session

    # One visit first: until a session has run app.py, a fresh Streamlit process serves
    # the pages/ folder the old way (see tests/browser/test_faults_browser.py).
    for base in bases:
        async with Session(base, timeout) as first:
            await first.run()
    cookies: list[dict[str, str] | None] = [None] * sessions
    if proxy is not None:
        cookies = [{ROUTE_COOKIE: await asyncio.to_thread(route_cookie, proxy)}
                   for _ in range(sessions)]
    t0 = time.monotonic()
    deadline = t0 + duration
    # Stagger the sign-ins a little, as people arrive.
    await asyncio.gather(*[after_delay(i * 0.5, ws_session(
        i, proxy or bases[i % len(bases)], deadline, timeout, think_time, results, seed,
        cookies[i])) for i in range(sessions)])
    return t0
