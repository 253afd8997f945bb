"""The brute-force lockout: sign-in attempts counted per username BEFORE the password check.

``begin(url, key, limit, minutes, now)`` counts one attempt in one atomic statement of its
own committed transaction (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, the same on
SQLite and PostgreSQL) and says whether its password may be checked. Concurrent attempts
each get their own number, so a burst of any size checks at most ``limit`` passwords per
window; the rest are refused without a check. (Counting failures after the check, as
before, let every attempt in flight pass the lock: 30 parallel attempts were all checked.)

The rules, per username:

- a window starts at the first attempt; attempts 1 to ``limit`` of the window are checked;
- the ``limit``-th attempt locks the username for ``minutes`` from that attempt (a lock
  that its own check lifts again if the password was right); attempts while locked are
  refused and do not extend the lock;
- a window ends ``minutes`` after its first attempt (or when its lock ends): the next
  attempt starts a new one;
- a successful sign-in forgives the attempts counted up to and including its own, not
  those counted after it (so a right password in the middle of a burst does not open the
  way for more guesses).

``key(username)`` is the one normalisation of a typed username, for this table, the audit
log and the user look-up alike: trimmed, lower-case, and at most ``MAX_USERNAME``
characters (a longer one, which cannot be a user, is cut and suffixed with a digest of the
whole, so it is counted and locked like any other and its audit rows name it the same way).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import DateTime, Table, and_, case, literal, null, or_, update
from sqlalchemy.dialects import postgresql, sqlite

from data_access import db
from data_access.models import SignInAttempt

MAX_USERNAME = 64  # accounts.users.USERNAME allows 2–64 characters
_T = SignInAttempt.__table__


def key(username: str | None) -> str:
    """The typed username as counted and logged (see the module docstring)."""
    name = (username or "").strip().lower()
    if len(name) <= MAX_USERNAME:
        return name
    # "~" is not allowed in a username: a cut name never equals a real one.
    return f"{name[:40]}~{hashlib.sha256(name.encode()).hexdigest()[:23]}"


def too_long(username: str | None) -> bool:
    """A typed username that cannot be a user's (refused before any look-up)."""
    return len((username or "").strip()) > MAX_USERNAME


@dataclass(frozen=True)
class Attempt:
    username: str
    number: int  # this attempt's number in its window (1 = the first)
    window_start: dt.datetime
    locked_until: dt.datetime | None  # when the username's lock ends (None: not locked)
    limit: int

    @property
    def allowed(self) -> bool:
        """Whether this attempt's password may be checked."""
        return self.number <= self.limit


def _insert(url: str) -> Callable[[Table], postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT (both have ON CONFLICT DO UPDATE)."""
    if db.get_engine(url).dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def begin(url: str, username: str, limit: int, minutes: int,
          now: dt.datetime) -> Attempt:
    """Count one attempt of ``username`` (already ``key``-normalised) at ``now`` (UTC)."""
    window = dt.timedelta(minutes=minutes)
    at = literal(now, DateTime())
    lock_at = literal(now + window, DateTime())
    c = _T.c
    over = or_(and_(c.locked_until.is_not(None), c.locked_until <= at),
               and_(c.locked_until.is_(None), c.window_start <= literal(now - window,
                                                                         DateTime())))
    first_lock = lock_at if limit <= 1 else null()
    insert = _insert(url)(_T).values(username=username, window_start=now, attempts=1,
                                     locked_until=now + window if limit <= 1 else None)
    stmt = insert.on_conflict_do_update(index_elements=[c.username], set_={
        # Every right-hand side reads the row as it was before this statement.
        "attempts": case((over, 1), else_=c.attempts + 1),
        "window_start": case((over, at), else_=c.window_start),
        "locked_until": case((over, first_lock),
                             (and_(c.locked_until.is_(None), c.attempts + 1 >= limit),
                              lock_at),
                             else_=c.locked_until),
    }).returning(c.attempts, c.window_start, c.locked_until)
    with db.write_transaction(url) as conn:
        number, start, until = conn.execute(stmt).one()
    return Attempt(username, int(number), start, until, limit)


def succeeded(url: str, attempt: Attempt) -> None:
    """The attempt's password was right: forgive the attempts counted up to it."""
    c = _T.c
    n = attempt.number
    stmt = update(_T).where(c.username == attempt.username,
                            c.window_start == attempt.window_start).values(
        attempts=case((c.attempts > n, c.attempts - n), else_=0),
        locked_until=case((c.attempts - n >= attempt.limit, c.locked_until), else_=None))
    with db.write_transaction(url) as conn:
        conn.execute(stmt)


def locked_until(url: str, username: str, now: dt.datetime) -> dt.datetime | None:
    """When ``username``'s lock ends, or None if it is not locked at ``now`` (a read)."""
    from sqlalchemy import select

    with db.unavailable_on_lost_connection(url), db.get_engine(url).connect() as conn:
        until = conn.execute(select(_T.c.locked_until).where(_T.c.username == username)) \
            .scalar()
    return until if until is not None and now < until else None
