"""Caseload queries on a hand-made database, on SQLite and PostgreSQL; the Excel export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from casework import caseload
from data_access import db
from data_access.models import Assistance, Beneficiary, FollowUp
from data_access.scope import Scope
from data_access.vocab import AssistanceKind, AssistanceStatus, Modality, Sector, Sex

TODAY = dt.date(2016, 6, 30)
D = dt.date
# case number -> (country, first name, last name, [(delivered, status)], [visits])
CASES = {
    "SN-1": ("SN", "Awa", "Diallo", [(D(2015, 12, 31), "delivered")], []),  # due today
    "SN-2": ("SN", "Moussa", "Sow", [(D(2015, 8, 31), "delivered")], []),  # 6 m: 29 Feb
    "SN-3": ("SN", "Fatou", "Ndiaye", [(D(2015, 1, 15), "delivered")], [D(2015, 8, 1)]),
    "SN-4": ("SN", "Ibrahima", "Fall", [(D(2015, 1, 15), "delivered")],
             [D(2015, 7, 20), D(2016, 2, 1)]),
    "SN-5": ("SN", "Khady", "Diallo", [(D(2015, 1, 1), "cancelled")], []),
    "SN-6": ("SN", "Ousmane", "Sy", [(D(2016, 3, 1), "delivered"),
                                     (D(2016, 5, 1), "delivered")], []),
    "MA-1": ("MA", "Youssef", "Alaoui", [(D(2015, 1, 1), "delivered")], []),
    "TN-1": ("TN", "Sami", "Trabelsi", [(D(2015, 2, 1), "delivered")], []),
}
SENEGAL = Scope.for_countries(["SN"])


@pytest.fixture
def url(empty_db_url: str) -> str:
    with db.session(empty_db_url, Scope.everything()) as session:
        for number, (country, first, last, deliveries, visits) in CASES.items():
            ben = Beneficiary(case_number=number, country=country, sex=Sex.F,
                              first_name=first, last_name=last, phone="+000",
                              region=f"{country}-01", return_date=D(2014, 12, 1),
                              registration_date=D(2014, 12, 15))
            session.add(ben)
            session.flush()
            for delivered, status in deliveries:
                session.add(Assistance(beneficiary_id=ben.id, country=country,
                                       modality=Modality.INDIVIDUAL,
                                       kind=AssistanceKind.BUSINESS_GRANT,
                                       sector=Sector.TRADE, delivered_date=delivered,
                                       status=AssistanceStatus(status)))
            for visit in visits:
                session.add(FollowUp(beneficiary_id=ben.id, country=country,
                                     visit_date=visit))
    return empty_db_url


def numbers(page: caseload.Page) -> list[str]:
    return page.rows["case_number"].tolist()


def test_a_focal_point_lists_their_country_only(url: str) -> None:
    with db.session(url, SENEGAL) as session:
        page = caseload.cases(session, today=TODAY)
        assert numbers(page) == ["SN-1", "SN-2", "SN-3", "SN-4", "SN-5", "SN-6"]
        assert page.total == 6
        # A tampered filter asking for Morocco gets nothing, not Morocco.
        assert caseload.cases(session, today=TODAY, countries=["MA"]).total == 0
        ma_id = None
    with db.session(url, Scope.everything()) as session:
        assert caseload.cases(session, today=TODAY).total == 8
        rows = caseload.cases(session, today=TODAY, search="MA-1").rows
        ma_id = int(rows["id"][0])
        assert caseload.cases(session, today=TODAY, countries=["MA", "TN"]).total == 2
    with db.session(url, SENEGAL) as session:
        assert caseload.case_detail(session, ma_id) is None


def test_follow_ups_due_and_overdue(url: str) -> None:
    """The one follow-up rule (data_access.followups): due 182 days after the first
    delivery, met by a visit at least that late by the as-of date, overdue from the due
    date on (no 12-month visit in calendar months any more: that was a second rule)."""
    with db.session(url, SENEGAL) as session:
        page = caseload.cases(session, today=TODAY)
        by_case = page.rows.set_index("case_number")
        assert by_case.loc["SN-1", "next_due"] == D(2016, 6, 30)  # 2015-12-31 + 182
        assert by_case.loc["SN-2", "next_due"] == D(2016, 2, 29)  # 2015-08-31 + 182
        assert by_case.loc["SN-3", "next_due"] is None  # 2015-08-01 is 198 days after
        assert by_case.loc["SN-4", "next_due"] is None  # 2016-02-01 is 382 days after
        assert by_case.loc["SN-5", "next_due"] is None  # cancelled is not delivered
        assert by_case.loc["SN-6", "next_due"] == D(2016, 8, 30)  # from the first delivery
        assert by_case.loc["SN-1", "follow_up"] == "overdue 0 d"  # due today, not met
        assert by_case.loc["SN-2", "follow_up"] == "overdue 122 d"
        assert by_case.loc["SN-6", "follow_up"] == "scheduled"
        assert by_case.loc["SN-4", "last_visit"] == D(2016, 2, 1)
        assert by_case.loc["SN-6", "assistance"] == "individual/trade"
        due = caseload.cases(session, today=TODAY, due_within=30, sort="next_due")
        assert numbers(due) == ["SN-2", "SN-1"]
        later = caseload.cases(session, today=D(2016, 8, 15), due_within=30)
        assert "SN-6" in numbers(later)
        # As of a day before SN-4's late visit, that visit does not count yet.
        early = caseload.cases(session, today=D(2015, 7, 19)).rows.set_index("case_number")
        assert early.loc["SN-4", "next_due"] == D(2015, 7, 16)  # 2015-01-15 + 182
        assert early.loc["SN-4", "last_visit"] is None


def test_search_sort_and_pages(url: str) -> None:
    with db.session(url, SENEGAL) as session:
        assert numbers(caseload.cases(session, today=TODAY, search="diallo")) == ["SN-1",
                                                                                  "SN-5"]
        assert numbers(caseload.cases(session, today=TODAY, search="awa dia")) == ["SN-1"]
        assert numbers(caseload.cases(session, today=TODAY, search="sn-4")) == ["SN-4"]
        assert caseload.cases(session, today=TODAY, search="%").total == 0  # escaped
        by_name = caseload.cases(session, today=TODAY, sort="name")
        assert by_name.rows["name"].tolist()[:3] == ["Awa Diallo", "Khady Diallo",
                                                     "Ibrahima Fall"]
        desc = caseload.cases(session, today=TODAY, sort="case_number", descending=True)
        assert numbers(desc)[0] == "SN-6"
        due_first = caseload.cases(session, today=TODAY, sort="next_due")
        assert numbers(due_first)[-2:] in (["SN-4", "SN-5"], ["SN-5", "SN-4"])  # nulls last
        seen: list[str] = []
        for offset in (0, 4):
            page = caseload.cases(session, today=TODAY, limit=4, offset=offset)
            assert page.pages == 2
            seen += numbers(page)
        assert seen == ["SN-1", "SN-2", "SN-3", "SN-4", "SN-5", "SN-6"]
        with pytest.raises(ValueError, match="cannot sort"):
            caseload.cases(session, today=TODAY, sort="phone")


def _all_pages(session, limit: int, **kwargs) -> tuple[list[str], list[int]]:
    """Every page of a listing, in order: (case numbers, the totals each page reported)."""
    seen: list[str] = []
    totals: list[int] = []
    offset = 0
    while True:
        page = caseload.cases(session, today=TODAY, limit=limit, offset=offset, **kwargs)
        totals.append(page.total)
        if page.rows.empty:
            return seen, totals
        assert len(page.rows) <= limit
        seen += numbers(page)
        offset += limit


def test_pages_at_their_boundaries(url: str) -> None:
    with db.session(url, SENEGAL) as session:
        page = caseload.cases(session, today=TODAY, limit=3, offset=3)
        assert numbers(page) == ["SN-4", "SN-5", "SN-6"] and page.total == 6
        assert page.pages == 2
        last = caseload.cases(session, today=TODAY, limit=4, offset=4)
        assert numbers(last) == ["SN-5", "SN-6"] and last.total == 6
        past = caseload.cases(session, today=TODAY, limit=4, offset=6)
        assert past.rows.empty and past.total == 6  # the count does not depend on the page
        one = caseload.cases(session, today=TODAY, limit=1, offset=5)
        assert numbers(one) == ["SN-6"]
        # Every sort and view, in pages of 2: the pages join up into the whole listing,
        # without a row twice or missing, and each page's total is the listing's length.
        for sort in caseload.SORTS:
            for descending in (False, True):
                whole = numbers(caseload.cases(session, today=TODAY, sort=sort,
                                               descending=descending, limit=100))
                assert sorted(whole) == ["SN-1", "SN-2", "SN-3", "SN-4", "SN-5", "SN-6"]
                paged, totals = _all_pages(session, 2, sort=sort, descending=descending)
                assert paged == whole, (sort, descending)
                assert set(totals) == {6}
        due, totals = _all_pages(session, 2, due_within=30, sort="next_due")
        assert due == ["SN-2", "SN-1"] and set(totals) == {2}  # SN-3 met at 198 days


def test_ties_keep_a_stable_order(url: str) -> None:
    """Every Senegal case has the same region and status: ties are ordered by record,
    reversed when descending, the same on every call."""
    with db.session(url, SENEGAL) as session:
        by_record = numbers(caseload.cases(session, today=TODAY))
        for sort in ("region", "status"):
            assert numbers(caseload.cases(session, today=TODAY, sort=sort)) == by_record
            assert numbers(caseload.cases(session, today=TODAY, sort=sort,
                                          descending=True)) == by_record[::-1]
        # Two Diallos: the name sort is last name then first name (Awa before Khady).
        names = caseload.cases(session, today=TODAY, sort="name", descending=True)
        assert names.rows["name"].tolist()[-3:] == ["Ibrahima Fall", "Khady Diallo",
                                                    "Awa Diallo"]


def test_search_with_filters_and_scope(url: str) -> None:
    with db.session(url, Scope.everything()) as session:
        assert numbers(caseload.cases(session, today=TODAY, search="diallo",
                                      countries=["SN"])) == ["SN-1", "SN-5"]
        assert caseload.cases(session, today=TODAY, search="diallo",
                              countries=["MA", "TN"]).total == 0
        everyone = caseload.cases(session, today=TODAY, search="a")
        assert {"MA-1", "TN-1"} <= set(numbers(everyone))
        # search + country + due view + a page: of the Senegal cases due (SN-2, SN-1),
        # Moussa (SN-2) has an "ou" and Awa Diallo (SN-1) none; Fatou (SN-3) was visited in
        # time; Ousmane (SN-6) has one but is not due yet.
        due = caseload.cases(session, today=TODAY, search="OU", countries=["sn"],
                             due_within=30, sort="next_due", limit=1, offset=0)
        assert numbers(due) == ["SN-2"] and due.total == 1
        # a page past the end of a search still counts the matches
        assert caseload.cases(session, today=TODAY, search="diallo", limit=1,
                              offset=5).total == 2
    with db.session(url, SENEGAL) as session:
        page = caseload.cases(session, today=TODAY, search="a", sort="name")
        assert "MA-1" not in numbers(page) and "TN-1" not in numbers(page)
        assert page.total == len(page.rows) == 6  # every Senegal name has an "a"
        assert caseload.cases(session, today=TODAY, search="youssef").total == 0
        assert caseload.cases(session, today=TODAY, search="MA-1").total == 0
        for hostile in ("'; DROP TABLE beneficiary; --", "_", "%diallo", "\\"):
            assert caseload.cases(session, today=TODAY, search=hostile).total == 0
        assert caseload.cases(session, today=TODAY).total == 6  # the table is still there


def test_the_name_sort_reads_its_index(empty_db_url: str, backend: str) -> None:
    """The name sort's SQL is the expression of the index of migration 0003, so a page of
    names is read in index order instead of sorting every case (SQLite's plan says so)."""
    if backend != "sqlite":
        pytest.skip("the plan is checked on SQLite")
    from sqlalchemy import select

    stmt = (select(Beneficiary.id)
            .order_by(caseload.sort_name(Beneficiary.last_name, Beneficiary.first_name),
                      Beneficiary.id).limit(50))
    engine = db.get_engine(empty_db_url)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert "ix_beneficiary_page_name" in plan and "TEMP B-TREE" not in plan


def test_the_page_cache_follows_the_data(url: str, monkeypatch: pytest.MonkeyPatch,
                                         tmp_path) -> None:
    """ui.caseload keeps a page per question and data version: a write (any committed one,
    not only an import through the page) makes the next read fresh; a page number past the
    last page (the filters changed under it) gives the first; the scope is in the key."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))
    import ui.viewer
    from ui import caseload as cached

    viewer = {"scope": SENEGAL}
    monkeypatch.setattr(ui.viewer, "current_scope", lambda: viewer["scope"])

    def ask(page: int = 1) -> caseload.Page:
        return cached.cases(today=TODAY, search=" ", countries=(), sort="case_number",
                            descending=False, limit=4, page=page, due_within=None)

    assert ask().total == 6 and numbers(ask(2)) == ["SN-5", "SN-6"]
    assert numbers(ask(99)) == ["SN-1", "SN-2", "SN-3", "SN-4"]
    assert ask(99).offset == 0
    viewer["scope"] = Scope.for_countries(["MA"])
    assert numbers(ask()) == ["MA-1"]  # not Senegal's cached page
    viewer["scope"] = SENEGAL
    with db.session(url, Scope.everything()) as session:
        session.add(Beneficiary(case_number="SN-7", country="SN", sex=Sex.M, first_name="Ali",
                                last_name="Ba", return_date=D(2015, 1, 1),
                                registration_date=D(2015, 1, 2)))
    assert ask().total == 7 and numbers(ask(2)) == ["SN-5", "SN-6", "SN-7"]


def test_case_detail(url: str) -> None:
    with db.session(url, SENEGAL) as session:
        sn4 = int(caseload.cases(session, today=TODAY, search="SN-4").rows["id"][0])
        detail = caseload.case_detail(session, sn4)
    assert detail is not None
    assert detail["record"]["Case number"] == "SN-4"
    assert detail["record"]["Name"] == "Ibrahima Fall"
    assert len(detail["assistance"]) == 1 and len(detail["visits"]) == 2
    assert detail["training"].empty


def test_a_donor_scope_cannot_list_cases(url: str) -> None:
    from data_access.scope import ScopeError

    donor = Scope(countries=None, aggregates_only=True)
    with pytest.raises(ScopeError), db.session(url, donor) as session:
        caseload.cases(session, today=TODAY)


def test_the_excel_export_keeps_formulas_as_text() -> None:
    import pandas as pd

    frame = pd.DataFrame({"Case number": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "ok"],
                          "Last visit": [D(2016, 1, 1), None, None, None, None],
                          "Count": [1, 2, 3, 4, 5]})
    book = load_workbook(io.BytesIO(caseload.to_xlsx(frame, note="=note")))
    sheet = book.active
    assert sheet["A1"].value == "=note" and sheet["A1"].data_type == "s"
    assert [c.value for c in sheet[3]] == ["Case number", "Last visit", "Count"]
    cells = [sheet.cell(row=r, column=1) for r in range(4, 9)]
    assert [c.value for c in cells] == frame["Case number"].tolist()
    assert all(c.data_type == "s" for c in cells)
    assert sheet.cell(row=4, column=2).value.date() == D(2016, 1, 1)
    assert sheet.cell(row=8, column=3).value == 5


def test_the_total_from_the_cells_equals_the_count(url: str) -> None:
    from analytics import cubes
    cubes.refresh(url, force=True)
    expected = {(None, ()): 8, (None, ("SN",)): 6, (None, ("MA", "TN")): 2,
                ("SN", ()): 6, ("SN", ("MA",)): 0}
    for (country, chosen), count in expected.items():
        scope = Scope.everything() if country is None else Scope.for_countries([country])
        with db.session(url, scope) as session:
            assert caseload._counted_in_cells(session, chosen) == count, (country, chosen)
            page = caseload.cases(session, today=TODAY, countries=chosen, limit=3)
            assert page.total == count and len(page.rows) == min(3, count)
    # A write marks the cells stale: the COUNT again, which sees the new case.
    with db.session(url, Scope.everything()) as session:
        session.add(Beneficiary(case_number="SN-7", country="SN", sex=Sex.M,
                                return_date=D(2015, 1, 1), registration_date=D(2015, 1, 2)))
    with db.session(url, SENEGAL) as session:
        assert caseload._counted_in_cells(session, ()) is None
        assert caseload.cases(session, today=TODAY).total == 7
