"""What the database holds of the file's cases, cooperatives and partners, within the importer's
scope, read ``IN_CHUNK`` case numbers per SELECT (``rows_in``): never a whole table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column as SqlColumn
from sqlalchemy import Connection, RowMapping, Select, select

from data_access.models import Beneficiary, Cooperative, Partner
from data_access.scope import Scope

IN_CHUNK = 500  # bound values per ``IN (...)``: well under SQLite's and psycopg's limits


@dataclass(frozen=True)
class Existing:
    """What the database holds of the file's cases, cooperatives and partners, *within the
    importer's scope*: nothing of another country is ever read, so no answer of the
    validator (problems, counts, messages) can depend on it (issue 14)."""

    beneficiaries: dict[tuple[str, str], tuple[int, dt.date]]  # (country, case) → id, return
    cooperatives: dict[tuple[str, str], int]  # (name, country) → id
    partners: dict[tuple[str, str], int]  # (name, country) → id

    @classmethod
    def load(cls, conn: Connection, cases: Iterable[str], scope: Scope) -> Existing:
        """The existing cases among ``cases`` (``IN_CHUNK`` per SELECT) and the
        cooperatives (a small table, read whole), of the scope's countries."""
        b = Beneficiary.__table__.c
        stmt = select(b.case_number, b.id, b.country, b.return_date)
        coops = select(Cooperative.name, Cooperative.country, Cooperative.id)
        partners = select(Partner.name, Partner.country, Partner.id)
        if scope.countries is not None:
            stmt = stmt.where(b.country.in_(sorted(scope.countries)))
            coops = coops.where(Cooperative.country.in_(sorted(scope.countries)))
            partners = partners.where(Partner.country.in_(sorted(scope.countries)))
        ben = {(r["country"], r["case_number"]): (r["id"], _date(r["return_date"]))
               for r in rows_in(conn, stmt, b.case_number, cases)}
        return cls(ben, {(name, country): cid for name, country, cid in conn.execute(coops)},
                   {(name, country): pid for name, country, pid in conn.execute(partners)})

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
