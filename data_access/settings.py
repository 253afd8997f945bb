"""Every setting of the dashboard, in one typed place.

Values come from the environment, or from a TOML file named by ``RRD_SETTINGS_FILE``
(environment wins). Each setting is declared once in ``SETTINGS`` with its default and a
one-line help text; the README table is checked against this list by a test.

A malformed value raises ``SettingsError`` with a one-line reason and the fix, so the app
and ``manage.py`` can refuse to start with a readable message instead of a stack trace.
"""

from __future__ import annotations

import math
import os
import secrets
import tomllib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "reintegration.db"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_SQLITE_PATH}"
# The public key of earlier versions: never accepted as COOKIE_KEY (anyone could sign a
# cookie with it). Demo mode without COOKIE_KEY uses the installation key instead.
DEMO_COOKIE_KEY = "demo-cookie-key-not-secret-change-me-0123456789abcdef"
MIN_KEY_BITS = 128  # estimated randomness COOKIE_KEY must have (estimated_bits)
KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


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
            "secret that signs the login cookie (32+ random characters, about 128 bits or "
            "more); required outside demo mode. Demo mode without it: a random key made "
            "once per installation, beside the database"),
    Setting("COOKIE_EXPIRY_DAYS", "1",
            "days a login cookie stays valid, fixed when it is issued (lowering it shortens "
            "existing cookies, raising it lengthens none; 0: no re-login cookie)", float),
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
    Setting("LOCKOUT_ATTEMPTS", "5",
            "sign-in attempts per username whose password is checked within LOCKOUT_MINUTES; "
            "the last of them locks it", _positive_int),
    Setting("LOCKOUT_MINUTES", "15",
            "the window of those attempts, and minutes a locked username stays locked",
            _positive_int),
    Setting("IMPORT_MAX_FILE_MB", "20", "import: largest file accepted, in MB (the upload "
            "box refuses bigger ones)", _positive_int),
    Setting("IMPORT_MAX_EXPANDED_MB", "50", "import: largest total unpacked size of an .xlsx "
            "or .zip (or of a folder's CSV files), in MB", _positive_int),
    Setting("IMPORT_MAX_RATIO", "100", "import: largest compression ratio of a part of an "
            ".xlsx or .zip (unpacked size / packed size)", _positive_int),
    Setting("IMPORT_MAX_ROWS", "50000", "import: most rows in one sheet (header included)",
            _positive_int),
    Setting("IMPORT_MAX_CELL_CHARS", "32767", "import: most characters in one cell (Excel's "
            "own limit)", _positive_int),
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
    import_max_file_mb: int
    import_max_expanded_mb: int
    import_max_ratio: int
    import_max_rows: int
    import_max_cell_chars: int
    disclosure_rounding_base: int = 5

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def installation_key_file(self) -> Path:
        """Where demo mode keeps its cookie key: beside the SQLite database file
        (``<database>.cookie-key``), or beside the users file for a server database."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and \
                url.database != ":memory:":
            database = Path(url.database)
            return database.with_name(f"{database.name}.cookie-key")
        return self.users_file.with_name("cookie.key")

    def cookie_secret(self) -> str:
        """The key that signs re-login cookies: COOKIE_KEY, or in demo mode without it the
        installation's own random key (made on first use, readable by its owner only)."""
        if self.cookie_key is not None:
            return self.cookie_key
        if not self.demo_mode:
            raise SettingsError("COOKIE_KEY is not set: outside demo mode set it to a random "
                                f"secret of 32+ characters ({KEY_HINT})")
        return installation_key(self.installation_key_file)

    def check_for_serving(self) -> None:
        """Refuse to serve the dashboard with secrets that are missing, public or weak."""
        if self.cookie_key is None:
            self.cookie_secret()  # outside demo mode: refused; demo mode: made if missing
            return
        if self.cookie_key == DEMO_COOKIE_KEY:
            raise SettingsError("COOKIE_KEY is the public demo key: set it to your own "
                                f"random secret ({KEY_HINT}), or leave it unset in demo mode")
        if len(self.cookie_key) < 32:
            raise SettingsError("COOKIE_KEY is shorter than 32 characters: use a longer "
                                f"random secret ({KEY_HINT})")
        bits = estimated_bits(self.cookie_key)
        if bits < MIN_KEY_BITS:
            raise SettingsError(f"COOKIE_KEY has too little randomness (about {bits:.0f} bits "
                                f"estimated, {MIN_KEY_BITS} needed; repeated or patterned "
                                f"characters count once): use a random secret ({KEY_HINT})")


def estimated_bits(key: str) -> float:
    """A cautious estimate of a key's randomness in bits.

    The key is reduced to its shortest repeating unit ("abcabc…" counts as "abc"), whose
    length times the Shannon entropy of its own characters is the estimate: one repeated
    character gives 0; 64 characters of ``secrets.token_urlsafe(48)`` about 330.
    """
    n = len(key)
    unit = key
    for period in range(1, n // 2 + 1):
        if all(key[i] == key[i % period] for i in range(period, n)):
            unit = key[:period]
            break
    counts = Counter(unit)
    size = len(unit)
    entropy = -sum(c / size * math.log2(c / size) for c in counts.values()) if size else 0.0
    return max(0.0, entropy * size)


def installation_key(path: Path) -> str:
    """The key in ``path``, made there first if it does not exist (mode 0600; created
    atomically, so processes starting together agree on one key)."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_urlsafe(48) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process made it first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return _read_key(path)
    except OSError as exc:
        raise SettingsError(f"cannot create the cookie key file {path} ({exc.strerror}): "
                            "make its folder writable, or set COOKIE_KEY") from exc


def _read_key(path: Path) -> str:
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise SettingsError(f"cannot read the cookie key file {path} ({exc.strerror}): "
                            "fix its permissions, or set COOKIE_KEY") from exc
    if len(key) < 32 or estimated_bits(key) < MIN_KEY_BITS:
        raise SettingsError(f"the cookie key file {path} does not hold a random key: delete "
                            "it (a new one is made at the next start; everyone signs in "
                            "again)")
    return key


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
        import_max_file_mb=parsed["IMPORT_MAX_FILE_MB"],
        import_max_expanded_mb=parsed["IMPORT_MAX_EXPANDED_MB"],
        import_max_ratio=parsed["IMPORT_MAX_RATIO"],
        import_max_rows=parsed["IMPORT_MAX_ROWS"],
        import_max_cell_chars=parsed["IMPORT_MAX_CELL_CHARS"],
        disclosure_rounding_base=parsed["DISCLOSURE_ROUNDING_BASE"],
    )
