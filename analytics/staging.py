"""Staging the cells: the build's beneficiaries (``an_ben``), the staging table every cube
variant inserts into (``insert_cells``, one GROUP BY per variant, with the key sums), and
the rollups that make ``analytics_cell`` from it.

Typing: ``Any`` stands for SQLAlchemy SQL expressions and FROM clauses of many classes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
)

from analytics import figure_cubes
from analytics.sql import (
    ALL,
    CELL,
    DIMS,
    KEY_SUMS,
    NONE,
    REGION,
    RETURN_TYPE_CUBE,
    SEXAGE,
    UNKNOWN,
    VULNERABILITY,
    T,
    temp,
)
from data_access.vocab import Vulnerability, age_group_case


def beneficiaries(conn: Connection, only: Table | None = None) -> Table:
    """Per beneficiary: its breakdown values, as the case-table queries spell them, and
    its vulnerability flags as '|a|b|' ('' for none). ``only``: a table of the beneficiary
    ids to keep (the incremental refresh), else every beneficiary."""
    ben, vul = T["beneficiary"], T["beneficiary_vulnerability"]
    age_group = age_group_case(ben.c.return_date, ben.c.birth_year)
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
    full = temp(conn, "an_ben", keyed, "id")
    temp(conn, "an_dims", select(*[full.c[n] for n in DIMS], full.c.dkey).distinct(),
          "dkey")
    return full


STAGE_COLUMNS = ("cube", "variant", "dkey", "sector", "modality", "kind", "month", "link",
                 "days", "n", "s1", "s2", "s3", "s4", *KEY_SUMS)


def stage_table(conn: Connection) -> Table:
    conn.exec_driver_sql("DROP TABLE IF EXISTS an_stage")
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE an_stage (cube VARCHAR(32), variant VARCHAR(32), dkey INTEGER, "
        "sector VARCHAR(32), modality VARCHAR(32), kind VARCHAR(32), month INTEGER, "
        "link INTEGER, days INTEGER, n INTEGER, s1 FLOAT, s2 FLOAT, s3 FLOAT, s4 FLOAT, "
        + ", ".join(f"{k} BIGINT" for k in KEY_SUMS) + ")")
    types = {"cube": String, "variant": String, "sector": String, "modality": String,
             "kind": String, **{k: BigInteger for k in KEY_SUMS}}
    return Table("an_stage", MetaData(), *[
        Column(c, types.get(c, Float if c.startswith("s") and c[1:].isdigit() else Integer))
        for c in STAGE_COLUMNS])


def insert_cells(conn: Connection, stage: Table, cube: str, variant: str, source: Any,
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


def rollups(conn: Connection, stage: Table, target: Table = CELL) -> None:
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

    def put(rollup: int, columns: dict[str, Any], source: Any, where: Any = None, *,
            sums: Any = st) -> None:
        """INSERT one rollup; ``sums``: the columns whose measures it sums (the staging
        cells for the finest two, the cells for the coarser ones)."""
        values_ = {"rollup": literal(rollup), **columns}
        query = select(*[v.label(k) for k, v in values_.items()],
                       *[func.sum(sums[m]).label(m) for m in measures]).select_from(source)
        if where is not None:
            query = query.where(where)
        query = query.group_by(*[v for v in columns.values() if not _is_literal(v)])
        conn.execute(insert(target).from_select(list(values_) + measures, query))

    # Finest two: region + sex/age, and vulnerability (one row per flag) + sex/age.
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

    # The coarser rollups read the cells.
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
        put(rollup, columns, target, c.rollup == origin, sums=c)
