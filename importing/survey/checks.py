"""The survey import's own checks, after the template's (``importing.validate`` ``check``):
the export's problems (``importing.survey.export``), one row per submission, and the
submissions against the visits the database holds, within the importer's countries only.

- A submission id already in the database names its visit: the row updates it (an edited
  submission), whatever its date or case; an edit's previous id (``meta/deprecatedID``)
  names it too. A visit of the same case and date typed in the workbook takes the id.
- Refused: a visit of the same case and date that came from another submission, and an
  edit that would move its visit onto a date the case already has another visit on.
- A visit moved to another case: the old case is touched too (its analytics cells).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from data_access.models import Beneficiary, FollowUp
from data_access.scope import Scope
from i18n import _
from importing.existing import Existing, rows_in
from importing.parsed import Collector, Table
from importing.survey.export import Translation


def check(found: Translation) -> Any:
    """The ``validate`` check for one export (``found``: what reading it found)."""

    def run(conn: Connection, tables: dict[str, Table], existing: Existing, scope: Scope,
            out: Collector) -> set[str]:
        t = tables["followups"]
        for q in found.problems:
            out.add("followups", q.row, q.column, q.message, t if q.row else None)
        at = t.at
        first: dict[str, int] = {}
        for row in t.rows:
            uuid = row[at["submission_uuid"]]
            if uuid is None:
                continue
            if uuid in first:
                out.add("followups", row[0], "submission_uuid", _(
                    "the submission {id} is also on row {row}: export each submission once"
                ).format(id=uuid, row=first[uuid]), t)
            else:
                first[uuid] = row[0]
        return _against_database(conn, t, existing, scope, out)

    return run


def _against_database(conn: Connection, t: Table, existing: Existing, scope: Scope,
                      out: Collector) -> set[str]:
    at = t.at
    rows = [r for r in t.valid_rows() if (r[at["country"]], r[at["case_number"]])
            in existing.beneficiaries]
    if not rows:
        return set()
    fu, ben = FollowUp.__table__.c, Beneficiary.__table__.c
    columns = (fu.id, fu.beneficiary_id, fu.visit_date, fu.country, fu.submission_uuid,
               ben.case_number)
    base = select(*columns).join_from(FollowUp.__table__, Beneficiary.__table__,
                                      ben.id == fu.beneficiary_id)
    if scope.countries is not None:  # never another country's visits (issue 14)
        base = base.where(fu.country.in_(sorted(scope.countries)))
    ids = {r[at[c]] for r in rows for c in ("submission_uuid", "replaces_uuid")} - {None}
    by_uuid = {(r["country"], r["submission_uuid"]): dict(r)
               for r in rows_in(conn, base, fu.submission_uuid, ids)}
    bids = {existing.beneficiaries[(r[at["country"]], r[at["case_number"]])][0] for r in rows}
    by_visit = {(r["beneficiary_id"], str(r["visit_date"])[:10]): dict(r)
                for r in rows_in(conn, base, fu.beneficiary_id, bids)}
    touched: set[str] = set()
    for row in rows:
        country, case = row[at["country"]], row[at["case_number"]]
        uuid, date = row[at["submission_uuid"]], str(row[at["visit_date"]])[:10]
        bid = existing.beneficiaries[(country, case)][0]
        target = by_uuid.get((country, uuid)) or by_uuid.get((country, row[at["replaces_uuid"]]))
        there = by_visit.get((bid, date))
        if target is not None and target["beneficiary_id"] != bid:
            touched.add(str(target["case_number"]))
        if there is None or (target is not None and there["id"] == target["id"]):
            continue
        if target is None and there["submission_uuid"] is None:
            continue  # a workbook visit of this case and date: it takes the id
        if target is None:
            out.add("followups", row[0], "visit_date", _(
                "case {case} already has a visit on {date} from another submission "
                "({other}); delete one of the two submissions").format(
                    case=case, date=date, other=there["submission_uuid"]), t)
        else:
            out.add("followups", row[0], "visit_date", _(
                "the edited submission moves its visit to {date}, when case {case} already "
                "has another visit").format(case=case, date=date), t)
    return touched
