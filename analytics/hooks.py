"""Hooks run around data changes in bulk, to refresh pre-computed figures.

The importer calls them *inside* the import transaction: whatever they write commits or
rolls back together with the import, so readers see the old figures until the import
commits and the new ones after.

- ``before_import(session, touched)``, after validation and before the first write: when
  the analytics tables are fresh, computes the cells of the beneficiaries the file touches
  as they are (``analytics.delta.begin``); returns what ``after_import`` needs,
  or None.
- ``after_import(session, pending)``, after every row has been written and before the
  commit: merges those beneficiaries' new cells minus their old ones into the analytics
  tables (``delta.finish``) — seconds at a million beneficiaries, not the
  minute of a full rebuild. Without ``pending`` (the cells were stale, or the file touches
  more than a third of all beneficiaries) it rebuilds them in full
  (``cubes.refresh``), as ``demo-data`` does.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from analytics.delta import Pending

CASES = Table("an_cases", MetaData(), Column("case_number", String))
COOPS = Table("an_coops", MetaData(), Column("id", Integer))


@dataclass
class Touched:
    """What an import may change, per beneficiary: the case numbers of every row of the
    file (new and existing cases), and the ids of existing cooperatives whose own values
    it changes (their members' cells are recomputed too). A superset is fine."""

    case_numbers: set[str] = field(default_factory=set)
    cooperatives: set[int] = field(default_factory=set)


def _fill(session: Session, table: Table, column: str, values: Collection[object]) -> None:
    conn = session.connection()
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
    kind = "INTEGER" if column == "id" else "TEXT"
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {table.name} ({column} {kind})")
    if values:
        conn.execute(insert(table), [{column: v} for v in values])


def _cases(session: Session) -> object:
    ben = _table("beneficiary")
    return select(ben.c.id).where(ben.c.case_number.in_(select(CASES.c.case_number)))


def _table(name: str) -> Table:
    from data_access.models import Base

    return Base.metadata.tables[name]


def before_import(session: Session, touched: Touched) -> Pending | None:
    """Before the import's first write: the touched beneficiaries' cells as they are, or
    None when ``after_import`` must rebuild in full."""
    from analytics import delta
    scope = session.info.get("scope")
    if scope is not None and scope.restricted:
        raise PermissionError("the analytics tables are refreshed through an unrestricted "
                              "session only")
    conn = session.connection()
    _fill(session, CASES, "case_number", touched.case_numbers)
    _fill(session, COOPS, "id", touched.cooperatives)
    asst = _table("assistance")
    members = select(asst.c.beneficiary_id).where(
        asst.c.cooperative_id.in_(select(COOPS.c.id)))
    pending = delta.begin(conn, [_cases(session), members])
    if pending is None:
        _drop(session)
    return pending


def after_import(session: Session, pending: Pending | None = None) -> None:
    """Refresh the analytics tables in the import's transaction: incrementally when
    ``before_import`` made ``pending``, else in full."""
    from analytics import cubes, delta
    if pending is None:
        cubes.refresh(session)
        return
    # The cases the import created have ids now.
    delta.finish(session.connection(), pending, [_cases(session)])
    _drop(session)


def _drop(session: Session) -> None:
    conn = session.connection()
    for table in (CASES, COOPS):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
