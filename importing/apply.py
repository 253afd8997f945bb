"""Write a validated file in bulk, in the caller's transaction.

Matching (so that importing the same file twice changes nothing and a corrected file
updates in place; nothing is ever deleted except vulnerability flags a case no longer has):

- beneficiaries on ``country`` + ``case_number`` (case numbers are unique per country,
  issue 14: a row of another country is another case); vulnerabilities become
  ``beneficiary_vulnerability`` rows (the cell is the whole set).
- the sheets that name a case (assistance, training, follow-ups) on the case's country,
  resolved by ``validate`` among the importer's countries, + its case number.
- cooperatives on name + country.
- assistance on case + modality + kind, in order: the n-th row of a case with a given
  modality and kind is the n-th such record of that case in the database.
- training on case + kind + session date: the session is found or created by country
  (the case's) + kind + date + provider, the attendance by session + beneficiary.
- follow-ups on case + visit date; capacity-building on country + date + institution +
  activity; targets on indicator + country + period end.

A column the file does not have is left as it is on existing rows. Existing rows are read
only for the cases the file names (``WHERE case_number IN`` / ``WHERE beneficiary_id IN``,
``validate.IN_CHUNK`` values per statement), never a whole beneficiary or fact table; the
small tables (cooperatives, sessions, capacity-building, targets) are read whole. All writes
are Core ``executemany`` in chunks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from analytics.hooks import Touched
from data_access.models import (
    Assistance,
    Attendance,
    Beneficiary,
    BeneficiaryVulnerability,
    CapacityActivity,
    Cooperative,
    FollowUp,
    Target,
    TrainingSession,
)
from data_access.vocab import CaseStatus, CooperativeStatus
from i18n import _
from importing.validate import Table as Parsed
from importing.validate import Validated, file_case_keys, file_cases, rows_in

CHUNK = 5_000
Counts = dict[str, dict[str, int]]
Progress = Callable[[float, str], None]

# Record keys (issue 14): an insert into beneficiary, cooperative or capacity_activity gets
# a fresh random key from the column's default (data_access.models.new_record_key, Python
# ``secrets``), per row; updates set only the template's columns, so a key never changes.
BEN = Beneficiary.__table__
VUL = BeneficiaryVulnerability.__table__
COOP = Cooperative.__table__
ASS = Assistance.__table__
SES = TrainingSession.__table__
ATT = Attendance.__table__
FUP = FollowUp.__table__
CAP = CapacityActivity.__table__
TGT = Target.__table__


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(table), chunk)


def _update(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``rows``: dicts with ``_id`` and the columns to set (the same keys in every dict)."""
    if not rows:
        return
    columns = [k for k in rows[0] if k != "_id"]
    stmt = update(table).where(table.c.id == bindparam("_id")).values(
        {c: bindparam(c) for c in columns})
    for chunk in _chunks(rows):
        conn.execute(stmt, chunk)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if hasattr(a, "isoformat") and hasattr(b, "isoformat"):
        return str(a)[:10] == str(b)[:10]
    return bool(a == b)


class _Upsert:
    """Collects inserts and updates for one table against its existing rows."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []

    def row(self, current: dict[str, Any] | None, values: dict[str, Any],
            update_columns: Iterable[str], *, force_changed: bool = False) -> None:
        if current is None:
            self.inserts.append(values)
            self.counts["inserted"] += 1
            return
        cols = list(update_columns)
        if force_changed or any(not _same(current[c], values[c]) for c in cols):
            self.updates.append({"_id": current["id"], **{c: values[c] for c in cols}})
            self.counts["updated"] += 1
        else:
            self.counts["unchanged"] += 1

    def flush(self, conn: Connection, table: Table) -> None:
        _update(conn, table, self.updates)
        _insert(conn, table, self.inserts)
        self.inserts, self.updates = [], []


def _values(t: Parsed, row: tuple[Any, ...], names: Iterable[str]) -> dict[str, Any]:
    return {n: row[t.at[n]] for n in names}


def _cols(t: Parsed, names: Iterable[str]) -> list[str]:
    return [n for n in names if n in t.present]


def _existing(conn: Connection, table: Table, columns: Iterable[str],
              key: Callable[[dict[str, Any]], Any], where: tuple[str, Collection[Any]] | None
              = None, order_by_id: bool = False) -> dict[Any, list[dict[str, Any]]]:
    """Existing rows by key: the whole table, or with ``where=(column, values)`` only the
    rows whose column is one of the values (rows of one key share that column's value, so
    reading by chunks of values keeps each key's rows in id order)."""
    stmt = select(*[table.c[c] for c in ["id", *columns]])
    if order_by_id:
        stmt = stmt.order_by(table.c.id)
    rows = (conn.execute(stmt).mappings() if where is None
            else rows_in(conn, stmt, table.c[where[0]], where[1]))
    found: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[key(row)].append(dict(row))
    return found


CaseIds = dict[tuple[str, str], int]  # (country, case number) → beneficiary id


def _case_ids(conn: Connection, keys: Collection[tuple[str, str]]) -> CaseIds:
    """The ids of the existing cases among ``keys`` ((country, case number) pairs)."""
    wanted = set(keys)
    rows = rows_in(conn, select(BEN.c.case_number, BEN.c.id, BEN.c.country),
                   BEN.c.case_number, {case for _country, case in wanted})
    return {(r["country"], r["case_number"]): r["id"] for r in rows
            if (r["country"], r["case_number"]) in wanted}


def _ids(cases: CaseIds) -> set[int]:
    return set(cases.values())


def _case_of(t: Parsed, row: tuple[Any, ...], cases: CaseIds) -> tuple[int, str]:
    country = row[t.at["country"]]
    return cases[(country, row[t.at["case_number"]])], country


BEN_COLUMNS = ("country", "region", "sex", "birth_date", "birth_year", "household_size",
               "host_country", "return_date", "return_type", "registration_date", "status",
               "consent_story", "first_name", "last_name", "phone")


def _beneficiaries(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    present = set(t.present) | ({"birth_year"} if "birth_date" in t.present else set())
    cols = [c for c in BEN_COLUMNS if c in present]
    rows = list(t.valid_rows())
    at_case, at_country = t.at["case_number"], t.at["country"]
    wanted = {(r[at_country], r[at_case]) for r in rows}
    existing = {key: found for key, found in _existing(
        conn, BEN, ["case_number", *BEN_COLUMNS], lambda r: (r["country"], r["case_number"]),
        ("case_number", {case for _country, case in wanted})).items() if key in wanted}
    vul_present = "vulnerabilities" in t.present
    old_vul: dict[int, set[str]] = defaultdict(set)
    if vul_present:
        for r in rows_in(conn, select(VUL.c.beneficiary_id, VUL.c.vulnerability),
                          VUL.c.beneficiary_id, {m[0]["id"] for m in existing.values()}):
            old_vul[r["beneficiary_id"]].add(str(r["vulnerability"]))
    upsert = _Upsert(counts)
    vul_add: list[tuple[str, str, str]] = []  # (case, vulnerability, country)
    vul_remove: list[dict[str, Any]] = []
    for row in rows:
        values = _values(t, row, ("case_number", *BEN_COLUMNS))
        if values["status"] is None:
            values["status"] = CaseStatus.REGISTERED
        if values["consent_story"] is None:
            values["consent_story"] = False
        current = existing.get((values["country"], values["case_number"]), [None])[0]
        vul_changed = False
        if vul_present:
            wanted_vul = {str(v) for v in (row[t.at["vulnerabilities"]] or ())}
            had = old_vul.get(current["id"], set()) if current else set()
            vul_changed = wanted_vul != had
            vul_add += [(values["case_number"], v, values["country"])
                        for v in sorted(wanted_vul - had)]
            if current:
                vul_remove += [{"b": current["id"], "v": v} for v in sorted(had - wanted_vul)]
        upsert.row(current, values, cols, force_changed=vul_changed)
    upsert.flush(conn, BEN)
    if vul_remove:
        stmt = delete(VUL).where(VUL.c.beneficiary_id == bindparam("b"),
                                 VUL.c.vulnerability == bindparam("v"))
        for chunk in _chunks(vul_remove):
            conn.execute(stmt, chunk)
    if vul_add:
        ids = _case_ids(conn, {(country, case) for case, _v, country in vul_add})
        _insert(conn, VUL, [{"beneficiary_id": ids[(country, case)], "vulnerability": v,
                             "country": country} for case, v, country in vul_add])


def _cooperatives(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    names = ("region", "sector", "partner", "registration_date", "status")
    cols = _cols(t, names)
    existing = _existing(conn, COOP, ["name", "country", *names],
                         lambda r: (r["name"], r["country"]))
    upsert = _Upsert(counts)
    for row in t.valid_rows():
        values = _values(t, row, ("name", "country", *names))
        if values["status"] is None:
            values["status"] = CooperativeStatus.IN_CREATION
        upsert.row(existing.get((values["name"], values["country"]), [None])[0], values, cols)
    upsert.flush(conn, COOP)


def _assistance(conn: Connection, t: Parsed, counts: dict[str, int],
                cases: CaseIds) -> None:
    names = ("sector", "amount_eur", "approved_date", "delivered_date", "status")
    cols = [*_cols(t, names), "country"] + (["cooperative_id"] if "cooperative" in t.present
                                             else [])
    coops = {(name, country): cid for name, country, cid in conn.execute(
        select(COOP.c.name, COOP.c.country, COOP.c.id))}
    existing = _existing(conn, ASS, ["beneficiary_id", "modality", "kind", "country",
                                     "cooperative_id", *names],
                         lambda r: (r["beneficiary_id"], str(r["modality"]), str(r["kind"])),
                         ("beneficiary_id", _ids(cases)), order_by_id=True)
    seen: dict[tuple[int, str, str], int] = defaultdict(int)
    upsert = _Upsert(counts)
    for row in t.valid_rows():
        bid, country = _case_of(t, row, cases)
        values = _values(t, row, ("modality", "kind", *names))
        coop = row[t.at["cooperative"]]
        values.update(beneficiary_id=bid, country=country,
                      cooperative_id=coops[(coop, country)] if coop is not None else None)
        key = (bid, str(values["modality"]), str(values["kind"]))
        matches = existing.get(key, [])
        current = matches[seen[key]] if seen[key] < len(matches) else None
        seen[key] += 1
        upsert.row(current, values, cols)
    upsert.flush(conn, ASS)


def _training(conn: Connection, t: Parsed, counts: dict[str, int],
              cases: CaseIds) -> None:
    rows = list(t.valid_rows())

    def session_key(country: str, kind: Any, date: Any, provider: Any) -> tuple[Any, ...]:
        return (country, str(kind), str(date)[:10], provider)

    sessions = {session_key(r.country, r.kind, r.session_date, r.provider): r.id
                for r in conn.execute(select(SES.c.id, SES.c.country, SES.c.kind,
                                             SES.c.session_date, SES.c.provider))}
    new_sessions: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        country = row[t.at["country"]]
        key = session_key(country, row[t.at["kind"]], row[t.at["session_date"]],
                          row[t.at["provider"]])
        if key not in sessions and key not in new_sessions:
            new_sessions[key] = {"country": country, "kind": row[t.at["kind"]],
                                 "session_date": row[t.at["session_date"]],
                                 "provider": row[t.at["provider"]]}
    if new_sessions:
        _insert(conn, SES, list(new_sessions.values()))
        sessions = {session_key(r.country, r.kind, r.session_date, r.provider): r.id
                    for r in conn.execute(select(SES.c.id, SES.c.country, SES.c.kind,
                                                 SES.c.session_date, SES.c.provider))}
    existing: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    stmt = select(ATT.c.id, ATT.c.beneficiary_id, ATT.c.session_id, ATT.c.completed,
                  ATT.c.country, SES.c.kind, SES.c.session_date).join(
        SES, SES.c.id == ATT.c.session_id).order_by(ATT.c.id)
    for r in rows_in(conn, stmt, ATT.c.beneficiary_id, _ids(cases)):
        existing[(r["beneficiary_id"], str(r["kind"]), str(r["session_date"])[:10])].append(
            dict(r))
    upsert = _Upsert(counts)
    for row in rows:
        bid, country = _case_of(t, row, cases)
        kind, date = row[t.at["kind"]], row[t.at["session_date"]]
        sid = sessions[session_key(country, kind, date, row[t.at["provider"]])]
        values = {"session_id": sid, "beneficiary_id": bid, "country": country,
                  "completed": row[t.at["completed"]]}
        matches = existing.get((bid, str(kind), str(date)[:10]), [])
        current = next((m for m in matches if m["session_id"] == sid),
                       matches[0] if matches else None)
        upsert.row(current, values, ("session_id", "completed", "country"))
    upsert.flush(conn, ATT)


def _followups(conn: Connection, t: Parsed, counts: dict[str, int],
               cases: CaseIds) -> None:
    names = ("business_operating", "jobs_created", "score_economic", "score_social",
             "score_psychosocial")
    cols = [*_cols(t, names), "country"]
    existing = _existing(conn, FUP, ["beneficiary_id", "visit_date", "country", *names],
                         lambda r: (r["beneficiary_id"], str(r["visit_date"])[:10]),
                         ("beneficiary_id", _ids(cases)))
    upsert = _Upsert(counts)
    for row in t.valid_rows():
        bid, country = _case_of(t, row, cases)
        values = _values(t, row, ("visit_date", *names))
        values.update(beneficiary_id=bid, country=country)
        current = existing.get((bid, str(values["visit_date"])), [None])[0]
        upsert.row(current, values, cols)
    upsert.flush(conn, FUP)


def _capacity(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    names = ("institution_type", "people_reached")
    cols = _cols(t, names)

    def key(country: Any, date: Any, institution: Any, activity: Any) -> tuple[Any, ...]:
        return (country, str(date)[:10], institution, str(activity))

    existing = _existing(conn, CAP, ["country", "activity_date", "institution", "activity",
                                     *names],
                         lambda r: key(r["country"], r["activity_date"], r["institution"],
                                       r["activity"]), order_by_id=True)
    upsert = _Upsert(counts)
    for row in t.valid_rows():
        values = _values(t, row, ("country", "activity_date", "institution", "activity",
                                  *names))
        current = existing.get(key(values["country"], values["activity_date"],
                                   values["institution"], values["activity"]), [None])[0]
        upsert.row(current, values, cols)
    upsert.flush(conn, CAP)


def _targets(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    cols = _cols(t, ("baseline", "target"))
    existing = _existing(conn, TGT, ["indicator", "country", "period_end", "baseline",
                                     "target"],
                         lambda r: (r["indicator"], r["country"], str(r["period_end"])[:10]))
    upsert = _Upsert(counts)
    for row in t.valid_rows():
        values = _values(t, row, ("indicator", "country", "period_end", "baseline", "target"))
        current = existing.get((values["indicator"], values["country"],
                                str(values["period_end"])), [None])[0]
        upsert.row(current, values, cols)
    upsert.flush(conn, TGT)


def apply(conn: Connection, validated: Validated, progress: Progress | None = None) -> Counts:
    """Write every sheet of a problem-free file; returns counts per sheet."""
    assert validated.ok, "apply() takes a file without problems"
    report = progress or (lambda _f, _m: None)
    counts: Counts = {name: {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
                      for name in validated.tables}
    tables = validated.tables
    steps: list[tuple[str, Callable[[], None]]] = [
        ("cooperatives", lambda: _cooperatives(conn, tables["cooperatives"],
                                               counts["cooperatives"])),
        ("beneficiaries", lambda: _beneficiaries(conn, tables["beneficiaries"],
                                                 counts["beneficiaries"])),
    ]
    for index, (name, step) in enumerate(steps):
        report(0.82 + 0.04 * index, _("writing {sheet}").format(sheet=name))
        step()
    cases = _case_ids(conn, file_case_keys(validated.tables))
    fact_steps: list[tuple[str, Callable[[], None]]] = [
        ("assistance", lambda: _assistance(conn, tables["assistance"], counts["assistance"],
                                           cases)),
        ("training", lambda: _training(conn, tables["training"], counts["training"], cases)),
        ("followups", lambda: _followups(conn, tables["followups"], counts["followups"],
                                         cases)),
        ("capacity_building", lambda: _capacity(conn, tables["capacity_building"],
                                                counts["capacity_building"])),
        ("targets", lambda: _targets(conn, tables["targets"], counts["targets"])),
    ]
    for index, (name, step) in enumerate(fact_steps):
        report(0.9 + 0.018 * index, _("writing {sheet}").format(sheet=name))
        if tables[name].rows:
            step()
    return counts


def touched(conn: Connection, validated: Validated) -> Touched:
    """The beneficiaries whose analytics cells applying this file may change, as
    ``analytics.hooks.before_import`` wants them (read before the file is applied):
    the case of every row of every sheet that names one (beneficiaries, assistance,
    training, follow-ups: a row changes only its own case's cells, including a country
    change copied to its fact rows, and a training row's session is found or created, never
    changed), and the existing cooperatives whose own values the file changes (their
    members' cells are recomputed too, should a cube ever read a cooperative's values).
    Capacity-building and targets rows belong to no beneficiary. Keep this a superset of
    what ``apply`` writes: a beneficiary missing here keeps stale cells."""
    cases = file_cases(validated.tables, valid_only=True)
    coops: set[int] = set()
    t = validated.tables.get("cooperatives")
    if t is not None and t.rows:
        names = ("region", "sector", "partner", "registration_date", "status")
        cols = _cols(t, names)
        existing = _existing(conn, COOP, ["name", "country", *names],
                             lambda r: (r["name"], r["country"]))
        for row in t.valid_rows():
            values = _values(t, row, ("name", "country", *names))
            if values["status"] is None:
                values["status"] = CooperativeStatus.IN_CREATION
            current = existing.get((values["name"], values["country"]), [None])[0]
            if current is not None and any(not _same(current[c], values[c]) for c in cols):
                coops.add(current["id"])
    return Touched(cases, coops)
