"""The audit log: sign-ins (success and failure), sign-outs, exports and user changes.

``record(url, username, action, **detail)`` writes one ``AuditEvent``; ``events(url, since)``
reads them back (Administration page, ``manage.py audit``). Details say what was done
(filters, row counts, which user was changed), never a beneficiary's personal data: keys
naming personal fields are refused, so a careless caller fails loudly instead of logging them.

Times are UTC (naive, as stored). Sign-in rows name the username as typed, normalised by
``accounts.lockout.key`` (the lockout itself counts attempts in its own table, before the
password is checked: ``accounts.lockout``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from data_access import db
from data_access.models import AuditEvent
from data_access.scope import Scope

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_LOCKED = "sign_in_locked"  # refused without checking the password
SIGN_OUT = "sign_out"
EXPORT = "export"
USER_CHANGE = "user_change"
ACTIONS = (SIGN_IN, SIGN_IN_FAILED, SIGN_IN_LOCKED, SIGN_OUT, EXPORT, USER_CHANGE)

# Never in a detail: a beneficiary's personal data, or a secret.
FORBIDDEN_KEYS = frozenset({"name", "first_name", "last_name", "phone", "case_number",
                            "case_numbers", "birth_date", "password", "password_hash"})


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _system_scope() -> Scope:
    # The log is the system's own table (not CountryScoped): written and read unscoped.
    return Scope.everything()


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in (sorted(value) if isinstance(value, (set, frozenset))
                                    else value)]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def record(url: str, username: str | None, action: str, *, at: dt.datetime | None = None,
           **detail: Any) -> None:
    """Write one event. ``at`` (UTC) is for tests and imports of old events."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; known: {', '.join(ACTIONS)}")
    bad = sorted(FORBIDDEN_KEYS & set(detail))
    if bad:
        raise ValueError(f"audit details must not hold personal data or secrets: {bad}")
    with db.session(url, _system_scope()) as session:
        session.add(AuditEvent(at=at or utcnow(),
                               username=(username or "")[:100] or None,
                               action=action, detail=_clean(detail)))


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    username: str | None
    action: str
    detail: dict[str, Any]

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.detail.items()]
        return ", ".join(parts)


def events(url: str, since: dt.date | dt.datetime | None = None, *,
           until: dt.datetime | None = None, actions: Iterable[str] = (),
           username: str | None = None, limit: int | None = None) -> list[Event]:
    """Events at or after ``since`` (a date means its midnight UTC), newest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = dt.datetime.combine(since, dt.time())
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at <= until)
    actions = tuple(actions)
    if actions:
        stmt = stmt.where(AuditEvent.action.in_(actions))
    if username is not None:
        stmt = stmt.where(AuditEvent.username == username)
    if limit is not None:
        stmt = stmt.limit(limit)
    with db.session(url, _system_scope()) as session:
        return [Event(e.at, e.username, e.action, dict(e.detail or {}))
                for e in session.scalars(stmt)]


# --- import history (shown beside the log on Administration) ---------------------------

def import_runs(url: str, limit: int = 200) -> list[dict[str, Any]]:
    """The latest imports (``ImportRun``), newest first."""
    from data_access.models import ImportRun

    stmt = select(ImportRun).order_by(ImportRun.started_at.desc(), ImportRun.id.desc()) \
        .limit(limit)
    with db.session(url, _system_scope()) as session:
        return [{"started": r.started_at, "user": r.username, "file": r.file_name,
                 "dry run": r.dry_run, "succeeded": r.succeeded,
                 "counts": ", ".join(f"{k} {v}" for k, v in (r.counts or {}).items()),
                 "sha256": r.file_sha256[:12]} for r in session.scalars(stmt)]
