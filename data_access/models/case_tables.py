"""The case tables: beneficiaries and their vulnerabilities, cooperatives, assistance,
training sessions and attendance, follow-up visits, capacity-building activities, the
partners and their referrals (issue 21), the logframe targets and the monthly exchange
rates. Every one but ``Target`` and ``ExchangeRate`` is ``CountryScoped``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data_access.models.base import Base, CountryScoped, Timestamped, record_key_column
from data_access.vocab import (
    AssistanceKind,
    AssistanceStatus,
    CapacityActivityKind,
    CaseStatus,
    CooperativeStatus,
    InstitutionType,
    Modality,
    ReferralStatus,
    ReturnType,
    Sector,
    ServiceKind,
    Sex,
    TrainingKind,
    Vulnerability,
)


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
    record_key: Mapped[int] = record_key_column()  # never shown, never exported

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


class Partner(CountryScoped, Timestamped, Base):
    """An organisation the programme works through (issue 21): it delivers assistance,
    training sessions, follow-up visits, forms cooperatives, and receives referrals."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    institution_type: Mapped[InstitutionType]
    # The services it offers: ServiceKind codes separated by ";" (a short closed list).
    services: Mapped[str | None] = mapped_column(String(200))
    record_key: Mapped[int] = record_key_column()  # never shown, never exported

    __table_args__ = (UniqueConstraint("name", "country", name="uq_partner_name_country"),)


class Cooperative(CountryScoped, Timestamped, Base):
    __tablename__ = "cooperative"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(8))
    sector: Mapped[Sector]
    # The partner association as the file wrote it; ``partner_id`` is the partner entity of
    # that name in the cooperative's country, where there is one (migration 0016).
    partner: Mapped[str | None] = mapped_column(String(200))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    registration_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[CooperativeStatus] = mapped_column(default=CooperativeStatus.IN_CREATION)
    record_key: Mapped[int] = record_key_column()  # never shown, never exported

    __table_args__ = (UniqueConstraint("name", "country", name="uq_cooperative_name_country"),)


class Assistance(CountryScoped, Timestamped, Base):
    __tablename__ = "assistance"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"))
    modality: Mapped[Modality]
    kind: Mapped[AssistanceKind]
    sector: Mapped[Sector | None]
    # The amount in the programme's reporting currency (``data_access.lookups.
    # reporting_currency``, EUR for MoTuSe; the column keeps its first name): every figure
    # and cube reads this one. A grant paid in a local currency also keeps what was paid
    # (``amount_local`` in ``currency``, ISO 4217) and the date that fixes its rate
    # (``rate_date``; blank: the delivery date, else the approval date); ``amount_eur`` is
    # then ``amount_local`` converted at that month's ``exchange_rate`` (issue 20), and is
    # recomputed when that rate is corrected.
    amount_eur: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    amount_local: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    rate_date: Mapped[dt.date | None] = mapped_column(Date)
    approved_date: Mapped[dt.date | None] = mapped_column(Date)
    delivered_date: Mapped[dt.date | None] = mapped_column(Date)
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperative.id"))
    status: Mapped[AssistanceStatus] = mapped_column(default=AssistanceStatus.APPROVED)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))

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
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))

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
    # The survey submission the visit came from (issue 20, migration 0015): Kobo's
    # meta/rootUuid or _uuid, ODK Central's KEY; NULL for a visit typed in the workbook.
    submission_uuid: Mapped[str | None] = mapped_column(String(64))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))

    __table_args__ = (
        UniqueConstraint("beneficiary_id", "visit_date", name="uq_follow_up_beneficiary_date"),
        Index("uq_follow_up_country_submission", "country", "submission_uuid", unique=True),
    )


class Referral(CountryScoped, Timestamped, Base):
    """A returnee referred to a partner for a service on a date (issue 21), and what became
    of it: accepted, service received, declined or no response, with the dates."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    service: Mapped[ServiceKind]
    referral_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[ReferralStatus] = mapped_column(default=ReferralStatus.REFERRED)
    accepted_date: Mapped[dt.date | None] = mapped_column(Date)
    service_date: Mapped[dt.date | None] = mapped_column(Date)  # the service was received

    partner: Mapped[Partner] = relationship()

    __table_args__ = (
        UniqueConstraint("beneficiary_id", "partner_id", "service", "referral_date",
                         name="uq_referral_key"),
        Index("ix_referral_partner", "partner_id", "referral_date"),
        Index("ix_referral_beneficiary", "beneficiary_id"),
    )


class CapacityActivity(CountryScoped, Timestamped, Base):
    __tablename__ = "capacity_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_date: Mapped[dt.date] = mapped_column(Date)
    institution: Mapped[str] = mapped_column(String(200))
    institution_type: Mapped[InstitutionType]
    activity: Mapped[CapacityActivityKind]
    people_reached: Mapped[int | None] = mapped_column(Integer)
    record_key: Mapped[int] = record_key_column()  # never shown, never exported


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


class ExchangeRate(Timestamped, Base):
    """A month's rate of one currency: ``rate`` units of ``currency`` for one unit of the
    reporting currency (the InforEuro convention: 1 EUR = 10.8473 MAD is 10.8473), for the
    grants whose rate date falls in ``month`` (its first day). Programme-wide, not
    ``CountryScoped``: a Moroccan and a Senegalese grant of one month share the rate of their
    currency. ``source`` says where the rate comes from (InforEuro, a bank, the sheet)."""

    __tablename__ = "exchange_rate"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    month: Mapped[dt.date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    source: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("currency", "month", name="uq_exchange_rate_key"),)
