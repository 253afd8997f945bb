"""The Caseload page's rows, cached per (database, scope, data version, filters, page).

A page of the caseload is read through the run's snapshot in the viewer's scope
(``ui.data.read``; ``casework.caseload.cases``) and kept by ``st.cache_data`` on plain
values, so a rerun with the same question (a widget elsewhere on the page, opening a case)
reads nothing again. The data version is in the key: after any committed write (an import,
``manage.py``, another process) the next run reads the rows again, so a cached page is
never shown after the data it was read from has changed.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from casework import caseload
from data_access.scope import Scope
from i18n import _
from i18n import formats as F
from i18n.vocab import label
from ui import data
from views.format import money, money_label


@st.cache_data(show_spinner=False, hash_funcs=data.KEYS, ttl=900, max_entries=300)
def _cases(url: str, scope: Scope, version: int, today: dt.date, search: str,
           countries: tuple[str, ...], sort: str, descending: bool, limit: int,
           offset: int, due_within: int | None, _session: Session) -> caseload.Page:
    return caseload.cases(_session, today=today, search=search, countries=countries,
                          sort=sort, descending=descending, limit=limit, offset=offset,
                          due_within=due_within)


def cases(*, today: dt.date, search: str, countries: Sequence[str], sort: str,
          descending: bool, limit: int, page: int, due_within: int | None) -> caseload.Page:
    """Page ``page`` (from 1) of the viewer's caseload; the first page when ``page`` is past
    the last one (the filters changed under it)."""
    args = (today, search.strip(), tuple(sorted(c.upper() for c in countries)), sort,
            bool(descending), int(limit))
    result = data.read(_cases, *args, (max(1, page) - 1) * limit, due_within)
    if result.rows.empty and result.offset > 0:
        result = data.read(_cases, *args, 0, due_within)
    return caseload.Page(result.rows.copy(), result.total, result.offset, result.limit)


# --- the rows and one case, for people (issue 16) ----------------------------------------
# The data layer returns codes, dates and numbers; here they become what a focal point
# reads, in the viewer's language: the follow-up first (it is what the page is for, and the
# last column of a wide table is the one cut off), days overdue as a number, regions and
# vocabulary codes in words, amounts with separators and the currency's sign, and a blank where
# nothing is recorded (never "None").

def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value))) \
        or value == ""


def _date_text(value: object) -> str:
    return "" if _blank(value) else F.date(value)


def _word(field: str, value: object) -> str:
    return "" if _blank(value) else label(field, value)


def days_overdue(next_due: object, as_of: dt.date) -> int | None:
    """Days since a follow-up fell due with no visit since (None when none is overdue)."""
    if _blank(next_due):
        return None
    # A date or pandas Timestamp once not blank (the frame's column holds both, and NaT).
    late = (as_of - next_due).days  # type: ignore[operator]
    return late if late > 0 else None


def sex_word(code: object) -> str:
    """One person's sex ("Woman" / "Femme"): the breakdowns' words are plurals."""
    words = {"F": _("Woman"), "M": _("Man")}
    return "" if _blank(code) else words.get(str(code), label("sex", code))


def _assistance_words(summary: str) -> str:
    """"individual/agriculture, collective/–" in words of the current language."""
    parts = []
    for item in filter(None, (s.strip() for s in str(summary or "").split(","))):
        modality, _sep, sector = item.partition("/")
        parts.append(label("modality", modality) + (
            "/" + label("sector", sector) if sector and sector != "–" else "/–"))
    return ", ".join(parts)


def screen_rows(rows: pd.DataFrame, as_of: dt.date, *, typed: bool = False) -> pd.DataFrame:
    """A page of ``caseload.cases`` for the screen: headings and values in words,
    follow-up columns first. ``typed`` (the Excel export): the same table with dates as
    dates and days as numbers (None where blank), so a spreadsheet can sort them."""
    heading = caseload.headings()
    late = [days_overdue(d, as_of) for d in rows["next_due"]]

    def when(d: object) -> object:
        return (None if _blank(d) else d) if typed else _date_text(d)

    out = pd.DataFrame({
        heading["next_due"]: [when(d) for d in rows["next_due"]],
        _("Days overdue"): late if typed else ["" if d is None else F.number(d)
                                               for d in late],
        heading["follow_up"]: ["" if _blank(v) else str(v) for v in rows["follow_up"]],
        heading["case_number"]: [str(v) for v in rows["case_number"]],
        heading["name"]: ["" if _blank(v) else str(v) for v in rows["name"]],
        heading["country"]: [_word("country", v) for v in rows["country"]],
        heading["region"]: [_word("region", v) for v in rows["region"]],
        heading["status"]: [_word("case_status", v) for v in rows["status"]],
        heading["assistance"]: [_assistance_words(v) for v in rows["assistance"]],
        heading["first_delivery"]: [when(d) for d in rows["first_delivery"]],
        heading["last_visit"]: [when(d) for d in rows["last_visit"]],
    }, dtype=object)
    return out


# Record fields (``caseload.case_detail``'s English headings) → how a value is said.
_RECORD_WORDS = {"Country": "country", "Region": "region", "Returned from": "host_country",
                 "Return type": "return_type", "Status": "case_status"}


def record_items(record: dict[str, object]) -> list[tuple[str, str]]:
    """(heading, value in words) of a case's record; fields with no value are left out.
    ``record``'s headings are in the current language (``caseload.case_detail``)."""
    words = {_(english): field for english, field in _RECORD_WORDS.items()}
    items = []
    for heading, value in record.items():
        if _blank(value):
            continue
        if heading == _("Sex"):
            text = sex_word(value)
        elif heading in words:
            text = _word(words[heading], value)
        elif isinstance(value, dt.date):
            text = F.date(value)
        else:
            text = str(value)  # case number, name, phone, years and sizes (no separator)
        items.append((heading, text))
    return items


def detail_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A table of ``caseload.case_detail`` (assistance, training, visits, referrals) in words:
    codes from the vocabulary, amounts in the reporting currency, dates, yes/no, blanks for
    missing values."""
    codes = {_("Modality"): "modality", _("Kind"): "kind", _("Sector"): "sector",
             _("Status"): "assistance_status", _("Service"): "service",
             _("Referral status"): "referral_status"}
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = list(frame[column])
        if column in codes:
            shown = [_word(codes[column], v) for v in values]
        elif column == money_label(_("Amount")):
            shown = ["" if _blank(v) else money(v) for v in values]
        else:
            shown = [_cell(v) for v in values]
        out[column] = shown
    return out.reset_index(drop=True)


def _cell(value: object) -> str:
    if _blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.date):
        return F.date(value)
    if isinstance(value, numbers.Real):
        whole = float(value).is_integer()
        return F.number(value, digits=0 if whole else 2)
    return str(value)
