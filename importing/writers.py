"""One writer per sheet of the import file: each matches the sheet's valid rows to the
rows the database holds (the matching rules are in ``importing.apply``) and writes the
inserts and updates in bulk; ``counts`` takes the inserted, updated and unchanged rows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select

from data_access.vocab import CaseStatus, CooperativeStatus
from importing.existing import rows_in
from importing.parsed import Table as Parsed
from importing.upsert import (
    ASS,
    ATT,
    BEN,
    CAP,
    COOP,
    FUP,
    PAR,
    REF,
    SES,
    TGT,
    VUL,
    XR,
    CaseIds,
    Upsert,
    beneficiary_ids,
    case_ids,
    case_of,
    chunks,
    existing_rows,
    insert_rows,
    partner_ids,
    partner_of,
    present_columns,
    row_values,
    same_value,
    update_rows,
)

BEN_COLUMNS = ("country", "region", "sex", "birth_date", "birth_year", "household_size",
               "host_country", "return_date", "return_type", "registration_date", "status",
               "consent_story", "first_name", "last_name", "phone")


def beneficiaries(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    present = set(t.present) | ({"birth_year"} if "birth_date" in t.present else set())
    cols = [c for c in BEN_COLUMNS if c in present]
    rows = list(t.valid_rows())
    at_case, at_country = t.at["case_number"], t.at["country"]
    wanted = {(r[at_country], r[at_case]) for r in rows}
    existing = {key: found for key, found in existing_rows(
        conn, BEN, ["case_number", *BEN_COLUMNS], lambda r: (r["country"], r["case_number"]),
        ("case_number", {case for _country, case in wanted})).items() if key in wanted}
    vul_present = "vulnerabilities" in t.present
    old_vul: dict[int, set[str]] = defaultdict(set)
    if vul_present:
        for r in rows_in(conn, select(VUL.c.beneficiary_id, VUL.c.vulnerability),
                         VUL.c.beneficiary_id, {m[0]["id"] for m in existing.values()}):
            old_vul[r["beneficiary_id"]].add(str(r["vulnerability"]))
    upsert = Upsert(counts)
    vul_add: list[tuple[str, str, str]] = []  # (case, vulnerability, country)
    vul_remove: list[dict[str, Any]] = []
    for row in rows:
        values = row_values(t, row, ("case_number", *BEN_COLUMNS))
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
        for chunk in chunks(vul_remove):
            conn.execute(stmt, chunk)
    if vul_add:
        ids = case_ids(conn, {(country, case) for case, _v, country in vul_add})
        insert_rows(conn, VUL, [{"beneficiary_id": ids[(country, case)], "vulnerability": v,
                                 "country": country} for case, v, country in vul_add])


def partners(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    cols = present_columns(t, ("institution_type", "services"))
    existing = existing_rows(conn, PAR, ["name", "country", "institution_type", "services"],
                             lambda r: (r["name"], r["country"]))
    upsert = Upsert(counts)
    for row in t.valid_rows():
        values = row_values(t, row, ("name", "country", "institution_type", "services"))
        values["services"] = ";".join(sorted(str(s) for s in values["services"])) or None \
            if values["services"] is not None else None
        upsert.row(existing.get((values["name"], values["country"]), [None])[0], values, cols)
    upsert.flush(conn, PAR)


def cooperatives(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    names = ("region", "sector", "partner", "registration_date", "status")
    cols = present_columns(t, names) + (["partner_id"] if "partner" in t.present else [])
    existing = existing_rows(conn, COOP, ["name", "country", "partner_id", *names],
                             lambda r: (r["name"], r["country"]))
    # The free-text partner links to the partner of that name in the cooperative's country
    # where there is one (trimmed, case-insensitive, as migration 0016 linked them).
    by_name = {(name.strip().lower(), country): pid
               for (name, country), pid in partner_ids(conn).items()}
    upsert = Upsert(counts)
    for row in t.valid_rows():
        values = row_values(t, row, ("name", "country", *names))
        if values["status"] is None:
            values["status"] = CooperativeStatus.IN_CREATION
        text = values["partner"]
        values["partner_id"] = None if text is None else by_name.get(
            (text.strip().lower(), values["country"]))
        upsert.row(existing.get((values["name"], values["country"]), [None])[0], values, cols)
    upsert.flush(conn, COOP)


def assistance(conn: Connection, t: Parsed, counts: dict[str, int],
               cases: CaseIds) -> None:
    names = ("sector", *MONEY, "approved_date", "delivered_date", "status")
    money = any(c in t.present for c in MONEY)
    cols = [*present_columns(t, names), "country"] + (
        ["cooperative_id"] if "cooperative" in t.present else []) + (
        ["partner_id"] if "partner" in t.present else [])
    if money:  # the amounts are written together, so they never disagree
        cols += [c for c in MONEY if c not in cols]
    partners = partner_ids(conn)
    coops = {(name, country): cid for name, country, cid in conn.execute(
        select(COOP.c.name, COOP.c.country, COOP.c.id))}
    existing = existing_rows(conn, ASS, ["beneficiary_id", "modality", "kind", "country",
                                         "cooperative_id", "partner_id", *names],
                             lambda r: (r["beneficiary_id"], str(r["modality"]), str(r["kind"])),
                             ("beneficiary_id", beneficiary_ids(cases)), order_by_id=True)
    seen: dict[tuple[int, str, str], int] = defaultdict(int)
    upsert = Upsert(counts)
    for row in t.valid_rows():
        bid, country = case_of(t, row, cases)
        values = row_values(t, row, ("modality", "kind", *names))
        coop = row[t.at["cooperative"]]
        values.update(beneficiary_id=bid, country=country,
                      cooperative_id=coops[(coop, country)] if coop is not None else None,
                      partner_id=partner_of(t, row, partners))
        key = (bid, str(values["modality"]), str(values["kind"]))
        matches = existing.get(key, [])
        current = matches[seen[key]] if seen[key] < len(matches) else None
        seen[key] += 1
        if money:
            _money_values(t, values, current)
        upsert.row(current, values, cols)
    upsert.flush(conn, ASS)


MONEY = ("amount_eur", "amount_local", "currency", "rate_date")


def _money_values(t: Parsed, values: dict[str, Any], current: dict[str, Any] | None) -> None:
    """The four amount columns of one assistance row, when the file has some of them: a
    column the file lacks keeps its stored value, except that an EUR amount typed in place
    of a converted one replaces the conversion (the local amount, its currency and rate
    date are cleared), and a row without a local amount keeps its stored EUR amount when
    the file has no ``amount_eur`` column (``importing.currency`` converted the others)."""
    for c in ("amount_local", "currency", "rate_date"):
        if c not in t.present:
            values[c] = current[c] if current is not None else None
    if "amount_eur" not in t.present and values["amount_local"] is None:
        values["amount_eur"] = current["amount_eur"] if current is not None else None
    if "amount_local" not in t.present and current is not None \
            and current["amount_local"] is not None \
            and not same_value(current["amount_eur"], values["amount_eur"]):
        values.update(amount_local=None, currency=None, rate_date=None)


def training(conn: Connection, t: Parsed, counts: dict[str, int],
             cases: CaseIds) -> None:
    rows = list(t.valid_rows())

    def session_key(country: str, kind: Any, date: Any, provider: Any) -> tuple[Any, ...]:
        return (country, str(kind), str(date)[:10], provider)

    sessions = {session_key(r.country, r.kind, r.session_date, r.provider): r.id
                for r in conn.execute(select(SES.c.id, SES.c.country, SES.c.kind,
                                             SES.c.session_date, SES.c.provider))}
    new_sessions: dict[tuple[Any, ...], dict[str, Any]] = {}
    # A session's partner (issue 21): the one its rows name (validation made them agree).
    partners = partner_ids(conn)
    session_partner: dict[tuple[Any, ...], int | None] = {}
    for row in rows:
        country = row[t.at["country"]]
        key = session_key(country, row[t.at["kind"]], row[t.at["session_date"]],
                          row[t.at["provider"]])
        if "partner" in t.present and row[t.at["partner"]] is not None:
            session_partner[key] = partner_of(t, row, partners)
        if key not in sessions and key not in new_sessions:
            new_sessions[key] = {"country": country, "kind": row[t.at["kind"]],
                                 "session_date": row[t.at["session_date"]],
                                 "provider": row[t.at["provider"]], "partner_id": None}
    for key, values in new_sessions.items():
        values["partner_id"] = session_partner.get(key)
    if "partner" in t.present:  # existing sessions whose partner the file names
        had = dict(conn.execute(select(SES.c.id, SES.c.partner_id)).all())
        moved = [{"_id": sessions[k], "partner_id": pid} for k, pid in session_partner.items()
                 if k in sessions and had[sessions[k]] != pid]
        update_rows(conn, SES, moved)
    if new_sessions:
        insert_rows(conn, SES, list(new_sessions.values()))
        sessions = {session_key(r.country, r.kind, r.session_date, r.provider): r.id
                    for r in conn.execute(select(SES.c.id, SES.c.country, SES.c.kind,
                                                 SES.c.session_date, SES.c.provider))}
    existing: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    stmt = select(ATT.c.id, ATT.c.beneficiary_id, ATT.c.session_id, ATT.c.completed,
                  ATT.c.country, SES.c.kind, SES.c.session_date).join(
        SES, SES.c.id == ATT.c.session_id).order_by(ATT.c.id)
    for r in rows_in(conn, stmt, ATT.c.beneficiary_id, beneficiary_ids(cases)):
        existing[(r["beneficiary_id"], str(r["kind"]), str(r["session_date"])[:10])].append(
            dict(r))
    upsert = Upsert(counts)
    for row in rows:
        bid, country = case_of(t, row, cases)
        kind, date = row[t.at["kind"]], row[t.at["session_date"]]
        sid = sessions[session_key(country, kind, date, row[t.at["provider"]])]
        values = {"session_id": sid, "beneficiary_id": bid, "country": country,
                  "completed": row[t.at["completed"]]}
        matches = existing.get((bid, str(kind), str(date)[:10]), [])
        current = next((m for m in matches if m["session_id"] == sid),
                       matches[0] if matches else None)
        upsert.row(current, values, ("session_id", "completed", "country"))
    upsert.flush(conn, ATT)


def followups(conn: Connection, t: Parsed, counts: dict[str, int],
              cases: CaseIds) -> None:
    """Matched on case + visit date; a survey's rows (``importing.survey``: the sheet has a
    ``submission_uuid`` column) first on their submission id, or the id the submission
    replaces (an edit's previous id), so an edited submission updates its visit even when
    it moved the date or the case; a workbook visit of the same case and date takes the id."""
    names = ("business_operating", "jobs_created", "score_economic", "score_social",
             "score_psychosocial")
    cols = [*present_columns(t, names), "country"] + (
        ["partner_id"] if "partner" in t.present else [])
    partners = partner_ids(conn)
    survey = "submission_uuid" in t.at
    if survey:
        cols += ["visit_date", "beneficiary_id", "submission_uuid"]
    existing = existing_rows(conn, FUP, ["beneficiary_id", "visit_date", "country",
                                         "submission_uuid", "partner_id", *names],
                             lambda r: (r["beneficiary_id"], str(r["visit_date"])[:10]),
                             ("beneficiary_id", beneficiary_ids(cases)))
    by_uuid: dict[tuple[str, str], dict[str, Any]] = {}
    if survey:
        ids = {row[t.at[c]] for row in t.valid_rows()
               for c in ("submission_uuid", "replaces_uuid")} - {None}
        for found in existing_rows(conn, FUP, ["beneficiary_id", "visit_date", "country",
                                               "submission_uuid", "partner_id", *names],
                                   lambda r: (r["country"], r["submission_uuid"]),
                                   ("submission_uuid", ids)).values():
            by_uuid[(found[0]["country"], found[0]["submission_uuid"])] = found[0]
    upsert = Upsert(counts)
    for row in t.valid_rows():
        bid, country = case_of(t, row, cases)
        values = row_values(t, row, ("visit_date", *names))
        values.update(beneficiary_id=bid, country=country,
                      partner_id=partner_of(t, row, partners))
        current = None
        if survey:
            values["submission_uuid"] = row[t.at["submission_uuid"]]
            current = by_uuid.get((country, values["submission_uuid"])) or by_uuid.get(
                (country, row[t.at["replaces_uuid"]]))
        if current is None:
            current = existing.get((bid, str(values["visit_date"])), [None])[0]
        upsert.row(current, values, cols)
    upsert.flush(conn, FUP)


def referrals(conn: Connection, t: Parsed, counts: dict[str, int],
              cases: CaseIds) -> None:
    names = ("status", "accepted_date", "service_date")
    cols = [*present_columns(t, names), "country"]
    partners = partner_ids(conn)

    def key(bid: Any, pid: Any, service: Any, date: Any) -> tuple[Any, ...]:
        return (bid, pid, str(service), str(date)[:10])

    existing = existing_rows(conn, REF, ["beneficiary_id", "partner_id", "service",
                                         "referral_date", "country", *names],
                             lambda r: key(r["beneficiary_id"], r["partner_id"], r["service"],
                                           r["referral_date"]),
                             ("beneficiary_id", beneficiary_ids(cases)))
    upsert = Upsert(counts)
    for row in t.valid_rows():
        bid, country = case_of(t, row, cases)
        values = row_values(t, row, ("service", "referral_date", *names))
        values.update(beneficiary_id=bid, country=country,
                      partner_id=partner_of(t, row, partners))
        current = existing.get(key(bid, values["partner_id"], values["service"],
                                   values["referral_date"]), [None])[0]
        upsert.row(current, values, cols)
    upsert.flush(conn, REF)


def capacity(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    names = ("institution_type", "people_reached")
    cols = present_columns(t, names)

    def key(country: Any, date: Any, institution: Any, activity: Any) -> tuple[Any, ...]:
        return (country, str(date)[:10], institution, str(activity))

    existing = existing_rows(conn, CAP, ["country", "activity_date", "institution", "activity",
                                         *names],
                             lambda r: key(r["country"], r["activity_date"], r["institution"],
                                           r["activity"]), order_by_id=True)
    upsert = Upsert(counts)
    for row in t.valid_rows():
        values = row_values(t, row, ("country", "activity_date", "institution", "activity",
                                     *names))
        current = existing.get(key(values["country"], values["activity_date"],
                                   values["institution"], values["activity"]), [None])[0]
        upsert.row(current, values, cols)
    upsert.flush(conn, CAP)


def targets(conn: Connection, t: Parsed, counts: dict[str, int]) -> None:
    cols = present_columns(t, ("baseline", "target"))
    existing = existing_rows(conn, TGT, ["indicator", "country", "period_end", "baseline",
                                         "target"],
                             lambda r: (r["indicator"], r["country"], str(r["period_end"])[:10]))
    upsert = Upsert(counts)
    for row in t.valid_rows():
        values = row_values(t, row, ("indicator", "country", "period_end", "baseline", "target"))
        current = existing.get((values["indicator"], values["country"],
                                str(values["period_end"])), [None])[0]
        upsert.row(current, values, cols)
    upsert.flush(conn, TGT)


def exchange_rates(conn: Connection, t: Parsed, counts: dict[str, int]) -> set[tuple[Any, ...]]:
    """Write the rates (matched on currency + month); returns the (currency, month) keys
    that are new or changed, whose grants ``apply`` converts again."""
    cols = present_columns(t, ("rate", "source"))
    existing = existing_rows(conn, XR, ["currency", "month", "rate", "source"],
                             lambda r: (r["currency"], str(r["month"])[:10]))
    upsert = Upsert(counts)
    changed: set[tuple[Any, ...]] = set()
    for row in t.valid_rows():
        values = row_values(t, row, ("currency", "month", "rate", "source"))
        current = existing.get((values["currency"], str(values["month"])), [None])[0]
        if current is None or not same_value(current["rate"], values["rate"]):
            changed.add((values["currency"], values["month"]))
        upsert.row(current, values, cols)
    upsert.flush(conn, XR)
    return changed
