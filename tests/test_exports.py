"""Chart and table exports (issue 6): file names, valid files that state their source,
formula-safe cells, disclosure in every format, narratives and the audit log."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

import pandas as pd
import pytest
from openpyxl import load_workbook

from accounts import audit
from cli import main as manage
from data_access import db
from data_access.scope import Scope
from metrics.filters import Filters
from reports import content, files, narratives
from tests.report_data import SURNAMES, populate
from tests.test_reports import DONOR, FOCAL_SN

AS_OF = dt.datetime(2016, 12, 31, 18, 0)


@pytest.fixture(scope="module")
def export_db(make_database: Callable[[str, str], str]) -> str:
    url = make_database("sqlite", "exports")
    populate(url)
    return url


def built(url: str, scope: Scope, sections: list[str] | None = None) -> content.Report:
    with db.session(url, scope) as session:
        return content.build(content.SessionSource(session), Filters(),
                             sections or list(content.SECTION_KEYS), scope=scope,
                             programme="Test programme", data_as_of=AS_OF)


@pytest.mark.parametrize(("start", "end", "slug", "words"), [
    ("2016-07-01", "2016-09-30", "2016Q3", "Q3 2016"),
    ("2016-01-01", "2016-12-31", "2016", "2016"),
    ("2016-03-01", "2016-03-31", "2016-03", "March 2016"),
    ("2015-01-01", "2016-12-31", "2015-2016", "2015–2016"),
    ("2016-02-01", "2016-04-30", "2016-02-01_2016-04-30", "2016-02-01 – 2016-04-30"),
    ("2016-07-02", "2016-09-30", "2016-07-02_2016-09-30", "2016-07-02 – 2016-09-30"),
])
def test_period_labels(start: str, end: str, slug: str, words: str) -> None:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    assert files.period_slug(first, last) == slug
    assert files.period_words(first, last) == words


def test_file_names_say_what_where_and_when() -> None:
    q3 = Filters(dt.date(2016, 7, 1), dt.date(2016, 9, 30), ("MA",))
    assert files.file_name("beneficiaries_by_sector", q3, "xlsx") == \
        "beneficiaries_by_sector_MA_2016Q3.xlsx"
    assert files.file_name("a b/c", Filters(countries=("SN", "MA")), "csv") == \
        "a_b_c_MA-SN_2015-2016.csv"


def test_chart_png_and_svg_are_valid_images_that_state_their_source(export_db: str) -> None:
    report = built(export_db, Scope.everything(), ["sectors"])
    item = report.sections[0].charts[0]
    assert item.chart is not None
    lines = report.provenance.lines()
    png = files.chart_png(item.chart, lines)
    svg = files.chart_svg(item.chart, lines).decode()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert svg.lstrip().startswith("<svg") and len(svg) > 5_000
    assert "Source: Test programme" in svg and "Data as of 2016-12-31 18:00" in svg


def test_xlsx_opens_states_its_source_and_keeps_formulas_as_text() -> None:
    """The table's header is row 1 of the first sheet; the source is a sheet of its own
    (issue 16: four source rows above the header kept Excel from seeing a table)."""
    frame = pd.DataFrame({"Sector": ["Trade", "=HYPERLINK(\"x\")", "@cmd"],
                          "Value": [12, 7, "<5"]})
    provenance = files.Provenance("Test programme", Filters(), AS_OF, 5)
    data = files.table_xlsx(frame, provenance.lines(1), title="Projects by sector")
    book = load_workbook(io.BytesIO(data))
    sheet, source = book.worksheets
    assert source.title == "Source"
    column_a = [c.value for c in source["A"]]
    assert column_a[0] == "Projects by sector"
    assert "Source: Test programme" in column_a
    assert any(str(v).startswith("Disclosure control") for v in column_a)
    assert [c.value for c in sheet[1]] == ["Sector", "Value"]
    cell = sheet.cell(3, 1)
    assert cell.data_type == "s" and cell.value.startswith(("=", "'="))
    assert sheet.cell(2, 2).value == 12  # numbers stay numbers
    assert sheet.cell(4, 2).value == "<5" and sheet.cell(4, 2).data_type == "s"


def test_csv_starts_with_its_header_row() -> None:
    """Issue 16: four ``#`` lines before the header; now the header is the first line
    and the provenance is the file name (what, countries, period)."""
    frame = pd.DataFrame({"Sector": ["Trade", "=1+1", "-2"], "Value": [12, 7, "<5"]})
    data = files.table_csv(frame)
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Sector,Value"
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == ["Sector", "Value"]
    assert list(back["Sector"]) == ["Trade", "'=1+1", "'-2"]


def _values(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame["Value"]]


def _marks(svg: str) -> list[str]:
    return re.findall(r'aria-label="([^"]*)"', svg)


def test_donor_chart_and_table_exports_show_no_small_count(export_db: str) -> None:
    report = built(export_db, DONOR)
    lines = report.provenance.lines()
    hidden_somewhere = False
    for section in report.sections:
        for item in section.charts:
            table = item.table()
            csv = files.table_csv(table).decode("utf-8-sig")
            book = load_workbook(io.BytesIO(files.table_xlsx(table, lines))).active
            values = _values(table)
            hidden_somewhere |= "<5" in values
            small = [v for v in values if re.fullmatch(r"[1-4](\.0)?", v)]
            assert not small, (item.name, values)
            cells = [str(c.value) for row in book.iter_rows() for c in row]
            for text in (csv, "\n".join(cells)):
                assert "CASE-" not in text and not any(n in text for n in SURNAMES)
            if item.chart is not None and section.key in ("sectors", "capacity"):
                svg = files.chart_svg(item.chart, lines).decode()
                assert "CASE-" not in svg
                for label in _marks(svg):
                    numbers = re.findall(r": ([\d,.]+)", label)
                    assert not [n for n in numbers if n in ("1", "2", "3", "4")], label
    assert hidden_somewhere  # the test database really needed suppression


def test_focal_point_exports_name_no_other_country(export_db: str) -> None:
    report = built(export_db, FOCAL_SN)
    assert report.filters.countries == ("SN",)
    lines = report.provenance.lines()
    for section in report.sections:
        for item in section.charts:
            csv = files.table_csv(item.table()).decode("utf-8-sig")
            assert "Morocco" not in csv and "Tunisia" not in csv
            if item.chart is not None and "country" in item.frame:
                assert set(item.frame["country"]) == {"SN"}
                svg = files.chart_svg(item.chart, lines).decode()
                assert "Morocco" not in svg and "Tunisia" not in svg


def test_narratives_are_saved_per_period_and_scope_and_carried_over(export_db: str) -> None:
    q2 = Filters(dt.date(2016, 4, 1), dt.date(2016, 6, 30))
    q3 = Filters(dt.date(2016, 7, 1), dt.date(2016, 9, 30))
    key = narratives.scope_key(Scope.everything(), q2)
    with db.session(export_db, Scope.everything()) as session:
        narratives.save(session, q2, "training", key, "Q2 text", "ana")
        narratives.save(session, q2, "training", key, "Q2 text, revised", "ana")
    with db.session(export_db, Scope.everything()) as session:
        now = narratives.load(session, q2, ["training", "capacity"], key)
        later = narratives.load(session, q3, ["training"], key)
        donor = narratives.load(session, q3, ["training"],
                                narratives.scope_key(DONOR, q3))
    assert now["training"].text == "Q2 text, revised" and now["training"].saved
    assert now["capacity"].text == "" and not now["capacity"].saved
    assert later["training"].text == "Q2 text, revised" and not later["training"].saved
    assert later["training"].from_period == (q2.start, q2.end)
    assert donor["training"].text == ""  # another scope's text is not carried over
    assert narratives.scope_key(Scope.everything(), Filters(countries=("MA",))) == "MA"
    assert narratives.scope_key(FOCAL_SN, Filters()) == "SN"


def test_report_command_writes_the_file_and_the_audit_log(
        export_db: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", export_db)
    out = tmp_path / "q3.pdf"
    code = manage(["report", "--from", "2016-07-01", "--to", "2016-09-30", "--country",
                   "SN", "--sections", "headline", "training", "--format", "pdf",
                   "--out", str(out)])
    assert code == 0 and out.read_bytes().startswith(b"%PDF")
    events = audit.events(export_db, actions=[audit.EXPORT])
    assert events and events[0].detail["format"] == "pdf"
    assert events[0].detail["scope"] == "ALL/agg" and events[0].detail["countries"] == ["SN"]
    assert (events[0].username or "").startswith("cli:")
