"""One colour per country and per sector, on every page and export."""

from __future__ import annotations

import altair as alt

COUNTRY_COLOURS = {"MA": "#c1272d", "TN": "#e8a33d", "SN": "#00853f"}
OTHER = "#8a8a8a"

SECTOR_COLOURS = {
    "agriculture": "#4e9a06", "livestock": "#8f5902", "fishing": "#3465a4",
    "trade": "#f57900", "handicraft": "#75507b", "food_processing": "#c4a000",
    "services": "#06989a", "transport": "#555753", "other": "#babdb6", "unknown": "#d3d7cf",
}

SEQUENCE = ["#1f4e79", "#2e86c1", "#76b7e5", "#f39c12", "#c0392b", "#7d3c98", "#16a085",
            "#7f8c8d", "#d35400", "#2c3e50"]

STATUS_COLOURS = {"on track": "#2e7d32", "at risk": "#f9a825", "off track": "#c62828",
                  "unknown": "#9e9e9e"}
SEX_COLOURS = {"F": "#8e44ad", "M": "#2e86c1", "unknown": OTHER}
# A single series (bars that are not by country or sector) and the threshold/target rules.
MAIN = "#1f4e79"
RULE = "#c0392b"


def scale_for(field: str, values: list[str]) -> alt.Scale:
    """The colour scale for a breakdown: fixed colours for countries and sectors."""
    fixed = {"country": COUNTRY_COLOURS, "sector": SECTOR_COLOURS,
             "sex": SEX_COLOURS}.get(field)
    if fixed is None:
        return alt.Scale(domain=values, range=[SEQUENCE[i % len(SEQUENCE)]
                                               for i in range(len(values))])
    return alt.Scale(domain=values, range=[fixed.get(v, OTHER) for v in values])
