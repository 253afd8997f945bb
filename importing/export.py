"""Export the case database in the import template's format (``manage.py export``).

The export reads through a session opened with the viewer's scope, so a focal point's
export holds their countries only (and never the programme-wide targets); the command
line's default scope is everything. Importing the export into an empty database gives the
same indicator values (tests/test_export_roundtrip.py).

The exchange rates are programme-wide (every country's grants share them): a viewer who
sees every country gets them all, a focal point those of the currencies their grants were
paid in (so that their export imports again).

Not exported (not in the template): the pipeline dates ``counselled_date`` and
``plan_approved_date``, and training sessions nobody attended.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data_access import db
from data_access.models import (
    Assistance,
    Attendance,
    Beneficiary,
    BeneficiaryVulnerability,
    CapacityActivity,
    Cooperative,
    ExchangeRate,
    FollowUp,
    Partner,
    Referral,
    Target,
    TrainingSession,
)
from data_access.scope import Scope, ScopeError
from importing.template import write_workbook

YIELD = 5_000


def _v(value: Any) -> Any:
    """Stored value → template cell: codes as text, booleans yes/no, dates as dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _rows(session: Session, stmt: Any) -> Iterator[tuple[Any, ...]]:
    for row in session.execute(stmt.execution_options(yield_per=YIELD)):
        yield tuple(_v(v) for v in row)


def _beneficiaries(session: Session) -> Iterator[tuple[Any, ...]]:
    vul: dict[int, list[str]] = defaultdict(list)
    for bid, v in session.execute(select(BeneficiaryVulnerability.beneficiary_id,
                                         BeneficiaryVulnerability.vulnerability)):
        vul[bid].append(str(v))
    b = Beneficiary
    stmt = select(b.id, b.case_number, b.country, b.region, b.sex, b.birth_date, b.birth_year,
                  b.household_size, b.host_country, b.return_date, b.return_type,
                  b.registration_date, b.status, b.consent_story, b.first_name, b.last_name,
                  b.phone).order_by(b.id)
    for row in _rows(session, stmt):
        bid, *rest = row
        yield (*rest[:10], ";".join(sorted(vul.get(bid, []))) or None, *rest[10:])


def sheets(session: Session) -> dict[str, Iterator[tuple[Any, ...]]]:
    """Row iterators for every template sheet, read through ``session``'s scope."""
    a, c, ts, at, f = Assistance, Cooperative, TrainingSession, Attendance, FollowUp
    scope = session.info.get("scope")
    xr = ExchangeRate
    rates = select(xr.currency, xr.month, xr.rate, xr.source).order_by(xr.currency, xr.month)
    if scope is not None and scope.restricted:  # the scope narrows the assistance read
        rates = rates.where(xr.currency.in_(select(a.currency).where(
            a.currency.is_not(None)).distinct().scalar_subquery()))
    p, r = Partner, Referral
    pa, pt, pf = aliased(Partner), aliased(Partner), aliased(Partner)
    return {
        "partners": _rows(session, select(p.name, p.country, p.institution_type, p.services)
                          .order_by(p.id)),
        "beneficiaries": _beneficiaries(session),
        "assistance": _rows(session, select(
            Beneficiary.case_number, a.modality, a.kind, a.sector, a.amount_eur,
            a.amount_local, a.currency, a.rate_date, a.approved_date, a.delivered_date, c.name,
            a.status, Beneficiary.country, pa.name)
            .join(Beneficiary, Beneficiary.id == a.beneficiary_id)
            .outerjoin(c, c.id == a.cooperative_id)
            .outerjoin(pa, pa.id == a.partner_id).order_by(a.id)),
        "cooperatives": _rows(session, select(
            c.name, c.country, c.region, c.sector, c.partner, c.registration_date, c.status)
            .order_by(c.id)),
        "training": _rows(session, select(
            Beneficiary.case_number, ts.kind, ts.session_date, ts.provider, at.completed,
            Beneficiary.country, pt.name)
            .join(ts, ts.id == at.session_id)
            .outerjoin(pt, pt.id == ts.partner_id)
            .join(Beneficiary, Beneficiary.id == at.beneficiary_id).order_by(at.id)),
        "followups": _rows(session, select(
            Beneficiary.case_number, f.visit_date, f.business_operating, f.jobs_created,
            f.score_economic, f.score_social, f.score_psychosocial, Beneficiary.country,
            pf.name)
            .join(Beneficiary, Beneficiary.id == f.beneficiary_id)
            .outerjoin(pf, pf.id == f.partner_id).order_by(f.id)),
        "referrals": _rows(session, select(
            Beneficiary.case_number, p.name, r.service, r.referral_date, r.status,
            r.accepted_date, r.service_date, Beneficiary.country)
            .join(Beneficiary, Beneficiary.id == r.beneficiary_id)
            .join(p, p.id == r.partner_id).order_by(r.id)),
        "capacity_building": _rows(session, select(
            CapacityActivity.country, CapacityActivity.activity_date,
            CapacityActivity.institution, CapacityActivity.institution_type,
            CapacityActivity.activity, CapacityActivity.people_reached)
            .order_by(CapacityActivity.id)),
        "targets": _rows(session, select(
            Target.indicator, Target.country, Target.period_end, Target.baseline,
            Target.target).order_by(Target.id)),
        "exchange_rates": _rows(session, rates),
    }


def export(url: str, scope: Scope, target: str | Path | IO[bytes], *,
           indicator_codes: Collection[str] | None = None,
           progress: Callable[[str], None] | None = None) -> None:
    """Write the database, as ``scope`` sees it, as a template workbook to ``target``."""
    if scope.aggregates_only:
        raise ScopeError("the export holds case records: aggregate-only viewers cannot "
                         "export them")
    with db.session(url, scope) as session:
        write_workbook(target, sheets(session), indicator_codes=indicator_codes,
                       progress=progress)
