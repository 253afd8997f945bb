"""Property-based tests of the import's value parsers (dates, yes/no, countries, numbers)."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from importing import parsers as p

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@given(dates)
def test_dates_in_every_accepted_form(day: dt.date) -> None:
    assert p.parse_date(day.isoformat()) == day
    assert p.parse_date(f"{day:%d/%m/%Y}") == day
    assert p.parse_date(f" {day.day}/{day.month}/{day.year} ") == day
    assert p.parse_date(dt.datetime.combine(day, dt.time())) == day
    assert p.parse_date(f"{day.isoformat()} 00:00:00") == day


@given(st.text(max_size=12))
def test_date_parser_never_crashes(raw: str) -> None:
    try:
        assert isinstance(p.parse_date(raw), dt.date)
    except ValueError as exc:
        assert str(exc)


@pytest.mark.parametrize("raw", ["31/02/2015", "2015-13-01", "2015/01/01", "1.1.2015", "42000",
                                 42000.0])
def test_impossible_dates_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        p.parse_date(raw)


YES = ["yes", "oui", "true", "1", "y", "o", "Vrai"]
NO = ["no", "non", "false", "0", "n", "Faux"]


@given(st.sampled_from(YES + NO), st.sampled_from([str.upper, str.lower, str.title]),
       st.sampled_from(["", " ", "\t"]))
def test_yes_no_words_any_case_and_spacing(word: str, case, pad: str) -> None:
    assert p.parse_bool(pad + case(word) + pad) is (word in YES)


@given(st.text(max_size=6).filter(lambda t: t.strip().lower() not in
                                  {w.lower() for w in YES + NO}))
def test_other_words_are_not_yes_or_no(raw: str) -> None:
    if p.is_blank(raw):
        return
    with pytest.raises(ValueError):
        p.parse_bool(raw)


@given(st.sampled_from(list(pycountry.countries)))
def test_every_country_by_code_and_english_name(country) -> None:
    assert p.parse_country(country.alpha_2) == country.alpha_2
    assert p.parse_country(country.alpha_2.lower()) == country.alpha_2
    assert p.parse_country(country.alpha_3) == country.alpha_2
    found = p.parse_country(country.name)
    named = pycountry.countries.get(alpha_2=found)
    assert found == country.alpha_2 or (named is not None and named.name == country.name)


@pytest.mark.parametrize("raw,code", [("Maroc", "MA"), ("Sénégal", "SN"), ("senegal", "SN"),
                                      ("Tunisie", "TN"), (" Morocco ", "MA"),
                                      ("Espagne", "ES"), ("Allemagne", "DE")])
def test_french_country_names(raw: str, code: str) -> None:
    assert p.parse_country(raw) == code


@pytest.mark.parametrize("raw,country,code", [("MA-05", "MA", "MA-05"), ("05", "MA", "MA-05"),
                                              ("Béni Mellal-Khénifra", "MA", "MA-05"),
                                              ("beni mellal khenifra", "MA", "MA-05"),
                                              ("Dakar", "SN", "SN-DK")])
def test_regions_by_code_or_name(raw: str, country: str, code: str) -> None:
    assert p.parse_region(raw, country) == code


def test_region_of_another_country_is_refused() -> None:
    with pytest.raises(ValueError, match="not a region of SN"):
        p.parse_region("MA-05", "SN")


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
def test_decimals_in_english_and_french_writing(value: Decimal) -> None:
    english = f"{value:.2f}"
    french = english.replace(".", ",")
    assert p.parse_decimal(english) == value
    assert p.parse_decimal(french) == value
    assert p.parse_decimal(float(english)) == value
    grouped = f"{value:,.2f}"  # 1,234.50
    assert p.parse_decimal(grouped) == value
    assert p.parse_decimal(grouped.replace(",", " ").replace(".", ",")) == value  # 1 234,50


@given(st.integers(min_value=-2**31 + 1, max_value=2**31 - 1))
def test_integers_as_text_number_and_float(value: int) -> None:
    assert p.parse_int(str(value)) == value
    assert p.parse_int(value) == value
    assert p.parse_int(float(value)) == value


@pytest.mark.parametrize("raw", ["1.5", "abc", "", "1e400", True, 10**12])
def test_bad_whole_numbers(raw: object) -> None:
    with pytest.raises(ValueError):
        p.parse_int(raw)


@given(st.text(max_size=10))
def test_number_parsers_raise_value_error_only(raw: str) -> None:
    for parse in (p.parse_int, p.parse_float, p.parse_decimal, p.parse_country,
                  p.parse_vulnerabilities):
        with contextlib.suppress(ValueError):
            parse(raw)


@pytest.mark.parametrize("raw", ["1E100", "10000000000", "-1e10", 1e11])
def test_amounts_too_large_for_the_column_are_refused_with_a_sentence(raw: object) -> None:
    # Stored as NUMERIC(12, 2): validation must refuse what the write would fail on.
    with pytest.raises(ValueError, match="too large"):
        p.parse_decimal(raw)


def test_the_largest_storable_amount_passes() -> None:
    assert p.parse_decimal("9999999999.99") == Decimal("9999999999.99")


# Issue 16: "1,500" and "1.500" were both read as 1.5 (a EUR 1,500 grant stored as 1.50).
@pytest.mark.parametrize("raw", ["1,500", "1.500", "-2,000", "12.345", "999,999", "+1.250",
                                 "500,000"])
def test_one_separator_before_three_digits_is_refused_as_ambiguous(raw: str) -> None:
    for parse in (p.parse_decimal, p.parse_float, p.parse_int):
        with pytest.raises(p.AmbiguousNumber, match="ambiguous") as caught:
            parse(raw)
    whole, part = raw.lstrip("+-").replace(",", ".").split(".")
    assert f"{whole}{part}" in str(caught.value)  # says how to write the thousands reading


def test_the_ambiguity_message_says_how_to_write_either_reading() -> None:
    with pytest.raises(ValueError) as caught:
        p.parse_decimal("1,500")
    assert "1500 (or 1 500)" in str(caught.value) and "1.5 (or 1,5)" in str(caught.value)


@pytest.mark.parametrize(("raw", "value"), [
    ("1500", "1500"), ("1 500", "1500"), ("1\u00a0500", "1500"), ("1,500.00", "1500"),
    ("1.500,00", "1500"), ("1,500,000", "1500000"), ("1.500.000", "1500000"),
    ("1,5", "1.5"), ("1.5", "1.5"), ("1,50", "1.5"), ("1234,567", "1234.567"),
    ("0,125", "0.125"), ("0.125", "0.125"), (".125", "0.125")])
def test_unambiguous_writings_still_read(raw: str, value: str) -> None:
    assert p.parse_float(raw) == float(value)


def test_numbers_in_number_cells_are_never_ambiguous() -> None:
    # An XLSX number cell holds the number itself, whatever the display.
    assert p.parse_decimal(1.5) == Decimal("1.50")
    assert p.parse_decimal(1500) == Decimal("1500.00")
    assert p.parse_int(1500.0) == 1500
