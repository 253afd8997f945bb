"""A differencing attacker against the donor's figures (issue 14, item 7).

The attacker signs in as a donor on the demo database (``manage.py demo-data``: 620
returnees, seed 2015) and reads what the donor pages show: the indicator × breakdown pairs
of the donor pages (Overview, Beneficiaries, Projects, Cooperatives, Training, Outcomes,
Capacity, Donor report; KPI cards = the one-row totals; the Overview's monthly cumulative
BEN-2; the assisted returnees by route and the host countries), for every non-empty
country set (7), over the whole programme, each year, each quarter and three custom
whole-month ranges (January 2015, February 2015–December 2016, June 2015–May 2016). To stay
within ~2 minutes, breakdowns are read for the whole programme, the years and the custom
ranges (each quarter only as totals), two-way breakdowns for the single countries and all
countries only.

Every published count is an interval of true values: 0 → [0, 0]; "<T" → [1, T−1] (under
the rounding method, which hides zeros too: [0, T−1]); a shown count p → exactly p when the
method publishes exact counts, or [max(p − (B−1), T), p + (B−1)] when it rounds to base B
(the perturbation table's bound; every shown count must then be a multiple of B); a
hidden measure without a note → no information (under the rounding method: [0, T−1]).
Rates, shares and means are turned back into counts:
rate × published denominator is a published value of the numerator (COOP-2's share ×
BEN-2 gives COOP-2, FUP-4's sustainable share × returnees scored gives the sustainable
count). The attacker then propagates bounds to a fixpoint over the additive relations:

- a country set is the disjoint union of its countries;
- for additive indicators a period is the union of its sub-periods (a year = its
  quarters, a range = two published ranges side by side, consecutive cumulative values
  differ by a month's count);
- a total is the sum of a breakdown's cells where a record is in exactly one cell (sex,
  age, region, return type, host country, route; sector, modality and kind for records of
  assistance and attendance; capacity activities by type and activity). Vulnerability and
  the other multi-valued breakdowns are never summed.

Every relation is checked against the true values before it is used (a relation that
does not hold is dropped), and every published interval must contain the truth, so the
attacker is sound. The test then asserts that no count from 1 to T − 1 that the donor
sees (as "<T" or otherwise) or that is a difference of what they see (a single month of a
cumulative series, a row of a two-way table) is pinned down: each keeps at least two
possible integer values. The true values come from the staff (unprotected) functions,
used only to check.

Not modelled: money sums (ASS-2's amounts are not counts; see docs/disclosure.md, known
limits), the cooperative list (one row per cooperative with its registration date: COOP-1
is a count of organisations the list shows by name), the funnel and the Targets page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

import pandas as pd
import pytest

import demo
from data_access import db
from data_access.scope import Scope
from metrics import catalogue, compute, periods
from metrics.cooperatives import assisted_by_route
from metrics.distributions import host_countries
from metrics.filters import Filters

T = 5
DONOR = Scope(aggregates_only=True, suppression_threshold=T)
STAFF = Scope.everything()
B = int(getattr(DONOR, "rounding_base", 1))  # 1: the method publishes exact counts
COUNTRIES = ("MA", "SN", "TN")
COUNTRY_SETS = [frozenset(c) for n in (1, 2, 3) for c in combinations(COUNTRIES, n)]
START = dt.date(2015, 1, 1)
INF = math.inf


def month_index(day: dt.date) -> int:
    return (day.year - START.year) * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    return dt.date(START.year + index // 12, index % 12 + 1, 1)


def month_end(index: int) -> dt.date:
    return month_start(index + 1) - dt.timedelta(days=1)


YEARS = [(0, 11), (12, 23)]
QUARTERS = [(q, q + 2) for q in range(0, 24, 3)]
CUSTOM = [(0, 0), (1, 23), (5, 16)]
WHOLE = (0, 23)
PERIODS = [WHOLE, *YEARS, *QUARTERS, *CUSTOM]
WIDE_PERIODS = [WHOLE, *YEARS, *CUSTOM]

# (code, breakdowns) of the donor pages and the donor report; one-row totals are the KPI
# cards and the report's figures.
ONE_WAY = [
    ("BEN-2", ("country", "period")), ("ASS-1", ("sector",)), ("ASS-1", ("modality",)),
    ("BEN-2", ("sex",)), ("BEN-2", ("vulnerability",)), ("BEN-1", ("return_type",)),
    ("BEN-2", ("country",)), ("ASS-2", ("country",)), ("ASS-2", ("sector",)),
    ("ASS-3", ("country",)), ("ASS-3", ("period",)), ("COOP-1", ("country", "period")),
    ("COOP-1", ("sector",)), ("COOP-2", ("sex",)), ("COOP-2", ("vulnerability",)),
    ("COOP-2", ("sector",)), ("TRN-2", ("country",)), ("TRN-3", ("kind",)),
    ("TRN-1", ("period",)), ("TRN-1", ("kind",)), ("FUP-1", ("country",)),
    ("FUP-2", ("sector",)), ("FUP-2", ("modality",)), ("FUP-2-12M", ("sector",)),
    ("FUP-2-12M", ("modality",)), ("FUP-3", ("sector",)), ("FUP-3", ("country",)),
    ("FUP-4", ("country",)), ("CAP-1", ("country",)), ("CAP-2", ("country", "period")),
    ("CAP-2", ("institution_type",)),
]
TWO_WAY = [
    ("BEN-2", ("age_group", "sex")), ("BEN-2", ("country", "region")),
    ("ASS-1", ("country", "modality")), ("ASS-1", ("sector", "country")),
    ("COOP-1", ("country", "region")), ("TRN-1", ("kind", "country")),
    ("TRN-3", ("kind", "country")), ("TRN-1", ("kind", "period")),
    ("CAP-1", ("institution_type", "activity")), ("CAP-2", ("activity", "country")),
    ("CAP-1", ("country", "institution_type")), ("CAP-2", ("country", "institution_type")),
]
TOTALS = [spec.code for spec in catalogue.CATALOGUE]

# Breakdowns along which a code's cells add up to their total (each record in one cell).
PERSON = {"country", "sex", "age_group", "region", "return_type", "host_country", "route"}
RECORD = PERSON | {"sector", "modality", "kind"}
SUMMABLE = {code: PERSON for code in TOTALS} | {
    "ASS-1": RECORD, "ASS-2": RECORD, "TRN-3": RECORD,
    "CAP-2": {"country", "institution_type", "activity"},
    "CAP-1": {"country", "institution_type"}, "COOP-1": {"country", "sector", "region"}}

# The count columns of each unit kind, and shares that are a count ÷ a published count.
COUNTS = {"COOP-2": ("value", "denominator"), "count": ("value",),
          "rate": ("numerator", "denominator"),
          "money": ("records",), "days": ("beneficiaries",), "score": ("beneficiaries",)}
RATIOS = {"rate": [("value", "denominator", "numerator")],
          "count": [("share", "denominator", "value")],
          "score": [("sustainable_share", "beneficiaries", "sustainable")]}

Cell = tuple  # (code, measure, first month, last month, countries, ((dim, value), …))


@dataclass
class Var:
    lo: float = 0.0
    hi: float = INF
    truth: float | None = None
    published: bool = False


@dataclass
class Attack:
    vars: dict[Cell, Var] = field(default_factory=lambda: defaultdict(Var))
    relations: list[tuple[Cell, list[Cell]]] = field(default_factory=list)
    rows: list[tuple[Cell, float, float]] = field(default_factory=list)  # cell, lo, hi
    dropped: int = 0

    def observe(self, cell: Cell, lo: float, hi: float, truth: float) -> None:
        var = self.vars[cell]
        assert var.truth is None or var.truth == truth, ("one cell, two truths", cell)
        var.truth, var.published = truth, True
        assert lo <= truth <= hi, ("the published interval misses the truth", cell, lo, hi,
                                   truth)
        var.lo, var.hi = max(var.lo, lo), min(var.hi, hi)

    def relate(self, total: Cell, parts: list[Cell]) -> None:
        """``total`` = Σ ``parts``: used when the truths agree (or fill an unseen cell)."""
        truths = [self.vars[p].truth for p in parts]
        whole = self.vars[total]
        unknown = [p for p, t in zip(parts, truths, strict=True) if t is None]
        if unknown:  # a difference of published cells (one month of a cumulative series)
            if len(unknown) > 1 or whole.truth is None:
                return
            self.vars[unknown[0]].truth = whole.truth - sum(t for t in truths if t is not None)
            truths = [self.vars[p].truth for p in parts]
        known = [t for t in truths if t is not None]  # all of them, after the step above
        if len(known) < len(truths):
            return
        if whole.truth is None:
            whole.truth = float(sum(known))
        elif whole.truth != sum(known):
            self.dropped += 1
            return
        self.relations.append((total, parts))

    def propagate(self, rounds: int = 60) -> None:
        for _round in range(rounds):
            changed = False
            for total, parts in self.relations:
                whole = self.vars[total]
                members = [self.vars[p] for p in parts]
                low = sum(m.lo for m in members)
                high = sum(m.hi for m in members)
                if low > whole.lo:
                    whole.lo, changed = low, True
                if high < whole.hi:
                    whole.hi, changed = high, True
                for m in members:
                    new_lo = whole.lo - (high - m.hi)
                    new_hi = whole.hi - (low - m.lo)
                    if new_lo > m.lo:
                        m.lo, changed = new_lo, True
                    if new_hi < m.hi:
                        m.hi, changed = new_hi, True
                    low, high = sum(x.lo for x in members), sum(x.hi for x in members)
            if not changed:
                return


def interval(shown: float, note: str, measure_hidden_means_small: bool) -> tuple[float, float]:
    """What one published count says about its true value."""
    if pd.isna(shown):
        if measure_hidden_means_small:  # rounding method: "<T" is 0 … T − 1
            return 0.0, T - 1.0
        if str(note).startswith("<"):
            return 1.0, T - 1.0
        return 0.0, INF
    shown = float(shown)
    if shown == 0:
        return 0.0, 0.0
    if B == 1:
        return shown, shown
    assert shown % B == 0, f"a rounded count {shown} that is not a multiple of {B}"
    return max(shown - (B - 1), T), shown + (B - 1)


def _cell_of(code: str, measure: str, row: pd.Series, by: Iterable[str], f: Filters,
             cumulative: bool) -> Cell:
    first, last = month_index(f.start), month_index(f.end)
    countries = frozenset(f.countries) or frozenset(COUNTRIES)
    dims = []
    for d in by:
        if d == "country":
            countries = frozenset({row["country"]})
        elif d == "period":
            key = periods.key_of(pd.Timestamp(row["period_start"]).date(), f.granularity)
            p_first, p_last = periods.bounds(key, f.granularity)
            first_p = max(month_index(p_first), first)
            last_p = min(month_index(p_last), last)
            if cumulative:
                last = last_p
            else:
                first, last = first_p, last_p
        else:
            dims.append((d, str(row[d])))
    return (code, measure, first, last, countries, tuple(sorted(dims)))


def _read(attack: Attack, code: str, kind: str, f: Filters, by: tuple[str, ...],
          published: pd.DataFrame, truth: pd.DataFrame, cumulative: bool = False,
          summable: set[str] | None = None) -> None:
    dims = [d for d in by if d in truth.columns]
    keys = ["period_start" if d == "period" else d for d in dims]
    merged = truth.merge(published, on=keys, how="left", suffixes=("_true", "")) if keys \
        else truth.add_suffix("_true").join(published)
    new_method = B > 1
    groups: dict[tuple[str, Cell], list[Cell]] = defaultdict(list)
    for _index, row in merged.iterrows():
        note = row.get("value_note", "")
        note = "" if pd.isna(note) else str(note)
        for measure in COUNTS.get(code, COUNTS.get(kind, ())):
            if f"{measure}_true" not in row:
                continue
            cell = _cell_of(code, measure, row, by, f, cumulative)
            true_value = float(row[f"{measure}_true"] or 0)
            own_note = note if measure == "value" else ""
            lo, hi = interval(row.get(measure, math.nan), own_note, new_method)
            attack.observe(cell, lo, hi, true_value)
            for d in dims:
                if d in (summable if summable is not None else SUMMABLE.get(code, set())) \
                        or (d == "period" and catalogue.get(code).additive
                            and not cumulative):
                    rest = [x for x in dims if x != d]
                    whole = _cell_of(code, measure, row, rest, f, cumulative)
                    groups[(measure, whole)].append(cell)
        for share, base, measure in RATIOS.get(kind, ()):
            if share not in row or pd.isna(row.get(share)) or pd.isna(row.get(base)):
                continue
            if f"{measure}_true" not in row and measure != "sustainable":
                continue
            if measure == "sustainable":
                true_value = round(float(row["sustainable_share_true"] or 0)
                                   * float(row["beneficiaries_true"] or 0))
            else:
                true_value = float(row[f"{measure}_true"] or 0)
            cell = _cell_of(code, measure, row, by, f, cumulative)
            derived = round(float(row[share]) * float(row[base]), 6)
            if B == 1 and float(derived) != round(derived):
                continue
            derived = float(round(derived))
            lo, hi = interval(derived, "", new_method)
            attack.observe(cell, lo, hi, true_value)
    for (_measure, whole), parts in groups.items():
        attack.relate(whole, parts)


def _period_relations(attack: Attack) -> None:
    """For additive indicators: a range is two published ranges side by side, a year its
    quarters; consecutive cumulative values differ by the months between them."""
    by_group: dict[tuple, set[tuple[int, int]]] = defaultdict(set)
    for cell in list(attack.vars):
        code, measure, first, last, countries, dims = cell
        if catalogue.get(code).additive:
            by_group[(code, measure, countries, dims)].add((first, last))
    for (code, measure, countries, dims), ranges in by_group.items():
        def ranged(r: tuple[int, int]) -> Cell:
            return (code, measure, r[0], r[1], countries, dims)  # noqa: B023
        starts: dict[int, list[int]] = defaultdict(list)
        for first, last in ranges:
            starts[first].append(last)
        # Differences of ranges that start together: (a, c) − (a, b) = (b + 1, c).
        for first, lasts in starts.items():
            lasts.sort()
            for b, c in zip(lasts, lasts[1:], strict=False):
                attack.relate(ranged((first, c)), [ranged((first, b)), ranged((b + 1, c))])
        known = {(r[0], r[1]) for r in ranges} | {
            (c[2], c[3]) for c in attack.vars if c[:2] == (code, measure)
            and c[4] == countries and c[5] == dims}
        for first, last in sorted(known):
            for middle in range(first, last):
                if (first, middle) in known and (middle + 1, last) in known:
                    attack.relate(ranged((first, last)),
                                  [ranged((first, middle)), ranged((middle + 1, last))])


def _country_relations(attack: Attack) -> None:
    for cell in list(attack.vars):
        code, measure, first, last, countries, dims = cell
        if len(countries) > 1:
            parts = [(code, measure, first, last, frozenset({c}), dims) for c in
                     sorted(countries)]
            if all(p in attack.vars for p in parts):
                attack.relate(cell, parts)


@pytest.fixture(scope="module")
def demo_url(make_database: Callable[[str, str], str]) -> str:
    url = make_database("sqlite", "differencing_demo")
    demo.load(url, demo.generate(), progress=lambda _line: None)
    return url


def queries() -> list[tuple[str, tuple[str, ...], tuple[int, int], frozenset[str]]]:
    asked: list[tuple[str, tuple[str, ...], tuple[int, int], frozenset[str]]] = []
    for countries in COUNTRY_SETS:
        for r in PERIODS:
            asked += [(code, (), r, countries) for code in TOTALS]
            if r in WIDE_PERIODS:
                asked += [(code, by, r, countries) for code, by in ONE_WAY]
            if (len(countries) in (1, 3)) and r in WIDE_PERIODS:
                asked += [(code, by, r, countries) for code, by in TWO_WAY]
    return asked


def run_attack(url: str) -> tuple[Attack, list[Cell]]:
    attack = Attack()
    with db.session(url, DONOR) as donor, db.session(url, STAFF) as staff:
        for code, by, (first, last), countries in queries():
            f = Filters(month_start(first), month_end(last), tuple(sorted(countries)))
            kind = catalogue.get(code).kind
            _read(attack, code, kind, f, by, compute(code, donor, f, by),
                  compute(code, staff, f, by))
        for countries in COUNTRY_SETS:
            f = Filters(month_start(0), month_end(23), tuple(sorted(countries)),
                        granularity="month")
            _read(attack, "BEN-2", "count", f, ("period",),
                  compute("BEN-2", donor, f, cumulative=True),
                  compute("BEN-2", staff, f, cumulative=True), cumulative=True)
            for r in PERIODS:
                g = Filters(month_start(r[0]), month_end(r[1]), tuple(sorted(countries)))
                _read(attack, "BEN-2", "count", g, ("country", "route"),
                      assisted_by_route(donor, g, ("country",)),
                      assisted_by_route(staff, g, ("country",)),
                      summable={"country", "route"})
                _read(attack, "BEN-1", "count", g, ("host_country",),
                      host_countries(donor, g), host_countries(staff, g))
    _country_relations(attack)
    _period_relations(attack)
    _country_relations(attack)
    attack.propagate()
    small = [cell for cell, var in attack.vars.items()
             if var.truth is not None and 1 <= var.truth <= T - 1]
    for cell in small:
        var = attack.vars[cell]
        assert var.truth is not None and var.lo <= var.truth <= var.hi, \
            ("unsound attack", cell, var)
    return attack, small


def pinned(attack: Attack, cells: list[Cell]) -> list[Cell]:
    """Cells whose interval holds one integer only."""
    return [c for c in cells if attack.vars[c].hi < INF
            and math.floor(attack.vars[c].hi) - math.ceil(attack.vars[c].lo) < 1]


def test_no_small_count_is_pinned_down_by_differencing(demo_url: str) -> None:
    attack, small = run_attack(demo_url)
    found = pinned(attack, small)
    seen = [c for c in small if attack.vars[c].published]
    found_seen = [c for c in found if attack.vars[c].published]
    print(f"\nrelations {len(attack.relations)} (dropped {attack.dropped}); small counts "
          f"{len(small)} ({len(seen)} published); pinned {len(found)} "
          f"({len(found_seen)} published)")
    assert len(small) > 100, "the query set must reach many small counts to test anything"
    assert not found, f"{len(found)} of {len(small)} small counts pinned, e.g. {found[:5]}"
