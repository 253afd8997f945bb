"""Shared test fixtures (a contract other test modules code against).

- ``pg_server`` (session): a real PostgreSQL server (``tests.pg.PgServer``) on 127.0.0.1;
  ``.url(dbname)``, ``.create_database(name) -> url``, ``.stop()``, ``.start()``. If it cannot
  start, every test using it FAILS with a message naming what to install (never skips).
- ``make_database`` (session): ``make_database(backend, name) -> url`` of a fresh, empty,
  migrated database, backend "sqlite" (a file in a session temp dir) or "postgresql" (a new
  database on ``pg_server``, which is started only when first needed). Names are made
  unique, so the same ``name`` may be asked for twice.
- ``backend``: parametrized over "sqlite" and "postgresql" (the latter marked ``postgres``).
- ``empty_db_url``: a fresh migrated empty database on ``backend``, per test.
- After every test: Streamlit's caches are cleared and the engines of the databases made by
  ``make_database`` are disposed (connections closed; the next use reconnects).
- Settings come from the defaults: the settings environment variables of whoever runs the
  tests are removed for the session (tests set their own with ``monkeypatch``). The
  process's settings are read once (``load_settings``); they are forgotten
  (``load_settings.cache_clear()``) before and after every test and whenever a test's
  ``monkeypatch.setenv``/``delenv`` changes the environment, so the next read sees it.
"""

from __future__ import annotations

import itertools
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg import PgServer, PgUnavailable

BACKENDS = ("sqlite", "postgresql")
_factory: DatabaseFactory | None = None  # the session's make_database, once made


# --- environment -----------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def _clean_settings_environment() -> Iterator[None]:
    from data_access.settings import SETTINGS

    mp = pytest.MonkeyPatch()
    for name in [s.name for s in SETTINGS] + ["RRD_SETTINGS_FILE"]:
        mp.delenv(name, raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="session", autouse=True)
def _settings_follow_the_environment() -> Iterator[None]:
    """Every ``monkeypatch.setenv``/``delenv`` forgets the process's kept settings."""
    from data_access.settings import load_settings

    mp = pytest.MonkeyPatch()
    for name in ("setenv", "delenv"):
        original = getattr(pytest.MonkeyPatch, name)

        def changed(self: pytest.MonkeyPatch, *args: object, _original: Callable[..., None]
                    = original, **kwargs: object) -> None:
            _original(self, *args, **kwargs)
            load_settings.cache_clear()

        mp.setattr(pytest.MonkeyPatch, name, changed)
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Each test starts and ends with settings read afresh (after its monkeypatch undo,
    which tears down before this)."""
    from data_access.settings import load_settings

    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


# --- PostgreSQL ------------------------------------------------------------------------

class _LazyPg:
    """Starts the session's PostgreSQL server on first demand; remembers a failure."""

    def __init__(self) -> None:
        self.server: PgServer | None = None
        self.error: str | None = None

    def get(self) -> PgServer:
        if self.error is None and self.server is None:
            try:
                self.server = PgServer().start()
            except PgUnavailable as exc:
                self.error = str(exc)
        if self.error is not None:
            pytest.fail(f"the test PostgreSQL server could not start: {self.error}",
                        pytrace=False)
        assert self.server is not None
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.cleanup()


@pytest.fixture(scope="session")
def _pg_lazy() -> Iterator[_LazyPg]:
    lazy = _LazyPg()
    yield lazy
    lazy.close()


@pytest.fixture(scope="session")
def pg_server(_pg_lazy: _LazyPg) -> PgServer:
    """The session's real PostgreSQL server (started now if not yet running)."""
    return _pg_lazy.get()


# --- databases -------------------------------------------------------------------------

class DatabaseFactory:
    """``make_database(backend, name) -> url``: a fresh, empty, migrated database.

    Each backend is migrated once per session into a template (``data_access.db.upgrade``);
    every database handed out is a copy of it (file copy for SQLite, ``CREATE DATABASE …
    TEMPLATE`` for PostgreSQL), which is equivalent and much faster than migrating again.
    """

    def __init__(self, directory: Path, pg: _LazyPg) -> None:
        self.directory = directory
        self.pg = pg
        self.urls: list[str] = []
        self._counter = itertools.count(1)
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None

    def __call__(self, backend: str, name: str = "db") -> str:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
        unique = f"{_slug(name)[:40]}_{next(self._counter)}"
        url = self._sqlite(unique) if backend == "sqlite" else self._postgresql(unique)
        self.urls.append(url)
        return url

    def _sqlite(self, name: str) -> str:
        from data_access import db

        if self._sqlite_template is None:
            template = self.directory / "_template.db"
            url = f"sqlite:///{template}"
            db.upgrade(url)
            db.dispose_engine(url)  # closes the last connection: WAL checkpointed away
            self._sqlite_template = template
        path = self.directory / f"{name}.db"
        shutil.copyfile(self._sqlite_template, path)
        return f"sqlite:///{path}"

    def _postgresql(self, name: str) -> str:
        from data_access import db

        server = self.pg.get()
        if self._pg_template is None:
            url = server.create_database("rrd_template")
            db.upgrade(url)
            db.dispose_engine(url)  # a template may have no open connection
            self._pg_template = "rrd_template"
        return server.create_database(name, template=self._pg_template)

    def dispose_all(self) -> None:
        from data_access import db

        for url in self.urls:
            db.dispose_engine(url)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return slug if slug and not slug[0].isdigit() else f"db_{slug}"


@pytest.fixture(scope="session")
def make_database(tmp_path_factory: pytest.TempPathFactory,
                  _pg_lazy: _LazyPg) -> Iterator[Callable[[str, str], str]]:
    global _factory
    factory = _factory = DatabaseFactory(tmp_path_factory.mktemp("databases"), _pg_lazy)
    yield factory
    factory.dispose_all()
    _factory = None


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql",
                                     marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that takes ``backend`` runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, make_database: Callable[[str, str], str],
                 request: pytest.FixtureRequest) -> str:
    """A fresh, empty, migrated database on ``backend`` for this test only."""
    return make_database(backend, request.node.name)


# --- after every test ------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _reset_after_test() -> Iterator[None]:
    yield
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
    if _factory is not None:
        _factory.dispose_all()


# --- the browser ----------------------------------------------------------------------------
# Here, not in tests/browser/conftest.py, so that every test module gets the same session
# fixture: a second ``sync_playwright()`` while the first is alive fails ("Sync API inside
# the asyncio loop"), which a module importing its own copy of the fixture met.

@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    import shutil

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (or "
                    "`bash scripts/install-system-deps.sh`); never `playwright install`",
                    pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[object]:  # Any: a playwright Browser
    from tests.browser.conftest import PAGE_TIMEOUT_MS

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()
