"""Issue 15: no personal data in the server log on an error path.

A Caseload search of a name plus 60,000 characters made SQLite refuse the LIKE pattern
("pattern too complex"), and the logged SQLAlchemy error carried the bound parameter: the
name. Now every engine hides bound parameters in its errors, and the search is cut to
``caseload.SEARCH_MAX_CHARS`` with a message on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from casework import caseload
from data_access import db
from data_access.models import Beneficiary
from data_access.scope import Scope
from tests.test_import import CLEAN, TODAY, do_import, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
NAME = "Amina"  # a first name of CLEAN
LONG = NAME + "Zq" * 30_000


@pytest.fixture
def url(make_database: Callable[[str, str], str], request: pytest.FixtureRequest) -> str:
    url = make_database("sqlite", request.node.name)
    assert do_import(url, workbook_bytes(CLEAN)).ok
    return url


def test_a_failed_statement_never_carries_its_bound_values(
        url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DBAPIError) as info, db.session(url, Scope.everything()) as session:
        # SQLite refuses LIKE patterns over 50,000 characters.
        session.execute(select(Beneficiary.id).where(Beneficiary.first_name.like(
            "%" + LONG + "%"))).all()
    logging.getLogger("streamlit").exception("as Streamlit logs it", exc_info=info.value)
    assert "hide_parameters=True" in str(info.value)
    assert NAME not in str(info.value)
    assert NAME not in caplog.text and "Zq" not in caplog.text


def test_every_engine_hides_its_parameters() -> None:
    sources = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts
               and "tests" not in p.parts]
    for path in sources:
        text = path.read_text()
        calls = text.count("create_engine(") - text.count("import create_engine")
        if calls:
            assert text.count("hide_parameters=True") >= calls, path


def test_a_long_search_is_cut_to_its_bound(url: str) -> None:
    with db.session(url, Scope.everything()) as session:  # refused by SQLite before
        found = caseload.cases(session, today=TODAY, search=LONG)
        assert found.total == 0
        found = caseload.cases(session, today=TODAY, search=NAME + " " * 300)
        assert found.total == 1


def test_the_caseload_page_says_the_search_is_cut_and_logs_no_name(
        url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from tests.test_pages import open_page

    caplog.set_level(logging.DEBUG)
    at = open_page(url, monkeypatch, "pages/caseload.py")
    at.session_state["cl_search"] = LONG
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("first 200 characters" in w.value for w in at.warning), \
        [w.value for w in at.warning]
    assert NAME not in caplog.text and "Zq" not in caplog.text
