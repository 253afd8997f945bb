"""The bulk writing ``apply`` is made of: the tables it writes, Core ``executemany`` in
chunks of ``CHUNK`` rows, existing rows read by key (only those of the file's cases, through
``rows_in``), and ``Upsert``, which sorts a sheet's rows into inserts, updates and
unchanged rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from data_access.models import (
    Assistance,
    Attendance,
    Beneficiary,
    BeneficiaryVulnerability,
    CapacityActivity,
    Cooperative,
    ExchangeRate,
    FollowUp,
    Partner,
    Referral,
    Target,
    TrainingSession,
)
from importing.existing import rows_in
from importing.parsed import Table as Parsed

CHUNK = 5_000

# Record keys (issue 14): an insert into beneficiary, cooperative or capacity_activity gets
# a fresh random key from the column's default (data_access.models.new_record_key, Python
# ``secrets``), per row; updates set only the template's columns, so a key never changes.
BEN = Beneficiary.__table__
VUL = BeneficiaryVulnerability.__table__
COOP = Cooperative.__table__
ASS = Assistance.__table__
SES = TrainingSession.__table__
ATT = Attendance.__table__
FUP = FollowUp.__table__
CAP = CapacityActivity.__table__
TGT = Target.__table__
XR = ExchangeRate.__table__
PAR = Partner.__table__
REF = Referral.__table__


def partner_ids(conn: Connection) -> dict[tuple[str, str], int]:
    """(name, country) → id of every partner (a small table, read whole), after the
    partners sheet is written."""
    return {(name, country): pid for name, country, pid in conn.execute(
        select(PAR.c.name, PAR.c.country, PAR.c.id))}


def partner_of(t: Parsed, row: tuple[Any, ...], partners: dict[tuple[str, str], int]
               ) -> int | None:
    """The id of the partner a row names in its (case's) country; validation checked it."""
    name = row[t.at["partner"]]
    return None if name is None else partners[(name, row[t.at["country"]])]


def chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    for chunk in chunks(rows):
        conn.execute(insert(table), chunk)


def update_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``rows``: dicts with ``_id`` and the columns to set (the same keys in every dict)."""
    if not rows:
        return
    columns = [k for k in rows[0] if k != "_id"]
    stmt = update(table).where(table.c.id == bindparam("_id")).values(
        {c: bindparam(c) for c in columns})
    for chunk in chunks(rows):
        conn.execute(stmt, chunk)


def same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if hasattr(a, "isoformat") and hasattr(b, "isoformat"):
        return str(a)[:10] == str(b)[:10]
    return bool(a == b)


class Upsert:
    """Collects inserts and updates for one table against its existing rows."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []

    def row(self, current: dict[str, Any] | None, values: dict[str, Any],
            update_columns: Iterable[str], *, force_changed: bool = False) -> None:
        if current is None:
            self.inserts.append(values)
            self.counts["inserted"] += 1
            return
        cols = list(update_columns)
        if force_changed or any(not same_value(current[c], values[c]) for c in cols):
            self.updates.append({"_id": current["id"], **{c: values[c] for c in cols}})
            self.counts["updated"] += 1
        else:
            self.counts["unchanged"] += 1

    def flush(self, conn: Connection, table: Table) -> None:
        update_rows(conn, table, self.updates)
        insert_rows(conn, table, self.inserts)
        self.inserts, self.updates = [], []


def row_values(t: Parsed, row: tuple[Any, ...], names: Iterable[str]) -> dict[str, Any]:
    return {n: row[t.at[n]] for n in names}


def present_columns(t: Parsed, names: Iterable[str]) -> list[str]:
    return [n for n in names if n in t.present]


def existing_rows(conn: Connection, table: Table, columns: Iterable[str],
                  key: Callable[[dict[str, Any]], Any], where: tuple[str, Collection[Any]] | None
                  = None, order_by_id: bool = False) -> dict[Any, list[dict[str, Any]]]:
    """Existing rows by key: the whole table, or with ``where=(column, values)`` only the
    rows whose column is one of the values (rows of one key share that column's value, so
    reading by chunks of values keeps each key's rows in id order)."""
    stmt = select(*[table.c[c] for c in ["id", *columns]])
    if order_by_id:
        stmt = stmt.order_by(table.c.id)
    rows = (conn.execute(stmt).mappings() if where is None
            else rows_in(conn, stmt, table.c[where[0]], where[1]))
    found: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        values = dict(row)
        found[key(values)].append(values)
    return found


CaseIds = dict[tuple[str, str], int]  # (country, case number) → beneficiary id


def case_ids(conn: Connection, keys: Collection[tuple[str, str]]) -> CaseIds:
    """The ids of the existing cases among ``keys`` ((country, case number) pairs)."""
    wanted = set(keys)
    rows = rows_in(conn, select(BEN.c.case_number, BEN.c.id, BEN.c.country),
                   BEN.c.case_number, {case for _country, case in wanted})
    return {(r["country"], r["case_number"]): r["id"] for r in rows
            if (r["country"], r["case_number"]) in wanted}


def beneficiary_ids(cases: CaseIds) -> set[int]:
    return set(cases.values())


def case_of(t: Parsed, row: tuple[Any, ...], cases: CaseIds) -> tuple[int, str]:
    country = row[t.at["country"]]
    return cases[(country, row[t.at["case_number"]])], country
