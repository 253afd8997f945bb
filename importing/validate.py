"""Validate a whole import file before anything is written.

``validate(source, connection, scope, ...)`` reads every sheet, parses every cell, and
checks rows against each other and against the database. It returns a ``Validated``: the
parsed rows ready for ``apply`` and the list of ``Problem`` s (sheet, row, column, a plain
sentence). Row numbers are the spreadsheet's own: the header is row 1, the template's
description row (when present) is row 2, so the first data row is 2 or 3.

Database look-ups are one SELECT per table (per ``IN_CHUNK`` case numbers for the
beneficiaries: only the cases the file names are read), never one per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Column as SqlColumn
from sqlalchemy import Connection, RowMapping, Select, select

from data_access.models import Beneficiary, Cooperative
from data_access.scope import Scope
from data_access.vocab import AssistanceStatus
from i18n import _
from importing import parsers as p
from importing.limits import UNREADABLE, unreadable
from importing.reader import FileProblem, Formula, RawSheet, Source, open_sheets
from importing.schema import BY_NAME, SHEET_NAMES, Column, Sheet

MAX_PROBLEMS = 20_000
IN_CHUNK = 500  # bound values per ``IN (...)``: well under SQLite's and psycopg's limits
MAX_AMOUNT = Decimal("9999999999.99")
Progress = Callable[[float, str], None]


@dataclass(frozen=True, order=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "problem": self.message}


@dataclass
class Table:
    """The parsed rows of one sheet: ``rows[i] = (row_number, value per template column)``."""

    sheet: Sheet
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)  # row numbers with a problem
    present: set[str] = field(default_factory=set)  # template columns the file has

    def __post_init__(self) -> None:
        # position of each column in a row tuple (0 is the row number)
        self.at = {c.name: i + 1 for i, c in enumerate(self.sheet.columns)}

    def valid_rows(self) -> Iterator[tuple[Any, ...]]:
        return (r for r in self.rows if r[0] not in self.rejected)


@dataclass
class Validated:
    file_name: str
    tables: dict[str, Table]
    problems: list[Problem]
    sheets_present: tuple[str, ...]
    truncated: int = 0  # problems not kept beyond MAX_PROBLEMS
    notes: list[str] = field(default_factory=list)  # how the file was read (encodings)

    @property
    def ok(self) -> bool:
        return not self.problems

    def rejected_counts(self) -> dict[str, int]:
        return {name: len(t.rejected) for name, t in self.tables.items()}


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.truncated = 0

    def add(self, sheet: str, row: int | None, column: str, message: str,
            table: Table | None = None) -> None:
        if table is not None and row is not None:
            table.rejected.add(row)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(sheet, row, column, message))
        else:
            self.truncated += 1


def _header_key(value: Any) -> str:
    return p.fold(p.text(value)).replace(" ", "_").rstrip("*").strip("_")


def _map_header(raw: RawSheet, sheet: Sheet, out: _Collector
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


class _CellParser:
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
            value = p.parse_date(raw)
            if value.year < 1900:
                raise ValueError(_("{date} is before 1900").format(date=value.isoformat()))
            if value > self.today and not (sheet == "targets"):
                raise ValueError(_("{date} is in the future").format(date=value.isoformat()))
            return value
        if kind == "bool":
            return p.parse_bool(raw)
        if kind == "int":
            value = p.parse_int(raw)
            name = column.name
            if name == "household_size" and value < 1:
                raise ValueError(_("{value} is not a household size (1 or more)").format(
                    value=value))
            if name == "birth_year" and not 1900 <= value <= self.today.year:
                raise ValueError(_("{value} is not a birth year (1900 to {year})").format(
                    value=value, year=self.today.year))
            if value < 0:
                raise ValueError(_("{value} is negative").format(value=value))
            return value
        if kind == "decimal":
            value = p.parse_decimal(raw)
            if value < 0:
                raise ValueError(_("{value} is negative").format(value=value))
            if value > MAX_AMOUNT:
                raise ValueError(_("{value} is too large").format(value=value))
            return value
        if kind == "float":
            return p.parse_float(raw)
        if kind == "score":
            value = p.parse_float(raw)
            if not 0 <= value <= 1:
                raise ValueError(_("{value} is outside 0–1 (write 0.75, not 75)").format(
                    value=p.text(raw)))
            return value
        if kind == "country":
            return p.parse_country(raw)
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
        if kind == "indicator":
            code = p.text(raw).upper()
            if self.codes is not None and code not in self.codes:
                raise ValueError(_("{value} is not an indicator code (e.g. BEN-2, ASS-1, "
                                   "TRN-1)").format(value=repr(p.text(raw))))
            return code
        raise AssertionError(kind)


def _parse_sheet(raw: RawSheet, out: _Collector, cells: _CellParser,
                 tick: Callable[[int], None]) -> Table:
    sheet = BY_NAME[raw.name]
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


def _row_rules(sheet: str, table: Table, v: list[Any], out: _Collector) -> None:
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


@dataclass(frozen=True)
class Existing:
    """What the database holds of the file's cases and cooperatives, *within the
    importer's scope*: nothing of another country is ever read, so no answer of the
    validator (problems, counts, messages) can depend on it (issue 14)."""

    beneficiaries: dict[tuple[str, str], tuple[int, dt.date]]  # (country, case) → id, return
    cooperatives: dict[tuple[str, str], int]  # (name, country) → id

    @classmethod
    def load(cls, conn: Connection, cases: Iterable[str], scope: Scope) -> Existing:
        """The existing cases among ``cases`` (``IN_CHUNK`` per SELECT) and the
        cooperatives (a small table, read whole), of the scope's countries."""
        b = Beneficiary.__table__.c
        stmt = select(b.case_number, b.id, b.country, b.return_date)
        coops = select(Cooperative.name, Cooperative.country, Cooperative.id)
        if scope.countries is not None:
            stmt = stmt.where(b.country.in_(sorted(scope.countries)))
            coops = coops.where(Cooperative.country.in_(sorted(scope.countries)))
        ben = {(r["country"], r["case_number"]): (r["id"], _date(r["return_date"]))
               for r in rows_in(conn, stmt, b.case_number, cases)}
        return cls(ben, {(name, country): cid for name, country, cid in conn.execute(coops)})

    def countries_of(self) -> dict[str, set[str]]:
        """Case number → the (scope's) countries that have a case of that number."""
        found: dict[str, set[str]] = {}
        for country, case in self.beneficiaries:
            found.setdefault(case, set()).add(country)
        return found


def rows_in(conn: Connection, stmt: Select[Any], column: SqlColumn[Any],
            values: Iterable[Any]) -> Iterator[RowMapping]:
    """``stmt``'s rows where ``column`` is one of ``values``, ``IN_CHUNK`` values per
    statement (no statement when there are none): never a whole table."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield from conn.execute(stmt.where(column.in_(ordered[start:start + IN_CHUNK]))
                                ).mappings()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def file_case_keys(tables: dict[str, Table]) -> set[tuple[str, str]]:
    """(country, case number) of every valid row that names a case: after validation
    every such row has its case's country (the fact sheets' resolved by ``validate``)."""
    keys: set[tuple[str, str]] = set()
    for t in tables.values():
        if "case_number" in t.at:
            at_case, at_country = t.at["case_number"], t.at["country"]
            keys.update((str(r[at_country]), str(r[at_case])) for r in t.valid_rows()
                        if r[at_case] is not None and r[at_country] is not None)
    return keys


def file_cases(tables: dict[str, Table], *, valid_only: bool = False) -> set[str]:
    """The case numbers the sheets name: of every row (the cross-checks read rejected rows
    too), or of the valid rows only (what ``apply`` writes)."""
    cases: set[str] = set()
    for t in tables.values():
        if "case_number" in t.at:
            at = t.at["case_number"]
            rows = t.valid_rows() if valid_only else t.rows
            cases.update(str(r[at]) for r in rows if r[at] is not None)
    return cases


def _not_yours(country: str | None, allowed: str) -> str:
    return _("{country} is not one of your countries ({allowed}): you can import rows of your "
             "countries only").format(country=country, allowed=allowed)


def _cross_checks(tables: dict[str, Table], existing: Existing, scope: Scope,
                  out: _Collector) -> None:
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
    for name in ("assistance", "training", "followups"):
        table = tables[name]
        at_country = table.at["country"]
        for index, row in enumerate(table.rows):
            found = case_of(table, row)
            if found is None:
                continue
            country, ret = found
            if row[at_country] != country:  # the resolved country, for apply and the keys
                table.rows[index] = row = (*row[:at_country], country, *row[at_country + 1:])
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

    for name in ("cooperatives", "capacity_building"):
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


def validate(source: Source, conn: Connection, scope: Scope, *,
             today: dt.date | None = None, indicator_codes: Collection[str] | None = None,
             progress: Progress | None = None) -> Validated:
    """Read and check the whole file; nothing is written."""
    out = _Collector()
    tables = {name: Table(BY_NAME[name]) for name in SHEET_NAMES}
    report = progress or (lambda _f, _m: None)
    try:
        raw_sheets, missing = open_sheets(source)
    except (FileProblem, *UNREADABLE) as exc:
        out.add("", None, "", str(unreadable(source.name, exc)))
        return Validated(source.name, tables, out.problems, ())
    for name in missing:
        out.add(name, None, "", _("the sheet '{sheet}' is missing; the template has the "
                                  "sheets {names} (leave a sheet empty, but keep it)").format(
            sheet=name, names=", ".join(SHEET_NAMES)))
    cells = _CellParser(today or dt.date.today(), indicator_codes)
    total = sum(s.size_hint or 1 for s in raw_sheets) or 1
    done = 0
    try:
        for raw in raw_sheets:
            step = max(1, (raw.size_hint or 1000) // 50)

            def tick(number: int, raw: RawSheet = raw, start: int = done,
                     step: int = step) -> None:
                if number % step == 0:
                    report(0.8 * (start + number) / total,
                           _("reading {sheet}: row {row}").format(sheet=raw.name,
                                                                  row=f"{number:,}"))

            tables[raw.name] = _parse_sheet(raw, out, cells, tick)
            done += raw.size_hint or 1
    except (FileProblem, *UNREADABLE) as exc:
        out.add("", None, "", str(unreadable(source.name, exc)))
        return Validated(source.name, tables, out.problems, (), out.truncated)
    report(0.8, _("checking references"))
    existing = Existing.load(conn, file_cases(tables), scope)
    _cross_checks(tables, existing, scope, out)
    problems = sorted(out.problems, key=lambda q: (SHEET_NAMES.index(q.sheet)
                                                   if q.sheet in SHEET_NAMES else -1,
                                                   q.row or 0))
    validated = Validated(source.name, tables, problems, tuple(s.name for s in raw_sheets),
                          out.truncated, [s.note for s in raw_sheets if s.note])
    validated.existing = existing  # type: ignore[attr-defined]
    return validated
