"""Bulk loading of the demo tables, and emptying the case tables.

Loading goes around the ORM on purpose: at a million beneficiaries (about five million
rows) row-by-row ORM or SQLAlchemy Core inserts take minutes (performance-notes.md).
SQLite: ``sqlite3`` ``executemany`` in one transaction, journal in memory and no fsync
during the load, secondary indexes dropped and rebuilt after, then ``ANALYZE``.
PostgreSQL: ``COPY … FROM STDIN`` per table in one transaction, then the id sequences are
moved past the loaded ids and ``ANALYZE`` runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

import metrics  # noqa: F401 - declares the cubes the refresh builds
from analytics import cubes
from data_access import db
from data_access.models import Base
from demo.columns import Table

Progress = Callable[[str], None]

# Children before parents: the order that deletes without breaking a foreign key.
CASE_TABLES = ("referral", "follow_up", "attendance", "beneficiary_vulnerability",
               "assistance", "training_session", "cooperative", "partner",
               "capacity_activity", "target", "beneficiary", "exchange_rate")


def existing_rows(url: str) -> dict[str, int]:
    """Rows per case table (only the non-empty ones)."""
    with db.get_engine(url).connect() as conn:
        counts = {name: conn.execute(select(func.count()).select_from(
            Base.metadata.tables[name])).scalar_one() for name in CASE_TABLES}
    return {name: count for name, count in counts.items() if count}


def clear(url: str) -> None:
    """Delete every case table's rows, children first, in one transaction."""
    with db.get_engine(url).begin() as conn:
        for name in CASE_TABLES:
            conn.execute(delete(Base.metadata.tables[name]))


def load(url: str, tables: Sequence[Table], progress: Progress = print, *,
         refresh: bool = True) -> None:
    """Insert ``tables`` (parents first) into the empty case tables of ``url``, then
    rebuild the analytics cells (``refresh=False``: not, for a database at an older
    revision than the cubes read, as a migration test builds)."""
    for table in tables:
        known = {c.name for c in Base.metadata.tables[table.name].columns}
        unknown = set(table.columns) - known
        if unknown:  # a generator bug: fail before writing anything
            raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database
        if not database or database == ":memory:":
            raise ValueError("the demo data needs a SQLite file, not an in-memory database")
        db.dispose_engine(url)  # no pooled connection may hold the file during the load
        _load_sqlite(database, tables, progress)
    else:
        _load_postgresql(url, tables, progress)
    if not refresh:
        return
    seconds = cubes.refresh(url, force=True)
    progress(f"  analytics tables refreshed in {seconds:.1f} s")


def _columns(table: Table) -> str:
    return ", ".join(f'"{name}"' for name in table.columns)


def _load_sqlite(path: str, tables: Sequence[Table], progress: Progress) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        # A rollback journal in memory still allows ROLLBACK, and costs almost nothing
        # when filling empty tables; WAL would write every page twice. It can only be
        # switched while no other connection has the file open: otherwise WAL stays.
        mode = con.execute("PRAGMA journal_mode=MEMORY").fetchone()[0]
        if mode != "memory":
            progress(f"  (another connection holds the database: journal stays {mode})")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-262144")  # 256 MiB while the indexes are built
        con.execute("BEGIN")
        try:
            names = [t.name for t in tables]
            indexes = con.execute(
                "SELECT name, sql, type FROM sqlite_master WHERE type IN ('index', 'trigger') "
                "AND sql IS NOT NULL"
                f" AND tbl_name IN ({', '.join('?' * len(names))})", names).fetchall()
            # Triggers too: the analytics staleness triggers would fire once per row.
            for name, _, kind in indexes:
                con.execute(f'DROP {kind.upper()} "{name}"')
            for table in tables:
                marks = ", ".join("?" * len(table.columns))
                sql = f"INSERT INTO {table.name} ({_columns(table)}) VALUES ({marks})"
                for chunk in table.rows():
                    con.executemany(sql, chunk)
                progress(f"  {table.name}: {len(table):,} rows")
            progress("  rebuilding indexes")
            for _, sql, _ in indexes:
                con.execute(sql)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        progress("  ANALYZE")
        con.execute("ANALYZE")
    finally:
        con.execute("PRAGMA journal_mode=WAL")  # what data_access.db uses
        con.close()


def _load_postgresql(url: str, tables: Sequence[Table], progress: Progress) -> None:
    engine = db.get_engine(url)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            for table in tables:
                with cursor.copy(f"COPY {table.name} ({_columns(table)}) FROM STDIN") as copy:
                    for chunk in table.rows():
                        for row in chunk:
                            copy.write_row(row)
                progress(f"  {table.name}: {len(table):,} rows")
                if "id" in table.columns:  # the next ORM insert must not reuse an id
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                   f"'id'), (SELECT coalesce(max(id), 0) + 1 FROM "
                                   f"{table.name}), false)")
    progress("  ANALYZE")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
