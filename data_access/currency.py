"""Grants in local currency (issue 20): the month's rate, the conversion, and what a money
figure says about the rates behind it.

A grant paid in dirham (MAD), Tunisian dinar (TND) or CFA franc (XOF) keeps what was paid
(``assistance.amount_local`` in ``assistance.currency``); ``assistance.amount_eur`` holds
it in the programme's reporting currency (``data_access.lookups.reporting_currency``),
which every figure and cube reads. The rates table ``exchange_rate`` has one rate per
currency and month, in the InforEuro convention the EU reports in: ``rate`` units of the
currency for one unit of the reporting currency (1 EUR = 10.8473 MAD → 10.8473), so

    amount in the reporting currency = amount_local ÷ rate, rounded half up to the cent,

with the rate of the month of the grant's ``rate_date`` (blank: its delivery date, else
its approval date: ``rate_month``). A grant whose rate is missing is a problem of its row
at import (``importing.currency``), never a silent zero; a corrected rate recomputes the
grants of its currency and month (``recompute``) in the writer's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from data_access.models import Assistance, ExchangeRate
from i18n import _

CENT = Decimal("0.01")
Rates = dict[tuple[str, dt.date], Decimal]  # (currency, first day of the month) → rate


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def rate_month(rate_date: dt.date | None, delivered: dt.date | None,
               approved: dt.date | None) -> dt.date | None:
    """The month whose rate converts a grant: of its rate date, else its delivery date,
    else its approval date (None when it has none)."""
    day = rate_date or delivered or approved
    return None if day is None else month_of(_as_date(day))


def convert(amount_local: Decimal, rate: Decimal) -> Decimal:
    """``amount_local`` ÷ ``rate`` (units of the currency per reporting unit), half up to
    the cent."""
    return (Decimal(amount_local) / Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def stored_rates(conn: Connection | Session, currencies: Collection[str] | None = None
                 ) -> Rates:
    """The rates table (a few rows per currency and month), or its rows of ``currencies``."""
    t = ExchangeRate.__table__.c
    stmt = select(t.currency, t.month, t.rate)
    if currencies is not None:
        stmt = stmt.where(t.currency.in_(sorted(currencies)))
    return {(r.currency, month_of(_as_date(r.month))): Decimal(r.rate)
            for r in conn.execute(stmt)}


def affected(conn: Connection, changed: Collection[tuple[str, dt.date]]
             ) -> list[dict[str, Any]]:
    """The assistance rows (id, beneficiary id, local amount, currency, rate month)
    converted at one of the ``changed`` (currency, month) rates."""
    if not changed:
        return []
    a = Assistance.__table__.c
    wanted = set(changed)
    rows = conn.execute(select(a.id, a.beneficiary_id, a.amount_local, a.currency,
                               a.rate_date, a.delivered_date, a.approved_date)
                        .where(a.currency.in_(sorted({c for c, _m in wanted})),
                               a.amount_local.is_not(None)))
    found = []
    for r in rows:
        month = rate_month(r.rate_date, r.delivered_date, r.approved_date)
        if month is not None and (r.currency, month) in wanted:
            found.append({"id": r.id, "beneficiary_id": r.beneficiary_id,
                          "amount_local": r.amount_local, "currency": r.currency,
                          "month": month})
    return found


def recompute(conn: Connection, changed: Collection[tuple[str, dt.date]]) -> int:
    """Convert again, at the rates stored now, every grant converted at one of the
    ``changed`` (currency, month) rates; returns how many rows changed amount."""
    rows = affected(conn, changed)
    if not rows:
        return 0
    rates = stored_rates(conn, {r["currency"] for r in rows})
    a = Assistance.__table__
    current = {r.id: r.amount_eur for r in conn.execute(
        select(a.c.id, a.c.amount_eur).where(a.c.id.in_([r["id"] for r in rows])))}
    updates = []
    for r in rows:
        rate = rates.get((r["currency"], r["month"]))
        if rate is None:
            continue  # a rate is never deleted by the import; nothing to convert with
        amount = convert(r["amount_local"], rate)
        old = current.get(r["id"])
        if old is None or Decimal(old) != amount:
            updates.append({"_id": r["id"], "amount": amount})
    if updates:
        conn.execute(update(a).where(a.c.id == bindparam("_id"))
                     .values(amount_eur=bindparam("amount")), updates)
    return len(updates)


@dataclass(frozen=True)
class RatesUsed:
    """The rates behind a money figure: the currencies converted, the first and last
    month, and the rates' sources."""

    currencies: tuple[str, ...]
    first: dt.date | None
    last: dt.date | None
    sources: tuple[str, ...]

    def note(self, reporting: str) -> str:
        """"Amounts in EUR; MAD, TND, XOF converted at the monthly rates of Jan 2015 to
        Dec 2016 (InforEuro)", or "Amounts in EUR" when nothing was converted."""
        if not self.currencies or self.first is None or self.last is None:
            return _("Amounts in {currency}").format(currency=reporting)
        months = (self.first.strftime("%Y-%m") if self.first == self.last else
                  _("{first} to {last}").format(first=self.first.strftime("%Y-%m"),
                                                last=self.last.strftime("%Y-%m")))
        sources = ", ".join(self.sources) or _("source not given")
        return _("Amounts in {currency}; {currencies} converted at the monthly rates of "
                 "{months} ({sources})").format(currency=reporting,
                                                currencies=", ".join(self.currencies),
                                                months=months, sources=sources)


def rates_used(session: Session, start: dt.date | None = None,
               end: dt.date | None = None, countries: Collection[str] = ()) -> RatesUsed:
    """The rates behind the delivered grants the session's scope sees (delivered in
    [start, end] and of ``countries`` when given): read through the scoped session, so a
    focal point's note names their grants' currencies only."""
    stmt = select(Assistance.currency, Assistance.rate_date, Assistance.delivered_date,
                  Assistance.approved_date).where(Assistance.currency.is_not(None),
                                                  Assistance.amount_local.is_not(None),
                                                  Assistance.delivered_date.is_not(None))
    if start is not None:
        stmt = stmt.where(Assistance.delivered_date >= start)
    if end is not None:
        stmt = stmt.where(Assistance.delivered_date <= end)
    if countries:
        stmt = stmt.where(Assistance.country.in_(sorted(countries)))
    used: set[tuple[str, dt.date]] = set()
    for currency, rate_date, delivered, approved in session.execute(stmt.distinct()):
        month = rate_month(rate_date, delivered, approved)
        if month is not None and currency is not None:
            used.add((currency, month))
    if not used:
        return RatesUsed((), None, None, ())
    t = ExchangeRate
    sources: set[str] = set()
    for currency, month, source in session.execute(
            select(t.currency, t.month, t.source).where(
                t.currency.in_(sorted({c for c, _m in used})))):
        if (currency, month_of(_as_date(month))) in used and source:
            sources.add(source)
    months = [m for _c, m in used]
    return RatesUsed(tuple(sorted({c for c, _m in used})), min(months), max(months),
                     tuple(sorted(sources)))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])

