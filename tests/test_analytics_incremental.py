"""The incremental refresh after an import (analytics.delta) is exact: after
importing files that add beneficiaries, change existing ones (sex, region, dates,
vulnerabilities, country), add and change assistance, attendances and follow-ups, change a
cooperative and move attendances to other session dates, the cells equal those of a full
rebuild and every figure through the cubes equals the case-table figure; a refused or
rolled-back import leaves the cells as they were; stale cells, or a file touching more
than a third of the beneficiaries, fall back to the full rebuild. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

import demo
from analytics import cubes, delta, hooks, sql
from benchmarks import import_file
from data_access import db
from data_access.models import AnalyticsState, Base, Beneficiary
from data_access.scope import Scope
from tests.fixture_db import build_fixture
from tests.test_analytics_exactness import RANGES, compare_all, compare_figures
from tests.test_import import EN, do_import, workbook_bytes

D = dt.date
Cells = dict[tuple[Any, ...], tuple[float, ...]]


# --- helpers ---------------------------------------------------------------------------

def _read_cells(conn: Any) -> Cells:
    """analytics_cell as {key: measures}: NULL sums as 0 and cells whose measures are all
    zero left out (readers see no difference; see analytics_delta's docstring)."""
    columns = [sql.CELL.c[k] for k in (*delta.KEY, *delta.MEASURES)]
    cells: Cells = {}
    width = len(delta.KEY)
    for row in conn.execute(select(*columns)):
        key, measures = tuple(row[:width]), tuple(float(v or 0) for v in row[width:])
        if all(abs(v) <= 1e-9 for v in measures):
            continue
        assert key not in cells, f"two cells with the key {key}"
        cells[key] = measures
    return cells


def cells(url: str) -> Cells:
    with db.get_engine(url).connect() as conn:
        return _read_cells(conn)


def rebuilt_cells(url: str) -> Cells:
    """The cells a full rebuild gives now (rolled back: the database keeps its cells)."""
    weights, threshold = cubes.current_settings()
    with db.get_engine(url).connect() as conn, conn.begin() as transaction:
        cubes.build(conn, weights, threshold)
        rebuilt = _read_cells(conn)
        transaction.rollback()
    return rebuilt


def assert_same_cells(got: Cells, want: Cells) -> None:
    missing, extra = set(want) - set(got), set(got) - set(want)
    assert not missing and not extra, (
        f"{len(missing)} cells missing, e.g. {sorted(missing, key=str)[:3]}; {len(extra)} "
        f"too many, e.g. {sorted(extra, key=str)[:3]}")
    wrong = [(k, got[k], want[k]) for k in want
             if not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                        for a, b in zip(got[k], want[k], strict=True))]
    assert not wrong, f"{len(wrong)} cells differ, e.g. {wrong[:3]}"


def state(url: str) -> tuple[int, str | None]:
    with db.get_engine(url).connect() as conn:
        row = conn.execute(select(AnalyticsState.dirty, AnalyticsState.settings)).one()
    return row.dirty, row.settings


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records which refresh each import ran: "incremental" or "full"."""
    seen: list[str] = []
    before = hooks.before_import

    def spy(session: Any, touched: hooks.Touched) -> Any:
        pending = before(session, touched)
        seen.append("incremental" if pending is not None else "full")
        return pending

    monkeypatch.setattr(hooks, "before_import", spy)
    return seen


def current(url: str, cases: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The template rows of these cases as they are in the database (to edit and re-send:
    a column the file has replaces the stored value, so a row carries every column)."""
    with db.session(url, Scope.everything()) as session:
        ids = list(session.scalars(select(Beneficiary.id)
                                   .where(Beneficiary.case_number.in_(cases))))
        rows = import_file._rows(session, ids)
    return {sheet: [dict(zip(EN[sheet], import_file.template_order(sheet, r), strict=True))
                    for bid in ids
                    for r in rows[sheet][bid]]
            for sheet in ("beneficiaries", "assistance", "training", "followups")}


def imported(url: str, data: dict[str, list[dict[str, Any]]]) -> None:
    report = do_import(url, workbook_bytes(data))
    assert report.ok, [p.as_dict() for p in report.problems]


# --- the fixture, file after file ---------------------------------------------------------

NEW_CASES: dict[str, list[dict[str, Any]]] = {
    "beneficiaries": [
        dict(case_number="NEW-001", country="MA", region="MA-05", sex="F", birth_year=1991,
             return_date="2015-05-02", registration_date="2015-05-20",
             vulnerabilities="medical;disability", return_type="assisted"),
        dict(case_number="NEW-002", country="SN", region="SN-TH", sex="M", birth_year=2000,
             return_date="2015-11-10", registration_date="2016-01-04"),
        dict(case_number="NEW-003", country="TN", sex="M", return_date="2016-02-01",
             registration_date="2016-02-01", return_type="spontaneous"),
    ],
    "assistance": [
        dict(case_number="NEW-001", modality="individual", kind="business_grant",
             sector="trade", amount_eur=900, approved_date="2015-07-01",
             delivered_date="2015-08-01"),
        dict(case_number="NEW-001", modality="individual", kind="medical",
             delivered_date="2015-06-15"),
        dict(case_number="NEW-002", modality="collective", kind="business_grant",
             sector="livestock", amount_eur=950, delivered_date="2016-01-01",
             cooperative="GIE Thiès Élevage"),
        dict(case_number="NEW-003", modality="individual", kind="business_grant",
             sector="services", amount_eur=1200, approved_date="2016-03-01"),
    ],
    "training": [
        dict(case_number="NEW-001", kind="business_management", session_date="2015-04-01",
             provider="Provider 1", completed="yes"),
        dict(case_number="NEW-001", kind="personal_development", session_date="2015-09-15",
             provider="New provider", completed="no"),
        dict(case_number="NEW-002", kind="business_management", session_date="2016-02-29",
             provider="Provider 4", completed="yes"),
    ],
    "followups": [
        dict(case_number="NEW-001", visit_date="2016-02-10", business_operating="yes",
             jobs_created=2, score_economic=0.75, score_social=0.5, score_psychosocial=1.0),
        dict(case_number="NEW-001", visit_date="2016-09-01", business_operating="no",
             jobs_created=0),
        dict(case_number="NEW-002", visit_date="2016-07-05", business_operating="yes",
             jobs_created=1, score_economic=0.25, score_social=0.25, score_psychosocial=0.5),
    ],
}


def _changed_cases(url: str) -> dict[str, list[dict[str, Any]]]:
    data = current(url, ["MA-003", "MA-005", "TN-010", "SN-014", "TN-011"])
    by_case = {r["case_number"]: r for r in data["beneficiaries"]}
    by_case["MA-003"].update(sex="F", region="MA-06")  # sex and region
    by_case["MA-005"].update(return_date=D(2015, 1, 15), registration_date=D(2015, 6, 2))
    by_case["TN-010"].update(vulnerabilities="medical;elderly")  # vulnerabilities
    by_case["SN-014"].update(birth_year=1960, birth_date=None)  # age group
    # another country: a new MA case TN-011 (numbers are unique per country), its facts
    # (their country column says TN) stay with the TN case
    by_case["TN-011"].update(country="MA", region=None)
    return data


def _changed_facts(url: str) -> dict[str, list[dict[str, Any]]]:
    data = current(url, ["MA-001", "MA-002", "TN-009", "SN-015", "MA-008"])
    grant = next(r for r in data["assistance"] if r["case_number"] == "MA-001"
                 and r["kind"] == "business_grant")
    grant.update(amount_eur=2100, delivered_date=D(2015, 2, 27),  # a new first delivery
                 approved_date=D(2015, 2, 2))
    data["assistance"].append(dict(case_number="TN-009", modality="collective",
                                   kind="business_grant", sector="trade", amount_eur=300,
                                   delivered_date=D(2016, 6, 1),
                                   cooperative="Coopérative Ariana"))
    for row in data["training"]:
        if row["case_number"] == "MA-002":
            row["completed"] = "no" if row["completed"] == "yes" else "yes"
    data["followups"].append(dict(case_number="SN-015", visit_date=D(2016, 9, 1),
                                  business_operating="no", jobs_created=0,
                                  score_economic=0.5, score_social=0.5,
                                  score_psychosocial=0.25))
    for row in data["followups"]:
        if row["case_number"] == "MA-002" and row["visit_date"] == D(2015, 10, 1):
            row.update(business_operating="yes", jobs_created=3)
    for row in data["assistance"]:
        if row["case_number"] == "MA-008":
            row.update(status="cancelled", delivered_date=None)
    return data


def _cooperative_and_sessions(url: str) -> dict[str, list[dict[str, Any]]]:
    data = current(url, ["MA-004", "TN-011", "SN-016"])
    data["cooperatives"] = [dict(name="Coopérative Atlas", country="MA", region="MA-06",
                                 sector="trade", partner="New partner",
                                 registration_date=D(2015, 7, 1), status="dissolved")]
    # MA-004 attended business_management on 2015-04-01: now also on 2015-05-01 (another
    # session); TN-011 (TN's, and since the last file MA's too) its job search on another
    # date.
    data["training"].append(dict(case_number="MA-004", kind="business_management",
                                 session_date=D(2015, 5, 1), provider="Provider 1",
                                 completed="yes"))
    for row in data["training"]:
        if row["case_number"] == "TN-011":
            row["session_date"] = D(2015, 10, 30)
        if row["case_number"] == "SN-016":  # the same date, another provider
            row["provider"] = "Another provider"
    return data


FILES: dict[str, Callable[[str], dict[str, list[dict[str, Any]]]]] = {
    "new cases": lambda _url: NEW_CASES,
    "changed cases": _changed_cases,
    "changed facts": _changed_facts,
    "cooperative and sessions": _cooperative_and_sessions,
}


@pytest.fixture
def fixture_url(backend: str, make_database: Callable[[str, str], str],
                monkeypatch: pytest.MonkeyPatch) -> str:
    url = make_database(backend, "incremental")
    build_fixture(url)
    if backend == "postgresql":  # the fixture sets ids: the sequences follow them
        with db.get_engine(url).begin() as conn:
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key and \
                        table.c.id.type.python_type is int:  # (login_session's id is text)
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)")
    cubes.refresh(url)
    # The fixture has 18 returnees: any file is more than a third of them.
    monkeypatch.setattr(delta, "SHARE", 1.0)
    return url


def test_incremental_refresh_equals_full_rebuild(fixture_url: str, paths: list[str]) -> None:
    url = fixture_url
    for name, make in FILES.items():
        imported(url, make(url))
        assert paths[-1] == "incremental", name
        assert state(url)[0] == 0, f"{name}: the cells are not marked fresh"
        assert_same_cells(cells(url), rebuilt_cells(url))
    assert len(paths) == len(FILES)
    # The key sums (issue 14) are among the measures compared, and the cells hold them.
    assert set(sql.KEY_SUMS) <= set(delta.MEASURES)
    position = delta.MEASURES.index("k")
    assert sum(1 for measures in cells(url).values() if measures[position]) > 100
    # Every figure through the cubes (which are the incremental ones) equals the case tables.
    assert compare_all(url, RANGES) > 300
    assert compare_figures(url, RANGES[:1], [()]) > 0


def test_same_file_again_changes_no_cell(fixture_url: str, paths: list[str]) -> None:
    imported(fixture_url, NEW_CASES)
    before = cells(fixture_url)
    imported(fixture_url, NEW_CASES)
    assert paths == ["incremental", "incremental"]
    assert cells(fixture_url) == before
    assert state(fixture_url)[0] == 0


def test_refused_file_leaves_the_cells(fixture_url: str, paths: list[str]) -> None:
    before, fresh = cells(fixture_url), state(fixture_url)
    bad = {**NEW_CASES, "beneficiaries": [*NEW_CASES["beneficiaries"],
                                          dict(case_number="NEW-009", country="Atlantis",
                                               sex="F", return_date="2015-01-01",
                                               registration_date="2015-01-02")]}
    report = do_import(fixture_url, workbook_bytes(bad))
    assert not report.ok
    assert paths == []  # refused before any refresh began
    assert cells(fixture_url) == before and state(fixture_url) == fresh


def test_rolled_back_import_leaves_the_cells(fixture_url: str, paths: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import importing as importing

    before, fresh = cells(fixture_url), state(fixture_url)
    real_apply = importing.apply

    def failing_apply(*args: Any, **kwargs: Any) -> Any:
        real_apply(*args, **kwargs)  # every row written, then the database refuses
        raise DBAPIError("INSERT …", {}, Exception("disk full"))

    monkeypatch.setattr(importing, "apply", failing_apply)
    report = do_import(fixture_url, workbook_bytes(NEW_CASES))
    assert not report.ok and paths == ["incremental"]
    assert cells(fixture_url) == before and state(fixture_url) == fresh

    # The refresh after the merge fails: the import and the cells roll back together.
    monkeypatch.setattr(importing, "apply", real_apply)

    def failing_whole(conn: Any) -> None:
        raise DBAPIError("INSERT …", {}, Exception("disk full"))

    real_whole = delta.rebuild_whole_figures
    monkeypatch.setattr(delta, "rebuild_whole_figures", failing_whole)
    assert not do_import(fixture_url, workbook_bytes(NEW_CASES)).ok
    assert paths == ["incremental", "incremental"]
    assert cells(fixture_url) == before and state(fixture_url) == fresh

    # Nothing is left over: the next import is incremental and exact.
    monkeypatch.setattr(delta, "rebuild_whole_figures", real_whole)
    imported(fixture_url, NEW_CASES)
    assert paths[-1] == "incremental"
    assert_same_cells(cells(fixture_url), rebuilt_cells(fixture_url))


def test_stale_cells_fall_back_to_the_full_rebuild(fixture_url: str,
                                                   paths: list[str]) -> None:
    with db.get_engine(fixture_url).begin() as conn:  # a write outside the importer
        conn.execute(update(Beneficiary.__table__).where(Beneficiary.id == 7)
                     .values(region="MA-05"))
    assert state(fixture_url)[0] == 1
    imported(fixture_url, NEW_CASES)
    assert paths == ["full"]
    assert state(fixture_url)[0] == 0
    assert_same_cells(cells(fixture_url), rebuilt_cells(fixture_url))


def test_other_settings_fall_back_to_the_full_rebuild(fixture_url: str, paths: list[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cubes, "current_settings", lambda: ((2.0, 1.0, 1.0), 0.6))
    imported(fixture_url, NEW_CASES)
    assert paths == ["full"]
    assert state(fixture_url) == (0, cubes.settings_key((2.0, 1.0, 1.0), 0.6))


def test_a_large_file_falls_back_to_the_full_rebuild(fixture_url: str, paths: list[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delta, "SHARE", 1 / 3)
    imported(fixture_url, _changed_cases(fixture_url))  # 5 of 18: incremental
    eight = current(fixture_url, [f"MA-{i:03d}" for i in range(1, 9)])
    eight["beneficiaries"][0]["sex"] = "F"
    imported(fixture_url, eight)
    assert paths == ["incremental", "full"]  # 8 of 18: more than a third
    assert_same_cells(cells(fixture_url), rebuilt_cells(fixture_url))


# --- a generated file on demo data ----------------------------------------------------------

@pytest.fixture
def demo_url(backend: str, make_database: Callable[[str, str], str]) -> Iterator[str]:
    url = make_database(backend, "incremental_demo")
    demo.load(url, demo.generate(2_000, 2016), progress=lambda _line: None)
    yield url


def test_generated_file_on_demo_data(demo_url: str, paths: list[str], tmp_path: Any) -> None:
    """The benchmark's file (benchmarks.import_file: 100 edited cases with all their rows,
    100 new ones, two cooperatives changed) on 2,000 demo returnees."""
    path = tmp_path / "import.xlsx"
    summary = import_file.make(demo_url, path, existing=100, new=100, seed=7,
                               today=D(2020, 1, 1))  # do_import's today
    assert summary["new_cases"] == 100 and summary["cooperatives"] == 2
    report = do_import(demo_url, path.read_bytes())
    assert report.ok, [p.as_dict() for p in report.problems[:5]]
    assert report.counts["beneficiaries"]["inserted"] == 100
    assert report.counts["beneficiaries"]["updated"] > 30
    assert paths == ["incremental"]
    assert_same_cells(cells(demo_url), rebuilt_cells(demo_url))
    assert compare_all(demo_url, RANGES[:1]) > 100
