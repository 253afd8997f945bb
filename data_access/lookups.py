"""Small look-ups for filter choices, read through the viewer's scoped session.

Fast at a million beneficiaries without leaving the case tables (so they stay exact and
scoped even while the analytics cubes are stale): every query is an index seek on the
``(country, date)`` indexes of ``beneficiary`` and ``assistance``, never a scan.

- countries present: a "loose index scan" — the smallest country, then the smallest one
  after it, and so on (one seek per country instead of a ``DISTINCT`` over every row);
- the data period: ``MIN``/``MAX`` of the date per country, each answered from the end of
  that country's stretch of the index;
- the data's "as of" (reports, exports, the charts' last month): the latest
  ``updated_at`` per table and country, on the ``(country, updated_at)`` indexes;
- the programme's reporting currency (``reporting_currency``) and a heading naming it
  (``money_label``);
- a donor report's saved narrative rows (``reports.narratives``): the one of a section,
  scope key and period, or the latest earlier non-empty one.

The scope listener adds ``country IN (…)`` to each of these statements like to any other,
so a focal point's look-ups see their countries only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import (
    Assistance,
    Attendance,
    Beneficiary,
    CapacityActivity,
    Cooperative,
    CountryScoped,
    FollowUp,
    ReportNarrative,
    TrainingSession,
)
from i18n import _


def reporting_currency() -> str:
    """The programme's reporting currency (ISO 4217): what ``assistance.amount_eur`` and
    every money figure are in, and what ``exchange_rate`` converts to (issue 20): the
    programme file's ``currency`` (EUR for MoTuSe)."""
    from data_access.programme import programme

    return programme().currency


def money_label(label: str) -> str:
    """A heading of money figures that names the reporting currency: ``money_label(_("Amount"))``
    is "Amount (USD)" / "Montant (USD)". Every money column, axis and band title goes
    through it, so no label says a currency the programme does not report in."""
    return _("{label} ({currency})").format(label=label, currency=reporting_currency())


# A country code is two letters; a guard against a loop that would never end.
MAX_COUNTRIES = 1000


def countries_present(session: Session,
                      model: type[CountryScoped] = Beneficiary) -> list[str]:
    """Countries that have at least one row of ``model`` (a country-scoped table with an
    index led by ``country``; beneficiaries by default) the scope lets the viewer see."""
    found: list[str] = []
    after: str | None = None
    while len(found) < MAX_COUNTRIES:
        query = select(func.min(model.country))
        if after is not None:
            query = query.where(model.country > after)
        after = session.execute(query).scalar()
        if after is None:
            break
        found.append(after)
    return found


def data_period(session: Session) -> tuple[dt.date, dt.date] | None:
    """First registration and last registration or delivery date (None when empty)."""
    firsts: list[dt.date] = []
    lasts: list[dt.date] = []
    for country in countries_present(session):
        # One aggregate per statement: SQLite answers a lone MIN or MAX from the index,
        # but scans for MIN and MAX together.
        for extreme, column, into in ((func.min, Beneficiary.registration_date, firsts),
                                      (func.max, Beneficiary.registration_date, lasts),
                                      (func.max, Assistance.delivered_date, lasts)):
            value = session.execute(select(extreme(column)).where(
                column.class_.country == country)).scalar()
            if value is not None:
                into.append(value)
    if not firsts:
        return None
    return _as_date(min(map(_as_date, firsts))), _as_date(max(map(_as_date, lasts)))


# The case tables whose ``updated_at`` says how recent the data is.
TIMESTAMPED = (Beneficiary, Assistance, Cooperative, TrainingSession, Attendance, FollowUp,
               CapacityActivity)


def data_as_of(session: Session) -> dt.datetime:
    """The latest ``updated_at`` the viewer's scope can see (now, for an empty database).

    Each table's maximum is read from its ``(country, updated_at)`` index (migration 0006)
    with one probe per country (``max(updated_at) WHERE country = c``: a seek to the end
    of that country's part of the index, on SQLite and PostgreSQL alike), the countries
    found by ``countries_present`` on the same index (one seek each; the scope limits them
    like any query). A single query over every country reads the whole index on
    PostgreSQL (~0.2 s per table at 1M).
    """
    latest: list[dt.datetime] = []
    for model in TIMESTAMPED:
        for country in countries_present(session, model):
            value = session.execute(select(func.max(model.updated_at))
                                    .where(model.country == country)).scalar()
            if isinstance(value, str):  # SQLite may hand back text
                value = dt.datetime.fromisoformat(value)
            if value is not None:
                latest.append(value)
    return max(latest) if latest else dt.datetime.now().replace(microsecond=0)


def saved_narrative(session: Session, section: str, key: str, start: dt.date,
                    end: dt.date) -> ReportNarrative | None:
    """The narrative row of ``section`` saved for exactly [start, end] and scope ``key``."""
    return session.execute(select(ReportNarrative).where(
        ReportNarrative.section == section, ReportNarrative.scope_key == key,
        ReportNarrative.period_start == start,
        ReportNarrative.period_end == end)).scalar_one_or_none()


def earlier_narrative(session: Session, section: str, key: str,
                      end: dt.date) -> ReportNarrative | None:
    """The latest non-empty narrative row of ``section`` and scope ``key`` for a period
    ending before ``end`` (the text a new period starts from)."""
    return session.execute(
        select(ReportNarrative).where(
            ReportNarrative.section == section, ReportNarrative.scope_key == key,
            ReportNarrative.period_end < end, ReportNarrative.text != "")
        .order_by(ReportNarrative.period_end.desc(), ReportNarrative.id.desc())
        .limit(1)).scalar_one_or_none()


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
