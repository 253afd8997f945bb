"""The Caseload as a focal point reads it (issue 16): the follow-up first with the days
overdue, regions and codes in words of the viewer's language, blanks for what is not
recorded, amounts with separators and the euro sign. Hand-made rows, hand-worked text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from i18n import language
from ui import caseload as screen

ROOT = Path(__file__).resolve().parent.parent

AS_OF = dt.date(2016, 12, 31)
ROWS = pd.DataFrame([
    {"id": 1, "case_number": "SN-1", "name": "Awa Diop", "country": "SN", "region": "SN-FK",
     "status": "assisted", "assistance": "individual/agriculture",
     "first_delivery": dt.date(2016, 1, 10), "last_visit": None,
     "next_due": dt.date(2016, 7, 10), "follow_up": "overdue 174 d"},
    {"id": 2, "case_number": "SN-2", "name": "", "country": "SN", "region": "",
     "status": "registered", "assistance": "", "first_delivery": None, "last_visit": None,
     "next_due": None, "follow_up": ""},
])


def test_rows_follow_up_first_in_words_with_blanks() -> None:
    with language("en"):
        table = screen.screen_rows(ROWS, AS_OF)
        assert list(table.columns[:4]) == ["Next follow-up due", "Days overdue", "Follow-up",
                                           "Case number"]
        first, second = table.iloc[0].to_dict(), table.iloc[1].to_dict()
        # 2016-07-10 → 2016-12-31: 21 + 31 + 30 + 31 + 30 + 31 = 174 days.
        assert first["Days overdue"] == "174" and first["Next follow-up due"] == "2016-07-10"
        assert first["Region"] == "Fatick" and first["Country"] == "Senegal"
        assert first["Status"] == "Assisted"
        assert first["Assistance (modality/sector)"] == "Individual/Agriculture"
        assert first["Last visit"] == ""
        assert set(second.values()) <= {"", "SN-2", "Senegal", "Registered"}
        assert "None" not in table.to_csv() and "nan" not in table.to_csv().lower()
    with language("fr"):
        table = screen.screen_rows(ROWS, AS_OF)
        assert table.iloc[0]["Région"] == "Fatick" and table.iloc[0]["Pays"] == "Sénégal"
        assert table.iloc[0]["Prochain suivi prévu"] == "10/07/2016"
    typed = screen.screen_rows(ROWS, AS_OF, typed=True)  # the Excel export
    assert typed.iloc[0, 1] == 174 and typed.iloc[0, 0] == dt.date(2016, 7, 10)
    assert typed.iloc[1, 1] is None


@pytest.mark.parametrize(("programme", "amounts"), [
    ("motuse.toml", {"en": "€1,500", "fr": "1\u202f500\u00a0€"}),
    ("example_five.toml", {"en": "$1,500", "fr": "1\u202f500\u00a0$US"})])
def test_a_case_in_words(programme: str, amounts: dict[str, str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A case's assistance amounts are in the programme's reporting currency, under a
    heading that names it (EUR for MoTuSe, USD for the five-country file)."""
    from data_access.lookups import money_label
    from i18n import _

    monkeypatch.setenv("PROGRAMME_FILE", str(ROOT / "programmes" / programme))
    currency = "EUR" if programme == "motuse.toml" else "USD"
    for lang, woman in (("en", "Woman"), ("fr", "Femme")):
        money = amounts[lang]
        with language(lang):
            assert money_label(_("Amount")) == {"en": "Amount", "fr": "Montant"}[lang] + \
                f" ({currency})"
            record = {_("Case number"): "SN-1", _("Sex"): "F", _("Region"): "SN-FK",
                      _("Phone"): "", _("Household size"): 4, _("Birth year"): 1985,
                      _("Return date"): dt.date(2015, 3, 1)}
            items = dict(screen.record_items(record))
            assert items[_("Sex")] == woman and items[_("Region")] == "Fatick"
            assert _("Phone") not in items  # nothing recorded: not shown
            assert items[_("Birth year")] == "1985" and items[_("Household size")] == "4"
            detail = pd.DataFrame([["individual", "business_grant", "agriculture", 1500.0,
                                    None, True]],
                                  columns=[_("Modality"), _("Kind"), _("Sector"),
                                           money_label(_("Amount")), _("Date"),
                                           _("Business operating")])
            shown = screen.detail_table(detail).iloc[0].tolist()
            assert shown[3].replace("\u00a0", " ").replace("\u202f", " ") == \
                money.replace("\u00a0", " ").replace("\u202f", " ")
            assert shown[4] == "" and shown[5] == _("Yes")
            assert shown[2] == _("Agriculture")
