"""Data-quality checks (domain.md, "Data quality"): counts, offending cases, completeness.

The records checked are those of the returnees registered in the period, in the chosen
countries (and their assistance and follow-up). Every check counts *records* in SQL and
can list the case numbers behind them — case numbers only, never names or phones, and
never in an aggregate-only (donor) session.

Checks:

- ``duplicate_case_number``: beneficiaries whose case number, trimmed and lower-cased,
  is shared with another of the same country (the database already refuses exact
  duplicates within a country; the same number in two countries is two field offices'
  numbering, not a duplicate: case numbers are unique per country).
- ``duplicate_person``: beneficiaries with the same first name, last name (both trimmed,
  lower-cased), sex and birth date as another.
- ``delivery_before_return``: delivered assistance dated before the returnee's return.
- ``negative_amount``: assistance with an amount below zero.
- ``birth_after_return``: birth date (or, without one, birth year) after the return.
- ``followup_overdue``: returnees overdue a follow-up at the period end, by the one rule
  of ``data_access.followups`` (the Caseload's and FUP-1's): first delivery at least 182
  days before, no visit at least 182 days after it by then, case not closed.

Completeness counts, per country, how many of the fields the indicators need are filled:
beneficiary region, birth year, host country, return type and household size; delivered
assistance's delivery date and amount; a business grant's sector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import String, and_, cast, extract, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from analytics import figure_cubes
from data_access import followups
from data_access.models import Assistance, Beneficiary
from data_access.scope import ScopeError
from data_access.vocab import AssistanceKind, AssistanceStatus
from i18n import N_
from metrics.engine import country_filter, frame, in_period
from metrics.filters import Filters
from metrics.pipeline import disclose


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    description: str
    entity: str  # what a record is: "case" or "assistance"
    # (filters) -> condition on Beneficiary (and Assistance for entity "assistance")
    condition: Callable[[Filters], ColumnElement[bool]]


def _cohort(f: Filters) -> list[ColumnElement[bool]]:
    return [in_period(Beneficiary.registration_date, f), *country_filter(Beneficiary, f)]


# Any: ``ben`` is the Beneficiary entity or an alias of it (aliased() is typed Any-ish);
# the expressions and statements hold columns of mixed types.
def _key_case_number(ben: Any) -> list[ColumnElement[Any]]:
    return [ben.country, func.lower(func.trim(ben.case_number))]


def _key_person(ben: Any) -> list[ColumnElement[Any]]:
    return [func.lower(func.trim(ben.first_name)), func.lower(func.trim(ben.last_name)),
            ben.sex, ben.birth_date]


def _duplicate(key: Callable[[Any], list[ColumnElement[Any]]],
               required: Callable[[Any], list[ColumnElement[bool]]]
               ) -> Callable[[Filters], ColumnElement[bool]]:
    def condition(f: Filters) -> ColumnElement[bool]:
        # The keys held by two or more records of the cohort, grouped once (linear), rather
        # than a correlated EXISTS per record (quadratic: minutes at 10k beneficiaries).
        # Equal keys are never NULL, so a record matching one is in the cohort and has the
        # required fields itself: "another record with my key" = "my key is shared".
        other = aliased(Beneficiary)
        cohort = [in_period(other.registration_date, f), *country_filter(other, f)]
        shared = (select(*key(other)).where(*required(other), *cohort)
                  .group_by(*key(other)).having(func.count() > 1))
        return tuple_(*key(Beneficiary)).in_(shared)
    return condition


def _person_present(ben: Any) -> list[ColumnElement[bool]]:
    return [ben.first_name.is_not(None), ben.last_name.is_not(None),
            ben.birth_date.is_not(None)]


def _birth_after_return(_f: Filters) -> ColumnElement[bool]:
    ben = Beneficiary
    return or_(ben.birth_date > ben.return_date,
               and_(ben.birth_date.is_(None),
                    ben.birth_year > extract("year", ben.return_date)))


def _overdue(f: Filters) -> ColumnElement[bool]:
    # The one follow-up rule (data_access.followups, shared with the Caseload and FUP-1),
    # as of the period end: the overdue returnees selected once, uncorrelated with the
    # outer query (a correlated first-delivery subquery per returnee took 1.8 s at 1M).
    return Beneficiary.id.in_(followups.overdue_ids(f.end))


CHECKS: tuple[Check, ...] = (
    Check("duplicate_case_number", N_("Duplicate case number"),
          N_("The same case number (ignoring case and spaces) on more than one returnee"),
          "case",
          _duplicate(_key_case_number, lambda ben: [])),
    Check("duplicate_person", N_("Same person twice"),
          N_("The same first name, last name, sex and birth date on more than one returnee"),
          "case", _duplicate(_key_person, _person_present)),
    Check("delivery_before_return", N_("Delivery before return"),
          N_("Assistance delivered before the returnee's return date"), "assistance",
          lambda f: and_(Assistance.delivered_date < Beneficiary.return_date,
                         Assistance.status == AssistanceStatus.DELIVERED)),
    Check("negative_amount", N_("Negative amount"),
          N_("Assistance with an amount below zero"),
          "assistance", lambda f: Assistance.amount_eur < 0),
    Check("birth_after_return", N_("Birth after return"),
          N_("Birth date (or birth year) later than the return date"), "case",
          _birth_after_return),
    Check("followup_overdue", N_("Follow-up overdue"),
          # {days}: data_access.followups.DUE_DAYS, filled in where it is shown.
          N_("Assisted at least 6 months ({days} days) before the period end, no visit at "
             "least {days} days after the first delivery by then, and the case not closed"),
          "case", _overdue),
)
BY_CODE = {c.code: c for c in CHECKS}
# The duplicate checks' analytics cubes (analytics.figure_cubes) and keys.
DUPLICATE_CUBES = {"duplicate_case_number": figure_cubes.DUPLICATE_CASE,
                   "duplicate_person": figure_cubes.DUPLICATE_PERSON}
DUPLICATE_KEYS = {"duplicate_case_number": _key_case_number, "duplicate_person": _key_person}


def _records(check: Check, f: Filters, *columns: Any) -> Select[Any]:
    stmt = select(*columns).select_from(Beneficiary)
    if check.entity == "assistance":
        stmt = stmt.join(Assistance, Assistance.beneficiary_id == Beneficiary.id)
    return stmt.where(*_cohort(f), check.condition(f))


def checks(session: Session, f: Filters) -> pd.DataFrame:
    """One row per check: check, title, description, entity, value (records failing)."""
    from metrics import fast_figures

    fast = fast_figures.check_counts(session, f)
    rows = []
    for check in CHECKS:
        key = Assistance.id if check.entity == "assistance" else Beneficiary.id
        count = fast[check.code] if fast is not None else session.execute(
            _records(check, f, func.count(func.distinct(key)))).scalar()
        rows.append({"check": check.code, "title": check.title,
                     "description": check.description, "entity": check.entity,
                     "value": float(count or 0)})
    return disclose(pd.DataFrame(rows), session, "count")


def offending(session: Session, f: Filters, code: str, limit: int = 500) -> pd.DataFrame:
    """The case numbers behind one check (at most ``limit``), sorted."""
    from metrics import fast_figures

    if session.info["scope"].aggregates_only:
        raise ScopeError("aggregate-only viewers cannot list cases")
    case_number = Beneficiary.case_number
    links = fast_figures.duplicate_links(session, f, DUPLICATE_CUBES[code]) if (
        code in DUPLICATE_CUBES) else None
    if links is None:
        stmt = _records(BY_CODE[code], f, case_number)
    else:
        # The cohort's returnees sharing the key of a pre-grouped duplicate group's first
        # returnee: no grouping of every returnee by key (4.8 s -> 1.2 s at a million).
        key, first = DUPLICATE_KEYS[code], aliased(Beneficiary)
        stmt = select(case_number).where(
            *_cohort(f), tuple_(*key(Beneficiary)).in_(
                select(*key(first)).where(first.id.in_(links))))
    stmt = stmt.distinct().order_by(case_number).limit(limit)
    return pd.DataFrame({"case_number": session.execute(stmt).scalars().all()})


# --- completeness -----------------------------------------------------------------------

BENEFICIARY_FIELDS = {"region": N_("Region"), "birth_year": N_("Birth date or year"),
                      "host_country": N_("Host country"), "return_type": N_("Return type"),
                      "household_size": N_("Household size")}


def completeness(session: Session, f: Filters) -> pd.DataFrame:
    """country, field, label, filled, expected (long form, one row per country and field)."""
    from metrics import fast_figures

    people, records = fast_figures.completeness(session, f) or _completeness_wide(session, f)
    parts = [_long(people, BENEFICIARY_FIELDS, "expected"),
             _long(records, {"delivered_date": N_("Delivery date"),
                             "amount_eur": N_("Amount")},
                   "delivered"),
             _long(records, {"sector": N_("Sector of a business grant")}, "grants")]
    result = pd.concat(parts, ignore_index=True)
    return result[result["expected"] > 0].reset_index(drop=True)


def _completeness_wide(session: Session, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From the case tables, per country: returnees and their fields filled; delivered
    assistance and business grants and their fields filled."""
    ben, asst = Beneficiary, Assistance
    country = cast(ben.country, String).label("country")
    stmt = select(country, func.count(ben.id).label("expected"),
                  *[func.count(getattr(ben, name)).label(name) for name in BENEFICIARY_FIELDS]
                  ).where(*_cohort(f)).group_by(country)
    people = frame(session, stmt)
    delivered = asst.status == AssistanceStatus.DELIVERED
    grant = asst.kind == AssistanceKind.BUSINESS_GRANT
    assistance = (select(country,
                         func.count(asst.id).filter(delivered).label("delivered"),
                         func.count(asst.delivered_date).filter(delivered)
                         .label("delivered_date"),
                         func.count(asst.amount_eur).filter(delivered).label("amount_eur"),
                         func.count(asst.id).filter(grant).label("grants"),
                         func.count(asst.sector).filter(grant).label("sector"))
                  .select_from(ben).join(asst, asst.beneficiary_id == ben.id)
                  .where(*_cohort(f)).group_by(country))
    return people, frame(session, assistance)


def _long(wide: pd.DataFrame, fields: dict[str, str], expected: str) -> pd.DataFrame:
    rows = [{"country": row["country"], "field": name, "label": label,
             "filled": int(row[name]), "expected": int(row[expected])}
            for _, row in wide.iterrows() for name, label in fields.items()]
    return pd.DataFrame(rows, columns=["country", "field", "label", "filled", "expected"])


def completeness_scores(long: pd.DataFrame) -> pd.DataFrame:
    """country, value: filled ÷ expected over every field, per country (a score 0–1)."""
    if long.empty:
        return pd.DataFrame(columns=["country", "value", "filled", "expected"])
    totals = long.groupby("country", as_index=False)[["filled", "expected"]].sum()
    totals["value"] = totals["filled"] / totals["expected"]
    return totals[["country", "value", "filled", "expected"]]

