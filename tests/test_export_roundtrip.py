"""Export then import into an empty database gives the same indicator values (issue 5)."""

from __future__ import annotations

import io
from collections.abc import Callable

from sqlalchemy import delete, func, select

import demo
from data_access import db
from data_access.models import CapacityActivity
from data_access.scope import Scope
from importing import Source, run_import
from importing.export import export
from tests.test_import import figures, indicator_codes, snapshot


def _drop_duplicate_capacity_keys(url: str) -> None:
    # The demo generator can write two activities with the same country + date +
    # institution + activity, which the template's key (issue 5) cannot tell apart.
    cap = CapacityActivity.__table__
    keep = select(func.min(cap.c.id)).group_by(cap.c.country, cap.c.activity_date,
                                               cap.c.institution, cap.c.activity)
    with db.get_engine(url).begin() as conn:
        conn.execute(delete(cap).where(cap.c.id.not_in(keep.scalar_subquery())))


def test_export_import_round_trip(backend: str,
                                  make_database: Callable[[str, str], str]) -> None:
    source, target = make_database(backend, "source"), make_database(backend, "target")
    demo.load(source, demo.generate(1500, 7))
    _drop_duplicate_capacity_keys(source)
    buffer = io.BytesIO()
    export(source, Scope.everything(), buffer, indicator_codes=indicator_codes())
    payload = buffer.getvalue()
    report = run_import(target, Source("export.xlsx", data=payload), Scope.everything(),
                        username="t", indicator_codes=indicator_codes())
    assert report.ok, report.problems[:10]
    assert figures(target) == figures(source)
    again = run_import(target, Source("export.xlsx", data=payload), Scope.everything(),
                       username="t", indicator_codes=indicator_codes())
    assert again.ok and all(c["inserted"] == c["updated"] == 0 for c in again.counts.values())


def test_export_of_a_focal_point_holds_their_country_only(
        make_database: Callable[[str, str], str]) -> None:
    source, target = make_database("sqlite", "source"), make_database("sqlite", "target")
    demo.load(source, demo.generate(600, 3))
    _drop_duplicate_capacity_keys(source)
    buffer = io.BytesIO()
    export(source, Scope.for_countries(["SN"]), buffer)
    report = run_import(target, Source("sn.xlsx", data=buffer.getvalue()),
                        Scope.for_countries(["SN"]), username="t",
                        indicator_codes=indicator_codes())
    assert report.ok, report.problems[:10]
    with db.session(target, Scope.everything()) as session:
        from data_access.lookups import countries_present

        assert countries_present(session) == ["SN"]
    assert snapshot(target)["target"][0] > 0
