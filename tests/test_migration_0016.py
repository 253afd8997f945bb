"""Migration 0016 (issue 21) on SQLite and PostgreSQL: the cooperatives' free-text partner
becomes partner entities (one per trimmed, case-folded name within a country; blanks
none), each cooperative points to its own; the new tables get the analytics triggers; the
downgrade gives back the 0012 schema with the text untouched."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, inspect, text

from data_access import db
from tests.pg import PgServer

COOPS = [  # id, name, country, partner as the file wrote it
    (1, "Coop A", "MA", "Association Amal"),
    (2, "Coop B", "MA", "  association amal "),  # the same partner, spelled otherwise
    (3, "Coop C", "MA", "Réseau Tissu"),
    (4, "Coop D", "TN", "Association Amal"),  # same name, another country: another partner
    (5, "Coop E", "TN", "   "),  # blank: no partner
    (6, "Coop F", "SN", None),
]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_0016_migrates_free_text_partners(backend: str, tmp_path: object,
                                          request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/m.db"
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.create_database("m0016")
    db.upgrade(url, "0012")
    engine = create_engine(url)
    with engine.begin() as conn:
        for cid, name, country, partner in COOPS:
            conn.execute(text(
                "insert into cooperative (id, name, country, sector, partner, status, "
                "record_key) values (:i, :n, :c, 'trade', :p, 'operating', 1)"),
                {"i": cid, "n": name, "c": country, "p": partner})
    engine.dispose()
    db.dispose_engine(url)
    db.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        partners = conn.execute(text(
            "select id, country, name, institution_type from partner order by id")).all()
        links: dict[int, int | None] = {
            cid: pid for cid, pid in conn.execute(text("select id, partner_id from cooperative"))}
    assert [(p.country, p.name, p.institution_type) for p in partners] == [
        ("MA", "Association Amal", "civil_society"), ("MA", "Réseau Tissu", "civil_society"),
        ("TN", "Association Amal", "civil_society")]
    ids = {(p.country, p.name): p.id for p in partners}
    assert links == {1: ids[("MA", "Association Amal")], 2: ids[("MA", "Association Amal")],
                     3: ids[("MA", "Réseau Tissu")], 4: ids[("TN", "Association Amal")],
                     5: None, 6: None}
    # a write to a new table marks the cubes stale
    with engine.begin() as conn:
        conn.execute(text("update analytics_state set dirty = 0"))
        conn.execute(text("update partner set services = 'health' where id = :i"),
                     {"i": partners[0].id})
        assert conn.execute(text("select dirty from analytics_state")).scalar() == 1
    engine.dispose()
    db.dispose_engine(url)
    from alembic import command

    command.downgrade(db.alembic_config(url), "0012")
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    assert "partner" not in names and "referral" not in names
    cols = {c["name"] for c in inspect(engine).get_columns("assistance")}
    assert "partner_id" not in cols
    with engine.connect() as conn:
        assert conn.execute(text("select partner from cooperative where id = 2")).scalar() == \
            "  association amal "
    engine.dispose()


def test_models_match_migrations(make_database: Callable[[str, str], str]) -> None:
    """The migrated schema has every column the models declare on the new tables."""
    from data_access.models import Partner, Referral

    url = make_database("sqlite", "m0016_models")
    engine = db.get_engine(url)
    for model in (Partner, Referral):
        cols = {c["name"] for c in inspect(engine).get_columns(model.__tablename__)}
        assert cols == {c.name for c in model.__table__.columns}
    for table in ("assistance", "training_session", "follow_up", "cooperative"):
        assert "partner_id" in {c["name"] for c in inspect(engine).get_columns(table)}
