"""Issue 20: importing a KoboToolbox / ODK Central export of the follow-up survey.

The shipped example (surveys/examples, made by make_examples.py from the shipped XLSForm):
150 cases, then 200 submissions. The figures are worked out here from the export's own
cells and the cases workbook (openpyxl, the indicator definitions of domain.md), not from
the importer or the metrics."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from data_access import db
from data_access.models import Beneficiary, FollowUp, ImportRun
from data_access.scope import Scope
from importing import ImportReport, Source, run_import, survey
from importing.problems import indicator_codes
from tests.test_import import figures, snapshot

TODAY = dt.date(2020, 1, 1)
EXAMPLES = Path(__file__).resolve().parents[1] / "surveys" / "examples"
MAPPING = survey.load("followup")
START, END = dt.date(2015, 1, 1), dt.date(2016, 12, 31)  # Filters()' whole programme


def load_cases(url: str) -> None:
    report = run_import(url, Source.from_path(EXAMPLES / "cases.xlsx"), Scope.everything(),
                        username="tester", today=TODAY, indicator_codes=indicator_codes())
    assert report.ok, report.problems


def import_survey(url: str, name: str | Path, data: bytes | None = None, *,
                  scope: Scope | None = None, dry_run: bool = False,
                  mapping: survey.Mapping = MAPPING) -> ImportReport:
    source = (Source(str(name), data=data) if data is not None
              else Source.from_path(EXAMPLES / name))
    return survey.run(url, source, mapping, scope or Scope.everything(), username="tester",
                      dry_run=dry_run, today=TODAY)


def version(url: str) -> int:
    with db.session(url, Scope.everything()) as sess:
        return db.data_version(sess)


# --- the figures, by hand ---------------------------------------------------------------

def export_rows(name: str) -> list[dict[str, Any]]:
    ws = load_workbook(EXAMPLES / name, read_only=True).worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    return [dict(zip(header, r, strict=False)) for r in rows]


def first_deliveries() -> dict[str, dt.date]:
    ws = load_workbook(EXAMPLES / "cases.xlsx", read_only=True)["assistance"]
    rows = ws.iter_rows(values_only=True)
    header = list(next(rows))
    found: dict[str, dt.date] = {}
    for r in rows:
        row = dict(zip(header, r, strict=False))
        day = row["delivered_date"]
        day = day.date() if isinstance(day, dt.datetime) else day
        case = str(row["case_number"])
        found[case] = min(found.get(case, day), day)
    return found


def likert(value: Any, reverse: bool = False) -> float:
    share = (int(value) - 1) / 4
    return 1 - share if reverse else share


def scores(r: dict[str, Any]) -> tuple[float, float, float] | None:
    """The three scores as surveys/followup.yaml defines them, or None when one is not
    computable (the psychosocial part skipped)."""
    psy = [r["psy/wellbeing"], r["psy/stress"], r["psy/plans_to_stay"]]
    if any(v in (None, "") for v in psy):
        return None
    economic = sum(likert(r[f"econ/{q}"]) for q in ("income_sufficient", "debt_manageable",
                                                     "food_security")) / 3
    ticked = set(str(r["social/support_network"] or "").split())
    social = (len(ticked & {"family", "friends", "community", "association"}) / 4
              + likert(r["social/participation"]) + likert(r["social/discrimination"], True)
              ) / 3
    psychosocial = (likert(psy[0]) + likert(psy[1], True) + likert(psy[2])) / 3
    return economic, social, psychosocial


def by_hand(name: str) -> dict[str, Any]:
    delivered = first_deliveries()
    visits: dict[str, list[dict[str, Any]]] = {}
    for r in export_rows(name):
        day = dt.date.fromisoformat(str(r["visit/visit_date"]))
        if START <= day <= END:
            visits.setdefault(str(r["case/case_number"]), []).append({**r, "day": day})
    survival = [max(v, key=lambda x: x["day"])["econ/business_operating"] == "yes"
                for case, vs in visits.items()
                if (v := [x for x in vs if (x["day"] - delivered[case]).days >= 182])]
    jobs = sum(int(max(v, key=lambda x: x["day"])["econ/jobs_created"])
               for case, vs in visits.items() if case in delivered
               if (v := [x for x in vs if x["econ/jobs_created"] is not None]))
    latest = [scores(max(v, key=lambda x: x["day"])) for vs in visits.values()
              if (v := [x for x in vs if scores(x) is not None])]
    composite = [sum(s) / 3 for s in latest if s]
    return {"FUP-2.numerator": sum(survival), "FUP-2.denominator": len(survival),
            "FUP-2": sum(survival) / len(survival), "FUP-3": jobs,
            "FUP-4": sum(composite) / len(composite),
            "FUP-4.economic": sum(s[0] for s in latest if s) / len(latest),
            "FUP-4.social": sum(s[1] for s in latest if s) / len(latest),
            "FUP-4.psychosocial": sum(s[2] for s in latest if s) / len(latest),
            "FUP-4.sustainable_share": sum(c >= 0.5 for c in composite) / len(composite),
            "FUP-4.beneficiaries": len(composite)}


def assert_figures(url: str, expected: dict[str, Any]) -> None:
    got = figures(url)
    for code, value in expected.items():
        assert got[code] == pytest.approx(value, abs=1e-6), code


# --- the shipped export -----------------------------------------------------------------

def test_the_shipped_export_imports_with_hand_worked_figures(empty_db_url: str) -> None:
    load_cases(empty_db_url)
    report = import_survey(empty_db_url, "followup_kobo.xlsx")
    assert report.ok, report.problems
    assert report.counts["followups"] == {"inserted": 200, "updated": 0, "unchanged": 0,
                                          "rejected": 0}
    expected = by_hand("followup_kobo.xlsx")
    assert expected["FUP-2.denominator"] > 50 and expected["FUP-4.beneficiaries"] > 100
    assert_figures(empty_db_url, expected)
    # The second import of the same file changes nothing: rows, values, data version.
    before, stamp = snapshot(empty_db_url), version(empty_db_url)
    again = import_survey(empty_db_url, "followup_kobo.xlsx")
    assert again.ok and again.counts["followups"]["unchanged"] == 200
    assert again.counts["followups"]["inserted"] == again.counts["followups"]["updated"] == 0
    assert snapshot(empty_db_url) == before and version(empty_db_url) == stamp


def test_the_odk_central_csv_of_the_same_submissions_changes_nothing(sqlite_url: str) -> None:
    # ODK Central joins groups with "-" and keeps the submission's id in KEY ("uuid:…"),
    # the same id as Kobo's meta/rootUuid for these submissions.
    load_cases(sqlite_url)
    assert import_survey(sqlite_url, "followup_kobo.xlsx").ok
    before = snapshot(sqlite_url)
    report = import_survey(sqlite_url, "followup_odk.csv")
    assert report.ok, report.problems
    assert report.counts["followups"]["unchanged"] == 200
    assert snapshot(sqlite_url) == before


def test_the_odk_csv_alone_gives_the_same_figures(sqlite_url: str) -> None:
    load_cases(sqlite_url)
    report = import_survey(sqlite_url, "followup_odk.csv")
    assert report.ok and report.counts["followups"]["inserted"] == 200, report.problems
    assert_figures(sqlite_url, by_hand("followup_kobo.xlsx"))


def visits(url: str) -> dict[str, tuple[str, str]]:
    """submission id → (case number, visit date)."""
    with db.session(url, Scope.everything()) as sess:
        rows = sess.execute(select(FollowUp.submission_uuid, Beneficiary.case_number,
                                   FollowUp.visit_date)
                            .join(Beneficiary, Beneficiary.id == FollowUp.beneficiary_id))
        return {str(u): (c, str(d)[:10]) for u, c, d in rows}


def test_an_edited_export_updates_its_visits(empty_db_url: str) -> None:
    load_cases(empty_db_url)
    assert import_survey(empty_db_url, "followup_kobo.xlsx").ok
    report = import_survey(empty_db_url, "followup_kobo_edited.xlsx")
    assert report.ok, report.problems
    assert report.counts["followups"] == {"inserted": 0, "updated": 10, "unchanged": 190,
                                          "rejected": 0}
    edited = {str(r["meta/rootUuid"])[5:]: (str(r["case/case_number"]),
                                            str(r["visit/visit_date"]))
              for r in export_rows("followup_kobo_edited.xlsx")}
    assert visits(empty_db_url) == edited  # dates and the case corrected, 200 visits
    original = {str(r["meta/rootUuid"])[5:]: str(r["case/case_number"])
                for r in export_rows("followup_kobo.xlsx")}
    assert sum(original[k] != edited[k][0] for k in edited) == 1  # one moved to another case
    # The figures (read from the analytics cells, refreshed for the old case too) are the
    # edited export's.
    assert_figures(empty_db_url, by_hand("followup_kobo_edited.xlsx"))


def test_an_edit_is_found_by_the_id_it_replaces(sqlite_url: str) -> None:
    # An older Kobo export has no meta/rootUuid: each edit has a new _uuid and names the
    # one it replaced in meta/deprecatedID.
    load_cases(sqlite_url)
    assert import_survey(sqlite_url, "followup_kobo.xlsx").ok

    def without_root(name: str) -> bytes:
        wb = load_workbook(EXAMPLES / name)
        ws = wb.worksheets[0]
        column = [c.value for c in ws[1]].index("meta/rootUuid") + 1
        ws.delete_cols(column)
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()

    first = without_root("followup_kobo.xlsx")  # its _uuid: the ids of the last edits
    report = import_survey(sqlite_url, "old.xlsx", first)
    assert report.ok and report.counts["followups"]["updated"] == 20, report.problems
    later = import_survey(sqlite_url, "old_edited.xlsx", without_root(
        "followup_kobo_edited.xlsx"))
    assert later.ok and later.counts["followups"]["updated"] == 10, later.problems
    assert len(visits(sqlite_url)) == 200
    assert_figures(sqlite_url, by_hand("followup_kobo_edited.xlsx"))


# --- invalid submissions ----------------------------------------------------------------

def test_invalid_submissions_reject_the_whole_export(empty_db_url: str) -> None:
    load_cases(empty_db_url)
    before, stamp = snapshot(empty_db_url), version(empty_db_url)
    report = import_survey(empty_db_url, "followup_kobo_invalid.xlsx")
    assert not report.ok
    sheet = "Reintegration follow-up and su"  # the export's own sheet and columns
    found = {(p.sheet, p.row, p.column) for p in report.problems}
    assert found == {(sheet, 5, "case/case_number"), (sheet, 6, "visit/visit_date"),
                     (sheet, 8, "econ/income_sufficient"), (sheet, 9, "econ/jobs_created")}
    messages = " ".join(p.message for p in report.problems)
    assert "MA-S999" in messages and "2016-02-31" in messages and "7 is outside" in messages
    assert report.counts["followups"]["rejected"] == 4
    assert snapshot(empty_db_url) == before and version(empty_db_url) == stamp


def test_a_focal_point_cannot_import_another_countrys_submissions(sqlite_url: str) -> None:
    load_cases(sqlite_url)
    before = snapshot(sqlite_url)
    report = import_survey(sqlite_url, "followup_kobo.xlsx", scope=Scope.for_countries(["MA"]))
    assert not report.ok
    rows = {p.row for p in report.problems}
    other = {n for n, r in enumerate(export_rows("followup_kobo.xlsx"), start=2)
             if r["case/country"] != "MA"}
    assert rows == other and all(p.column == "case/country" for p in report.problems)
    assert snapshot(sqlite_url) == before
    # the Moroccan submissions alone go in
    wb = load_workbook(EXAMPLES / "followup_kobo.xlsx")
    ws = wb.worksheets[0]
    country = [c.value for c in ws[1]].index("case/country")
    for index in range(ws.max_row, 1, -1):
        if ws.cell(index, country + 1).value != "MA":
            ws.delete_rows(index)
    buffer = io.BytesIO()
    wb.save(buffer)
    ma = import_survey(sqlite_url, "ma.xlsx", buffer.getvalue(),
                       scope=Scope.for_countries(["MA"]))
    assert ma.ok and ma.counts["followups"]["inserted"] == 200 - len(other), ma.problems


def test_every_import_is_recorded(sqlite_url: str) -> None:
    load_cases(sqlite_url)
    assert import_survey(sqlite_url, "followup_kobo.xlsx").ok
    assert not import_survey(sqlite_url, "followup_kobo_invalid.xlsx").ok
    assert import_survey(sqlite_url, "followup_odk.csv", dry_run=True).ok
    with db.session(sqlite_url, Scope.everything()) as sess:
        runs = sess.execute(select(ImportRun).order_by(ImportRun.id)).scalars().all()
    survey_runs = [(r.file_name, r.succeeded, r.dry_run, r.counts["sheets"]["followups"])
                   for r in runs[1:]]
    assert [r[:3] for r in survey_runs] == [("followup_kobo.xlsx", True, False),
                                            ("followup_kobo_invalid.xlsx", False, False),
                                            ("followup_odk.csv", False, True)]
    assert survey_runs[0][3]["inserted"] == 200 and survey_runs[1][3]["rejected"] == 4
    assert all(r.username == "tester" and len(r.file_sha256) == 64 for r in runs)


# --- submissions against the visits held ------------------------------------------------

def small_csv(rows: list[dict[str, Any]]) -> bytes:
    header = ["case-case_number", "visit-visit_date", "econ-business_operating", "KEY"]
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def workbook_visit(url: str, case: str, day: str) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("followups")
    ws.append(["case_number", "visit_date", "business_operating"])
    ws.append([case, day, "no"])
    buffer = io.BytesIO()
    wb.save(buffer)
    report = run_import(url, Source("followups.xlsx", data=buffer.getvalue()),
                        Scope.everything(), username="tester", today=TODAY)
    # a workbook needs every sheet; one sheet goes in as CSV
    if not report.ok:
        text = f"case_number,visit_date,business_operating\n{case},{day},no\n".encode()
        report = run_import(url, Source("followups.csv", data=text), Scope.everything(),
                            username="tester", today=TODAY)
    assert report.ok, report.problems


def test_a_workbook_visit_takes_the_submission_and_a_second_submission_is_refused(
        sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"  # a programme's own small form: no scores
    path.write_text("form: small\nfields:\n  case_number: case/case_number\n"
                    "  visit_date: visit/visit_date\n"
                    "  business_operating: econ/business_operating\n")
    small = survey.load(path)

    def import_survey(url: str, name: str, data: bytes) -> ImportReport:
        return survey.run(url, Source(name, data=data), small, Scope.everything(),
                          username="tester", today=TODAY)

    load_cases(sqlite_url)
    workbook_visit(sqlite_url, "MA-S001", "2016-01-10")
    first = import_survey(sqlite_url, "a.csv", small_csv([
        {"case-case_number": "MA-S001", "visit-visit_date": "2016-01-10",
         "econ-business_operating": "yes", "KEY": "uuid:aaaa"}]))
    assert first.ok and first.counts["followups"]["updated"] == 1, first.problems
    assert visits(sqlite_url) == {"aaaa": ("MA-S001", "2016-01-10")}
    before = snapshot(sqlite_url)
    other = import_survey(sqlite_url, "b.csv", small_csv([
        {"case-case_number": "MA-S001", "visit-visit_date": "2016-01-10",
         "econ-business_operating": "no", "KEY": "uuid:bbbb"}]))
    assert not other.ok
    assert [(p.row, p.column) for p in other.problems] == [(2, "visit-visit_date")]
    assert "aaaa" in other.problems[0].message
    twice = import_survey(sqlite_url, "c.csv", small_csv([
        {"case-case_number": "MA-S004", "visit-visit_date": "2016-01-10", "KEY": "cccc"},
        {"case-case_number": "MA-S007", "visit-visit_date": "2016-02-10", "KEY": "cccc"}]))
    assert not twice.ok and [(p.row, p.column) for p in twice.problems] == [(3, "KEY")]
    assert snapshot(sqlite_url) == before


def test_an_export_without_the_forms_questions_is_refused(sqlite_url: str) -> None:
    load_cases(sqlite_url)
    report = import_survey(sqlite_url, "other.csv", b"name,age,_uuid\nx,3,u1\n")
    assert not report.ok
    assert {(p.row, p.column) for p in report.problems} >= {(1, "case/case_number"),
                                                             (1, "visit/visit_date")}
    assert all(p.row == 1 for p in report.problems)  # the header only, not every row


def test_a_bad_mapping_file_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text("fields:\n  case_number: a/b\n  visit_date: a/c\nscores:\n"
                   "  score_economic:\n    mean_of: [x]\n    scale: [5, 1]\n")
    with pytest.raises(survey.MappingError, match="scale"):
        survey.load(bad)
    with pytest.raises(survey.MappingError, match="followup"):
        survey.load("no_such_form")


def test_export_headers_of_either_tool_are_found() -> None:
    from importing.survey.export import find_column

    assert find_column(["start", "econ/score"], "econ/score") == 1  # Kobo
    assert find_column(["econ-score", "x"], "econ/score") == 0  # ODK Central
    assert find_column(["econ.score"], "econ/score") == 0
    assert find_column(["score"], "econ/score") == 0  # exported without group names
    assert find_column(["econ/score2"], "econ/score") is None


Fixture = Callable[[str, str], str]


@pytest.fixture
def sqlite_url(make_database: Fixture, request: pytest.FixtureRequest) -> str:
    return make_database("sqlite", request.node.name)


# --- the Import page --------------------------------------------------------------------

def test_the_import_page_takes_a_survey_export(sqlite_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_pages import open_page

    load_cases(sqlite_url)
    at = open_page(sqlite_url, monkeypatch, "pages/import_data.py")
    at.radio[0].set_value("A survey export (KoboToolbox or ODK Central)").run()
    assert at.selectbox[0].value == "followup"
    payload = (EXAMPLES / "followup_kobo_invalid.xlsx").read_bytes()
    at.file_uploader[0].set_value(("followup_kobo_invalid.xlsx", payload,
                                   "application/octet-stream"))
    at = at.run()
    at = at.button[[b.label for b in at.button].index("Check and import")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and at.error[0].value.startswith("**Nothing was imported.**")
    problems = at.dataframe[0].value
    assert sorted(problems.iloc[:, 2]) == ["case/case_number", "econ/income_sufficient",
                                           "econ/jobs_created", "visit/visit_date"]
    payload = (EXAMPLES / "followup_kobo.xlsx").read_bytes()
    at.file_uploader[0].set_value(("followup_kobo.xlsx", payload, "application/octet-stream"))
    at = at.run()
    at = at.button[[b.label for b in at.button].index("Check and import")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and "200" in at.success[0].value
    assert len(visits(sqlite_url)) == 200


# --- pulling from ODK Central (a local server replaying recorded answers) ---------------

class _Central:
    """ODK Central's two answers, as recorded: the session, then the form's CSV export
    (the shipped ODK Central export stands for the recorded CSV)."""

    def __init__(self) -> None:
        import http.server
        import threading

        requests_seen: list[tuple[str, str, str]] = []
        self.seen = requests_seen
        body = (EXAMPLES / "followup_odk.csv").read_bytes()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                sent = self.rfile.read(length).decode()
                requests_seen.append(("POST", self.path, sent))
                ok = '"password": "right"' in sent
                answer = (b'{"createdAt":"2026-12-02T10:00:00.000Z","expiresAt":'
                          b'"2026-12-03T10:00:00.000Z","token":"lSpAIeksRu1CNZs7"}' if ok
                          else b'{"code":401.2,"message":"Could not authenticate"}')
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self) -> None:  # noqa: N802
                requests_seen.append(("GET", self.path, self.headers.get("Authorization", "")))
                wanted = "/v1/projects/3/forms/reintegration_followup/submissions.csv"
                authorised = self.headers.get("Authorization") == "Bearer lSpAIeksRu1CNZs7"
                found = self.path == wanted and authorised
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(body) if found else 0))
                self.end_headers()
                if found:
                    self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def central() -> Any:
    server = _Central()
    yield server
    server.close()


def test_pull_from_odk_central_imports_like_the_export(sqlite_url: str, central: Any,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from cli import main

    load_cases(sqlite_url)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ODK_CENTRAL_PASSWORD", "right")
    args = ["import-survey", "--pull", central.url, "--project", "3", "--xml-form-id",
            "reintegration_followup", "--email", "amina@example.org", "--quiet"]
    assert main(args) == 0
    assert "reintegration_followup.csv imported. followups: 200 new" in capsys.readouterr().out
    assert [(m, p) for m, p, _x in central.seen] == [
        ("POST", "/v1/sessions"),
        ("GET", "/v1/projects/3/forms/reintegration_followup/submissions.csv")]
    assert_figures(sqlite_url, by_hand("followup_kobo.xlsx"))
    assert main(args) == 0  # pulled again: nothing changes
    assert "0 new, 0 updated, 200 unchanged" in capsys.readouterr().out
    monkeypatch.setenv("ODK_CENTRAL_PASSWORD", "wrong")
    assert main(args) == 1
    assert "password was refused" in capsys.readouterr().err
    monkeypatch.setenv("ODK_CENTRAL_PASSWORD", "right")
    assert main([*args[:6], "other_form", *args[7:]]) == 1
    assert "no form other_form in project 3" in capsys.readouterr().err
