"""The case database: typed SQLAlchemy 2 models for every entity in domain.md.

Every table that holds case data carries the ISO 3166-1 alpha-2 ``country`` it belongs to,
copied from the beneficiary onto the fact tables (assistance, attendance, follow-up,
vulnerability). That one column is what the scope listener in ``data_access.scope`` filters
on, so a fact row can never be read without its country being checked, whatever the query
joins. Writers (demo data, import) keep the copy equal to the beneficiary's country.

The models live by job in ``base`` (Base, mixins, record keys), ``case_tables``,
``app_tables`` (imports, audit, narratives, sign-ins) and ``analytics_tables``; this
package re-exports every one, so ``from data_access.models import Beneficiary`` and
``Base.metadata`` (Alembic) see them all.
"""

from __future__ import annotations

from data_access.models.analytics_tables import AnalyticsCell, AnalyticsState
from data_access.models.app_tables import (
    AppUser,
    AppUserCountry,
    AuditEvent,
    ImportRun,
    LoginSession,
    ReportNarrative,
    SignInAttempt,
)
from data_access.models.base import (
    KEY_RANGE,
    NAMING,
    Base,
    CountryScoped,
    Timestamped,
    new_record_key,
)
from data_access.models.case_tables import (
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

__all__ = [
    "KEY_RANGE", "NAMING", "AnalyticsCell", "AnalyticsState", "AppUser", "AppUserCountry",
    "Assistance", "Attendance",
    "AuditEvent", "Base", "Beneficiary", "BeneficiaryVulnerability", "CapacityActivity",
    "Cooperative", "CountryScoped", "ExchangeRate", "FollowUp", "ImportRun", "LoginSession",
    "Partner", "Referral", "ReportNarrative", "SignInAttempt", "Target", "Timestamped",
    "TrainingSession",
    "new_record_key",
]
