"""The indicator catalogue (domain.md, "Indicators") as data.

Pages, exports, reports and ``manage.py indicators`` read titles, units and definitions
from here. ``unit`` also tells the disclosure rules what a value is: ``count`` units are
suppressed below the threshold, ``rate`` values are hidden when their denominator is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

UnitKind = Literal["count", "rate", "money", "days", "score"]

BENEFICIARY_DIMS = ("country", "region", "sex", "age_group", "vulnerability", "period")
ASSISTANCE_DIMS = ("country", "region", "sex", "age_group", "vulnerability", "sector",
                   "modality", "kind", "period")


@dataclass(frozen=True)
class Indicator:
    code: str
    title: str
    unit: str  # shown on axes and cards
    kind: UnitKind
    definition: str
    dated_by: str
    breakdowns: tuple[str, ...]
    additive: bool  # per-period values add up to the cumulative value
    measures: tuple[str, ...] = ()  # secondary measures, printed as CODE.measure


CATALOGUE: tuple[Indicator, ...] = (
    Indicator("BEN-1", "Returnees registered", "returnees", "count",
              "Distinct beneficiaries registered", "registration date",
              BENEFICIARY_DIMS + ("return_type",), True),
    Indicator("BEN-2", "Returnees assisted", "returnees", "count",
              "Distinct beneficiaries with at least one delivered assistance",
              "first delivery date", ASSISTANCE_DIMS, True),
    Indicator("BEN-3", "Vulnerable share of returnees assisted", "% of assisted", "rate",
              "BEN-2 with at least one vulnerability flag ÷ BEN-2", "first delivery date",
              ("country", "region", "sex", "age_group", "period"), False,
              ("numerator", "denominator")),
    Indicator("ASS-1", "Reintegration projects", "projects", "count",
              "Delivered assistance records, by modality and sector", "delivery date",
              ASSISTANCE_DIMS, True),
    Indicator("ASS-2", "Grants disbursed", "EUR", "money",
              "Sum and mean of delivered amounts (EUR)", "delivery date",
              ASSISTANCE_DIMS, True, ("mean", "records")),
    Indicator("ASS-3", "Time to assistance", "days", "days",
              "Median days from return date to first delivery", "first delivery date",
              BENEFICIARY_DIMS, False, ("beneficiaries",)),
    Indicator("COOP-1", "Cooperatives formed", "cooperatives", "count",
              "Cooperatives legally registered", "registration date",
              ("country", "region", "sector", "period"), True),
    Indicator("COOP-2", "Returnees in cooperatives", "returnees", "count",
              "Distinct members of cooperatives, and share of BEN-2", "delivery date",
              ("country", "region", "sex", "age_group", "vulnerability", "sector", "period"),
              False, ("share",)),
    Indicator("TRN-1", "Returnees trained", "returnees", "count",
              "Distinct beneficiaries with at least one completed session, by kind",
              "session date", BENEFICIARY_DIMS + ("kind",), False),
    Indicator("TRN-2", "Training uptake", "% of assisted", "rate", "TRN-1 ÷ BEN-2",
              "session date", ("country", "region", "sex", "age_group", "period"), False,
              ("numerator", "denominator")),
    Indicator("TRN-3", "Training completion rate", "% of enrolments", "rate",
              "Completed attendances ÷ enrolled attendances", "session date",
              BENEFICIARY_DIMS + ("kind",), False, ("numerator", "denominator")),
    Indicator("FUP-1", "Follow-up coverage", "% of due", "rate",
              "Of the beneficiaries whose first delivery is at least 6 months before the end "
              "of the period, the share with a visit at least 6 months after that delivery",
              "visit date", BENEFICIARY_DIMS, False, ("numerator", "denominator")),
    Indicator("FUP-2", "Business survival", "% of visited", "rate",
              "Of those visited at least 6 months after delivery, the share whose latest "
              "visit finds the business operating", "visit date",
              ASSISTANCE_DIMS, False, ("numerator", "denominator")),
    # Not a code of domain.md: FUP-2 measured at 12 months. Its own code (not extra FUP-2
    # columns) so that disclosure control hides it by its own denominator.
    Indicator("FUP-2-12M", "Business survival at 12 months", "% of visited", "rate",
              "Of those visited at least 12 months after delivery, the share whose latest "
              "visit finds the business operating", "visit date",
              ASSISTANCE_DIMS, False, ("numerator", "denominator")),
    Indicator("FUP-3", "Jobs created", "jobs", "count",
              "Sum of jobs created at the latest visit per beneficiary", "visit date",
              ASSISTANCE_DIMS, False),
    Indicator("FUP-4", "Reintegration score", "score 0–1", "score",
              "Mean economic, social, psychosocial and composite score; share whose composite "
              "is at or above the sustainability threshold", "visit date",
              BENEFICIARY_DIMS, False,
              ("economic", "social", "psychosocial", "sustainable_share", "beneficiaries")),
    Indicator("CAP-1", "Institutions supported", "institutions", "count",
              "Distinct institutions, by type and activity", "activity date",
              ("country", "institution_type", "activity", "period"), False),
    Indicator("CAP-2", "People reached", "people", "count",
              "Sum of people reached by capacity-building activities", "activity date",
              ("country", "institution_type", "activity", "period"), True),
)

BY_CODE: dict[str, Indicator] = {i.code: i for i in CATALOGUE}


def get(code: str) -> Indicator:
    try:
        return BY_CODE[code.upper()]
    except KeyError:
        raise KeyError(f"unknown indicator {code!r}; known: {', '.join(BY_CODE)}") from None
