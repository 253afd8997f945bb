"""KPI cards: the figure, its change against the previous period of the same length, and
(when the logframe has a target for it) progress against the target.

The previous period (``Filters.previous``) is the same number of whole months just before
when the period is whole months (every sidebar preset: Q1 2016 is compared with Q4 2015),
so both are read from the analytics cubes; a custom day range is compared with the same
number of days just before. Each card's help names the period compared with; where it would
lie before the programme start (the whole programme, Q1 2015) no change is shown.

The target line under a card is the logframe comparison of ``metrics.targets`` (the same
figures as the Targets page): the figure since the programme start to the period end
against the target due then, never the period's own figure against a later target.

A card names an indicator code (``BEN-2``) or one of its secondary measures
(``ASS-2.mean``, listed in ``MEASURES`` with the title and unit kind the card shows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from i18n import N_, _
from i18n.formats import month, percent, signed
from i18n.vocab import label
from metrics import catalogue
from metrics.filters import Filters
from ui import data
from views.format import by_kind, is_missing

# Secondary measures shown as cards of their own: code.measure -> (title, kind, help),
# in English (translated when shown).
MEASURES = {
    "ASS-2.mean": (N_("Mean grant"), "money",
                   N_("Mean delivered amount per assistance record")),
    "COOP-2.share": (N_("Assisted returnees in cooperatives"), "rate",
                     N_("COOP-2 ÷ BEN-2: members of cooperatives among returnees assisted")),
    "FUP-4.sustainable_share": (N_("Sustainably reintegrated"), "rate",
                                N_("Share whose composite reintegration score is at or "
                                   "above the sustainability threshold")),
}


@dataclass(frozen=True)
class Card:
    """A card that is not an indicator (data-quality counts, logframe status counts)."""

    title: str
    value: str
    help: str = ""
    caption: str = ""


def delta_text(current: float, previous: float, kind: str) -> str | None:
    if is_missing(current) or is_missing(previous):
        return None
    change = float(current) - float(previous)
    if kind == "rate":
        return _("{change} pts vs previous period").format(change=signed(change * 100, 1))
    if previous:
        return _("{change} % vs previous period").format(
            change=signed(change / float(previous) * 100))
    return _("{change} vs previous period").format(change=signed(change))


def _reading(code: str, filters: Filters) -> tuple[str, str, float, str, str]:
    """(title, kind, value, note, help) of an indicator or of one of its measures."""
    base, _dot, measure = code.partition(".")
    spec = catalogue.get(base)
    row = data.total(base, filters)
    help_text = _("{code}: {definition}. Dated by {date}.").format(
        code=spec.code, definition=_(spec.definition), date=_(spec.dated_by))
    if not measure:
        return _(spec.title), spec.kind, row["value"], row["value_note"], help_text
    title, kind, explain = MEASURES[code]
    note = row["value_note"]  # a measure next to a hidden figure is hidden with it
    value = float("nan") if note else row.get(measure, float("nan"))
    return _(title), kind, value, note, f"{_(explain)}. {help_text}"


def compared_with(filters: Filters) -> str:
    """The sentence saying which period the cards' changes are against (or that there is
    none: the period before would lie before the programme start)."""
    from reports.files import period_words

    previous = filters.previous_or_none()
    if previous is None:
        return _("No change is shown: the period before this one lies before the programme "
                 "start.")
    words = period_words(previous.start, previous.end)
    if filters.whole_months is not None:
        return _("Change against {period}, the same number of whole months just "
                 "before.").format(period=words)
    return _("Change against {period}, the same number of days just before.").format(
        period=words)


# Streamlit cuts a metric's label to one line ("Vulnerable share of return…"): let card
# titles wrap instead (issue 16). Style only: st.html draws no element for it.
_WRAP_LABELS = ("<style>[data-testid='stMetricLabel'], [data-testid='stMetricLabel'] * "
                "{white-space: normal !important; overflow: visible !important; "
                "text-overflow: clip !important; height: auto !important}</style>")


def cards(codes: Sequence[str], filters: Filters, per_row: int = 4) -> None:
    st.html(_WRAP_LABELS)
    previous = filters.previous_or_none()
    against = compared_with(filters)
    for row in _rows(codes, per_row):
        columns = st.columns(per_row)
        for column, code in zip(columns, row, strict=False):
            title, kind, now, note, help_text = _reading(code, filters)
            delta = None
            if previous is not None:
                delta = delta_text(now, _reading(code, previous)[2], kind)
            with column:
                st.metric(title, by_kind(now, kind, note), delta=delta,
                          help=f"{help_text} {against}", border=True)
                target = target_note(code, filters, codes) if "." not in code else None
                if target:
                    st.caption(target)


def plain(items: Sequence[Card], per_row: int = 4) -> None:
    """Cards for figures that are not indicators (no delta, no target)."""
    st.html(_WRAP_LABELS)
    for row in _rows(items, per_row):
        columns = st.columns(per_row)
        for column, item in zip(columns, row, strict=False):
            with column:
                st.metric(item.title, item.value, help=item.help or None, border=True)
                if item.caption:
                    st.caption(item.caption)


T = TypeVar("T")


def _rows(items: Sequence[T], per_row: int) -> list[Sequence[T]]:
    return [items[i:i + per_row] for i in range(0, len(items), per_row)]


def target_note(code: str, filters: Filters,
                codes: Sequence[str] | None = None) -> str | None:
    """The logframe comparison of ``code`` (``metrics.targets.comparison``, the one the
    Targets page and the donor report show): the figure cumulated from the programme
    start to the period end against the target due then, in words; None where no target
    applies. ``codes``: the cards of the page, whose targets are read together (not the
    whole logframe)."""
    from metrics.targets import comparison

    progress = data.progress(filters, [c for c in (codes or [code]) if "." not in c])
    row = comparison(progress, code, filters.countries, filters.end)
    return None if row is None else target_words(row, catalogue.get(code).kind)


def target_words(row: Any, kind: str) -> str:
    """"Since the programme start, to Sep 2016: 299 of 330 due then (91 %, on track)"."""
    return _("Since the programme start, to {date}: {actual} of {due} due then ({share}, "
             "{status})").format(
        date=month(row["as_of"]), actual=by_kind(row["actual"], kind),
        due=by_kind(row["prorated_target"], kind),
        share=percent(row["due_achieved"], digits=0),
        status=label("logframe_status", row["status"]))
