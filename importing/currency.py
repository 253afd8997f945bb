"""Grants in local currency at import (issue 20): the ``exchange_rates`` sheet's checks,
the conversion of every assistance row's ``amount_local`` at its month's rate (the file's
rates, else the stored ones), and the rates a file changes.

A row whose rate is missing is a problem of that row (sheet, row, column, a sentence),
so the file is refused and nothing is written: never a silent zero. The conversion is
``data_access.currency.convert``; the amount it gives is put in the row's ``amount_eur``,
which ``apply`` writes like any other cell.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Connection

from data_access.currency import Rates, affected, convert, rate_month, stored_rates
from data_access.lookups import reporting_currency
from data_access.scope import Scope
from i18n import _
from importing.parsed import Collector, Table


def file_rates(table: Table) -> Rates:
    at = table.at
    return {(r[at["currency"]], r[at["month"]]): r[at["rate"]] for r in table.valid_rows()
            if r[at["currency"]] is not None and r[at["month"]] is not None}


def changed_rates(conn: Connection, table: Table) -> set[tuple[str, dt.date]]:
    """The (currency, month) rates of the file that are new or differ from the stored
    ones: the grants converted at them are converted again."""
    given = file_rates(table)
    if not given:
        return set()
    stored = stored_rates(conn, {c for c, _m in given})
    return {key for key, rate in given.items() if stored.get(key) != Decimal(rate)}


def affected_cases(conn: Connection, table: Table) -> set[int]:
    """The beneficiaries whose grants a file's rates convert again (before it is applied)."""
    return {r["beneficiary_id"] for r in affected(conn, changed_rates(conn, table))}


def check_and_convert(tables: dict[str, Table], conn: Connection, scope: Scope,
                      out: Collector) -> None:
    reporting = reporting_currency()
    rates_table = tables["exchange_rates"]
    at = rates_table.at
    rates = stored_rates(conn)
    for row in rates_table.rows:
        if row[0] in rates_table.rejected:
            continue
        stored = rates.get((row[at["currency"]], row[at["month"]]))
        # A focal point may add a month's rate no one has yet (no stored grant is converted
        # at a missing rate, so no other country's figure moves) or repeat a stored one
        # (their own export), never change one.
        if scope.countries is not None and stored is not None \
                and Decimal(stored) != Decimal(row[at["rate"]]):
            out.add("exchange_rates", row[0], "currency", _(
                "exchange rates apply to every country: they can be set by an administrator "
                "or manager only"), rates_table)
        elif row[at["currency"]] == reporting:
            out.add("exchange_rates", row[0], "currency", _(
                "{currency} is the reporting currency: it needs no rate").format(
                currency=reporting), rates_table)
    rates.update(file_rates(rates_table))

    t = tables["assistance"]
    if "amount_local" not in t.present and "currency" not in t.present:
        return
    a = t.at
    for index, row in enumerate(t.rows):
        number = row[0]
        local, currency, given = row[a["amount_local"]], row[a["currency"]], row[a["amount_eur"]]
        if (local is None and currency is None) or number in t.rejected:
            continue  # nothing to convert, or a cell already has its problem
        if local is None:
            out.add("assistance", number, "amount_local", _(
                "the currency {currency} is given but not the amount paid in it "
                "(amount_local)").format(currency=currency), t)
            continue
        if currency is None:
            out.add("assistance", number, "currency", _(
                "amount_local {amount} needs its currency (ISO 4217 code: MAD, TND, XOF)"
            ).format(amount=local), t)
            continue
        if currency == reporting:
            amount, why = Decimal(local), ""
        else:
            month = rate_month(row[a["rate_date"]], row[a["delivered_date"]],
                               row[a["approved_date"]])
            if month is None:
                out.add("assistance", number, "rate_date", _(
                    "no date fixes the rate of amount_local {amount} {currency}: write a "
                    "rate_date (or a delivery date)").format(amount=local, currency=currency),
                    t)
                continue
            rate = rates.get((currency, month))
            if rate is None:
                out.add("assistance", number, "currency", _(
                    "no exchange rate of {currency} for {month}: add it to the "
                    "exchange_rates sheet (or import the rates first)").format(
                    currency=currency, month=month.strftime("%Y-%m")), t)
                continue
            amount = convert(local, rate)
            why = _(" at the rate of {month} ({rate} {currency} for 1 {reporting})").format(
                month=month.strftime("%Y-%m"), rate=format(Decimal(rate).normalize(), "f"),
                currency=currency, reporting=reporting)
        if given is not None and Decimal(given) != amount:
            out.add("assistance", number, "amount_eur", _(
                "amount_eur {given} does not match amount_local {local} {currency}, which is "
                "{amount} {reporting}{why}: leave amount_eur blank (it is converted)").format(
                given=given, local=local, currency=currency, amount=amount,
                reporting=reporting, why=why), t)
            continue
        t.rows[index] = (*row[:a["amount_eur"]], amount, *row[a["amount_eur"] + 1:])
