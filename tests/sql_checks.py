"""Independent SQL for every indicator, written apart from ``metrics`` (plain text SQL on an
unrestricted connection), used by the indicator tests as a second opinion.

``figures(conn, code, dim, start, end)`` returns ``{group: value}``; ``dim`` is "total",
a breakdown name, or "quarter"/"year" (by period). "Latest visit" is written here as
NOT EXISTS (no later qualifying visit) rather than the metrics' MAX() join.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from sqlalchemy import Connection, text

FD = ("(SELECT beneficiary_id, {keys} MIN(delivered_date) AS fd FROM assistance "
      "WHERE status = 'delivered' AND delivered_date IS NOT NULL {extra} "
      "GROUP BY beneficiary_id {group})")


def first_delivery(key: str | None = None, collective: bool = False) -> str:
    return FD.format(keys=f"{key}," if key else "",
                     extra="AND cooperative_id IS NOT NULL" if collective else "",
                     group=f", {key}" if key else "")


def days(conn: Connection, start: str, end: str) -> str:
    if conn.dialect.name == "sqlite":
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"
    return f"({end} - {start})"


def period(dim: str, column: str) -> str:
    year = f"SUBSTR(CAST({column} AS TEXT), 1, 4)"
    if dim == "year":
        return year
    month = f"CAST(SUBSTR(CAST({column} AS TEXT), 6, 2) AS INTEGER)"
    return f"{year} || 'Q' || CAST(({month} + 2) / 3 AS TEXT)"


GROUPS = {"total": "'total'", "country": "b.country", "sex": "b.sex",
          "kind": "s.kind", "modality": "a.modality",
          "sector": "COALESCE(a.sector, 'unknown')",
          "institution_type": "c.institution_type", "activity": "c.activity",
          "partner": "p.name", "service": "r.service"}

REFERRALS = ("FROM referral r JOIN beneficiary b ON b.id = r.beneficiary_id "
             "JOIN partner p ON p.id = r.partner_id")

# code: (SQL with {g} the group, {p} the period condition; the dating column)
SIMPLE = {
    "BEN-1": ("SELECT {g} AS g, COUNT(*) FROM beneficiary b WHERE {p} GROUP BY 1",
              "b.registration_date"),
    "BEN-2": ("SELECT {g} AS g, COUNT(*) FROM beneficiary b JOIN " + first_delivery()
              + " f ON f.beneficiary_id = b.id WHERE {p} GROUP BY 1", "f.fd"),
    "BEN-3": ("SELECT {g} AS g, 1.0 * SUM(CASE WHEN EXISTS (SELECT 1 FROM "
              "beneficiary_vulnerability v WHERE v.beneficiary_id = b.id) THEN 1 ELSE 0 END)"
              " / COUNT(*) FROM beneficiary b JOIN " + first_delivery()
              + " f ON f.beneficiary_id = b.id WHERE {p} GROUP BY 1", "f.fd"),
    "ASS-1": ("SELECT {g} AS g, COUNT(*) FROM assistance a JOIN beneficiary b ON "
              "b.id = a.beneficiary_id WHERE a.status = 'delivered' AND {p} GROUP BY 1",
              "a.delivered_date"),
    "ASS-2": ("SELECT {g} AS g, SUM(a.amount_eur) FROM assistance a JOIN beneficiary b ON "
              "b.id = a.beneficiary_id WHERE a.status = 'delivered' AND {p} GROUP BY 1",
              "a.delivered_date"),
    "COOP-1": ("SELECT {g} AS g, COUNT(*) FROM cooperative b WHERE {p} GROUP BY 1",
               "b.registration_date"),
    "COOP-2": ("SELECT {g} AS g, COUNT(*) FROM beneficiary b JOIN "
               + first_delivery(collective=True)
               + " f ON f.beneficiary_id = b.id WHERE {p} GROUP BY 1", "f.fd"),
    # One row per returnee and cooperative sector, at the first delivery to one of them.
    "COOP-3": ("SELECT {g} AS g, COUNT(*) FROM beneficiary b JOIN (SELECT a.beneficiary_id, "
               "c.sector, MIN(a.delivered_date) AS fd FROM assistance a JOIN cooperative c "
               "ON c.id = a.cooperative_id WHERE a.status = 'delivered' AND "
               "a.delivered_date IS NOT NULL GROUP BY a.beneficiary_id, c.sector) f "
               "ON f.beneficiary_id = b.id WHERE {p} GROUP BY 1", "f.fd"),
    "REF-1": ("SELECT {g} AS g, COUNT(*) " + REFERRALS + " WHERE {p} GROUP BY 1",
              "r.referral_date"),
    "REF-2": ("SELECT {g} AS g, 1.0 * SUM(CASE WHEN r.status = 'service_received' THEN 1 "
              "ELSE 0 END) / COUNT(*) " + REFERRALS + " WHERE {p} GROUP BY 1",
              "r.referral_date"),
    "TRN-1": ("SELECT {g} AS g, COUNT(DISTINCT t.beneficiary_id) FROM attendance t JOIN "
              "training_session s ON s.id = t.session_id JOIN beneficiary b ON "
              "b.id = t.beneficiary_id WHERE t.completed = :yes AND {p} GROUP BY 1",
              "s.session_date"),
    "TRN-3": ("SELECT {g} AS g, 1.0 * SUM(CASE WHEN t.completed = :yes THEN 1 ELSE 0 END) "
              "/ COUNT(*) FROM attendance t JOIN training_session s ON s.id = t.session_id "
              "JOIN beneficiary b ON b.id = t.beneficiary_id WHERE {p} GROUP BY 1",
              "s.session_date"),
    "CAP-1": ("SELECT {g} AS g, COUNT(DISTINCT c.country || '|' || c.institution) FROM "
              "capacity_activity c WHERE {p} GROUP BY 1", "c.activity_date"),
    "CAP-2": ("SELECT {g} AS g, SUM(COALESCE(c.people_reached, 0)) FROM capacity_activity c "
              "WHERE {p} GROUP BY 1", "c.activity_date"),
}


def _params(conn: Connection, start: dt.date, end: dt.date, **more: Any) -> dict[str, Any]:
    def convert(day: Any) -> Any:
        return day.isoformat() if conn.dialect.name == "sqlite" and isinstance(
            day, dt.date) else day
    return {"s": convert(start), "e": convert(end), "yes": True,
            **{k: convert(v) for k, v in more.items()}}


def _group(dim: str, date: str, capacity: bool = False) -> str:
    if dim in ("quarter", "year"):
        return period(dim, date)
    if capacity and dim == "country":
        return "c.country"
    return GROUPS[dim]


def _run(conn: Connection, sql: str, params: dict[str, Any]) -> dict[str, float]:
    return {str(g): float(v) for g, v in conn.execute(text(sql), params)}


def figures(conn: Connection, code: str, dim: str, start: dt.date,
            end: dt.date) -> dict[str, float]:
    params = _params(conn, start, end)
    if code in SIMPLE:
        sql, date = SIMPLE[code]
        group = ("b.sector" if (code, dim) == ("COOP-1", "sector")
                 else "f.sector" if (code, dim) == ("COOP-3", "sector")
                 else _group(dim, date, capacity=code.startswith("CAP")))
        return _run(conn, sql.format(g=group, p=f"{date} BETWEEN :s AND :e"), params)
    if code == "TRN-2":
        return _uptake(conn, dim, start, end)
    if code == "ASS-3":
        return _median_days(conn, dim, params)
    if code == "REF-3":
        return _time_to_service(conn, dim, params)
    if code == "FUP-1":
        return _coverage(conn, dim, start, end)
    return _latest(conn, code, dim, params)


def _median_days(conn: Connection, dim: str, params: dict[str, Any]) -> dict[str, float]:
    sql = (f"SELECT {_group(dim, 'f.fd')}, {days(conn, 'b.return_date', 'f.fd')} "
           f"FROM beneficiary b JOIN {first_delivery()} f ON f.beneficiary_id = b.id "
           "WHERE f.fd BETWEEN :s AND :e")
    groups: dict[str, list[int]] = {}
    for g, d in conn.execute(text(sql), params):
        groups.setdefault(str(g), []).append(int(d))
    return {g: float(statistics.median(v)) for g, v in groups.items()}


def _time_to_service(conn: Connection, dim: str, params: dict[str, Any]) -> dict[str, float]:
    sql = (f"SELECT {_group(dim, 'r.service_date')}, "
           f"{days(conn, 'r.referral_date', 'r.service_date')} {REFERRALS} "
           "WHERE r.status = 'service_received' AND r.service_date BETWEEN :s AND :e")
    groups: dict[str, list[int]] = {}
    for g, d in conn.execute(text(sql), params):
        groups.setdefault(str(g), []).append(int(d))
    return {g: float(statistics.median(v)) for g, v in groups.items()}


def _uptake(conn: Connection, dim: str, start: dt.date, end: dt.date) -> dict[str, float]:
    """Of those first assisted on or before each period end, the share with a completed
    session on or before it (one query per period)."""
    if dim in ("quarter", "year"):
        result = {}
        for first, last, label in _periods(dim, start, end):
            one = _uptake(conn, "total", first, last)
            if one:
                result[label] = one["total"]
        return result
    sql = (f"SELECT {GROUPS[dim]}, 1.0 * SUM(CASE WHEN EXISTS (SELECT 1 FROM attendance t "
           "JOIN training_session s ON s.id = t.session_id WHERE t.beneficiary_id = b.id "
           "AND t.completed = :yes AND s.session_date <= :e) THEN 1 ELSE 0 END) / COUNT(*) "
           f"FROM beneficiary b JOIN {first_delivery()} f ON f.beneficiary_id = b.id "
           "WHERE f.fd <= :e GROUP BY 1")
    return _run(conn, sql, _params(conn, start, end))


def _periods(dim: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, str]]:
    out = []
    for year in range(start.year, end.year + 1):
        if dim == "year":
            out.append((dt.date(year, 1, 1), dt.date(year, 12, 31), str(year)))
            continue
        for q in range(4):
            first = dt.date(year, 3 * q + 1, 1)
            last = (dt.date(year + (q == 3), (3 * q + 3) % 12 + 1, 1) - dt.timedelta(days=1))
            out.append((first, last, f"{year}Q{q + 1}"))
    return [(f, min(e, end), g) for f, e, g in out if e >= start and f <= end]


def _coverage(conn: Connection, dim: str, start: dt.date, end: dt.date) -> dict[str, float]:
    if dim in ("quarter", "year"):
        result = {}
        for year in range(start.year, end.year + 1):
            assert dim == "year", "only yearly periods are checked here"
            one = _coverage(conn, "total", dt.date(year, 1, 1), dt.date(year, 12, 31))
            result.update({str(year): v for v in one.values()})
        return result
    sql = (f"SELECT {GROUPS[dim]}, 1.0 * SUM(CASE WHEN EXISTS (SELECT 1 FROM follow_up u "
           "WHERE u.beneficiary_id = b.id AND u.visit_date BETWEEN :s AND :e AND "
           f"{days(conn, 'f.fd', 'u.visit_date')} >= 182) THEN 1 ELSE 0 END) / COUNT(*) "
           f"FROM beneficiary b JOIN {first_delivery()} f ON f.beneficiary_id = b.id "
           "WHERE f.fd <= :due AND b.status <> 'closed' GROUP BY 1")
    return _run(conn, sql, _params(conn, start, end, due=end - dt.timedelta(days=182)))


LATEST = {  # code: (value expression over u, "recorded" condition, days after delivery)
    "FUP-2": ("1.0 * SUM(CASE WHEN u.business_operating = :yes THEN 1 ELSE 0 END) "
              "/ COUNT(*)", "{u}.business_operating IS NOT NULL", 182),
    "FUP-2-12M": ("1.0 * SUM(CASE WHEN u.business_operating = :yes THEN 1 ELSE 0 END) "
                  "/ COUNT(*)", "{u}.business_operating IS NOT NULL", 365),
    "FUP-3": ("SUM(u.jobs_created)", "{u}.jobs_created IS NOT NULL", None),
    "FUP-4": ("AVG((u.score_economic + u.score_social + u.score_psychosocial) / 3.0)",
              "{u}.score_economic IS NOT NULL AND {u}.score_social IS NOT NULL AND "
              "{u}.score_psychosocial IS NOT NULL", None),
}


def _latest(conn: Connection, code: str, dim: str, params: dict[str, Any]) -> dict[str, float]:
    value, recorded, gap = LATEST[code]
    key = dim if dim in ("modality", "sector", "kind") else None
    group = "f.modality" if key else _group(dim, "u.visit_date")
    same_period = (f"AND {period(dim, 'w.visit_date')} = {period(dim, 'u.visit_date')}"
                   if dim in ("quarter", "year") else "")
    join = "" if code == "FUP-4" else (
        f"JOIN {first_delivery(key)} f ON f.beneficiary_id = b.id")
    later = ("" if gap is None else
             f"AND {days(conn, 'f.fd', 'u.visit_date')} >= {gap}")
    sql = (f"SELECT {group}, {value} FROM follow_up u JOIN beneficiary b ON "
           f"b.id = u.beneficiary_id {join} WHERE u.visit_date BETWEEN :s AND :e AND "
           f"{recorded.format(u='u')} {later} AND NOT EXISTS (SELECT 1 FROM follow_up w "
           "WHERE w.beneficiary_id = u.beneficiary_id AND w.visit_date > u.visit_date AND "
           f"w.visit_date BETWEEN :s AND :e AND {recorded.format(u='w')} {same_period}) "
           "GROUP BY 1")
    return _run(conn, sql, params)
