"""Engine, migrations and scoped sessions.

``session(scope)`` is the only way the dashboard reads the case database: it opens a
SQLAlchemy session carrying the viewer's ``Scope`` and the listener that applies it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from data_access import scope as scope_module
from data_access.scope import Scope
from i18n import _

if TYPE_CHECKING:  # alembic is imported only to migrate
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message says what to check (no stack trace)."""


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """On every new SQLite connection (the listener is on SQLite engines only)."""
    # Transactions are begun explicitly (_sqlite_begin), not by pysqlite's own rules.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # First: the pragmas below may need a lock another connection holds (a migration).
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers keep reading the last committed state while an import writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA cache_size=-65536")
    # The analytics build's temporary tables in memory. Set here, when the connection opens:
    # SQLite refuses to change it inside a transaction, or once a temporary table exists.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Open every transaction with an explicit BEGIN.

    pysqlite opens none before a SELECT, so each query of a session read the latest
    commit: figures read while an import committed could mix the old and the new state.
    In WAL mode a transaction reads one snapshot, taken at its first read.
    """
    options = conn.get_execution_options()
    if options.get("isolation_level") != "AUTOCOMMIT":
        # A write of its own (``write_transaction``) takes the write lock at once.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("rrd_immediate") else "BEGIN")


# A page run holds its read snapshot's connection until it ends (ui.data) and may open a
# second session meanwhile (a write, the caseload): the defaults (DB_POOL_SIZE 5,
# DB_MAX_OVERFLOW 45) leave room for every concurrent run of one process to do so. With
# several replicas, lower them (each process may open pool + overflow connections) or put
# PgBouncer in front (DB_PREPARE=off: psycopg's prepared statements do not survive a
# transaction-pooling bouncer).
# Every engine is created with hide_parameters=True: a failed statement's error (and so
# the server log) shows the SQL, never the bound values (a searched name, a case's data).
def _pool() -> dict[str, int]:
    from data_access.settings import load_settings

    settings = load_settings()
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}


def get_engine(url: str) -> Engine:
    """One engine per URL for the life of the process."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            from data_access.settings import load_settings

            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite":
                if parsed.database and parsed.database != ":memory:":
                    try:
                        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        raise DatabaseUnavailable(describe_unavailable(url, exc)) from exc
                engine = create_engine(url, connect_args={"check_same_thread": False},
                                       hide_parameters=True, **_pool())
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            else:
                # prepare_threshold None: never prepare (PgBouncer); else psycopg prepares a
                # statement after that many runs on one connection (its default is 5).
                connect_args = {"connect_timeout": 5,
                                "prepare_threshold": load_settings().db_prepare}
                engine = create_engine(url, pool_pre_ping=True, hide_parameters=True,
                                       connect_args=connect_args, **_pool())
            _engines[url] = engine
        return engine


def read_url() -> str:
    """Where the dashboard's read snapshots go: DATABASE_READ_URL (a read replica), or
    DATABASE_URL when it is not set. Writes, imports and migrations use DATABASE_URL."""
    from data_access.settings import load_settings

    settings = load_settings()
    return settings.database_read_url or settings.database_url


def dispose_engine(url: str) -> None:
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def describe_unavailable(url: str, exc: BaseException) -> str:
    safe = make_url(url).render_as_string(hide_password=True)
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return _("The case database cannot be reached ({url}). Check that the database server is "
             "running and that DATABASE_URL is right; the dashboard retries on the next click. "
             "Detail: {detail}").format(url=safe, detail=detail)


# Messages of driver errors that mean "cannot reach or open the database", as opposed to
# a bad query (SQLite reports both as OperationalError).
_CONNECTION_ERRORS = (
    "unable to open database", "disk i/o error", "database is locked", "could not connect",
    "connection refused", "connection timed out", "timeout expired", "server closed the "
    "connection", "terminating connection", "connection is closed", "the database system "
    "is starting up", "the database system is shutting down", "no route to host",
    "name or service not known", "could not translate host name", "consuming input failed",
    "ssl syscall error", "connection failed", "connection to server",
)


def is_connection_error(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(marker in text for marker in _CONNECTION_ERRORS)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# The key of the advisory lock every `db upgrade` takes on PostgreSQL (any constant that
# no other code of the database's users picks: "rrd-migr" in ASCII).
MIGRATION_LOCK = 0x7272642D6D696772


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision``, one process at a time.

    PostgreSQL: on one connection, ``pg_advisory_lock(MIGRATION_LOCK)`` first (a second
    upgrade, from another process or replica, waits there), then the migrations, in their
    transaction, on that same connection; the lock is released after the commit. The
    waiting upgrade then finds the schema at head and does nothing.
    SQLite: an exclusive ``flock`` on ``<database file>.upgrade-lock`` for the whole
    upgrade (a second upgrade on the host waits there, then finds nothing to do); each
    migration's transaction begins IMMEDIATE (busy timeout raised to 10 minutes on that
    connection). The transactions' write lock alone is not enough: alembic commits each
    migration on its own there, so a waiting upgrade could start between two of them,
    and one waiting while a long first one ran failed with "database is locked".
    """
    from alembic import command

    config = alembic_config(url)
    try:
        with ExitStack() as stack, get_engine(url).connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                conn.commit()
                try:
                    config.attributes["connection"] = conn
                    command.upgrade(config, revision)
                finally:
                    conn.rollback()
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"),
                                 {"key": MIGRATION_LOCK})
                    conn.commit()
            else:
                stack.enter_context(_file_lock(url))
                # On the driver's connection: through SQLAlchemy the PRAGMA would begin
                # the transaction (with the short timeout) before it took effect.
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.execute("PRAGMA busy_timeout=600000")
                try:
                    config.attributes["connection"] = conn.execution_options(
                        rrd_immediate=True)
                    command.upgrade(config, revision)
                finally:
                    conn.rollback()
                    raw.execute("PRAGMA busy_timeout=10000")
    except OperationalError as exc:
        if not is_connection_error(exc):
            raise
        raise DatabaseUnavailable(describe_unavailable(url, exc)) from exc


@contextmanager
def _file_lock(url: str) -> Iterator[None]:
    """An exclusive lock on ``<database file>.upgrade-lock`` (POSIX; nothing for an
    in-memory database or on another OS)."""
    database = make_url(url).database
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        fcntl = None  # type: ignore[assignment]
    if not database or database == ":memory:" or fcntl is None:
        yield
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".upgrade-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def head_revision() -> str:
    """The newest migration of this version of the code."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    """The database's migration revision (None: never migrated)."""
    try:
        with get_engine(url).connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return None if value is None else str(value)
    except OperationalError as exc:
        raise DatabaseUnavailable(describe_unavailable(url, exc)) from exc


def is_migrated(url: str) -> bool:
    """Whether the database's schema is at this code's head revision."""
    return current_revision(url) == head_revision()


def _open(url: str, scope: Scope) -> Session:
    engine = get_engine(url)
    sess = sessionmaker(engine, expire_on_commit=False)()
    sess.info["scope"] = scope
    if scope.partner is not None:  # the cubes are not kept per partner (scope, rule 4)
        sess.info["analytics"] = False
    scope_module.install(sess)
    return sess


def _begin(sess: Session) -> None:
    if sess.get_bind().dialect.name == "postgresql":
        # One snapshot for the whole session: a page's figures all come from the same
        # committed state, never half before and half after an import.
        sess.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@contextmanager
def write_transaction(url: str) -> Iterator[Connection]:
    """A short write transaction of its own (Core, unscoped: for the system's own tables),
    committed when the block ends.

    SQLite: ``BEGIN IMMEDIATE`` takes the write lock before the first statement, so
    concurrent writers queue on ``busy_timeout`` and each sees the others' commits.
    PostgreSQL: READ COMMITTED, where an ``UPDATE`` or ``ON CONFLICT DO UPDATE`` of a row
    another transaction is changing waits for it and then works on its committed version
    (REPEATABLE READ, the sessions' level, would fail with a serialization error instead).
    """
    engine = get_engine(url)
    with unavailable_on_lost_connection(url), engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="READ COMMITTED")
        else:
            conn.execution_options(rrd_immediate=True)
        with conn.begin():
            yield conn


@contextmanager
def unavailable_on_lost_connection(url: str) -> Iterator[None]:
    """Turn a driver error that means "cannot reach the database" into
    ``DatabaseUnavailable`` with a readable message; other errors pass unchanged."""
    try:
        yield
    except DBAPIError as exc:
        if is_connection_error(exc):
            raise DatabaseUnavailable(describe_unavailable(url, exc)) from exc
        raise


@contextmanager
def session(url: str, scope: Scope) -> Iterator[Session]:
    """A session reading through ``scope``; commits on success, rolls back on error.

    Connection failures become ``DatabaseUnavailable`` with a readable message.
    """
    sess = _open(url, scope)
    try:
        with unavailable_on_lost_connection(url):
            try:
                _begin(sess)
                yield sess
                sess.commit()
            except BaseException:
                sess.rollback()
                raise
    finally:
        sess.close()


def data_version(sess: Session) -> int:
    """The data version (``analytics_state.version``): it changes with every committed
    write to the case tables or the analytics tables (triggers, migration 0004)."""
    from data_access.models import AnalyticsState

    value = sess.execute(select(AnalyticsState.version)
                         .where(AnalyticsState.id == 1)).scalar()
    return int(value or 0)


class Snapshot:
    """A read-only session on one committed state of the database, and its data version.

    The version is the first thing read, so it is the version of the state every later
    read of this session sees (SQLite/WAL: the explicit BEGIN's snapshot starts at the
    first read; PostgreSQL: REPEATABLE READ's at the first statement). ``close()`` ends
    the read transaction (rollback: nothing is written through a snapshot).
    """

    def __init__(self, url: str, scope: Scope) -> None:
        self.url, self.scope = url, scope
        self.session = _open(url, scope)
        try:
            with unavailable_on_lost_connection(url):
                _begin(self.session)
                self.version = data_version(self.session)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        with suppress(DBAPIError):  # the connection is gone: nothing to end
            self.session.close()
