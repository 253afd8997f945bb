"""The dashboard's users: a YAML file (the USERS_FILE setting) plus, in demo mode only, the
built-in demo accounts.

The file has the shape streamlit-authenticator reads::

    credentials:
      usernames:
        amina:
          name: Amina Diallo
          email: amina@example.org
          password: $2b$12$...          # bcrypt hash, never a plain password
          roles: [focal_point]          # exactly one of ROLES
          countries: [SN]               # focal points only: one or more ISO codes
          disabled: false

Passwords are bcrypt hashes (the format ``streamlit_authenticator.Hasher`` writes and
checks). Usernames are stored lower-case, as the authenticator compares them.

Demo accounts (``DEMO_ACCOUNTS``) are never written to the file: they are added in memory
when ``settings.demo_mode`` is true and do not exist otherwise. ``check_for_serving``
refuses a users file that holds a demo account (a ``demo-`` username or ``demo: true``)
outside demo mode, since their passwords are public.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from data_access.settings import Settings, SettingsError

ROLES = ("admin", "manager", "focal_point", "donor")
COUNTRIES = ("MA", "SN", "TN")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
DEMO_PREFIX = "demo-"
MIN_PASSWORD = 10


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

    @property
    def country_text(self) -> str:
        return ", ".join(self.countries) if self.countries else "all"

    def public(self) -> dict[str, Any]:
        """What may be shown about a user (no password hash)."""
        return {"username": self.username, "name": self.name, "role": self.role,
                "countries": self.country_text, "email": self.email,
                "disabled": self.disabled, "demo": self.demo}


# Demo accounts: passwords are public (login page, docs/demo-accounts.md). The hashes are
# computed once here so that loading users costs no bcrypt work; a test checks they match.
DEMO_ACCOUNTS: tuple[tuple[User, str], ...] = (
    (User("demo-admin", "Demo administrator", "admin", (), demo=True,
          password_hash="$2b$12$IOSKiBQP0d.poXyKSskkUuusESV/NJS7fJIc4RZJXPWvQ.GPnwih2"),
     "admin-demo"),
    (User("demo-manager", "Demo programme manager", "manager", (), demo=True,
          password_hash="$2b$12$oBlaVs6aNs7pxdHefLJiMupoLwuFlz2biv3swEaWhTMHfjK4NX802"),
     "manager-demo"),
    (User("demo-donor", "Demo donor", "donor", (), demo=True,
          password_hash="$2b$12$SCdLeNeSSqcpr8yyUWESfeX7XaeznPGsenBrqfRrNQV88a1Q7yuKW"),
     "donor-demo"),
    (User("demo-focal-ma", "Demo focal point Morocco", "focal_point", ("MA",), demo=True,
          password_hash="$2b$12$7082/Emc/eL.zQ8jvrht1urgfiGFA/tV9yOcHF08vu0s8px7EuhqG"),
     "focal-ma-demo"),
    (User("demo-focal-tn", "Demo focal point Tunisia", "focal_point", ("TN",), demo=True,
          password_hash="$2b$12$ftbl4PjJeYNfiIwE3mLlkevAmf5I/.CqHcFJ05xuyfrV3VyZRFmF."),
     "focal-tn-demo"),
    (User("demo-focal-sn", "Demo focal point Senegal", "focal_point", ("SN",), demo=True,
          password_hash="$2b$12$QIH8X8RKfc3niHUZFJXR4.3xGJGNOZpy62vlcryFBDw.64kjWSZtW"),
     "focal-sn-demo"),
)


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


# --- the file --------------------------------------------------------------------------

def _user_from(username: str, entry: dict[str, Any]) -> User:
    roles = entry.get("roles") or []
    role = roles[0] if isinstance(roles, list) and roles else str(entry.get("role", ""))
    countries = tuple(str(c).upper() for c in (entry.get("countries") or []))
    return User(username=username.lower(), name=str(entry.get("name") or username),
                role=role, countries=countries, email=str(entry.get("email") or ""),
                password_hash=str(entry.get("password") or ""),
                disabled=bool(entry.get("disabled", False)), demo=bool(entry.get("demo", False))
                or username.lower().startswith(DEMO_PREFIX),
                language=str(entry.get("language") or ""))


def _entry_of(user: User) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": user.name, "email": user.email,
                             "password": user.password_hash, "roles": [user.role]}
    if user.countries:
        entry["countries"] = list(user.countries)
    if user.disabled:
        entry["disabled"] = True
    if user.language:
        entry["language"] = user.language
    return entry


def read_file(path: Path) -> dict[str, User]:
    """The users in the file (an absent file has none)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"users file {path} is not valid YAML ({exc}): fix it or "
                            "recreate it with `python manage.py users add`") from exc
    entries = (data.get("credentials") or {}).get("usernames") or {}
    return {name.lower(): _user_from(name, entry or {}) for name, entry in entries.items()}


def write_file(path: Path, users: dict[str, User]) -> None:
    """Write atomically (temp file + rename), readable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"credentials": {"usernames": {u.username: _entry_of(u)
                                          for u in sorted(users.values(),
                                                          key=lambda u: u.username)}}}
    _write_data(path, data)


def _write_data(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# Dashboard users: manage with `python manage.py users`.\n")
            yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def demo_users() -> dict[str, User]:
    return {user.username: user for user, _password in DEMO_ACCOUNTS}


def load(settings: Settings) -> dict[str, User]:
    """Every user who exists for these settings: the file's, plus the demo accounts in
    demo mode (a file entry of the same name wins)."""
    return load_from(settings.users_file, settings.demo_mode)


def load_from(path: Path, demo_mode: bool) -> dict[str, User]:
    users = read_file(path)
    return {**demo_users(), **users} if demo_mode else users


def by_email(settings: Settings, email: str) -> User | None:
    """The enabled user whose ``email`` is ``email`` (case and surrounding spaces ignored),
    or None: the identity provider's sign-in (``ui.identity``) maps a verified e-mail to a
    user here, and the role and countries are that user's. An e-mail two enabled users
    share names nobody (which of them would it be?)."""
    wanted = email.strip().lower()
    if not wanted:
        return None
    found = [u for u in load(settings).values()
             if not u.disabled and u.email.strip().lower() == wanted]
    return found[0] if len(found) == 1 else None


def check_for_serving(settings: Settings) -> None:
    """Refuse demo accounts outside demo mode (their passwords are public)."""
    if settings.demo_mode:
        return
    demo = sorted(u.username for u in read_file(settings.users_file).values() if u.demo)
    if demo:
        raise SettingsError(
            f"the users file {settings.users_file} holds demo accounts ({', '.join(demo)}), "
            "whose passwords are public, and DEMO_MODE is off: remove them with "
            f"`python manage.py users remove {' '.join(demo)}`")


def credentials(users: dict[str, User]) -> dict[str, Any]:
    """A fresh credentials dict for streamlit-authenticator (enabled users only).

    The authenticator mutates what it is given, so every call builds a new dict.
    """
    return {"usernames": {u.username: copy.deepcopy(_entry_of(u))
                          for u in users.values() if not u.disabled and u.password_hash}}


# --- changes (the CLI) -----------------------------------------------------------------

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
    unknown = [c for c in countries if c not in COUNTRIES]
    if unknown:
        raise UserError(f"unknown country {', '.join(unknown)}; countries: "
                        f"{', '.join(COUNTRIES)}")
    if role == "focal_point" and not countries:
        raise UserError("a focal point needs one or more countries (--country SN)")
    if role != "focal_point" and countries:
        raise UserError(f"only focal points have countries; a {role} sees every country")
    return countries


def add(path: Path, username: str, password: str, role: str, *, name: str = "",
        email: str = "", countries: tuple[str, ...] = ()) -> User:
    username = normalise_username(username)
    countries = check_role(role, countries)
    validate_password(password)
    users = read_file(path)
    if username in users:
        raise UserError(f"user {username} exists already (use set-password, or remove it)")
    user = User(username, name or username, role, countries, email, hash_password(password))
    users[username] = user
    write_file(path, users)
    return user


def _change(path: Path, username: str, **changes: Any) -> User:
    users = read_file(path)
    name = username.strip().lower()
    if name not in users:
        raise UserError(f"no user {username} in {path}")
    from dataclasses import replace

    users[name] = replace(users[name], **changes)
    write_file(path, users)
    return users[name]


def set_password(path: Path, username: str, password: str) -> User:
    validate_password(password)
    return _change(path, username, password_hash=hash_password(password))


def set_disabled(path: Path, username: str, disabled: bool = True) -> User:
    return _change(path, username, disabled=disabled)


def remove(path: Path, username: str) -> User:
    users = read_file(path)
    name = username.strip().lower()
    if name not in users:
        raise UserError(f"no user {username} in {path}")
    user = users.pop(name)
    write_file(path, users)
    return user


# --- interface language (issue 7) ------------------------------------------------------

LANGUAGES = ("en", "fr")


def get_language(path: Path, username: str) -> str | None:
    """The interface language ``username`` chose, or None (never chosen, or not in the
    file: demo accounts keep their choice in the session only)."""
    user = read_file(path).get(username.strip().lower())
    return user.language if user is not None and user.language in LANGUAGES else None


def set_language(path: Path, username: str, language: str) -> User:
    """Remember the interface language of a user of the file.

    Called from the app whenever someone switches language, while an administrator may be
    changing the file with ``manage.py users``: under an exclusive lock (a ``.lock`` file
    next to it), the file is read again just before writing, only this user's
    ``language`` field changes (every other user, field and unknown key is written back as
    read), nothing is written when it is already set, and the new file replaces the old
    one atomically (temp file + rename): a reader sees the old file or the new, never half.
    """
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    path = Path(path)
    name = username.strip().lower()
    with _locked(path):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            data = {}
        except yaml.YAMLError as exc:
            raise UserError(f"users file {path} is not valid YAML ({exc})") from exc
        entries = (data.get("credentials") or {}).get("usernames") or {}
        key = next((k for k in entries if str(k).lower() == name), None)
        if key is None:
            raise UserError(f"no user {username} in {path}")
        entry = entries[key] if isinstance(entries[key], dict) else {}
        if entry.get("language") != language:
            entry["language"] = language
            entries[key] = entry
            _write_data(path, data)
        return _user_from(str(key), entry)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock for a read-change-write of ``path`` (POSIX ``flock``;
    without it, on another OS, the atomic rename alone guards against torn files)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
