"""The fact tables of the demo data: assistance, follow-ups, training, capacity, targets.

Each function reads the cases already drawn by ``generate.Generator`` and draws from its
random generator, in a fixed order. Every fact row copies its case's country.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import numpy as np

from data_access import followups
from data_access.currency import CENT, convert
from demo.columns import NULL_DAY, Dates, Table, choose, with_timestamps
from demo.profile import (
    CAPACITY_ACTIVITIES,
    INSTITUTIONS,
    PEOPLE_REACHED,
    SECTORS_INDIVIDUAL,
    SMALL_KINDS,
    TRAINING_KINDS,
    region_name,
)

if TYPE_CHECKING:
    from demo.generate import Generator
    from demo.profile import World

INDIVIDUAL, COLLECTIVE, COMMUNITY, PLAN_APPROVED, COUNSELLED = range(5)
SESSION_SIZE = 12  # attendances per training session, roughly


def _ids(size: int) -> np.ndarray:
    return np.arange(1, size + 1, dtype=np.int64)


def _amounts(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """Grant amounts in EUR, to the nearest 10 (as grants are budgeted)."""
    return (rng.integers(low // 10, high // 10 + 1, size) * 10).astype(float)


def assistance(g: Generator) -> Table:
    """One grant per assisted or plan-approved case, plus small extra support for some.

    Plan-approved cases have an approved (or cancelled) grant, not delivered yet.
    Cooperative members get a collective grant on their cooperative's delivery date; the
    extras (medical, housing, …) go to individual cases only, so that no one is both an
    individual and a cooperative beneficiary.
    """
    rng = g.rng
    cases = np.flatnonzero(g.group <= PLAN_APPROVED)
    group = g.group[cases]
    in_coop = g.coop_of[cases] >= 0
    modality = np.where(in_coop, "collective",
                        np.where(group == COMMUNITY, "community", "individual")).astype(object)
    vocational = (modality == "individual") & (rng.random(len(cases)) < 0.08)
    kind = np.where(vocational, "vocational_training", "business_grant").astype(object)
    sector = choose_sectors(g, cases, in_coop)
    amount = np.select(
        [in_coop, group == COMMUNITY, vocational],
        [_amounts(rng, 800, 1500, len(cases)), _amounts(rng, 1500, 3000, len(cases)),
         _amounts(rng, 400, 900, len(cases))],
        _amounts(rng, 1000, 2500, len(cases)))
    status = np.where(group == PLAN_APPROVED,
                      np.where(rng.random(len(cases)) < 0.1, "cancelled", "approved"),
                      "delivered").astype(object)

    extra = np.flatnonzero(g.group == INDIVIDUAL)
    extra = extra[rng.random(len(extra)) < 0.15]
    extra_delivery = np.minimum(g.delivery_day[extra] + rng.integers(0, 61, len(extra)),
                                g.last_day)

    who = np.concatenate([cases, extra])
    approved = np.concatenate([g.plan_day[cases], g.delivery_day[extra]])
    order = np.lexsort((approved, who))  # ids grouped by beneficiary, oldest first
    who = who[order]
    approved = approved[order]
    delivered = np.concatenate([g.delivery_day[cases], extra_delivery])[order]
    g.project_country = g.country[who]
    g.project_delivered = np.where(delivered == NULL_DAY, g.last_day + 1, delivered)
    ids = _ids(len(who))
    # drawn in the order they always were (kinds, then amounts): the same seed, the same data
    kinds = np.concatenate([kind, choose(rng, SMALL_KINDS, len(extra))])[order]
    amount_eur = np.concatenate([amount, _amounts(rng, 150, 600, len(extra))])[order]
    local, currency = local_grants(ids, g.country_code[who], kinds, amount_eur,
                                   np.where(delivered == NULL_DAY, approved, delivered),
                                   g.world.start)
    return Table("assistance", with_timestamps({
        "id": ids,
        "beneficiary_id": g.ids[who],
        "modality": np.concatenate([modality, np.full(len(extra), "individual",
                                                      dtype=object)])[order],
        "kind": kinds,
        "sector": np.concatenate([sector, np.full(len(extra), None, dtype=object)])[order],
        "amount_eur": amount_eur,
        "amount_local": local,
        "currency": currency,
        "approved_date": Dates(approved, g.world.start),
        "delivered_date": Dates(delivered, g.world.start),
        "cooperative_id": g.cooperative_ids(who),
        "status": np.concatenate([status, np.full(len(extra), "delivered",
                                                  dtype=object)])[order],
        "country": g.country_code[who],
    }, approved, g.world.start))


# Grants paid in local currency (issue 20): every third business grant, in the currency of
# its country, at a demo rate of its month (units for 1 EUR, the InforEuro convention).
LOCAL_CURRENCY = {"MA": "MAD", "TN": "TND", "SN": "XOF"}
RATE_SOURCE = "InforEuro (demo)"


def demo_rate(currency: str, month: int) -> Decimal:
    """The demo rate of ``currency`` in the ``month``-th month since January 2015 (0 …
    23): the dirham drifting between 10.75 and 10.97, the dinar from 2.15 to 2.38, the CFA
    franc at its fixed 655.957."""
    if currency == "MAD":
        return Decimal("10.75") + Decimal("0.02") * (month % 12)
    if currency == "TND":
        return Decimal("2.15") + Decimal("0.01") * month
    return Decimal("655.957")


def _month(days: np.ndarray, start: dt.date) -> np.ndarray:
    """Months since the start's month of days since ``start``."""
    dates = np.datetime64(start.isoformat(), "D") + days.astype("timedelta64[D]")
    return (dates.astype("datetime64[M]").astype(np.int64)
            - np.datetime64(start.isoformat()[:7], "M").astype(np.int64))


def local_grants(ids: np.ndarray, countries: np.ndarray, kinds: np.ndarray,
                 amount_eur: np.ndarray, rate_days: np.ndarray, start: dt.date
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``amount_local`` and ``currency`` of every assistance row (None for grants paid in
    EUR). Drawn from no random number, so every other demo figure stays as it was; the EUR
    amounts stay as they were too: local = EUR × rate rounded to the cent, and since every
    rate is above 1, local ÷ rate rounds back to the same EUR amount (checked here)."""
    local = np.full(len(ids), None, dtype=object)
    currency = np.full(len(ids), None, dtype=object)
    paying = np.isin(countries, list(LOCAL_CURRENCY))  # other programmes' countries: EUR
    chosen = np.flatnonzero((ids % 3 == 0) & (kinds == "business_grant")
                            & (rate_days != NULL_DAY) & paying)
    months = _month(rate_days[chosen], start)
    for index, month in zip(chosen.tolist(), months.tolist(), strict=True):
        code = LOCAL_CURRENCY[str(countries[index])]
        rate = demo_rate(code, int(month))
        eur = Decimal(int(amount_eur[index]))
        paid = (eur * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        assert convert(paid, rate) == eur, (paid, rate, eur)
        local[index], currency[index] = float(paid), code
    return local, currency


def exchange_rates(world: World) -> Table:
    """The demo rates: the currency of every programme country ``LOCAL_CURRENCY`` knows,
    every month of the programme's period (none for another programme's countries)."""
    start, months = world.start, ((world.end.year - world.start.year) * 12
                                  + world.end.month - world.start.month + 1)
    codes = sorted({LOCAL_CURRENCY[p.code] for p in world.profiles if p.code in LOCAL_CURRENCY})
    rows = [(code, month) for code in codes for month in range(months)]
    firsts = np.array([(dt.date(start.year + (start.month - 1 + m) // 12,
                                (start.month - 1 + m) % 12 + 1, 1) - start).days
                       for _c, m in rows], dtype=np.int64)
    return Table("exchange_rate", with_timestamps({
        "id": _ids(len(rows)),
        "currency": np.array([c for c, _m in rows], dtype=object),
        "month": Dates(firsts, start),
        "rate": np.array([float(demo_rate(c, m)) for c, m in rows]),
        "source": np.full(len(rows), RATE_SOURCE, dtype=object),
    }, firsts, start))


def choose_sectors(g: Generator, cases: np.ndarray, in_coop: np.ndarray) -> np.ndarray:
    """A cooperative member works in the cooperative's sector; others draw their own."""
    sector = choose(g.rng, SECTORS_INDIVIDUAL, len(cases))
    sector[in_coop] = g.coop_sector[g.coop_of[cases[in_coop]]]
    return sector


def follow_ups(g: Generator) -> Table:
    """Visits about 3, 6 and 12 months after delivery, none after 31 December 2016.

    About one business in five stops (always where the cooperative was dissolved); once
    stopped it stays stopped. The 12-month visit, and some 6-month ones, carry the
    sustainability survey's three scores. Cases visited become ``monitored``; half of
    those with a 12-month visit are ``closed``.
    """
    rng = g.rng
    cases = np.flatnonzero(g.group <= COMMUNITY)
    m = len(cases)
    # The 6- and 12-month visits straddle the follow-up rule's days (some early, not met).
    offsets = np.stack([90 + rng.integers(-10, 11, m),
                        followups.DUE_DAYS + rng.integers(-14, 15, m),
                        followups.TWELVE_MONTH_DAYS + rng.integers(-21, 22, m)], axis=1)
    visit = g.delivery_day[cases][:, None] + offsets
    done = (visit <= g.last_day) & (rng.random((m, 3)) >= 0.08)
    coop = g.coop_of[cases]
    dissolved = (coop >= 0) & (g.coop_status[np.maximum(coop, 0)] == "dissolved")
    fails = (rng.random(m) < 0.2) | dissolved
    fails_at = rng.choice(3, size=m, p=[0.2, 0.4, 0.4])
    operating = ~(fails[:, None] & (np.arange(3)[None, :] >= fails_at[:, None]))
    jobs = np.where(operating, rng.choice([1, 2, 3], size=(m, 3), p=[0.55, 0.3, 0.15]), 0)
    survey = (np.arange(3)[None, :] == 2) | ((np.arange(3)[None, :] == 1)
                                             & (rng.random((m, 3)) < 0.4))
    shift = np.where(operating, 0.0, -0.25)

    def score(mean: float, sd: float) -> np.ndarray:
        value = np.clip(rng.normal(mean, sd, (m, 3)) + shift, 0, 1).round(2)
        return np.where(survey, value, np.nan)

    economic, social, psychosocial = score(0.64, 0.14), score(0.66, 0.13), score(0.6, 0.15)
    closed = done[:, 2] & (rng.random(m) < 0.5)
    g.status[cases[done.any(axis=1)]] = "monitored"
    g.status[cases[closed]] = "closed"

    row, visit_no = np.nonzero(done)  # row-major: by beneficiary, then visit date
    who = cases[row]
    days = visit[row, visit_no]
    return Table("follow_up", with_timestamps({
        "id": _ids(len(who)),
        "beneficiary_id": g.ids[who],
        "visit_date": Dates(days, g.world.start),
        "business_operating": operating[row, visit_no],
        "jobs_created": jobs[row, visit_no],
        "score_economic": economic[row, visit_no],
        "score_social": social[row, visit_no],
        "score_psychosocial": psychosocial[row, visit_no],
        "country": g.country_code[who],
    }, days, g.world.start))


def training(g: Generator) -> tuple[Table, Table]:
    """Sessions per country and who attended them.

    Exactly the profile's share of each country's cases is *trained* (≥ 1 completed
    session): mostly assisted returnees, some still in the pipeline. Their first
    attendance is completed; later ones mostly. A few more enrolled and dropped out.
    Attendances fall on or after the day the case was counselled (where a session exists).
    """
    rng = g.rng
    session_parts: list[dict[str, np.ndarray]] = []
    attendees, sessions_of, completed = [], [], []
    offset = 0
    for ci, profile in enumerate(g.profiles):
        in_country = np.flatnonzero(g.country == ci)
        trained_count = round(len(in_country) * profile.trained / profile.registered)
        assisted = in_country[g.group[in_country] <= COMMUNITY]
        pipeline = in_country[(g.group[in_country] == PLAN_APPROVED)
                              | (g.group[in_country] == COUNSELLED)]
        from_pipeline = min(len(pipeline), trained_count - round(trained_count * 0.85))
        from_assisted = min(len(assisted), trained_count - from_pipeline)
        trainees = np.concatenate([rng.choice(assisted, from_assisted, replace=False),
                                   rng.choice(pipeline, from_pipeline, replace=False)])
        others = np.setdiff1d(np.concatenate([assisted, pipeline]), trainees)
        dropouts = rng.choice(others, min(len(others), round(trained_count * 0.08)),
                              replace=False)
        visits = rng.choice([1, 2, 3], size=len(trainees), p=[0.5, 0.35, 0.15])
        who = np.concatenate([np.repeat(trainees, visits), dropouts])
        first = np.cumsum(visits) - visits  # each trainee's first attendance
        done = rng.random(len(who)) < 0.85
        done[first] = True
        done[len(who) - len(dropouts):] = False

        count = max(6, math.ceil(len(who) / SESSION_SIZE))
        day = np.sort(rng.integers(30, g.last_day + 1, count))
        kind = choose(rng, TRAINING_KINDS, count)
        provider = np.array(profile.providers, dtype=object)[
            rng.integers(0, len(profile.providers), count)]
        key = np.array([f"{d}|{k}|{p}" for d, k, p in zip(day.tolist(), kind.tolist(),
                                                         provider.tolist(), strict=True)])
        _, unique = np.unique(key, return_index=True)  # the table's natural key
        unique.sort()
        day, kind, provider = day[unique], kind[unique], provider[unique]
        session_parts.append({"day": day, "kind": kind, "provider": provider,
                              "country": np.full(len(day), profile.code, dtype=object)})

        earliest = g.counselled_day[who]
        wanted = earliest + (rng.random(len(who)) * (g.last_day - earliest + 1)).astype(np.int64)
        position = np.minimum(np.searchsorted(day, wanted), len(day) - 1)
        attendees.append(who)
        sessions_of.append(offset + position)
        completed.append(done)
        offset += len(day)

    parts = {name: np.concatenate([p[name] for p in session_parts]) for name in session_parts[0]}
    sessions = Table("training_session", with_timestamps({
        "id": _ids(offset), "kind": parts["kind"], "session_date": Dates(parts["day"],
                                                                 g.world.start),
        "provider": parts["provider"], "country": parts["country"]}, parts["day"], g.world.start))

    who = np.concatenate(attendees)
    session = np.concatenate(sessions_of)
    done = np.concatenate(completed)
    # One row per (session, beneficiary): keep the first, which for a trainee is completed.
    _, keep = np.unique(session * (g.n + 1) + who, return_index=True)
    who, session, done = who[keep], session[keep], done[keep]
    g.attendance_day = parts["day"][session]
    attendance = Table("attendance", with_timestamps({
        "id": _ids(len(who)), "session_id": session + 1, "beneficiary_id": g.ids[who],
        "completed": done, "country": g.country_code[who]}, g.attendance_day, g.world.start))
    g.attendance_who, g.attendance_done = who, done
    return sessions, attendance


def capacity(g: Generator) -> Table:
    """Institutions sensitised, trained or equipped: about 6 activities per 100 cases."""
    rng = g.rng
    parts: list[dict[str, np.ndarray]] = []
    for ci, profile in enumerate(g.profiles):
        count = max(12, round(int((g.country == ci).sum()) * 0.06))
        kind = choose(rng, {t: 1.0 for t in INSTITUTIONS}, count)
        region = g.regions_for(ci, count)
        names = [_institution(t, int(i), r) for t, i, r in
                 zip(kind.tolist(), rng.integers(0, 3, count).tolist(), region.tolist(),
                     strict=True)]
        activity = choose(rng, CAPACITY_ACTIVITIES, count)
        bounds = np.array([PEOPLE_REACHED[a] for a in activity.tolist()])
        people = rng.integers(bounds[:, 0], bounds[:, 1] + 1)
        day, keep = _distinct_days(rng.integers(0, g.last_day + 1, count), names, activity,
                                    g.last_day + 1)
        day, kind, activity, people = day[keep], kind[keep], activity[keep], people[keep]
        names = [n for n, k in zip(names, keep.tolist(), strict=True) if k]
        order = np.argsort(day, kind="stable")
        parts.append({"day": day[order], "institution": np.array(names, dtype=object)[order],
                      "institution_type": kind[order], "activity": activity[order],
                      "people": people[order],
                      "country": np.full(len(day), profile.code, dtype=object)})
    cols = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    g.capacity_day, g.capacity_people = cols["day"], cols["people"]
    g.capacity_country = np.repeat(np.arange(len(g.profiles)), [len(p["day"]) for p in parts])
    return Table("capacity_activity", with_timestamps({
        "id": _ids(len(cols["day"])), "activity_date": Dates(cols["day"], g.world.start),
        "institution": cols["institution"], "institution_type": cols["institution_type"],
        "activity": cols["activity"], "people_reached": cols["people"],
        "country": cols["country"]}, cols["day"], g.world.start))


def _distinct_days(day: np.ndarray, names: list[str], activity: np.ndarray,
                   days: int) -> tuple[np.ndarray, np.ndarray]:
    """Move an activity to the next free day (wrapping round) when the same institution
    already had the same activity that day: the import matches capacity activities on
    country, date, institution and activity, so the demo data must round-trip through it.

    An institution can hold each activity on at most ``days`` days: once it has, further
    activities of that institution and kind are dropped (``keep`` is False for them), so
    the search always ends (at a million cases the national institutions fill every day).
    The next free day is found through a "next candidate" map with path compression, so a
    crowded institution costs about one step per activity, not one per day already used.
    Returns (days, keep)."""
    day = day.copy()
    keep = np.ones(len(day), dtype=bool)
    jumps: dict[tuple[str, str], dict[int, int]] = {}
    for i, (name, kind) in enumerate(zip(names, activity.tolist(), strict=True)):
        jump = jumps.setdefault((name, kind), {})
        if len(jump) >= days:  # every day of this institution and activity is used
            keep[i] = False
            continue
        free, path = int(day[i]) % days, []
        while free in jump:
            path.append(free)
            free = jump[free]
        for taken in path:
            jump[taken] = free
        jump[free] = (free + 1) % days
        day[i] = free
    return day, keep


def _institution(kind: str, index: int, region: str) -> str:
    names = INSTITUTIONS[kind]
    name = names[index % len(names)]
    return name if kind == "national_institution" else f"{name} – {region_name(region)}"


def targets(g: Generator) -> Table:
    """Logframe targets: the actual figure at each year end × the country's factor.

    Morocco is set a little below its actuals (on track), Tunisia and Senegal above
    (at risk, off track), the programme a little above: the traffic lights differ.
    """
    never = g.last_day + 1
    first_trained = np.full(g.n, never)
    done = g.attendance_done
    np.minimum.at(first_trained, g.attendance_who[done], g.attendance_day[done])
    delivered = np.where(g.delivery_day == NULL_DAY, never, g.delivery_day)
    coop_registered = np.where(g.coop_registration == NULL_DAY, never, g.coop_registration)
    member = g.coop_of >= 0

    def counts(end: int, country: int | None) -> dict[str, float]:
        def of(countries: np.ndarray) -> np.ndarray:
            return np.ones(len(countries), dtype=bool) if country is None else (
                countries == country)

        case, coop, activity = of(g.country), of(g.coop_country), of(g.capacity_country)
        return {
            "BEN-1": float((case & (g.registration_day <= end)).sum()),
            "BEN-2": float((case & (delivered <= end)).sum()),
            "COOP-1": float((coop & (coop_registered <= end)).sum()),
            "COOP-2": float((case & member & (delivered <= end)).sum()),
            "TRN-1": float((case & (first_trained <= end)).sum()),
            "ASS-1": float((of(g.project_country) & (g.project_delivered <= end)).sum()),
            "CAP-2": float(g.capacity_people[activity & (g.capacity_day <= end)].sum()),
        }

    rows: list[tuple[str, str | None, int, float]] = []
    for ci, factor in [*((i, p.target_factor) for i, p in enumerate(g.profiles)),
                       (None, 1.05)]:
        code = None if ci is None else g.profiles[ci].code
        for end in g.world.year_ends:
            for indicator, actual in counts(end, ci).items():
                rows.append((indicator, code, end, float(max(1, round(actual * factor)))))
            rows.append(("FUP-2", code, end, 0.8))
    indicators, countries, ends, targets = zip(*rows, strict=True)
    return Table("target", with_timestamps({
        "id": _ids(len(rows)), "indicator": np.array(indicators, dtype=object),
        "country": np.array(countries, dtype=object), "period_end": Dates(np.array(ends),
                                                                     g.world.start),
        "baseline": np.zeros(len(rows)), "target": np.array(targets)},
        np.zeros(len(rows), dtype=np.int64), g.world.start))
