"""The checks between the rows of the file's sheets and against the database, within the
importer's scope: every row of the importer's countries only, every case number naming one
case (resolving the fact sheets' countries), cooperatives and partners that exist in the
case's country, no duplicate keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from data_access.scope import Scope
from i18n import _
from importing.existing import Existing
from importing.parsed import Collector, Table
from importing.schema import BY_NAME


def _not_yours(country: str | None, allowed: str) -> str:
    return _("{country} is not one of your countries ({allowed}): you can import rows of your "
             "countries only").format(country=country, allowed=allowed)


def cross_checks(tables: dict[str, Table], existing: Existing, scope: Scope,
                 out: Collector) -> None:
    allowed = ", ".join(sorted(scope.countries)) if scope.countries is not None else ""

    def outside(country: str | None) -> bool:
        return country is not None and not scope.allows(country)

    # beneficiaries: scope (of the row's own country: the file's content, never the
    # database's). A case is matched on country + case number, so a number that another
    # country uses is simply a new case here, exactly as a free number is.
    ben = tables["beneficiaries"]
    in_file: dict[tuple[str, str], dt.date | None] = {}  # (country, case) → return date
    b_case, b_country, b_return = (ben.at[c] for c in ("case_number", "country",
                                                       "return_date"))
    for row in ben.rows:
        case, country = row[b_case], row[b_country]
        if outside(country):
            out.add("beneficiaries", row[0], "country", _not_yours(country, allowed), ben)
        if case is not None and country is not None:
            in_file.setdefault((country, case), row[b_return])
    known = existing.countries_of()
    for country, case in in_file:
        known.setdefault(case, set()).add(country)

    def case_of(table: Table, row: tuple[Any, ...]) -> tuple[str, dt.date | None] | None:
        """The country and return date of the row's case, among the beneficiaries sheet
        and the scope's cases; None (with a problem) when it is none or several."""
        case, given = row[table.at["case_number"]], row[table.at["country"]]
        if case is None:
            return None
        if given is not None and outside(given):
            out.add(table.sheet.name, row[0], "country", _not_yours(given, allowed), table)
            return None
        countries = known.get(case, set())
        if given is not None:
            countries = countries & {given}
        if not countries:
            out.add(table.sheet.name, row[0], "case_number", _(
                "the case number {case} is neither on the beneficiaries sheet nor in the "
                "database").format(case=case) if given is None else _(
                "the case number {case} is neither on the beneficiaries sheet nor in the "
                "database for {country}").format(case=case, country=given), table)
            return None
        if len(countries) > 1:
            out.add(table.sheet.name, row[0], "case_number", _(
                "the case number {case} is used in several of your countries ({countries}): "
                "add a country column to the {sheet} sheet and write the case's country"
            ).format(case=case, countries=", ".join(sorted(countries)),
                     sheet=table.sheet.name), table)
            return None
        (country,) = countries
        if outside(country):  # only from the beneficiaries sheet, which says so already
            out.add(table.sheet.name, row[0], "case_number", _(
                "the case {case} is in {country}, not one of your countries ({allowed})"
            ).format(case=case, country=country, allowed=allowed), table)
            return None
        if (country, case) in in_file:
            return country, in_file[(country, case)]
        return country, existing.beneficiaries[(country, case)][1]

    coops_in_file = {(r[tables["cooperatives"].at["name"]],
                      r[tables["cooperatives"].at["country"]])
                     for r in tables["cooperatives"].rows}
    partners_in_file = {(r[tables["partners"].at["name"]], r[tables["partners"].at["country"]])
                        for r in tables["partners"].rows}
    for name in ("assistance", "training", "followups", "referrals"):
        table = tables[name]
        at_country = table.at["country"]
        for index, row in enumerate(table.rows):
            found = case_of(table, row)
            if found is None:
                continue
            country, ret = found
            if row[at_country] != country:  # the resolved country, for apply and the keys
                table.rows[index] = row = (*row[:at_country], country, *row[at_country + 1:])
            partner = row[table.at["partner"]]
            if partner is not None and (partner, country) not in partners_in_file \
                    and (partner, country) not in existing.partners:
                out.add(name, row[0], "partner", _(
                    "no partner named '{name}' in {country}, neither on the partners sheet "
                    "nor in the database").format(name=partner, country=country), table)
            if name != "assistance":
                continue
            delivered = row[table.at["delivered_date"]]
            if delivered is not None and ret is not None and delivered < ret:
                out.add(name, row[0], "delivered_date", _(
                    "the delivery date {delivered} is before the return date {returned}"
                ).format(delivered=delivered, returned=ret), table)
            coop = row[table.at["cooperative"]]
            if coop is not None and (coop, country) not in coops_in_file \
                    and (coop, country) not in existing.cooperatives:
                out.add(name, row[0], "cooperative", _(
                    "no cooperative named '{name}' in {country}, neither on the cooperatives "
                    "sheet nor in the database").format(name=coop, country=country), table)

    # one partner per training session: the rows of a session (country, kind, date,
    # provider) that name a partner name the same one
    training = tables["training"]
    session_partner: dict[tuple[Any, ...], tuple[str, int]] = {}
    for row in training.rows:
        partner = row[training.at["partner"]]
        if partner is None:
            continue
        key = tuple(row[training.at[c]] for c in ("country", "kind", "session_date",
                                                   "provider"))
        first = session_partner.setdefault(key, (partner, row[0]))
        if first[0] != partner:
            out.add("training", row[0], "partner", _(
                "the session already has the partner '{first}' (row {row}): one session, "
                "one partner").format(first=first[0], row=first[1]), training)

    # duplicate keys within the file (the fact sheets' case countries are resolved now)
    for table in tables.values():
        sheet = table.sheet
        if sheet.name == "assistance":
            continue  # several measures of one kind per case are matched in order
        positions = [table.at[k] for k in sheet.key]
        first_row: dict[tuple[Any, ...], int] = {}
        for row in table.rows:
            key = tuple(row[i] for i in positions)
            if any(k is None for k, name in zip(key, sheet.key, strict=True)
                   if BY_NAME[sheet.name].column(name).required):
                continue
            if key in first_row:
                out.add(sheet.name, row[0], sheet.key[0],
                        _("duplicate: the same {key} as row {row}").format(
                            key=" + ".join(sheet.key), row=first_row[key]), table)
            else:
                first_row[key] = row[0]

    for name in ("partners", "cooperatives", "capacity_building"):
        table = tables[name]
        for row in table.rows:
            country = row[table.at["country"]]
            if outside(country):
                out.add(name, row[0], "country", _not_yours(country, allowed), table)
    targets = tables["targets"]
    for row in targets.rows:
        country = row[targets.at["country"]]
        if scope.countries is not None and country is None and row[0] not in targets.rejected:
            out.add("targets", row[0], "country", _("a programme-wide target (blank country) "
                                                    "can be set by an administrator or "
                                                    "manager only"), targets)
        elif outside(country):
            out.add("targets", row[0], "country", _("{country} is not one of your countries "
                                                    "({allowed})").format(country=country,
                                                                          allowed=allowed),
                    targets)
