"""The case database: typed SQLAlchemy 2 models for every entity in domain.md.

Every table that holds case data carries the ISO 3166-1 alpha-2 ``country`` it belongs to,
copied from the beneficiary onto the fact tables (assistance, attendance, follow-up,
vulnerability). That one column is what the scope listener in ``data_access.scope`` filters
on, so a fact row can never be read without its country being checked, whatever the query
joins. Writers (demo data, import) keep the copy equal to the beneficiary's country.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from data_access.vocab import (
    AssistanceKind,
    AssistanceStatus,
    CapacityActivityKind,
    CaseStatus,
    CooperativeStatus,
    InstitutionType,
    Modality,
    ReturnType,
    Sector,
    Sex,
    TrainingKind,
    Vulnerability,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Record keys (issue 14): every record donor counts are made of carries a random integer
# in [0, KEY_RANGE), assigned once when the record is created and never changed, shown or
# exported. A count's cell key is the sum of the keys of the records behind it, so the
# same set of records always gets the same published (perturbed) value
# (data_access.disclosure). Any insert that does not give one draws it here.
KEY_RANGE = 2**20


def new_record_key() -> int:
    return secrets.randbelow(KEY_RANGE)


def _record_key() -> Mapped[int]:
    return mapped_column(Integer, default=new_record_key)


def _enum(enum: type[StrEnum]) -> Enum:
    # Stored as the code string (VARCHAR), never as a native database enum, so adding a
    # code is a data change, not an ALTER TYPE.
    return Enum(enum, native_enum=False, create_constraint=False, length=32,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        Sex: _enum(Sex), ReturnType: _enum(ReturnType), CaseStatus: _enum(CaseStatus),
        Vulnerability: _enum(Vulnerability), Modality: _enum(Modality),
        AssistanceKind: _enum(AssistanceKind), Sector: _enum(Sector),
        AssistanceStatus: _enum(AssistanceStatus), CooperativeStatus: _enum(CooperativeStatus),
        TrainingKind: _enum(TrainingKind), InstitutionType: _enum(InstitutionType),
        CapacityActivityKind: _enum(CapacityActivityKind),
    }


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(),
                                                    onupdate=func.now())


class CountryScoped:
    """Marker: rows of this table belong to one country and are filtered by the scope."""

    country: Mapped[str] = mapped_column(String(2))


class Beneficiary(CountryScoped, Timestamped, Base):
    __tablename__ = "beneficiary"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique within a country (``uq_beneficiary_country_case_number``), not across
    # countries: each field office numbers its own cases (issue 14, migration 0011).
    case_number: Mapped[str] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(8))  # ISO 3166-2, e.g. MA-05
    sex: Mapped[Sex]
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer)  # from birth_date when given
    household_size: Mapped[int | None] = mapped_column(Integer)
    host_country: Mapped[str | None] = mapped_column(String(2))
    return_date: Mapped[dt.date] = mapped_column(Date)
    return_type: Mapped[ReturnType | None]
    registration_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[CaseStatus] = mapped_column(default=CaseStatus.REGISTERED)
    # Date each pipeline step was reached (registered → … → monitored), for the funnel.
    counselled_date: Mapped[dt.date | None] = mapped_column(Date)
    plan_approved_date: Mapped[dt.date | None] = mapped_column(Date)
    consent_story: Mapped[bool] = mapped_column(Boolean, default=False)
    # Personal data: only roles that may see a caseload ever read these three.
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    record_key: Mapped[int] = _record_key()  # never shown, never exported

    vulnerabilities: Mapped[list[BeneficiaryVulnerability]] = relationship(
        back_populates="beneficiary", cascade="all, delete-orphan")
    assistance: Mapped[list[Assistance]] = relationship(back_populates="beneficiary")

    __table_args__ = (
        Index("ix_beneficiary_country_registration", "country", "registration_date"),
        UniqueConstraint("country", "case_number", name="uq_beneficiary_country_case_number"),
    )


class BeneficiaryVulnerability(CountryScoped, Base):
    __tablename__ = "beneficiary_vulnerability"

    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"),
                                                primary_key=True)
    vulnerability: Mapped[Vulnerability] = mapped_column(primary_key=True)

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="vulnerabilities")


class Cooperative(CountryScoped, Timestamped, Base):
    __tablename__ = "cooperative"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(8))
    sector: Mapped[Sector]
    partner: Mapped[str | None] = mapped_column(String(200))
    registration_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[CooperativeStatus] = mapped_column(default=CooperativeStatus.IN_CREATION)
    record_key: Mapped[int] = _record_key()  # never shown, never exported

    __table_args__ = (UniqueConstraint("name", "country", name="uq_cooperative_name_country"),)


class Assistance(CountryScoped, Timestamped, Base):
    __tablename__ = "assistance"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"))
    modality: Mapped[Modality]
    kind: Mapped[AssistanceKind]
    sector: Mapped[Sector | None]
    amount_eur: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    approved_date: Mapped[dt.date | None] = mapped_column(Date)
    delivered_date: Mapped[dt.date | None] = mapped_column(Date)
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperative.id"))
    status: Mapped[AssistanceStatus] = mapped_column(default=AssistanceStatus.APPROVED)

    beneficiary: Mapped[Beneficiary] = relationship(back_populates="assistance")
    cooperative: Mapped[Cooperative | None] = relationship()

    __table_args__ = (
        Index("ix_assistance_country_delivered", "country", "delivered_date"),
        # The Cooperatives page's members and "started" cooperatives (migration 0007).
        Index("ix_assistance_cooperative", "cooperative_id", "status", "delivered_date",
              "approved_date", "beneficiary_id"),
    )


class TrainingSession(CountryScoped, Timestamped, Base):
    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TrainingKind]
    session_date: Mapped[dt.date] = mapped_column(Date)
    provider: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("country", "kind", "session_date", "provider",
                         name="uq_training_session_key"),
    )


class Attendance(CountryScoped, Timestamped, Base):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"))
    completed: Mapped[bool] = mapped_column(Boolean)

    session: Mapped[TrainingSession] = relationship()

    __table_args__ = (
        UniqueConstraint("session_id", "beneficiary_id", name="uq_attendance_session_beneficiary"),
        # The import's look-up of its cases' attendance (migration 0008).
        Index("ix_attendance_beneficiary", "beneficiary_id"),
    )


class FollowUp(CountryScoped, Timestamped, Base):
    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"))
    visit_date: Mapped[dt.date] = mapped_column(Date)
    business_operating: Mapped[bool | None] = mapped_column(Boolean)
    jobs_created: Mapped[int | None] = mapped_column(Integer)
    score_economic: Mapped[float | None] = mapped_column(Float)
    score_social: Mapped[float | None] = mapped_column(Float)
    score_psychosocial: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("beneficiary_id", "visit_date", name="uq_follow_up_beneficiary_date"),
    )


class CapacityActivity(CountryScoped, Timestamped, Base):
    __tablename__ = "capacity_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_date: Mapped[dt.date] = mapped_column(Date)
    institution: Mapped[str] = mapped_column(String(200))
    institution_type: Mapped[InstitutionType]
    activity: Mapped[CapacityActivityKind]
    people_reached: Mapped[int | None] = mapped_column(Integer)
    record_key: Mapped[int] = _record_key()  # never shown, never exported


class Target(Timestamped, Base):
    """A logframe target. ``country`` NULL means the programme-wide target.

    Not ``CountryScoped``: the scope applies its own rule (a scoped user sees the targets of
    their countries only, never the programme-wide row) in ``data_access.scope``.
    """

    __tablename__ = "target"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    period_end: Mapped[dt.date] = mapped_column(Date)
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("indicator", "country", "period_end", name="uq_target_key"),
    )


class ImportRun(Base):
    """One import of a file (issue 5): who, when, which file, what it did."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditEvent(Base):
    """Sign-ins, sign-outs, exports and user changes; never a beneficiary's personal data."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    username: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReportNarrative(Timestamped, Base):
    """Free text a user wrote for one section of a donor report (issue 6)."""

    __tablename__ = "report_narrative"

    id: Mapped[int] = mapped_column(primary_key=True)
    section: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    scope_key: Mapped[str] = mapped_column(String(100))  # e.g. "ALL" or "MA,SN"
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("section", "period_start", "period_end", "scope_key",
                         name="uq_report_narrative_key"),
    )


# --- analytics tables (issue 8) ----------------------------------------------------------
# Small pre-aggregated tables rebuilt from the case tables by ``analytics.cubes``;
# ``metrics`` answers month-aligned queries from them. They are CountryScoped, so the scope
# listener filters them like the case tables they summarise.

class AnalyticsCell(CountryScoped, Base):
    """One cell of a pre-aggregated cube: counts and sums per breakdown values × month.

    ``cube`` names what is counted (``registered``, ``delivered``, ``first_delivery``, …:
    declared beside their indicators, ``analytics.shapes``); ``variant`` which
    assistance/training breakdown the cube keeps (its cells are per beneficiary and that
    group); ``rollup`` which optional dimensions the cell keeps (bit 1 region, 2
    vulnerability, 4 sex and age group) — a dropped dimension holds ``'*'``. ``month`` is
    ``year*100+month`` of the date that places the event; ``link`` the month of the same
    beneficiary's previous (or, for latest-visit cubes, next) qualifying event, 0 (or
    999999) when there is none; ``days`` a histogram key (time to assistance).
    """

    __tablename__ = "analytics_cell"

    id: Mapped[int] = mapped_column(primary_key=True)
    cube: Mapped[str] = mapped_column(String(32))
    variant: Mapped[str] = mapped_column(String(32))
    rollup: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(16))
    age_group: Mapped[str | None] = mapped_column(String(16))
    vulnerability: Mapped[str | None] = mapped_column(String(200))
    return_type: Mapped[str | None] = mapped_column(String(32))
    sector: Mapped[str | None] = mapped_column(String(32))
    modality: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))
    month: Mapped[int] = mapped_column(Integer)
    link: Mapped[int] = mapped_column(Integer, default=0)
    days: Mapped[int] = mapped_column(Integer, default=0)
    n: Mapped[int] = mapped_column(Integer, default=0)
    s1: Mapped[float | None] = mapped_column(Float)
    s2: Mapped[float | None] = mapped_column(Float)
    s3: Mapped[float | None] = mapped_column(Float)
    s4: Mapped[float | None] = mapped_column(Float)
    # Key sums (issue 14): k the sum of the record keys behind n, k1…k4 behind the
    # counts s1…s4 where those are counts (NULL where they are amounts or scores).
    k: Mapped[int | None] = mapped_column(BigInteger)
    k1: Mapped[int | None] = mapped_column(BigInteger)
    k2: Mapped[int | None] = mapped_column(BigInteger)
    k3: Mapped[int | None] = mapped_column(BigInteger)
    k4: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # Readers ask for cube, variant, rollup and a month range; the incremental refresh
        # finds a cell by its whole key (analytics.delta; migration 0005).
        Index("ix_analytics_cell_key", "cube", "variant", "rollup", "month", "country", "link",
              "days", "region", "sex", "age_group", "vulnerability", "return_type", "sector",
              "modality", "kind"),
    )


class AnalyticsState(Base):
    """Whether the analytics tables match the case tables (one row, id 1).

    Triggers on every case table set ``dirty`` on any write; ``analytics.cubes``
    clears it when it rebuilds, in the same transaction. ``settings`` records the settings
    a cube depends on (FUP-4's weights and threshold) as they were at the build.
    ``version`` is the data version: the same triggers, and any update of this row,
    advance it, so every committed write to the case tables or the cells commits a new
    one (issue 9; ``version_xact`` lets PostgreSQL advance it once per transaction).
    """

    __tablename__ = "analytics_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    dirty: Mapped[int] = mapped_column(Integer, default=1)
    built_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    seconds: Mapped[float | None] = mapped_column(Float)
    settings: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    version_xact: Mapped[int | None] = mapped_column(BigInteger)


class SignInAttempt(Base):
    """Sign-in attempts of one username in the current lockout window (issue 15).

    One row per username (normalised by ``accounts.lockout.key``), counted atomically
    *before* the password is checked (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), so
    that concurrent attempts cannot all pass the lock: the attempt numbered above
    LOCKOUT_ATTEMPTS in a window is refused without a password check.
    """

    __tablename__ = "sign_in_attempt"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class LoginSession(Base):
    """One signed-in session (issue 15): what a re-login cookie points at.

    The cookie holds a random session id; only its SHA-256 is stored (``id``). A session
    signs in only while it is not revoked, has not expired (``expires_at`` was fixed when
    it was issued) and the user's password hash is still the one it was issued under
    (``credential``: a digest of that hash). Sign-out, a password change, disabling and
    removing a user set ``revoked_at``; nothing ever clears it.
    """

    __tablename__ = "login_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    credential: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
