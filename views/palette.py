"""One colour per country and per sector, on every page and export.

A country's colour is the one its programme file gives it (``[colours]``), else the next
colour of ``COUNTRY_SEQUENCE`` not taken by another country of the programme, in the
file's order of countries; past the end of that list, evenly spread hues (golden angle),
so any number of countries gets distinct, stable colours: the same programme file always
gives each country the same colour, on every page and export.
"""

from __future__ import annotations

import colorsys
from functools import cache

import altair as alt

from data_access.programme import Programme, programme

OTHER = "#8a8a8a"
# Country colours for programmes whose file names none (Okabe–Ito-like, distinguishable).
COUNTRY_SEQUENCE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9",
                    "#f0e442", "#7f3c8d", "#11a579", "#3969ac", "#f2b701", "#e73f74")

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


@cache
def _country_colours(of: Programme) -> dict[str, str]:
    colours = {code: colour for code in of.countries if (colour := of.colour(code))}
    free = [c for c in COUNTRY_SEQUENCE if c.lower() not in
            {v.lower() for v in colours.values()}]
    extra = 0
    for code in of.countries:
        if code in colours:
            continue
        if free:
            colours[code] = free.pop(0)
            continue
        hue = (0.61803398875 * extra) % 1.0
        red, green, blue = colorsys.hls_to_rgb(hue, 0.45, 0.65)
        colours[code] = f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
        extra += 1
    return colours


def country_colours() -> dict[str, str]:
    """Each programme country's colour (see the module docstring)."""
    return _country_colours(programme())


def scale_for(field: str, values: list[str]) -> alt.Scale:
    """The colour scale for a breakdown: fixed colours for countries and sectors."""
    fixed = {"country": country_colours(), "sector": SECTOR_COLOURS,
             "sex": SEX_COLOURS}.get(field)
    if fixed is None:
        return alt.Scale(domain=values, range=[SEQUENCE[i % len(SEQUENCE)]
                                               for i in range(len(values))])
    return alt.Scale(domain=values, range=[fixed.get(v, OTHER) for v in values])
