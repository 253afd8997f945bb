"""Partners and referrals through the import template (issue 21): the partners and
referrals sheets and the partner columns of assistance, training, follow-ups and
cooperatives are read, checked, written, exported and read back; a file without the new
sheets still imports; every wrong row is refused with its sheet, row and column."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from data_access import db
from data_access.models import (
    Assistance,
    Cooperative,
    FollowUp,
    Partner,
    Referral,
    TrainingSession,
)
from data_access.scope import Scope
from importing.export import export
from importing.schema import SHEET_NAMES
from tests.test_import import CLEAN, do_import, snapshot, workbook_bytes

PARTNERED: dict[str, list[dict[str, Any]]] = copy.deepcopy(CLEAN)
PARTNERED["partners"] = [
    dict(name="Association Amal", country="MA", institution_type="civil_society",
         services="psychosocial; employment"),
    dict(name="ANAPEC", country="Maroc", institution_type="institution_nationale",
         services="emploi;formation_professionnelle"),
    dict(name="Mairie de Dakar", country="SN", institution_type="local_authority"),
]
PARTNERED["assistance"][0]["partner"] = "Association Amal"
PARTNERED["cooperatives"][0]["partner"] = "  association AMAL "  # links, case-insensitive
PARTNERED["training"][0]["partner"] = "ANAPEC"
PARTNERED["training"][1]["partner"] = "ANAPEC"  # the same session
PARTNERED["followups"][0]["partner"] = "Association Amal"
PARTNERED["referrals"] = [
    dict(case_number="A1", partner="ANAPEC", service="employment",
         referral_date="2015-05-01", accepted_date="2015-05-03", service_date="2015-05-20"),
    dict(case_number="A2", partner="Association Amal", service="psychosocial",
         referral_date="2015-06-01", status="accepte", accepted_date="2015-06-02"),
    dict(case_number="A3", partner="Mairie de Dakar", service="housing",
         referral_date="2015-06-10", status="declined"),
]


def _db_view(url: str) -> dict[str, Any]:
    """The partner facts by name (ids differ between databases)."""
    with db.session(url, Scope.everything()) as s:
        names: dict[int | None, str] = dict(s.execute(select(Partner.id, Partner.name)).all())
        return {
            "partners": sorted(s.execute(select(Partner.name, Partner.country,
                                                Partner.institution_type,
                                                Partner.services)).all()),
            "referrals": sorted((names[p], str(sv), str(d), str(st), str(a), str(sd))
                                for p, sv, d, st, a, sd in s.execute(select(
                                    Referral.partner_id, Referral.service,
                                    Referral.referral_date, Referral.status,
                                    Referral.accepted_date, Referral.service_date))),
            "assistance": sorted(names.get(p, "-") for (p,) in s.execute(
                select(Assistance.partner_id))),
            "sessions": sorted(names.get(p, "-") for (p,) in s.execute(
                select(TrainingSession.partner_id))),
            "followups": sorted(names.get(p, "-") for (p,) in s.execute(
                select(FollowUp.partner_id))),
            "cooperatives": sorted((c, t, names.get(p, "-")) for c, t, p in s.execute(
                select(Cooperative.name, Cooperative.partner, Cooperative.partner_id))),
        }


EXPECTED = {
    "partners": [("ANAPEC", "MA", "national_institution", "employment;vocational_training"),
                 ("Association Amal", "MA", "civil_society", "employment;psychosocial"),
                 ("Mairie de Dakar", "SN", "local_authority", None)],
    "referrals": [
        ("ANAPEC", "employment", "2015-05-01", "service_received", "2015-05-03", "2015-05-20"),
        ("Association Amal", "psychosocial", "2015-06-01", "accepted", "2015-06-02", "None"),
        ("Mairie de Dakar", "housing", "2015-06-10", "declined", "None", "None")],
    "assistance": ["-", "-", "Association Amal"],
    "sessions": ["-", "ANAPEC"],
    "followups": ["Association Amal"],
    "cooperatives": [("Coop Atlas", "association AMAL", "Association Amal")],
}


def test_partners_and_referrals_import_export_and_round_trip(
        backend: str, make_database: Callable[[str, str], str]) -> None:
    url = make_database(backend, "partners_in")
    report = do_import(url, workbook_bytes(PARTNERED))
    assert report.ok, report.problems
    assert report.counts["partners"]["inserted"] == 3
    assert report.counts["referrals"]["inserted"] == 3
    assert _db_view(url) == EXPECTED
    before = snapshot(url)
    again = do_import(url, workbook_bytes(PARTNERED))
    assert again.ok and all(c["inserted"] == c["updated"] == 0 for c in again.counts.values())
    assert snapshot(url) == before
    # the export holds the new sheets, and importing it elsewhere gives the same records
    buffer = io.BytesIO()
    export(url, Scope.everything(), buffer)
    assert set(SHEET_NAMES) <= set(load_workbook(io.BytesIO(buffer.getvalue())).sheetnames)
    copy_url = make_database(backend, "partners_copy")
    copied = do_import(copy_url, buffer.getvalue(), "export.xlsx")
    assert copied.ok, copied.problems
    assert _db_view(copy_url) == EXPECTED


def test_french_headers_and_a_file_without_the_new_sheets(
        make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "partners_fr")
    report = do_import(url, workbook_bytes(PARTNERED, french=True))
    assert report.ok, report.problems
    assert _db_view(url)["referrals"] == EXPECTED["referrals"]
    old = [n for n in SHEET_NAMES if n not in ("partners", "referrals")]
    other = make_database("sqlite", "partners_old")
    plain = {k: v for k, v in CLEAN.items()}
    assert do_import(other, workbook_bytes(plain, sheets=old)).ok


def _with(fn: Callable[[dict[str, Any]], object]) -> bytes:
    data = copy.deepcopy(PARTNERED)
    fn(data)
    return workbook_bytes(data)


def _set(sheet: str, index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d[sheet][index].update(values)


BAD = {
    "unknown partner": (_set("assistance", 0, partner="Nobody"), ("assistance", 2, "partner")),
    "partner of another country": (_set("referrals", 2, partner="ANAPEC"),
                                   ("referrals", 4, "partner")),
    "service before referral": (_set("referrals", 0, service_date="2015-04-01"),
                                ("referrals", 2, "service_date")),
    "received without a date": (_set("referrals", 1, status="service_received"),
                                ("referrals", 3, "service_date")),
    "declined with a service": (_set("referrals", 2, service_date="2015-07-01"),
                                ("referrals", 4, "status")),
    "unknown service": (_set("referrals", 0, service="banking"), ("referrals", 2, "service")),
    "unknown services word": (_set("partners", 0, services="health; banking"),
                              ("partners", 2, "services")),
    "unknown type": (_set("partners", 0, institution_type="club"),
                     ("partners", 2, "institution_type")),
    "two partners for one session": (_set("training", 1, partner="Association Amal"),
                                     ("training", 3, "partner")),
    "duplicate referral": (lambda d: d["referrals"].append(dict(d["referrals"][0])),
                           ("referrals", 5, "case_number")),
    "duplicate partner": (lambda d: d["partners"].append(dict(d["partners"][2])),
                          ("partners", 5, "name")),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_each_partner_problem_is_reported_and_nothing_written(
        kind: str, make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", f"bad_{kind}")
    before = snapshot(url)
    mutate, where = BAD[kind]
    report = do_import(url, _with(mutate))
    assert not report.ok
    assert where in {(p.sheet, p.row, p.column) for p in report.problems}, report.problems
    assert snapshot(url) == before


def test_a_focal_point_cannot_import_another_countrys_partner(
        make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "partners_scope")
    data = copy.deepcopy(PARTNERED)
    data["beneficiaries"] = [b for b in data["beneficiaries"] if b["case_number"] != "A3"]
    for sheet in ("assistance", "training", "referrals"):
        data[sheet] = [r for r in data[sheet] if r["case_number"] != "A3"]
    report = do_import(url, workbook_bytes(data), scope=Scope.for_countries(["MA"]))
    assert not report.ok
    assert ("partners", 4, "country") in {(p.sheet, p.row, p.column) for p in report.problems}
