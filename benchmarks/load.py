"""Load test: N concurrent sessions against one dashboard server (issue 9).

    python -m benchmarks.load                        # 20 sessions, 300 s, think 3-10 s, 100k
    python -m benchmarks.load --think 0 --duration 120          # saturated: nobody reads
    python -m benchmarks.load --sessions 5 --duration 60 --db /tmp/load10k.db \
        --beneficiaries 10000
    python -m benchmarks.load --driver browser --sessions 3     # chromium tabs instead
    python -m benchmarks.load --postgres --proxy --servers 2 --sessions 40
                                    # the deployment: 2 replicas on PostgreSQL behind nginx

Not part of the test command. It

1. makes the database if the file is missing (``manage.py demo-data --beneficiaries N``);
2. starts ``streamlit run app.py`` on a free port of 127.0.0.1 in demo mode against it
   (``--servers N``: N of them; ``--postgres``: against a throw-away PostgreSQL server
   holding a copy of that database; ``--proxy``: behind deploy/nginx.conf, the
   deployment's proxy with sticky sessions, run by Debian's nginx, the replicas sharing
   the users file and keys as compose.yaml's do);
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load_browser import drive_browser
from benchmarks.load_report import Setup, print_profile, report
from benchmarks.load_server import (
    Sampler,
    cpu_seconds,
    ensure_database,
    postgres_copy,
    replica_settings,
    start_server,
)
from benchmarks.load_sessions import Results, parse_think
from benchmarks.load_ws import drive_websocket
from benchmarks.proxy import Proxy

ROOT = Path(__file__).resolve().parent.parent


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
    parser.add_argument("--postgres", action="store_true",
                        help="serve a copy of --db in a throw-away PostgreSQL server")
    parser.add_argument("--proxy", action="store_true",
                        help="sessions go through deploy/nginx.conf (nginx) to the servers "
                             "(--driver websocket)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--profile", action="store_true",
                        help="sample the server's script threads' stacks and print where "
                             "their time goes (benchmarks/sampled_server.py)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100 or not 1 <= args.duration <= 3600 or \
            not 1 <= args.servers <= 8:
        parser.error("--sessions 1..100, --duration 1..3600, --servers 1..8")
    if (args.servers > 1 or args.proxy) and args.driver == "browser":
        parser.error("--servers and --proxy are for --driver websocket")
    try:
        think_time = parse_think(args.think)
    except ValueError as exc:
        parser.error(str(exc))
    sys.path.insert(0, str(ROOT))
    url = ensure_database(args.db, args.beneficiaries)
    folder = Path(tempfile.mkdtemp(prefix="rrd-load-"))
    servers: list = []
    pg = proxy = None
    shared = replica_settings(folder) if args.proxy else None
    try:
        if args.postgres:
            pg, url = postgres_copy(args.db, folder)
        for number in range(args.servers):  # one after the other: each migrates at start
            (folder / f"server{number}").mkdir()
            servers.append(start_server(url, folder / f"server{number}",
                                        profile=args.profile, settings=shared))
        pids, bases = [p.pid for p, _b, _l in servers], [b for _p, b, _l in servers]
        if args.proxy:
            proxy = Proxy(folder, [b.removeprefix("http://") for b in bases]).start()
        sampler = Sampler(pids)
        results = Results()
        cpu = (sum(cpu_seconds(p) for p in pids), time.process_time())
        sampler.start()
        if args.driver == "websocket":
            t0 = asyncio.run(drive_websocket(bases, args.sessions, args.duration,
                                             args.timeout, think_time, results, args.seed,
                                             proxy.base if proxy else None))
        else:
            t0 = asyncio.run(drive_browser(bases[0], args.sessions, args.duration,
                                           args.timeout, think_time, results, args.seed,
                                           args.browsers))
        run = Setup(args.driver, args.sessions, time.monotonic() - t0, args.warmup, think_time,
                    sum(cpu_seconds(p) for p in pids) - cpu[0],
                    time.process_time() - cpu[1], args.servers)
        sampler.stop.set()
        sampler.join(5)
        routes = proxy.routes() if proxy else {}
    finally:
        if proxy is not None:
            proxy.stop()
        for proc, _base, _log in servers:
            proc.terminate()
        for proc, _base, _log in servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if pg is not None:
            pg.cleanup()
    for step in results.steps:
        step.at -= t0
    print(f"\n{args.servers} server(s) on {'PostgreSQL' if args.postgres else 'SQLite'}"
          f"{', behind deploy/nginx.conf' if args.proxy else ''}")
    report(results, [(t - t0, m) for t, m in sampler.samples if t >= t0 - 2], run)
    if args.proxy:
        print_routes(routes, bases)
    if args.profile:
        print_profile(folder / "server0" / "profile.txt")
    print(f"server logs: {folder}/server*/streamlit.log")
    moved = any(len(upstreams) > 1 for upstreams in routes.values())
    return 1 if results.errors or moved else 0


def print_routes(routes: dict[str, set[str]], bases: list[str]) -> None:
    """Sessions (routing cookies) per replica, from the proxy's access log; a cookie whose
    websockets reached more than one replica broke stickiness."""
    per = {b.removeprefix("http://"): 0 for b in bases}
    for upstreams in routes.values():
        for upstream in upstreams:
            per[upstream] = per.get(upstream, 0) + 1
    moved = sum(1 for upstreams in routes.values() if len(upstreams) > 1)
    print("sessions per replica (proxy log): " +
          ", ".join(f"{address} {count}" for address, count in per.items()) +
          f"; sessions whose websockets reached more than one replica: {moved}")


if __name__ == "__main__":
    sys.exit(main())
