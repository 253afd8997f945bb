"""Sidebar look-ups (countries present, data period): exact and scoped, on both backends.

Figures worked out by hand from tests/fixture_db.py: registrations run from 2015-01-01 (b1,
MA) to 2017-01-02 (b18, SN, outside the programme); the last delivery is 2017-01-10 (b17,
SN). Senegal: registered 2015-01-10 (b14) to 2017-01-02; Tunisia: registered 2015-02-15
(b9) to 2016-06-01 (b13), last delivery 2016-07-01 (b13's housing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from data_access import db, lookups
from data_access.scope import Scope
from tests.fixture_db import build_fixture

D = dt.date


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fixture_url(request: pytest.FixtureRequest,
                make_database: Callable[[str, str], str]) -> str:
    """The hand-worked fixture database (tests/fixture_db.py), on both engines."""
    url = make_database(request.param, "fixture_" + request.module.__name__)
    build_fixture(url)
    return url


@pytest.mark.parametrize(("scope", "countries", "period"), [
    (Scope.everything(), ["MA", "SN", "TN"], (D(2015, 1, 1), D(2017, 1, 10))),
    (Scope.for_countries(["SN"]), ["SN"], (D(2015, 1, 10), D(2017, 1, 10))),
    (Scope.for_countries(["TN"], aggregates_only=True), ["TN"],
     (D(2015, 2, 15), D(2016, 7, 1))),
    (Scope.for_countries(["MA", "TN"]), ["MA", "TN"], (D(2015, 1, 1), D(2016, 7, 1))),
    (Scope.for_countries(["FR"]), [], None),  # a country with no data: nothing
])
def test_lookups_are_exact_and_scoped(fixture_url: str, scope: Scope, countries: list[str],
                                      period: tuple[dt.date, dt.date] | None) -> None:
    with db.session(fixture_url, scope) as session:
        assert lookups.countries_present(session) == countries
        assert lookups.data_period(session) == period


def test_lookups_of_an_empty_database(empty_db_url: str) -> None:
    with db.session(empty_db_url, Scope.everything()) as session:
        assert lookups.countries_present(session) == []
        assert lookups.data_period(session) is None


# The case tables a report's "data as of" covers, named here independently of the code.
STAMPED_TABLES = ("beneficiary", "assistance", "cooperative", "training_session",
                  "attendance", "follow_up", "capacity_activity")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stamped_url(request: pytest.FixtureRequest,
                make_database: Callable[[str, str], str]) -> str:
    """The fixture with a different ``updated_at`` on every row (the inserts all get the
    same ``now()``), spread so each table and country has its own latest one."""
    from sqlalchemy import text

    url = make_database(request.param, "stamped_" + request.module.__name__)
    build_fixture(url)
    with db.get_engine(url).begin() as conn:
        for i, table in enumerate(STAMPED_TABLES):
            ids = conn.execute(text(f"SELECT id FROM {table}")).scalars().all()  # noqa: S608
            for row_id in ids:
                stamp = dt.datetime(2026, 1, 1) + dt.timedelta(
                    hours=(row_id * 37 + i * 101) % 997)
                conn.execute(text(f"UPDATE {table} SET updated_at = :t "  # noqa: S608
                                  "WHERE id = :id"), {"t": stamp, "id": row_id})
    return url


def _independent_max(url: str, countries: list[str] | None) -> dt.datetime | None:
    from sqlalchemy import bindparam, text

    latest = []
    with db.get_engine(url).connect() as conn:
        for table in STAMPED_TABLES:
            if countries is None:
                query = text(f"SELECT MAX(updated_at) FROM {table}")  # noqa: S608
                value = conn.execute(query).scalar()
            else:
                query = text(f"SELECT MAX(updated_at) FROM {table} "  # noqa: S608
                             "WHERE country IN :c").bindparams(
                                 bindparam("c", expanding=True))
                value = conn.execute(query, {"c": countries}).scalar()
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            if value is not None:
                latest.append(value)
    return max(latest) if latest else None


@pytest.mark.parametrize(("scope", "countries"), [
    (Scope.everything(), None),
    (Scope.for_countries(["SN"]), ["SN"]),
    (Scope.for_countries(["TN"], aggregates_only=True), ["TN"]),
    (Scope.for_countries(["MA", "TN"]), ["MA", "TN"]),
])
def test_data_as_of_is_the_sql_max_the_scope_can_see(
        stamped_url: str, scope: Scope, countries: list[str] | None) -> None:
    """The report's "data as of" equals a plain SQL ``MAX(updated_at)`` over the case
    tables, restricted by hand to the scope's countries."""
    expected = _independent_max(stamped_url, countries)
    assert expected is not None
    with db.session(stamped_url, scope) as session:
        assert lookups.data_as_of(session) == expected, scope


def test_data_as_of_with_nothing_visible_is_now(stamped_url: str) -> None:
    before = dt.datetime.now().replace(microsecond=0)
    with db.session(stamped_url, Scope.for_countries(["FR"])) as session:
        assert lookups.data_as_of(session) >= before
