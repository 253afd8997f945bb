"""When things break (issue 9), without a browser (tests/browser/test_faults_browser.py has
the browser side).

- An import while users read: every read of a set of indicators in one scoped session
  sees the figures before an import or after it, never a mixture (SQLite WAL, PostgreSQL).
- A missing or malformed settings file, database URL or users file: the app refuses to
  start with a one-line reason and the fix; ``manage.py indicators`` exits 2 with one line.
- Hostile input in the sign-in form, the caseload search, the donor report narrative and
  the import file's text cells: no error, no injection, kept and shown as the text typed.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from data_access import db
from data_access.models import Beneficiary
from data_access.scope import Scope
from metrics.filters import Filters
from tests.test_import import CLEAN, do_import, workbook_bytes

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
CODES = ["BEN-1", "BEN-2", "ASS-1", "ASS-2", "TRN-1", "TRN-2", "COOP-2", "FUP-1"]

HOSTILE = [
    "' OR '1'='1",
    "x'; DROP TABLE beneficiary; --",
    "Robert'); DELETE FROM audit_event;--",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "**bold** [link](javascript:alert(1)) $x$ :material/warning:",
    "\u202eevil\u202c \u200b zero width \ufeff bom",
    "Ünïcödé ñ 漢字 🙂 مرحبا",
    "%s %d {0} {} \\x00 \\n",
    "a" * 5000,
]
HOSTILE_IDS = ["or-true", "drop", "delete", "script", "img", "markdown", "bidi", "unicode",
               "format", "long"]
KEY = "Zq3v8N0pQe_r1L7xYc2uKfWm5sHbTj9aGd4oVn6iEyXw"  # a random cookie key, test only


# --- an import while users read ----------------------------------------------------------

# Any: import cells and indicator figures, of mixed types.
def _batch(k: int, size: int) -> dict[str, list[dict[str, Any]]]:
    """``size`` new cases (numbers N{k}-…), each assisted, half of them trained."""
    cases = [f"N{k}-{i:04d}" for i in range(size)]
    return {
        "beneficiaries": [dict(case_number=c, country=("MA", "SN", "TN")[i % 3], sex="FM"[i % 2],
                               birth_year=1980 + i % 20, return_date="2016-01-01",
                               registration_date="2016-01-10") for i, c in enumerate(cases)],
        "assistance": [dict(case_number=c, modality="individual", kind="business_grant",
                            sector="trade", amount_eur=500 + i, approved_date="2016-02-01",
                            delivered_date="2016-03-01") for i, c in enumerate(cases)],
        "training": [dict(case_number=c, kind="business_management",
                          session_date="2016-04-01", provider="P", completed="yes")
                     for c in cases[::2]],
    }


def _figures(url: str) -> dict[str, Any]:
    from cli.indicators import collect

    with db.session(url, Scope.everything()) as session:
        result = collect(session, Filters(), None, CODES)
    assert isinstance(result, dict)
    return result


def test_an_import_never_shows_a_mixture(empty_db_url: str) -> None:
    url = empty_db_url
    assert do_import(url, workbook_bytes(CLEAN)).ok
    files = [workbook_bytes(_batch(k, 150)) for k in range(3)]
    states = [_figures(url)]
    seen: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for payload in files:
                report = do_import(url, payload, "batch.xlsx")
                assert report.ok, report.problems[:3]
                states.append(_figures(url))  # only this thread writes: the new state
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    def read() -> None:
        deadline = time.monotonic() + 120
        try:
            while not done.is_set() and time.monotonic() < deadline and len(seen) < 5000:
                seen.append(_figures(url))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    writer, reader = threading.Thread(target=write), threading.Thread(target=read)
    reader.start()
    writer.start()
    writer.join(180)
    reader.join(180)
    assert not errors, errors
    assert len(states) == 4 and len({repr(s) for s in states}) == 4
    assert seen, "the reader never finished a read"
    mixtures = [s for s in seen if s not in states]
    assert not mixtures, (f"{len(mixtures)} of {len(seen)} reads were a mixture, e.g. "
                          f"{mixtures[0]} (states: {states})")


# --- missing or malformed configuration --------------------------------------------------

def _app(monkeypatch: pytest.MonkeyPatch, **env: str):
    from streamlit.testing.v1 import AppTest

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(APP, default_timeout=60).run()


def _refused(at) -> str:
    assert not at.exception, [e.message for e in at.exception]
    messages = [e.value for e in at.error]
    assert len(messages) == 1, messages
    message = messages[0]
    assert message.startswith("**The dashboard cannot start.**"), message
    assert "\n" not in message and "Traceback" not in message
    assert not at.text_input, "no sign-in form"
    return message


@pytest.fixture
def demo_env(tmp_path: Path, make_database) -> dict[str, str]:
    return {"DATABASE_URL": make_database("sqlite", "faults_config"), "DEMO_MODE": "true",
            "USERS_FILE": str(tmp_path / "users.yaml")}


def test_a_settings_file_that_is_not_toml(monkeypatch, tmp_path, demo_env) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("DATABASE_URL = sqlite:///x.db\n[[[")
    message = _refused(_app(monkeypatch, RRD_SETTINGS_FILE=str(bad), **demo_env))
    assert "is not valid TOML" in message and "fix the line" in message


def test_a_settings_file_that_does_not_exist(monkeypatch, tmp_path, demo_env) -> None:
    message = _refused(_app(monkeypatch, RRD_SETTINGS_FILE=str(tmp_path / "nope.toml"),
                            **demo_env))
    assert "does not exist" in message and "RRD_SETTINGS_FILE" in message


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url at all"])
def test_a_malformed_database_url(monkeypatch, demo_env, url: str) -> None:
    message = _refused(_app(monkeypatch, **{**demo_env, "DATABASE_URL": url}))
    assert "DATABASE_URL" in message


@pytest.mark.parametrize("demo_mode", ["true", "false"])
def test_a_users_file_that_is_not_yaml(tmp_path, demo_mode: str) -> None:
    """The users file is read by the migration that moves its users into the database
    (0013): `db upgrade` stops with one line, exit 2, and changes nothing."""
    from data_access import db
    from data_access.settings import SETTINGS

    users = tmp_path / "users.yaml"
    users.write_text("credentials: {usernames: [unclosed\n")
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    clean = {k: v for k, v in __import__("os").environ.items()
             if k not in {s.name for s in SETTINGS} | {"RRD_SETTINGS_FILE"}}
    proc = subprocess.run([sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT,
                          env={**clean, "DATABASE_URL": url, "USERS_FILE": str(users),
                               "DEMO_MODE": demo_mode, "COOKIE_KEY": KEY},
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not valid YAML" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    # On SQLite each migration is a transaction of its own: 0013 rolled back whole.
    assert db.current_revision(url) == "0012"
    from sqlalchemy import inspect
    assert not inspect(db.get_engine(url)).has_table("app_user")
    db.dispose_engine(url)


def test_no_user_outside_demo_mode(monkeypatch, tmp_path, demo_env) -> None:
    message = _refused(_app(monkeypatch, **{**demo_env, "DEMO_MODE": "false",
                                            "COOKIE_KEY": KEY}))
    assert "holds no user" in message and "manage.py users add" in message
    assert "manage.py users import" in message


def _indicators(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from data_access.settings import SETTINGS

    clean = {k: v for k, v in __import__("os").environ.items()
             if k not in {s.name for s in SETTINGS} | {"RRD_SETTINGS_FILE"}}
    return subprocess.run([sys.executable, "manage.py", "indicators"], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("case", ["not_toml", "missing_file", "bad_url", "bad_value"])
def test_manage_py_indicators_exits_2_with_one_line(case: str, tmp_path: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("[[[ not toml")
    env = {"not_toml": {"RRD_SETTINGS_FILE": str(bad)},
           "missing_file": {"RRD_SETTINGS_FILE": str(tmp_path / "none.toml")},
           "bad_url": {"DATABASE_URL": "mysql://u@h/db"},
           "bad_value": {"SUPPRESSION_THRESHOLD": "abc"}}[case]
    proc = _indicators(env)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


# --- hostile input ---------------------------------------------------------------------

@pytest.fixture
def demo_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_database):
    """An AppTest factory in demo mode on a small programme (the CLEAN workbook)."""
    url = make_database("sqlite", "faults_hostile")
    assert do_import(url, workbook_bytes(CLEAN)).ok
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))

    def start(username: str | None = None, page: str | None = None,
              **state: object):
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(APP, default_timeout=60)
        if username:
            at.session_state["authentication_status"] = True
            at.session_state["username"] = at.session_state["name"] = username
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        return at.switch_page(page).run() if page else at

    # The fixture's tests read the database through it too; a function takes attributes
    # at run time, which mypy does not model.
    start.url = url  # type: ignore[attr-defined]
    return start


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_sign_in(demo_app, value: str) -> None:
    at = demo_app()
    at.text_input(key="auth_username").input(value)
    at.text_input(key="auth_password").input(value)
    at.button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["authentication_status"] is not True
    assert [e.value for e in at.error] == ["Username or password is incorrect."]
    with db.session(demo_app.url, Scope.everything()) as session:  # nothing was run
        assert session.execute(select(func.count(Beneficiary.id))).scalar() == 3


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_caseload_search(demo_app, value: str) -> None:
    at = demo_app("demo-manager", "pages/caseload.py", cl_search=value)
    assert not at.exception, [e.message for e in at.exception]
    assert at.text_input(key="cl_search").value == value
    # Nothing matches: a SQL fragment is searched for as text, it does not widen the query.
    assert any("No case matches" in i.value for i in at.info), [i.value for i in at.info]


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_donor_report_narrative(demo_app, value: str) -> None:
    at = demo_app("demo-manager", "pages/donor_report.py")
    assert not at.exception, [e.message for e in at.exception]
    at.text_area[0].input(value).run()
    save = next(b for b in at.button if b.label == "Save text")
    save.click().run()
    assert not at.exception, [e.message for e in at.exception]
    # Saved and shown back as the text typed, in a fresh session.
    again = demo_app("demo-manager", "pages/donor_report.py")
    assert not again.exception
    assert again.text_area[0].value == value


def test_hostile_text_cells_in_an_import(empty_db_url: str) -> None:
    data = {sheet: [dict(row) for row in rows] for sheet, rows in CLEAN.items()}
    for i, row in enumerate(data["beneficiaries"]):
        row["first_name"] = HOSTILE[i]
    data["beneficiaries"].append(dict(case_number="H1", country="MA", sex="F",
                                      birth_year=1990, return_date="2015-02-01",
                                      registration_date="2015-02-10",
                                      first_name=HOSTILE[3], last_name=HOSTILE[6][:100]))
    data["training"][0]["provider"] = HOSTILE[1]
    data["capacity_building"][0]["institution"] = HOSTILE[4]
    report = do_import(empty_db_url, workbook_bytes(data))
    assert report.ok, report.problems[:5]
    with db.session(empty_db_url, Scope.everything()) as session:
        names = dict(session.execute(select(Beneficiary.case_number,
                                            Beneficiary.first_name)).all())
        assert names["A1"] == HOSTILE[0] and names["A2"] == HOSTILE[1]
        assert names["H1"] == HOSTILE[3]
        assert session.execute(select(func.count(Beneficiary.id))).scalar() == 4
    # A cell that starts like a formula or a very long one is reported, not run.
    data["beneficiaries"][0]["first_name"] = "=HYPERLINK(\"http://x\",\"y\")"
    data["beneficiaries"][1]["first_name"] = "b" * 5000
    report = do_import(empty_db_url, workbook_bytes(data))
    assert report.problems or report.ok
