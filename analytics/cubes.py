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
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.functions import FunctionElement

from analytics import figure_cubes, shapes
from data_access import followups
from data_access.models import AnalyticsCell, AnalyticsState, Base
from data_access.vocab import AssistanceStatus, Vulnerability

ALL = "*"
UNKNOWN = "unknown"
NONE = "none"
NO_PREVIOUS = 0
RETURN_TYPE_CUBE = "registered"  # the cube whose cells keep the return type
NO_NEXT = 999999
REGION, VULNERABILITY, SEXAGE = 1, 2, 4
# The cells' key sums (issue 14): k behind n, k1…k4 behind s1…s4 where those are counts.
KEY_SUMS = ("k", "k1", "k2", "k3", "k4")
STAGING = -1
# The rollups kept (bit 1 region, 2 vulnerability, 4 sex and age group); region and
# vulnerability together are not kept (such a query reads the case tables).
ROLLUPS = (0, REGION, VULNERABILITY, SEXAGE, SEXAGE | REGION, SEXAGE | VULNERABILITY)
AGE_GROUPS = ("<18", "18–24", "25–34", "35–49", "50+")
CELL = AnalyticsCell.__table__
STATE = AnalyticsState.__table__
T = Base.metadata.tables

DIMS = ("country", "region", "sex", "age_group", "return_type", "vulnerability")
# A cube variant: the assistance or training breakdowns its cells keep.
GROUPS = {"": (), "sector": ("sector",), "modality": ("modality",), "kind": ("kind",),
          "sector_modality_kind": ("sector", "modality", "kind")}


# --- dialect helpers ---------------------------------------------------------------------

class month_plus_days(FunctionElement[int]):  # noqa: N801 - reads like a SQL function
    """year*100+month of (date + n days)."""

    type = Integer()
    inherit_cache = True
    name = "month_plus_days"


@compiles(month_plus_days)
def _mpd_postgresql(element: month_plus_days, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return (f"CAST(to_char({compiler.process(day, **kw)} + {compiler.process(days, **kw)}, "
            f"'YYYYMM') AS INTEGER)")


@compiles(month_plus_days, "sqlite")
def _mpd_sqlite(element: month_plus_days, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return (f"CAST(strftime('%Y%m', {compiler.process(day, **kw)}, "
            f"'+' || {compiler.process(days, **kw)} || ' days') AS INTEGER)")


def month_of(column: Any) -> Any:
    return cast(extract("year", column) * 100 + extract("month", column), Integer)


# Whole days between two dates: the one copy in data_access.followups.
days_between_sql = _days = followups.days_between


# --- the build ---------------------------------------------------------------------------

def _temp(conn: Connection, name: str, query: Any, index: str | None = None) -> Table:
    """CREATE TEMPORARY TABLE name AS query; a Table object to select from."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} AS {sql}")
    if index:
        conn.exec_driver_sql(f"CREATE INDEX {name}_ix ON {name} ({index})")
    return Table(name, MetaData(), *[Column(c.name, c.type) for c in query.selected_columns])


def _beneficiaries(conn: Connection, only: Table | None = None) -> Table:
    """Per beneficiary: its breakdown values, as the case-table queries spell them, and
    its vulnerability flags as '|a|b|' ('' for none). ``only``: a table of the beneficiary
    ids to keep (the incremental refresh), else every beneficiary."""
    ben, vul = T["beneficiary"], T["beneficiary_vulnerability"]
    age = extract("year", ben.c.return_date) - ben.c.birth_year
    age_group = case(
        (ben.c.birth_year.is_(None), UNKNOWN),
        (age < 18, AGE_GROUPS[0]), (age < 25, AGE_GROUPS[1]), (age < 35, AGE_GROUPS[2]),
        (age < 50, AGE_GROUPS[3]), else_=AGE_GROUPS[4])
    if conn.dialect.name == "sqlite":
        joined = func.group_concat(cast(vul.c.vulnerability, String), "|")
    else:
        joined = func.string_agg(cast(vul.c.vulnerability, String), "|")
    flags = (select(vul.c.beneficiary_id.label("bid"), joined.label("flags"))
             .where(vul.c.beneficiary_id.in_(select(only.c.id)) if only is not None
                    else true())
             .group_by(vul.c.beneficiary_id).subquery("flags"))
    query = (select(
        ben.c.id.label("id"), ben.c.country.label("country"),
        func.coalesce(ben.c.region, UNKNOWN).label("region"),
        func.coalesce(cast(ben.c.sex, String), UNKNOWN).label("sex"),
        age_group.label("age_group"),
        func.coalesce(cast(ben.c.return_type, String), UNKNOWN).label("return_type"),
        ben.c.return_date.label("return_date"),
        ben.c.registration_date.label("registration_date"),
        ben.c.record_key.label("record_key"),
        case((flags.c.flags.is_(None), ""), else_="|" + flags.c.flags + "|")
        .label("vulnerability"))
        .select_from(ben).outerjoin(flags, flags.c.bid == ben.c.id)
        .where(ben.c.id.in_(select(only.c.id)) if only is not None else true())).subquery("b")
    # One small integer per combination of breakdown values: the cubes group on it.
    dims = [query.c[n] for n in DIMS]
    keyed = select(query, func.dense_rank().over(order_by=dims).label("dkey"))
    full = _temp(conn, "an_ben", keyed, "id")
    _temp(conn, "an_dims", select(*[full.c[n] for n in DIMS], full.c.dkey).distinct(),
          "dkey")
    return full


def _first_deliveries(conn: Connection, variant: str, collective: bool,
                      mine: Any = None) -> Table:
    """Per beneficiary (and group value): the first delivered assistance (``mine``: the
    build's restriction to an_ben, see ``build``)."""
    asst = T["assistance"]
    keys = [cast(asst.c[d], String).label(d) for d in GROUPS[variant]]
    conditions = [asst.c.status == AssistanceStatus.DELIVERED.value,
                  asst.c.delivered_date.is_not(None)]
    if mine is not None:
        conditions.append(mine(asst.c.beneficiary_id))
    if collective:
        conditions.append(asst.c.cooperative_id.is_not(None))
    query = (select(asst.c.beneficiary_id.label("bid"), *keys,
                    func.min(asst.c.delivered_date).label("fd"))
             .where(*conditions).group_by(asst.c.beneficiary_id, *keys))
    name = f"an_fd{'c' if collective else ''}_{variant or 'all'}"
    return _temp(conn, name, query, "bid")


def _not_closed(fd: Table, mine: Any) -> Any:
    """The first deliveries ``fd`` of the returnees whose case is not closed (closed cases
    are not due a follow-up: data_access.followups)."""
    ben = T["beneficiary"]
    closed = select(ben.c.id).where(cast(ben.c.status, String) == followups.CLOSED,
                                    mine(ben.c.id))
    return (select(fd.c.bid, fd.c.fd).where(fd.c.bid.not_in(closed))
            .subquery("due_fd"))


STAGE_COLUMNS = ("cube", "variant", "dkey", "sector", "modality", "kind", "month", "link",
                 "days", "n", "s1", "s2", "s3", "s4", *KEY_SUMS)


def _stage_table(conn: Connection) -> Table:
    conn.exec_driver_sql("DROP TABLE IF EXISTS an_stage")
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE an_stage (cube VARCHAR(32), variant VARCHAR(32), dkey INTEGER, "
        "sector VARCHAR(32), modality VARCHAR(32), kind VARCHAR(32), month INTEGER, "
        "link INTEGER, days INTEGER, n INTEGER, s1 FLOAT, s2 FLOAT, s3 FLOAT, s4 FLOAT, "
        + ", ".join(f"{k} BIGINT" for k in KEY_SUMS) + ")")
    types = {"cube": String, "variant": String, "sector": String, "modality": String,
             "kind": String, **{k: BigInteger for k in KEY_SUMS}}
    from sqlalchemy import Float

    return Table("an_stage", MetaData(), *[
        Column(c, types.get(c, Float if c.startswith("s") and c[1:].isdigit() else Integer))
        for c in STAGE_COLUMNS])


def _insert(conn: Connection, stage: Table, cube: str, variant: str, source: Any,
            ben: Table, *, month: Any, items: dict[str, Any] | None = None, link: Any = None,
            days: Any = None, sums: tuple[Any, ...] = (), n: Any = None,
            counts: tuple[int, ...] = ()) -> None:
    """INSERT the staging cells of one cube variant: per dimension key × items × month.

    Key sums (issue 14): ``k`` is the sum of the beneficiaries' record keys behind ``n``
    (each row adds its beneficiary's key, times ``n`` when given); ``counts`` names the
    ``sums`` that are counts (1 for s1, …), whose ``k1``… are the keys behind them."""
    items = items or {}
    dims = {
        "dkey": ben.c.dkey,
        "sector": items.get("sector", literal(ALL)),
        "modality": items.get("modality", literal(ALL)),
        "kind": items.get("kind", literal(ALL)),
        "month": month,
        "link": link if link is not None else literal(0),
        "days": days if days is not None else literal(0),
    }
    measures = {"n": func.sum(n) if n is not None else func.count()}
    for i, expr in enumerate(sums, start=1):
        measures[f"s{i}"] = func.sum(expr)
    key = ben.c.record_key
    measures["k"] = func.sum(key * n if n is not None else key)
    for i in counts:
        measures[f"k{i}"] = func.sum(key * sums[i - 1])
    grouped = [v for v in dims.values() if not _is_literal(v)]
    query = (select(literal(cube).label("cube"), literal(variant).label("variant"),
                    *[v.label(k) for k, v in dims.items()],
                    *[v.label(k) for k, v in measures.items()])
             .select_from(source).group_by(*grouped))
    conn.execute(insert(stage).from_select(["cube", "variant", *dims, *measures], query))


def _is_literal(expr: Any) -> bool:
    from sqlalchemy.sql.elements import BindParameter

    return isinstance(expr, BindParameter)


def _rollups(conn: Connection, stage: Table, target: Table = CELL) -> None:
    """From the staging cells, every rollup of ROLLUPS (the finest two from the staging
    cells, the others from those), into ``target`` (analytics_cell, or a temporary table
    of the same columns for the incremental refresh)."""
    c, d = target.c, Table("an_dims", MetaData(), *[Column(n, String) for n in DIMS],
                         Column("dkey", Integer)).c
    st = stage.c
    flags = union_all(*[select(literal(flag, String).label("flag"))
                        for flag in [v.value for v in Vulnerability] + [NONE]]).subquery("flags")
    measures = ["n", "s1", "s2", "s3", "s4", *KEY_SUMS]
    items = ["sector", "modality", "kind", "month", "link", "days"]
    dims_table = d.dkey.table

    def put(rollup: int, columns: dict[str, Any], source: Any, where: Any = None) -> None:
        values_ = {"rollup": literal(rollup), **columns}
        query = select(*[v.label(k) for k, v in values_.items()],
                       *[func.sum(source_c(m)).label(m) for m in measures]).select_from(source)
        if where is not None:
            query = query.where(where)
        query = query.group_by(*[v for v in columns.values() if not _is_literal(v)])
        conn.execute(insert(target).from_select(list(values_) + measures, query))

    # Finest two: region + sex/age, and vulnerability (one row per flag) + sex/age.
    def source_c(m: str) -> Any:
        return st[m]

    base = {"country": d.country, "cube": st.cube, "variant": st.variant,
            "sex": d.sex, "age_group": d.age_group,
            # Only the registrations keep the return type (BEN-1's breakdown).
            "return_type": case((st.cube == RETURN_TYPE_CUBE, d.return_type), else_=ALL),
            **{i: st[i] for i in items}}
    joined = stage.join(dims_table, d.dkey == st.dkey)
    # The figure cubes read by country only (figure_cubes.COUNTRY_ONLY): rollup 0 alone,
    # straight from the staging cells.
    by_country = st.cube.in_(figure_cubes.COUNTRY_ONLY)
    put(0, {**base, "sex": literal(ALL), "age_group": literal(ALL), "region": literal(ALL),
            "vulnerability": literal(ALL)}, joined, by_country)
    put(SEXAGE | REGION, {**base, "region": d.region, "vulnerability": literal(ALL)}, joined,
        ~by_country)
    expanded = joined.join(flags, or_(
        d.vulnerability.contains("|" + flags.c.flag + "|"),
        and_(d.vulnerability == "", flags.c.flag == NONE)))
    put(SEXAGE | VULNERABILITY, {**base, "region": literal(ALL),
                                 "vulnerability": flags.c.flag}, expanded, ~by_country)

    def source_c(m: str) -> Any:  # noqa: F811 - the coarser rollups read the cells
        return c[m]

    for rollup, origin, region, vul, sexage in (
            (SEXAGE, SEXAGE | REGION, False, False, True),
            (REGION, SEXAGE | REGION, True, False, False),
            (VULNERABILITY, SEXAGE | VULNERABILITY, False, True, False),
            (0, SEXAGE, False, False, False)):
        columns = {"country": c.country, "cube": c.cube, "variant": c.variant,
                   "sex": c.sex if sexage else literal(ALL),
                   "age_group": c.age_group if sexage else literal(ALL),
                   "return_type": c.return_type,
                   "region": c.region if region else literal(ALL),
                   "vulnerability": c.vulnerability if vul else literal(ALL),
                   **{i: c[i] for i in items}}
        put(rollup, columns, target, c.rollup == origin)


class Build:
    """What a cube's ``rows`` works with, during one build: ``ben`` (an_ben: the build's
    beneficiaries and their breakdown values), ``mine(column)`` (restricts a source read to
    them before the join: TRUE in a full build), the first deliveries (temporary tables
    shared by the cubes that need them), and the FUP-4 weights and threshold."""

    def __init__(self, conn: Connection, ben: Table, restricted: bool,
                 weights: tuple[float, float, float], threshold: float) -> None:
        self.conn, self.ben, self.restricted = conn, ben, restricted
        self.weights, self.threshold = weights, threshold
        self._firsts: dict[tuple[str, bool], Table] = {}

    def mine(self, column: Any) -> Any:
        return column.in_(select(self.ben.c.id)) if self.restricted else true()

    def joined(self, rows: Any, bid: Any = None) -> Any:
        """``rows`` (a subquery or table with a ``bid`` column) joined to an_ben."""
        return rows.join(self.ben, self.ben.c.id == (rows.c.bid if bid is None else bid))

    def first_deliveries(self, variant: str = "", *, collective: bool = False) -> Table:
        """Per beneficiary (and ``variant``'s group values): the first delivered
        assistance ``fd`` (``collective``: the first to a cooperative)."""
        key = (variant, collective)
        if key not in self._firsts:
            self._firsts[key] = _first_deliveries(self.conn, variant, collective, self.mine)
        return self._firsts[key]

    def not_closed(self, fd: Table) -> Any:
        return _not_closed(fd, self.mine)

    def drop(self) -> None:
        for table in self._firsts.values():
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")


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
    ben = _beneficiaries(conn, only)
    stage = _stage_table(conn)
    context = Build(conn, ben, only is not None, weights, threshold)
    for cube in declared:
        for variant in cube.variants:
            rows = cube.rows(context, variant)
            if len(rows.sums) != len(cube.measures):
                raise ValueError(f"cube {cube.name}: {len(rows.sums)} sums for measures "
                                 f"{cube.measures}")
            _insert(conn, stage, cube.name, variant, rows.source, ben, month=rows.month,
                    items=dict(rows.items), link=rows.link, days=rows.days, sums=rows.sums,
                    counts=cube.count_positions)

    def put(cube: str, variant: str, source: Any, **kw: Any) -> None:
        _insert(conn, stage, cube, variant, source, ben, **kw)

    figure_cubes.build_figure_cubes(conn, put, ben, whole=only is None)
    _rollups(conn, stage, CELL if only is None else into)
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
    from data_access.settings import load_settings

    settings = load_settings()
    return tuple(settings.score_weights), settings.sustainability_threshold  # type: ignore[return-value]


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


__all__ = ["ALL", "NO_NEXT", "NO_PREVIOUS", "ROLLUPS", "is_fresh", "refresh"]
