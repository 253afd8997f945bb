"""Issue 15: uploads that cost far more than their size, and unreadable files.

Each bomb is built here, streaming, in a temporary folder, and imported in a child process
the way the Import page does it (the file's bytes in memory, then ``run_import``); the
child reports its own peak memory (``VmHWM``, its peak since exec), which must stay under
400 MB whether the
file is refused or accepted. Before the limits the xlsx bomb added ~200 MB and the zip
bomb reached 2.7 GB in 155 s.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.models import ImportRun
from data_access.scope import Scope
from i18n import language
from importing.schema import SHEETS
from tests.test_import import CLEAN, do_import, snapshot, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
PEAK_MB = 400
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

CHILD = """
import json, sys
from pathlib import Path
from importing import Source, run_import
from data_access.scope import Scope
from importing.problems import indicator_codes
url, path, dry = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "dry"
report = run_import(url, Source(path.name, data=path.read_bytes()), Scope.everything(),
                    username="limits", dry_run=dry, indicator_codes=indicator_codes())
# VmHWM: this process's own peak since exec. (ru_maxrss is not: Linux carries the
# high-water mark over fork and exec, so a child of a big pytest process reported the
# parent's 770 MB in the full suite.)
status = Path("/proc/self/status").read_text()
peak = int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:"))) / 1024
print(json.dumps({"ok": report.ok, "problems": [p.message for p in report.problems[:5]],
                  "peak_mb": peak}))
"""


class ChildResult(TypedDict):
    """What CHILD prints: the import's outcome and the child's peak memory."""

    ok: bool
    problems: list[str]
    peak_mb: float


def import_in_child(url: str, path: Path, *, dry_run: bool = True,
                    env: dict[str, str] | None = None) -> ChildResult:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("IMPORT_MAX")}
    environ.update(env or {}, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", CHILD, url, str(path),
                           "dry" if dry_run else "write"], capture_output=True, text=True,
                          cwd=ROOT, env=environ, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: ChildResult = json.loads(done.stdout.strip().splitlines()[-1])
    print(path.name, result)
    return result


@pytest.fixture
def url(make_database: Callable[[str, str], str], request: pytest.FixtureRequest) -> str:
    return make_database("sqlite", request.node.name)


# --- the bombs ---------------------------------------------------------------------------

def _copy_workbook(out: zipfile.ZipFile, skip: str = "") -> None:
    base = zipfile.ZipFile(io.BytesIO(workbook_bytes(CLEAN)))
    for info in base.infolist():
        if info.filename != skip:
            out.writestr(info.filename, base.read(info))


def xlsx_with_huge_shared_strings(path: Path, strings: int = 200,
                                  length: int = 1_000_000) -> Path:
    """The template workbook plus a sharedStrings.xml of ``strings`` strings of ``length``
    characters: ~0.2 MB on disk, ~200 MB unpacked."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        _copy_workbook(out, "xl/sharedStrings.xml")
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}">'.encode())
            chunk = b"A" * 100_000
            for _ in range(strings):
                part.write(b"<si><t>")
                for _ in range(length // len(chunk)):
                    part.write(chunk)
                part.write(b"</t></si>")
            part.write(b"</sst>")
    return path


def zip_with_huge_csv(path: Path, size: int = 150_000_000) -> Path:
    """A .zip holding a ``size``-byte followups.csv of one repeated row (~0.4 MB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out, \
            out.open("followups.csv", "w", force_zip64=True) as part:
        part.write(b"case_number,visit_date,business_operating\n")
        block = b"A1,2015-12-01,yes\n" * 10_000
        for _ in range(size // len(block) + 1):
            part.write(block)
    return path


def test_the_two_bombs_are_refused_unread_naming_the_limit(url: str, tmp_path: Path) -> None:
    before = snapshot(url)
    for path in (xlsx_with_huge_shared_strings(tmp_path / "strings.xlsx"),
                 zip_with_huge_csv(tmp_path / "followups.zip")):
        assert path.stat().st_size < 1024 * 1024
        result = import_in_child(url, path)
        assert not result["ok"]
        assert "IMPORT_MAX_RATIO" in result["problems"][0], result
        assert "compression ratio" in result["problems"][0]
        assert result["peak_mb"] < PEAK_MB, result
    assert snapshot(url) == before


def test_with_the_ratio_limit_lifted_the_unpacked_size_limit_refuses_them(
        url: str, tmp_path: Path) -> None:
    for path in (xlsx_with_huge_shared_strings(tmp_path / "strings.xlsx"),
                 zip_with_huge_csv(tmp_path / "followups.zip")):
        result = import_in_child(url, path, env={"IMPORT_MAX_RATIO": "100000"})
        assert not result["ok"]
        assert "IMPORT_MAX_EXPANDED_MB" in result["problems"][0], result
        assert result["peak_mb"] < PEAK_MB, result


def test_the_refusal_is_in_the_users_language(url: str, tmp_path: Path) -> None:
    path = zip_with_huge_csv(tmp_path / "followups.zip", size=20_000_000)
    with language("fr"):
        report = do_import(url, path.read_bytes(), path.name)
    assert not report.ok
    message = report.problems[0].message
    assert "IMPORT_MAX_RATIO" in message and "taux de compression" in message, message


# --- accepted files near the limits ------------------------------------------------------

HEADERS = {s.name: [c.name for c in s.columns] for s in SHEETS}


def _empty_sheets(out: zipfile.ZipFile, but: str) -> None:
    for sheet, columns in HEADERS.items():
        if sheet != but:
            out.writestr(f"{sheet}.csv", ",".join(columns) + "\n")


def zip_of_cases_at_the_row_limit(path: Path, rows: int = 49_999) -> Path:
    """Every sheet (all but one empty), beneficiaries with ``rows`` valid cases with every
    column filled, their texts at full length."""
    columns = ["case_number", "country", "region", "sex", "birth_year", "household_size",
               "host_country", "return_date", "return_type", "vulnerabilities",
               "registration_date", "status", "consent_story", "first_name", "last_name",
               "phone"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        _empty_sheets(out, "beneficiaries")
        with out.open("beneficiaries.csv", "w") as part:
            part.write((",".join(columns) + "\n").encode())
            for i in range(rows):
                first = f"Prénom{i}".ljust(100, "e")
                last = f"Nom{i}".ljust(100, "o")
                part.write(
                    f"C{i:08d},MA,MA-05,{'MF'[i % 2]},{1970 + i % 30},{1 + i % 6},ES,"
                    f"2015-0{1 + i % 9}-1{i % 10},assisted,medical,2015-1{i % 3}-2{i % 8},"
                    f"registered,yes,{first},{last},+2126{i:08d}\n".encode())
    return path


TWO_LETTERS = bytes(b"ab"[n % 2] for n in range(256))


def zip_at_the_unpacked_size_limit(path: Path, megabytes: float = 49.5) -> Path:
    """A followups.csv unpacking to just under the default 50 MB, in rows under the row
    limit and cells under the cell limit (each row's case number is too long, so each is a
    problem: the file is read whole, rejected by the checks, not by a limit)."""
    line_length = 1100
    rows = int(megabytes * 1024 * 1024) // line_length
    assert rows < 50_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        _empty_sheets(out, "followups")
        with out.open("followups.csv", "w") as part:
            part.write(b"case_number,visit_date\n")
            for i in range(rows):
                noise = os.urandom(line_length - 22).translate(TWO_LETTERS)  # ~7x smaller
                part.write(f"{i:09d}".encode() + noise + b",2015-12-01\n")
    return path


def xlsx_at_the_unpacked_size_limit(path: Path, megabytes: float = 48) -> Path:
    """The template workbook with a shared-strings part of ~2 million short distinct
    strings (the most Python objects per unpacked byte), just under the default limit."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        _copy_workbook(out, "xl/sharedStrings.xml")
        with out.open("xl/sharedStrings.xml", "w") as part:
            part.write(f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}">'.encode())
            written, i = 0, 0
            while written < megabytes * 1024 * 1024:
                block = "".join(f"<si><t>{n:08x}</t></si>" for n in range(i, i + 10_000))
                part.write(block.encode())
                written += len(block)
                i += 10_000
            part.write(b"</sst>")
    return path


def test_accepted_files_near_the_limits_stay_under_400_mb(url: str, tmp_path: Path) -> None:
    cases = import_in_child(url, zip_of_cases_at_the_row_limit(tmp_path / "cases.zip"))
    assert cases["ok"], cases  # read, checked, applied and rolled back (a dry run)
    assert cases["peak_mb"] < PEAK_MB, cases
    wide = import_in_child(url, zip_at_the_unpacked_size_limit(tmp_path / "wide.zip"))
    assert not any("IMPORT_MAX" in p for p in wide["problems"]), wide  # not a limit
    assert wide["peak_mb"] < PEAK_MB, wide
    strings = import_in_child(url, xlsx_at_the_unpacked_size_limit(tmp_path / "many.xlsx"))
    assert strings["ok"], strings
    assert strings["peak_mb"] < PEAK_MB, strings


# --- the other limits, in process ----------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused(url: str, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.setenv("IMPORT_MAX_FILE_MB", "1")
    report = do_import(url, b"case_number,visit_date\n" + b"A1,2015-12-01\n" * 100_000,
                       "followups.csv")
    assert not report.ok
    assert "IMPORT_MAX_FILE_MB" in report.problems[0].message, report.problems


def test_a_sheet_past_the_row_limit_is_refused(url: str, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.setenv("IMPORT_MAX_ROWS", "3")
    report = do_import(url, workbook_bytes(CLEAN))  # 3 beneficiaries + header: 4 rows
    assert not report.ok
    assert ["IMPORT_MAX_ROWS" in p.message for p in report.problems] == [True]
    assert "beneficiaries" in report.problems[0].message


def test_a_sheet_claiming_a_far_row_stops_at_the_row_limit(url: str) -> None:
    """<row r="900000000">: the reader would fill every row up to it; the limit stops it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        base = zipfile.ZipFile(io.BytesIO(workbook_bytes(CLEAN)))
        for info in base.infolist():
            data = base.read(info)
            if info.filename == "xl/worksheets/sheet5.xml":  # followups
                data = data.replace(b"</sheetData>", b'<row r="900000000"><c r="A900000000" '
                                    b't="inlineStr"><is><t>A1</t></is></c></row></sheetData>')
            out.writestr(info, data)
    report = do_import(url, buffer.getvalue())
    assert not report.ok
    assert "IMPORT_MAX_ROWS" in report.problems[0].message, report.problems


def test_a_cell_past_the_length_limit_is_refused(url: str) -> None:
    payload = b"case_number,visit_date\nA1,2015-12-01\n" + b"A" * 40_000 + b",2015-12-01\n"
    report = do_import(url, payload, "followups.csv")
    assert not report.ok
    message = report.problems[0].message
    assert "IMPORT_MAX_CELL_CHARS" in message and "row 3" in message, report.problems


def test_limits_are_settings_with_their_defaults() -> None:
    from data_access.settings import load_settings
    from importing.limits import Limits

    settings = load_settings({})
    assert Limits.current() == Limits() == Limits(
        settings.import_max_file_mb, settings.import_max_expanded_mb,
        settings.import_max_ratio, settings.import_max_rows, settings.import_max_cell_chars)


# --- unreadable files: one line, in the user's language, recorded -------------------------

def _workbook_with(part: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        _copy_workbook(out, part)
        out.writestr(part, content)
    return buffer.getvalue()


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'.encode()
                             .replace(b"&lol0;", b"&lol;") for i in range(1, 10))
                  + f'<sst xmlns="{MAIN_NS}"><si><t>&lol9;</t></si></sst>'.encode())


def _broken_zip() -> bytes:
    payload = bytearray(workbook_bytes(CLEAN))
    middle = len(payload) // 2
    payload[middle:middle + 200] = os.urandom(200)  # inside a compressed part
    return bytes(payload)


UNREADABLE: dict[str, tuple[Callable[[], bytes], str]] = {
    "malformed shared strings": (lambda: _workbook_with(
        "xl/sharedStrings.xml", f'<sst xmlns="{MAIN_NS}"><si><t>x</si>'.encode()), "x.xlsx"),
    "billion laughs": (lambda: _workbook_with("xl/sharedStrings.xml", BILLION_LAUGHS),
                       "laughs.xlsx"),
    "malformed sheet": (lambda: _workbook_with("xl/worksheets/sheet1.xml", b"<worksheet"),
                        "sheet.xlsx"),
    "malformed styles": (lambda: _workbook_with("xl/styles.xml", b"<styleSheet><"),
                         "styles.xlsx"),
    "broken zip": (_broken_zip, "broken.xlsx"),
    "broken csv zip": (lambda: b"PK\x03\x04" + os.urandom(2000), "broken.zip"),
    "not a workbook": (lambda: b"PK\x05\x06" + b"\0" * 18, "empty.xlsx"),
    "wrong encoding": (lambda: "case_number,visit_date\nÀ1,2015-12-01\n".encode("utf-16"),
                       "followups.csv"),
}


def _runs(url: str) -> list[tuple[bool, str]]:
    with db.session(url, Scope.everything()) as session:
        return [(r.succeeded, r.file_name) for r in
                session.scalars(select(ImportRun).order_by(ImportRun.id))]


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_an_unreadable_file_is_one_line_and_recorded(case: str, url: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    make, name = UNREADABLE[case]
    payload = make()
    for lang, word in (("en", name), ("fr", name)):
        with language(lang):
            report = do_import(url, payload, name)
        assert not report.ok
        assert len(report.problems) >= 1
        message = report.problems[0].message
        assert word in message and "\n" not in message and "Traceback" not in message
    assert _runs(url) == [(False, name), (False, name)]
    assert "lol" not in caplog.text


def test_unreadable_messages_are_french_in_french(url: str) -> None:
    make, name = UNREADABLE["billion laughs"]
    with language("fr"):
        report = do_import(url, make(), name)
    message = report.problems[0].message
    assert "classeur" in message or "fichier" in message, message


# --- the Import page ----------------------------------------------------------------------

def _import_page(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    from tests.test_pages import open_page

    return open_page(url, monkeypatch, "pages/import_data.py")


@pytest.mark.parametrize("case", ["billion laughs", "broken zip", "wrong encoding"])
def test_the_page_shows_an_unreadable_file_in_one_line(case: str, url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    make, name = UNREADABLE[case]
    at = _import_page(url, monkeypatch)
    at.file_uploader[0].set_value((name, make(), "application/octet-stream"))
    at = at.run()
    at = at.button[[b.label for b in at.button].index("Check and import")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and at.error[0].value.startswith("**Nothing was imported.**")
    problems = at.dataframe[0].value
    assert len(problems) == 1 and name in problems.iloc[0, -1]
    assert _runs(url) == [(False, name)]


def test_the_page_refuses_a_bomb_naming_the_limit(url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = zip_with_huge_csv(tmp_path / "followups.zip", size=20_000_000)
    at = _import_page(url, monkeypatch)
    help_text = at.file_uploader[0].help or ""
    for number in ("20 MB", "50 MB", "100", "50,000", "32,767"):
        assert number in help_text, help_text
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/zip"))
    at = at.run()
    at = at.button[[b.label for b in at.button].index("Check and import")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "IMPORT_MAX_RATIO" in at.dataframe[0].value.iloc[0, -1]
    assert _runs(url) == [(False, path.name)]


def test_csv_lines_split_as_a_stringio_would() -> None:
    """The CSV reader's line splitter (no StringIO copy) cuts where ``newline=""`` does."""
    import random

    from importing.reader import _lines

    rng = random.Random(1)
    for _ in range(5000):
        text = "".join(rng.choice('ab\r\n,"é') for _ in range(rng.randrange(0, 30)))
        assert list(_lines(text)) == list(io.StringIO(text, newline="")), repr(text)
