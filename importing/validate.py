"""Validate a whole import file before anything is written.

``validate(source, connection, scope, ...)`` reads every sheet, parses every cell, and
checks rows against each other and against the database. It returns a ``Validated``: the
parsed rows ready for ``apply`` and the list of ``Problem`` s (sheet, row, column, a plain
sentence). Row numbers are the spreadsheet's own: the header is row 1, the template's
description row (when present) is row 2, so the first data row is 2 or 3.

Database look-ups are one SELECT per table (per ``IN_CHUNK`` case numbers for the
beneficiaries: only the cases the file names are read), never one per row. The parts:
``importing.parsed`` (what it returns), ``importing.cells`` (one sheet, cell by cell),
``importing.existing`` (what the database holds) and ``importing.cross_checks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

from sqlalchemy import Connection

from data_access.scope import Scope
from i18n import _
from importing.cells import CellParser, parse_sheet
from importing.cross_checks import cross_checks
from importing.currency import check_and_convert
from importing.existing import Existing
from importing.limits import REFUSED, unreadable
from importing.parsed import Collector, Table, Validated, file_cases
from importing.reader import RawSheet, Source, open_sheets
from importing.schema import BY_NAME, REQUIRED_SHEETS, SHEET_NAMES

Progress = Callable[[float, str], None]
# Another way to read a file into the template's sheets (the survey import, issue 20):
# the raw sheets and the template sheets missing.
SheetReader = Callable[[Source], tuple[list[RawSheet], list[str]]]
# Checks of its own after the cross-checks (same Collector, so the same all-or-nothing);
# returns case numbers whose analytics cells the file may change beyond its own rows.
ExtraCheck = Callable[[Connection, dict[str, Table], Existing, Scope, Collector], set[str]]


def validate(source: Source, conn: Connection, scope: Scope, *,
             today: dt.date | None = None, indicator_codes: Collection[str] | None = None,
             progress: Progress | None = None, reader: SheetReader | None = None,
             check: ExtraCheck | None = None) -> Validated:
    """Read and check the whole file; nothing is written. ``reader`` replaces the
    template reader (``open_sheets``); ``check`` runs after the cross-checks."""
    out = Collector()
    tables = {name: Table(BY_NAME[name]) for name in SHEET_NAMES}
    report = progress or (lambda _f, _m: None)
    try:
        raw_sheets, missing = (reader or open_sheets)(source)
    except REFUSED as exc:
        out.add("", None, "", str(unreadable(source.name, exc)))
        return Validated(source.name, tables, out.problems, ())
    for name in missing:
        out.add(name, None, "", _("the sheet '{sheet}' is missing; the template has the "
                                  "sheets {names} (leave a sheet empty, but keep it)").format(
            sheet=name, names=", ".join(REQUIRED_SHEETS)))
    cells = CellParser(today or dt.date.today(), indicator_codes)
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

            tables[raw.name] = parse_sheet(raw, out, cells, tick)
            done += raw.size_hint or 1
    except REFUSED as exc:
        out.add("", None, "", str(unreadable(source.name, exc)))
        return Validated(source.name, tables, out.problems, (), out.truncated)
    report(0.8, _("checking references"))
    existing = Existing.load(conn, file_cases(tables), scope)
    cross_checks(tables, existing, scope, out)
    check_and_convert(tables, conn, scope, out)  # after the cases' dates are known
    also_touched = check(conn, tables, existing, scope, out) if check is not None else set()
    problems = sorted(out.problems, key=lambda q: (SHEET_NAMES.index(q.sheet)
                                                   if q.sheet in SHEET_NAMES else -1,
                                                   q.row or 0))
    validated = Validated(source.name, tables, problems, tuple(s.name for s in raw_sheets),
                          out.truncated, [s.note for s in raw_sheets if s.note])
    validated.existing = existing
    validated.also_touched = also_touched
    return validated
