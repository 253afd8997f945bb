"""The free text a user writes per report section, saved per period and scope.

A narrative is keyed by (section, period_start, period_end, scope_key). ``scope_key`` is
``Scope.key()`` of the countries the report covers: the viewer's scope narrowed to the
countries chosen in the sidebar, so a manager's Morocco-only report and their
all-countries report keep separate texts, and a donor's ("…/agg") are separate from
staff's. Opening a period with no saved text starts from the latest earlier narrative
of the same section and scope (next quarter's report starts from this quarter's text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data_access import lookups
from data_access.models import ReportNarrative
from data_access.scope import Scope
from metrics.filters import Filters


@dataclass(frozen=True)
class Narrative:
    section: str
    text: str
    saved: bool  # True: saved for exactly this period; False: carried over or empty
    from_period: tuple[dt.date, dt.date] | None = None  # where a carried-over text is from
    author: str | None = None


def scope_key(scope: Scope, filters: Filters) -> str:
    if not filters.countries:
        return scope.key()
    countries = scope.narrow(filters.countries)
    return Scope.for_countries(countries, aggregates_only=scope.aggregates_only).key()


def load(session: Session, filters: Filters, sections: Sequence[str],
         key: str) -> dict[str, Narrative]:
    """Every section's text for this period, or the latest earlier one's."""
    found: dict[str, Narrative] = {}
    for section in sections:
        exact = lookups.saved_narrative(session, section, key, filters.start, filters.end)
        if exact is not None:
            found[section] = Narrative(section, exact.text, True, author=exact.author)
            continue
        earlier = lookups.earlier_narrative(session, section, key, filters.end)
        if earlier is not None:
            found[section] = Narrative(section, earlier.text, False,
                                       (earlier.period_start, earlier.period_end),
                                       earlier.author)
        else:
            found[section] = Narrative(section, "", False)
    return found


def save(session: Session, filters: Filters, section: str, key: str, text: str,
         author: str | None) -> None:
    """Insert or replace the text of one section for this period and scope."""
    row = lookups.saved_narrative(session, section, key, filters.start, filters.end)
    if row is None:
        session.add(ReportNarrative(section=section, period_start=filters.start,
                                    period_end=filters.end, scope_key=key, text=text,
                                    author=author))
    else:
        row.text = text
        row.author = author
    session.flush()
