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

from analytics import figure_cubes
from data_access import followups
from data_access.models import AnalyticsCell, AnalyticsState, Base
from data_access.vocab import AssistanceStatus, Vulnerability

ALL = "*"
UNKNOWN = "unknown"
NONE = "none"
NO_PREVIOUS = 0
NO_NEXT = 999999
REGION, VULNERABILITY, SEXAGE = 1, 2, 4
# The cells' key sums (issue 14): k behind n, k1…k4 behind s1…s4 where those are counts.
KEY_SUMS = ("k", "k1", "k2", "k3", "k4")
STAGING = -1
# The rollups kept (bit 1 region, 2 vulnerability, 4 sex and age group); region and
# vulnerability together are not kept (such a query reads the case tables).
ROLLUPS = (0, REGION, VULNERABILITY, SEXAGE, SEXAGE | REGION, SEXAGE | VULNERABILITY)
AGE_GROUPS = ("<18", "18–24", "25–34", "35–49", "50+")
SIX_MONTHS, TWELVE_MONTHS = followups.DUE_DAYS, 365
CELL = AnalyticsCell.__table__
STATE = AnalyticsState.__table__
T = Base.metadata.tables

# cube -> the assistance/training groups it is built for ("" = none); see metrics.fast.
CUBES: dict[str, tuple[str, ...]] = {
    "reg": ("",),                                       # BEN-1
    "dlv": ("", "smk"),                                 # ASS-1, ASS-2
    # "first"/"coll" by sector, modality, kind: figure_cubes.FIRST_GROUPS
    "first": ("", "sector", "modality", "kind"),        # BEN-2, BEN-3, COOP-2, TRN-2
    "coll": ("", "sector"),                             # COOP-2 members
    "wait": ("",),                                      # ASS-3 histogram
    "due": ("",),                                       # FUP-1 denominator
    "cov": ("",),                                       # FUP-1 numerator
    "trn": ("", "kind"),                                # TRN-1
    "upt": ("",),                                       # TRN-2 numerator
    "att": ("kind",),                                   # TRN-3
    "f2": ("", "sector", "modality"),                   # FUP-2 and FUP-2-12M
    "f3": ("", "sector"),                               # FUP-3
    "f4": ("",),                                        # FUP-4
}
DIMS = ("country", "region", "sex", "age_group", "return_type", "vulnerability")
GROUPS = {"": (), "sector": ("sector",), "modality": ("modality",), "kind": ("kind",),
          "smk": ("sector", "modality", "kind")}


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
_days = followups.days_between


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
        "CREATE TEMPORARY TABLE an_stage (cube VARCHAR(8), variant VARCHAR(8), dkey INTEGER, "
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
            "return_type": case((st.cube == "reg", d.return_type), else_=ALL),
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


def _uptake_cube(put: Any, ben: Table, fd_all: Table, mine: Any) -> None:
    """TRN-2's numerator, cube "upt": per assisted returnee with a completed session, one
    count at the month from which both hold (the later of the first delivery and the first
    completed session). Those trained and assisted by the end of month E are the cells of
    months up to E; the cohort (assisted by then) is the "first" cube's cells up to E."""
    att, ses = T["attendance"], T["training_session"]
    trained = (select(att.c.beneficiary_id.label("bid"),
                      func.min(ses.c.session_date).label("fs"))
               .select_from(att.join(ses, ses.c.id == att.c.session_id))
               .where(att.c.completed.is_(True), mine(att.c.beneficiary_id))
               .group_by(att.c.beneficiary_id).subquery("fs"))
    both = (select(fd_all.c.bid.label("bid"),
                   case((fd_all.c.fd > trained.c.fs, fd_all.c.fd), else_=trained.c.fs)
                   .label("day"))
            .select_from(fd_all.join(trained, trained.c.bid == fd_all.c.bid))
            .subquery("upt"))
    put("upt", "", both.join(ben, ben.c.id == both.c.bid), month=month_of(both.c.day))


def build(conn: Connection, weights: tuple[float, float, float], threshold: float, *,
          only: Table | None = None, into: Table | None = None) -> None:
    """Rebuild every cube inside the caller's transaction on ``conn``.

    Restricted build (the incremental refresh, ``analytics.delta``): with
    ``only`` (a table of beneficiary ids) ``an_ben`` holds those beneficiaries alone and
    the cells they contribute go to ``into`` (a table of analytics_cell's columns, see
    ``analytics_delta.cell_table``); analytics_cell is not touched. That is exact because
    every cell is a sum of per-beneficiary contributions: every source joins ``an_ben``
    (through ``put``) and windows are partitioned by beneficiary. ``mine(column)``
    restricts a source read before that join (window subqueries, first deliveries) to
    an_ben's beneficiaries, which is what makes a restricted build fast; it is TRUE in a
    full build.
    """
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

    def mine(column: Any) -> Any:
        return column.in_(select(ben.c.id)) if only is not None else true()

    asst, att, ses, fu = T["assistance"], T["attendance"], T["training_session"], T["follow_up"]
    delivered_code = AssistanceStatus.DELIVERED.value

    def put(cube: str, variant: str, source: Any, **kw: Any) -> None:
        _insert(conn, stage, cube, variant, source, ben, **kw)

    # BEN-1: registrations (the dimension key holds the return type).
    put("reg", "", ben, month=month_of(ben.c.registration_date))

    # ASS-1, ASS-2: delivered records (s1 amount, s2 records with an amount).
    delivered = (select(asst.c.beneficiary_id, asst.c.sector, asst.c.modality, asst.c.kind,
                        asst.c.amount_eur, asst.c.delivered_date)
                 .where(asst.c.status == delivered_code, asst.c.delivered_date.is_not(None),
                        mine(asst.c.beneficiary_id))
                 .subquery("d"))
    for variant in CUBES["dlv"]:
        put("dlv", variant, delivered.join(ben, ben.c.id == delivered.c.beneficiary_id),
            month=month_of(delivered.c.delivered_date),
            items={d: func.coalesce(cast(delivered.c[d], String), UNKNOWN)
                   for d in GROUPS[variant]},
            sums=(delivered.c.amount_eur,
                  case((delivered.c.amount_eur.is_(None), 0), else_=1)), counts=(2,))

    # First deliveries: BEN-2 (s1 = vulnerable, for BEN-3), ASS-3's histogram, FUP-1's due
    # list (keyed by the month of first delivery + 182 days), COOP-2's members.
    fd_all = _first_deliveries(conn, "", collective=False, mine=mine)
    joined = fd_all.join(ben, ben.c.id == fd_all.c.bid)
    put("first", "", joined, month=month_of(fd_all.c.fd),
        sums=(case((ben.c.vulnerability == "", 0), else_=1),), counts=(1,))
    put("wait", "", joined, month=month_of(fd_all.c.fd),
        days=_days(ben.c.return_date, fd_all.c.fd))
    # FUP-1's due list and covered visits follow the one follow-up rule
    # (data_access.followups): closed cases are not due.
    due_fd = _not_closed(fd_all, mine)
    put("due", "", due_fd.join(ben, ben.c.id == due_fd.c.bid),
        month=month_plus_days(due_fd.c.fd, literal(SIX_MONTHS, Integer)))
    fd_coll = _first_deliveries(conn, "", collective=True, mine=mine)
    put("coll", "", fd_coll.join(ben, ben.c.id == fd_coll.c.bid), month=month_of(fd_coll.c.fd))

    # TRN-1: completed attendances, each with the month of the same beneficiary's (and
    # kind's) previous completed attendance. TRN-3: every attendance (s1 completed).
    kind = cast(ses.c.kind, String)
    for variant in CUBES["trn"]:
        partition = [att.c.beneficiary_id] + ([kind] if variant else [])
        events = (select(att.c.beneficiary_id.label("bid"), kind.label("kind"),
                         ses.c.session_date.label("day"),
                         func.lag(ses.c.session_date).over(
                             partition_by=partition,
                             order_by=[ses.c.session_date, att.c.id]).label("prev"))
                  .select_from(att.join(ses, ses.c.id == att.c.session_id))
                  .where(att.c.completed.is_(True), mine(att.c.beneficiary_id))
                  .subquery("e"))
        put("trn", variant, events.join(ben, ben.c.id == events.c.bid),
            month=month_of(events.c.day), items={"kind": events.c.kind} if variant else {},
            link=func.coalesce(month_of(events.c.prev), NO_PREVIOUS))
    _uptake_cube(put, ben, fd_all, mine)
    put("att", "kind", att.join(ses, ses.c.id == att.c.session_id).join(
        ben, ben.c.id == att.c.beneficiary_id), month=month_of(ses.c.session_date),
        items={"kind": kind}, sums=(case((att.c.completed.is_(True), 1), else_=0),),
        counts=(1,))

    # FUP-1 covered: visits at least 182 days after the first delivery, each with the
    # month of the previous such visit.
    events = (select(fu.c.beneficiary_id.label("bid"), fu.c.visit_date.label("day"),
                     func.lag(fu.c.visit_date).over(
                         partition_by=fu.c.beneficiary_id,
                         order_by=fu.c.visit_date).label("prev"))
              .select_from(fu.join(due_fd, due_fd.c.bid == fu.c.beneficiary_id))
              .where(_days(due_fd.c.fd, fu.c.visit_date) >= SIX_MONTHS,
                     mine(fu.c.beneficiary_id)).subquery("e"))
    put("cov", "", events.join(ben, ben.c.id == events.c.bid), month=month_of(events.c.day),
        link=func.coalesce(month_of(events.c.prev), NO_PREVIOUS))

    # FUP-2 and FUP-2-12M in one chain: visits recording whether the business operates,
    # at least 182 days after the (group's) first delivery, each with the month of the
    # next such visit. Visits at least 365 days after are a suffix of that chain, so their
    # next visit is the same. n, s1 operating (6 months); s2 visits, s3 operating (12).
    # FUP-3: visits recording jobs (assisted beneficiaries), next such visit; s1 jobs.
    firsts = {"": fd_all}
    for cube in ("f2", "f3"):
        for variant in CUBES[cube]:
            if variant not in firsts:
                firsts[variant] = _first_deliveries(conn, variant, collective=False,
                                                    mine=mine)
            fd = firsts[variant]
            keys = [fd.c[d] for d in GROUPS[variant]]
            gap = _days(fd.c.fd, fu.c.visit_date)
            if cube == "f2":
                conditions = [fu.c.business_operating.is_not(None), gap >= SIX_MONTHS]
                operating = case((fu.c.business_operating.is_(True), 1), else_=0)
                late = case((gap >= TWELVE_MONTHS, 1), else_=0)
                measures = [operating.label("m1"), late.label("m2"),
                            (operating * late).label("m3")]
            else:
                conditions = [fu.c.jobs_created.is_not(None)]
                measures = [fu.c.jobs_created.label("m1")]
            events = (select(fu.c.beneficiary_id.label("bid"), *keys,
                             fu.c.visit_date.label("day"), *measures,
                             func.lead(fu.c.visit_date).over(
                                 partition_by=[fu.c.beneficiary_id, *keys],
                                 order_by=fu.c.visit_date).label("next"))
                      .select_from(fu.join(fd, fd.c.bid == fu.c.beneficiary_id))
                      .where(*conditions, mine(fu.c.beneficiary_id)).subquery("e"))
            put(cube, variant, events.join(ben, ben.c.id == events.c.bid),
                month=month_of(events.c.day),
                items={d: events.c[d] for d in GROUPS[variant]},
                link=func.coalesce(month_of(events.c.next), NO_NEXT),
                sums=tuple(events.c[m.name] for m in measures),
                counts=(1, 2, 3) if cube == "f2" else ())

    # FUP-4: visits with all three scores, next such visit; s1–s3 the scores, s4 whether
    # the composite reaches the threshold (with the weights and threshold of this build).
    total = float(sum(weights))
    weighted = (weights[0] * fu.c.score_economic + weights[1] * fu.c.score_social
                + weights[2] * fu.c.score_psychosocial)
    events = (select(fu.c.beneficiary_id.label("bid"), fu.c.visit_date.label("day"),
                     fu.c.score_economic.label("e"), fu.c.score_social.label("s"),
                     fu.c.score_psychosocial.label("p"),
                     case((weighted >= threshold * total, 1), else_=0).label("ok"),
                     func.lead(fu.c.visit_date).over(
                         partition_by=fu.c.beneficiary_id,
                         order_by=fu.c.visit_date).label("next"))
              .where(fu.c.score_economic.is_not(None), fu.c.score_social.is_not(None),
                     fu.c.score_psychosocial.is_not(None), mine(fu.c.beneficiary_id))
              .subquery("e"))
    put("f4", "", events.join(ben, ben.c.id == events.c.bid), month=month_of(events.c.day),
        link=func.coalesce(month_of(events.c.next), NO_NEXT),
        sums=(events.c.e, events.c.s, events.c.p, events.c.ok), counts=(4,))

    figure_cubes.build_figure_cubes(conn, put, ben, whole=only is None)
    _rollups(conn, stage, CELL if only is None else into)
    for name in ("an_stage", "an_ben", "an_dims", "an_fd_all", "an_fd_sector",
                 "an_fd_modality", "an_fdc_all"):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    if remake_index:
        for index in CELL.indexes:
            conn.execute(CreateIndex(index))


# Bumped whenever the cubes' layout changes: cells of another layout are never read.
# 5: the key sums k, k1…k4 (issue 14); TRN-2's cube "upt", FUP-1's due/cov without
# closed cases (issue 16). 6: both together. 7: k4 behind FUP-4's sustainable count.
LAYOUT = 7


def settings_key(weights: tuple[float, float, float], threshold: float) -> str:
    return json.dumps({"layout": LAYOUT, "weights": list(weights), "threshold": threshold})


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
    if key and f'"layout": {LAYOUT},' not in key:
        key = ""  # built by another version: read the case tables until refreshed
    session.info["_analytics_fresh"] = key or ""
    return key or None


__all__ = ["ALL", "CUBES", "NO_NEXT", "NO_PREVIOUS", "ROLLUPS", "is_fresh", "refresh"]
