"""Child processes of the benchmark (one measurement each; prints one JSON line).

    python -m benchmarks.worker prepare N     demo data of N beneficiaries (if not there)
    python -m benchmarks.worker copy N PATH   PostgreSQL: a copy of the SQLite demo database
                                              PATH of N beneficiaries (if not there)
    python -m benchmarks.worker pages RUNS [PAGES]
    python -m benchmarks.worker refresh     full rebuild, then a real import (on a copy)
    python -m benchmarks.worker naive RUNS

DATABASE_URL names the database.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER = "demo-admin"


def country_sets() -> list[list[str]]:
    """Every country, each one alone, and each pair (the programme file's countries)."""
    from itertools import combinations

    from data_access.programme import programme

    codes = sorted(programme().countries)
    return [[], *([c] for c in codes), *(sorted(p) for p in combinations(codes, 2))]


def _url() -> str:
    return os.environ["DATABASE_URL"]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _holding(beneficiaries: int) -> int | None:
    """The database migrated; None when it holds ``beneficiaries`` already (its analytics
    cells brought up to date, a no-op when current), else how many it holds."""
    from sqlalchemy import func, select

    import metrics  # noqa: F401 - declares the cubes the refresh builds
    from analytics import cubes
    from data_access import db
    from data_access.models import Beneficiary

    url = _url()
    db.upgrade(url)
    with db.get_engine(url).connect() as conn:
        count = conn.execute(select(func.count()).select_from(Beneficiary)).scalar_one()
    if count == beneficiaries:
        cubes.refresh(url)
        return None
    return int(count)


def prepare(beneficiaries: int) -> dict:
    """Demo data of this size, made with ``demo-data``'s generator unless already there."""
    import demo
    count = _holding(beneficiaries)
    if count is None:
        return {"loaded": False}
    started = time.perf_counter()
    if count:
        demo.clear(_url())
    demo.load(_url(), demo.generate(beneficiaries, 2015), progress=lambda _line: None)
    return {"loaded": True, "seconds": time.perf_counter() - started}


def copy(beneficiaries: int, source: str) -> dict:
    """PostgreSQL: reused when it holds ``beneficiaries`` already, else replaced by a copy of
    the SQLite demo database ``source`` of that size (``benchmarks.copy_db``: the same rows
    and current analytics cells, without generating and rebuilding them again)."""
    from benchmarks import copy_db

    if _holding(beneficiaries) is None:
        return {"loaded": False}
    started = time.perf_counter()
    copy_db.copy(source, _url(), progress=lambda _line: None)
    return {"loaded": True, "seconds": time.perf_counter() - started, "copied": True}


def _pages(selected: str) -> list[str]:
    from ui.navigation import pages_for

    wanted = {p.strip() for p in selected.split(",") if p.strip()}
    pages = [p.path for p in pages_for("admin") if (ROOT / p.path).is_file()]
    return [p for p in pages if not wanted or p in wanted or Path(p).stem in wanted]


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = USER
    at.session_state["name"] = USER
    return at


def _timed(at) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(f"page raised: {[e.message for e in at.exception][:3]}")
    return elapsed


def pages(runs: int, selected: str) -> dict:

    from data_access.settings import load_settings
    from ui import filters

    os.environ.setdefault("DEMO_MODE", "true")
    os.environ["USERS_FILE"] = str(Path(tempfile.mkdtemp()) / "users.yaml")
    load_settings.cache_clear()  # read once per process: forget any read before these
    paths = _pages(selected)
    # The period presets of the data, for filter changes never seen before.
    names = [n for n in filters.presets(*_span())]
    combos = [(c, p) for p in names for c in country_sets()]
    combo_iter = iter(combos[1:])
    result: dict[str, dict[str, float]] = {}
    errors: dict[str, str] = {}
    for path in paths:
        try:
            result[Path(path).stem] = _page(path, runs, combo_iter, names)
        except Exception as exc:  # noqa: BLE001 - a broken page is reported, not fatal
            errors[Path(path).stem] = str(exc)[:300]
            nan = float("nan")
            result[Path(path).stem] = {"cold": nan, "warm": nan, "filter": nan}
    return {"pages": result, "rss_mb": _rss_mb(), "errors": errors}


def _page(path: str, runs: int, combo_iter, names) -> dict[str, float]:
    import streamlit as st

    from views import chart_memo
    if True:
        cold, warm, change = [], [], []
        for _ in range(runs):
            at = _app()
            at.run()
            st.cache_data.clear()
            st.cache_resource.clear()
            chart_memo._built.clear()  # the built charts too: a cold run builds every chart
            started = time.perf_counter()
            at.switch_page(path).run()
            cold.append((time.perf_counter() - started) * 1000)
            if at.exception:
                raise RuntimeError(f"{path} raised: {[e.message for e in at.exception][:3]}")
            warm.append(_timed(at))
        for _ in range(runs):
            countries, period = next(combo_iter, (country_sets()[1], names[0]))
            at.session_state["f_countries"] = countries
            at.session_state["f_period"] = period
            change.append(_timed(at))
        return {"cold": statistics.median(cold), "warm": statistics.median(warm),
                "filter": statistics.median(change)}


def _span():
    from data_access import db, lookups
    from data_access.scope import Scope
    from metrics.filters import programme_end, programme_start

    with db.session(_url(), Scope.everything()) as session:
        return lookups.data_period(session) or (programme_start(), programme_end())


IMPORT_EXISTING, IMPORT_NEW = 250, 250  # cases in the benchmark's import file


def refresh() -> dict:
    """On a COPY of the size's database (never the cached demo database): the full rebuild
    of the analytics tables (what ``demo-data`` runs), then a real import of a generated
    file (``benchmarks.import_file``: IMPORT_EXISTING existing cases with one edit each
    and all their rows, IMPORT_NEW new cases with theirs, two cooperatives changed) through
    the importer, timing the whole import and its refresh hooks (the incremental refresh:
    ``analytics.hooks.before_import`` + ``after_import``) apart."""
    import metrics  # noqa: F401 - declares the cubes the refresh builds
    from analytics import cubes, hooks
    from benchmarks import import_file
    from data_access import db
    from data_access.scope import Scope
    from importing import Source, run_import

    work = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    url, drop = _copy(_url(), work)
    try:
        db.upgrade(url)
        started = time.perf_counter()
        cubes.refresh(url, force=True)
        full = time.perf_counter() - started
        path = work / "import.xlsx"
        rows = import_file.make(url, path, existing=IMPORT_EXISTING, new=IMPORT_NEW)
        spent = {"before": 0.0, "after": 0.0, "incremental": False}
        before_import, after_import = hooks.before_import, hooks.after_import

        def timed_before(session, touched):
            t = time.perf_counter()
            try:
                pending = before_import(session, touched)
            finally:
                spent["before"] = time.perf_counter() - t
            spent["incremental"] = pending is not None
            return pending

        def timed_after(session, pending=None):
            t = time.perf_counter()
            try:
                return after_import(session, pending)
            finally:
                spent["after"] = time.perf_counter() - t

        hooks.before_import, hooks.after_import = timed_before, timed_after
        started = time.perf_counter()
        report = run_import(url, Source.from_path(path), Scope.everything(),
                            username="benchmark")
        seconds = time.perf_counter() - started
        if not report.ok:
            raise RuntimeError(f"the benchmark's import file was refused: "
                               f"{[p.as_dict() for p in report.problems[:5]]}")
        db.dispose_engine(url)
    finally:
        drop()
    return {"full_s": full, "import_s": seconds,
            "refresh_s": spent["before"] + spent["after"],
            "incremental": spent["incremental"], "rows": rows,
            "cases": {sheet: {k: v for k, v in c.items() if k != "rejected"}
                      for sheet, c in report.counts.items() if any(c.values())},
            "rss_mb": _rss_mb()}


def _copy(url: str, work: Path):
    """A copy of the database at ``url``: (its URL, a function that removes it)."""
    import shutil
    import sqlite3

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = work / "copy.db"
        source = sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        source.backup(copy)  # consistent, WAL included
        copy.close()
        source.close()
        return f"sqlite:///{target}", lambda: shutil.rmtree(work, ignore_errors=True)
    name = f"{parsed.database}_refresh_copy"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          hide_parameters=True)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))

    def drop() -> None:
        from data_access import db

        db.dispose_engine(copy_url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)

    copy_url = parsed.set(database=name).render_as_string(hide_password=False)
    return copy_url, drop


def naive(runs: int) -> dict:
    """The Overview's figures the common Streamlit way: read the tables, group in pandas."""
    from benchmarks.naive import overview

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        overview(_url())
        times.append((time.perf_counter() - started) * 1000)
    return {"ms": statistics.median(times), "rss_mb": _rss_mb()}


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    if command == "prepare":
        out = prepare(int(rest[0]))
    elif command == "copy":
        out = copy(int(rest[0]), rest[1])
    elif command == "pages":
        out = pages(int(rest[0]), rest[1] if len(rest) > 1 else "")
    elif command == "refresh":
        out = refresh()
    elif command == "naive":
        out = naive(int(rest[0]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
