"""Issue 20, parts 3 and 4: the IATI results file and the DHIS2 data value set.

- The IATI file validates against the IATI 2.03 activity schema shipped in
  ``reports/iati_schema`` (and the schema really checks: a broken file is refused); its
  targets, baselines and cumulative actuals are the fixture's hand-worked logframe.
- The DHIS2 set of the fixture database equals ``tests/data/dhis2_fixture_quarterly.json``,
  written by hand from the fixture's tables, after sorting; monthly and yearly periods
  are in DHIS2's format; unmapped figures are warned about, or refused with strict.
- Disclosure: in the donor scope a cell the rules hide (CAP-1 for Tunisia: 3
  institutions) is absent from both files, and no published count is below 5.
- The Targets page offers the IATI download to a manager, not to a donor or a focal point.
- ``manage.py export --format iati|dhis2`` writes both files end to end.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from lxml import etree

from data_access import db
from data_access.scope import Scope
from metrics.filters import Filters
from reports import dhis2, iati
from tests.fixture_db import build_fixture

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_DHIS2 = ROOT / "tests" / "data" / "dhis2_fixture_quarterly.json"
MAPPING = ROOT / "exports" / "dhis2_mapping.yaml"
ACTIVITY = ROOT / "exports" / "iati_activity.yaml"
DONOR = Scope(aggregates_only=True, suppression_threshold=5, rounding_base=5)
NS_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture(scope="module", params=["sqlite", pytest.param(
    "postgresql", marks=pytest.mark.postgres)])
def fixture_url(request: pytest.FixtureRequest,
                make_database: Callable[[str, str], str]) -> str:
    url = make_database(request.param, "fixture_results_exports")
    build_fixture(url)
    return url


def _iati(url: str, scope: Scope) -> tuple[iati.Built, etree._Element]:
    with db.session(url, scope) as session:
        built = iati.build(session, iati.load_activity(ACTIVITY), programme="P",
                           generated=dt.datetime(2026, 12, 2, tzinfo=dt.UTC))
    return built, etree.fromstring(built.content)


def _periods(root: etree._Element, code: str) -> dict[tuple[str, str, str], dict[str, str]]:
    """(start, end, country or "") -> {"target": value, "actual": value or comment}."""
    found: dict[tuple[str, str, str], dict[str, str]] = {}
    for indicator in root.iter("indicator"):
        if indicator.find("reference").get("code") != code:
            continue
        for period in indicator.iter("period"):
            start = period.find("period-start").get("iso-date")
            end = period.find("period-end").get("iso-date")
            for kind in ("target", "actual"):
                for element in period.findall(kind):
                    dim = element.find("dimension")
                    country = dim.get("value") if dim is not None else ""
                    value = element.get("value")
                    if value is None:
                        value = "hidden: " + element.find("comment/narrative").text
                    found.setdefault((start, end, country), {})[kind] = value
    return found


# --- IATI -------------------------------------------------------------------------------

def test_the_iati_file_is_the_hand_worked_logframe_and_validates(fixture_url: str) -> None:
    built, root = _iati(fixture_url, Scope.everything())
    assert iati.validate(built.content) == []
    assert root.get("version") == "2.03"
    assert root.findtext("iati-activity/iati-identifier") == "XI-IATI-EXAMPLE-MOTUSE-2015"
    # Fixture targets (tests/fixture_db.py) and their actuals cumulated from 2015-01-01:
    # BEN-2 by 2015-12-31: b1 b2 b3 b4 b5 b6 b9 b10 b11 b14 = 10; by 2016-12-31 also b8,
    # b13, b15, b16 = 14; Morocco by 2016-12-31: b1–b6 and b8 = 7.
    assert _periods(root, "BEN-2") == {
        ("2015-01-01", "2015-12-31", ""): {"target": "12", "actual": "10"},
        ("2016-01-01", "2016-12-31", ""): {"target": "20", "actual": "14"},
        ("2015-01-01", "2016-12-31", "MA"): {"target": "7", "actual": "7"}}
    # TRN-2 (percentages): of the 14 assisted by 2016-12-31, 8 completed a session (b1 b2
    # b4 b6 b9 b11 b14 b15): 57.1429 %; baseline 0.2 -> 20, target 0.6 -> 60.
    assert _periods(root, "TRN-2") == {
        ("2015-01-01", "2016-12-31", ""): {"target": "60", "actual": "57.1429"}}
    # COOP-1: C1 (2015-06-30) and C2 (2016-01-01); CAP-1 Tunisia: ANETI, Tunis Solidaire,
    # Ministère des MRE = 3; FUP-2 Senegal: b14 visited >= 6 months, latest not operating.
    assert _periods(root, "COOP-1")[("2015-01-01", "2016-12-31", "")]["actual"] == "2"
    assert _periods(root, "CAP-1")[("2015-01-01", "2016-12-31", "TN")] == {
        "target": "3", "actual": "3"}
    assert _periods(root, "FUP-2")[("2015-01-01", "2016-12-31", "SN")] == {
        "target": "50", "actual": "0"}
    indicators = {i.find("reference").get("code"): i for i in root.iter("indicator")}
    assert set(indicators) == {"BEN-2", "TRN-2", "CAP-1", "FUP-2", "COOP-1"}
    assert indicators["TRN-2"].get("measure") == "2"  # a percentage
    assert indicators["BEN-2"].get("measure") == "1"
    baselines = {(b.get("value"), b.find("dimension").get("value")
                  if b.find("dimension") is not None else "")
                 for b in indicators["CAP-1"].findall("baseline")}
    assert baselines == {("3", "TN")}
    # Narratives in English and French.
    title = indicators["BEN-2"].find("title")
    assert [(n.get(NS_LANG), n.text) for n in title] == [
        (None, "BEN-2 Returnees assisted"), ("fr", "BEN-2 Rapatriés assistés")]
    results = root.findall("iati-activity/result")
    assert [r.get("type") for r in results] == ["1", "1", "1", "2", "1"]


def test_the_schema_refuses_a_broken_activity() -> None:
    # The validation is real: the same file with its identifier removed, or a target
    # period without an end, is refused by the schema.
    good = (ROOT / "docs" / "examples" / "iati_results_demo.xml").read_bytes()
    assert iati.validate(good) == []
    for path in ("iati-activity/iati-identifier", ".//period/period-end"):
        root = etree.fromstring(good)
        broken = root.find(path)
        broken.getparent().remove(broken)
        assert iati.validate(etree.tostring(root)), path


def test_a_hidden_cell_is_hidden_in_both_files(fixture_url: str) -> None:
    # CAP-1 for Tunisia is 3 institutions: below 5, so hidden for donors, in the IATI
    # file (an actual without a value) and in the DHIS2 set (no value at all).
    built, root = _iati(fixture_url, DONOR)
    assert iati.validate(built.content) == []
    cap = _periods(root, "CAP-1")[("2015-01-01", "2016-12-31", "TN")]
    assert cap["target"] == "3"
    assert cap["actual"].startswith("hidden: Not published: <5")
    assert "3" not in [a.get("value") for a in root.iter("actual")
                       if a.find("dimension") is not None
                       and a.find("dimension").get("value") == "TN"]
    # FUP-2 for Senegal: one returnee visited, a rate on a basis below 5
    assert _periods(root, "FUP-2")[("2015-01-01", "2016-12-31", "SN")]["actual"] == (
        "hidden: Not published: fewer than 5 behind this figure (small counts are not "
        "disclosed)")
    assert built.hidden == 3  # COOP-1 (2), CAP-1 Tunisia (3), FUP-2 Senegal (basis 1)
    # Every count actual a donor gets is at least 5 and a multiple of 5.
    counts = [a.get("value") for code in ("BEN-2", "COOP-1", "CAP-1")
              for a in next(i for i in root.iter("indicator")
                            if i.find("reference").get("code") == code).iter("actual")
              if a.get("value") is not None]
    assert counts and all(int(v) >= 5 and int(v) % 5 == 0 for v in counts), counts

    mapping = dhis2.load_mapping(MAPPING)
    mapping = dhis2.Mapping({**mapping.elements, "CAP-1": dhis2.Element("dInstitut01")},
                            mapping.countries, mapping.regions)
    for scope in (Scope.everything(), DONOR):
        with db.session(fixture_url, scope) as session:
            got = dhis2.build(session, mapping, Filters(granularity="year"),
                              ["CAP-1", "BEN-2", "CAP-2"])
        tunisia_cap1 = [v for v in got.payload["dataValues"]
                        if v["dataElement"] == "dInstitut01" and v["orgUnit"] == "oTunisia001"]
        if scope is DONOR:
            assert tunisia_cap1 == []
            assert got.hidden > 0
            assert all(float(v["value"]) >= 5 for v in got.payload["dataValues"])
        else:  # exact: ANETI and MRE in 2015, Tunis Solidaire in 2016
            assert sorted((v["period"], v["value"]) for v in tunisia_cap1) == [
                ("2015", "2"), ("2016", "1")]


# --- DHIS2 ------------------------------------------------------------------------------

def _sorted(values: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(values, key=lambda v: json.dumps(v, sort_keys=True))


def test_the_dhis2_set_equals_the_hand_written_file(fixture_url: str) -> None:
    expected = json.loads(EXPECTED_DHIS2.read_text(encoding="utf-8"))
    with db.session(fixture_url, Scope.everything()) as session:
        got = dhis2.build(session, dhis2.load_mapping(MAPPING), Filters(granularity="quarter"))
    assert got.payload["dataSet"] == expected["dataSet"]
    assert _sorted(got.payload["dataValues"]) == _sorted(expected["dataValues"])
    # b8 (Morocco, no region) has a first delivery and a grant: no org unit for it.
    assert got.warnings == (
        "ASS-2: MA figures of records with no region have no org unit; value skipped",
        "BEN-2: MA figures of records with no region have no org unit; value skipped")
    assert got.hidden == 0


def test_dhis2_periods_are_in_dhis2_format(fixture_url: str) -> None:
    mapping = dhis2.load_mapping(MAPPING)
    with db.session(fixture_url, Scope.everything()) as session:
        monthly = dhis2.build(session, mapping, Filters(granularity="month"), ["BEN-2"])
        yearly = dhis2.build(session, mapping, Filters(granularity="year"), ["BEN-2"])
    senegal = sorted((v["period"], v["categoryOptionCombo"], v["value"])
                     for v in monthly.payload["dataValues"] if v["orgUnit"] == "oSenegal001")
    # b14 M 2015-03-01, b15 M 2016-01-01, b16 F 2016-01-15
    assert senegal == [("201503", "cSexMale001", "1"), ("201601", "cSexFemale1", "1"),
                       ("201601", "cSexMale001", "1")]
    tunisia = sorted((v["period"], v["categoryOptionCombo"], v["value"])
                     for v in yearly.payload["dataValues"] if v["orgUnit"] == "oTunisia001")
    # b9 M and b11 M, b10 F in 2015; b13 F in 2016
    assert tunisia == [("2015", "cSexFemale1", "1"), ("2015", "cSexMale001", "2"),
                       ("2016", "cSexFemale1", "1")]


def test_unmapped_figures_are_warned_about_or_refused(fixture_url: str,
                                                      tmp_path: Path) -> None:
    data = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    trimmed = copy.deepcopy(data)
    del trimmed["org_units"]["countries"]["SN"]
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(trimmed), encoding="utf-8")
    mapping = dhis2.load_mapping(path)
    with db.session(fixture_url, Scope.everything()) as session:
        got = dhis2.build(session, mapping, Filters(), ["CAP-2", "TRN-1"])
        assert "CAP-2: country SN has no org unit in the mapping; value skipped" \
            in got.warnings
        assert "TRN-1: no data element in the mapping; skipped" in got.warnings
        assert "oSenegal001" not in {v["orgUnit"] for v in got.payload["dataValues"]}
        with pytest.raises(dhis2.Dhis2Error, match="country SN has no org unit"):
            dhis2.build(session, mapping, Filters(), ["CAP-2"], strict=True)
    bad = copy.deepcopy(data)
    bad["data_elements"]["XYZ-9"] = "dUnknown001"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(dhis2.Dhis2Error, match="unknown indicator XYZ-9"):
        dhis2.load_mapping(path)


# --- the command line, end to end ---------------------------------------------------------

def test_manage_py_writes_both_files(fixture_url: str, tmp_path: Path) -> None:
    if not fixture_url.startswith("sqlite"):
        pytest.skip("the command line is the same on both databases")
    env = {**os.environ, "DATABASE_URL": fixture_url, "PYTHONPATH": str(ROOT)}

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "manage.py"), "export", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    done = manage(str(tmp_path / "results.xml"), "--format", "iati")
    assert done.returncode == 0, done.stderr
    content = (tmp_path / "results.xml").read_bytes()
    assert iati.validate(content) == []
    assert b"Not published: &lt;5" in content  # the command line publishes donor figures
    done = manage(str(tmp_path / "values.json"), "--format", "dhis2", "--scope", "all",
                  "--period", "quarterly")
    assert done.returncode == 0, done.stderr
    assert "warning: BEN-2: MA figures of records with no region" in done.stderr
    got = json.loads((tmp_path / "values.json").read_text(encoding="utf-8"))
    expected = json.loads(EXPECTED_DHIS2.read_text(encoding="utf-8"))
    assert _sorted(got["dataValues"]) == _sorted(expected["dataValues"])
    done = manage(str(tmp_path / "strict.json"), "--format", "dhis2", "--scope", "all",
                  "--strict")
    assert done.returncode == 1 and "--strict" in done.stderr
    done = manage(str(tmp_path / "x.json"), "--format", "iati")
    assert done.returncode == 2  # an IATI file is .xml


# --- the Targets page ---------------------------------------------------------------------

@pytest.mark.parametrize(("user", "sees"), [
    ("demo-manager", True), ("demo-admin", True), ("demo-donor", False),
    ("demo-focal-sn", False)])
def test_the_iati_download_is_for_managers(fixture_url: str, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path, user: str, sees: bool) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", fixture_url)
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = user
    at.run()
    at.switch_page("pages/targets.py").run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert ("IATI results file (XML)" in labels) is sees, labels
    if sees:  # what the button hands over is the donor-scope file, valid
        from ui.exports import iati_file

        content = iati_file(fixture_url)
        assert iati.validate(content) == []
        assert b"Not published: &lt;5" in content


def test_without_an_activity_file_the_page_says_so(fixture_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", fixture_url)
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))
    monkeypatch.setenv("IATI_ACTIVITY_FILE", str(tmp_path / "missing.yaml"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = "demo-manager"
    at.run()
    at.switch_page("pages/targets.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "IATI results file (XML)" not in [b.proto.label for b in at.get("download_button")]
    # the file name is data: escaped for Markdown (ui.text.say)
    assert "No IATI activity file (missing\\.yaml): the IATI export is not set up." in [
        c.value for c in at.caption]


def test_a_broken_activity_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    data = yaml.safe_load(ACTIVITY.read_text(encoding="utf-8"))
    del data["reporting_org"]["ref"]
    path = tmp_path / "activity.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(iati.IatiError, match="reporting_org needs ref and type"):
        iati.load_activity(path)
    path.write_text("results: [", encoding="utf-8")
    with pytest.raises(iati.IatiError, match="cannot read the IATI activity file"):
        iati.load_activity(path)
