"""Period keys, labels and bounds, and the comparison periods of a filter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Date, literal, select

from data_access import db
from metrics import Filters, periods
from metrics.dates import days_between

D = dt.date
GRANULARITIES = ("month", "quarter", "year")


@pytest.mark.parametrize(("day", "granularity", "label", "first", "last"), [
    (D(2016, 2, 29), "month", "2016-02", D(2016, 2, 1), D(2016, 2, 29)),
    (D(2015, 3, 31), "quarter", "2015Q1", D(2015, 1, 1), D(2015, 3, 31)),
    (D(2015, 4, 1), "quarter", "2015Q2", D(2015, 4, 1), D(2015, 6, 30)),
    (D(2016, 12, 31), "quarter", "2016Q4", D(2016, 10, 1), D(2016, 12, 31)),
    (D(2016, 7, 1), "year", "2016", D(2016, 1, 1), D(2016, 12, 31)),
])
def test_key_label_bounds(day: dt.date, granularity: str, label: str, first: dt.date,
                          last: dt.date) -> None:
    key = periods.key_of(day, granularity)  # type: ignore[arg-type]
    assert periods.label(key, granularity) == label  # type: ignore[arg-type]
    assert periods.bounds(key, granularity) == (first, last)  # type: ignore[arg-type]


@given(st.dates(D(2000, 1, 1), D(2040, 12, 31)), st.sampled_from(GRANULARITIES))
def test_every_day_lies_within_its_period(day: dt.date, granularity: str) -> None:
    first, last = periods.bounds(periods.key_of(day, granularity), granularity)  # type: ignore[arg-type]
    assert first <= day <= last


def test_keys_between_covers_partial_periods() -> None:
    assert periods.keys_between(D(2015, 2, 15), D(2015, 7, 1), "quarter") == [
        20151, 20152, 20153]


def test_previous_period_has_the_same_length() -> None:
    h1 = Filters(D(2016, 1, 1), D(2016, 6, 30))
    assert (h1.previous().start, h1.previous().end) == (D(2015, 7, 3), D(2015, 12, 31))
    assert h1.previous().days == h1.days == 182


def test_year_earlier_of_29_february() -> None:
    leap = Filters(D(2016, 2, 29), D(2016, 2, 29))
    assert (leap.year_earlier().start, leap.year_earlier().end) == (
        D(2015, 2, 28), D(2015, 2, 28))


@pytest.fixture
def connection(backend: str, make_database) -> Iterator:  # type: ignore[no-untyped-def]
    with db.get_engine(make_database(backend, "periods")).connect() as conn:
        yield conn


@pytest.mark.parametrize(("day", "granularity", "key"), [
    (D(2016, 2, 29), "month", 201602), (D(2015, 3, 31), "quarter", 20151),
    (D(2015, 4, 1), "quarter", 20152), (D(2016, 12, 31), "year", 2016)])
def test_sql_period_key_matches_python(connection, day: dt.date, granularity: str,  # type: ignore[no-untyped-def]
                                       key: int) -> None:
    value = connection.execute(select(periods.period_key(
        literal(day, Date()), granularity))).scalar_one()  # type: ignore[arg-type]
    assert value == key == periods.key_of(day, granularity)  # type: ignore[arg-type]


@pytest.mark.parametrize(("start", "end", "days"), [
    (D(2016, 2, 29), D(2016, 8, 29), 182), (D(2015, 12, 31), D(2016, 12, 31), 366),
    (D(2015, 6, 30), D(2015, 12, 28), 181), (D(2015, 3, 1), D(2015, 1, 5), -55)])
def test_days_between_on_both_backends(connection, start: dt.date, end: dt.date,  # type: ignore[no-untyped-def]
                                       days: int) -> None:
    got = connection.execute(select(days_between(literal(start, Date()),
                                                 literal(end, Date())))).scalar_one()
    assert got == days == (end - start).days
