"""No personal data and no secret in the server log of a full browser run (issue 9).

Runs after the other browser tests (file order): by then the session server has served
every page of every demo role, downloads, sign-ins and sign-outs. Its stdout and stderr
(conftest ``Server.log``) must hold none of the demo beneficiaries' names, case numbers or
phone numbers, no demo password and not the cookie key. The log is copied to
test-artifacts/ for reading.
"""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser


def test_the_server_log_holds_no_personal_data_or_secret(app_server_process,
                                                          demo_db_url: str) -> None:
    from accounts.users import demo_accounts
    from data_access import db
    from data_access.models import Beneficiary
    from data_access.scope import Scope
    from data_access.settings import DEMO_COOKIE_KEY

    log = app_server_process.log.read_text(errors="replace")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copyfile(app_server_process.log, artifacts / "streamlit-server.log")
    assert "You can now view" in log or "Local URL" in log or log == "", log[:500]

    with db.session(demo_db_url, Scope.everything()) as session:
        people = session.execute(select(Beneficiary.first_name, Beneficiary.last_name,
                                        Beneficiary.case_number, Beneficiary.phone)).all()
    assert people
    words = set(re.findall(r"[\w+-]+", log))
    leaked = []
    for first, last, case_number, phone in people:
        if case_number and case_number in log:
            leaked.append(case_number)
        if phone and (phone in log or phone.replace(" ", "") in log):
            leaked.append(phone)
        if first and last and f"{first} {last}" in log:
            leaked.append(f"{first} {last}")
        if last and len(last) > 3 and last in words:
            leaked.append(last)
    for _user, password in demo_accounts():
        if password in log:
            leaked.append(password)
    if DEMO_COOKIE_KEY in log:
        leaked.append("the cookie key")
    assert not leaked, f"in the server log: {sorted(set(leaked))[:20]}"
