"""The application's own tables, beside the case data: import runs, the audit log, report
narratives, sign-in attempts (the lockout), signed-in sessions and the users. None is
``CountryScoped``: they are written and read unscoped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models.base import Base, Timestamped


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


class AppUser(Base):
    """A user of the dashboard (issue 18, migration 0013): ``accounts.users`` reads and
    changes them, each change in one transaction of its own.

    ``username`` and ``email`` are stored lower-case (checked); ``email`` is unique where
    given (an OIDC sign-in finds the user by it); ``password_hash`` is a bcrypt hash, or
    NULL for a user who signs in only through OIDC. A focal point's countries are rows of
    ``app_user_country``. ``language`` is the interface language chosen ("" = the
    DEFAULT_LANGUAGE setting); ``preferences`` holds any other per-user choice.
    """

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="")
    # Any: a JSON object of small preference values (text, numbers, booleans).
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A ``partner`` user's partner (issue 21, migration 0016): it sees that partner's records.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )


class AppUserCountry(Base):
    """One country of a focal point (a child table: one row per user and country, so a
    change of countries is rows replaced in the user's transaction, and "the focal points
    of SN" is an index look-up, not a parse of a list)."""

    __tablename__ = "app_user_country"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
