"""Server-side login sessions: what a re-login cookie points at, and how it is revoked.

A sign-in with a password creates a session (``create``): a random id of 256 bits, given to
the browser inside the signed cookie and kept in the Streamlit session; the database keeps
only its SHA-256, the username, when it was issued, when it expires (fixed now, from
COOKIE_EXPIRY_DAYS as it is now) and a digest of the user's password hash at that moment.

``active(...)`` is the only test of a session, for the cookie and for every run of an open
tab alike: the id must be known, not revoked, for this username and issued under the
user's current password hash; for a cookie also not past its own expiry nor older than
COOKIE_EXPIRY_DAYS allows now (lowering the setting shortens cookies, raising it never
lengthens one, and no setting makes a revoked session valid again). An unknown or forged
id signs in nobody, whatever key signed the cookie.

``revoke_user`` ends every session of a user (sign-out, ``manage.py users set-password |
disable | remove``); a hand edit of a password hash in the users file ends them too, through
the digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, insert, select, update

from data_access import db
from data_access.models import LoginSession

_T = LoginSession.__table__


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def credential(password_hash: str) -> str:
    """What a session remembers of the password hash it was issued under."""
    return _digest(f"credential:{password_hash}")


@dataclass(frozen=True)
class Issued:
    session_id: str  # the secret: in the cookie and the Streamlit session, never stored
    username: str
    issued_at: dt.datetime
    expires_at: dt.datetime


def create(url: str, username: str, password_hash: str, days: float,
           now: dt.datetime | None = None) -> Issued:
    """A new session of ``username``, valid for ``days`` from ``now`` (UTC)."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(days=max(days, 0))
    with db.write_transaction(url) as conn:
        conn.execute(insert(_T).values(id=_digest(session_id), username=username,
                                       credential=credential(password_hash),
                                       issued_at=now, expires_at=expires))
    return Issued(session_id, username, now, expires)


def active(url: str, session_id: str, username: str, password_hash: str, *,
           cookie_days: float | None = None, now: dt.datetime | None = None) -> bool:
    """Whether the session ``session_id`` still signs ``username`` in.

    With ``cookie_days`` (a re-login cookie) it must also be unexpired: before its own
    ``expires_at`` and less than ``cookie_days`` old (the setting as it is now).
    """
    if not session_id or not isinstance(session_id, str):
        return False
    with db.unavailable_on_lost_connection(url), db.get_engine(url).connect() as conn:
        row = conn.execute(select(_T.c.username, _T.c.credential, _T.c.issued_at,
                                  _T.c.expires_at, _T.c.revoked_at)
                           .where(_T.c.id == _digest(session_id))).one_or_none()
    if row is None or row.revoked_at is not None or row.username != username:
        return False
    if not secrets.compare_digest(row.credential, credential(password_hash)):
        return False
    if cookie_days is not None:
        now = now or utcnow()
        if now >= row.expires_at or now >= row.issued_at + dt.timedelta(days=cookie_days):
            return False
    return True


def revoke(url: str, session_id: str, reason: str, now: dt.datetime | None = None) -> int:
    """Revoke one session (the number revoked: 0 or 1)."""
    return _revoke(url, _T.c.id == _digest(session_id), reason, now)


def revoke_user(url: str, username: str, reason: str,
                now: dt.datetime | None = None) -> int:
    """Revoke every open session of ``username``; the number revoked."""
    return _revoke(url, _T.c.username == username, reason, now)


def last_revoked(url: str, username: str) -> dt.datetime | None:
    """When a session of ``username`` was last ended (UTC), or None. An identity
    provider's sign-in issued before then is not taken (``ui.identity``): signing out
    everywhere ends it too."""
    with db.unavailable_on_lost_connection(url), db.get_engine(url).connect() as conn:
        value = conn.execute(select(func.max(_T.c.revoked_at))
                             .where(_T.c.username == username)).scalar_one_or_none()
    return value if isinstance(value, dt.datetime) else None


def _revoke(url: str, where: ColumnElement[bool], reason: str, now: dt.datetime | None) -> int:
    stmt = update(_T).where(where, _T.c.revoked_at.is_(None)) \
        .values(revoked_at=now or utcnow(), revoked_reason=reason[:40])
    with db.write_transaction(url) as conn:
        return int(conn.execute(stmt).rowcount or 0)
