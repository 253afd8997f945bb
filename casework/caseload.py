"""The caseload: paginated lists of the beneficiaries a viewer may see, follow-ups due, one
case in detail, and the Excel export of a list.

Every function takes a session opened with the viewer's scope (``data_access.db.session``)
and plain arguments; the scope listener restricts every table in every query to the
viewer's countries, so nothing here filters by the viewer (the ``countries`` argument is
the user's own filter and can only narrow). Lists are paginated in SQL (LIMIT/OFFSET
with a unique tie-breaker, so pages never overlap).

Follow-up visits: the one rule of ``data_access.followups`` (domain.md), shared with Data
quality and FUP-1: a visit is due 182 days after the first delivered assistance and met by
a visit at least that late; a case is *overdue* when its due date is on or before the
as-of date ("today") with no such visit by then, *due* when it falls within the horizon;
closed cases are never due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import String, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

import metrics  # noqa: F401 - declares the cubes whose freshness is_fresh checks
from analytics import cubes, figure_cubes
from data_access import followups, spreadsheet
from data_access.lookups import money_label
from data_access.models import (
    Assistance,
    Attendance,
    Beneficiary,
    FollowUp,
    Partner,
    Referral,
    TrainingSession,
)
from data_access.vocab import AssistanceStatus
from i18n import N_, _, pgettext

# A search is a case number or a name: longer text is cut here (SQLite refuses LIKE
# patterns over 50,000 characters, and the error would quote the pattern).
SEARCH_MAX_CHARS = 200
SORTS = ("case_number", "name", "region", "status", "last_visit", "next_due")
COLUMNS = {  # result column -> heading on screen and in the export (English; ``headings``)
    "case_number": N_("Case number"), "name": N_("Name"), "country": N_("Country"),
    "region": N_("Region"), "status": N_("Status"),
    "assistance": N_("Assistance (modality/sector)"), "first_delivery": N_("First delivery"),
    "last_visit": N_("Last visit"), "next_due": N_("Next follow-up due"),
    "follow_up": N_("Follow-up"),
}


def headings() -> dict[str, str]:
    """``COLUMNS`` in the current language."""
    return {column: _(heading) for column, heading in COLUMNS.items()}


# --- the list --------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    rows: pd.DataFrame  # columns: id + COLUMNS keys
    total: int  # rows matching, over all pages
    offset: int
    limit: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


class sort_name(FunctionElement[str]):  # noqa: N801 (reads like a SQL function)
    """The name sort key, ``lower(last || ' ' || first)``: exactly the expression of the
    index ``ix_beneficiary_page_name`` (migration 0003), so the name sort reads that index."""

    type = String()
    inherit_cache = True
    name = "sort_name"


@compiles(sort_name)
def _sort_name(element: sort_name, compiler: Any, **kw: Any) -> str:
    last, first = (compiler.process(c, **kw) for c in element.clauses)
    return f"lower(coalesce({last}, '') || ' ' || coalesce({first}, ''))"


# Sorts read in the order of an index (key, id, country) of migration 0003: a page costs
# its offset in index entries, never a sort of the caseload. The other two need every
# case's visits and deliveries.
INDEXED_SORTS = ("case_number", "name", "region", "status")


def _parts(today: dt.date, ids: Sequence[int] | None = None) -> dict[str, Any]:
    """First delivery, last visit (by ``today``) and next due date per beneficiary (of
    ``ids`` only, when given: a page's rows), by the one follow-up rule
    (``data_access.followups``): due 182 days after the first delivery, met by a visit at
    least that late dated by ``today``; closed cases are never due."""
    first = (select(Assistance.beneficiary_id.label("bid"),
                    func.min(Assistance.delivered_date).label("first_delivery"))
             .where(Assistance.status == AssistanceStatus.DELIVERED,
                    Assistance.delivered_date.is_not(None)))
    visits = (select(FollowUp.beneficiary_id.label("bid"),
                     func.max(FollowUp.visit_date).label("last_visit"))
              .where(FollowUp.visit_date <= today))
    if ids is not None:
        first = first.where(Assistance.beneficiary_id.in_(ids))
        visits = visits.where(FollowUp.beneficiary_id.in_(ids))
    first_sub = first.group_by(Assistance.beneficiary_id).subquery("first_delivery")
    visits_sub = visits.group_by(FollowUp.beneficiary_id).subquery("last_visit")
    first_delivery, last = first_sub.c.first_delivery, visits_sub.c.last_visit
    # The latest visit by today meets the rule exactly when some visit by today does.
    next_due = case(
        (and_(first_delivery.is_not(None), followups.not_closed(Beneficiary.status),
              or_(last.is_(None), ~followups.meets(first_delivery, last))),
         followups.due_date(first_delivery)),
        else_=None)
    return {"first": first_sub, "visits": visits_sub, "first_delivery": first_delivery,
            "last_visit": last, "next_due": next_due}


def _joined(stmt: Any, parts: dict[str, Any]) -> Any:
    first, visits = parts["first"], parts["visits"]
    return (stmt.outerjoin(first, first.c.bid == Beneficiary.id)
            .outerjoin(visits, visits.c.bid == Beneficiary.id))


def _filtered(stmt: Any, *, search: str, countries: Sequence[str]) -> Any:
    """The user's own filters on the beneficiary (the scope is added by the session)."""
    if countries:
        stmt = stmt.where(Beneficiary.country.in_(tuple(c.upper() for c in countries)))
    term = search.strip().lower()[:SEARCH_MAX_CHARS]
    if term:  # a bound parameter, LIKE wildcards escaped: hostile input stays text
        full = func.lower(func.coalesce(Beneficiary.first_name, "") + " "
                          + func.coalesce(Beneficiary.last_name, ""))
        stmt = stmt.where(or_(func.lower(Beneficiary.case_number).contains(term,
                                                                          autoescape=True),
                              full.contains(term, autoescape=True),
                              sort_name(Beneficiary.last_name, Beneficiary.first_name)
                              .contains(term, autoescape=True)))
    return stmt


def _counted_in_cells(session: Session, countries: Sequence[str]) -> int | None:
    """How many returnees the scope (and ``countries``) holds, from the analytics cells
    while they are current (None otherwise): every returnee is one count of the
    completeness cube's ``ben`` cells (rollup 0), by registration month, which is never
    empty. Exact like the COUNT it replaces (``tests/test_caseload.py`` compares them),
    and a few index entries instead of a million: PostgreSQL has no cheap exact COUNT
    (~30 ms at 1M, twice SQLite's whole Caseload page)."""
    from data_access.models import AnalyticsCell as Cell

    if not session.info.get("analytics", True) or cubes.is_fresh(session) is None:
        return None
    stmt = select(func.coalesce(func.sum(Cell.n), 0)).where(
        Cell.cube == figure_cubes.COMPLETENESS, Cell.variant == "ben", Cell.rollup == 0)
    if countries:
        stmt = stmt.where(Cell.country.in_(tuple(c.upper() for c in countries)))
    return int(session.execute(stmt).scalar_one())


def _page_ids(session: Session, stmt: Any, order: Sequence[Any], *, limit: int,
              offset: int, one_pass: bool,
              total: int | None = None) -> tuple[int, list[int]]:
    """(rows matching ``stmt``, the ids of one page of them in ``order``).

    ``one_pass``: the count comes with the page (``count(*) OVER ()``), for queries that
    read every candidate row anyway (a search, the follow-up columns); otherwise a
    separate COUNT, which reads the covering country index and not the table, unless
    ``total`` is known already.
    """
    if one_pass:
        found = session.execute(stmt.add_columns(func.count().over().label("total"))
                                .order_by(*order).limit(limit).offset(offset)).all()
        if found or offset == 0:
            return (int(found[0].total) if found else 0), [int(r[0]) for r in found]
    if total is None:
        total = session.execute(stmt.with_only_columns(func.count())).scalar()
    ids = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).scalars()
    return int(total or 0), [int(i) for i in ids]


def cases(session: Session, *, today: dt.date, search: str = "",
          countries: Sequence[str] = (), sort: str = "case_number", descending: bool = False,
          limit: int = 50, offset: int = 0, due_within: int | None = None) -> Page:
    """One page of the scoped caseload, searched (case number or name) and sorted.

    ``due_within`` (days) keeps the cases whose next follow-up is overdue or due within
    that many days of ``today`` (the follow-ups view).

    Paged in SQL: the page's ids are chosen first, in the order of ``sort`` then id (a
    unique tie-breaker, so pages never overlap or skip a row; descending reverses both),
    and only those rows are read in full. Sorts by a beneficiary column read their index;
    the follow-ups view and the sorts by last visit or next due date compute those columns
    for every case in scope. ``total`` is an exact count.
    """
    if sort not in SORTS:
        raise ValueError(f"cannot sort by {sort!r}; choose one of {', '.join(SORTS)}")
    limit = max(1, min(int(limit), 500))
    offset = max(0, int(offset))
    stmt = _filtered(select(Beneficiary.id).select_from(Beneficiary), search=search,
                     countries=countries)
    keys: dict[str, Any] = {
        "case_number": Beneficiary.case_number, "region": Beneficiary.region,
        "name": sort_name(Beneficiary.last_name, Beneficiary.first_name),
        "status": Beneficiary.status}
    if due_within is None and sort in INDEXED_SORTS:
        one_pass = bool(search.strip())
    else:
        parts = _parts(today)
        stmt = _joined(stmt, parts)
        if due_within is not None:
            stmt = stmt.where(parts["next_due"] <= today + dt.timedelta(days=due_within))
        keys.update(last_visit=parts["last_visit"], next_due=parts["next_due"])
        one_pass = True
    key = keys[sort]
    nullable = sort in ("region", "last_visit", "next_due")
    if descending:
        order = [key.desc().nulls_last() if nullable else key.desc(), Beneficiary.id.desc()]
    else:
        order = [key.asc().nulls_last() if nullable else key.asc(), Beneficiary.id.asc()]
    known = None if one_pass else _counted_in_cells(session, countries)
    total, ids = _page_ids(session, stmt, order, limit=limit, offset=offset,
                           one_pass=one_pass, total=known)
    return Page(_rows(session, ids, today), total, offset, limit)


def _rows(session: Session, ids: list[int], today: dt.date) -> pd.DataFrame:
    """The page's rows, in the order of ``ids``: only these cases are read in full."""
    parts = _parts(today, ids)
    found = {r.id: r for r in session.execute(_joined(
        select(Beneficiary.id, Beneficiary.case_number, Beneficiary.first_name,
               Beneficiary.last_name, Beneficiary.country, Beneficiary.region,
               Beneficiary.status, parts["first_delivery"].label("first_delivery"),
               parts["last_visit"].label("last_visit"),
               parts["next_due"].label("next_due")).select_from(Beneficiary), parts)
        .where(Beneficiary.id.in_(ids)))} if ids else {}
    rows = pd.DataFrame([{
        "id": r.id, "case_number": r.case_number,
        "name": " ".join(p for p in (r.first_name, r.last_name) if p),
        "country": r.country, "region": r.region or "",
        "status": str(r.status.value if hasattr(r.status, "value") else r.status),
        "first_delivery": _date(r.first_delivery), "last_visit": _date(r.last_visit),
        "next_due": _date(r.next_due),
    } for r in (found[i] for i in ids if i in found)],
        columns=["id", "case_number", "name", "country", "region", "status",
                 "first_delivery", "last_visit", "next_due"])
    rows["assistance"] = _assistance_summary(session, rows["id"].tolist())
    rows["follow_up"] = [follow_up_state(d, today) for d in rows["next_due"]]
    return rows[["id", *COLUMNS]]


def follow_up_state(next_due: dt.date | None, today: dt.date, horizon: int = 30) -> str:
    if next_due is None or pd.isna(next_due):
        return ""
    if next_due <= today:  # due by the as-of date and not met: overdue (followups)
        return _("overdue {days} d").format(days=(today - next_due).days)
    if next_due <= today + dt.timedelta(days=horizon):
        return _("due in {days} d").format(days=(next_due - today).days)
    return _("scheduled")


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _assistance_summary(session: Session, ids: list[int]) -> list[str]:
    if not ids:
        return []
    stmt = (select(Assistance.beneficiary_id, Assistance.modality, Assistance.sector)
            .where(Assistance.beneficiary_id.in_(ids),
                   Assistance.status != AssistanceStatus.CANCELLED)
            .order_by(Assistance.beneficiary_id, Assistance.id))
    found: dict[int, list[str]] = {}
    for bid, modality, sector in session.execute(stmt):
        text = f"{modality.value}/{sector.value if sector else '–'}"
        if text not in found.setdefault(bid, []):
            found[bid].append(text)
    return [", ".join(found.get(i, [])) for i in ids]


# --- one case --------------------------------------------------------------------------

def case_detail(session: Session, beneficiary_id: int) -> dict[str, Any] | None:
    """One case the viewer may see: its record, assistance, training, visits and referrals
    (issue 21: to which partner, for what, when, and what became of it)."""
    ben = session.execute(select(Beneficiary).where(Beneficiary.id == beneficiary_id)
                          ).scalar_one_or_none()
    if ben is None:
        return None
    # Headings in the current language; values stay codes (the page says them in words).
    record = {
        _("Case number"): ben.case_number,
        _("Name"): " ".join(p for p in (ben.first_name, ben.last_name) if p),
        _("Phone"): ben.phone or "", _("Country"): ben.country, _("Region"): ben.region or "",
        _("Sex"): ben.sex.value, _("Birth year"): ben.birth_year,
        _("Household size"): ben.household_size, _("Returned from"): ben.host_country or "",
        _("Return date"): ben.return_date,
        _("Return type"): ben.return_type.value if ben.return_type else "",
        pgettext("date", "Registered"): ben.registration_date, _("Status"): ben.status.value,
    }
    assistance = session.execute(
        select(Assistance.modality, Assistance.kind, Assistance.sector, Assistance.amount_eur,
               Assistance.approved_date, Assistance.delivered_date, Assistance.status)
        .where(Assistance.beneficiary_id == beneficiary_id)
        .order_by(Assistance.approved_date, Assistance.id)).all()
    training = session.execute(
        select(TrainingSession.kind, TrainingSession.session_date, TrainingSession.provider,
               Attendance.completed)
        .join(Attendance, Attendance.session_id == TrainingSession.id)
        .where(Attendance.beneficiary_id == beneficiary_id)
        .order_by(TrainingSession.session_date)).all()
    visits = session.execute(
        select(FollowUp.visit_date, FollowUp.business_operating, FollowUp.jobs_created,
               FollowUp.score_economic, FollowUp.score_social, FollowUp.score_psychosocial)
        .where(FollowUp.beneficiary_id == beneficiary_id)
        .order_by(FollowUp.visit_date)).all()

    referrals = session.execute(
        select(Partner.name, Referral.service, Referral.referral_date, Referral.status,
               Referral.accepted_date, Referral.service_date)
        .join(Partner, Partner.id == Referral.partner_id)
        .where(Referral.beneficiary_id == beneficiary_id)
        .order_by(Referral.referral_date, Referral.id)).all()

    def code(value: Any) -> Any:
        return value.value if hasattr(value, "value") else value

    return {
        "record": record,
        "assistance": pd.DataFrame(
            [[code(v) for v in r] for r in assistance],
            columns=[_("Modality"), _("Kind"), _("Sector"), money_label(_("Amount")),
                     pgettext("date", "Approved"), pgettext("date", "Delivered"),
                     _("Status")]),
        "training": pd.DataFrame(
            [[code(v) for v in r] for r in training],
            columns=[_("Kind"), _("Date"), _("Provider"),
                     pgettext("attendance", "Completed")]),
        "visits": pd.DataFrame(
            [list(r) for r in visits],
            columns=[_("Visit date"), _("Business operating"), _("Jobs created"),
                     _("Economic score"), _("Social score"), _("Psychosocial score")]),
        "referrals": pd.DataFrame(
            [[code(v) for v in r] for r in referrals],
            columns=[_("Partner"), _("Service"), _("Referral date"), _("Referral status"),
                     pgettext("date", "Accepted"), _("Service date")]),
    }


# --- Excel -----------------------------------------------------------------------------

def to_xlsx(frame: pd.DataFrame, sheet: str = "Caseload",
            note: str | None = None) -> bytes:
    """The table as an XLSX workbook (``note`` on row 1, the table from row 3), written by
    ``data_access.spreadsheet``: text starting like a formula stays text, dates and
    numbers stay dates and numbers."""
    return spreadsheet.frame_to_xlsx_bytes({sheet: frame}, note=note, fit=True)
