"""One snapshot per page run (issue 9): the figures of one page come from one committed
state, and a cached figure is never shown once the data has changed.

- Every committed write to a case table advances the data version
  (``analytics_state.version``), a second write while the cells are already stale too.
- The Overview page under AppTest: a write committed in the middle of a page run (between
  two figures) does not show in that run, and the next run shows it everywhere, without
  clearing the cache.
- While another thread imports and deletes a batch in a loop, every run of the Overview
  shows the KPI cards of one state or the other, never a mixture.

On SQLite (WAL) and on PostgreSQL (REPEATABLE READ).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import text

import metrics
from data_access import db
from data_access.scope import Scope
from tests.test_import import CLEAN, do_import, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SIZE = 30


def _batch() -> bytes:
    """``SIZE`` new cases N-…, registered and assisted in April 2015 (inside the span of the
    CLEAN workbook, so the default period stays the same): BEN-1, BEN-2, ASS-1, ASS-2
    and their secondary measures all change together."""
    cases = [f"N-{i:04d}" for i in range(SIZE)]
    return workbook_bytes({
        "beneficiaries": [dict(case_number=c, country=("MA", "SN", "TN")[i % 3],
                               sex="FM"[i % 2], birth_year=1980 + i % 20,
                               return_date="2015-03-20", registration_date="2015-04-02")
                          for i, c in enumerate(cases)],
        "assistance": [dict(case_number=c, modality="individual", kind="business_grant",
                            sector="trade", amount_eur=500 + i, approved_date="2015-04-10",
                            delivered_date="2015-04-20") for i, c in enumerate(cases)],
    })


BATCH = _batch()


def _add(url: str) -> None:
    report = do_import(url, BATCH, "batch.xlsx")
    assert report.ok, report.problems[:3]


def _remove(url: str) -> None:
    """Delete the batch in one transaction (the analytics cells go stale: the pages read
    the case tables until the next refresh)."""
    with db.get_engine(url).begin() as conn:
        ids = "(SELECT id FROM beneficiary WHERE case_number LIKE 'N-%')"
        conn.execute(text(f"DELETE FROM assistance WHERE beneficiary_id IN {ids}"))
        conn.execute(text(f"DELETE FROM beneficiary_vulnerability WHERE beneficiary_id IN {ids}"))
        conn.execute(text("DELETE FROM beneficiary WHERE case_number LIKE 'N-%'"))


def _version(url: str) -> int:
    with db.session(url, Scope.everything()) as session:
        return db.data_version(session)


@pytest.fixture
def url(empty_db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    assert do_import(empty_db_url, workbook_bytes(CLEAN)).ok
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))
    return empty_db_url


def _overview() -> tuple[tuple[str, str], ...]:
    """The Overview's KPI cards (title, value) for a manager, default filters: one run
    (the Overview is a manager's first page)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = "demo-manager"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    cards = tuple((m.label, m.value) for m in at.metric)
    assert len(cards) >= 8, cards
    return cards


def test_every_committed_write_advances_the_data_version(url: str) -> None:
    before = _version(url)
    _add(url)  # the import marks the cells stale, then refreshes them: one commit
    after_import = _version(url)
    assert after_import > before
    _remove(url)
    stale = _version(url)
    assert stale > after_import
    # The cells are already stale: a second write must still give a new version (the old
    # trigger wrote only when the state was clean).
    with db.get_engine(url).begin() as conn:
        conn.execute(text("UPDATE beneficiary SET household_size = 4 WHERE case_number = 'A1'"))
    written = _version(url)
    assert written > stale
    # Reading changes nothing.
    with db.session(url, Scope.everything()) as session:
        assert session.execute(text("SELECT count(*) FROM beneficiary")).scalar() == 3
    assert _version(url) == written


def test_a_write_during_a_page_run_shows_on_the_next_run_only(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _overview()
    _add(url)
    new = _overview()  # the cache is not cleared: the version is in its key
    assert new != old, "the import changed no KPI card: the test cannot tell the states apart"
    changed = [a for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) >= 4, changed  # BEN-1, BEN-2, projects, mean grant at least
    _remove(url)
    assert _overview() == old  # the case tables after a delete: the old figures again

    # Now commit the import between the first and the second figure of one run.
    compute, calls = metrics.compute, []

    def compute_then_import(*args: Any, **kwargs: Any) -> Any:  # Any: passed through
        result = compute(*args, **kwargs)
        calls.append(args[0])
        if len(calls) == 1:
            _add(url)  # another connection, committed before the run's next figure
        return result

    monkeypatch.setattr(metrics, "compute", compute_then_import)
    st.cache_data.clear()  # the run must compute its figures, not find them cached
    during = _overview()
    assert len(calls) > 1, "the run computed one figure only: nothing to mix"
    assert during == old, [(a, b) for a, b in zip(old, during, strict=True) if a != b]
    assert _overview() == new  # the next run: every card from the new state


def test_pages_never_show_a_mixture_while_imports_commit(url: str) -> None:
    old = _overview()
    _add(url)
    new = _overview()
    _remove(url)
    assert old != new
    stop, errors, writes = threading.Event(), [], [0]

    def write() -> None:
        try:
            while not stop.is_set():
                _add(url)
                time.sleep(0.05)
                _remove(url)
                writes[0] += 1
                time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[tuple[tuple[str, str], ...]] = []
    try:
        deadline = time.monotonic() + 90
        while len(seen) < 6 and time.monotonic() < deadline and not errors:
            seen.append(_overview())
    finally:
        stop.set()
        writer.join(120)
    assert not errors, errors
    assert writes[0] >= 2, "the writer hardly ran: the test proved nothing"
    mixtures = [s for s in seen if s not in (old, new)]
    assert not mixtures, (f"{len(mixtures)} of {len(seen)} runs mixed two states, e.g. "
                          f"{mixtures[0]} (old {old}, new {new})")
