"""The rest of the interface in French (issue 7): the sign-in page, Caseload,
Administration, Import, and the import's error messages (on screen and in the CLI).

Each page renders under AppTest with the session's language set to French, and no English
interface string of the catalogue appears in what it shows (``tests/test_i18n.py``'s
check); the import of a bad file under ``with language("fr")`` reports French sentences.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_access.scope import Scope
from i18n import _, language
from importing import ImportReport, Source, run_import
from importing.problems import indicator_codes, problems_frame
from tests.test_i18n import _english_patterns, _open, _signed_in, demo_url, shown_text

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2016, 12, 31)
__all__ = ["demo_url"]  # the shared demo database fixture


def _leaks(at: AppTest) -> list[tuple[str, str]]:
    """English catalogue strings on the page; the template's sheet names ("cooperatives",
    "training") stay as the template names them, in any language."""
    from importing.schema import SHEET_NAMES

    patterns = [(english, pattern) for english, pattern in _english_patterns()
                if english not in SHEET_NAMES]
    return [(english, text) for text in shown_text(at) for english, pattern in patterns
            if pattern.search(text)]


def _sign_in_page(url: str, monkeypatch: pytest.MonkeyPatch, lang: str) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["ui_language"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- the sign-in page ------------------------------------------------------------------

def test_sign_in_page_in_french(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _sign_in_page(demo_url, monkeypatch, "fr")
    assert at.title[0].value == "Tableau de bord de la réintégration"
    assert [t.label for t in at.text_input] == ["Nom d'utilisateur", "Mot de passe"]
    demo = at.table[0].value
    assert demo.index.name == "Nom d'utilisateur"
    assert {"Mot de passe", "Rôle", "Pays"} <= set(demo.columns)
    assert "Point focal pays" in set(demo["Rôle"]) and "Bailleur" in set(demo["Rôle"])
    assert not _leaks(at), _leaks(at)
    # A wrong password is answered in French.
    at.text_input(key="auth_username").input("demo-manager")
    at.text_input(key="auth_password").input("wrong-password")
    at = at.button[0].click().run()
    assert [e.value for e in at.error] == ["Nom d'utilisateur ou mot de passe incorrect."]


def test_sign_in_page_stays_english_by_default(demo_url: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    at = _sign_in_page(demo_url, monkeypatch, "en")
    assert at.title[0].value == "Reintegration dashboard"
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "Country focal point" in set(at.table[0].value["Role"])


def test_lockout_message_in_french() -> None:
    from ui.auth import _locked_message

    now = dt.datetime(2016, 1, 1, 12, 0)
    with language("fr"):
        one = _locked_message(now + dt.timedelta(seconds=30), now)
        many = _locked_message(now + dt.timedelta(minutes=15), now)
    assert "la connexion est bloquée encore 1 minute." in one
    assert "la connexion est bloquée encore 15 minutes." in many
    assert "locked for 15 more minutes" in _locked_message(now + dt.timedelta(minutes=15), now)


def test_signed_in_box_and_sign_out_in_french(demo_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at = _signed_in(demo_url, monkeypatch, "demo-focal-sn", "fr")
    box = " ".join(m.value for m in at.sidebar.markdown)
    assert "Point focal pays · SN" in box, box
    assert any(b.label == "Se déconnecter" for b in at.sidebar.button)


# --- Caseload, Administration, Import --------------------------------------------------

def test_caseload_in_french(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(demo_url, monkeypatch, "pages/caseload.py", "fr")
    assert at.title[0].value == "Portefeuille de dossiers"
    assert at.radio(key="cl_view").label == "Affichage"
    table = at.dataframe[0].value
    assert {"Numéro de dossier", "Statut", "Prochain suivi prévu"} <= set(table.columns)
    assert any(c.value.startswith("Dossiers 1 à") for c in at.caption)
    assert not _leaks(at), _leaks(at)
    # One case in detail, and the follow-ups view.
    number = table["Numéro de dossier"].iloc[0]  # the follow-up columns come first
    at = at.selectbox(key="cl_case").set_value(_case_id(demo_url, number)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value.startswith("**Numéro de dossier**") for m in at.markdown)
    assert not _leaks(at), _leaks(at)
    at = at.radio(key="cl_view").set_value("Follow-ups due and overdue").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not _leaks(at), _leaks(at)


def _case_id(url: str, case_number: str) -> int:
    from casework import caseload
    from data_access import db
    with db.session(url, Scope.everything()) as session:
        found = caseload.cases(session, today=dt.date.today(), search=case_number, limit=5)
    return int(found.rows.loc[found.rows["case_number"] == case_number, "id"].iloc[0])


def test_administration_in_french(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(demo_url, monkeypatch, "pages/administration.py", "fr")
    assert at.title[0].value == "Administration"
    assert [t.label for t in at.tabs] == ["Utilisateurs", "Importations", "Journal d'audit"]
    users = at.dataframe[0].value
    assert {"Nom d'utilisateur", "Rôle", "Pays"} <= set(users.columns)
    assert "Administrateur" in set(users["Rôle"])
    assert not _leaks(at), _leaks(at)


def test_import_page_in_french(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(demo_url, monkeypatch, "pages/import_data.py", "fr")
    assert at.title[0].value == "Importation"
    assert at.toggle[0].label.startswith("Vérifier seulement")
    assert not _leaks(at), _leaks(at)
    # A rejected file, as the page shows it after an import in French.
    with language("fr"):
        report = _bad_import(demo_url)
    at.session_state["import_report"] = report
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error[0].value.startswith("**Rien n'a été importé.**")
    problems = at.dataframe[0].value
    assert list(problems.columns) == ["feuille", "ligne", "colonne", "problème"]
    assert not _leaks(at), _leaks(at)


# --- the import's messages --------------------------------------------------------------

BAD_CSV = (b"numero_dossier,pays,sexe,date_retour,date_enregistrement,taille_menage\n"
           b"X1,Maroc,F,2030-05-01,2015-01-02,3\n"
           b"X2,Atlantide,F,2015-01-01,2015-01-02,trois\n"
           b"X3,SN,F,31/02/2015,2015-01-02,2\n")


def _bad_import(url: str, scope: Scope | None = None) -> ImportReport:
    return run_import(url, Source("beneficiaries.csv", data=BAD_CSV),
                      scope or Scope.everything(), username="tester", dry_run=True,
                      today=TODAY, indicator_codes=indicator_codes())


def test_import_errors_in_french(make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "i18n_import_fr")
    with language("fr"):
        report = _bad_import(url)
        summary = report.summary()
    assert not report.ok
    where = {(p.sheet, p.row, p.column): p.message for p in report.problems}
    assert where[("beneficiaries", 2, "date_retour")] == \
        "return_date : la date 2030-05-01 est dans le futur"
    assert where[("beneficiaries", 3, "pays")].startswith(
        "country : 'Atlantide' n'est pas un pays : écrivez son code ISO")
    assert where[("beneficiaries", 3, "taille_menage")] == \
        "household_size : 'trois' n'est pas un nombre entier"
    assert where[("beneficiaries", 4, "date_retour")] == \
        "return_date : '31/02/2015' n'est pas une date du calendrier"
    assert summary == "beneficiaries.csv : 4 problème(s) ; rien n'a été importé"
    with language("fr"):
        frame = problems_frame(report)
    assert list(frame.columns) == ["feuille", "ligne", "colonne", "problème"]
    # The same file in English (the default) keeps the English sentences.
    english = _bad_import(url)
    assert {p.message for p in english.problems} >= {
        "return_date: 2030-05-01 is in the future",
        "household_size: 'trois' is not a whole number"}


def test_file_problems_and_scope_in_french(make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "i18n_import_fr_file")
    with language("fr"):
        empty = run_import(url, Source("x.xlsx", data=b""), Scope.everything(),
                           username="tester", today=TODAY)
        wrong = run_import(url, Source("data.csv", data=b"a,b\n1,2\n"), Scope.everything(),
                           username="tester", today=TODAY)
        other = _bad_import(url, Scope.for_countries(["TN"]))
    assert empty.problems[0].message == "x.xlsx : le fichier est vide"
    assert wrong.problems[0].message.startswith(
        "data.csv : un fichier CSV doit porter le nom de sa feuille (")
    assert any(p.message.startswith("MA n'est pas l'un de vos pays (TN) : vous ne pouvez "
                                    "importer que des lignes de vos pays")
               for p in other.problems), other.problems


def test_cli_import_prints_french_with_lang(make_database: Callable[[str, str], str],
                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    url = make_database("sqlite", "i18n_import_cli")
    monkeypatch.setenv("DATABASE_URL", url)
    path = tmp_path / "beneficiaries.csv"
    path.write_bytes(BAD_CSV.replace(b"2030-05-01", b"2015-05-01"))
    errors = tmp_path / "problemes.csv"
    assert main(["import", str(path), "--dry-run", "--quiet", "--lang", "fr",
                 "--errors", str(errors)]) == 1
    err = capsys.readouterr().err
    assert "beneficiaries ligne 3 colonne pays : country : 'Atlantide' n'est pas un pays" \
        in err, err
    assert "rien n'a été importé" in err
    assert errors.read_text(encoding="utf-8-sig").splitlines()[0] == \
        "feuille,ligne,colonne,problème"
    # Without --lang: the DEFAULT_LANGUAGE setting (English unless set).
    assert main(["import", str(path), "--dry-run", "--quiet"]) == 1
    assert "beneficiaries row 3 column pays: country: 'Atlantide' is not a country" in \
        capsys.readouterr().err
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    assert main(["import", str(path), "--dry-run", "--quiet"]) == 1
    assert "n'est pas un pays" in capsys.readouterr().err


def test_database_unavailable_sentence_in_french() -> None:
    from data_access.db import describe_unavailable

    with language("fr"):
        text = describe_unavailable("sqlite:////nowhere/x.db", OSError("disk I/O error"))
        heading = _("The database cannot be reached.")
        cannot_start = _("The dashboard cannot start.")
    assert cannot_start == "Le tableau de bord ne peut pas démarrer."
    assert text.startswith("La base de données des dossiers est injoignable (sqlite:")
    assert text.endswith("Détail : disk I/O error")
    assert heading != "The database cannot be reached."
