"""Every setting of the dashboard, in one typed place.

Values come from the environment, or from a TOML file named by ``RRD_SETTINGS_FILE``
(environment wins). Each setting is declared once in ``SETTINGS`` with its default and a
one-line help text; the README table is checked against this list by a test.

A malformed value raises ``SettingsError`` with a one-line reason and the fix, so the app
and ``manage.py`` can refuse to start with a readable message instead of a stack trace.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "reintegration.db"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
# Only ever valid in demo mode: the app refuses to start with it otherwise.
DEMO_COOKIE_KEY = "demo-cookie-key-not-secret-change-me-0123456789abcdef"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _weights(raw: str) -> tuple[float, float, float]:
    parts = [float(p) for p in raw.replace(";", ",").split(",")]
    if len(parts) != 3 or any(p < 0 for p in parts) or sum(parts) == 0:
        raise ValueError("expected three non-negative numbers, e.g. 1,1,1")
    return (parts[0], parts[1], parts[2])


def _fraction(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError("expected a number between 0 and 1")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("expected a whole number of at least 1")
    return value


def _database_url(raw: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ValueError("not a SQLAlchemy URL (e.g. sqlite:///data/x.db or "
                         "postgresql+psycopg://user:pw@host/db)") from exc
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ValueError("only sqlite:// and postgresql+psycopg:// URLs are supported")
    return raw


def _language(raw: str) -> str:
    if raw not in {"en", "fr"}:
        raise ValueError("expected en or fr")
    return raw


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    convert: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", DEFAULT_DATABASE_URL,
            "SQLAlchemy URL of the case database (SQLite file, or postgresql+psycopg://…)",
            _database_url),
    Setting("DEMO_MODE", None,
            "true: demo accounts and the demo cookie key are allowed. Default: true when "
            "DATABASE_URL is the embedded SQLite file, false otherwise", _bool),
    Setting("USERS_FILE", str(PROJECT_ROOT / "data" / "users.yaml"),
            "YAML file with the dashboard's users (bcrypt hashes, roles, countries)"),
    Setting("COOKIE_KEY", None,
            "secret that signs the login cookie (32+ characters); required outside demo mode"),
    Setting("COOKIE_EXPIRY_DAYS", "1", "days a login cookie stays valid", float),
    Setting("SUPPRESSION_THRESHOLD", "5",
            "donor views: counts from 1 to this − 1 are shown as '<N'", _positive_int),
    Setting("DISCLOSURE_ROUNDING_BASE", "5",
            "donor views: every other count is randomly rounded to a multiple of this "
            "(1: no rounding); see docs/disclosure.md", _positive_int),
    Setting("SUSTAINABILITY_THRESHOLD", "0.5",
            "FUP-4: composite reintegration score counted as sustainable", _fraction),
    Setting("SCORE_WEIGHTS", "1,1,1",
            "FUP-4: weights of the economic, social and psychosocial scores", _weights),
    Setting("PROGRAMME_NAME", "MoTuSe – Improved reintegration in Morocco, Tunisia and Senegal",
            "programme name printed on reports and exports"),
    Setting("DEFAULT_LANGUAGE", "en", "interface language when a user has chosen none (en, fr)",
            _language),
    Setting("LOCKOUT_ATTEMPTS", "5", "failed sign-ins before a username is locked",
            _positive_int),
    Setting("LOCKOUT_MINUTES", "15", "minutes a locked username stays locked", _positive_int),
)


@dataclass(frozen=True)
class Settings:
    database_url: str
    demo_mode: bool
    users_file: Path
    cookie_key: str | None
    cookie_expiry_days: float
    suppression_threshold: int
    sustainability_threshold: float
    score_weights: tuple[float, float, float]
    programme_name: str
    default_language: str
    lockout_attempts: int
    lockout_minutes: int
    disclosure_rounding_base: int = 5

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_for_serving(self) -> None:
        """Refuse to serve the dashboard with secrets that are missing or public."""
        if self.cookie_key is None:
            raise SettingsError("COOKIE_KEY is not set: outside demo mode set it to a random "
                                "secret of 32+ characters (python -c 'import secrets; "
                                "print(secrets.token_urlsafe(48))')")
        if not self.demo_mode and self.cookie_key == DEMO_COOKIE_KEY:
            raise SettingsError("COOKIE_KEY is the public demo key: outside demo mode set it "
                                "to your own random secret of 32+ characters")
        if len(self.cookie_key) < 32:
            raise SettingsError("COOKIE_KEY is shorter than 32 characters: use a longer "
                                "random secret")


def _raw_values(environ: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    path = environ.get("RRD_SETTINGS_FILE")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise SettingsError(f"settings file {path} does not exist: fix RRD_SETTINGS_FILE "
                                "or create the file") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"settings file {path} is not valid TOML ({exc}): "
                                "fix the line it names") from exc
        known = {s.name for s in SETTINGS}
        for key, value in data.items():
            if key.upper() not in known:
                raise SettingsError(f"settings file {path}: unknown setting {key!r}; "
                                    f"known settings: {', '.join(sorted(known))}")
            values[key.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
    for setting in SETTINGS:
        if setting.name in environ and environ[setting.name] != "":
            values[setting.name] = environ[setting.name]
    return values


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise SettingsError naming the bad one."""
    env = os.environ if environ is None else environ
    raw = _raw_values(env)
    parsed: dict[str, Any] = {}
    for setting in SETTINGS:
        value = raw.get(setting.name, setting.default)
        if value is None:
            parsed[setting.name] = None
            continue
        try:
            parsed[setting.name] = setting.convert(value)
        except ValueError as exc:
            raise SettingsError(f"setting {setting.name}={value!r} is invalid: {exc}. "
                                f"Fix it in the environment or the settings file.") from exc
    url = parsed["DATABASE_URL"]
    demo = parsed["DEMO_MODE"]
    if demo is None:
        demo = url == DEFAULT_DATABASE_URL
    cookie_key = parsed["COOKIE_KEY"]
    if cookie_key is None and demo:
        cookie_key = DEMO_COOKIE_KEY
    return Settings(
        database_url=url,
        demo_mode=demo,
        users_file=Path(parsed["USERS_FILE"]),
        cookie_key=cookie_key,
        cookie_expiry_days=parsed["COOKIE_EXPIRY_DAYS"],
        suppression_threshold=parsed["SUPPRESSION_THRESHOLD"],
        sustainability_threshold=parsed["SUSTAINABILITY_THRESHOLD"],
        score_weights=parsed["SCORE_WEIGHTS"],
        programme_name=parsed["PROGRAMME_NAME"],
        default_language=parsed["DEFAULT_LANGUAGE"],
        lockout_attempts=parsed["LOCKOUT_ATTEMPTS"],
        lockout_minutes=parsed["LOCKOUT_MINUTES"],
        disclosure_rounding_base=parsed["DISCLOSURE_ROUNDING_BASE"],
    )
