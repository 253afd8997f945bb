"""What the interface remembers (issue 16): the language with the user, the filters in
the URL, and every widget's value said in the current language.

- Language: a user of the users file switches to French, signs out and in again (same
  session, and a new one): French. The stored language survives the first clicks after a
  sign-in from an English sign-in page. ``users.set_language`` changes one field of the
  file as it is now (another user's change made meanwhile is kept).
- The Period box (and the other boxes whose options are labels) is sent again in French
  when the language changes: Streamlit keeps the browser's label otherwise.
- Filters in the URL: ``?country=SN&period=2016-Q3`` opens that view and is written back;
  a reload (new session, same URL) keeps it; a change in the sidebar is written to the
  URL; the Senegal focal point's link with ``country=MA`` shows Senegal only and no word
  of Morocco.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from accounts import users
from metrics.filters import Filters
from tests.test_i18n import demo_url

ROOT = Path(__file__).resolve().parent.parent
D = dt.date
__all__ = ["demo_url"]


def _app(url: str, monkeypatch: pytest.MonkeyPatch, query: dict[str, str] | None = None
         ) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(query or {})
    return at


def _form(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    at = at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _main(at: AppTest) -> AppTest:
    """The next run starts at app.py, as every run of a served app does. (This AppTest
    re-runs the page a multipage run finished on by itself, past app.py and its sidebar;
    an empty page request is the main script.)"""
    at._page_hash = at._finished_page_script_hash = ""
    return at


def _as(at: AppTest, username: str) -> AppTest:
    """Signed in as ``username`` (what the authenticator leaves in session state)."""
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = username
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- the language ------------------------------------------------------------------------

def test_language_after_a_new_sign_in(demo_url: str, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    with contextlib.suppress(users.UserError):  # the demo database is shared
        users.remove(demo_url, "amina")
    users.add(demo_url, "amina", "a-long-password", "manager", name="Amina")
    at = _form(_app(demo_url, monkeypatch).run(), "amina", "a-long-password")
    assert at.title[0].value == "Overview"
    at = _main(at).selectbox(key="ui_language_pick").set_value("fr").run()
    assert at.title[0].value == "Vue d'ensemble"
    assert users.get_language(demo_url, "amina") == "fr"
    # The Period box is sent again, in French (a stable code under a translated label).
    period = at.selectbox(key="f_period")
    assert period.value == "Whole programme"  # the code
    assert period.proto.set_value and period.proto.raw_value == "Tout le programme"
    assert at.radio(key="f_granularity").proto.raw_value == "Trimestre"
    # Sign out, and in again in the same session: French.
    at = _main(at).button(key="auth_sign_out").click().run()
    assert at.session_state["authentication_status"] is None
    at.session_state["ui_language"] = "en"  # e.g. switched back on the sign-in page
    at = _as(_main(at), "amina")
    assert at.title[0].value == "Vue d'ensemble"
    # A new session, through the form: French too, and it stays French.
    at = _form(_app(demo_url, monkeypatch).run(), "amina", "a-long-password")
    assert at.title[0].value == "Vue d'ensemble"
    at = _main(_main(at).run())
    at = at.run()
    assert at.title[0].value == "Vue d'ensemble"
    assert at.selectbox(key="ui_language_pick").value == "fr"
    assert users.get_language(demo_url, "amina") == "fr"


def test_the_language_write_keeps_a_change_made_meanwhile(empty_db_url: str) -> None:
    """The language is one column of one row: an administrator's change of another field
    or another user, made meanwhile, is kept (the concurrent version is in
    tests/test_users_db.py)."""
    users.add(empty_db_url, "amina", "a-long-password", "manager", name="Amina")
    users.add(empty_db_url, "moussa", "another-password", "focal_point", countries=("SN",))
    before = users.stored(empty_db_url)
    users.set_role(empty_db_url, "moussa", "focal_point", ("MA", "SN"))
    users.set_preference(empty_db_url, "amina", "start_page", "targets")
    users.set_language(empty_db_url, "Amina", "fr")
    after = users.stored(empty_db_url)
    assert after["amina"].language == "fr"
    assert after["amina"].preferences == {"start_page": "targets"}
    assert after["amina"].password_hash == before["amina"].password_hash
    assert after["moussa"].countries == ("MA", "SN")
    assert after["moussa"].language == ""
    with pytest.raises(users.UserError):
        users.set_language(empty_db_url, "nobody", "fr")


# --- the filters in the URL --------------------------------------------------------------

def test_a_link_opens_its_view_and_a_reload_keeps_it(demo_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    link = {"country": "SN", "period": "2016-Q3", "by": "month"}
    at = _as(_app(demo_url, monkeypatch, query=link), "demo-manager")
    expected = Filters(D(2016, 7, 1), D(2016, 9, 30), ("SN",), "month")
    assert at.session_state["filters"] == expected
    assert at.multiselect(key="f_countries").value == ["SN"]
    assert at.selectbox(key="f_period").value == "2016 Q3"
    assert at.query_params == link  # written back as read
    # A reload: a new session on the same URL.
    again = _as(_app(demo_url, monkeypatch, query=dict(at.query_params)), "demo-manager")
    assert again.session_state["filters"] == expected
    # A change in the sidebar goes to the URL; the default is left out.
    again = _main(again).selectbox(key="f_period").set_value("2016").run()
    assert again.query_params == {"country": "SN", "period": "2016", "by": "month"}
    again = _main(again).radio(key="f_granularity").set_value("quarter").run()
    again = _main(again).multiselect(key="f_countries").set_value([]).run()
    assert again.query_params == {"period": "2016"}
    # A range.
    ranged = _as(_app(demo_url, monkeypatch, query={"from": "2016-02-01",
                                                     "to": "2016-03-15"}), "demo-manager")
    assert ranged.session_state["filters"] == Filters(D(2016, 2, 1), D(2016, 3, 15))
    assert ranged.query_params == {"from": "2016-02-01", "to": "2016-03-15"}


def test_a_link_never_widens_a_focal_points_scope(demo_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    at = _as(_app(demo_url, monkeypatch, query={"country": "MA,SN", "period": "bogus"}),
             "demo-focal-sn")
    assert at.session_state["filters"].countries == ("SN",)
    assert at.multiselect(key="f_countries").value == ["SN"]
    assert at.selectbox(key="f_period").value == "Whole programme"
    only_morocco = _as(_app(demo_url, monkeypatch, query={"country": "MA"}), "demo-focal-sn")
    assert only_morocco.session_state["filters"].countries == ("SN",)
    assert only_morocco.multiselect(key="f_countries").value == []
    assert "country" not in only_morocco.query_params
    from data_access.programme import programme_title
    from tests.test_i18n import shown_text

    programme = programme_title()  # "… in Morocco, Tunisia and Senegal"
    text = " ".join(t for t in shown_text(only_morocco) if t != programme)
    assert "Morocco" not in text and "MA" not in text.split()
