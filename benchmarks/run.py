"""The benchmark: every page under AppTest at 10k, 100k and 1M beneficiaries.

For each size and backend it makes (or reuses) a demo database, then, in a child process
per size (so that its peak memory is that size's alone):

- per page: cold run (Streamlit caches emptied), warm rerun (same filters), and rerun
  after a filter change (a country/period combination not seen before: a cache miss),
  each the median of ``--runs`` runs;
- the peak resident memory of that process;
- on a copy of the database: the full rebuild of the analytics tables (what ``demo-data``
  runs), then a real import of a generated file (``benchmarks.import_file``: 250 edited
  cases with all their rows and 250 new ones) through the importer, timing the import and
  its incremental refresh of the analytics tables (inside the import's transaction) apart;
- the naive baseline for the Overview (whole tables read into pandas and grouped there),
  in a child process of its own (it needs a lot of memory), and the ratio to the fast
  Overview's rerun after a filter change.

It prints a table and rewrites docs/benchmarks.md (``--output``), keeping its "## Load"
and "## Faults" sections (the figures of ``python -m benchmarks.load`` and the fault
behaviour, written by hand). SQLite always;
PostgreSQL too with ``--database-url postgresql+psycopg://…/NAME``: the SQLite demo
database of each size is copied (``benchmarks.copy_db``) into a database ``NAME_<size>`` on
that server, made when missing and kept for the next run (reused when it holds that size).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
# Sections of the report written by hand from other runs: a rewrite keeps them.
KEPT_SECTIONS = ("## Load", "## Faults")
TARGETS = {"filter_ms": 300, "warm_ms": 150, "cold_ms": 1000, "rss_mb": 500,
           "refresh_s": 30, "naive_ratio": 50, "postgresql_x": 2}


def parse_sizes(text: str) -> list[str]:
    sizes = [s.strip().lower() for s in text.split(",") if s.strip()]
    for size in sizes:
        if size not in SIZES:
            raise argparse.ArgumentTypeError(f"unknown size {size!r}; use {', '.join(SIZES)}")
    return sizes


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return env


def _child(args: list[str], url: str, timeout: float = 3600) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.worker", *args], cwd=ROOT,
                         env=_env(url), capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare_sqlite(size: str, data_dir: Path) -> str:
    """A demo database of this size: reused when present (bench-data/, or /tmp/bench<size>.db
    made by demo-data), else made with demo-data."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"demo-{size}.db"
    for candidate in (path, Path(f"/tmp/bench{size}.db")):
        if candidate.exists():
            path = candidate
            break
    url = f"sqlite:///{path}"
    _demo(url, SIZES[size])
    return url


def postgresql_database(server_url: str, size: str) -> str:
    """One database per size on the server of ``--database-url`` (``<name>_<size>``, made
    when missing), so that each size's data is kept for the next run."""
    from sqlalchemy import create_engine, text

    parsed = make_url(server_url)
    name = f"{parsed.database}_{size}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          hide_parameters=True)
    try:
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def prepare_postgresql(url: str, size: str, sqlite_url: str) -> None:
    """The PostgreSQL database at ``url`` with this size's demo data: reused when it holds
    that many beneficiaries, else a copy of the SQLite demo database just measured
    (``benchmarks.copy_db``), the same rows and analytics cells: at 1M generating them
    again and rebuilding the cells on PostgreSQL took over 40 minutes here."""
    source = make_url(sqlite_url).database
    info = _child(["copy", str(SIZES[size]), str(source)], url)
    if info.get("loaded"):
        print(f"  copied the SQLite demo database ({SIZES[size]:,} beneficiaries) in "
              f"{info['seconds']:.0f} s", flush=True)


def _demo(url: str, beneficiaries: int) -> None:
    info = _child(["prepare", str(beneficiaries)], url)
    if info.get("loaded"):
        print(f"  made demo data: {beneficiaries:,} beneficiaries in {info['seconds']:.0f} s",
              flush=True)


def machine() -> str:
    cores = os.cpu_count() or 0
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown memory"
    return (f"{cores} cores, {memory}, {platform.system()} {platform.machine()}, Python "
            f"{platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=list(SIZES),
                        help="comma-separated sizes among 10k,100k,1m (default all)")
    parser.add_argument("--runs", type=int, default=5, help="runs per median (default 5)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to measure too: its databases NAME_10k, "
                             "NAME_100k, NAME_1m are made and their data replaced")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data",
                        help="where the SQLite demo databases are cached")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md",
                        help="the Markdown report to rewrite ('-' for none)")
    parser.add_argument("--pages", default="", help="comma-separated page files (default all)")
    args = parser.parse_args(argv)
    started = dt.datetime.now()
    backends = [("sqlite", None)] + ([("postgresql", args.database_url)]
                                     if args.database_url else [])
    results: list[dict] = []
    for size in args.sizes:
        for backend, server in backends:
            print(f"{backend} {size}: preparing", flush=True)
            if backend == "sqlite":
                url = sqlite_url = prepare_sqlite(size, args.data_dir)
            else:
                url = postgresql_database(str(server), size)
                prepare_postgresql(url, size, sqlite_url)
            print(f"{backend} {size}: pages", flush=True)
            pages = _child(["pages", str(args.runs), args.pages], url)
            print(f"{backend} {size}: refresh, naive baseline", flush=True)
            refresh = _child(["refresh"], url)
            naive_runs = max(1, min(args.runs, 3 if SIZES[size] < 1_000_000 else 2))
            naive = _child(["naive", str(naive_runs)], url)
            results.append({"size": size, "backend": backend, **pages,
                            "refresh_s": refresh["refresh_s"], "refresh": refresh,
                            "naive": naive})
    text = report(results, started, args.runs)
    print(text)
    if str(args.output) != "-":
        args.output.parent.mkdir(parents=True, exist_ok=True)
        kept = kept_sections(args.output.read_text() if args.output.exists() else "")
        args.output.write_text(DESIGN + "\n" + text + (f"\n{kept}" if kept else ""))
        print(f"written {args.output}")
    return 0


def kept_sections(previous: str) -> str:
    """The sections of the previous report that a rewrite keeps (``KEPT_SECTIONS``)."""
    blocks = re.split(r"(?m)^(?=## )", previous)
    return "\n".join(b.rstrip() + "\n" for b in blocks if b.startswith(KEPT_SECTIONS))


def refresh_lines(result: dict, at_scale: bool) -> list[str]:
    r = result["refresh"]
    rows, cases = r["rows"], r["cases"].get("beneficiaries", {})
    facts = ", ".join(f"{rows.get(s, 0):,} {s}" for s in ("assistance", "training",
                                                             "followups", "cooperatives"))
    how = ("incrementally, for the cases the file touches" if r["incremental"]
           else "in full (the incremental path was not taken)")
    return [
        f"- refreshing the analytics tables after an import: {r['refresh_s']:,.1f} s"
        f"{_mark(r['refresh_s'], TARGETS['refresh_s']) if at_scale else ''} ({how}), "
        f"inside an import of {r['import_s']:,.1f} s in all (validation and writes "
        f"included); the file: {rows.get('beneficiaries', 0):,} cases "
        f"({cases.get('inserted', 0):,} new, {cases.get('updated', 0):,} with changed case "
        f"details, {cases.get('unchanged', 0):,} with the same) with {facts} rows; run on "
        "a copy of the database",
        f"- full rebuild of the analytics tables (what `demo-data` runs, and an import when "
        f"the tables were stale): {r['full_s']:,.1f} s"]


def _mark(value: float, limit: float, *, above: bool = False) -> str:
    ok = value >= limit if above else value < limit
    return "" if ok else " ✗"


def report(results: list[dict], started: dt.datetime, runs: int) -> str:
    lines = [f"## Figures ({started:%Y-%m-%d %H:%M}, {machine()})", "",
             f"Medians of {runs} runs per cell, milliseconds, Streamlit AppTest in one process "
             "(signed in as an administrator, who sees every page). Cold: Streamlit caches "
             "emptied; warm: the same filters again; filter change: a country/period "
             "combination not asked before (a cache miss). ✗ marks a figure that misses "
             f"its target (filter change < {TARGETS['filter_ms']} ms, warm < "
             f"{TARGETS['warm_ms']} ms, cold < {TARGETS['cold_ms']} ms, peak memory < "
             f"{TARGETS['rss_mb']} MB, refresh < {TARGETS['refresh_s']} s, Overview ≥ "
             f"{TARGETS['naive_ratio']}× the naive baseline; targets apply at 1M).", ""]
    sqlite = {r["size"]: r["pages"] for r in results if r["backend"] == "sqlite"}
    for result in results:
        at_scale = result["size"] == "1m"
        # PostgreSQL: each figure also as a multiple of SQLite's for the same page and size,
        # ✗ past TARGETS["postgresql_x"] at 1M.
        base = sqlite.get(result["size"], {}) if result["backend"] != "sqlite" else {}
        lines.append(f"### {result['backend']}, {result['size']} beneficiaries")
        lines.append("")
        if base:
            lines.append(f"Each figure with its multiple of SQLite's (target within "
                         f"{TARGETS['postgresql_x']:g}× at 1M).")
            lines.append("")
        lines.append("| page | cold | warm | filter change |")
        lines.append("| --- | ---: | ---: | ---: |")
        for page, t in result["pages"].items():
            if page in result.get("errors", {}):
                continue
            cells = []
            for k in ("cold", "warm", "filter"):
                cell = f"{t[k]:,.0f}{_mark(t[k], TARGETS[f'{k}_ms']) if at_scale else ''}"
                if base.get(page, {}).get(k):
                    times = t[k] / base[page][k]
                    cell += (f" ({times:.1f}×"
                             f"{_mark(times, TARGETS['postgresql_x']) if at_scale else ''})")
                cells.append(cell)
            lines.append(f"| {page} | {' | '.join(cells)} |")
        for page, error in result.get("errors", {}).items():
            lines.append(f"| {page} | failed: {error.splitlines()[0][:120]} | | |")
        naive = result["naive"]["ms"]
        overview = result["pages"].get("overview", {}).get("filter", float("nan"))
        ratio = naive / overview if overview else float("nan")
        lines.append("")
        rss = result["rss_mb"]
        lines.append(f"- peak resident memory of the page process: {rss:,.0f} MB"
                     f"{_mark(rss, TARGETS['rss_mb']) if at_scale else ''}")
        lines += refresh_lines(result, at_scale)
        lines.append(f"- naive Overview (whole tables into pandas): {naive:,.0f} ms "
                     f"(peak memory {result['naive']['rss_mb']:,.0f} MB); fast Overview after a "
                     f"filter change: {overview:,.0f} ms; ratio {ratio:,.0f}×"
                     f"{_mark(ratio, TARGETS['naive_ratio'], above=True) if at_scale else ''}")
        lines.append("")
    return "\n".join(lines)


DESIGN = """# Benchmarks

## Design: analytics tables

Every figure on the dashboard is an indicator of `metrics` computed for a filter (countries,
period, granularity) and a breakdown. At a million beneficiaries a query over the case tables
takes seconds, so `analytics/cubes.py` keeps **analytics tables**: the case tables
pre-aggregated into small cubes (`analytics_cell`) keyed by the breakdown values (country,
region, sex, age group, vulnerability, return type, sector/modality/kind) × month, with
roll-ups that drop region, vulnerability or sex/age. An indicator call reads a few hundred to a
few thousand cells instead of a million rows. The cubes are built set-based in SQL (`INSERT …
SELECT … GROUP BY`, window functions for the chains) in one transaction: in full at the end of
`demo-data`, and after an import incrementally, inside the import's transaction
(`analytics/hooks.py`, `analytics/delta.py`): every cell is a sum of
per-beneficiary contributions, so the cells of the beneficiaries the file touches are computed
before and after its writes, and the difference is added to the cubes (the duplicate checks,
which are not such sums, are rebuilt whole). Readers see the old cells or the new ones.
Triggers on the case tables mark the cubes stale on any other write; while stale, and for
anything the cubes cannot answer exactly, `metrics` reads the case tables as before, and the
next import rebuilds the cubes in full. The cells are a CountryScoped ORM model, so the country
scope applies to them like to every case table, and disclosure control runs on the result
exactly as before.

Exactness: event counts and sums are additive over months. Distinct beneficiaries dated by a
first event (BEN-2 by first delivery, COOP-2 by first collective delivery) are one event per
beneficiary, so additive too. Distinct beneficiaries with at least one event in a range
(TRN-1, FUP-1's covered) use the "previous event" trick: each event carries the month of the
same beneficiary's previous qualifying event, and the beneficiaries with an event in [a, b] are
exactly the events in [a, b] whose previous event is before a (or none). The latest visit in a
range (FUP-2/3/4) is the visit whose *next* qualifying visit is after b (or none). Medians
(ASS-3) come from a histogram cube (breakdowns × month × days); FUP-1's due list is keyed by the
month in which first delivery + 182 days falls. `tests/test_analytics_exactness.py` checks that
every indicator, breakdown and granularity gives the same figures through the cubes as from the
case tables, on the hand-worked fixture and on a 100k demo database.

Day-precise ranges: the cubes answer whole months — a range from the first day of a month to
the last day of a month, which every sidebar preset is, and so is the previous period the KPI
deltas compare with (the same number of whole months just before). Any other range (a custom
range, and the previous period of the same number of days behind a custom range's KPI deltas)
is computed from the case tables, exact to the day but at case-table speed. So are
breakdowns the cubes do not keep (region with vulnerability; two assistance breakdowns at once
for distinct counts; FUP-2 and FUP-3 by kind), COOP-1, CAP-1 and CAP-2 (small tables), and
any figure while the cubes are stale. The pipeline funnel, data-quality checks, completeness,
assisted-by-route, host-country and amount-band figures follow the same rule through cubes of
their own (`analytics/figure_cubes.py`); the duplicate checks (pairs, not sums) are rebuilt
whole after every refresh.
"""
