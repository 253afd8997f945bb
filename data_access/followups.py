"""The follow-up rule (domain.md), in one place: the Caseload, Data quality, FUP-1 and the
analytics cubes behind the last two all read it here.

- A follow-up visit is **due** ``DUE_DAYS`` (182) days after a returnee's first delivered
  assistance (a delivered record with a delivery date).
- It is **met** by a visit at least ``DUE_DAYS`` days after that delivery; a case is
  **overdue** at an as-of date when the due date is on or before it and no such visit is
  dated on or before it.
- **Closed** cases are not due (neither due nor overdue, and not in FUP-1's due list).
- Twelve months (FUP-2 at twelve months) is ``TWELVE_MONTH_DAYS`` (365) days.

Days, not calendar months: 31 August + 6 months is ambiguous, 182 days is not, and it is
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, Select, SQLColumnExpression, exists, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery

from data_access.vocab import AssistanceStatus, CaseStatus

DUE_DAYS = 182
DUE = dt.timedelta(days=DUE_DAYS)
# FUP-2 at twelve months: visits at least this many days after the first delivery (the
# same days-not-months reading).
TWELVE_MONTH_DAYS = 365
CLOSED = CaseStatus.CLOSED  # a str too: compares with ORM enums and text columns


class plus_days(FunctionElement[dt.date]):  # noqa: N801 - reads like a SQL function
    """``date + n days`` as a date, the same on SQLite and PostgreSQL."""

    type = Date()
    inherit_cache = True
    name = "plus_days"


@compiles(plus_days)
def _plus_days_pg(element: plus_days, compiler: SQLCompiler, **kw: object) -> str:
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST({day} + {days} AS DATE)"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: object) -> str:
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({day}, '+' || {days} || ' days')"


class days_between(FunctionElement[int]):  # noqa: N801 - reads like a SQL function
    """Whole days from the first date to the second (the data layer's one copy of
    metrics.dates.days_between, which it may not import)."""

    type = Integer()
    inherit_cache = True
    name = "fu_days_between"


@compiles(days_between)
def _days_pg(element: days_between, compiler: SQLCompiler, **kw: object) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"({end} - {start})"


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: SQLCompiler, **kw: object) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


def due_date(first_delivery: SQLColumnExpression[dt.date | None]) -> ColumnElement[dt.date]:
    """The day a visit falls due."""
    return plus_days(first_delivery, DUE_DAYS)


def meets(first_delivery: SQLColumnExpression[dt.date | None],
          visit_date: SQLColumnExpression[dt.date | None]) -> ColumnElement[bool]:
    """A visit on ``visit_date`` meets the follow-up due after ``first_delivery``."""
    return days_between(first_delivery, visit_date) >= DUE_DAYS


def not_closed(status: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """Closed cases are not due (``status``: the beneficiary's case status column)."""
    return status != CLOSED


def is_due_by(first_delivery: SQLColumnExpression[dt.date | None], as_of: dt.date
              ) -> ColumnElement[bool]:
    """The follow-up has fallen due on or before ``as_of``."""
    return first_delivery <= as_of - DUE


def first_deliveries() -> Subquery:
    """Per beneficiary: the first delivered assistance (bid, first_delivery)."""
    from data_access.models import Assistance

    return (select(Assistance.beneficiary_id.label("bid"),
                   func.min(Assistance.delivered_date).label("first_delivery"))
            .where(Assistance.status == AssistanceStatus.DELIVERED,
                   Assistance.delivered_date.is_not(None))
            .group_by(Assistance.beneficiary_id).subquery("fu_first"))


def overdue_ids(as_of: dt.date) -> Select[int]:
    """SELECT the ids of the returnees overdue a follow-up at ``as_of`` (in the session's
    scope, like any query on the case tables)."""
    from data_access.models import Beneficiary, FollowUp

    first = first_deliveries()
    met = exists().where(FollowUp.beneficiary_id == first.c.bid,
                         FollowUp.visit_date <= as_of,
                         meets(first.c.first_delivery, FollowUp.visit_date))
    return (select(first.c.bid).join(Beneficiary, Beneficiary.id == first.c.bid)
            .where(is_due_by(first.c.first_delivery, as_of), not_closed(Beneficiary.status),
                   ~met))
