"""Incremental refresh of the analytics tables after an import (issue 8).

A full rebuild (``cubes.refresh``) reads every case table: over a minute at a million
beneficiaries. An import touches a few hundred or thousand beneficiaries, and every cell of
``analytics_cell`` built through ``cubes.build``'s ``put`` is a sum of per-beneficiary
contributions (every source joins ``an_ben``; windows are partitioned by beneficiary;
medians are histograms). So, inside the import's transaction:

1. ``begin`` (before the import writes): lock the state row; when the cells are fresh
   (``dirty = 0``, same settings key) and the touched beneficiaries B are at most
   ``SHARE`` of all, compute the cells of B alone (``cubes.build`` restricted to B)
   into ``an_cells_before``. Otherwise return None: the caller rebuilds in full.
2. The import writes.
3. ``finish``: add the beneficiaries the import created to B, compute B's cells again
   into ``an_cells_after``, and merge the difference into ``analytics_cell`` (add to the
   cells of the same key, insert new keys, delete cells whose measures all became zero);
   rebuild the figures that are not sums over beneficiaries whole
   (``rebuild_whole_figures``); mark the state fresh. Readers see the old cells or the new
   ones: it all commits with the import, or rolls back with it.

What B must hold (a superset is fine, a missing beneficiary is a wrong figure): every
beneficiary whose rows, or whose breakdown values, the import may change. The importer
says which (``importing.apply.touched``).

Cells whose measures are all zero carry nothing (readers sum them): the merge drops them,
where a full build may keep one whose signed contributions cancel out. A sum that is NULL
in a full build (every contribution NULL) may be 0 after a merge; readers coalesce sums
to 0. Float sums are kept as computed (the residue of adding and subtracting is about
1e-16 of the value); a sum within 1e-9 of zero is stored as 0.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, Table, func, insert, select, update

from analytics import cubes
from analytics.sql import CELL, KEY_SUMS, STATE, T

# More touched beneficiaries than this share of all: rebuild in full (as fast, and simpler).
SHARE = 1 / 3
EPSILON = 1e-9
# Integer measures (counts, key sums) are merged exactly; the float sums s1…s4 snapped.
EXACT = ("n", *KEY_SUMS)
MEASURES = ("n", "s1", "s2", "s3", "s4", *KEY_SUMS)
KEY = tuple(c.name for c in CELL.c if c.name not in ("id", *MEASURES))
INTEGER_KEYS = frozenset(c.name for c in CELL.c
                         if c.name in KEY and isinstance(c.type, Integer))
# Stand-ins for NULL in key columns, so that keys match with "=" (PostgreSQL's hash join).
NULL_TEXT, NULL_INT = "~null~", -2147483647
ONLY = Table("an_only", MetaData(), Column("id", Integer))
TEMP_TABLES = ("an_only", "an_cells_before", "an_cells_after", "an_delta", "an_hit")


@dataclass
class Pending:
    """An incremental refresh under way: ``begin`` made it, ``finish`` completes it."""

    weights: tuple[float, float, float]
    threshold: float
    key: str
    seconds: float  # spent in ``begin``
    touched: int  # beneficiaries in B so far


def _drop(conn: Connection, *names: str) -> None:
    for name in names:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def cell_table(conn: Connection, name: str) -> Table:
    """An empty temporary table with analytics_cell's columns but ``id``."""
    _drop(conn, name)
    columns = [c.name for c in CELL.c if c.name != "id"]
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} AS SELECT {', '.join(columns)} "
                         "FROM analytics_cell WHERE 1 = 0")
    return Table(name, MetaData(), *[Column(c.name, c.type) for c in CELL.c
                                     if c.name != "id"])


def _add_ids(conn: Connection, sources: Iterable[Any]) -> int:
    """Adds the ids each SELECT returns to an_only; returns how many it holds."""
    for source in sources:
        column = list(source.subquery().c)[0]
        new = (select(column.label("id")).distinct()
               .where(column.is_not(None), column.not_in(select(ONLY.c.id))))
        conn.execute(insert(ONLY).from_select(["id"], new))
    return int(conn.execute(select(func.count()).select_from(ONLY)).scalar_one())


def _too_many(conn: Connection, touched: int) -> bool:
    total = conn.execute(select(func.count()).select_from(T["beneficiary"])).scalar_one()
    return touched > SHARE * max(int(total), 1)


def begin(conn: Connection, sources: Iterable[Any]) -> Pending | None:
    """Before the import writes: B's cells into ``an_cells_before``, or None (rebuild in
    full after the import) when the cells are not fresh or B is too large.

    ``sources``: SELECTs of one column, the ids of the beneficiaries the import touches.
    Nothing else may change the cells or B's rows between the two halves: PostgreSQL
    locks the state row here (another import waits until this one commits; its writes'
    triggers update that row); SQLite has one writer, and a transaction that read a
    snapshot cannot write once another has committed since.
    """
    started = time.perf_counter()
    weights, threshold = cubes.current_settings()
    key = cubes.settings_key(weights, threshold)
    state = conn.execute(select(STATE.c.dirty, STATE.c.settings)
                         .where(STATE.c.id == 1).with_for_update()).first()
    if state is None or state.dirty != 0 or state.settings != key:
        return None
    _drop(conn, *TEMP_TABLES)
    conn.exec_driver_sql("CREATE TEMPORARY TABLE an_only (id INTEGER PRIMARY KEY)")
    touched = _add_ids(conn, sources)
    if _too_many(conn, touched):
        _drop(conn, *TEMP_TABLES)
        return None
    cubes.build(conn, weights, threshold, only=ONLY,
                    into=cell_table(conn, "an_cells_before"))
    return Pending(weights, threshold, key, time.perf_counter() - started, touched)


def finish(conn: Connection, pending: Pending, sources: Iterable[Any] = ()) -> float:
    """After the import wrote: merge B's new cells minus its old ones into analytics_cell
    and mark the cells fresh. ``sources``: SELECTs of ids to add to B (the beneficiaries
    the import created). Returns the seconds of both halves."""
    started = time.perf_counter()
    if conn.execute(select(STATE.c.dirty).where(STATE.c.id == 1)).scalar() == 0:
        _drop(conn, *TEMP_TABLES)  # the import changed no case table: nothing to do
        return pending.seconds
    pending.touched = _add_ids(conn, sources)
    if _too_many(conn, pending.touched):
        _drop(conn, *TEMP_TABLES)
        return pending.seconds + cubes.refresh(conn, force=True)
    cubes.build(conn, pending.weights, pending.threshold, only=ONLY,
                    into=cell_table(conn, "an_cells_after"))
    merge(conn, "an_cells_before", "an_cells_after")
    rebuild_whole_figures(conn)
    seconds = pending.seconds + time.perf_counter() - started
    values = {"dirty": 0, "built_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
              "seconds": seconds, "settings": pending.key}
    conn.execute(update(STATE).where(STATE.c.id == 1).values(**values))
    _drop(conn, *TEMP_TABLES)
    return seconds


def rebuild_whole_figures(conn: Connection) -> None:
    """The figures that are NOT sums over beneficiaries (whether a returnee has a duplicate
    depends on the others), rebuilt whole from the case tables after the merge. Anything
    written to analytics_cell other than through ``cubes.build``'s ``put`` must be
    rebuilt here, or the incremental refresh leaves it stale."""
    from analytics import figure_cubes
    figure_cubes.rebuild_duplicate_cells(conn)


def _stand_in(column: str) -> str:
    return str(NULL_INT) if column in INTEGER_KEYS else f"'{NULL_TEXT}'"


def merge(conn: Connection, before: str, after: str) -> None:
    """analytics_cell += cells(after) - cells(before), on the full key."""
    key = ", ".join(KEY)
    _drop(conn, "an_delta", "an_hit")

    def snap(expr: str) -> str:  # float residue of adding and subtracting: 0
        return f"CASE WHEN ABS({expr}) <= {EPSILON} THEN 0 ELSE {expr} END"

    floats = [m for m in MEASURES if m not in EXACT]
    sums = ", ".join(f"SUM({m}) AS {m}" if m in EXACT else f"{snap(f'SUM({m})')} AS {m}"
                     for m in MEASURES)
    changed = " OR ".join([f"COALESCE(SUM({m}), 0) <> 0" for m in EXACT]
                          + [f"ABS(SUM({m})) > {EPSILON}" for m in floats])
    negated = ", ".join(f"-{m}" for m in MEASURES)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE an_delta AS SELECT {key}, {sums}, "
        f"ROW_NUMBER() OVER () AS did FROM ("
        f"SELECT {key}, {', '.join(MEASURES)} FROM {after} UNION ALL "
        f"SELECT {key}, {negated} FROM {before}) u GROUP BY {key} HAVING {changed}")
    if conn.dialect.name == "sqlite":
        # Each difference row finds its cell with one probe of ix_analytics_cell_key (the
        # whole key; "IS" matches NULLs and uses the index); CROSS JOIN keeps an_delta
        # outside.
        joined = ("an_delta d CROSS JOIN analytics_cell c WHERE "
                  + " AND ".join(f"c.{k} IS d.{k}" for k in KEY))
    else:
        # A hash join on the key, NULLs replaced by stand-ins (IS NOT DISTINCT FROM cannot
        # be hashed).
        conn.exec_driver_sql("ANALYZE an_delta")
        joined = ("an_delta d JOIN analytics_cell c ON " + " AND ".join(
            f"COALESCE(c.{k}, {_stand_in(k)}) = COALESCE(d.{k}, {_stand_in(k)})"
            for k in KEY))

    def merged(m: str) -> str:
        if m == "n":
            return "c.n + d.n AS n"
        total = f"c.{m} + d.{m}" if m in EXACT else snap(f"c.{m} + d.{m}")
        return (f"CASE WHEN c.{m} IS NULL THEN d.{m} WHEN d.{m} IS NULL THEN c.{m} "
                f"ELSE {total} END AS {m}")

    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        # The planner, which cannot estimate the 15 COALESCE equalities, chose a merge join
        # that sorts every cell on the whole key (15 s for 28k differences at 100k); a hash
        # of the differences probed by one pass over the cells takes a fraction of that.
        # JIT compilation costs more than it saves on one such pass.
        conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")
        conn.exec_driver_sql("SET LOCAL jit = off")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE an_hit AS SELECT c.id AS cid, d.did AS did, "
        f"{', '.join(merged(m) for m in MEASURES)} FROM {joined}")
    if postgresql:  # back to the defaults for the rest of the import's transaction
        conn.exec_driver_sql("SET LOCAL enable_mergejoin = on")
        conn.exec_driver_sql("SET LOCAL jit = DEFAULT")
    conn.exec_driver_sql("CREATE INDEX an_hit_ix ON an_hit (cid)")
    empty = " AND ".join(["n = 0"] + [f"COALESCE({m}, 0) = 0" for m in EXACT[1:]]
                         + [f"COALESCE(ABS({m}), 0) <= {EPSILON}" for m in floats])
    conn.exec_driver_sql(f"DELETE FROM analytics_cell WHERE id IN "
                         f"(SELECT cid FROM an_hit WHERE {empty})")
    conn.exec_driver_sql(
        f"UPDATE analytics_cell SET {', '.join(f'{m} = h.{m}' for m in MEASURES)} "
        f"FROM an_hit h WHERE analytics_cell.id = h.cid")
    conn.exec_driver_sql(
        f"INSERT INTO analytics_cell ({key}, {', '.join(MEASURES)}) "
        f"SELECT {', '.join(f'd.{k}' for k in KEY)}, {', '.join(f'd.{m}' for m in MEASURES)} "
        f"FROM an_delta d WHERE d.did NOT IN (SELECT did FROM an_hit)")
