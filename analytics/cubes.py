"""Analytics tables: the case tables pre-aggregated into small cubes (issue 8).

``refresh(session_or_url)`` rebuilds ``analytics_cell`` from the case tables in one
transaction (DELETE + INSERT … SELECT … GROUP BY, set-based): readers see the old cells or
the new ones, never a mix. ``metrics.fast`` answers month-aligned indicator queries from
these cells; anything else goes to the case tables. An import refreshes them incrementally
(``analytics.delta``: ``build`` restricted to the beneficiaries it touches,
before and after its writes, and the difference merged), which stays exact only while every
cube is built through ``build``'s ``put`` from sources joined to ``an_ben`` (see ``build``).

How each indicator stays exact (cells are keyed by the breakdowns × month):

- Events counted once (registrations, deliveries, attendances, capacity) are additive.
- Distinct beneficiaries dated by their *first* event (BEN-2 by first delivery, COOP-2 by
  first collective delivery) are one event per beneficiary (and group): additive too.
- Distinct beneficiaries with at least one event in [a, b] (TRN-1, FUP-1's covered): every
  event carries the month of the same beneficiary's previous qualifying event (``link``);
  the beneficiaries with an event in [a, b] are exactly the events in [a, b] whose previous
  event is before a (or none) — one per beneficiary, so the count is a sum.
- The latest visit in [a, b] (FUP-2/3/4) is the visit in [a, b] whose *next* qualifying
  visit is after b (or none): ``link`` holds the next visit's month.
- Medians (ASS-3) come from a histogram cube (breakdowns × month × days).
- FUP-1's due list (first delivery at least 182 days before the period end, case not
  closed: ``data_access.followups``) is keyed by the month in which first delivery + 182
  days falls.
- TRN-2's cohort (assisted by the period end) is the "first" cells up to the period's last
  month; its trained part is the "upt" cube, keyed by the month from which a returnee is
  both assisted and trained.

Vulnerability is multi-valued: a cell with rollup bit 2 is per flag ('none' for none), so
a beneficiary with two flags is in two cells, as the case-table queries count them.

Freshness: triggers on every case table set ``analytics_state.dirty`` on any write (the
demo loader drops and recreates them with the indexes); ``refresh`` clears it. While it is
set, ``metrics`` reads the case tables (exact, slower). The same triggers, and any update
of the state row, advance ``analytics_state.version``: every committed write to the case
tables or the cells commits a new data version (``ui.data`` keys cached figures on it).

Key sums (issue 14): beside its counts every cell keeps ``k``, the sum of the record keys
of the beneficiaries behind ``n`` (a row adds its beneficiary's key, so a record count adds
it per record and a distinct count once), and ``k1``…``k4`` behind ``s1``…``s4`` where those
are counts (``_insert``'s ``counts``). They are sums like the counts, so every rollup, the
signed rows and the incremental merge keep them exact.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex

from analytics import figure_cubes, shapes, staging
from analytics.sql import (
    CELL,
    STATE,
    Build,
)
from data_access.models import AnalyticsState, Base
from data_access.settings import load_settings

# --- the build ---------------------------------------------------------------------------

def build(conn: Connection, weights: tuple[float, float, float], threshold: float, *,
          only: Table | None = None, into: Table | None = None) -> None:
    """Rebuild every cube inside the caller's transaction on ``conn``: each declared cube
    (``analytics.shapes.declared``: the catalogue's, declared beside their indicators) and
    the figure cubes (``analytics.figure_cubes``).

    Restricted build (the incremental refresh, ``analytics.delta``): with ``only`` (a
    table of beneficiary ids) ``an_ben`` holds those beneficiaries alone and the cells they
    contribute go to ``into`` (a table of analytics_cell's columns, see
    ``delta.cell_table``); analytics_cell is not touched. That is exact because every cell
    is a sum of per-beneficiary contributions: every cube's rows join ``an_ben`` and
    windows are partitioned by beneficiary. ``Build.mine`` restricts a source read before
    that join (window subqueries, first deliveries) to an_ben's beneficiaries, which is
    what makes a restricted build fast.
    """
    declared = shapes.declared()
    # (SQLite keeps the build's temporary tables in memory: temp_store is set when the
    # connection opens, data_access.db._sqlite_pragmas; it cannot change inside a transaction.)
    # SQLite: a full build drops the cells' index and makes it again after the inserts (a
    # third faster than keeping it up to date row by row); PostgreSQL keeps it (DROP INDEX
    # would lock readers out until the commit).
    remake_index = only is None and conn.dialect.name == "sqlite"
    if only is None:
        if remake_index:
            for index in CELL.indexes:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
        conn.execute(delete(CELL))
    else:
        assert into is not None, "a restricted build writes into a table of its own"
    ben = staging.beneficiaries(conn, only)
    stage = staging.stage_table(conn)
    context = Build(conn, ben, only is not None, weights, threshold)
    for cube in declared:
        for variant in cube.variants:
            rows = cube.rows(context, variant)
            if len(rows.sums) != len(cube.measures):
                raise ValueError(f"cube {cube.name}: {len(rows.sums)} sums for measures "
                                 f"{cube.measures}")
            staging.insert_cells(conn, stage, cube.name, variant, rows.source, ben,
                                 month=rows.month, items=dict(rows.items), link=rows.link,
                                 days=rows.days, sums=rows.sums, counts=cube.count_positions)

    def put(cube: str, variant: str, source: Any, **kw: Any) -> None:
        staging.insert_cells(conn, stage, cube, variant, source, ben, **kw)

    figure_cubes.build_figure_cubes(conn, put, ben, whole=only is None)
    staging.rollups(conn, stage, CELL if into is None else into)
    context.drop()
    for name in ("an_stage", "an_ben", "an_dims"):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    if remake_index:
        for index in CELL.indexes:
            conn.execute(CreateIndex(index))


# The cubes' layout is a hash of the SQL the build sends (``layout``), never a number to
# bump by hand: change a cube, a constant it binds or the rollups, and cells built by the
# old code are no longer read (is_fresh) nor merged into (analytics.delta), until rebuilt.
# (Issue 17: the hand-bumped LAYOUT was forgotten once, f8e1731 then e0a3dfc.)
_LAYOUT_WEIGHTS, _LAYOUT_THRESHOLD = (1.0, 1.0, 1.0), 0.5


@functools.cache
def layout() -> str:
    """sha256 of every statement (with its parameters) a full build sends, recorded by
    running the build once on an empty in-memory SQLite database (about a quarter of a
    second, once per process). The score weights and threshold are fixed here: they are in
    the settings key on their own. The PostgreSQL spelling of the dialect helpers is not
    hashed (this records SQLite's); they change with the code that is."""
    from sqlalchemy import create_engine, event

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    digest = hashlib.sha256()

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        digest.update(statement.encode())
        digest.update(repr(parameters).encode())

    with engine.begin() as conn:
        event.listen(conn, "before_cursor_execute", record)
        build(conn, _LAYOUT_WEIGHTS, _LAYOUT_THRESHOLD)
        event.remove(conn, "before_cursor_execute", record)
    engine.dispose()
    for column in CELL.c:  # the cells' own shape (a new measure column, a wider key)
        digest.update(f"{column.name}:{column.type}".encode())
    return digest.hexdigest()[:16]


def settings_key(weights: tuple[float, float, float], threshold: float) -> str:
    return json.dumps({"layout": layout(), "weights": list(weights), "threshold": threshold})


def current_settings() -> tuple[tuple[float, float, float], float]:
    settings = load_settings()
    return settings.score_weights, settings.sustainability_threshold


def refresh(target: Session | Connection | str, *, force: bool = False) -> float:
    """Rebuild the analytics tables; returns the seconds it took.

    Given a session or connection, the rebuild joins the caller's transaction (the import
    commits it with its rows); given a URL, it runs in a transaction of its own. When no
    case table was written since the last build (and the settings are the same) it does
    nothing, unless ``force``.
    """
    from data_access import db

    if isinstance(target, str):
        with db.get_engine(target).begin() as conn:
            return refresh(conn, force=force)
    if isinstance(target, Session):
        scope = target.info.get("scope")
        if scope is not None and scope.restricted:
            raise PermissionError("the analytics tables are rebuilt through an unrestricted "
                                  "session only")
        return refresh(target.connection(), force=force)
    conn = target
    started = time.perf_counter()
    weights, threshold = current_settings()
    key = settings_key(weights, threshold)
    if not force:
        state = conn.execute(select(STATE.c.dirty, STATE.c.settings)
                             .where(STATE.c.id == 1)).first()
        if state is not None and state.dirty == 0 and state.settings == key:
            return 0.0  # nothing written since the last build: the cells are current
    build(conn, weights, threshold)
    seconds = time.perf_counter() - started
    values_ = {"dirty": 0, "built_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
               "seconds": seconds, "settings": key}
    if conn.execute(update(STATE).where(STATE.c.id == 1).values(**values_)).rowcount == 0:
        conn.execute(insert(STATE).values(id=1, **values_))
    conn.exec_driver_sql("ANALYZE analytics_cell")
    return seconds


def _layout_of(key: str) -> object:
    try:
        return json.loads(key).get("layout")
    except (ValueError, AttributeError):
        return None


def is_fresh(session: Session) -> str | None:
    """The settings key of a fresh build, or None when the analytics are stale/absent."""
    cached = session.info.get("_analytics_fresh")
    if cached is not None:
        return cached or None
    try:
        row = session.execute(select(AnalyticsState.dirty, AnalyticsState.settings)
                              .where(AnalyticsState.id == 1)).first()
    except Exception:  # noqa: BLE001 - a database without the table: use the case tables
        session.rollback()
        row = None
    key = row.settings if row is not None and row.dirty == 0 else ""
    if key and _layout_of(key) != layout():
        key = ""  # built by other code: read the case tables until refreshed
    session.info["_analytics_fresh"] = key or ""
    return key or None


__all__ = ["build", "is_fresh", "layout", "refresh", "settings_key"]
