"""Analytics cubes for the figures that are not catalogue indicators (issue 8).

The pipeline funnel (``metrics.pipeline``), the data-quality checks and completeness
(``metrics.quality``) and the assisted returnees by route (``metrics.cooperatives``) ask
about the returnees *registered* (or first assisted) in the period, with something reached
*by the period end*. For a whole-month range [a, b] that is: cells with ``month`` (the
registration or first-delivery month) in [a, b] and ``link`` (the month from which the
thing holds) <= b.

A figure that holds over an interval of period ends [L, U] — the median's "days at a step"
runs from the latest earlier step dated by the end, which can change with the end when the
recorded dates are out of order; "follow-up overdue" holds from the month the visit fell
due until the month of the first visit after that — is stored as two signed rows, +1 at
``link`` L and -1 at ``link`` U + 1, so the sum of ``n`` over ``link <= b`` counts it
exactly when L <= b <= U.

Every cube built by ``build_figure_cubes`` is a per-beneficiary contribution joined to
``an_ben`` through ``put`` (restricting ``an_ben`` to some beneficiaries recomputes their
part only). The duplicate checks are not: whether a returnee has a duplicate depends on the
others. ``rebuild_duplicate_cells`` keeps them in small cubes rebuilt whole (rollup 0 only,
one row per returnee who shares a key with anyone, ``link`` the key's group); any refresh,
incremental or not, must call it.

Cubes (``variant`` in brackets; all but ``route`` keep rollup 0 only, ``COUNTRY_ONLY``;
their measures are still positional, s1…s4 as listed, unlike the catalogue cubes'):

- ``pipeline`` [reg, cns, pln, ast, mon]: per returnee by registration month, ``link`` the month
  from which the step counts as reached (0: its case status says so; NO_NEXT: never).
- ``pipeline_days`` [cns, pln, ast, mon]: histogram of days at the step (``days``), signed rows.
- ``quality_checks`` [dbr delivery before return (records), neg negative amounts (records),
  bar birth after return, ovd follow-up overdue (signed rows)], by registration month.
- ``completeness`` [ben: n returnees, s1 region, s2 birth date or year, s3 host country, s4 return
  type; hh: s1 household size; asst: n delivered, s1 delivery date, s2 amount, s3 business
  grants, s4 grants with a sector], by registration month.
- ``route`` ['']: per returnee by first-delivery month, ``link`` the month of their first
  delivered collective assistance (NO_NEXT: none).
- ``host_country`` ['']: returnees by registration month, ``kind`` their host country.
- ``amount_band`` ['']: delivered records with an amount by delivery month, ``kind`` the band.
- ``duplicate_case`` / ``duplicate_person`` (rollup 0 only): duplicate case numbers / persons.

Typing: ``Any`` stands for SQLAlchemy SQL expressions and FROM clauses of many classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Connection,
    String,
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
)

from analytics.sql import (
    ALL,
    CELL,
    NO_NEXT,
    UNKNOWN,
    T,
    days_between_sql,
    month_of,
    month_plus_days,
    temp,
)
from data_access import followups, vocab
from data_access.vocab import AssistanceKind, AssistanceStatus, CaseStatus

STEPS = ("reg", "cns", "pln", "ast", "mon")
# Case statuses at or beyond a step when its own date is missing (data_access.vocab).
STATUS_AT_LEAST = {"cns": tuple(s.value for s in vocab.STATUS_AT_LEAST[CaseStatus.COUNSELLED]),
                   "pln": tuple(s.value for s in
                                vocab.STATUS_AT_LEAST[CaseStatus.PLAN_APPROVED])}
# The figure cubes' names (stored in analytics_cell.cube; the readers use these constants).
PIPELINE, PIPELINE_DAYS, QUALITY = "pipeline", "pipeline_days", "quality_checks"
COMPLETENESS, ROUTE, HOST_COUNTRY, AMOUNT_BAND = ("completeness", "route", "host_country",
                                                 "amount_band")
DUPLICATE_CASE, DUPLICATE_PERSON = "duplicate_case", "duplicate_person"
DUPLICATE_CUBES = (DUPLICATE_CASE, DUPLICATE_PERSON)
FIGURE_CUBES = (PIPELINE, PIPELINE_DAYS, QUALITY, COMPLETENESS, ROUTE, HOST_COUNTRY,
                AMOUNT_BAND, *DUPLICATE_CUBES)
# Read by country only: analytics._rollups keeps their rollup 0 alone (a day histogram by
# every breakdown would be millions of cells at 1M).
COUNTRY_ONLY = (PIPELINE, PIPELINE_DAYS, QUALITY, COMPLETENESS, HOST_COUNTRY, AMOUNT_BAND)
SIX_MONTHS = followups.DUE_DAYS
DELIVERED = AssistanceStatus.DELIVERED.value


# Grant amount bands (metrics.distributions.amount_bands): 0–499 … 4,500–4,999, then 5,000
# and more; negative amounts (a data-quality error) in a band of their own.
BAND_WIDTH = 500
BAND_COUNT = 10
NEGATIVE_BAND = -1


def amount_band(amount: Any) -> Any:
    return case((amount < 0, NEGATIVE_BAND),
                *[(amount < (i + 1) * BAND_WIDTH, i) for i in range(BAND_COUNT)],
                else_=BAND_COUNT)


def _least(conn: Connection, *exprs: Any) -> Any:
    """The smallest of several integers (SQLite's scalar min, PostgreSQL's least)."""
    if len(exprs) == 1:
        return exprs[0]
    return (func.min if conn.dialect.name == "sqlite" else func.least)(*exprs)


def _greatest(conn: Connection, *exprs: Any) -> Any:
    return (func.max if conn.dialect.name == "sqlite" else func.greatest)(*exprs)


def build_figure_cubes(conn: Connection, put: Callable[..., None], ben: Any, *,
                       whole: bool = True) -> None:
    """Every cube of this module, inside ``analytics.build`` (its ``put`` and ``an_ben``).
    ``whole``: a full build (else ``an_ben`` holds some beneficiaries only, and the
    duplicate cubes are left to ``rebuild_duplicate_cells``)."""

    b, asst, fu = T["beneficiary"], T["assistance"], T["follow_up"]

    def mine(column: Any) -> Any:
        return true() if whole else column.in_(select(ben.c.id))

    def only(source: Any, bid: Any, *where: Any, columns: tuple[Any, ...] = ()) -> Any:
        """The rows of ``source`` matching ``where``, joined to an_ben."""
        rows = select(bid.label("bid"), *columns).select_from(source).where(*where)
        sub = rows.subquery()
        return sub, sub.join(ben, ben.c.id == sub.c.bid)

    # Per returnee: the five step dates, first collective delivery, first visit >= 182 days
    # after the first delivery, case status.
    firsts = (select(asst.c.beneficiary_id.label("bid"),
                     func.min(asst.c.delivered_date).label("fd"),
                     func.min(case((asst.c.cooperative_id.is_not(None),
                                    asst.c.delivered_date))).label("fc"))
              .where(asst.c.status == DELIVERED, asst.c.delivered_date.is_not(None),
                     mine(asst.c.beneficiary_id))
              .group_by(asst.c.beneficiary_id).subquery("fds"))
    visits = (select(fu.c.beneficiary_id.label("bid"), fu.c.visit_date.label("day"))
              .where(mine(fu.c.beneficiary_id)).subquery("v"))
    first_visit = (select(visits.c.bid, func.min(visits.c.day).label("fv"))
                   .group_by(visits.c.bid).subquery("fv"))
    late_visit = (select(visits.c.bid, func.min(visits.c.day).label("lv"))
                  .select_from(visits.join(firsts, firsts.c.bid == visits.c.bid))
                  .where(days_between_sql(firsts.c.fd, visits.c.day) >= SIX_MONTHS)
                  .group_by(visits.c.bid).subquery("lv"))
    per = temp(conn, "an_fig", select(
        b.c.id.label("id"), b.c.registration_date.label("d0"),
        b.c.counselled_date.label("d1"), b.c.plan_approved_date.label("d2"),
        firsts.c.fd.label("d3"), first_visit.c.fv.label("d4"), firsts.c.fc.label("fc"),
        late_visit.c.lv.label("lv"), cast(b.c.status, String).label("status"))
        .select_from(b.join(ben, ben.c.id == b.c.id)
                     .outerjoin(firsts, firsts.c.bid == b.c.id)
                     .outerjoin(first_visit, first_visit.c.bid == b.c.id)
                     .outerjoin(late_visit, late_visit.c.bid == b.c.id)), "id")
    joined = per.join(ben, ben.c.id == per.c.id)
    registered = month_of(ben.c.registration_date)
    date = [per.c[f"d{i}"] for i in range(5)]

    def m(column: Any) -> Any:
        return func.coalesce(month_of(column), NO_NEXT)

    # Funnel counts: the month from which each step counts as reached.
    for k, step in enumerate(STEPS):
        link: Any = literal(0)
        if k:
            link = _least(conn, *[m(d) for d in date[k:]])
            if step in STATUS_AT_LEAST:
                link = case((per.c.status.in_(STATUS_AT_LEAST[step]), 0), else_=link)
        put(PIPELINE, step, joined, month=registered, link=link)

    # Days at a step, from the latest earlier step dated by the end: for the earlier step
    # j, from max(month k, month j) until before the first step between them is dated.
    for k in range(1, 5):
        rows = []
        for j in range(k):
            lower = _greatest(conn, month_of(date[k]), month_of(date[j]))
            upper = (_least(conn, *[m(d) for d in date[j + 1:k]]) if j + 1 < k
                     else literal(NO_NEXT))
            key = [per.c.id.label("bid"), days_between_sql(date[j], date[k]).label("days")]
            where = [date[k].is_not(None), date[j].is_not(None), lower < upper]
            rows.append(select(*key, lower.label("link"), literal(1).label("n"))
                        .where(*where))
            if j + 1 < k:
                rows.append(select(*key, upper.label("link"), literal(-1).label("n"))
                            .where(*where, upper < NO_NEXT))
        steps = union_all(*rows).subquery("steps")
        put(PIPELINE_DAYS, STEPS[k], steps.join(ben, ben.c.id == steps.c.bid), month=registered,
            link=steps.c.link, days=steps.c.days, n=steps.c.n)

    # Data-quality checks that are counts per returnee.
    _, late = only(asst.join(ben, ben.c.id == asst.c.beneficiary_id), asst.c.beneficiary_id,
                   asst.c.delivered_date < ben.c.return_date, asst.c.status == DELIVERED)
    put(QUALITY, "dbr", late, month=registered)
    _, negative = only(asst, asst.c.beneficiary_id, asst.c.amount_eur < 0)
    put(QUALITY, "neg", negative, month=registered)
    _, born_late = only(b.join(ben, ben.c.id == b.c.id), b.c.id, or_(
        b.c.birth_date > b.c.return_date,
        and_(b.c.birth_date.is_(None), b.c.birth_year > extract("year", b.c.return_date))))
    put(QUALITY, "bar", born_late, month=registered)
    # Follow-up overdue: from the month the visit fell due until before the month of the
    # first visit at least 182 days after the first delivery.
    due = month_plus_days(per.c.d3, literal(SIX_MONTHS))
    # The one follow-up rule (data_access.followups): closed cases are not due.
    open_case = followups.not_closed(per.c.status)
    overdue = union_all(
        select(per.c.id.label("bid"), due.label("link"), literal(1).label("n"))
        .where(per.c.d3.is_not(None), open_case, due < m(per.c.lv)),
        select(per.c.id.label("bid"), month_of(per.c.lv).label("link"),
               literal(-1).label("n"))
        .where(per.c.d3.is_not(None), open_case, per.c.lv.is_not(None),
               due < month_of(per.c.lv))
    ).subquery("ovd")
    put(QUALITY, "ovd", overdue.join(ben, ben.c.id == overdue.c.bid), month=registered,
        link=overdue.c.link, n=overdue.c.n)

    # Completeness.
    def filled(column: Any, when: Any = None) -> Any:
        present = column.is_not(None) if when is None else and_(when, column.is_not(None))
        return case((present, 1), else_=0)

    people = b.join(ben, ben.c.id == b.c.id)
    put(COMPLETENESS, "ben", people, month=registered,
        sums=(filled(b.c.region), filled(b.c.birth_year), filled(b.c.host_country),
              filled(b.c.return_type)), counts=(1, 2, 3, 4))
    put(COMPLETENESS, "hh", people, month=registered, sums=(filled(b.c.household_size),),
        counts=(1,))
    is_delivered = asst.c.status == DELIVERED
    grant = asst.c.kind == AssistanceKind.BUSINESS_GRANT.value
    put(COMPLETENESS, "asst", asst.join(ben, ben.c.id == asst.c.beneficiary_id), month=registered,
        n=case((is_delivered, 1), else_=0),
        sums=(filled(asst.c.delivered_date, is_delivered),
              filled(asst.c.amount_eur, is_delivered), case((grant, 1), else_=0),
              filled(asst.c.sector, grant)), counts=(1, 2, 3, 4))

    # Assisted by route: by first-delivery month; link the first collective delivery's.
    routed, routed_join = only(per, per.c.id, per.c.d3.is_not(None),
                               columns=(per.c.d3.label("fd"), per.c.fc.label("fc")))
    put(ROUTE, "", routed_join, month=month_of(routed.c.fd), link=m(routed.c.fc))
    conn.exec_driver_sql("DROP TABLE IF EXISTS an_fig")
    _distributions(conn, put, ben)
    if whole:
        rebuild_duplicate_cells(conn)


def _distributions(conn: Connection, put: Callable[..., None], ben: Any) -> None:
    """metrics.distributions: returnees registered by host country (``kind``: the host
    country, 'unknown' when missing), delivered records with an amount by band of amount
    (``kind``: the band, by delivery month)."""

    b, asst = T["beneficiary"], T["assistance"]
    put(HOST_COUNTRY, "", b.join(ben, ben.c.id == b.c.id), month=month_of(ben.c.registration_date),
        items={"kind": func.coalesce(b.c.host_country, UNKNOWN)})
    records = (select(asst.c.beneficiary_id.label("bid"), asst.c.delivered_date.label("day"),
                      cast(amount_band(asst.c.amount_eur), String).label("band"))
               .where(asst.c.status == DELIVERED, asst.c.amount_eur.is_not(None),
                      asst.c.delivered_date.is_not(None)).subquery("bands"))
    put(AMOUNT_BAND, "", records.join(ben, ben.c.id == records.c.bid),
        month=month_of(records.c.day), items={"kind": records.c.band})


def _case_number_key(b: Any) -> tuple[list[Any], list[Any]]:
    # Unique per country: the same number in two countries is not a duplicate.
    return ([b.c.country, func.lower(func.trim(b.c.case_number))],
            [b.c.case_number.is_not(None)])


def _person_key(b: Any) -> tuple[list[Any], list[Any]]:
    return ([func.lower(func.trim(b.c.first_name)), func.lower(func.trim(b.c.last_name)),
             b.c.sex, b.c.birth_date],
            [b.c.first_name.is_not(None), b.c.last_name.is_not(None), b.c.sex.is_not(None),
             b.c.birth_date.is_not(None)])


def rebuild_duplicate_cells(conn: Connection) -> None:
    """Rebuild the duplicate-check cubes whole (rollup 0): one cell per country ×
    registration month × group of returnees sharing a key (``link``: the group's smallest
    id), counting the group's returnees there. The check for a cohort sums the groups with
    two or more of its returnees. Not per-beneficiary: call it after any refresh."""

    b = T["beneficiary"]
    conn.execute(delete(CELL).where(CELL.c.cube.in_(DUPLICATE_CUBES)))
    for cube, key_of in ((DUPLICATE_CASE, _case_number_key), (DUPLICATE_PERSON, _person_key)):
        key, present = key_of(b)
        groups = (select(*[k.label(f"k{i}") for i, k in enumerate(key)],
                         func.min(b.c.id).label("gid"))
                  .where(*present).group_by(*key).having(func.count() > 1).subquery("g"))
        on = and_(*present, *[k == groups.c[f"k{i}"] for i, k in enumerate(key)])
        values = {"cube": literal(cube), "variant": literal(""), "rollup": literal(0),
                  "country": b.c.country,
                  **{c: literal(ALL) for c in ("region", "sex", "age_group", "vulnerability",
                                               "return_type", "sector", "modality", "kind")},
                  "month": month_of(b.c.registration_date), "link": groups.c.gid,
                  "days": literal(0)}
        query = (select(*[v.label(k) for k, v in values.items()], func.count().label("n"))
                 .select_from(b.join(groups, on))
                 .group_by(b.c.country, values["month"], groups.c.gid))
        conn.execute(insert(CELL).from_select([*values, "n"], query))
