"""Roles end to end, through the real app (AppTest), on SQLite and PostgreSQL.

- A focal point of Senegal gets no figure, row or content from Morocco or Tunisia on any
  page: every page they can open renders exactly the same on the full demo database as on
  a copy holding only Senegal's rows — also with a tampered country filter
  (``f_countries=["MA"]`` planted in session state).
- A donor gets no case number, name or phone on any page, and no count from 1 to 4.
- A page a role may not see is not registered (``switch_page`` raises ``ValueError``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select

import demo
from data_access import db
from data_access.models import Base, Beneficiary
from data_access.scope import Scope
from ui.navigation import PAGES, pages_for

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
OTHER = ("MA", "TN")
USERS = {"admin": "demo-admin", "manager": "demo-manager", "focal_point": "demo-focal-sn",
         "donor": "demo-donor"}
OUTPUT_KINDS = ("title", "header", "subheader", "markdown", "caption", "text", "info",
                "warning", "error", "success", "exception", "metric", "dataframe", "table",
                "selectbox", "multiselect", "radio", "json", "tab", "expander")
CHART_KINDS = ("arrow_vega_lite_chart", "vega_lite_chart")


def fill_demo(url: str) -> None:
    demo.load(url, demo.generate(), progress=lambda _line: None)


def keep_only(url: str, country: str) -> None:
    """Delete every case row of other countries (programme-wide targets stay: a scoped
    viewer never sees them anyway)."""
    tables = Base.metadata.tables
    with db.get_engine(url).begin() as conn:
        for name in demo.CASE_TABLES:
            table = tables[name]
            if "country" in table.c:
                conn.execute(delete(table).where(table.c.country != country))


@pytest.fixture(scope="module", params=[
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
def demo_dbs(request: pytest.FixtureRequest,
             make_database: Callable[[str, str], str]) -> dict[str, str]:
    """The full demo database and a copy with Senegal's rows only."""
    full = make_database(request.param, "roles_full")
    fill_demo(full)
    only_sn = make_database(request.param, "roles_sn")
    fill_demo(only_sn)
    keep_only(only_sn, "SN")
    return {"full": full, "sn": only_sn}


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], None]:
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))

    def use(url: str) -> None:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
        monkeypatch.setenv("DATABASE_URL", url)

    return use


def signed_in(username: str, **state: object):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    for key, value in state.items():
        at.session_state[key] = value
    return at


def output(at) -> str:
    """Everything a page showed, as text (charts as their spec and data)."""
    parts: list[str] = []
    for kind in OUTPUT_KINDS:
        for element in at.get(kind):
            if kind == "metric":
                parts.append(f"metric {element.label}={element.value} ({element.delta})")
            elif kind == "dataframe":
                parts.append(element.value.to_csv(index=False))
            elif kind in ("selectbox", "multiselect", "radio"):
                parts.append(f"{kind} {element.label}: {list(element.options)}")
            elif kind in ("tab", "expander"):
                parts.append(f"{kind} {element.label}")
            else:
                parts.append(f"{kind} {getattr(element, 'value', '')}")
    for kind in CHART_KINDS:
        parts += [str(element.proto) for element in at.get(kind)]
    return "\n".join(parts)


def visit(at, path: str) -> str:
    at.switch_page(path).run()
    assert not at.exception, f"{path} raised: {[e.message for e in at.exception]}"
    return output(at)


def personal_data(url: str, countries: tuple[str, ...] | None = None) -> list[str]:
    with db.session(url, Scope.everything()) as session:
        stmt = select(Beneficiary.case_number, Beneficiary.first_name, Beneficiary.last_name,
                      Beneficiary.phone)
        if countries:
            stmt = stmt.where(Beneficiary.country.in_(countries))
        found: list[str] = []
        for case_number, first, last, phone in session.execute(stmt):
            found.append(case_number)
            if first and last:
                found.append(f"{first} {last}")
            if phone:
                found.append(phone)
        return found


FOCAL_PAGES = [p.path for p in pages_for("focal_point")]


@pytest.mark.parametrize("path", FOCAL_PAGES)
def test_a_senegal_focal_point_sees_senegal_only(path: str, demo_dbs: dict[str, str],
                                                 app_env: Callable[[str], None]) -> None:
    app_env(demo_dbs["sn"])
    reference = visit(signed_in(USERS["focal_point"]).run(), path)
    app_env(demo_dbs["full"])
    seen = visit(signed_in(USERS["focal_point"]).run(), path)
    assert seen == reference, f"{path} differs on the full database: data from MA/TN leaked"
    tampered = signed_in(USERS["focal_point"], f_countries=["MA"]).run()
    assert tampered.session_state["f_countries"] == []
    assert visit(tampered, path) == reference, f"{path}: a tampered filter widened the scope"
    leaked = [v for v in personal_data(demo_dbs["full"], OTHER) if v in seen]
    assert not leaked, f"{path} shows Moroccan/Tunisian cases: {leaked[:5]}"
    assert not re.search(r"\b(MA|TN)-\d{4}-\d{3,}", seen)


NOT_COUNTS = ("target", "baseline")  # logframe values set by the programme, not counts


def _small_counts(at) -> list[str]:
    small = {"1", "2", "3", "4"}
    found = [f"metric {m.label}={m.value}" for m in at.metric if str(m.value).strip() in small]
    for frame in at.dataframe:
        for column in frame.value.columns:
            if any(word in str(column).lower() for word in NOT_COUNTS):
                continue
            for value in frame.value[column]:
                text = str(value).strip()
                if text in small or (isinstance(value, (int, float)) and 1 <= value <= 4
                                     and float(value).is_integer()):
                    found.append(f"table {column}={text}")
    return found


DONOR_PAGES = [p.path for p in pages_for("donor")]


@pytest.mark.parametrize("path", DONOR_PAGES)
def test_a_donor_sees_no_personal_data_and_no_small_count(
        path: str, demo_dbs: dict[str, str], app_env: Callable[[str], None]) -> None:
    app_env(demo_dbs["full"])
    at = signed_in(USERS["donor"]).run()
    seen = visit(at, path)
    leaked = [v for v in personal_data(demo_dbs["full"]) if v in seen]
    assert not leaked, f"{path} shows personal data to a donor: {leaked[:5]}"
    assert not re.search(r"\b(MA|SN|TN)-\d{4}-\d{3,}", seen)
    assert not _small_counts(at), f"{path} shows small counts: {_small_counts(at)[:5]}"
    # Issue 14: no record-key sum rides along in a chart's dataset or a table.
    assert not re.search(r'"\w+_key"', seen), f"{path} sends a key column to a donor"


@pytest.mark.parametrize("role", sorted(USERS))
def test_a_page_outside_the_role_is_not_registered(role: str, demo_dbs: dict[str, str],
                                                   app_env: Callable[[str], None]) -> None:
    app_env(demo_dbs["full"])
    at = signed_in(USERS[role]).run()
    allowed = {p.path for p in pages_for(role)}
    for spec in PAGES:
        if spec.path in allowed:
            continue
        with pytest.raises(ValueError):
            at.switch_page(spec.path)


def test_the_role_page_lists() -> None:
    donor = {p.path for p in pages_for("donor")}
    focal = {p.path for p in pages_for("focal_point")}
    manager = {p.path for p in pages_for("manager")}
    admin = {p.path for p in pages_for("admin")}
    assert "pages/caseload.py" not in donor and "pages/administration.py" not in donor
    assert "pages/caseload.py" in focal and "pages/administration.py" not in focal
    assert "pages/administration.py" not in manager and "pages/caseload.py" in manager
    assert admin == {p.path for p in PAGES}
    assert donor <= focal <= manager <= admin
    assert pages_for(None) == []


def test_signed_out_no_page_shows_data(demo_dbs: dict[str, str],
                                      app_env: Callable[[str], None]) -> None:
    """A page script run without the sign-in gate (a new session opened on a page's URL
    runs the file directly) stops before reading anything."""
    from streamlit.testing.v1 import AppTest

    app_env(demo_dbs["full"])
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    secrets = personal_data(demo_dbs["full"])
    for spec in PAGES:
        if not (ROOT / spec.path).is_file():
            continue
        at.switch_page(spec.path).run()
        assert not at.exception, (spec.path, [e.message for e in at.exception])
        seen = output(at)
        assert not [v for v in secrets if v in seen], spec.path
        assert not at.metric and not at.dataframe, spec.path


def test_every_registered_page_file_exists() -> None:
    missing = [spec.path for spec in PAGES if not (ROOT / spec.path).is_file()]
    assert not missing, f"ui/navigation.py registers missing page files: {missing}"
