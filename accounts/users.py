"""The dashboard's users: the ``app_user`` table (migration 0013) plus, in demo mode only,
the built-in demo accounts.

Every function that changes a user takes the case database's URL and makes its change in
one transaction of its own (``data_access.db.write_transaction``: ``BEGIN IMMEDIATE`` on
SQLite, READ COMMITTED row locks on PostgreSQL), changing only the columns it is about: an
interface language written by the app while an administrator changes a role, from another
thread, process or replica, loses neither (tests/test_users_db.py). A focal point's
countries are rows of ``app_user_country``. Usernames and e-mail addresses are stored
lower-case.

The YAML file of earlier versions is an import format (``read_file``, ``import_file``;
``manage.py users import users.yaml``), in the shape streamlit-authenticator reads::

    credentials:
      usernames:
        amina:
          name: Amina Diallo
          email: amina@example.org
          password: $2b$12$...          # bcrypt hash, never a plain password
          roles: [focal_point]          # exactly one of ROLES
          countries: [SN]               # focal points only: one or more ISO codes
          partner: 3                    # partner users only: the partner's id (issue 21)
          disabled: false
          language: fr

Passwords are bcrypt hashes (the format ``streamlit_authenticator.Hasher`` writes and
checks); a user who signs in only through OIDC has none. The authenticator gets its
credentials dict from ``credentials(users)``, built afresh from the table.

Demo accounts (``demo_accounts()``) are never stored: they are added in memory when
``settings.demo_mode`` is true and do not exist otherwise. ``check_for_serving`` refuses
stored demo accounts (a ``demo-`` username or ``demo: true`` in an imported file) outside
demo mode, since their passwords are public.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access import db
from data_access.models import AppUser, AppUserCountry
from data_access.settings import Settings, SettingsError

ROLES = ("admin", "manager", "focal_point", "donor", "partner")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
DEMO_PREFIX = "demo-"
MIN_PASSWORD = 10
LANGUAGES = ("en", "fr")

_U = AppUser.__table__
_C = AppUserCountry.__table__


class UserError(ValueError):
    """A user change that is not allowed; the message says why."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    countries: tuple[str, ...] = ()
    email: str = ""
    password_hash: str = field(default="", repr=False)
    disabled: bool = False
    demo: bool = False
    language: str = ""  # the interface language the user chose ("" = DEFAULT_LANGUAGE)
    # A ``partner`` user's partner (``partner.id``): it sees that partner's records only.
    partner: int | None = None
    # Any: small JSON values (text, numbers, booleans) of per-user choices.
    preferences: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def country_text(self) -> str:
        return ", ".join(self.countries) if self.countries else "all"

    def public(self) -> dict[str, Any]:
        """What may be shown about a user (no password hash)."""
        return {"username": self.username, "name": self.name, "role": self.role,
                "countries": self.country_text, "email": self.email,
                "disabled": self.disabled, "demo": self.demo}


# Demo accounts: passwords are public (login page, docs/demo-accounts.md). An
# administrator, a manager, a donor and one focal point per programme country
# ("demo-focal-xx", password "focal-xx-demo"). The hashes of the demo programme's accounts
# are computed once here so that loading users costs no bcrypt work (a test checks they
# match); another programme's focal points are hashed once per process.
_DEMO_STAFF: tuple[tuple[User, str], ...] = (
    (User("demo-admin", "Demo administrator", "admin", (), demo=True,
          password_hash="$2b$12$IOSKiBQP0d.poXyKSskkUuusESV/NJS7fJIc4RZJXPWvQ.GPnwih2"),
     "admin-demo"),
    (User("demo-manager", "Demo programme manager", "manager", (), demo=True,
          password_hash="$2b$12$oBlaVs6aNs7pxdHefLJiMupoLwuFlz2biv3swEaWhTMHfjK4NX802"),
     "manager-demo"),
    (User("demo-donor", "Demo donor", "donor", (), demo=True,
          password_hash="$2b$12$SCdLeNeSSqcpr8yyUWESfeX7XaeznPGsenBrqfRrNQV88a1Q7yuKW"),
     "donor-demo"),
)
_KNOWN_HASHES = {  # password -> its bcrypt hash (the demo programme's focal points)
    "focal-ma-demo": "$2b$12$7082/Emc/eL.zQ8jvrht1urgfiGFA/tV9yOcHF08vu0s8px7EuhqG",
    "focal-tn-demo": "$2b$12$ftbl4PjJeYNfiIwE3mLlkevAmf5I/.CqHcFJ05xuyfrV3VyZRFmF.",
    "focal-sn-demo": "$2b$12$QIH8X8RKfc3niHUZFJXR4.3xGJGNOZpy62vlcryFBDw.64kjWSZtW",
}
_demo_cache: dict[tuple[str, ...], tuple[tuple[User, str], ...]] = {}


def demo_accounts() -> tuple[tuple[User, str], ...]:
    """The demo accounts of the programme (``PROGRAMME_FILE``): (user, public password)."""
    import pycountry

    countries = programme_countries()
    if countries not in _demo_cache:
        focal: list[tuple[User, str]] = []
        for code in countries:
            password = f"focal-{code.lower()}-demo"
            hashed = _KNOWN_HASHES.get(password) or bcrypt.hashpw(
                password.encode(), bcrypt.gensalt(rounds=10)).decode()
            country = pycountry.countries.get(alpha_2=code)
            name = getattr(country, "common_name", None) or getattr(country, "name", code)
            focal.append((User(f"demo-focal-{code.lower()}", f"Demo focal point {name}",
                               "focal_point", (code,), demo=True, password_hash=hashed),
                          password))
        _demo_cache[countries] = _DEMO_STAFF + tuple(focal)
    return _demo_cache[countries]


def programme_countries() -> tuple[str, ...]:
    """The programme's countries, in its file's order: the only ones a user may have."""
    from data_access.programme import programme

    return programme().countries


# --- passwords -------------------------------------------------------------------------

def hash_password(password: str) -> str:
    """A bcrypt hash (what streamlit_authenticator.Hasher.hash makes)."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if password != password.strip():
        raise UserError("the password must not start or end with a space (the sign-in form "
                        "trims them)")


# --- the YAML file (an import format) ----------------------------------------------------

def _user_from(username: str, entry: dict[str, Any]) -> User:
    roles = entry.get("roles") or []
    role = roles[0] if isinstance(roles, list) and roles else str(entry.get("role", ""))
    countries = tuple(sorted({str(c).strip().upper() for c in (entry.get("countries") or [])}))
    return User(username=username.strip().lower(), name=str(entry.get("name") or username),
                role=str(role), countries=countries,
                email=str(entry.get("email") or "").strip().lower(),
                password_hash=str(entry.get("password") or ""),
                disabled=bool(entry.get("disabled", False)), demo=bool(entry.get("demo", False))
                or username.lower().startswith(DEMO_PREFIX),
                language=str(entry.get("language") or ""),
                partner=int(entry["partner"]) if entry.get("partner") is not None else None)


def _entry_of(user: User) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": user.name, "email": user.email,
                             "password": user.password_hash, "roles": [user.role]}
    if user.countries:
        entry["countries"] = list(user.countries)
    if user.partner is not None:
        entry["partner"] = user.partner
    if user.disabled:
        entry["disabled"] = True
    if user.language:
        entry["language"] = user.language
    return entry


def read_file(path: Path) -> dict[str, User]:
    """The users in a YAML users file (an absent file has none)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"users file {path} is not valid YAML ({exc}): fix it, then "
                            "`python manage.py users import` it") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"users file {path} does not hold credentials: usernames: …")
    entries = (data.get("credentials") or {}).get("usernames") or {}
    return {str(name).lower(): _user_from(str(name), entry if isinstance(entry, dict) else {})
            for name, entry in entries.items()}


def write_file(path: Path, users: dict[str, User]) -> None:
    """Write users as a YAML users file, atomically (temp file + rename), readable by its
    owner only (an export, and the tests' way to make a file to import)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"credentials": {"usernames": {u.username: _entry_of(u)
                                          for u in sorted(users.values(),
                                                          key=lambda u: u.username)}}}
    fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# Dashboard users: import with `python manage.py users import`.\n")
            yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading the table -------------------------------------------------------------------

def demo_users() -> dict[str, User]:
    return {user.username: user for user, _password in demo_accounts()}


def _users_of(conn: Connection | Session, where: Any = None) -> dict[str, User]:
    # Any: a SQL condition on app_user (a ColumnElement[bool]) or None for every user.
    query = select(_U)
    if where is not None:
        query = query.where(where)
    rows = conn.execute(query).all()
    countries: dict[int, list[str]] = {}
    ids = [row.id for row in rows]
    if ids:
        for user_id, country in conn.execute(select(_C.c.user_id, _C.c.country)
                                             .where(_C.c.user_id.in_(ids))
                                             .order_by(_C.c.country)).all():
            countries.setdefault(int(user_id), []).append(str(country))
    return {row.username: User(username=row.username, name=row.name, role=row.role,
                               countries=tuple(countries.get(row.id, ())),
                               email=row.email or "", password_hash=row.password_hash or "",
                               disabled=bool(row.disabled), demo=bool(row.demo),
                               language=row.language or "",
                               preferences=dict(row.preferences or {}),
                               partner=row.partner_id)
            for row in rows}


def stored(url: str) -> dict[str, User]:
    """Every user in the database (no demo account unless one was stored)."""
    with db.unavailable_on_lost_connection(url), db.get_engine(url).connect() as conn:
        return _users_of(conn)


def load(settings: Settings) -> dict[str, User]:
    """Every user who exists for these settings: the stored ones, plus the demo accounts
    in demo mode (a stored user of the same name wins)."""
    return load_from(settings.database_url, settings.demo_mode)


def load_from(url: str, demo_mode: bool) -> dict[str, User]:
    users = stored(url)
    return {**demo_users(), **users} if demo_mode else users


def by_email(session_or_url: Session | str, email: str) -> User | None:
    """The enabled user whose e-mail address is ``email`` (trimmed, any case), or None
    (nobody has it, or they are disabled). For a sign-in by a verified e-mail (OIDC)."""
    address = email.strip().lower()
    if not address:
        return None
    where = _U.c.email == address
    if isinstance(session_or_url, str):
        with db.unavailable_on_lost_connection(session_or_url), \
                db.get_engine(session_or_url).connect() as conn:
            found = _users_of(conn, where)
    else:
        found = _users_of(session_or_url, where)
    user = next(iter(found.values()), None)
    return None if user is None or user.disabled else user


def check_for_serving(settings: Settings) -> None:
    """Refuse stored demo accounts outside demo mode (their passwords are public)."""
    if settings.demo_mode:
        return
    demo = sorted(u.username for u in stored(settings.database_url).values() if u.demo)
    if demo:
        raise SettingsError(
            f"the database holds demo accounts ({', '.join(demo)}), whose passwords are "
            "public, and DEMO_MODE is off: remove them with "
            f"`python manage.py users remove {' '.join(demo)}`")


def credentials(users: dict[str, User]) -> dict[str, Any]:
    """A fresh credentials dict for streamlit-authenticator (enabled users with a
    password only).

    The authenticator mutates what it is given, so every call builds a new dict.
    """
    return {"usernames": {u.username: copy.deepcopy(_entry_of(u))
                          for u in users.values() if not u.disabled and u.password_hash}}


# --- changes (the CLI, the app's language choice) -----------------------------------------

def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise UserError(f"{username!r} is not a valid username: 2–64 characters, lower-case "
                        "letters, digits and . _ @ -, starting with a letter or digit")
    return name


def check_role(role: str, countries: tuple[str, ...]) -> tuple[str, ...]:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    countries = tuple(sorted({c.strip().upper() for c in countries if c.strip()}))
    known = programme_countries()
    unknown = [c for c in countries if c not in known]
    if unknown:
        raise UserError(f"unknown country {', '.join(unknown)} (not one of the "
                        f"programme's); countries: {', '.join(sorted(known))}")
    if role == "focal_point" and not countries:
        raise UserError("a focal point needs one or more countries (--country SN)")
    if role != "focal_point" and countries:
        raise UserError(f"only focal points have countries; a {role} sees every country")
    return countries


def check_partner(role: str, partner: int | None) -> int | None:
    """A partner user names its partner; no other role does (issue 21)."""
    if role == "partner" and partner is None:
        raise UserError("a partner user needs its partner's id (--partner 3)")
    if role != "partner" and partner is not None:
        raise UserError(f"only partner users have a partner; a {role} does not")
    return partner


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _email(email: str) -> str | None:
    address = email.strip().lower()
    if address and ("@" not in address or any(c.isspace() for c in address)):
        raise UserError(f"{email!r} is not an e-mail address")
    return address or None


def _insert(conn: Connection, user: User, now: dt.datetime) -> None:
    email = _email(user.email)
    if email is not None and conn.execute(select(_U.c.username)
                                          .where(_U.c.email == email)).first():
        raise UserError(f"the e-mail address {email} is another user's already")
    user_id = conn.execute(insert(_U).values(
        username=user.username, name=user.name, email=email,
        password_hash=user.password_hash or None, role=user.role, disabled=user.disabled,
        demo=user.demo, language=user.language, preferences=dict(user.preferences),
        partner_id=user.partner, created_at=now, updated_at=now).returning(_U.c.id)).scalar_one()
    _set_countries(conn, int(user_id), user.countries)


def _set_countries(conn: Connection, user_id: int, countries: Iterable[str]) -> None:
    conn.execute(delete(_C).where(_C.c.user_id == user_id))
    rows = [{"user_id": user_id, "country": c} for c in sorted(set(countries))]
    if rows:
        conn.execute(insert(_C), rows)


def add(url: str, username: str, password: str, role: str, *, name: str = "",
        email: str = "", countries: tuple[str, ...] = (), partner: int | None = None) -> User:
    username = normalise_username(username)
    countries = check_role(role, countries)
    partner = check_partner(role, partner)
    validate_password(password)
    user = User(username, name or username, role, countries, (_email(email) or ""),
                hash_password(password), partner=partner)
    try:
        with db.write_transaction(url) as conn:
            if conn.execute(select(_U.c.id).where(_U.c.username == username)).first():
                raise UserError(f"user {username} exists already (use set-password, or "
                                "remove it)")
            _insert(conn, user, _now())
    except IntegrityError as exc:  # a concurrent add of the same name or address
        raise UserError(f"user {username} or their e-mail address exists already") from exc
    return user


def _change(url: str, username: str, **values: Any) -> User:
    """Set these columns of one user (and nothing else) in one statement."""
    name = username.strip().lower()
    with db.write_transaction(url) as conn:
        done = conn.execute(update(_U).where(_U.c.username == name)
                            .values(**values, updated_at=_now()))
        if not done.rowcount:
            raise UserError(f"no user {username} in the database")
        return _users_of(conn, _U.c.username == name)[name]


def set_password(url: str, username: str, password: str) -> User:
    validate_password(password)
    return _change(url, username, password_hash=hash_password(password))


def set_disabled(url: str, username: str, disabled: bool = True) -> User:
    return _change(url, username, disabled=disabled)


def set_role(url: str, username: str, role: str, countries: tuple[str, ...] = (),
             partner: int | None = None) -> User:
    """Give a user another role (and a focal point's countries, a partner user's partner),
    in one transaction."""
    countries = check_role(role, countries)
    partner = check_partner(role, partner)
    name = username.strip().lower()
    with db.write_transaction(url) as conn:
        user_id = conn.execute(select(_U.c.id).where(_U.c.username == name)).scalar()
        if user_id is None:
            raise UserError(f"no user {username} in the database")
        conn.execute(update(_U).where(_U.c.id == user_id)
                     .values(role=role, partner_id=partner, updated_at=_now()))
        _set_countries(conn, int(user_id), countries)
        return _users_of(conn, _U.c.id == user_id)[name]


def remove(url: str, username: str) -> User:
    name = username.strip().lower()
    with db.write_transaction(url) as conn:
        found = _users_of(conn, _U.c.username == name)
        if name not in found:
            raise UserError(f"no user {username} in the database")
        conn.execute(delete(_C).where(_C.c.user_id.in_(
            select(_U.c.id).where(_U.c.username == name).scalar_subquery())))
        conn.execute(delete(_U).where(_U.c.username == name))
        return found[name]


@dataclass(frozen=True)
class Imported:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


def import_file(url: str, path: Path) -> Imported:
    """Bring the users of a YAML users file in, all in one transaction: a user not in the
    database is added, one who is takes the file's name, e-mail, password hash, role,
    countries, disabled flag and language (preferences stay). Every entry is checked
    first; one bad entry imports nothing."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no users file {path}")
    try:
        found = read_file(path)
    except SettingsError as exc:
        raise UserError(str(exc)) from exc
    problems = []
    for user in found.values():
        try:
            normalise_username(user.username)
            check_role(user.role, user.countries)
            _email(user.email)
            if user.password_hash and not user.password_hash.startswith("$2"):
                raise UserError("the password is not a bcrypt hash (never a plain password)")
        except UserError as exc:
            problems.append(f"{user.username}: {exc}")
    emails = [u.email for u in found.values() if u.email]
    problems += [f"{e}: the e-mail address of more than one user" for e in sorted(set(emails))
                 if emails.count(e) > 1]
    if problems:
        raise UserError(f"{path}: nothing imported; " + "; ".join(problems))
    added, updated, unchanged = [], [], []
    now = _now()
    try:
        with db.write_transaction(url) as conn:
            present = _users_of(conn)
            for name in sorted(found):
                new, old = found[name], present.get(name)
                if old is None:
                    _insert(conn, new, now)
                    added.append(name)
                    continue
                same = (old.name, old.email, old.password_hash, old.role, old.countries,
                        old.disabled, old.language, old.partner)
                if same == (new.name, new.email, new.password_hash, new.role, new.countries,
                            new.disabled, new.language, new.partner):
                    unchanged.append(name)
                    continue
                user_id = conn.execute(select(_U.c.id).where(_U.c.username == name)).scalar_one()
                conn.execute(update(_U).where(_U.c.id == user_id).values(
                    name=new.name, email=new.email or None,
                    password_hash=new.password_hash or None, role=new.role,
                    disabled=new.disabled, language=new.language, demo=new.demo,
                    partner_id=new.partner, updated_at=now))
                _set_countries(conn, int(user_id), new.countries)
                updated.append(name)
    except UserError as exc:
        raise UserError(f"{path}: nothing imported; {exc}") from exc
    except IntegrityError as exc:
        raise UserError(f"{path}: nothing imported; an e-mail address in it is another "
                        "user's already") from exc
    return Imported(tuple(added), tuple(updated), tuple(unchanged))


# --- interface language and other preferences ---------------------------------------------

def get_language(url: str, username: str) -> str | None:
    """The interface language ``username`` chose, or None (never chosen, or not stored:
    demo accounts keep their choice in the session only)."""
    user = stored_user(url, username)
    return user.language if user is not None and user.language in LANGUAGES else None


def stored_user(url: str, username: str) -> User | None:
    name = username.strip().lower()
    with db.unavailable_on_lost_connection(url), db.get_engine(url).connect() as conn:
        return _users_of(conn, _U.c.username == name).get(name)


def set_language(url: str, username: str, language: str) -> User:
    """Remember the interface language of a stored user: one column of one row, in one
    statement, so a change an administrator makes meanwhile (a role, a password) is kept."""
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    return _change(url, username, language=language)


# Any: a small JSON value (text, number, boolean, or a list of them).
def set_preference(url: str, username: str, key: str, value: Any) -> User:
    """Set one preference of a stored user; the others stay. The row is read and written
    in one write transaction (SQLite: the write lock is taken first; PostgreSQL: the row
    is locked with FOR UPDATE), so two preferences set at once are both kept."""
    name = username.strip().lower()
    with db.write_transaction(url) as conn:
        query = select(_U.c.id, _U.c.preferences).where(_U.c.username == name)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            raise UserError(f"no user {username} in the database")
        preferences = {**(row.preferences or {}), key: value}
        conn.execute(update(_U).where(_U.c.id == row.id)
                     .values(preferences=preferences, updated_at=_now()))
        return _users_of(conn, _U.c.id == row.id)[name]
