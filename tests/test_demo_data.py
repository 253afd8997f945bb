"""The demo data: calibrated on the published figures, consistent, deterministic, and the
`demo-data` command's handling of a database that already holds data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import text

import demo
from cli import main
from data_access import db
from data_access.scope import Scope
from metrics import compute
from metrics.filters import Filters

FACT_TABLES_WITH_BENEFICIARY = ("assistance", "attendance", "follow_up",
                                "beneficiary_vulnerability")


@pytest.fixture(scope="module")
def default_url(make_database: Callable[[str, str], str]) -> str:
    url = make_database("sqlite", "demo_default")
    demo.load(url, demo.generate(), progress=lambda _: None)
    return url


def _frame(code: str, url: str, countries: tuple[str, ...], by: tuple[str, ...]
           ) -> pd.DataFrame:
    with db.session(url, Scope.everything()) as session:
        return compute(code, session, Filters(countries=countries), by)


def value(code: str, url: str, countries: tuple[str, ...] = ()) -> float:
    """An indicator's total through the metrics functions."""
    return float(_frame(code, url, countries, ())["value"].iloc[0])


def values(code: str, url: str, countries: tuple[str, ...] = (),
           by: tuple[str, ...] = ("country",)) -> dict[str, float]:
    """An indicator per group of one breakdown: {group: number}."""
    df = _frame(code, url, countries, by)
    return {str(k): float(v) for k, v in zip(df[by[0]], df["value"], strict=True)}


def scalar(url: str, sql: str) -> int:
    with db.get_engine(url).connect() as conn:
        return int(conn.execute(text(sql)).scalar_one() or 0)


def test_default_data_lands_on_the_published_figures(default_url: str) -> None:
    assisted = values("BEN-2", default_url)
    assert 310 <= assisted["MA"] <= 340
    assert 60 <= assisted["TN"] <= 80 and 70 <= assisted["SN"] <= 90
    assert value("BEN-2", default_url) > 400
    members = value("COOP-2", default_url, ("MA",))
    assert 115 <= members <= 145
    by_modality = values("BEN-2", default_url, ("MA",), ("modality",))
    # Nobody in Morocco is both an individual and a cooperative beneficiary.
    assert by_modality["individual"] == assisted["MA"] - members
    assert 180 <= by_modality["individual"] <= 210
    assert 135 <= value("TRN-1", default_url, ("MA",)) <= 165
    assert value("BEN-1", default_url) > value("BEN-2", default_url)  # a pipeline exists
    assert scalar(default_url, "SELECT count(DISTINCT host_country) FROM beneficiary") >= 20
    assert value("COOP-1", default_url, ("MA",)) >= 10


def test_a_country_scope_sees_that_country_only(default_url: str) -> None:
    """The scope listener filters on the copied country column of every fact table."""
    with db.session(default_url, Scope.for_countries(["MA"])) as session:
        scoped = {code: float(compute(code, session, Filters())["value"].iloc[0])
                  for code in ("BEN-2", "COOP-2", "TRN-1", "ASS-1")}
    assert scoped == {code: value(code, default_url, ("MA",)) for code in scoped}


DATES = {
    "beneficiary": ("return_date", "registration_date", "counselled_date",
                    "plan_approved_date"),
    "assistance": ("approved_date", "delivered_date"),
    "cooperative": ("registration_date",),
    "training_session": ("session_date",),
    "follow_up": ("visit_date",),
    "capacity_activity": ("activity_date",),
}


@pytest.mark.parametrize(("table", "column"),
                         [(t, c) for t, cols in DATES.items() for c in cols])
def test_dates_lie_within_the_programme_period(default_url: str, table: str,
                                               column: str) -> None:
    outside = scalar(default_url, f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL "
                                  f"AND ({column} < '2015-01-01' OR {column} > '2016-12-31')")
    assert outside == 0


def test_pipeline_dates_increase(default_url: str) -> None:
    assert scalar(default_url, """
        SELECT count(*) FROM beneficiary b WHERE b.registration_date < b.return_date
           OR b.counselled_date < b.registration_date
           OR b.plan_approved_date < b.counselled_date
           OR (b.status = 'registered' AND b.counselled_date IS NOT NULL)
           OR (b.status = 'counselled' AND (b.counselled_date IS NULL
                                             OR b.plan_approved_date IS NOT NULL))
           OR (b.status IN ('plan_approved', 'assisted', 'monitored', 'closed')
               AND b.plan_approved_date IS NULL)
           OR EXISTS (SELECT 1 FROM assistance a WHERE a.beneficiary_id = b.id
                      AND a.delivered_date < b.plan_approved_date)""") == 0
    assert scalar(default_url, """
        SELECT count(*) FROM follow_up f JOIN assistance a ON a.beneficiary_id = f.beneficiary_id
        WHERE f.visit_date < a.delivered_date AND a.status = 'delivered'""") == 0


@pytest.mark.parametrize("table", FACT_TABLES_WITH_BENEFICIARY)
def test_every_fact_row_carries_its_beneficiarys_country(default_url: str, table: str) -> None:
    assert scalar(default_url, f"SELECT count(*) FROM {table}") > 0
    assert scalar(default_url, f"""SELECT count(*) FROM {table} f
        JOIN beneficiary b ON b.id = f.beneficiary_id WHERE f.country != b.country""") == 0


def test_cooperatives_and_sessions_share_their_members_country(default_url: str) -> None:
    assert scalar(default_url, """SELECT count(*) FROM assistance a
        JOIN cooperative c ON c.id = a.cooperative_id WHERE a.country != c.country""") == 0
    assert scalar(default_url, """SELECT count(*) FROM attendance a
        JOIN training_session s ON s.id = a.session_id WHERE a.country != s.country""") == 0


def checksum(url: str) -> str:
    digest = hashlib.sha256()
    with db.get_engine(url).connect() as conn:
        for table in demo.CASE_TABLES:
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_same_seed_gives_the_same_rows_and_another_seed_others(
        default_url: str, make_database: Callable[[str, str], str]) -> None:
    again, other = make_database("sqlite", "again"), make_database("sqlite", "other")
    demo.load(again, demo.generate(seed=2015), progress=lambda _: None)
    demo.load(other, demo.generate(seed=7), progress=lambda _: None)
    assert checksum(again) == checksum(default_url)
    assert checksum(other) != checksum(default_url)


def run_command(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    return main(["demo-data", *args])


def test_size_scales_every_share(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_command(empty_db_url, monkeypatch, "--beneficiaries", "5000") == 0
    registered = values("BEN-1", empty_db_url)
    assert sum(registered.values()) == 5000
    scale = 5000 / demo.DEFAULT_BENEFICIARIES
    assert registered["MA"] == pytest.approx(420 * scale, abs=1)
    assisted = values("BEN-2", empty_db_url)
    assert assisted["MA"] == pytest.approx(325 * scale, abs=2)
    assert value("COOP-2", empty_db_url, ("MA",)) == pytest.approx(130 * scale, abs=2)
    assert value("TRN-1", empty_db_url, ("MA",)) == pytest.approx(150 * scale, abs=2)
    assert scalar(empty_db_url, DUPLICATE_CAPACITY) == 0


# The import matches capacity activities on these four columns: the demo data must be
# importable as exported, so no two activities may share them.
DUPLICATE_CAPACITY = """select count(*) from (select country, activity_date, institution,
    activity from capacity_activity group by 1, 2, 3, 4 having count(*) > 1) d"""


def test_capacity_activities_are_unique_on_the_import_key(default_url: str) -> None:
    assert scalar(default_url, "select count(*) from capacity_activity") > 0
    assert scalar(default_url, DUPLICATE_CAPACITY) == 0


def test_existing_data_is_kept_unless_replaced(
        make_database: Callable[[str, str], str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = make_database("sqlite", "existing")
    assert run_command(url, monkeypatch, "--beneficiaries", "300", "--if-empty") == 0
    first = checksum(url)
    capsys.readouterr()

    assert run_command(url, monkeypatch, "--if-empty") == 0
    assert "nothing done" in capsys.readouterr().out
    assert run_command(url, monkeypatch) == 1
    assert "--replace" in capsys.readouterr().err
    assert checksum(url) == first

    assert run_command(url, monkeypatch, "--replace", "--seed", "1") == 0
    assert scalar(url, "SELECT count(*) FROM beneficiary") == demo.DEFAULT_BENEFICIARIES
    assert checksum(url) != first


def test_distinct_days_ends_when_an_institution_has_used_every_day() -> None:
    # At a million cases the national institutions (no region in their name) have more
    # activities of one kind than the programme has days: the search for a free day must
    # end. Here 3 days and 7 activities of one institution and kind, 2 of another.
    import numpy as np

    from demo.facts import _distinct_days

    names = ["Ministère"] * 7 + ["Commune"] * 2
    activity = np.array(["training"] * 9, dtype=object)
    wanted = np.array([0, 0, 2, 1, 0, 2, 1, 2, 2])
    day, keep = _distinct_days(wanted, names, activity, days=3)
    # Ministère: 0, then 0 → 1, then 2; the 4th and later find every day used.
    assert keep.tolist() == [True, True, True, False, False, False, False, True, True]
    assert day[keep].tolist() == [0, 1, 2, 2, 0]  # Commune: 2, then 2 → wraps to 0
    kept = list(zip(np.array(names)[keep].tolist(), day[keep].tolist(), strict=True))
    assert len(set(kept)) == len(kept)
