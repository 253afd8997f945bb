"""The interface in English and French (issue 7).

- The catalogue check: every string marked in the code (``_``, ``N_``, ``ngettext``,
  ``pgettext``, extracted with Babel's extractor as ``python -m i18n.update`` does) has a
  French translation with the same placeholders, and the catalogue holds no string the
  code no longer uses.
- Formats per locale on known values (Babel), vocabulary and country names.
- Every page renders under AppTest in both languages; in French, no English interface
  string of the catalogue appears in what the page shows (titles, markdown, captions,
  metric labels, info/error messages, widget labels, table headings).
- The donor deck built in French has French titles and French-formatted numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from i18n import _, language, ngettext, pgettext, vocab
from i18n import formats as F
from i18n import update as catalogue_tool

ROOT = Path(__file__).resolve().parent.parent
NBSP, NNBSP = "\u00a0", "\u202f"


# --- the catalogue ---------------------------------------------------------------------

def _placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_every_string_in_the_code_has_a_french_translation_and_none_is_unused() -> None:
    wanted = catalogue_tool.keys(catalogue_tool.extract())
    french = catalogue_tool.read("fr")
    have = catalogue_tool.keys(french)
    missing = sorted(wanted - have, key=str)
    unused = sorted(have - wanted, key=str)
    assert not missing, ("strings with no French entry (run `python -m i18n.update` and "
                         f"translate them): {missing}")
    assert not unused, f"catalogue entries no longer used by the code: {unused}"
    untranslated = [m.id for m in french if m.id and (
        m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert not untranslated, f"entries without a French translation: {untranslated}"


def _texts(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A catalogue entry's id or string as a tuple (a plural entry has several)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def test_translations_keep_the_placeholders() -> None:
    for message in catalogue_tool.read("fr"):
        if not message.id:
            continue
        ids, strings = _texts(message.id), _texts(message.string)
        expected = set().union(*(_placeholders(i) for i in ids))
        for text in strings:
            assert _placeholders(text) == expected, (message.id, text)


def test_lookup_plural_and_context() -> None:
    with language("fr"):
        assert _("Returnees assisted") == "Rapatriés assistés"
        assert _("a string nobody translated") == "a string nobody translated"
        assert ngettext("{n} figure hidden here.", "{n} figures hidden here.", 1) == \
            "{n} chiffre masqué ici."
        assert ngettext("{n} figure hidden here.", "{n} figures hidden here.", 3) == \
            "{n} chiffres masqués ici."
        assert pgettext("cooperative", "Registered") == "Enregistrée"
        assert pgettext("case", "Registered") == "Enregistré"
    assert _("Returnees assisted") == "Returnees assisted"  # the language was restored


# --- formats and vocabulary ----------------------------------------------------------------

@pytest.mark.parametrize(("lang", "expected"), [
    ("en", {"number": "1,234.5", "percent": "45.7%", "money": "€1,234.5",
            "money0": "€1,234", "usd": "$1,234", "date": "2026-11-23", "month": "Dec 2016",
            "long_month": "March 2016", "quarter": "Q3 2016", "days": "12 days"}),
    ("fr", {"number": f"1{NNBSP}234,5", "percent": f"45,7{NBSP}%",
            "money": f"1{NNBSP}234,5{NBSP}€", "money0": f"1{NNBSP}234{NBSP}€",
            "usd": f"1{NNBSP}234{NBSP}$US",
            "date": "23/11/2026", "month": "déc. 2016", "long_month": "mars 2016",
            "quarter": "T3 2016", "days": "12 jours"}),
])
def test_numbers_and_dates_by_locale(lang: str, expected: dict[str, str]) -> None:
    with language(lang):
        got = {"number": F.number(1234.5, digits=1), "percent": F.percent(0.4567),
               "money": F.money(1234.5, digits=1, currency="EUR"),
               "money0": F.money(1234.4, currency="EUR"), "usd": F.money(1234, currency="USD"),
               "date": F.date(dt.date(2026, 11, 23)), "month": F.month(dt.date(2016, 12, 1)),
               "long_month": F.month(dt.date(2016, 3, 1), long=True),
               "quarter": F.period_label("2016Q3"), "days": F.days(12)}
    assert got == expected


def test_hidden_and_missing_values_are_not_formatted() -> None:
    with language("fr"):
        assert F.number(3, note="<5") == "<5"
        assert F.money(float("nan"), currency="EUR") == "–"
        assert F.date(None) == "–"


def test_codes_countries_and_regions_in_french() -> None:
    with language("fr"):
        assert vocab.country_name("MA") == "Maroc"
        assert vocab.country_name("SN") == "Sénégal"
        assert vocab.country_name("DE") == "Allemagne"
        assert vocab.label("sector", "livestock") == "Élevage"
        assert vocab.label("modality", "individual") == "Individuelle"
        assert vocab.label("kind", "job_search") == "Recherche d'emploi"
        assert vocab.label("sex", "F") == "Femmes"
        assert vocab.label("status", "registered") == "Enregistrée"
        assert vocab.label("sector", None) == "Non renseigné"
        assert vocab.region_name("TN-11") == vocab.region_name("TN-11")  # translated or as is
    with language("en"):
        assert vocab.country_name("MA") == "Morocco"
        assert vocab.label("sector", "food_processing") == "Food processing"


# --- pages -------------------------------------------------------------------------------

# The pages every role may see. The sign-in page, Caseload, Administration and Import
# are checked in French in tests/test_i18n_more.py (with their own interactions).
TRANSLATED = ("pages/overview.py", "pages/beneficiaries.py", "pages/projects.py",
              "pages/cooperatives.py", "pages/training.py", "pages/outcomes.py",
              "pages/capacity.py", "pages/targets.py", "pages/data_quality.py",
              "pages/donor_report.py")
_urls: dict[str, str] = {}


@pytest.fixture
def demo_url(make_database: Callable[[str, str], str]) -> str:
    if "sqlite" not in _urls:
        import demo
        url = make_database("sqlite", "i18n_demo")
        demo.load(url, demo.generate(200, seed=11), progress=lambda _: None)
        _urls["sqlite"] = url
    return _urls["sqlite"]


def _signed_in(url: str, monkeypatch: pytest.MonkeyPatch, user: str,
               lang: str | None = None) -> AppTest:
    """app.py run once for ``user`` (and the language chosen in the session, if any)."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = user
    if lang is not None:
        at.session_state["ui_language"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(url: str, monkeypatch: pytest.MonkeyPatch, path: str, lang: str,
          user: str = "demo-admin") -> AppTest:
    return _signed_in(url, monkeypatch, user, lang).switch_page(path).run()


def shown_text(at: AppTest) -> list[str]:
    """What a reader sees: headings, text, messages, card labels, widget labels, table
    headings and cells."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "error",
                 "warning", "success", "exception"):
        texts += [str(e.value) for e in getattr(at, kind)]
    for metric in at.metric:
        texts += [metric.label, str(metric.value)]
    for kind in ("selectbox", "multiselect", "radio", "text_input", "text_area",
                 "date_input", "button", "checkbox", "toggle"):
        for widget in getattr(at, kind):
            texts.append(str(widget.label))
            texts += [str(o) for o in getattr(widget, "options", []) or []]
    texts += [str(e.label) for e in at.expander]
    for table in list(at.dataframe) + list(at.table):
        frame = table.value
        texts += [str(c) for c in frame.columns]
        texts += [str(v) for v in frame.head(30).to_numpy().ravel() if isinstance(v, str)]
    return texts


def _english_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each English message whose French differs, as a whole-word pattern (placeholders
    match anything)."""
    patterns = []
    for message in catalogue_tool.read("fr"):
        if not message.id:
            continue
        ids, strings = _texts(message.id), _texts(message.string)
        for english in ids:
            parsed = list(string.Formatter().parse(english))
            literal = "".join(lit for lit, *_rest in parsed)
            if english in strings or not re.search(r"[A-Za-z]{3}", literal):
                continue  # the same in French, or no English word of its own ("Q{n}")
            parts = [re.escape(lit) + ("[^\n]+?" if name is not None else "")
                     for lit, name, _s, _c in parsed]
            patterns.append((english, re.compile(r"(?<![\w-])" + "".join(parts) + r"(?![\w-])")))
    return patterns


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", TRANSLATED)
def test_page_renders_in_both_languages(demo_url: str, monkeypatch: pytest.MonkeyPatch,
                                        path: str, lang: str) -> None:
    at = _open(demo_url, monkeypatch, path, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, path
    with language(lang):
        assert any(t.value == _(title) for t in at.title for title in (
            "Overview", "Beneficiaries", "Reintegration projects", "Cooperatives",
            "Training and coaching", "Outcomes", "Capacity building", "Targets",
            "Data quality", "Donor report"))
    if lang == "fr":
        leaks = [(english, text) for text in shown_text(at) for english, pattern in
                 _english_patterns() if pattern.search(text)]
        assert not leaks, leaks


def test_the_language_choice_is_kept_for_a_stored_user(
        demo_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from accounts import users
    with contextlib.suppress(users.UserError):  # the demo database is shared
        users.remove(demo_url, "amina")
    users.add(demo_url, "amina", "a-long-password", "manager", name="Amina")
    at = _signed_in(demo_url, monkeypatch, "amina")
    assert at.title[0].value == "Overview"
    at.selectbox(key="ui_language_pick").set_value("fr").run()
    assert at.title[0].value == "Vue d'ensemble"
    assert users.get_language(demo_url, "amina") == "fr"
    # A new session of the same user starts in French.
    assert _signed_in(demo_url, monkeypatch, "amina").title[0].value == "Vue d'ensemble"


def test_default_language_setting(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    assert _signed_in(demo_url, monkeypatch, "demo-manager").title[0].value == \
        "Vue d'ensemble"


# --- the donor deck ------------------------------------------------------------------------

def test_french_donor_deck(demo_url: str) -> None:
    from pptx import Presentation

    from cli.report import build_file
    from data_access.scope import Scope
    from metrics.filters import Filters

    filters = Filters(dt.date(2015, 1, 1), dt.date(2016, 12, 31))
    deck = build_file(demo_url, Scope(aggregates_only=True, suppression_threshold=5), filters,
                      ["headline", "sectors", "outcomes"], "pptx", "Programme", lang="fr")
    texts: list[str] = []
    for slide in Presentation(io.BytesIO(deck)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
    text = "\n".join(texts)
    assert "Rapport d'avancement" in text
    assert "Chiffres clés par rapport aux cibles" in text
    assert "Secteurs et subventions" in text
    assert "Rapatriés assistés" in text
    assert "Indicateur" in text and "Valeur" in text
    assert "Tous les pays" in text or "tous les pays" in text
    # French numbers: the thousands separator is a narrow no-break space, euros after.
    assert re.search(r"\d\u202f\d{3}\u00a0€", text), text[:2000]
    for english in ("Progress report", "Headline figures", "Indicator", "Grants disbursed",
                    "data as of", "all countries"):
        assert english not in text, english
