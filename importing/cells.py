"""One sheet, read: its header mapped onto the template's columns, every cell parsed into
its stored value (or a problem), and the checks between the cells of one row. Row numbers
are the spreadsheet's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any

from data_access.vocab import AssistanceStatus, ReferralStatus
from i18n import _
from importing import parsers as p
from importing.parsed import Collector, Table
from importing.reader import Formula, RawSheet
from importing.schema import BY_NAME, Column, Sheet

MAX_AMOUNT = Decimal("9999999999.99")


def _header_key(value: Any) -> str:
    return p.fold(p.text(value)).replace(" ", "_").rstrip("*").strip("_")


def _map_header(raw: RawSheet, sheet: Sheet, out: Collector
                ) -> list[tuple[int, Column, str]] | None:
    """(file column index, template column, header as written) or None if unusable."""
    by_alias = {alias: c for c in sheet.columns for alias in c.aliases}
    mapping: list[tuple[int, Column, str]] = []
    seen: dict[str, str] = {}
    ok = True
    for index, cell in enumerate(raw.header):
        if p.is_blank(cell):
            continue
        written = p.text(cell)
        column = by_alias.get(_header_key(cell))
        if column is None:
            names = ", ".join(c.name for c in sheet.columns)
            out.add(sheet.name, 1, written, _("'{header}' is not a column of the {sheet} sheet "
                                              "(renamed or misspelt?); its columns are: "
                                              "{names}").format(header=written,
                                                                sheet=sheet.name, names=names))
            ok = False
            continue
        if column.name in seen:
            out.add(sheet.name, 1, written, _("the column {column} appears twice (as '{first}' "
                                              "and '{second}')").format(
                column=column.name, first=seen[column.name], second=written))
            ok = False
            continue
        seen[column.name] = written
        mapping.append((index, column, written))
    for column in sheet.columns:
        if column.required and column.name not in seen:
            if column.french and column.french != column.name:
                message = _("the required column {column} (or {french}) is missing from the "
                            "header row").format(column=column.name, french=column.french)
            else:
                message = _("the required column {column} is missing from the header row"
                            ).format(column=column.name)
            out.add(sheet.name, 1, column.name, message)
            ok = False
    if not raw.header or all(p.is_blank(c) for c in raw.header):
        return None
    return mapping if ok else None


class CellParser:
    """Turns one raw cell of a template column into its stored value (or ValueError)."""

    def __init__(self, today: dt.date, indicator_codes: Collection[str] | None) -> None:
        self.today = today
        self.codes = {c.upper() for c in indicator_codes} if indicator_codes else None

    def parse(self, sheet: str, column: Column, raw: Any, country: str | None) -> Any:
        kind = column.kind
        if kind == "text":
            value = p.text(raw)
            if column.max_length and len(value) > column.max_length:
                raise ValueError(_("is longer than {n} characters").format(
                    n=column.max_length))
            return value
        if kind == "date":
            day = p.parse_date(raw)
            if day.year < 1900:
                raise ValueError(_("{date} is before 1900").format(date=day.isoformat()))
            if day > self.today and not (sheet == "targets"):
                raise ValueError(_("{date} is in the future").format(date=day.isoformat()))
            return day
        if kind == "bool":
            return p.parse_bool(raw)
        if kind == "int":
            whole = p.parse_int(raw)
            name = column.name
            if name == "household_size" and whole < 1:
                raise ValueError(_("{value} is not a household size (1 or more)").format(
                    value=whole))
            if name == "birth_year" and not 1900 <= whole <= self.today.year:
                raise ValueError(_("{value} is not a birth year (1900 to {year})").format(
                    value=whole, year=self.today.year))
            if whole < 0:
                raise ValueError(_("{value} is negative").format(value=whole))
            return whole
        if kind == "decimal":
            amount = p.parse_decimal(raw)
            if amount < 0:
                raise ValueError(_("{value} is negative").format(value=amount))
            if amount > MAX_AMOUNT:
                raise ValueError(_("{value} is too large").format(value=amount))
            return amount
        if kind == "float":
            return p.parse_float(raw)
        if kind == "score":
            score = p.parse_float(raw)
            if not 0 <= score <= 1:
                raise ValueError(_("{value} is outside 0–1 (write 0.75, not 75)").format(
                    value=p.text(raw)))
            return score
        if kind == "country":
            code = p.parse_country(raw)
            # The row's own country must be the programme's; a host country may be any.
            return p.in_programme(code) if column.name == "country" else code
        if kind == "region":
            if country is None:
                return None  # the country cell already has a problem
            return p.parse_region(raw, country)
        if kind == "sex":
            return p.parse_sex(raw)
        if kind == "enum":
            assert column.enum is not None
            return p.parse_enum(column.enum, raw)
        if kind == "vulnerabilities":
            return p.parse_vulnerabilities(raw)
        if kind == "currency":
            return p.parse_currency(raw)
        if kind == "month":
            return p.parse_month(raw)
        if kind == "rate":
            return p.parse_rate(raw)
        if kind == "services":
            return p.parse_services(raw)
        if kind == "indicator":
            code = p.text(raw).upper()
            if self.codes is not None and code not in self.codes:
                raise ValueError(_("{value} is not an indicator code (e.g. BEN-2, ASS-1, "
                                   "TRN-1)").format(value=repr(p.text(raw))))
            return code
        raise AssertionError(kind)


def parse_sheet(raw: RawSheet, out: Collector, cells: CellParser,
                tick: Callable[[int], None]) -> Table:
    sheet = raw.sheet or BY_NAME[raw.name]
    table = Table(sheet)
    mapping = _map_header(raw, sheet, out)
    if mapping is None:
        for _row in raw.rows:  # drain (keeps progress honest); nothing is parsed
            pass
        return table
    width = len(sheet.columns)
    table.present = {c.name for _i, c, _w in mapping}
    country_at = table.at.get("country")
    # country first, so that region can be checked against it
    mapping.sort(key=lambda m: m[1].kind != "country")
    descriptions = {i: c.description for i, c, _w in mapping}
    first = True
    for number, row in raw.rows:
        tick(number)
        if first:
            first = False
            if any(i < len(row) and not p.is_blank(row[i]) and p.text(row[i]) == text
                   for i, text in descriptions.items()):
                continue  # the template's description row
        if all(p.is_blank(v) for v in row):
            continue
        values: list[Any] = [number] + [None] * width
        for index, column, written in mapping:
            raw_value = row[index] if index < len(row) else None
            if p.is_blank(raw_value):
                if column.required:
                    out.add(sheet.name, number, written, _("{column} is required but the "
                                                           "cell is empty").format(
                        column=column.name), table)
                continue
            if isinstance(raw_value, Formula):
                out.add(sheet.name, number, written, _("the cell holds a formula ({formula}); "
                                                       "type the value itself").format(
                    formula=str(raw_value)[:40]), table)
                continue
            country = values[country_at] if country_at else None
            try:
                values[table.at[column.name]] = cells.parse(sheet.name, column, raw_value,
                                                            country)
            except ValueError as exc:
                out.add(sheet.name, number, written, _("{column}: {problem}").format(
                    column=column.name, problem=exc), table)
        _row_rules(sheet.name, table, values, out)
        table.rows.append(tuple(values))
    return table


def _row_rules(sheet: str, table: Table, v: list[Any], out: Collector) -> None:
    """Checks between the cells of one row (and defaults that depend on other cells)."""
    at, row = table.at, v[0]
    if sheet == "beneficiaries":
        birth, year, ret = v[at["birth_date"]], v[at["birth_year"]], v[at["return_date"]]
        if birth is not None and ret is not None and birth > ret:
            out.add(sheet, row, "birth_date", _("the birth date {birth} is after the return "
                                                "date {returned}").format(birth=birth,
                                                                          returned=ret), table)
        if birth is not None and year is not None and birth.year != year:
            out.add(sheet, row, "birth_year", _("the birth year {year} does not match the birth "
                                                "date {birth}").format(year=year, birth=birth),
                    table)
        if year is not None and ret is not None and year > ret.year:
            out.add(sheet, row, "birth_year", _("the birth year {year} is after the return date "
                                                "{returned}").format(year=year, returned=ret),
                    table)
        if birth is not None:
            v[at["birth_year"]] = birth.year
        if v[at["consent_story"]] is None:
            v[at["consent_story"]] = False
    elif sheet == "assistance":
        approved, delivered = v[at["approved_date"]], v[at["delivered_date"]]
        if approved is not None and delivered is not None and delivered < approved:
            out.add(sheet, row, "delivered_date", _("the delivery date {delivered} is before "
                                                    "the approval date {approved}").format(
                delivered=delivered, approved=approved), table)
        if v[at["status"]] is None:
            v[at["status"]] = (AssistanceStatus.DELIVERED if delivered is not None
                               else AssistanceStatus.APPROVED)
        elif v[at["status"]] == AssistanceStatus.DELIVERED and delivered is None and \
                row not in table.rejected:
            out.add(sheet, row, "delivered_date", _("the assistance is delivered but has no "
                                                    "delivery date"), table)
    elif sheet == "referrals":
        _referral_rules(table, v, out)


def _referral_rules(table: Table, v: list[Any], out: Collector) -> None:
    """A referral's dates follow one another; its status agrees with them (and defaults
    from them: service_received with a service date, accepted with an acceptance date)."""
    at, row, sheet = table.at, v[0], "referrals"
    referred, accepted, served = (v[at[c]] for c in ("referral_date", "accepted_date",
                                                     "service_date"))
    for name, day in (("accepted_date", accepted), ("service_date", served)):
        if day is not None and referred is not None and day < referred:
            out.add(sheet, row, name, _("the date {date} is before the referral date "
                                        "{referred}").format(date=day, referred=referred),
                    table)
    if served is not None and accepted is not None and served < accepted:
        out.add(sheet, row, "service_date", _("the service date {served} is before the "
                                              "acceptance date {accepted}").format(
            served=served, accepted=accepted), table)
    status = v[at["status"]]
    if status is None:
        v[at["status"]] = (ReferralStatus.SERVICE_RECEIVED if served is not None else
                           ReferralStatus.ACCEPTED if accepted is not None else
                           ReferralStatus.REFERRED)
    elif status == ReferralStatus.SERVICE_RECEIVED and served is None:
        out.add(sheet, row, "service_date", _("the service was received but has no service "
                                              "date"), table)
    elif served is not None and status in (ReferralStatus.DECLINED, ReferralStatus.NO_RESPONSE,
                                           ReferralStatus.REFERRED):
        out.add(sheet, row, "status", _("the referral has a service date but its status is "
                                        "{status}").format(status=status.value), table)
