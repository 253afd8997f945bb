"""Write a validated file in bulk, in the caller's transaction.

Matching (so that importing the same file twice changes nothing and a corrected file
updates in place; nothing is ever deleted except vulnerability flags a case no longer has):

- beneficiaries on ``country`` + ``case_number`` (case numbers are unique per country,
  issue 14: a row of another country is another case); vulnerabilities become
  ``beneficiary_vulnerability`` rows (the cell is the whole set).
- the sheets that name a case (assistance, training, follow-ups) on the case's country,
  resolved by ``validate`` among the importer's countries, + its case number.
- partners on name + country (before cooperatives and the fact sheets that name them).
- cooperatives on name + country; the free-text partner links to the partner of that name
  in the cooperative's country where there is one (trimmed, case-insensitive).
- referrals on case + partner + service + referral date.
- assistance, training sessions and follow-ups take the partner they name (``partner_id``;
  a session the partner of its rows).
- assistance on case + modality + kind, in order: the n-th row of a case with a given
  modality and kind is the n-th such record of that case in the database.
- training on case + kind + session date: the session is found or created by country
  (the case's) + kind + date + provider, the attendance by session + beneficiary.
- follow-ups on case + visit date; capacity-building on country + date + institution +
  activity; targets on indicator + country + period end; exchange rates on currency +
  month, written before the assistance; a new or corrected rate converts again every
  stored grant of its currency and month (``data_access.currency.recompute``), after
  the file's own rows are written.

A column the file does not have is left as it is on existing rows. Existing rows are read
only for the cases the file names (``WHERE case_number IN`` / ``WHERE beneficiary_id IN``,
``existing.IN_CHUNK`` values per statement), never a whole beneficiary or fact table; the
small tables (cooperatives, sessions, capacity-building, targets) are read whole. All writes
are Core ``executemany`` in chunks (``importing.upsert``); each sheet has its writer in
``importing.writers``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select

from analytics.hooks import Touched
from data_access.currency import recompute
from data_access.vocab import CooperativeStatus
from i18n import _
from importing.currency import affected_cases
from importing.existing import rows_in
from importing.parsed import Validated, file_case_keys, file_cases
from importing.upsert import (
    BEN,
    COOP,
    case_ids,
    existing_rows,
    present_columns,
    row_values,
    same_value,
)
from importing.writers import (
    assistance,
    beneficiaries,
    capacity,
    cooperatives,
    exchange_rates,
    followups,
    partners,
    referrals,
    targets,
    training,
)

Counts = dict[str, dict[str, int]]
Progress = Callable[[float, str], None]


def apply(conn: Connection, validated: Validated, progress: Progress | None = None) -> Counts:
    """Write every sheet of a problem-free file; returns counts per sheet."""
    assert validated.ok, "apply() takes a file without problems"
    report = progress or (lambda _f, _m: None)
    counts: Counts = {name: {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
                      for name in validated.tables}
    tables = validated.tables
    steps: list[tuple[str, Callable[[], None]]] = [
        ("partners", lambda: partners(conn, tables["partners"], counts["partners"])),
        ("cooperatives", lambda: cooperatives(conn, tables["cooperatives"],
                                              counts["cooperatives"])),
        ("beneficiaries", lambda: beneficiaries(conn, tables["beneficiaries"],
                                                counts["beneficiaries"])),
    ]
    for index, (name, step) in enumerate(steps):
        report(0.80 + 0.03 * index, _("writing {sheet}").format(sheet=name))
        step()
    changed = exchange_rates(conn, tables["exchange_rates"], counts["exchange_rates"]) \
        if tables["exchange_rates"].rows else set()
    cases = case_ids(conn, file_case_keys(validated.tables))
    fact_steps: list[tuple[str, Callable[[], None]]] = [
        ("assistance", lambda: assistance(conn, tables["assistance"], counts["assistance"],
                                          cases)),
        ("training", lambda: training(conn, tables["training"], counts["training"], cases)),
        ("followups", lambda: followups(conn, tables["followups"], counts["followups"],
                                        cases)),
        ("referrals", lambda: referrals(conn, tables["referrals"], counts["referrals"],
                                        cases)),
        ("capacity_building", lambda: capacity(conn, tables["capacity_building"],
                                               counts["capacity_building"])),
        ("targets", lambda: targets(conn, tables["targets"], counts["targets"])),
    ]
    for index, (name, step) in enumerate(fact_steps):
        report(0.9 + 0.015 * index, _("writing {sheet}").format(sheet=name))
        if tables[name].rows:
            step()
    recompute(conn, changed)
    return counts


def touched(conn: Connection, validated: Validated) -> Touched:
    """The beneficiaries whose analytics cells applying this file may change, as
    ``analytics.hooks.before_import`` wants them (read before the file is applied):
    the case of every row of every sheet that names one (beneficiaries, assistance,
    training, follow-ups: a row changes only its own case's cells, including a country
    change copied to its fact rows, and a training row's session is found or created, never
    changed), and the existing cooperatives whose own values the file changes (their
    members' cells are recomputed too, should a cube ever read a cooperative's values).
    Capacity-building and targets rows belong to no beneficiary; a new or corrected
    exchange rate touches the beneficiaries whose grants it converts. Keep this a superset
    of what ``apply`` writes: a beneficiary missing here keeps stale cells."""
    cases = file_cases(validated.tables, valid_only=True) | validated.also_touched
    rates = validated.tables.get("exchange_rates")
    if rates is not None and rates.rows:
        ids = affected_cases(conn, rates)
        if ids:
            cases |= {r["case_number"] for r in rows_in(conn, select(BEN.c.case_number),
                                                        BEN.c.id, ids)}
    coops: set[int] = set()
    t = validated.tables.get("cooperatives")
    if t is not None and t.rows:
        names = ("region", "sector", "partner", "registration_date", "status")
        cols = present_columns(t, names)
        existing = existing_rows(conn, COOP, ["name", "country", *names],
                                 lambda r: (r["name"], r["country"]))
        for row in t.valid_rows():
            values = row_values(t, row, ("name", "country", *names))
            if values["status"] is None:
                values["status"] = CooperativeStatus.IN_CREATION
            current = existing.get((values["name"], values["country"]), [None])[0]
            if current is not None and any(not same_value(current[c], values[c]) for c in cols):
                coops.add(current["id"])
    return Touched(cases, coops)
