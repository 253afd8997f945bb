"""Make the survey import's example files from the shipped form (deterministic: the same
files every run). Run from the repository root:

    .venv/bin/python surveys/examples/make_examples.py

- ``surveys/followup_form.xlsx``: the XLSForm (survey, choices, settings sheets), written
  from ``FORM`` below, ready to upload to KoboToolbox or ODK Central.
- ``cases.xlsx``: an import-template workbook with the 150 cases the submissions name
  (beneficiaries and their delivered assistance), to import first.
- ``followup_kobo.xlsx``: a KoboToolbox XLSX export ("XML values and headers", groups
  joined by ``/``) of 200 submissions of the form; 20 of them were edited before the
  export (``_uuid`` is the edit's id, ``meta/rootUuid`` the submission's, and
  ``meta/deprecatedID`` the id it replaced).
- ``followup_kobo_edited.xlsx``: the same export a month later, after 10 more edits
  (answers changed; two visit dates and one case number corrected).
- ``followup_kobo_invalid.xlsx``: the first export with four bad submissions (an unknown
  case number, an impossible date, a Likert answer of 7 on the 1-5 scale, a score
  question left out of range).
- ``followup_odk.csv``: the same 200 submissions as ODK Central's CSV export (groups
  joined by ``-``, ``KEY`` and ``meta-instanceID``, ``SubmissionDate``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

HERE = Path(__file__).resolve().parent
FORM_PATH = HERE.parent / "followup_form.xlsx"
LIKERT = "agree5"
# (type, name, English label, French label, required); begin/end group rows included.
FORM: list[tuple[str, str, str, str, str]] = [
    ("start", "start", "", "", ""),
    ("end", "end", "", "", ""),
    ("begin_group", "case", "Case", "Dossier", ""),
    ("text", "case_number", "Case number", "Numéro de dossier", "yes"),
    ("select_one country", "country", "Country", "Pays", "yes"),
    ("end_group", "", "", "", ""),
    ("begin_group", "visit", "Visit", "Visite", ""),
    ("date", "visit_date", "Visit date", "Date de la visite", "yes"),
    ("end_group", "", "", "", ""),
    ("begin_group", "econ", "Economic", "Économique", ""),
    ("select_one yes_no", "business_operating", "Is the business operating?",
     "L'activité est-elle en cours ?", "yes"),
    ("integer", "jobs_created", "Jobs the business gives (the returnee included)",
     "Emplois créés (le bénéficiaire compris)", ""),
    (f"select_one {LIKERT}", "income_sufficient", "My income covers my household's needs",
     "Mes revenus couvrent les besoins du ménage", ""),
    (f"select_one {LIKERT}", "debt_manageable", "I can repay my debts",
     "Je peux rembourser mes dettes", ""),
    (f"select_one {LIKERT}", "food_security", "My household eats enough",
     "Mon ménage mange à sa faim", ""),
    ("end_group", "", "", "", ""),
    ("begin_group", "social", "Social", "Social", ""),
    ("select_multiple support", "support_network", "Who can you turn to for support?",
     "Vers qui pouvez-vous vous tourner ?", ""),
    (f"select_one {LIKERT}", "participation", "I take part in community life",
     "Je participe à la vie de la communauté", ""),
    (f"select_one {LIKERT}", "discrimination", "I am treated differently since my return",
     "Je suis traité différemment depuis mon retour", ""),
    ("end_group", "", "", "", ""),
    ("begin_group", "psy", "Psychosocial", "Psychosocial", ""),
    (f"select_one {LIKERT}", "wellbeing", "I feel well", "Je me sens bien", ""),
    (f"select_one {LIKERT}", "stress", "I often feel stressed or anxious",
     "Je me sens souvent stressé ou anxieux", ""),
    (f"select_one {LIKERT}", "plans_to_stay", "I see my future in this country",
     "Je vois mon avenir dans ce pays", ""),
    ("end_group", "", "", "", ""),
]
CHOICES = [
    ("country", "MA", "Morocco", "Maroc"), ("country", "TN", "Tunisia", "Tunisie"),
    ("country", "SN", "Senegal", "Sénégal"),
    ("yes_no", "yes", "Yes", "Oui"), ("yes_no", "no", "No", "Non"),
    *[(LIKERT, str(n), en, fr) for n, en, fr in (
        (1, "Strongly disagree", "Pas du tout d'accord"), (2, "Disagree", "Pas d'accord"),
        (3, "Neither", "Ni l'un ni l'autre"), (4, "Agree", "D'accord"),
        (5, "Strongly agree", "Tout à fait d'accord"))],
    ("support", "family", "Family", "Famille"), ("support", "friends", "Friends", "Amis"),
    ("support", "community", "Community", "Communauté"),
    ("support", "association", "An association", "Une association"),
]
FORM_ID = "reintegration_followup"


def save(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps (openpyxl stamps the time of saving), so that the same
    run makes the same bytes."""
    buffer = io.BytesIO()
    wb.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2026-12-02T00:00:00Z", data)
            stamped = zipfile.ZipInfo(info.filename, date_time=(2026, 12, 2, 0, 0, 0))
            stamped.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stamped, data)
    path.write_bytes(out.getvalue())


def write_form() -> None:
    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::French (fr)", "required"])
    for row in FORM:
        survey.append(list(row))
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::French (fr)"])
    for choice in CHOICES:
        choices.append(list(choice))
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(["Reintegration follow-up and sustainability survey", FORM_ID,
                     "2026120201", "English (en)"])
    save(wb, FORM_PATH)


def questions() -> list[tuple[str, str]]:
    """(path, type) of every question of the form, read back from the XLSForm."""
    ws = load_workbook(FORM_PATH, read_only=True)["survey"]
    groups: list[str] = []
    found = []
    for kind, name, *_rest in ws.iter_rows(min_row=2, values_only=True):
        if kind == "begin_group":
            groups.append(str(name))
        elif kind == "end_group":
            groups.pop()
        elif kind:
            found.append(("/".join([*groups, str(name)]), str(kind)))
    return found


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def cases(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for n in range(150):
        country = ("MA", "TN", "SN")[n % 3]
        returned = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(0, 300))
        delivered = returned + dt.timedelta(days=rng.randrange(20, 120))
        out.append({"case_number": f"{country}-S{n + 1:03d}", "country": country,
                    "sex": rng.choice("FM"), "return_date": returned,
                    "registration_date": returned + dt.timedelta(days=5),
                    "delivered_date": delivered,
                    "sector": rng.choice(["trade", "agriculture", "handicraft"])})
    return out


def write_cases(rows: list[dict[str, Any]]) -> None:
    from importing.schema import SHEETS

    wb = Workbook()
    wb.remove(wb.active)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.append([c.name for c in sheet.columns])
        for r in rows:
            if sheet.name == "beneficiaries":
                values = {**r, "status": "assisted"}
            elif sheet.name == "assistance":
                values = {"case_number": r["case_number"], "country": r["country"],
                          "modality": "individual", "kind": "business_grant",
                          "sector": r["sector"], "amount_eur": 1500,
                          "approved_date": r["delivered_date"] - dt.timedelta(days=10),
                          "delivered_date": r["delivered_date"]}
            else:
                continue
            ws.append([values.get(c.name) for c in sheet.columns])
    save(wb, HERE / "cases.xlsx")


def answers(rng: random.Random, case: dict[str, Any], date: dt.date) -> dict[str, Any]:
    likert = lambda: str(rng.randint(1, 5))  # noqa: E731
    a: dict[str, Any] = {
        "case/case_number": case["case_number"], "case/country": case["country"],
        "visit/visit_date": date.isoformat(),
        "econ/business_operating": rng.choice(["yes", "yes", "yes", "no"]),
        "econ/jobs_created": rng.choice([1, 1, 2, 3, 0, None]),
        "econ/income_sufficient": likert(), "econ/debt_manageable": likert(),
        "econ/food_security": likert(),
        "social/support_network": " ".join(c for c in ("family", "friends", "community",
                                                       "association") if rng.random() < 0.5),
        "social/participation": likert(), "social/discrimination": likert(),
        "psy/wellbeing": likert(), "psy/stress": likert(), "psy/plans_to_stay": likert()}
    if rng.random() < 0.1:  # the psychosocial part skipped: no score of that dimension
        a.update({"psy/wellbeing": None, "psy/stress": None, "psy/plans_to_stay": None})
    return a


def submissions(rng: random.Random, people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """200 submissions: every case once, 50 of them twice (a second, later visit)."""
    subs = []
    end = dt.date(2016, 12, 31)
    for index in range(200):
        case = people[index % 150]
        first = case["delivered_date"] + dt.timedelta(days=rng.randrange(90, 260))
        date = first if index < 150 else first + dt.timedelta(days=rng.randrange(120, 200))
        date = min(date, end - dt.timedelta(days=index % 7))
        root = _uuid(rng)
        submitted = dt.datetime.combine(date, dt.time(9)) + dt.timedelta(
            hours=rng.randrange(1, 72))
        subs.append({"root": root, "uuid": root, "deprecated": None, "_id": 1000 + index,
                     "submitted": submitted, "answers": answers(rng, case, date)})
    return subs


def edit(rng: random.Random, sub: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """An edit: a new instance id, the old one deprecated, the root kept."""
    new = {**sub, "answers": {**sub["answers"], **changes}, "deprecated": sub["uuid"],
           "uuid": _uuid(rng)}
    return new


def kobo_rows(subs: list[dict[str, Any]], paths: list[tuple[str, str]]
              ) -> tuple[list[str], list[list[Any]]]:
    header: list[str] = []
    for path, kind in paths:
        header.append(path)
        if kind.startswith("select_multiple"):  # Kobo adds a 0/1 column per choice
            header += [f"{path}/{c[1]}" for c in CHOICES if c[0] == kind.split()[1]]
    header += ["meta/rootUuid", "meta/deprecatedID", "_id", "_uuid", "_submission_time",
               "_validation_status", "_notes", "_status", "_submitted_by", "__version__",
               "_tags", "_index"]
    rows = []
    for index, s in enumerate(subs, start=1):
        a = s["answers"]
        stamp = s["submitted"]
        values: dict[str, Any] = {
            "start": stamp.isoformat() + ".000+01:00", "end": stamp.isoformat() + ".000+01:00",
            **a, "meta/rootUuid": "uuid:" + s["root"],
            "meta/deprecatedID": "uuid:" + s["deprecated"] if s["deprecated"] else None,
            "_id": s["_id"], "_uuid": s["uuid"], "_submission_time": stamp.isoformat(),
            "_status": "submitted_via_web", "__version__": "vDemo2026", "_index": index}
        chosen = set((a.get("social/support_network") or "").split())
        for c in CHOICES:
            if c[0] == "support":
                values[f"social/support_network/{c[1]}"] = 1 if c[1] in chosen else 0
        rows.append([values.get(h) for h in header])
    return header, rows


def write_kobo(name: str, subs: list[dict[str, Any]], paths: list[tuple[str, str]]) -> None:
    header, rows = kobo_rows(subs, paths)
    wb = Workbook()
    ws = wb.active
    ws.title = "Reintegration follow-up and su"  # Kobo: the form title, 31 characters
    ws.append(header)
    for row in rows:
        ws.append(row)
    save(wb, HERE / name)


def write_odk(subs: list[dict[str, Any]], paths: list[tuple[str, str]]) -> None:
    header = ["SubmissionDate", *[p.replace("/", "-") for p, _k in paths],
              "meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
              "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits",
              "FormVersion"]
    with open(HERE / "followup_odk.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for s in subs:
            a = {k.replace("/", "-"): v for k, v in s["answers"].items()}
            stamp = s["submitted"].isoformat() + ".000Z"
            values = {"SubmissionDate": stamp, "start": stamp, "end": stamp, **a,
                      "meta-instanceID": "uuid:" + s["uuid"], "KEY": "uuid:" + s["root"],
                      "SubmitterID": 5, "SubmitterName": "enumerator", "AttachmentsPresent": 0,
                      "AttachmentsExpected": 0, "ReviewState": "edited" if s["deprecated"]
                      else "", "Edits": 1 if s["deprecated"] else 0,
                      "FormVersion": "2026120201"}
            writer.writerow(["" if values.get(h) is None else values.get(h) for h in header])


def main() -> None:
    write_form()
    paths = questions()
    rng = random.Random(20)
    people = cases(rng)
    write_cases(people)
    subs = submissions(rng, people)
    for index in range(0, 200, 10):  # 20 edited before the first export
        subs[index] = edit(rng, subs[index], **{"econ/jobs_created": 4})
    write_kobo("followup_kobo.xlsx", subs, paths)
    write_odk(subs, paths)
    later = list(subs)
    for index in range(5, 55, 5):  # 10 more edits afterwards
        changes: dict[str, Any] = {"econ/business_operating": "no", "econ/income_sufficient": "1"}
        if index == 5:  # the visit date was typed wrong
            d = dt.date.fromisoformat(subs[index]["answers"]["visit/visit_date"])
            changes["visit/visit_date"] = (d - dt.timedelta(days=3)).isoformat()
        if index == 15:
            d = dt.date.fromisoformat(subs[index]["answers"]["visit/visit_date"])
            changes["visit/visit_date"] = (d - dt.timedelta(days=1)).isoformat()
        if index == 25:  # the wrong case had been chosen: another case of the same country
            other = people[(index + 3) % 150]
            changes["case/case_number"] = other["case_number"]
        later[index] = edit(rng, subs[index], **changes)
    write_kobo("followup_kobo_edited.xlsx", later, paths)
    bad = list(subs)
    bad[3] = {**subs[3], "answers": {**subs[3]["answers"], "case/case_number": "MA-S999"}}
    bad[4] = {**subs[4], "answers": {**subs[4]["answers"], "visit/visit_date": "2016-02-31"}}
    bad[6] = {**subs[6], "answers": {**subs[6]["answers"], "econ/income_sufficient": "7"}}
    bad[7] = {**subs[7], "answers": {**subs[7]["answers"], "econ/jobs_created": -2}}
    write_kobo("followup_kobo_invalid.xlsx", bad, paths)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE.parents[1]))
    main()
