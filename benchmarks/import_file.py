"""A realistic import file made from a database: what a field office sends back.

    summary = make(url, "file.xlsx", existing=250, new=250, seed=1)

- ``existing`` cases picked at random, each with ALL its rows (assistance, training,
  follow-ups), as an office re-sends its cases after editing them; each has one change, in
  turn: sex, region, return and registration dates (20 days earlier), the amount and
  delivery date of an assistance record, a new follow-up visit, an attendance's
  completion, vulnerabilities, a training attended on another date (a new attendance);
- ``new`` new cases: copies of other random cases with all their rows, under new case
  numbers (so with assistance, training sessions they join and follow-ups);
- the cooperatives sheet: two cooperatives of those cases with a new partner and sector
  (their members' cells are recomputed too).

Used by the benchmark's "refresh after an import" (benchmarks/worker.py) and by
tests/test_analytics_incremental.py. Reads through ``data_access``; writes the template
workbook with ``importing.template.write_workbook``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from data_access import db
from data_access.models import (
    Assistance,
    Attendance,
    Beneficiary,
    BeneficiaryVulnerability,
    Cooperative,
    FollowUp,
    Partner,
    TrainingSession,
)
from data_access.scope import Scope
from importing.export import _v
from importing.schema import BY_NAME
from importing.template import write_workbook

FLAGS = ("medical", "single_parent", "elderly", "disability", "other")


# Any: spreadsheet cells (text, numbers, dates, None), as an import file holds them.


def _pick(session: Session, count: int, rng: random.Random) -> list[int]:
    top = session.scalar(select(func.max(Beneficiary.id))) or 0
    picked: list[int] = []
    tried: set[int] = set()
    while len(picked) < count and len(tried) < top:
        batch = [i for i in rng.sample(range(1, top + 1), min(top, 4 * count)) if i not in tried]
        tried.update(batch)
        found = set(session.scalars(select(Beneficiary.id).where(Beneficiary.id.in_(batch))))
        picked += [i for i in batch if i in found][:count - len(picked)]
    return picked


# The columns of the rows ``_rows`` reads, in its order: the columns later migrations added
# (local amounts, partners) come last, so the edits below keep their positions; written out
# in the template's own order by ``template_order``.
READ = {
    "assistance": ("case_number", "modality", "kind", "sector", "amount_eur", "approved_date",
                   "delivered_date", "cooperative", "status", "country", "amount_local",
                   "currency", "rate_date", "partner"),
    "training": ("case_number", "kind", "session_date", "provider", "completed", "country",
                 "partner"),
    "followups": ("case_number", "visit_date", "business_operating", "jobs_created",
                  "score_economic", "score_social", "score_psychosocial", "country", "partner"),
}


def template_order(sheet: str, row: list[Any]) -> list[Any]:
    """A row of ``_rows`` as the template's sheet orders its columns (blank where the row
    has no value: a visit added below has no country, as a person would leave it)."""
    if sheet not in READ:
        return row
    values = dict(zip(READ[sheet], row, strict=False))
    return [values.get(column.name) for column in BY_NAME[sheet].columns]


def _rows(session: Session, ids: list[int]) -> dict[str, dict[int, list[list[Any]]]]:
    """Rows per sheet, per beneficiary id (case number first; columns as ``READ`` says)."""
    b, a, c, ts, at, f = (Beneficiary, Assistance, Cooperative, TrainingSession, Attendance,
                          FollowUp)
    vul: dict[int, list[str]] = defaultdict(list)
    for bid, v in session.execute(select(BeneficiaryVulnerability.beneficiary_id,
                                         BeneficiaryVulnerability.vulnerability)
                                  .where(BeneficiaryVulnerability.beneficiary_id.in_(ids))):
        vul[bid].append(str(_v(v)))
    out: dict[str, dict[int, list[list[Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(select(
            b.id, b.case_number, b.country, b.region, b.sex, b.birth_date, b.birth_year,
            b.household_size, b.host_country, b.return_date, b.return_type,
            b.registration_date, b.status, b.consent_story, b.first_name, b.last_name,
            b.phone).where(b.id.in_(ids))):
        bid, *rest = (_v(v) for v in row)
        out["beneficiaries"][bid].append(
            [*rest[:10], ";".join(sorted(vul.get(bid, []))) or None, *rest[10:]])
    pa, pt, pf = aliased(Partner), aliased(Partner), aliased(Partner)
    queries = {
        "assistance": select(a.beneficiary_id, Beneficiary.case_number, a.modality, a.kind,
                             a.sector, a.amount_eur, a.approved_date, a.delivered_date,
                             c.name, a.status, Beneficiary.country, a.amount_local,
                             a.currency, a.rate_date, pa.name)
        .join(Beneficiary, Beneficiary.id == a.beneficiary_id)
        .outerjoin(c, c.id == a.cooperative_id).outerjoin(pa, pa.id == a.partner_id)
        .where(a.beneficiary_id.in_(ids)).order_by(a.id),
        "training": select(at.beneficiary_id, Beneficiary.case_number, ts.kind,
                           ts.session_date, ts.provider, at.completed, Beneficiary.country,
                           pt.name)
        .join(ts, ts.id == at.session_id).join(Beneficiary, Beneficiary.id == at.beneficiary_id)
        .outerjoin(pt, pt.id == ts.partner_id)
        .where(at.beneficiary_id.in_(ids)).order_by(at.id),
        "followups": select(f.beneficiary_id, Beneficiary.case_number, f.visit_date,
                            f.business_operating, f.jobs_created, f.score_economic,
                            f.score_social, f.score_psychosocial, Beneficiary.country, pf.name)
        .join(Beneficiary, Beneficiary.id == f.beneficiary_id)
        .outerjoin(pf, pf.id == f.partner_id)
        .where(f.beneficiary_id.in_(ids)).order_by(f.id),
    }
    for sheet, stmt in queries.items():
        for record in session.execute(stmt):
            bid, *rest = (_v(v) for v in record)
            out[sheet][bid].append(list(rest))
    return out


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def make(url: str, target: str | Path, *, existing: int = 250, new: int = 250,
         seed: int = 1, today: dt.date | None = None) -> dict[str, int]:
    """Write the file to ``target``; returns the number of rows per sheet (and cases)."""
    today = today or dt.date.today()
    rng = random.Random(seed)
    with db.session(url, Scope.everything()) as session:
        ids = _pick(session, existing + new, rng)
        rows = _rows(session, ids)
        coop_rows: dict[tuple[str, str], list[Any]] = {}
        coop_names = sorted({r[7] for bid in ids[:existing] for r in rows["assistance"][bid]
                             if r[7] is not None})[:2]
        for row in session.execute(select(
                Cooperative.name, Cooperative.country, Cooperative.region, Cooperative.sector,
                Cooperative.partner, Cooperative.registration_date, Cooperative.status)
                .where(Cooperative.name.in_(coop_names))):
            coop_rows[(row[0], row[1])] = [_v(v) for v in row]
    regions: dict[str, list[str]] = defaultdict(list)
    for bid in ids:
        for r in rows["beneficiaries"][bid]:
            if r[2]:
                regions[r[1]].append(r[2])
    sheets: dict[str, list[list[Any]]] = defaultdict(list)
    stamp = f"{seed}{rng.randrange(10**6):06d}"
    for index, bid in enumerate(ids):
        ben = [list(r) for r in rows["beneficiaries"][bid]][0]
        assistance = [list(r) for r in rows["assistance"][bid]]
        training = [list(r) for r in rows["training"][bid]]
        visits = [list(r) for r in rows["followups"][bid]]
        if index >= existing:  # a new case: this one's rows under a new case number
            case = f"NEW-{stamp}-{index:06d}"
            ben[0] = case
            ben[14] = f"New{index}"
            for r in (*assistance, *training, *visits):
                r[0] = case
        else:
            _change(index, ben, assistance, training, visits, regions, today)
        sheets["beneficiaries"].append(ben)
        sheets["assistance"] += assistance
        sheets["training"] += training
        sheets["followups"] += visits
    for coop in coop_rows.values():
        coop[4] = f"Partner {stamp}"
        coop[3] = "trade" if coop[3] != "trade" else "services"
        sheets["cooperatives"].append(coop)
    write_workbook(target, {k: [template_order(k, r) for r in v] for k, v in sheets.items()})
    summary = {sheet: len(v) for sheet, v in sheets.items()}
    summary.update(existing_cases=min(existing, len(ids)), new_cases=max(0, len(ids) - existing))
    return summary


def _change(index: int, ben: list[Any], assistance: list[list[Any]],
            training: list[list[Any]], visits: list[list[Any]],
            regions: dict[str, list[str]], today: dt.date) -> None:
    """One edit of an existing case, chosen by ``index``."""
    kind = index % 8
    if kind == 0 and ben[3] in ("M", "F"):
        ben[3] = "F" if ben[3] == "M" else "M"
    elif kind == 1:
        others = [r for r in regions.get(ben[1], []) if r != ben[2]]
        ben[2] = others[index % len(others)] if others else None
    elif kind == 2:
        for column in (8, 11):
            day = _day(ben[column])
            if day is not None:
                ben[column] = day - dt.timedelta(days=20)
    elif kind == 3 and any(r[4] is not None and r[10] is None for r in assistance):
        # a grant paid in the reporting currency (a local one's amount follows its rate)
        r = next(r for r in assistance if r[4] is not None and r[10] is None)
        r[4] = round(float(r[4]) + 100.0, 2)
        delivered = _day(r[6])
        if delivered is not None and delivered + dt.timedelta(days=10) <= today:
            r[6] = delivered + dt.timedelta(days=10)
    elif kind == 4:
        dates = [_day(v[1]) for v in visits] + [_day(r[6]) for r in assistance] + [
            _day(ben[8])]
        day = max(d for d in dates if d is not None) + dt.timedelta(days=40)
        if day <= today:
            visits.append([ben[0], day, "yes", 1, 0.5, 0.75, 0.5])
    elif kind == 5 and training:
        training[0][4] = "no" if training[0][4] == "yes" else "yes"
    elif kind == 6:
        flags = set(ben[10].split(";")) if ben[10] else set()
        flags ^= {FLAGS[index % len(FLAGS)]}
        ben[10] = ";".join(sorted(flags)) or None
    elif kind == 7 and training:
        moved = list(training[0])
        session_day = _day(moved[2])
        if session_day is None:
            return
        moved[2] = session_day + dt.timedelta(days=7)
        if moved[2] <= today and not any(
                r[1] == moved[1] and _day(r[2]) == moved[2] for r in training):
            training.append(moved)
