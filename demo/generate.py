"""The demo case database, generated with numpy from one seed.

How a case is made: each beneficiary gets a country and a pipeline *group* (assisted
individually, through a cooperative, through a community project, or stopped at plan
approved / counselled / registered) in exact proportions (``split``), so the default data
lands on the published figures whatever the seed. Dates are drawn backwards from the last
step a case reached (the delivery, for an assisted case), so that
return ≤ registration ≤ counselled ≤ plan approved ≤ delivery ≤ 31 December 2016 holds by
construction. Cooperative members take their cooperative's delivery date and region.

Everything is drawn from one ``numpy.random.Generator`` in a fixed order: the same seed and
size give the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from data_access.models import KEY_RANGE
from demo import facts, partners
from demo.columns import (
    NULL_DAY,
    Dates,
    Table,
    choose,
    nullable,
    with_timestamps,
)
from demo.profile import (
    COOPERATIVE_STATUSES,
    COOPERATIVE_WORDS,
    HOSTS,
    PIPELINE_SHARES,
    RETURN_TYPES,
    SECTORS_COOPERATIVE,
    VULNERABILITIES,
    World,
    programme_world,
    region_name,
    regions,
)

# Pipeline groups, in the order of the shares in a profile.
INDIVIDUAL, COLLECTIVE, COMMUNITY, PLAN_APPROVED, COUNSELLED, REGISTERED = range(6)
# Date steps each group went through: return→registration, →counselled, →plan, →delivery.
STEPS = np.array([4, 4, 4, 3, 2, 1])
# Pipeline cases are mostly recent: mean days from their last step to the end of 2016.
PIPELINE_AGE = np.array([0, 0, 0, 120, 90, 60])
GROUP_STATUS = np.array(["assisted", "assisted", "assisted", "plan_approved", "counselled",
                         "registered"], dtype=object)


def generate(beneficiaries: int | None = None, seed: int = 2015,
             world: World | None = None) -> list[Table]:
    """Every demo table, in an order that satisfies the foreign keys; for ``world`` (by
    default the programme of ``PROGRAMME_FILE``: its period and countries)."""
    world = world or programme_world()
    n = world.registered if beneficiaries is None else beneficiaries
    if n < 1:
        raise ValueError("the demo data needs at least one beneficiary")
    tables = with_record_keys(Generator(n, np.random.default_rng(seed), world).tables(), seed)
    return partners.add(tables, seed, world)  # issue 21: adds to the tables, changes none


KEYED_TABLES = ("beneficiary", "cooperative", "capacity_activity")


def with_record_keys(tables: list[Table], seed: int) -> list[Table]:
    """Each record of the keyed tables gets its record key (data_access.models.KEY_RANGE),
    drawn from a generator of its own seeded from ``seed``: the same seed gives the same
    keys, and the other columns are the same as without keys."""
    rng = np.random.default_rng([seed, 14])
    out = []
    for table in tables:
        if table.name in KEYED_TABLES:
            keys = rng.integers(0, KEY_RANGE, len(table), dtype=np.int64)
            table = Table(table.name, {**table.columns, "record_key": keys})
        out.append(table)
    return out


def split(total: int, weights: Sequence[float]) -> np.ndarray:
    """``total`` divided in proportion to ``weights`` (largest remainder: sums exactly)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def cooperative_sizes(rng: np.random.Generator, members: int, low: int = 6,
                      high: int = 15) -> np.ndarray:
    """Split ``members`` into cooperatives of ``low``–``high`` members (fewer if too few)."""
    if members <= low:
        return np.array([members] if members else [], dtype=np.int64)
    k = min(max(round(members / 10.5), -(-members // high)), members // low)
    sizes = low + rng.multinomial(members - k * low, np.full(k, 1 / k))
    excess = int(np.clip(sizes - high, 0, None).sum())
    sizes = np.minimum(sizes, high)
    for _ in range(excess):  # rare: hand the overflow to the smallest cooperative
        sizes[np.argmin(sizes)] += 1
    return sizes


class Generator:
    """Builds the tables; the draw order of the methods is part of the determinism."""

    # Figures the fact builders leave for ``facts.targets`` (indexes into the cases).
    attendance_who: np.ndarray
    attendance_day: np.ndarray
    attendance_done: np.ndarray
    project_country: np.ndarray
    project_delivered: np.ndarray
    capacity_country: np.ndarray
    capacity_day: np.ndarray
    capacity_people: np.ndarray

    def __init__(self, n: int, rng: np.random.Generator, world: World) -> None:
        self.n = n
        self.rng = rng
        self.world = world
        self.profiles = world.profiles
        self.last_day = world.last_day
        self.codes = np.array([p.code for p in world.profiles], dtype=object)

    def tables(self) -> list[Table]:
        self._cases()
        self._cooperatives()
        self._timelines()
        self._sort()
        assistance = facts.assistance(self)
        follow_ups = facts.follow_ups(self)
        sessions, attendance = facts.training(self)
        vulnerabilities = self._vulnerabilities()
        beneficiaries = self._beneficiaries()
        cooperatives = self._cooperative_table()
        capacity = facts.capacity(self)
        targets = facts.targets(self)
        return [beneficiaries, cooperatives, sessions, capacity, targets,
                facts.exchange_rates(self.world), assistance, attendance, follow_ups,
                vulnerabilities]

    # --- who: country and pipeline group -----------------------------------------------

    def _cases(self) -> None:
        countries, groups = [], []
        for ci, (profile, count) in enumerate(
                zip(self.profiles, split(self.n, [p.registered for p in self.profiles]),
                    strict=True)):
            rest = profile.registered - profile.assisted
            weights = [profile.individual, profile.collective, profile.community,
                       *(rest * share for share in PIPELINE_SHARES.values())]
            sizes = split(int(count), weights)
            countries.append(np.full(count, ci, dtype=np.int64))
            groups.append(self.rng.permutation(np.repeat(np.arange(6), sizes)))
        self.country = np.concatenate(countries)
        self.group = np.concatenate(groups)
        self.country_code = self.codes[self.country]

    def _cooperatives(self) -> None:
        """Partition each country's collective cases into cooperatives.

        Some plan-approved cases join cooperatives still in creation (not yet registered,
        nothing delivered), so the pipeline shows them too.
        """
        rng = self.rng
        self.coop_of = np.full(self.n, -1, dtype=np.int64)
        country: list[int] = []
        creating: list[bool] = []
        for ci in range(len(self.profiles)):
            members = np.flatnonzero((self.country == ci) & (self.group == COLLECTIVE))
            sizes = cooperative_sizes(rng, len(members))
            first = len(country)
            self.coop_of[members] = first + np.repeat(np.arange(len(sizes)), sizes)
            n_creating = round(len(sizes) * 0.15)
            planners = np.flatnonzero((self.country == ci) & (self.group == PLAN_APPROVED))
            joining = planners[rng.random(len(planners)) < 0.4]
            if n_creating and len(joining):
                self.coop_of[joining] = (first + len(sizes)
                                         + rng.integers(0, n_creating, len(joining)))
            else:
                n_creating = 0
            country += [ci] * (len(sizes) + n_creating)
            creating += [False] * len(sizes) + [True] * n_creating
        k = len(country)
        self.coop_country = np.array(country, dtype=np.int64)
        self.coop_creating = np.array(creating, dtype=bool)
        self.coop_region = np.empty(k, dtype=object)
        for ci in range(len(self.profiles)):
            mask = self.coop_country == ci
            self.coop_region[mask] = self.regions_for(ci, int(mask.sum()))
        self.coop_sector = choose(rng, SECTORS_COOPERATIVE, k)
        self.coop_status = np.where(self.coop_creating, "in_creation",
                                    choose(rng, COOPERATIVE_STATUSES, k)).astype(object)
        delivery = rng.integers(120, self.last_day - 14, k)
        registration = delivery - rng.integers(20, 91, k)
        self.coop_delivery = np.where(self.coop_creating, NULL_DAY, delivery)
        self.coop_registration = np.where(self.coop_creating, NULL_DAY, registration)

    def regions_for(self, ci: int, size: int) -> np.ndarray:
        profile = self.profiles[ci]
        return choose(self.rng, {code: profile.regions.get(code, 1.0)
                                 for code in regions(profile.code)}, size)

    # --- when: the dates of each pipeline step -------------------------------------------

    def _timelines(self) -> None:
        rng, n, group = self.rng, self.n, self.group
        gaps = np.stack([rng.integers(2, 46, n), rng.integers(3, 31, n),
                         rng.integers(7, 61, n), rng.integers(14, 91, n)], axis=1)
        steps = STEPS[group]
        gaps[np.arange(4)[None, :] >= steps[:, None]] = 0
        total = gaps.sum(axis=1)
        assisted = group <= COMMUNITY
        # Deliveries grow more frequent as the programme ramps up (u ** 0.8 leans late).
        ramp = total + ((self.last_day - total) * rng.random(n) ** 0.8).astype(np.int64)
        recent = self.last_day - (rng.exponential(1.0, n) * PIPELINE_AGE[group]).astype(np.int64)
        last = np.where(assisted, ramp, recent)
        in_coop = self.coop_of >= 0
        delivered_coop = in_coop & (group == COLLECTIVE)
        last[delivered_coop] = self.coop_delivery[self.coop_of[delivered_coop]]
        last = np.clip(last, 0, self.last_day)
        # Where the drawn gaps do not fit before the last step, shrink them.
        over = total > last
        gaps[over] = (gaps[over] * (last[over] / total[over])[:, None]).astype(np.int64)
        self.return_day = last - gaps.sum(axis=1)
        reached = np.cumsum(gaps, axis=1) + self.return_day[:, None]
        self.registration_day = reached[:, 0]
        self.counselled_day = np.where(steps >= 2, reached[:, 1], NULL_DAY)
        self.plan_day = np.where(steps >= 3, reached[:, 2], NULL_DAY)
        self.delivery_day = np.where(steps >= 4, reached[:, 3], NULL_DAY)

    def _sort(self) -> None:
        """Number the cases by country, then registration: case numbers follow the ids."""
        order = np.lexsort((self.registration_day, self.country))
        for name in ("country", "group", "country_code", "coop_of", "return_day",
                     "registration_day", "counselled_day", "plan_day", "delivery_day"):
            setattr(self, name, getattr(self, name)[order])
        self.ids = np.arange(1, self.n + 1, dtype=np.int64)
        self.status = GROUP_STATUS[self.group]  # follow-ups move some on to monitored/closed

    # --- the beneficiary table ---------------------------------------------------------

    def _vulnerabilities(self) -> Table:
        rng = self.rng
        flagged = np.flatnonzero(rng.random(self.n) < 0.25)
        both = np.concatenate([flagged, flagged[rng.random(len(flagged)) < 0.15]])
        names = np.array(list(VULNERABILITIES), dtype=object)
        weights = np.array(list(VULNERABILITIES.values()), dtype=float)
        kind = rng.choice(len(names), size=len(both), p=weights / weights.sum())
        key = np.unique(both * len(names) + kind)  # one row per (beneficiary, flag)
        who, kind = key // len(names), key % len(names)
        self.minor = np.zeros(self.n, dtype=bool)
        self.minor[who[names[kind] == "unaccompanied_minor"]] = True
        self.elderly = np.zeros(self.n, dtype=bool)
        self.elderly[who[names[kind] == "elderly"]] = True
        return Table("beneficiary_vulnerability", {
            "beneficiary_id": self.ids[who], "vulnerability": names[kind],
            "country": self.country_code[who]})

    def _beneficiaries(self) -> Table:
        rng, n = self.rng, self.n
        age = np.clip(np.rint(rng.normal(32, 8, n)), 18, 59).astype(np.int64)
        age[self.minor] = rng.integers(15, 18, int(self.minor.sum()))
        age[self.elderly] = rng.integers(60, 76, int(self.elderly.sum()))
        birth_day = self.return_day - age * 365 - rng.integers(0, 365, n)
        origin = np.datetime64(self.world.start.isoformat(), "D")
        birth_year = (origin + birth_day).astype("datetime64[Y]")
        birth_date = np.where(rng.random(n) < 0.12, NULL_DAY, birth_day)  # year only known
        female = rng.random(n) < np.array([p.female_share for p in self.profiles])[self.country]
        sex = np.where(female, "F", "M").astype(object)
        host = np.empty(n, dtype=object)
        region = np.empty(n, dtype=object)
        for ci, profile in enumerate(self.profiles):
            mask = self.country == ci
            host[mask] = choose(rng, {h: profile.hosts.get(h, 0.2) for h in HOSTS},
                                int(mask.sum()))
            region[mask] = self.regions_for(ci, int(mask.sum()))
        in_coop = self.coop_of >= 0
        region[in_coop] = self.coop_region[self.coop_of[in_coop]]
        first, last, phone = self._personal(female)
        return Table("beneficiary", with_timestamps({
            "id": self.ids,
            "case_number": self._case_numbers(),
            "country": self.country_code,
            "region": region,
            "sex": sex,
            "birth_date": Dates(birth_date, self.world.start),
            "birth_year": birth_year.astype(np.int64) + 1970,
            "household_size": np.clip(1 + rng.poisson(3.5, n), 1, 12),
            "host_country": host,
            "return_date": Dates(self.return_day, self.world.start),
            "return_type": choose(rng, RETURN_TYPES, n),
            "registration_date": Dates(self.registration_day, self.world.start),
            "status": self.status,
            "counselled_date": Dates(self.counselled_day, self.world.start),
            "plan_approved_date": Dates(self.plan_day, self.world.start),
            "consent_story": (self.group <= COMMUNITY) & (rng.random(n) < 0.05),
            "first_name": first,
            "last_name": last,
            "phone": phone,
        }, self.registration_day, self.world.start))

    def _case_numbers(self) -> np.ndarray:
        """MA-2015-00001: numbered per country and registration year, in id order (a
        registration before the programme start counts in its first year)."""
        origin = np.datetime64(self.world.start.isoformat(), "D")
        first = self.world.start.year
        calendar = (origin + self.registration_day).astype("datetime64[Y]").astype(np.int64)
        year = np.maximum(calendar + 1970, first)
        key = self.country * 1000 + (year - first)
        starts = np.r_[True, key[1:] != key[:-1]]
        position = np.arange(self.n)
        seq = position - np.maximum.accumulate(np.where(starts, position, 0)) + 1
        width = max(5, len(str(int(seq.max()))))
        return np.array([f"{c}-{y}-{s:0{width}d}" for c, y, s in zip(
            self.country_code.tolist(), year.tolist(), seq.tolist(), strict=True)],
            dtype=object)

    def _personal(self, female: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Synthetic names and mobile numbers: no real person is described."""
        rng, n = self.rng, self.n
        first = np.empty(n, dtype=object)
        last = np.empty(n, dtype=object)
        phone = np.empty(n, dtype=object)
        digits = rng.integers(0, 10**8, n)
        has_phone = rng.random(n) < 0.9
        for ci, profile in enumerate(self.profiles):
            for is_female, names in ((False, profile.first_names_m),
                                     (True, profile.first_names_f)):
                mask = (self.country == ci) & (female == is_female)
                first[mask] = np.array(names, dtype=object)[
                    rng.integers(0, len(names), int(mask.sum()))]
            mask = self.country == ci
            last[mask] = np.array(profile.last_names, dtype=object)[
                rng.integers(0, len(profile.last_names), int(mask.sum()))]
            width = profile.phone_digits
            number = digits[mask] % 10**width
            phone[mask] = [f"{profile.phone_prefix}{d:0{width}d}" for d in number.tolist()]
        phone[~has_phone] = None
        return first, last, phone

    def _cooperative_table(self) -> Table:
        rng, k = self.rng, len(self.coop_country)
        seen: dict[str, int] = {}
        names = []
        for word, region in zip(rng.integers(0, len(COOPERATIVE_WORDS), k).tolist(),
                                self.coop_region.tolist(), strict=True):
            name = f"Coopérative {COOPERATIVE_WORDS[word]} – {region_name(region)}"
            seen[name] = seen.get(name, 0) + 1
            names.append(name if seen[name] == 1 else f"{name} {seen[name]}")
        partner = np.empty(k, dtype=object)
        for ci, profile in enumerate(self.profiles):
            mask = self.coop_country == ci
            partner[mask] = np.array(profile.partners, dtype=object)[
                rng.integers(0, len(profile.partners), int(mask.sum()))]
        created = np.where(self.coop_creating, self.last_day - 30, self.coop_registration)
        return Table("cooperative", with_timestamps({
            "id": np.arange(1, k + 1, dtype=np.int64),
            "name": np.array(names, dtype=object),
            "country": self.codes[self.coop_country],
            "region": self.coop_region,
            "sector": self.coop_sector,
            "partner": partner,
            "registration_date": Dates(self.coop_registration, self.world.start),
            "status": self.coop_status,
        }, created, self.world.start))

    def cooperative_ids(self, cases: np.ndarray) -> np.ndarray:
        """The cooperative id of each case (None outside cooperatives), for assistance."""
        coop = self.coop_of[cases]
        return nullable(coop + 1, coop < 0)
