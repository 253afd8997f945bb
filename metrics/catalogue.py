"""The indicator catalogue (domain.md, "Indicators") as data.

Pages, exports, reports and ``manage.py indicators`` read titles, units and definitions
from here. They are English, marked with ``N_`` for the catalogue: show them with
``_(spec.title)`` so they come out in the viewer's language.
``unit`` also tells the disclosure rules what a value is: ``count`` units are
suppressed below the threshold, ``rate`` values are hidden when their denominator is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from data_access.lookups import reporting_currency
from i18n import N_

UnitKind = Literal["count", "rate", "money", "days", "score"]

BENEFICIARY_DIMS = ("country", "region", "sex", "age_group", "vulnerability", "period")
ASSISTANCE_DIMS = ("country", "region", "sex", "age_group", "vulnerability", "sector",
                   "modality", "kind", "period")

REFERRAL_DIMS = ("country", "region", "sex", "age_group", "vulnerability", "partner",
                 "service", "period")


# The unit of a money indicator: the programme's reporting currency, read when the unit is
# (the programme file is a setting: never read at import).
REPORTING_CURRENCY = "<reporting currency>"


@dataclass(frozen=True)
class Indicator:
    code: str
    title: str
    unit_text: str  # shown on axes and cards (REPORTING_CURRENCY: the programme's currency)
    kind: UnitKind
    definition: str
    dated_by: str
    breakdowns: tuple[str, ...]
    additive: bool  # per-period values add up to the cumulative value
    measures: tuple[str, ...] = ()  # secondary measures, printed as CODE.measure

    @property
    def unit(self) -> str:
        return reporting_currency() if self.unit_text == REPORTING_CURRENCY else self.unit_text


CATALOGUE: tuple[Indicator, ...] = (
    Indicator("BEN-1", N_("Returnees registered"), N_("returnees"), "count",
              N_("Distinct beneficiaries registered"), N_("registration date"),
              BENEFICIARY_DIMS + ("return_type",), True),
    Indicator("BEN-2", N_("Returnees assisted"), N_("returnees"), "count",
              N_("Distinct beneficiaries with at least one delivered assistance"),
              N_("first delivery date"), ASSISTANCE_DIMS, True),
    Indicator("BEN-3", N_("Vulnerable share of returnees assisted"), N_("% of assisted"), "rate",
              N_("BEN-2 with at least one vulnerability flag ÷ BEN-2"), N_("first delivery date"),
              ("country", "region", "sex", "age_group", "period"), False,
              ("numerator", "denominator")),
    Indicator("ASS-1", N_("Reintegration projects"), N_("projects"), "count",
              N_("Delivered assistance records, by modality and sector"), N_("delivery date"),
              ASSISTANCE_DIMS, True),
    # In the reporting currency (data_access.lookups.reporting_currency); grants paid in a
    # local currency are converted at their month's rate (data_access.currency).
    Indicator("ASS-2", N_("Grants disbursed"), REPORTING_CURRENCY, "money",
              N_("Sum and mean of delivered amounts, in the reporting currency; grants paid "
                 "in a local currency converted at their month's exchange rate"),
              N_("delivery date"),
              ASSISTANCE_DIMS, True, ("mean", "records")),
    Indicator("ASS-3", N_("Time to assistance"), N_("days"), "days",
              N_("Median days from return date to first delivery"), N_("first delivery date"),
              BENEFICIARY_DIMS, False, ("beneficiaries",)),
    Indicator("COOP-1", N_("Cooperatives formed"), N_("cooperatives"), "count",
              N_("Cooperatives legally registered"), N_("registration date"),
              ("country", "region", "sector", "period"), True),
    Indicator("COOP-2", N_("Returnees in cooperatives"), N_("returnees"), "count",
              N_("Distinct members of cooperatives, and share of BEN-2"), N_("delivery date"),
              ("country", "region", "sex", "age_group", "vulnerability", "sector", "period"),
              False, ("share",)),
    # One event per returnee and cooperative sector (metrics.indicators.cooperative_sectors).
    Indicator("COOP-3", N_("Cooperative members by sector"), N_("memberships"), "count",
              N_("Members of cooperatives, counted once per returnee and sector of the "
                 "cooperative their delivered assistance points to"),
              N_("first delivery to a cooperative of the sector"),
              ("country", "region", "sex", "age_group", "vulnerability", "sector", "period"),
              True),
    Indicator("TRN-1", N_("Returnees trained"), N_("returnees"), "count",
              N_("Distinct beneficiaries with at least one completed session, by kind"),
              N_("session date"), BENEFICIARY_DIMS + ("kind",), False),
    # One cohort (domain.md): never above 100 %.
    Indicator("TRN-2", N_("Training uptake"), N_("% of assisted"), "rate",
              N_("Of the returnees assisted by the end of the period (first delivery on or "
                 "before it), the share with at least one completed session by the end of the "
                 "period"),
              N_("first delivery and session dates, cumulative to the period end"),
              ("country", "region", "sex", "age_group", "period"), False,
              ("numerator", "denominator")),
    Indicator("TRN-3", N_("Training completion rate"), N_("% of enrolments"), "rate",
              N_("Completed attendances ÷ enrolled attendances"), N_("session date"),
              BENEFICIARY_DIMS + ("kind",), False, ("numerator", "denominator")),
    Indicator("FUP-1", N_("Follow-up coverage"), N_("% of due"), "rate",
              N_("Of the beneficiaries whose first delivery is at least 6 months before the end "
              "of the period (closed cases are not due), the share with a visit at least 6 "
              "months after that delivery"),
              N_("visit date"), BENEFICIARY_DIMS, False, ("numerator", "denominator")),
    Indicator("FUP-2", N_("Business survival"), N_("% of visited"), "rate",
              N_("Of those visited at least 6 months after delivery, the share whose latest "
              "visit finds the business operating"), N_("visit date"),
              ASSISTANCE_DIMS, False, ("numerator", "denominator")),
    # Not a code of domain.md: FUP-2 measured at 12 months. Its own code (not extra FUP-2
    # columns) so that disclosure control hides it by its own denominator.
    Indicator("FUP-2-12M", N_("Business survival at 12 months"), N_("% of visited"), "rate",
              N_("Of those visited at least 12 months after delivery, the share whose latest "
              "visit finds the business operating"), N_("visit date"),
              ASSISTANCE_DIMS, False, ("numerator", "denominator")),
    Indicator("FUP-3", N_("Jobs created"), N_("jobs"), "count",
              N_("Sum of jobs created at the latest visit per beneficiary"), N_("visit date"),
              ASSISTANCE_DIMS, False),
    Indicator("FUP-4", N_("Reintegration score"), N_("score 0–1"), "score",
              N_("Mean economic, social, psychosocial and composite score; share whose composite "
              "is at or above the sustainability threshold"), N_("visit date"),
              BENEFICIARY_DIMS, False,
              ("economic", "social", "psychosocial", "sustainable_share", "beneficiaries")),
    # The referrals of returnees to partners (issue 21; metrics.indicators.referrals).
    Indicator("REF-1", N_("Referrals made"), N_("referrals"), "count",
              N_("Referrals of returnees to a partner for a service (a returnee referred "
                 "twice counts twice)"), N_("referral date"), REFERRAL_DIMS, True),
    Indicator("REF-2", N_("Referrals with a service received"), N_("% of referrals"), "rate",
              N_("Of the referrals made in the period, the share whose service was received"),
              N_("referral date"), REFERRAL_DIMS, False, ("numerator", "denominator")),
    Indicator("REF-3", N_("Time to service"), N_("days"), "days",
              N_("Median days from the referral to the service received, over the referrals "
                 "whose service was received in the period"), N_("service date"),
              REFERRAL_DIMS, False, ("records",)),
    Indicator("CAP-1", N_("Institutions supported"), N_("institutions"), "count",
              N_("Distinct institutions, by type and activity"), N_("activity date"),
              ("country", "institution_type", "activity", "period"), False),
    Indicator("CAP-2", N_("People reached"), N_("people"), "count",
              N_("Sum of people reached by capacity-building activities"), N_("activity date"),
              ("country", "institution_type", "activity", "period"), True),
)

BY_CODE: dict[str, Indicator] = {i.code: i for i in CATALOGUE}


def get(code: str) -> Indicator:
    try:
        return BY_CODE[code.upper()]
    except KeyError:
        raise KeyError(f"unknown indicator {code!r}; known: {', '.join(BY_CODE)}") from None
