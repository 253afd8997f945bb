"""Date arithmetic in SQL that means the same on SQLite and PostgreSQL.

SQLite stores dates as ``YYYY-MM-DD`` text and has no date subtraction; PostgreSQL subtracts
two dates into a whole number of days. ``days_between`` compiles to the right form for
each, so indicators stay one ORM statement and the scope listener can still see them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from data_access import followups

# "Six months" and "twelve months" in the follow-up indicators: 182 and 365 days, the same
# on every backend and for every start day; calendar months would make 31 August + 6 months
# ambiguous. The follow-up rule's own constants (data_access.followups): the two are one.
SIX_MONTHS = followups.DUE
TWELVE_MONTHS = dt.timedelta(days=followups.TWELVE_MONTH_DAYS)


class days_between(FunctionElement[int]):  # noqa: N801 - reads like a SQL function
    """Whole days from the first date to the second (second − first)."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


def _operands(element: days_between, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    start, end = list(element.clauses)
    return compiler.process(start, **kw), compiler.process(end, **kw)


@compiles(days_between)
def _days_postgresql(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _operands(element, compiler, **kw)
    return f"({end} - {start})"


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _operands(element, compiler, **kw)
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"
