"""Issue 18: users in the database, migrations as a step of their own, production settings.

- Migration 0013 copies the USERS_FILE users in (and an import of the same file after it
  changes nothing); ``users import`` is one transaction (one bad entry imports nothing).
- Two threads changing the language and the role (and two preferences) of two users keep
  every one of each other's writes, on SQLite and PostgreSQL.
- ``by_email`` finds a user by a verified e-mail address, in any case.
- ``db upgrade``: two at once, from two processes, both succeed; on PostgreSQL both wait on
  the advisory lock while another holder has it.
- The app never migrates: a database behind head gets a message (EN/FR) and nothing else;
  once upgraded it serves, without a restart. ``manage.py health`` says the same.
- DATABASE_READ_URL: pages read through a role with SELECT grants only; imports still write.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from accounts import users
from data_access import db
from data_access.settings import SETTINGS
from tests.pg import PgServer

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
HASH = users.demo_accounts()[0][0].password_hash  # any bcrypt hash ("admin-demo")

USERS_YAML = f"""\
credentials:
  usernames:
    Amina:
      name: Amina Diallo
      email: Amina.Diallo@Example.ORG
      password: {HASH}
      roles: [focal_point]
      countries: [sn, MA]
      language: fr
    boss:
      name: The Boss
      password: {HASH}
      roles: [manager]
      disabled: true
"""


def _clean_env(**values: str) -> dict[str, str]:
    names = {s.name for s in SETTINGS} | {"RRD_SETTINGS_FILE"}
    return {**{k: v for k, v in os.environ.items() if k not in names}, **values}


def _fresh_url(backend: str, tmp_path: Path, name: str, pg: Callable[[], PgServer]) -> str:
    """A database with no schema at all."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    return pg().create_database(name)


@pytest.fixture
def pg_lazy(request: pytest.FixtureRequest) -> Callable[[], PgServer]:
    return lambda: request.getfixturevalue("pg_server")


# --- the migration and the import -------------------------------------------------------

def test_the_migration_moves_the_users_file_in(backend: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               pg_lazy: Callable[[], PgServer]) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(USERS_YAML)
    url = _fresh_url(backend, tmp_path, f"move_users_{backend}", pg_lazy)
    db.upgrade(url, "0012")
    monkeypatch.setenv("USERS_FILE", str(path))
    db.upgrade(url)
    found = users.stored(url)
    assert sorted(found) == ["amina", "boss"]
    amina, boss = found["amina"], found["boss"]
    assert (amina.name, amina.email, amina.role, amina.countries, amina.language) == (
        "Amina Diallo", "amina.diallo@example.org", "focal_point", ("MA", "SN"), "fr")
    assert amina.password_hash == HASH and not amina.disabled and not amina.demo
    assert boss.disabled and boss.email == "" and boss.countries == ()
    assert path.read_text() == USERS_YAML  # the file is kept as it was
    # Importing the same file afterwards changes nothing.
    result = users.import_file(url, path)
    assert (result.added, result.updated, result.unchanged) == ((), (), ("amina", "boss"))
    # Down and up again: the same users, once each.
    from alembic import command

    command.downgrade(db.alembic_config(url), "0012")
    db.upgrade(url)
    assert users.stored(url) == found
    db.dispose_engine(url)


def test_no_users_file_no_users(empty_db_url: str) -> None:
    assert users.stored(empty_db_url) == {}


def test_an_import_is_all_or_nothing(empty_db_url: str, tmp_path: Path) -> None:
    users.add(empty_db_url, "moussa", "a-long-password", "manager", email="m@example.org")
    bad = tmp_path / "bad.yaml"
    bad.write_text(USERS_YAML + "    ghost:\n      roles: [king]\n")
    with pytest.raises(users.UserError, match="nothing imported; ghost: unknown role"):
        users.import_file(empty_db_url, bad)
    taken = tmp_path / "taken.yaml"
    taken.write_text(USERS_YAML.replace("Amina.Diallo@Example.ORG", "M@example.org"))
    with pytest.raises(users.UserError, match="nothing imported"):
        users.import_file(empty_db_url, taken)
    assert sorted(users.stored(empty_db_url)) == ["moussa"]
    good = tmp_path / "good.yaml"
    good.write_text(USERS_YAML)
    result = users.import_file(empty_db_url, good)
    assert result.added == ("amina", "boss")
    # The file changed: the next import updates the user (and keeps their preferences).
    users.set_preference(empty_db_url, "amina", "start_page", "targets")
    good.write_text(USERS_YAML.replace("roles: [focal_point]\n      countries: [sn, MA]",
                                       "roles: [donor]"))
    result = users.import_file(empty_db_url, good)
    assert result.updated == ("amina",) and result.unchanged == ("boss",)
    amina = users.stored(empty_db_url)["amina"]
    assert amina.role == "donor" and amina.countries == ()
    assert amina.preferences == {"start_page": "targets"}


def test_users_import_on_the_command_line(empty_db_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    path = tmp_path / "users.yaml"
    path.write_text(USERS_YAML)
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    monkeypatch.setenv("DEMO_MODE", "false")
    assert main(["users", "import", str(path)]) == 0
    assert capsys.readouterr().out == f"imported {path}: 2 added, 0 updated, 0 unchanged\n"
    assert main(["users", "import", str(path)]) == 0
    assert capsys.readouterr().out == f"imported {path}: 0 added, 0 updated, 2 unchanged\n"
    assert main(["users", "set-role", "amina", "--role", "focal_point", "--country", "TN"]) == 0
    assert capsys.readouterr().out == "amina is now focal_point (TN)\n"
    assert users.stored(empty_db_url)["amina"].countries == ("TN",)
    assert main(["users", "import", str(tmp_path / "none.yaml")]) == 1
    assert "no users file" in capsys.readouterr().err


# --- concurrent changes -------------------------------------------------------------------

def test_concurrent_changes_keep_each_other(empty_db_url: str) -> None:
    """One thread switches the language of two users back and forth (what the app does on
    a language change), another their role (an administrator); a third and fourth set two
    different preferences of the same user. Every last write of every thread is there at
    the end. (The YAML file of earlier versions was read, changed and written whole by
    each writer: the later writer put back what the other had just changed.)"""
    url = empty_db_url
    for name in ("amina", "moussa"):
        users.add(url, name, "a-long-password", "manager")
    rounds = 25
    errors: list[BaseException] = []
    last: dict[str, object] = {}

    def languages() -> None:
        for i in range(rounds):
            for name in ("amina", "moussa"):
                users.set_language(url, name, ("en", "fr")[i % 2])
        last["language"] = ("en", "fr")[(rounds - 1) % 2]

    def role_of(i: int) -> tuple[str, tuple[str, ...]]:
        return ("donor", ()) if i % 2 == 0 else ("focal_point", (("SN",), ("MA", "TN"))[i % 4 // 2])

    def roles() -> None:
        for i in range(rounds):
            for name in ("moussa", "amina"):
                users.set_role(url, name, *role_of(i))
        last["role"] = role_of(rounds - 1)

    def preference(key: str) -> Callable[[], None]:
        def run() -> None:
            for i in range(rounds):
                users.set_preference(url, "amina", key, i)
        return run

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # reported below
                errors.append(exc)
        return run

    threads = [threading.Thread(target=guarded(w)) for w in
               (languages, roles, preference("a"), preference("b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    after = users.stored(url)
    for name in ("amina", "moussa"):
        assert after[name].language == last["language"], name
        assert (after[name].role, after[name].countries) == last["role"], name
    assert after["amina"].preferences == {"a": rounds - 1, "b": rounds - 1}


# --- look-ups -----------------------------------------------------------------------------

def test_by_email(empty_db_url: str) -> None:
    url = empty_db_url
    users.add(url, "amina", "a-long-password", "manager", email="Amina@Example.org")
    users.add(url, "moussa", "a-long-password", "donor")
    found = users.by_email(url, "  AMINA@example.ORG ")
    assert found is not None and found.username == "amina"
    assert users.by_email(url, "nobody@example.org") is None
    assert users.by_email(url, "") is None
    from data_access.scope import Scope

    with db.session(url, Scope.everything()) as session:
        in_session = users.by_email(session, "amina@example.org")
        assert in_session is not None and in_session.username == "amina"
    with pytest.raises(users.UserError, match="another user's"):
        users.add(url, "amina2", "a-long-password", "manager", email="AMINA@example.org")
    users.set_disabled(url, "amina")
    assert users.by_email(url, "amina@example.org") is None  # disabled: signs in nobody


# --- db upgrade: a step of its own, under a lock ------------------------------------------

def _upgrade_process(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT,
                            env=_clean_env(DATABASE_URL=url), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _schema_is_whole(url: str) -> None:
    assert db.current_revision(url) == db.head_revision()
    with db.get_engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        tables = set(inspect(conn).get_table_names())
    from data_access.models import Base

    assert set(Base.metadata.tables) <= tables


@pytest.mark.postgres
def test_two_upgrades_at_once_on_postgresql(pg_server: PgServer) -> None:
    import psycopg

    url = pg_server.create_database("two_upgrades")
    name = make_url(url).database
    assert name is not None
    with psycopg.connect(pg_server.dsn(name), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (db.MIGRATION_LOCK,))
        procs = [_upgrade_process(url) for _ in range(2)]
        deadline = time.monotonic() + 120
        waiting = 0
        while time.monotonic() < deadline and waiting < 2:
            time.sleep(0.3)
            row = holder.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                 "AND NOT granted").fetchone()
            waiting = int(row[0]) if row else 0
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert waiting == 2  # both upgrades wait on the lock...
        assert db.current_revision(url) is None  # ...and neither has migrated anything
        holder.execute("SELECT pg_advisory_unlock(%s)", (db.MIGRATION_LOCK,))
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    _schema_is_whole(url)
    db.dispose_engine(url)


def test_two_upgrades_at_once_on_sqlite(tmp_path: Path) -> None:
    """While another process holds the upgrade lock (``<file>.upgrade-lock``), both
    upgrades wait; released, both succeed, the second finding nothing to do."""
    import fcntl

    path = tmp_path / "two.db"
    url = f"sqlite:///{path}"
    with open(tmp_path / "two.db.upgrade-lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        procs = [_upgrade_process(url) for _ in range(2)]
        time.sleep(15)  # time for both to start (imports take seconds on a busy machine)
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert db.current_revision(url) is None
        db.dispose_engine(url)
        fcntl.flock(held, fcntl.LOCK_UN)
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    _schema_is_whole(url)
    db.dispose_engine(url)


# --- the server never migrates; health -----------------------------------------------------

def test_the_app_serves_nothing_until_the_database_is_upgraded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    db.upgrade(url, "0012")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "The database is not ready for this version of the dashboard (its schema is at "
        f"revision 0012, this version needs {db.head_revision()}). Run `python manage.py db "
        "upgrade` on the server, then reload this page."]
    assert not at.text_input and not at.selectbox and not at.button  # nothing else
    assert db.current_revision(url) == "0012"  # the page load migrated nothing
    # A page file run directly (as AppTest or a fresh server may) stops the same way.
    page = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=60)
    page.session_state["authentication_status"] = True
    page.session_state["username"] = page.session_state["name"] = "demo-manager"
    page.run()
    assert any("python manage.py db upgrade" in e.value for e in page.error)
    assert not page.metric
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [e.value for e in at.error] == [
        "La base de données n'est pas prête pour cette version du tableau de bord (son "
        f"schéma est à la révision 0012, cette version demande la {db.head_revision()}). "
        "Lancez `python manage.py db upgrade` sur le serveur, puis rechargez cette page."]
    monkeypatch.delenv("DEFAULT_LANGUAGE")
    # Upgraded from outside: the next run serves, without a restart.
    db.upgrade(url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.error and [t.label for t in at.text_input] == ["Username", "Password"]
    db.dispose_engine(url)


def _health(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", "health"], cwd=ROOT,
                          env=_clean_env(**env), capture_output=True, text=True, timeout=120,
                          check=False)


def test_health(tmp_path: Path) -> None:
    from tests.pg import free_port

    url = f"sqlite:///{tmp_path / 'health.db'}"
    db.upgrade(url, "0012")
    proc = _health(DATABASE_URL=url)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == (f"unhealthy: DATABASE_URL: the schema is at revision 0012, this "
                           f"version needs {db.head_revision()}: run `python manage.py db "
                           "upgrade`\n")
    db.upgrade(url)
    proc = _health(DATABASE_URL=url)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == f"ok: the database answers and its schema is at " \
                          f"{db.head_revision()}\n"
    down = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    proc = _health(DATABASE_URL=down)
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("unhealthy: DATABASE_URL: The case database cannot be "
                                  "reached"), proc.stderr
    proc = _health(DATABASE_URL=url, DATABASE_READ_URL=down)
    assert proc.returncode == 1 and proc.stderr.startswith("unhealthy: DATABASE_READ_URL: ")
    proc = _health(DATABASE_URL=url, DB_PREPARE="sometimes")
    assert proc.returncode == 2 and "DB_PREPARE" in proc.stderr
    db.dispose_engine(url)


# --- production settings -------------------------------------------------------------------

@pytest.mark.postgres
def test_pool_and_prepare_settings(monkeypatch: pytest.MonkeyPatch, pg_server: PgServer,
                                   tmp_path: Path) -> None:
    from data_access.settings import SettingsError, load_settings

    assert load_settings({}).db_prepare == 5
    assert load_settings({"DB_PREPARE": "off"}).db_prepare is None
    with pytest.raises(SettingsError, match="DATABASE_READ_URL"):
        load_settings({"DATABASE_READ_URL": "sqlite:///x.db"})
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "1")
    monkeypatch.setenv("DB_PREPARE", "off")
    url = pg_server.create_database("pool_settings")
    engine = db.get_engine(url)
    try:
        assert (engine.pool.size(), engine.pool._max_overflow) == (2, 1)  # type: ignore[attr-defined]
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None and raw.prepare_threshold is None
            for _ in range(8):  # never prepared, however often it runs
                conn.execute(text("SELECT 1")).scalar()
            prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
            assert prepared == 0
    finally:
        db.dispose_engine(url)
    monkeypatch.setenv("DB_PREPARE", "1")
    engine = db.get_engine(url)
    try:
        with engine.connect() as conn:
            for _ in range(4):
                conn.execute(text("SELECT 2")).scalar()
            prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
            assert prepared and prepared > 0
    finally:
        db.dispose_engine(url)


@pytest.mark.postgres
def test_pages_read_the_read_url_and_writes_go_to_database_url(
        pg_server: PgServer, make_database: Callable[[str, str], str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The read URL is a role with SELECT grants only on the same server: any write sent
    there would fail. Pages work through it, and an import (DATABASE_URL) still writes and
    shows on the next run."""
    from tests.test_import import CLEAN, do_import, workbook_bytes
    from tests.test_snapshot import _add, _overview

    url = make_database("postgresql", "read_url")
    assert do_import(url, workbook_bytes(CLEAN)).ok
    name = make_url(url).database
    assert name is not None
    pg_server.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                      "'rrd_reader') THEN CREATE ROLE rrd_reader LOGIN; END IF; END $$")
    pg_server.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO rrd_reader", name)
    reader = make_url(url).set(username="rrd_reader").render_as_string(hide_password=False)
    with pytest.raises(DBAPIError, match="permission denied"), \
            db.get_engine(reader).begin() as conn:
        conn.execute(text("UPDATE analytics_state SET version = version"))
    statements = {"read": 0, "primary": 0}

    def counter(key: str) -> Callable[..., None]:
        def count(*_args: object) -> None:
            statements[key] += 1
        return count

    event.listen(db.get_engine(reader), "before_cursor_execute", counter("read"))
    event.listen(db.get_engine(url), "before_cursor_execute", counter("primary"))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_READ_URL", reader)
    monkeypatch.setenv("DEMO_MODE", "true")
    before = _overview()
    assert statements["read"] > 10  # the figures came through the read URL
    _add(url)  # an import: DATABASE_URL
    after = _overview()
    assert after != before  # the read URL sees the import's commit
    db.dispose_engine(reader)
