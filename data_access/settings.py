"""Every setting of the dashboard, in one typed place.

Values come from the environment, or from a TOML file named by ``RRD_SETTINGS_FILE``
(environment wins). Each setting is declared once, as a field of ``Settings``: its name
(the environment variable in capitals), type, default, parser and README wording;
``SETTINGS`` and README.md's table are made from those fields (a test checks the README).
``load_settings()`` reads them once per process.

A malformed value raises ``SettingsError`` with a one-line reason and the fix, so the app
and ``manage.py`` can refuse to start with a readable message instead of a stack trace.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import tomllib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
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


def _whole_number(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected a whole number of at least 0")
    return value


def _prepare(raw: str) -> int | None:
    """psycopg's ``prepare_threshold``: a number of runs, or "off" (None: never prepare)."""
    if raw.strip().lower() in {"off", "none", "false", "no"}:
        return None
    try:
        return _whole_number(raw)
    except ValueError:
        raise ValueError("expected off, or a whole number of at least 0") from None


def _postgresql_url(raw: str) -> str:
    from sqlalchemy.engine import make_url

    _database_url(raw)
    if make_url(raw).get_backend_name() != "postgresql":
        raise ValueError("a read replica is a PostgreSQL URL (postgresql+psycopg://…)")
    return raw


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


def _setting(default: str | None, help: str, parse: Callable[[str], Any] = str, *,
             shown: str | None = None) -> Any:
    """One setting's declaration, as a field of ``Settings``: its default as written in the
    environment (None: unset), its README wording (Markdown), the parser of the text
    into the field's type, and the README's default column when it is not the default
    itself. The environment variable is the field's name in capitals."""
    return field(metadata={"setting": (default, help, parse, shown)})


@dataclass(frozen=True)
class Settings:
    """Every setting, each declared once here (see ``_setting``); ``SETTINGS`` and the
    README table (``readme_table``) are made from these fields."""

    database_url: str = _setting(
        DEFAULT_DATABASE_URL,
        "SQLAlchemy URL of the case database (SQLite file, or "
        "`postgresql+psycopg://user:password@host/db`)",
        _database_url, shown="`sqlite:///data/reintegration.db`")
    database_read_url: str | None = _setting(
        None,
        "PostgreSQL only: URL of a read replica (or of a role with SELECT grants only) for "
        "the dashboard's page reads (every page run reads one snapshot); sign-ins, imports, "
        "user changes, narratives and migrations use `DATABASE_URL`", _postgresql_url,
        shown="unset: `DATABASE_URL`")
    db_pool_size: int = _setting(
        "5",
        "connections each server or command process keeps open per database URL (with "
        "several replicas: replicas × (`DB_POOL_SIZE` + `DB_MAX_OVERFLOW`) must stay under "
        "PostgreSQL's `max_connections`, 100 by default)", _positive_int)
    db_max_overflow: int = _setting(
        "45",
        "connections a process may open beyond `DB_POOL_SIZE` at busy times (closed when "
        "returned); a page run may hold two", _whole_number)
    db_prepare: int | None = _setting(
        "5",
        "PostgreSQL: psycopg prepares a statement after this many runs on one connection; "
        "`off` never prepares (needed behind PgBouncer in transaction mode)", _prepare)
    demo_mode: bool = _setting(
        None, "demo accounts and the demo cookie key are allowed only in demo mode", _bool,
        shown="true on the embedded SQLite file, false otherwise")
    users_file: Path = _setting(
        str(PROJECT_ROOT / "data" / "users.yaml"),
        "YAML users file of earlier versions: migration 0013 copies its users into the "
        "database when it exists (users live in the database since; "
        "`manage.py users import FILE` brings in another)", Path,
        shown="`data/users.yaml`")
    cookie_key: str | None = _setting(
        None,
        "secret that signs the login cookie (32+ random characters, about 128 bits or "
        "more; one repeated character is refused); required outside demo mode",
        shown="demo mode: a random key made once per installation, beside the database")
    cookie_expiry_days: float = _setting(
        "1",
        "days a login cookie stays valid, fixed when it is issued (lowering the setting "
        "shortens existing cookies, raising it lengthens none; `0`: no re-login cookie)",
        float)
    auth_password: bool = _setting(
        "true",
        "sign-in with a username and password (`false`: only through the identity "
        "provider, `AUTH_OIDC`); with both off the app refuses to start", _bool)
    auth_oidc: bool = _setting(
        "false",
        "sign-in through an OpenID Connect identity provider (`st.login`): the provider's "
        "verified e-mail must be a user's `email`; role and countries come from the users, "
        "never from the provider. Needs the four `OIDC_*` settings below", _bool)
    oidc_server_metadata_url: str | None = _setting(
        None,
        "the provider's discovery document, e.g. "
        "`https://login.example.org/.well-known/openid-configuration`", shown="none")
    oidc_client_id: str | None = _setting(
        None, "the dashboard's client id registered at the provider", shown="none")
    oidc_client_secret: str | None = _setting(
        None, "the client secret the provider gave for it", shown="none")
    oidc_redirect_uri: str | None = _setting(
        None,
        "the dashboard's public address followed by `/oauth2callback` (registered at the "
        "provider), e.g. `https://dashboard.example.org/oauth2callback`", shown="none")
    oidc_provider_name: str = _setting(
        "", "the provider's name on the sign-in button (\"Sign in with …\"); empty: "
        "\"your organisation's account\"", shown="empty")
    suppression_threshold: int = _setting(
        "5",
        'donor views: counts below this (0 included) are shown as "<5"; rates, averages '
        "and medians need this many behind them", _positive_int)
    disclosure_rounding_base: int = _setting(
        "5",
        "donor views: every other count is randomly rounded, by the secret keys of the "
        "records behind it, to a multiple of this (`1`: no rounding); see "
        "[docs/disclosure.md](docs/disclosure.md)", _positive_int)
    sustainability_threshold: float = _setting(
        "0.5", "FUP-4: composite reintegration score counted as sustainable", _fraction)
    score_weights: tuple[float, float, float] = _setting(
        "1,1,1", "FUP-4: weights of the economic, social and psychosocial scores", _weights)
    programme_file: Path = _setting(
        str(PROJECT_ROOT / "programmes" / "motuse.toml"),
        "TOML file describing the programme: its name in each language, countries (ISO "
        "3166-1), period, reporting currency (ISO 4217) and optional reporting periods "
        "and colours (see `data_access/programme.py`; `programmes/example_five.toml` is a "
        "second one)", Path, shown="`programmes/motuse.toml`")
    programme_name: str | None = _setting(
        None, "programme name printed on the dashboard, reports and exports",
        shown="the programme file's name, in the viewer's language")
    iati_activity_file: Path = _setting(
        str(PROJECT_ROOT / "exports" / "iati_activity.yaml"),
        "IATI export: YAML file naming the activity (identifier, reporting and "
        "participating organisations, status, countries) and the logframe's results "
        "(outcomes and outputs and their indicator codes)", Path,
        shown="`exports/iati_activity.yaml`")
    dhis2_mapping_file: Path = _setting(
        str(PROJECT_ROOT / "exports" / "dhis2_mapping.yaml"),
        "DHIS2 export: YAML file mapping indicator codes (and breakdown values) to data "
        "elements (and category option combos), countries and regions to organisation "
        "units", Path, shown="`exports/dhis2_mapping.yaml`")
    default_language: str = _setting(
        "en", "interface language when a user has chosen none (`en`, `fr`)", _language)
    lockout_attempts: int = _setting(
        "5",
        "sign-in attempts per username whose password is checked within `LOCKOUT_MINUTES`; "
        "the last of them locks it", _positive_int)
    lockout_minutes: int = _setting(
        "15", "the window of those attempts, and minutes a locked username stays locked",
        _positive_int)
    import_max_file_mb: int = _setting(
        "20", "import: largest file accepted, in MB (the upload box refuses bigger ones)",
        _positive_int)
    import_max_expanded_mb: int = _setting(
        "50",
        "import: largest total unpacked size of an .xlsx or .zip (or of a folder's CSV "
        "files), in MB", _positive_int)
    import_max_ratio: int = _setting(
        "100",
        "import: largest compression ratio (unpacked / packed size) of a part of an .xlsx "
        "or .zip over 1 MiB", _positive_int)
    import_max_rows: int = _setting(
        "50000", "import: most rows in one sheet (header included)", _positive_int)
    import_max_cell_chars: int = _setting(
        "32767", "import: most characters in one cell (Excel's own limit)", _positive_int)

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

    def oidc_cookie_secret(self) -> str:
        """The key Streamlit signs its identity cookie with (``[auth] cookie_secret``):
        derived from the cookie secret, so that no key signs two kinds of cookie."""
        return hmac.new(self.cookie_secret().encode(), b"streamlit identity cookie",
                        hashlib.sha256).hexdigest()

    def check_sign_in(self) -> None:
        """Refuse a sign-in configuration that lets nobody in or cannot work."""
        if not self.auth_password and not self.auth_oidc:
            raise SettingsError("AUTH_PASSWORD and AUTH_OIDC are both false, so nobody could "
                                "sign in: set AUTH_PASSWORD=true, or AUTH_OIDC=true with the "
                                "OIDC_* settings")
        if not self.auth_oidc:
            return
        missing = [name for name, value in (
            ("OIDC_SERVER_METADATA_URL", self.oidc_server_metadata_url),
            ("OIDC_CLIENT_ID", self.oidc_client_id),
            ("OIDC_CLIENT_SECRET", self.oidc_client_secret),
            ("OIDC_REDIRECT_URI", self.oidc_redirect_uri)) if not value]
        if missing:
            raise SettingsError(f"AUTH_OIDC is true but {', '.join(missing)} "
                                f"{'is' if len(missing) == 1 else 'are'} not set: set "
                                f"{'it' if len(missing) == 1 else 'them'} (see the "
                                "README's configuration table), or set AUTH_OIDC=false")
        redirect = str(self.oidc_redirect_uri)
        if not redirect.startswith(("http://", "https://")) or \
                not redirect.rstrip("/").endswith("/oauth2callback"):
            raise SettingsError(f"OIDC_REDIRECT_URI={redirect!r} must be the dashboard's "
                                "address followed by /oauth2callback, e.g. "
                                "https://dashboard.example.org/oauth2callback")
        try:
            import authlib  # noqa: F401  (Streamlit's st.login needs it)
        except ImportError as exc:
            raise SettingsError("AUTH_OIDC is true but Authlib is not installed: install "
                                "requirements.txt again (`make venv`)") from exc

    def check_for_serving(self) -> None:
        """Refuse to serve the dashboard with secrets that are missing, public or weak,
        or with a sign-in configuration that cannot work."""
        self.check_sign_in()
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


@dataclass(frozen=True)
class Setting:
    """One setting as declared on ``Settings`` (read from its field)."""

    name: str  # the environment variable and settings-file key
    field: str  # the attribute of Settings
    default: str | None
    help: str
    parse: Callable[[str], Any]
    shown: str | None  # the README's default column, when not the default itself

    @property
    def default_words(self) -> str:
        return self.shown if self.shown is not None else f"`{self.default}`"


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name.upper(), f.name, *f.metadata["setting"]) for f in fields(Settings))


def readme_table() -> str:
    """README.md's configuration table, made from the declarations (a test checks that
    the README holds exactly this; ``python -m data_access.settings`` prints it)."""
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{s.name}` | {s.default_words} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)


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


def read_settings(environ: Mapping[str, str]) -> Settings:
    """Read and check every setting from ``environ`` (and the settings file it names);
    raise SettingsError naming the bad one."""
    raw = _raw_values(environ)
    parsed: dict[str, Any] = {}
    for setting in SETTINGS:
        value = raw.get(setting.name, setting.default)
        if value is None:
            parsed[setting.field] = None
            continue
        try:
            parsed[setting.field] = setting.parse(value)
        except ValueError as exc:
            raise SettingsError(f"setting {setting.name}={value!r} is invalid: {exc}. "
                                f"Fix it in the environment or the settings file.") from exc
    if parsed["demo_mode"] is None:
        parsed["demo_mode"] = parsed["database_url"] == DEFAULT_DATABASE_URL
    return Settings(**parsed)


class _ProcessSettings:
    """``load_settings()``: the process's settings, read from ``os.environ`` once and kept
    (every figure asks for them); ``load_settings(environ)`` reads ``environ`` afresh and
    keeps nothing. ``load_settings.cache_clear()`` forgets the kept ones, for code that
    changes the environment afterwards (the tests' ``monkeypatch.setenv``, through
    tests/conftest.py). A malformed setting is not kept: the next call raises again."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    def __call__(self, environ: Mapping[str, str] | None = None) -> Settings:
        if environ is not None:
            return read_settings(environ)
        if self._settings is None:
            self._settings = read_settings(os.environ)
        return self._settings

    def cache_clear(self) -> None:
        self._settings = None


load_settings = _ProcessSettings()


if __name__ == "__main__":
    print(readme_table())
