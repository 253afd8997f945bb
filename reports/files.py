"""One chart → PNG/SVG, one table → CSV/XLSX, and the names and source lines of the files.

Every exported file states where it comes from (``Provenance.lines()``): the programme
name, the period, the countries, the filters in words, the "data as of" time and — for an
aggregate-only (donor) viewer — the suppression rule. Where it goes:

- PNG/SVG: extra subtitle lines under the chart's own title.
- XLSX: the table on the first sheet, its header on row 1 (panes frozen under it), figures
  as numbers with number formats (``typed``: percentages as fractions shown as %); the
  bold title and the source lines on a sheet of its own, "Source".
- CSV: the header on the first line, then the data, nothing else (Excel, pandas and R
  read it as it is). Its provenance is its file name: what, countries, period
  (``file_name``); the source lines, "data as of" and the suppression rule are in the
  XLSX of the same table. Data cells never start with ``#`` (see below).

Spreadsheet hygiene is ``data_access.spreadsheet``'s, the one writer of every XLSX and
CSV: a text that starts like a formula (or a CSV comment) is kept as text, the same way
in every file the dashboard writes (its docstring says which texts and how).

File names say what and when: ``<stem>_<countries>_<period>.<ext>``, e.g.
``beneficiaries_by_sector_MA_2016Q3.xlsx``; the period is ``2016Q3``, ``2016``, ``2016-03``
or ``2015-2016`` when the range is exactly a quarter, year(s) or month, else
``2016-01-15_2016-02-20``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
from openpyxl.styles import Font

from data_access import spreadsheet
from data_access.lookups import reporting_currency
from i18n import _, ngettext
from i18n.formats import currency_symbol, date, datetime, month, quarter
from metrics.filters import Filters, country_name
from views.format import vega_locale

EXPORT_WIDTH = 640  # px; charts on pages stretch to their column, exports need a size


# --- periods and file names ----------------------------------------------------------

def _month_end(day: dt.date) -> dt.date:
    first_next = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def period_kind(start: dt.date, end: dt.date) -> str | None:
    """"month", "quarter", "year", "years" when the range is exactly that, else None."""
    if start.day != 1 or end != _month_end(end):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 1:
        return "month"
    if months == 3 and start.month in (1, 4, 7, 10):
        return "quarter"
    if start.month == 1 and end.month == 12:
        return "year" if months == 12 else "years"
    return None


def period_slug(start: dt.date, end: dt.date) -> str:
    """The period in a file name: 2016Q3, 2016, 2016-03, 2015-2016 or the two dates."""
    kind = period_kind(start, end)
    if kind == "month":
        return f"{start:%Y-%m}"
    if kind == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    if kind == "year":
        return str(start.year)
    if kind == "years":
        return f"{start.year}-{end.year}"
    return f"{start.isoformat()}_{end.isoformat()}"


def period_words(start: dt.date, end: dt.date) -> str:
    """The period for people (current language): "Q3 2016", "March 2016", "2016",
    "2015–2016" or the two dates."""
    kind = period_kind(start, end)
    if kind == "month":
        return month(start, long=True)
    if kind == "quarter":
        return quarter(start.year, (start.month - 1) // 3 + 1)
    if kind == "year":
        return str(start.year)
    if kind == "years":
        return f"{start.year}–{end.year}"
    return f"{date(start)} – {date(end)}"


def countries_slug(filters: Filters) -> str:
    return "-".join(filters.countries) if filters.countries else "ALL"


def countries_words(filters: Filters) -> str:
    return (", ".join(country_name(c) for c in filters.countries)
            if filters.countries else _("all countries"))


def file_name(stem: str, filters: Filters, ext: str) -> str:
    """``beneficiaries_by_sector_MA_2016Q3.xlsx``: what, where, when."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", stem.strip()).strip("_") or "export"
    return f"{clean}_{countries_slug(filters)}_{period_slug(filters.start, filters.end)}.{ext}"


# --- where a file comes from ---------------------------------------------------------

@dataclass(frozen=True)
class Provenance:
    """What every exported file says about its source."""

    programme: str
    filters: Filters
    data_as_of: dt.datetime
    threshold: int | None = None  # the suppression threshold when it applies (donors)
    base: int = 5  # the rounding base of donors' counts (data_access.disclosure)
    money: str = ""  # a money figure's currency and rates (data_access.currency, issue 20)

    def suppression_rule(self) -> str:
        if self.threshold is None:
            return ""
        return _("Disclosure control: counts below {n} are shown as \"<{n}\", other counts "
                 "are randomly rounded to a multiple of {base} (so figures need not add up), "
                 "and rates or averages resting on fewer than {n} people are not shown."
                 ).format(n=self.threshold, base=self.base)

    def lines(self, hidden: int | None = None) -> list[str]:
        f = self.filters
        lines = [
            _("Source: {programme}").format(programme=self.programme),
            _("Period: {period}; countries: {countries}").format(
                period=period_words(f.start, f.end), countries=countries_words(f)),
            _("Filters: {filters}").format(filters=f.describe()),
            _("Data as of {moment}").format(moment=datetime(self.data_as_of)),
        ]
        rule = self.suppression_rule()
        if rule:
            if hidden:
                rule += " " + ngettext("{n} figure hidden here.", "{n} figures hidden here.",
                                       hidden).format(n=hidden)
            lines.append(rule)
        if self.money:
            lines.append(self.money)
        return lines


def hidden_count(frame: pd.DataFrame) -> int:
    if "value_note" not in frame:
        return 0
    return int((frame["value_note"].fillna("") != "").sum())


# --- charts --------------------------------------------------------------------------

def with_source(chart: alt.TopLevelMixin, lines: list[str],
                large: bool = False) -> alt.TopLevelMixin:
    """A copy of ``chart`` with ``lines`` added under its title, a fixed width and a white
    background (vl-convert renders transparent otherwise). ``large``: bigger type and
    bars, for a slide or a printed page."""
    # Every top-level chart is a SchemaBase, which holds copy() and the title;
    # TopLevelMixin, the type the pages pass charts as, declares neither.
    if not isinstance(chart, alt.SchemaBase):
        raise TypeError(f"not an Altair chart: {chart!r}")
    chart = chart.copy(deep=True)
    title = chart.title
    text: Any = ""
    subtitle: list[str] = []
    params: dict[str, Any] = {}
    if isinstance(title, alt.TitleParams):
        params = {k: v for k, v in title.to_dict().items() if k not in ("text", "subtitle")}
        text = title.text
        old = title.subtitle
        if isinstance(old, str):
            subtitle = [old]
        elif isinstance(old, list):
            subtitle = list(old)
    elif isinstance(title, str):
        text = title
    if text or lines:
        params.setdefault("anchor", "start")
        chart.title = alt.TitleParams(text or " ", subtitle=subtitle + list(lines),
                                      subtitleFontSize=10, subtitleColor="#555555",
                                      **params)
    if isinstance(chart, alt.Chart | alt.LayerChart) and chart.width is alt.Undefined:
        chart = chart.properties(width=EXPORT_WIDTH)
    if large and isinstance(chart, alt.Chart | alt.LayerChart) and \
            isinstance(chart.height, alt.Step):
        chart = chart.properties(height=alt.Step(34))
    if large and isinstance(chart, alt.Chart | alt.LayerChart) and \
            not isinstance(chart.height, alt.Step):
        chart = chart.properties(height=240)
    configured = chart.configure(background="white", locale=vega_locale())
    if large:
        configured = (configured.configure_axis(labelFontSize=13, titleFontSize=13)
                      .configure_legend(labelFontSize=13)
                      .configure_title(fontSize=17, subtitleFontSize=12))
    return configured


def _spec(chart: alt.TopLevelMixin, lines: list[str], large: bool = False) -> dict[str, Any]:
    """The Vega-Lite spec as plain JSON (dates in the data become ISO strings)."""
    spec = with_source(chart, lines, large).to_dict()
    return json.loads(json.dumps(spec, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot put {type(value).__name__} in a chart spec")


def chart_png(chart: alt.TopLevelMixin, lines: list[str] | None = None,
              scale: float = 2.0, large: bool = False) -> bytes:
    """PNG through vl-convert, from the same Altair spec the page draws."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(_spec(chart, lines or [], large), scale=scale,
                                            vl_version=_vl_version()))


def chart_svg(chart: alt.TopLevelMixin, lines: list[str] | None = None) -> bytes:
    import vl_convert

    svg = vl_convert.vegalite_to_svg(_spec(chart, lines or []), vl_version=_vl_version())
    return svg.encode("utf-8")


def _vl_version() -> str:
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_version_for_vl_convert()


# --- tables --------------------------------------------------------------------------

def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets read the accents): the header row on the first
    line, then the data. Where it comes from is in the file name (what, countries, period:
    ``file_name``); the XLSX download of the same table has the full source on a sheet of
    its own."""
    return spreadsheet.frame_to_csv_bytes(frame)


# --- figures written as text by the pages, back to numbers ---------------------------------
# The pages' tables hold figures formatted for people in the viewer's language ("1,234",
# "94.9%", "€1,200" or "$1,200" (the reporting currency's sign), "12 days"; French "1 234",
# "94,9 %", "1 200 €" or "1 200 $US", "12 jours"). A
# spreadsheet needs numbers: each such text becomes the number it shows (a percentage as
# a fraction) with an Excel number format that shows it the same way. Anything else
# ("<5", "hidden", "–", names, codes, "Dec 2016") stays text.

SPACES = " \u00a0\u202f"


def _number_pattern() -> str:
    """A number as ``i18n.formats`` writes it in the current language (no leading zeros:
    a code like "007" is not a number; grouped or not)."""
    symbols = vega_locale()["number"]  # the separators only
    decimal = re.escape(symbols["decimal"])
    group = "," if symbols["thousands"] == "," else f"[{re.escape(symbols['thousands'])}{SPACES}]"
    return (rf"(?P<sign>[-\u2212])?(?P<int>0|[1-9]\d{{0,2}}(?:{group}\d{{3}})+|[1-9]\d*)"
            rf"(?:{decimal}(?P<frac>\d+))?")


def typed(value: Any) -> tuple[Any, str | None]:
    """``value`` as a spreadsheet should hold it: (number, Excel number format) for a
    figure formatted by ``i18n.formats`` (count, decimal, percentage, an amount in the
    reporting currency, days), else
    (value, None)."""
    if not isinstance(value, str):
        return value, None
    text = value.strip()
    if not text or len(text) > 40:
        return value, None
    days = re.escape(_("{number} days")).replace(re.escape("{number}"), "(?P<n>.+)")
    kind = "number"
    sign = currency_symbol(reporting_currency())
    found_days = re.fullmatch(days, text)
    if found_days:
        text, kind = found_days.group("n"), "days"
    elif text.endswith("%"):
        text, kind = text[:-1].rstrip(SPACES), "percent"
    elif text.startswith(sign):
        text, kind = text[len(sign):].lstrip(SPACES), "money_before"
    elif text.endswith(sign):
        text, kind = text[:-len(sign)].rstrip(SPACES), "money_after"
    found = re.fullmatch(_number_pattern(), text)
    if found is None:
        return value, None
    integer = re.sub(r"\D", "", found.group("int"))
    frac = found.group("frac") or ""
    number: float = float(f"{integer}.{frac}") if frac else int(integer)
    if found.group("sign"):
        number = -number
    places = "." + "0" * len(frac) if frac else ""
    if kind == "percent":
        return round(number / 100, len(frac) + 2), f"0{places}%"
    if kind == "money_before":
        return number, f'"{sign}"#,##0{places}'
    if kind == "money_after":
        return number, f'#,##0{places} "{sign}"'
    if kind == "days":
        return number, f'#,##0{places} "{_("days")}"'
    return number, f"#,##0{places}"


TITLE_FONT = Font(bold=True, size=13)
SOURCE_FONT = Font(italic=True, color="555555")


def table_xlsx(frame: pd.DataFrame, lines: list[str] | None = None,
               title: str = "", sheet: str = "Data") -> bytes:
    """Two sheets: the table (its header on the first row, figures as numbers with
    number formats, text as text) and "Source" (the title and where the table comes
    from)."""
    book = spreadsheet.workbook()
    spreadsheet.write_frame(book, frame, sheet or "Data", typed=typed, freeze=True,
                            fit=True)
    heading = [(title, TITLE_FONT)] if title else []
    spreadsheet.write_lines(book, _("Source"),
                            heading + [(line, SOURCE_FONT) for line in lines or []],
                            width=100)
    return spreadsheet.workbook_bytes(book)


MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}
