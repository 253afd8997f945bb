"""The Partners page, the case detail's referrals and the partner role through the real
app (AppTest) on the hand-worked fixture (issue 21).

- A manager's Partners page shows the hand-worked referral figures (to January 2017:
  REF-1 10, REF-2 5/10, REF-3 20 days) and the table by partner.
- A partner user (Association Amal) sees the Partners page and the Caseload, not Import or
  Administration; every page it opens renders exactly as for a manager on a copy of the
  database holding Amal's records only (tests/test_partner_scope.partner_only_copy).
- The case detail lists the case's referrals.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from accounts import users
from tests.fixture_db import build_fixture
from tests.test_partner_scope import partner_only_copy
from tests.test_roles import signed_in, visit
from ui.navigation import pages_for

AMAL = 1


@pytest.fixture(scope="module")
def dbs(make_database: Callable[[str, str], str]) -> dict[str, str]:
    full = make_database("sqlite", "partner_pages_full")
    build_fixture(full)
    alone = make_database("sqlite", "partner_pages_amal")
    build_fixture(alone)
    partner_only_copy(alone, AMAL)
    return {"full": full, "amal": alone}


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], None]:
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))

    def use(url: str) -> None:
        import streamlit as st

        if "amal" not in users.stored(url):  # the users live in each database
            users.add(url, "amal", "amal-password-1", "partner", name="Amal", partner=AMAL)
            users.add(url, "boss", "boss-password-1", "manager", name="Boss")

        st.cache_data.clear()
        st.cache_resource.clear()
        monkeypatch.setenv("DATABASE_URL", url)

    return use


def test_the_partners_page_shows_the_hand_worked_figures(dbs: dict[str, str],
                                                         app_env: Callable[[str], None]
                                                         ) -> None:
    app_env(dbs["full"])
    at = signed_in("boss").run()
    text = visit(at, "pages/partners.py")
    # The default period runs to the data's last month (January 2017), so R10
    # (2017-01-05, referred) is in: 10 referrals, 5 of them received (50 %); the days to
    # service are those of the five received, median 20.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Referrals made": "10", "Referrals with a service received": "50.0%",
                       "Time to service": "20 days"}
    assert "Association Amal" in text and "Mairie de Dakar" in text


def test_a_partner_sees_its_pages_only() -> None:
    paths = {p.path for p in pages_for("partner")}
    assert {"pages/partners.py", "pages/caseload.py", "pages/overview.py"} <= paths
    assert "pages/import_data.py" not in paths
    assert "pages/administration.py" not in paths


@pytest.mark.parametrize("path", sorted(p.path for p in pages_for("partner")))
def test_a_partners_pages_equal_a_managers_on_its_only_copy(
        path: str, dbs: dict[str, str], app_env: Callable[[str], None]) -> None:
    app_env(dbs["amal"])
    reference = visit(signed_in("boss").run(), path)
    app_env(dbs["full"])
    seen = visit(signed_in("amal").run(), path)
    assert seen == reference, f"{path}: the partner sees more than its own records"
    for other in ("ANAPEC", "ANETI", "Mairie de Dakar", "MA-007", "TN-009", "SN-014"):
        assert other not in seen, f"{path} shows {other}"


def test_import_is_not_registered_for_a_partner(dbs: dict[str, str],
                                                app_env: Callable[[str], None]) -> None:
    app_env(dbs["full"])
    at = signed_in("amal").run()
    with pytest.raises(ValueError):
        at.switch_page("pages/import_data.py").run()



def test_the_case_detail_lists_the_cases_referrals(dbs: dict[str, str]) -> None:
    from casework.caseload import case_detail
    from data_access import db
    from data_access.scope import Scope
    from ui.caseload import detail_table

    with db.session(dbs["full"], Scope.everything()) as session:
        detail = case_detail(session, 3)  # b3: R3 (ANAPEC) and R4 (Amal)
    assert detail is not None
    shown = detail_table(detail["referrals"])
    assert list(shown["Partner"]) == ["ANAPEC", "Association Amal"]
    assert list(shown["Service"]) == ["Vocational training", "Psychosocial support"]
    assert list(shown["Referral status"]) == ["Accepted", "Service received"]
    with db.session(dbs["full"], Scope.for_partner(AMAL)) as session:
        mine = case_detail(session, 3)
        assert mine is not None and list(mine["referrals"]["Partner"]) == ["Association Amal"]
        assert case_detail(session, 7) is None  # b7: nothing of Amal's


def test_the_partners_page_shows_what_each_partner_delivered_and_the_directory(
        dbs: dict[str, str], app_env: Callable[[str], None]) -> None:
    from views.format import by_kind

    app_env(dbs["full"])
    at = signed_in("boss").run()
    visit(at, "pages/partners.py")
    tables = [t.value for t in at.dataframe]
    delivered = next(t for t in tables if "Follow-up visits" in t.columns)
    rows = {r["Partner"]: r for r in delivered.to_dict("records")}
    # Hand-worked (tests/test_partner_delivered.py): Amal a6 a7 a8 (3000 EUR), S2 with
    # three attendances, one visit, C1; ANETI a12 (800 EUR); the other two nothing.
    amal = rows["Association Amal"]
    assert [amal[c] for c in ("Assistance delivered (records)", "Training sessions",
                              "Attendances", "Follow-up visits",
                              "Cooperatives accompanied")] == ["3", "1", "3", "1", "1"]
    assert amal["Amount delivered (EUR)"] == by_kind(3000.0, "money", "")
    assert rows["ANETI"]["Amount delivered (EUR)"] == by_kind(800.0, "money", "")
    assert rows["ANAPEC"]["Assistance delivered (records)"] == "0"
    directory = next(t for t in tables if "Institution type" in t.columns)
    assert list(directory["Partner"]) == ["ANAPEC", "ANETI", "Association Amal",
                                          "Mairie de Dakar"]
    assert list(directory["Services"])[2] == "Employment services, Psychosocial support"
