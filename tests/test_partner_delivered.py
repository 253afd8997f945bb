"""What each partner delivered, and the partners directory (issue 21; metrics.partners),
against the fixture's figures worked by hand (tests/fixture_db.py, "Partners"):

- Association Amal (P1, MA): assistance a6 a7 a8 (delivered 2015-06-30, 06-30, 07-01,
  1000 EUR each), session S2 (2015-06-30: b1 b5 b6 attend), the visit of b4 on
  2015-12-31, cooperative C1;
- ANETI (P3, TN): assistance a12 (2015-10-01, 800 EUR);
- ANAPEC (P2) and Mairie de Dakar (P4) delivered nothing (they only receive referrals).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pytest

from data_access import db
from data_access.scope import Scope
from metrics import Filters, partners
from tests.fixture_db import build_fixture

D = dt.date
ZERO = dict.fromkeys(partners.MEASURES, 0.0)
WHOLE = {
    "Association Amal": {"assistance": 3.0, "grants": 3000.0, "sessions": 1.0,
                         "attendances": 3.0, "visits": 1.0, "cooperatives": 1.0},
    "ANETI": {**ZERO, "assistance": 1.0, "grants": 800.0},
    "ANAPEC": ZERO,
    "Mairie de Dakar": ZERO,
}


@pytest.fixture
def url(backend: str, make_database: Callable[[str, str], str]) -> str:
    url = make_database(backend, "partner_delivered")
    build_fixture(url)
    return url


def _table(url: str, scope: Scope, f: Filters) -> dict[str, dict[str, float]]:
    with db.session(url, scope) as s:
        df = partners.delivered(s, f)
    out: dict[str, dict[str, float]] = {}
    for row in df.itertuples():
        out.setdefault(row.partner, {})[row.measure] = row.value
    return out


def test_what_each_partner_delivered(url: str) -> None:
    assert _table(url, Scope.everything(), Filters()) == WHOLE


def test_the_period_and_the_country_narrow_each_record(url: str) -> None:
    # 2015-07-01..2015-12-31: a8 (07-01) but not a6 a7 (06-30), nor S2 (06-30); the visit
    # of 2015-12-31; C1 whatever the period; a12 (10-01).
    half = _table(url, Scope.everything(), Filters(D(2015, 7, 1), D(2015, 12, 31)))
    assert half["Association Amal"] == {"assistance": 1.0, "grants": 1000.0, "sessions": 0.0,
                                        "attendances": 0.0, "visits": 1.0,
                                        "cooperatives": 1.0}
    assert half["ANETI"] == WHOLE["ANETI"]
    tunisia = _table(url, Scope.everything(), Filters(countries=("TN",)))
    assert tunisia == {**{n: ZERO for n in WHOLE}, "ANETI": WHOLE["ANETI"]}


def test_a_partner_sees_its_own_line_and_entry_only(url: str) -> None:
    assert _table(url, Scope.for_partner(1), Filters()) == {
        "Association Amal": WHOLE["Association Amal"]}
    with db.session(url, Scope.for_partner(3)) as s:
        listed = partners.directory(s)
    assert listed.to_dict("records") == [
        {"name": "ANETI", "country": "TN", "type": "technical_agency", "services": "employment"}]
    with db.session(url, Scope.everything()) as s:
        assert list(partners.directory(s)["name"]) == [
            "ANAPEC", "ANETI", "Association Amal", "Mairie de Dakar"]


def test_a_donor_sees_no_small_count_and_no_amount(url: str) -> None:
    donor = Scope(countries=None, aggregates_only=True, suppression_threshold=5)
    with db.session(url, donor) as s:
        df = partners.delivered(s, Filters())
    # every count of the fixture is below 5: all hidden; an amount is never shown
    assert df["value"].map(lambda v: isinstance(v, float) and math.isnan(v)).all(), df
    assert set(df["partner"]) == set(WHOLE)


def test_partners_of_one_name_in_two_countries_are_counted_apart(url: str) -> None:
    """Partners are unique by name within a country only: a Tunisian "Association Amal"
    that delivered nothing neither takes nor merges the Moroccan one's records, and both
    rows say their country (grouping by name alone summed them, and the page's pivot
    failed on the repeated name)."""
    from data_access.models import Partner

    with db.session(url, Scope.everything()) as s:
        s.add(Partner(id=99, name="Association Amal", country="TN",
                      institution_type="civil_society",
                      record_key=1))
        s.commit()
    table = _table(url, Scope.everything(), Filters())
    assert table["Association Amal (MA)"] == WHOLE["Association Amal"]
    assert table["Association Amal (TN)"] == ZERO
    assert "Association Amal" not in table
    assert table["ANETI"] == WHOLE["ANETI"]
