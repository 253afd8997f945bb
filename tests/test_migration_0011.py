"""Migration 0011 (issue 14) on SQLite: the beneficiary table is copied to change its unique
constraint; the copy must keep every fact row (with foreign keys on, dropping the old table
would cascade-delete them), the triggers and the name-sort expression index."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

import demo
from data_access import db


def _schema(path: Path) -> tuple[dict[str, int], set[tuple[str, str]]]:
    con = sqlite3.connect(path)
    try:
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("beneficiary", "beneficiary_vulnerability", "assistance",
                            "attendance", "follow_up")}
        objects = set(con.execute("select type, name from sqlite_master where type in "
                                  "('index', 'trigger')").fetchall())
    finally:
        con.close()
    return counts, objects


def _as_at(path: Path, tables: Sequence[demo.Table]) -> list[demo.Table]:
    """Today's demo tables cut to the tables and columns the database has: a later
    migration's table or column (exchange rates, local amounts…) is not there yet."""
    con = sqlite3.connect(path)
    try:
        names = [n for (n,) in con.execute("select name from sqlite_master where type = 'table'")]
        have = {n: {r[1] for r in con.execute(f"pragma table_info({n})")} for n in names}
    finally:
        con.close()
    return [dataclasses.replace(t, columns={k: v for k, v in t.columns.items()
                                            if k in have[t.name]})
            for t in tables if t.name in have]


def test_0011_keeps_every_row_trigger_and_index(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    url = f"sqlite:///{path}"
    db.upgrade(url, "0010")  # the revision before 0011
    demo.load(url, _as_at(path, demo.generate()), progress=lambda _: None, refresh=False)
    before = _schema(path)
    assert all(before[0].values())
    db.dispose_engine(url)
    db.upgrade(url, "0011")  # the migration under test (later ones add indexes of their own)
    after = _schema(path)
    assert after == before
    assert ("index", "ix_beneficiary_page_name") in after[1]
    engine = db.get_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        sql = conn.exec_driver_sql("select sql from sqlite_master where name = "
                                   "'beneficiary'").scalar_one()
        assert "uq_beneficiary_country_case_number UNIQUE (country, case_number)" in sql
        number, country = conn.exec_driver_sql(
            "select case_number, country from beneficiary limit 1").one()
        other = "TN" if country != "TN" else "MA"
        row = ("insert into beneficiary (case_number, country, sex, return_date, "
               "registration_date, status, consent_story) values (?, ?, 'F', '2015-01-01', "
               "'2015-01-02', 'registered', 0)")
        conn.exec_driver_sql(row, (number, other))  # the same number in another country
        with pytest.raises(IntegrityError):
            conn.exec_driver_sql(row, (number, country))  # twice in one country
        conn.rollback()
