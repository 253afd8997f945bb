"""What a donor report contains: its sections, their headline figures and their charts.

``build(source, filters, sections, …)`` asks ``source`` for every figure. ``source`` is
anything with ``figure(code, filters, by=(), *, cumulative=False)`` and
``progress(filters)``: ``SessionSource`` (``metrics.compute`` in a scoped session; the
command line and tests) or the page's ``ui.data`` module (the same figures, cached). No
figure comes from anywhere else, so what an export shows is exactly what the viewer may
see on screen: their countries only, small counts already hidden for donors.

Charts are built with the same ``views.charts`` builders the pages use.

Language: section, chart and indicator texts are English constants (``N_``); ``build``
translates them into the current language (``i18n.language``), so a report built inside
``with language("fr"):`` is French throughout, and ``reports.pptx``/``reports.pdf`` must
be called in the same language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import altair as alt
import pandas as pd
from sqlalchemy.orm import Session

import metrics
from data_access.scope import Scope
from i18n import N_, _
from i18n.formats import month
from i18n.vocab import field_name
from metrics import catalogue
from metrics.filters import Filters, Granularity, programme_start
from reports.files import Provenance, countries_words, hidden_count, period_words
from views import charts
from views.format import by_kind, dimension_label, is_missing, percent


class FigureSource(Protocol):
    def figure(self, code: str, filters: Filters, by: Sequence[str] = (), *,
               cumulative: bool = False) -> pd.DataFrame: ...

    def progress(self, filters: Filters) -> pd.DataFrame | None: ...


class SessionSource:
    """Figures straight from ``metrics.compute`` in one scoped session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def figure(self, code: str, filters: Filters, by: Sequence[str] = (), *,
               cumulative: bool = False) -> pd.DataFrame:
        return metrics.compute(code, self.session, filters, by, cumulative=cumulative)

    def progress(self, filters: Filters) -> pd.DataFrame | None:
        return metrics.progress(self.session, filters)


# --- the sections --------------------------------------------------------------------

@dataclass(frozen=True)
class ChartSpec:
    name: str  # export file stem
    code: str
    title: str  # English (N_); translated by ``build``
    what: str  # "returnee assisted": for "No … for …"
    draw: str = "bars"  # bars | stacked | cumulative
    field: str = ""  # the breakdown drawn (bars, stacked)
    colour: bool = True
    granularity: Granularity | None = None  # e.g. month for a cumulative line

    @property
    def by(self) -> tuple[str, ...]:
        if self.draw == "stacked":
            return (self.field, "period")
        return (self.field,) if self.field else ()

    def build(self, frame: pd.DataFrame, targets: pd.DataFrame | None = None, *,
              filters: Filters) -> alt.TopLevelMixin:
        """The chart, with the same ``views.charts`` builder the pages use (current language)."""
        spec = catalogue.get(self.code)
        title, unit = _(self.title), _(spec.unit)
        if self.draw == "cumulative":
            return charts.cumulative_line(frame, title=title, unit=unit, targets=targets)
        if self.draw == "stacked":
            return charts.stacked_periods(frame, self.field, title=title, unit=unit,
                                          filters=filters)
        return charts.bars(frame, self.field, title=title, unit=unit,
                           colour=self.colour,
                           value_format=".0%" if spec.kind == "rate" else ",.0f")


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    question: str
    codes: tuple[str, ...]
    charts: tuple[ChartSpec, ...]


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("headline", N_("Headline figures against targets"),
                N_("How many returnees have we reached, and are we on track?"),
                ("BEN-1", "BEN-2", "ASS-1", "ASS-2", "COOP-1", "COOP-2", "TRN-1", "CAP-1"),
                (ChartSpec("returnees_assisted_cumulative", "BEN-2",
                           N_("Returnees assisted, cumulative since the programme start"),
                           N_("returnee assisted"),
                           draw="cumulative", granularity="month"),)),
    SectionSpec("beneficiaries", N_("Beneficiaries"),
                N_("Who has returned and been assisted, and where?"),
                ("BEN-1", "BEN-2", "BEN-3", "ASS-3"),
                (ChartSpec("returnees_assisted_by_country", "BEN-2",
                           N_("Returnees assisted by country and period"), N_("returnee assisted"),
                           draw="stacked", field="country"),)),
    SectionSpec("sectors", N_("Sectors and grants"),
                N_("In which sectors were businesses set up, and with how much?"),
                ("ASS-1", "ASS-2"),
                (ChartSpec("projects_by_sector", "ASS-1", N_("Reintegration projects by sector"),
                           N_("reintegration project"), field="sector"),
                 ChartSpec("grants_by_sector", "ASS-2", N_("Grants disbursed by sector"),
                           N_("grant"), field="sector"))),
    SectionSpec("cooperatives", N_("Cooperatives"),
                N_("How many returnees pooled their grants in cooperatives?"),
                ("COOP-1", "COOP-2"),
                (ChartSpec("cooperative_members_by_sector", "COOP-2",
                           N_("Returnees in cooperatives by sector"), N_("cooperative member"),
                           field="sector"),)),
    SectionSpec("training", N_("Training and coaching"),
                N_("How many returnees were trained, and in what?"),
                ("TRN-1", "TRN-2", "TRN-3"),
                (ChartSpec("returnees_trained_by_kind", "TRN-1",
                           N_("Returnees trained by kind of training"), N_("returnee trained"),
                           field="kind", colour=False),)),
    SectionSpec("outcomes", N_("Outcomes: business survival and reintegration"),
                N_("Are the businesses still running, and is reintegration sustainable?"),
                ("FUP-1", "FUP-2", "FUP-3", "FUP-4"),
                (ChartSpec("jobs_created_by_sector", "FUP-3", N_("Jobs created by sector"),
                           N_("job created"), field="sector"),)),
    SectionSpec("capacity", N_("Capacity building"),
                N_("Which local institutions were sensitised, trained or equipped?"),
                ("CAP-1", "CAP-2"),
                (ChartSpec("people_reached_by_institution_type", "CAP-2",
                           N_("People reached by type of institution"), N_("person reached"),
                           field="institution_type", colour=False),)),
)
BY_KEY: dict[str, SectionSpec] = {s.key: s for s in SECTIONS}
SECTION_KEYS: tuple[str, ...] = tuple(BY_KEY)


def section_titles() -> dict[str, str]:
    """Section key → title in the current language."""
    return {s.key: _(s.title) for s in SECTIONS}


# --- the built report ----------------------------------------------------------------

@dataclass
class Figure:
    code: str
    title: str
    unit: str
    kind: str
    value: Any
    note: str
    text: str  # formatted for people ("1,234", "45.0 %", "<5")
    target: str = ""  # "1,000 by Dec 2016" when the logframe has one
    achieved: str = ""  # "83 %"
    status: str = ""  # on track / at risk / off track


@dataclass
class ChartItem:
    name: str
    title: str
    chart: alt.TopLevelMixin | None  # None: nothing to draw (no data)
    frame: pd.DataFrame
    what: str

    @property
    def hidden(self) -> int:
        return hidden_count(self.frame)

    def table(self) -> pd.DataFrame:
        """The chart's figures as a table for people (what CSV/XLSX/PDF show)."""
        return people_table(self.frame)


@dataclass
class Section:
    key: str
    title: str
    question: str
    figures: list[Figure]
    charts: list[ChartItem]
    narrative: str = ""


@dataclass
class Report:
    programme: str
    filters: Filters
    scope: Scope
    data_as_of: dt.datetime
    sections: list[Section]
    logframe: pd.DataFrame | None = None  # people table; None when there is no logframe
    title: str = field(default_factory=lambda: _("Progress report"))
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(
        microsecond=0))
    images: dict[str, bytes] = field(default_factory=dict, repr=False)  # PNGs, once rendered
    # What the money figures are in and at which rates (issue 20): "Amounts in EUR; MAD
    # converted at the monthly rates of 2016-01 to 2016-03 (InforEuro)".
    money_note: str = ""

    @property
    def provenance(self) -> Provenance:
        return Provenance(self.programme, self.filters, self.data_as_of,
                          self.scope.suppression_threshold if self.scope.aggregates_only
                          else None, self.scope.rounding_base, self.money_note)

    @property
    def period(self) -> str:
        return period_words(self.filters.start, self.filters.end)

    @property
    def countries(self) -> str:
        return countries_words(self.filters)

    @property
    def hidden(self) -> int:
        return sum(c.hidden for s in self.sections for c in s.charts) + sum(
            1 for s in self.sections for f in s.figures if f.note)

    def notes(self) -> str:
        """Speaker notes / colophon: the filters in words and the data's time."""
        return "\n".join(self.provenance.lines(self.hidden or None))


def people_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Breakdown columns in words, the value formatted or its note ("<5")."""
    out = pd.DataFrame()
    dims = [c for c in frame.columns if c not in ("value", "value_note", "period_start")
            and frame[c].dtype == object and c not in ("numerator", "denominator")]
    for dim in dims:
        out[field_name(dim)] = [dimension_label(dim, v) for v in frame[dim]]
    notes = frame["value_note"] if "value_note" in frame else pd.Series([""] * len(frame))
    out[_("Value")] = [note if note else (None if is_missing(v) else v)
                    for v, note in zip(frame["value"], notes.fillna(""), strict=False)]
    return out


def _target_columns(progress: pd.DataFrame | None, code: str,
                    filters: Filters) -> tuple[str, str, str]:
    """The logframe comparison the dashboard's cards show (``metrics.targets.comparison``):
    the figure since the programme start to the period end against the target due then."""
    from metrics import targets

    row = targets.comparison(progress, code, filters.countries, filters.end)
    if row is None:
        return "", "", ""  # no target applies (or the actual is hidden)
    spec = catalogue.get(code)
    target = _("{actual} of {due} due by {date}, since the programme start").format(
        actual=by_kind(row["actual"], spec.kind), due=by_kind(row["prorated_target"],
                                                              spec.kind),
        date=month(pd.Timestamp(row["as_of"])))
    return target, percent(row["due_achieved"], digits=0), str(row["status"])


# Column → heading (English, translated by ``logframe_table``). The status column keeps
# its codes (on track, …): the slide and PDF colour cells by them; ``status_label`` words
# them.
LOGFRAME_COLUMNS = {"indicator": N_("Indicator"), "country": N_("Country"),
                    "period_end": N_("By"), "baseline": N_("Baseline"),
                    "target": N_("Target"), "prorated_target": N_("Target to date"),
                    "actual": N_("Actual"), "achieved": N_("% achieved"),
                    "status": N_("Status")}


def status_label(status: str) -> str:
    """A logframe status code (on track, at risk, off track) in the current language."""
    return dimension_label("logframe_status", status) if status else ""


def logframe_table(progress: pd.DataFrame | None) -> pd.DataFrame | None:
    """``metrics.targets.progress`` for people: one row per target."""
    if progress is None or progress.empty:
        return None
    out = pd.DataFrame()
    for column, english in LOGFRAME_COLUMNS.items():
        if column not in progress:
            continue
        label = _(english)
        values = progress[column]
        if column == "indicator":
            out[label] = [f"{c} {_(catalogue.get(c).title)}" if c in catalogue.BY_CODE else c
                          for c in values]
        elif column == "country":
            out[label] = [_("All countries") if is_missing(c) or c is None
                          else dimension_label("country", c) for c in values]
        elif column == "period_end":
            out[label] = [month(pd.Timestamp(v)) for v in values]
        elif column == "achieved":
            out[label] = [percent(v, digits=0) for v in values]
        elif column in ("baseline", "target", "prorated_target", "actual"):
            kinds = [catalogue.get(c).kind if c in catalogue.BY_CODE else "count"
                     for c in progress["indicator"]]
            notes = progress.get("actual_note") if column == "actual" else None
            out[label] = [by_kind(v, k, "" if notes is None else (notes.iloc[i] or ""))
                          for i, (v, k) in enumerate(zip(values, kinds, strict=False))]
        else:
            out[label] = ["" if is_missing(v) else str(v) for v in values]
    return out


def _chart(source: FigureSource, spec: ChartSpec, filters: Filters,
           target_points: pd.DataFrame | None) -> ChartItem:
    f = replace(filters, granularity=spec.granularity) if spec.granularity else filters
    if spec.draw == "cumulative":
        # From the programme start, shown over the period: the line starts from the figure
        # before the period (as on the Overview), not from 0.
        since = replace(f, start=min(programme_start(), f.start))
        frame = source.figure(spec.code, since, spec.by, cumulative=True)
        if "period_start" in frame:
            frame = frame[frame["period_start"] >= f.start.replace(day=1)].reset_index(
                drop=True)
    else:
        frame = source.figure(spec.code, f, spec.by)
    for dim in spec.by:
        # BEN-2-based breakdowns (COOP-2, FUP-3 by sector) can return a missing key where
        # ASS-1 says "unknown"; show it the same way (and keep the chart builder working).
        if dim in frame and dim != "period":
            frame[dim] = frame[dim].astype(object).where(frame[dim].notna(), "unknown")
    values = pd.to_numeric(frame["value"], errors="coerce") if "value" in frame else None
    drawable = values is not None and bool((values.fillna(0) != 0).any())
    chart = spec.build(frame, target_points, filters=f) if drawable else None
    return ChartItem(spec.name, _(spec.title), chart, frame, _(spec.what))


def _target_points(progress: pd.DataFrame | None, code: str,
                   filters: Filters) -> pd.DataFrame | None:
    """Targets of ``code`` as (period_start, value) points for the cumulative line: those
    ending in the period and the one due at its end (``metrics.targets.target_points``)."""
    from metrics import targets

    return targets.target_points(progress, code, filters.countries, filters.start,
                                 filters.end)


def build(source: FigureSource, filters: Filters, sections: Sequence[str], *,
          scope: Scope, programme: str, data_as_of: dt.datetime,
          narratives: dict[str, str] | None = None, money_note: str = "") -> Report:
    """The report for ``filters`` as the viewer with ``scope`` may see it."""
    if scope.countries is not None:
        filters = replace(filters, countries=scope.narrow(filters.countries))
    unknown = [s for s in sections if s not in BY_KEY]
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; "
                         f"known: {', '.join(SECTION_KEYS)}")
    narratives = narratives or {}
    progress = source.progress(filters)
    built: list[Section] = []
    for key in [k for k in SECTION_KEYS if k in sections]:
        spec = BY_KEY[key]
        figures = []
        for code in spec.codes:
            indicator = catalogue.get(code)
            row = source.figure(code, filters).iloc[0]
            note = str(row.get("value_note") or "")
            target, achieved, status = (_target_columns(progress, code, filters)
                                        if key == "headline" else ("", "", ""))
            figures.append(Figure(code, _(indicator.title), _(indicator.unit), indicator.kind,
                                  row["value"], note, by_kind(row["value"], indicator.kind,
                                                              note),
                                  target, achieved, status))
        chart_items = [_chart(source, c, filters, _target_points(progress, c.code, filters))
                       for c in spec.charts]
        built.append(Section(key, _(spec.title), _(spec.question), figures, chart_items,
                             narratives.get(key, "")))
    return Report(programme, filters, scope, data_as_of, built,
                  logframe_table(progress) if "headline" in sections else None,
                  money_note=money_note)
