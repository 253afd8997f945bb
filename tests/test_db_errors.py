"""A database that cannot be reached gives a readable DatabaseUnavailable; a bad query
does not pretend to be an outage."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from data_access import db
from data_access.db import DatabaseUnavailable
from data_access.models import Beneficiary
from data_access.scope import Scope


def test_an_unopenable_sqlite_file_is_reported_as_unavailable(tmp_path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    url = f"sqlite:///{tmp_path}/blocker/sub/x.db"
    with pytest.raises(DatabaseUnavailable) as info, \
            db.session(url, Scope.everything()) as session:
        session.execute(select(func.count(Beneficiary.id))).scalar()
    assert "cannot be reached" in str(info.value)
    assert "DATABASE_URL" in str(info.value)


def test_a_missing_table_is_a_query_error_not_an_outage(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"  # never migrated: no tables
    with pytest.raises(DBAPIError) as info, db.session(url, Scope.everything()) as session:
        session.execute(select(func.count(Beneficiary.id))).scalar()
    assert not isinstance(info.value, DatabaseUnavailable)
    assert "no such table" in str(info.value)


def test_a_stopped_postgresql_server_is_reported_as_unavailable(pg_server) -> None:
    url = pg_server.create_database("errors_down")
    db.upgrade(url)
    with db.session(url, Scope.everything()) as session:
        assert session.execute(select(func.count(Beneficiary.id))).scalar() == 0
    pg_server.stop()
    try:
        with pytest.raises(DatabaseUnavailable) as info, \
                db.session(url, Scope.everything()) as session:
            session.execute(select(func.count(Beneficiary.id))).scalar()
        assert "cannot be reached" in str(info.value)
        assert "password" not in str(info.value).lower()
    finally:
        pg_server.start()
    with db.session(url, Scope.everything()) as session:  # back without a restart
        assert session.execute(select(func.count(Beneficiary.id))).scalar() == 0
    db.dispose_engine(url)
