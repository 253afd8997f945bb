"""Copy a SQLite demo database into PostgreSQL, for the benchmark's PostgreSQL run.

    python -m benchmarks.copy_db SQLITE_PATH POSTGRESQL_URL

Generating a million beneficiaries again for PostgreSQL (``demo-data``) and rebuilding its
analytics tables took more than 40 minutes on this machine; the SQLite demo database of the
same size already holds the same generated rows and their analytics cells. This copies
every table of the schema as it is (``COPY … FROM STDIN`` per table, one transaction),
analytics cells and state included, so the copy is current without a rebuild: the same
data, the same data version. The target is migrated first and everything in it replaced.
During the copy ``session_replication_role = replica`` keeps the analytics triggers from
firing for every row (and skips foreign-key checks: the rows come from a database that
enforced them); it needs a superuser, which the benchmark's server has. Then the id
sequences are moved past the copied ids and ``ANALYZE`` runs.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable

from sqlalchemy import Boolean
from sqlalchemy.engine import make_url

from data_access import db
from data_access.models import Base

BATCH = 20_000


def copy(source: str, url: str, progress: Callable[[str], None] = print) -> dict[str, int]:
    """Replace the PostgreSQL database at ``url`` by the SQLite file ``source``; rows copied
    per table."""
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {make_url(url).render_as_string()}")
    db.upgrade(url)
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    tables = Base.metadata.sorted_tables  # parents first
    present = {row[0] for row in lite.execute("SELECT name FROM sqlite_master WHERE "
                                              "type = 'table'")}
    missing = [t.name for t in tables if t.name not in present]
    if missing:
        raise ValueError(f"{source} has no table {', '.join(missing)}: migrate it first")
    counts: dict[str, int] = {}
    engine = db.get_engine(url)
    try:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                names = ", ".join(f'"{t.name}"' for t in tables)
                cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                for table in tables:
                    started = time.perf_counter()
                    columns = [c.name for c in table.columns]
                    booleans = [i for i, c in enumerate(table.columns)
                                if isinstance(c.type, Boolean)]
                    quoted = ", ".join(f'"{c}"' for c in columns)
                    rows = lite.execute(f'SELECT {quoted} FROM "{table.name}"')
                    count = 0
                    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as out:
                        while batch := rows.fetchmany(BATCH):
                            for row in batch:
                                if booleans:  # SQLite keeps 0/1
                                    row = list(row)
                                    for i in booleans:
                                        if row[i] is not None:
                                            row[i] = bool(row[i])
                                out.write_row(row)
                            count += len(batch)
                    counts[table.name] = count
                    progress(f"  {table.name}: {count:,} rows in "
                             f"{time.perf_counter() - started:.1f} s")
                for table in tables:
                    key = table.c.get("id")
                    if key is None or not key.autoincrement or \
                            not str(key.type).upper().startswith(("INTEGER", "BIGINT")):
                        continue
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"GREATEST((SELECT max(id) FROM \"{table.name}\"), 1))")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            progress("  ANALYZE")
            conn.exec_driver_sql("ANALYZE")
    finally:
        lite.close()
        db.dispose_engine(url)
    return counts


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    started = time.perf_counter()
    copy(argv[0], argv[1])
    print(f"copied in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
