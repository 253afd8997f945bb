"""Record keys and cell keys (issue 14, the data half).

Every raw indicator frame carries, beside each count column c, ``c_key``: the sum of the
record keys behind c. Here those sums are checked against an independent computation in
pandas from the case tables (read whole, the definition applied by hand, the keys summed),
on the fixture database, through the case tables and through the cubes; every indicator
has a key for every count column; keys never reach a viewer's frame; a re-import
keeps every record's key; migration 0009 gives existing rows keys on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from analytics import cubes as analytics_cubes
from data_access import db
from data_access.models import KEY_RANGE
from data_access.scope import Scope
from importing.export import export
from metrics import catalogue, compute
from metrics.engine import _RAW
from metrics.filters import Filters
from tests.fixture_db import build_fixture
from tests.test_import import CLEAN, do_import, indicator_codes, workbook_bytes

D = dt.date
START, END = D(2015, 1, 1), D(2016, 12, 31)
COUNT_COLUMNS = ("numerator", "denominator", "records", "beneficiaries")
SIX_MONTHS = 182
NO_KEYS_YET: set[str] = set()
# Counts that are sums (jobs, people reached): records with 0 stand behind a 0 too.
SUMS = {"FUP-3", "CAP-2"}  # redefined by another change; its keys come after the merge


def count_columns(code: str, frame: pd.DataFrame) -> list[str]:
    counts = [c for c in COUNT_COLUMNS if c in frame.columns]
    if catalogue.get(code).kind == "count":
        counts.insert(0, "value")
    return counts


# --- the independent computation -------------------------------------------------------

def tables(url: str) -> dict[str, pd.DataFrame]:
    with db.get_engine(url).connect() as conn:
        return {name: pd.read_sql(text(f"SELECT * FROM {name}"), conn) for name in (
            "beneficiary", "assistance", "cooperative", "training_session", "attendance",
            "follow_up", "capacity_activity")}


def dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def quarter(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def first_deliveries(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    asst = dates(t["assistance"], "delivered_date")
    asst = asst[(asst["status"] == "delivered") & asst["delivered_date"].notna()]
    return asst.groupby("beneficiary_id", as_index=False)["delivered_date"].min().rename(
        columns={"beneficiary_id": "id", "delivered_date": "first"})


def people(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return dates(t["beneficiary"], "registration_date")[
        ["id", "country", "sex", "registration_date", "record_key"]]


def distinct_cells(rows: pd.DataFrame, entity: str, date: str, by: tuple[str, ...],
                   start: dt.date = START, end: dt.date = END) -> pd.DataFrame:
    """value = distinct entities, value_key = the sum of their keys, once each, per group
    of ``by`` (``period``: the quarter of ``date``) among rows dated in [start, end]."""
    rows = rows[(rows[date] >= start) & (rows[date] <= end)].copy()
    rows["period"] = [quarter(d) for d in rows[date]]
    keys = list(by)
    once = rows.drop_duplicates([*keys, entity])
    if not keys:
        return pd.DataFrame({"value": [len(once)], "value_key": [int(once["record_key"].sum())]})
    return (once.groupby(keys).agg(value=(entity, "size"), value_key=("record_key", "sum"))
            .reset_index())


def expected(code: str, t: dict[str, pd.DataFrame], by: tuple[str, ...]) -> pd.DataFrame:
    ben = people(t)
    if code == "BEN-1":
        return distinct_cells(ben, "id", "registration_date", by)
    if code == "BEN-2":
        return distinct_cells(ben.merge(first_deliveries(t), on="id"), "id", "first", by)
    if code == "ASS-1":  # a record adds its beneficiary's key
        asst = dates(t["assistance"], "delivered_date")
        asst = asst[(asst["status"] == "delivered") & asst["delivered_date"].notna()]
        rows = asst[["id", "beneficiary_id", "delivered_date"]].rename(
            columns={"id": "record"}).merge(ben.drop(columns="country"),
                                            left_on="beneficiary_id", right_on="id")
        rows["country"] = asst.set_index("id").loc[rows["record"], "country"].to_numpy()
        return distinct_cells(rows, "record", "delivered_date", by)
    if code == "COOP-1":
        coop = dates(t["cooperative"], "registration_date")
        return distinct_cells(coop[coop["registration_date"].notna()], "id",
                              "registration_date", by)
    if code == "COOP-3":  # a membership (returnee, cooperative sector) adds the returnee's key
        asst = dates(t["assistance"], "delivered_date")
        asst = asst[(asst["status"] == "delivered") & asst["delivered_date"].notna()
                    & asst["cooperative_id"].notna()]
        rows = asst.merge(t["cooperative"][["id", "sector"]], left_on="cooperative_id",
                          right_on="id", suffixes=("", "_coop"))
        rows = (rows.groupby(["beneficiary_id", "sector"], as_index=False)["delivered_date"]
                .min().merge(ben, left_on="beneficiary_id", right_on="id"))
        rows["membership"] = rows["beneficiary_id"].astype(str) + "|" + rows["sector"]
        return distinct_cells(rows, "membership", "delivered_date", by)
    if code == "TRN-1":
        att = t["attendance"].merge(
            dates(t["training_session"], "session_date")[["id", "session_date"]],
            left_on="session_id", right_on="id", suffixes=("", "_session"))
        att = att[att["completed"].astype(bool)]
        rows = att[["beneficiary_id", "session_date"]].merge(ben, left_on="beneficiary_id",
                                                             right_on="id")
        return distinct_cells(rows, "id", "session_date", by)
    if code == "CAP-1":  # an institution's key: its first activity's (smallest id)
        act = dates(t["capacity_activity"], "activity_date")
        first = act.sort_values("id").drop_duplicates(["country", "institution"])
        keyed = act.drop(columns="record_key").merge(
            first[["country", "institution", "record_key"]], on=["country", "institution"])
        keyed["entity"] = keyed["country"] + "|" + keyed["institution"]
        return distinct_cells(keyed, "entity", "activity_date", by)
    if code == "FUP-1":
        return coverage(t, by)
    raise AssertionError(code)


def coverage(t: dict[str, pd.DataFrame], by: tuple[str, ...]) -> pd.DataFrame:
    """FUP-1 by hand: per period (clipped to the range), due = first delivery at least 182
    days before its end; covered = due with a visit in it, 182+ days after that delivery."""
    ben = people(t).merge(first_deliveries(t), on="id")
    visits = dates(t["follow_up"], "visit_date")
    if "period" in by:
        periods: list[tuple[str | None, dt.date, dt.date]] = [
            (quarter(D(y, m, 1)), max(START, D(y, m, 1)),
             min(END, D(y + (m == 10), (m + 3) % 12 or 12, 1) - dt.timedelta(days=1)))
            for y in (2015, 2016) for m in (1, 4, 7, 10)]
    else:
        periods = [(None, START, END)]
    parts = []
    for label, start, end in periods:
        due = ben[ben["first"] <= end - dt.timedelta(days=SIX_MONTHS)].copy()
        seen = visits.merge(due[["id", "first"]], left_on="beneficiary_id", right_on="id")
        seen = seen[(seen["visit_date"] >= start) & (seen["visit_date"] <= end)
                    & ((seen["visit_date"] - seen["first"]).map(lambda d: d.days)
                       >= SIX_MONTHS)]
        due["covered"] = due["id"].isin(seen["beneficiary_id"])
        due["covered_key"] = due["record_key"].where(due["covered"], 0)
        dims = [d for d in by if d != "period"]
        grouped = (due.groupby(dims) if dims else due.groupby(lambda _: 0))
        part = grouped.agg(numerator=("covered", "sum"), denominator=("id", "size"),
                           numerator_key=("covered_key", "sum"),
                           denominator_key=("record_key", "sum"))
        part = part.reset_index() if dims else part.reset_index(drop=True)
        if label is not None:
            part.insert(0, "period", label)
        parts.append(part[part["denominator"] > 0])
    return pd.concat(parts, ignore_index=True)


# --- (a) key sums equal the independent computation -------------------------------------

CASES = {"BEN-1": [(), ("country",), ("sex",), ("period",), ("country", "period")],
         "BEN-2": [(), ("country",), ("sex",), ("period",), ("sex", "period")],
         "ASS-1": [(), ("country",), ("sex",), ("period",)],
         "COOP-1": [(), ("country",), ("period",)],
         "COOP-3": [(), ("country",), ("sex",), ("period",)],
         "TRN-1": [(), ("country",), ("sex",), ("period",)],
         "FUP-1": [(), ("country",), ("sex",), ("period",)],
         "CAP-1": [(), ("country",), ("period",)]}


@pytest.fixture(scope="module")
def fixture_url(make_database: Callable[[str, str], str]) -> str:
    url = make_database("sqlite", "record_keys")
    build_fixture(url)
    analytics_cubes.refresh(url)
    return url


def _raw(url: str, code: str, by: tuple[str, ...], *, cubes: bool) -> pd.DataFrame:
    with db.session(url, Scope.everything()) as session:
        session.info["analytics"] = cubes
        return _RAW[code](session, Filters(START, END, (), "quarter"), by)


def _normalised(frame: pd.DataFrame, by: tuple[str, ...], columns: list[str]) -> pd.DataFrame:
    frame = frame[[*by, *columns]].copy()
    for column in columns:
        frame[column] = pd.to_numeric(frame[column]).astype("int64")
    frame = frame[frame[columns[0] if "denominator" not in columns else "denominator"] > 0]
    return frame.sort_values(list(by)).reset_index(drop=True) if by else frame.reset_index(
        drop=True)


@pytest.mark.parametrize("cubes", [False, True], ids=["case-tables", "cubes"])
@pytest.mark.parametrize("code", list(CASES))
def test_key_sums_equal_an_independent_computation(fixture_url: str, code: str,
                                                   cubes: bool) -> None:
    t = tables(fixture_url)
    assert t["beneficiary"]["record_key"].nunique() == len(t["beneficiary"])  # random keys
    for by in CASES[code]:
        got = _raw(fixture_url, code, by, cubes=cubes)
        want = expected(code, t, by)
        columns = ([c for c in ("numerator", "denominator", "numerator_key", "denominator_key")]
                   if code == "FUP-1" else ["value", "value_key"])
        for column in columns:
            assert column in got.columns, f"{code} by {by}: no {column}"
            assert pd.api.types.is_integer_dtype(got[column]), f"{code} {column} not integer"
        pd.testing.assert_frame_equal(_normalised(got, by, columns),
                                      _normalised(want, by, columns), obj=f"{code} by {by}")


# --- (c) every count has its key; keys never reach a viewer -----------------------------

@pytest.mark.parametrize("cubes", [False, True], ids=["case-tables", "cubes"])
def test_every_count_column_has_its_key_column(fixture_url: str, cubes: bool) -> None:
    for spec in catalogue.CATALOGUE:
        if spec.code in NO_KEYS_YET:
            continue
        for by in [(), ("country",), ("period",)]:
            if any(d not in spec.breakdowns for d in by):
                continue
            raw = _raw(fixture_url, spec.code, by, cubes=cubes)
            counts = count_columns(spec.code, raw)
            assert counts, f"{spec.code}: no count column"
            for column in counts:
                key = column + "_key"
                assert key in raw.columns, f"{spec.code} by {by}: {column} has no {key}"
                assert pd.api.types.is_integer_dtype(raw[key]), f"{spec.code} {key}"
                values = pd.to_numeric(raw[column]).fillna(0)
                # a cell with records has a key sum; an empty one has none
                assert ((raw[key] > 0) | (values == 0)).all(), f"{spec.code} {key}"
                if column != "value" or spec.code not in SUMS:
                    assert ((raw[key] == 0) | (values > 0)).all(), f"{spec.code} {key}"


def test_no_key_column_reaches_a_viewer(fixture_url: str) -> None:
    for scope in (Scope.everything(),
                  Scope.for_countries(["MA", "SN", "TN"], aggregates_only=True)):
        with db.session(fixture_url, scope) as session:
            for spec in catalogue.CATALOGUE:
                for cumulative in (False, True):
                    if cumulative and "period" not in spec.breakdowns:
                        continue
                    shown = compute(spec.code, session, Filters(START, END, (), "quarter"),
                                    ("period",) if cumulative else (), cumulative=cumulative)
                    assert not [c for c in shown.columns if str(c).endswith("_key")], spec.code


def test_cumulative_key_is_the_key_of_the_range(fixture_url: str) -> None:
    """An additive indicator's running key equals the key of asking the range directly."""
    from metrics import periods
    from metrics.engine import _cumulative

    captured: list[pd.DataFrame] = []
    import data_access.disclosure as disclosure

    original = disclosure.cumulative
    try:
        def spy(frame: pd.DataFrame, *a: Any, **k: Any) -> pd.DataFrame:  # Any: passed on
            captured.append(frame)
            return original(frame, *a, **k)

        disclosure.cumulative = spy
        with db.session(fixture_url, Scope.everything()) as session:
            _cumulative("BEN-1", session, Filters(START, END, (), "quarter"), ("period",))
    finally:
        disclosure.cumulative = original
    series = captured[0]
    t = tables(fixture_url)
    for _, row in series.iterrows():
        last = periods.bounds(int(row["period"][:4]) * 10 + int(row["period"][-1]),
                              "quarter")[1]
        want = distinct_cells(people(t), "id", "registration_date", (), START, last)
        assert int(row["value"]) == int(want["value"][0])
        assert int(row["value_key"]) == int(want["value_key"][0])


# --- imports and exports ------------------------------------------------------------------

def _keys(url: str) -> dict[tuple[str, str], int]:
    with db.get_engine(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT 'b', case_number, record_key FROM beneficiary UNION ALL "
            "SELECT 'c', name || '|' || country, record_key FROM cooperative UNION ALL "
            "SELECT 'a', country || '|' || institution || '|' || activity, record_key "
            "FROM capacity_activity")).all()
    return {(kind, name): int(key) for kind, name, key in rows}


def test_a_reimport_keeps_every_record_key(make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "keys_reimport")
    assert do_import(url, workbook_bytes(CLEAN)).ok
    first = _keys(url)
    assert len(first) == 3 + 1 + 2
    assert all(0 <= k < KEY_RANGE for k in first.values())
    fixed = {k: [dict(r) for r in v] for k, v in CLEAN.items()}
    fixed["beneficiaries"][0]["region"] = "MA-01"
    fixed["beneficiaries"][2]["region"] = None  # (a case keeps its country: 0011)
    fixed["cooperatives"][0]["status"] = "dissolved"
    fixed["capacity_building"][0]["people_reached"] = 25
    fixed["beneficiaries"].append(dict(case_number="A4", country="SN", sex="F",
                                       return_date="2015-05-01",
                                       registration_date="2015-05-02"))
    report = do_import(url, workbook_bytes(fixed))
    assert report.ok, report.problems
    assert report.counts["beneficiaries"]["updated"] == 2
    assert report.counts["cooperatives"]["updated"] == 1
    assert report.counts["capacity_building"]["updated"] == 1
    second = _keys(url)
    assert {k: v for k, v in second.items() if k in first} == first
    assert set(second) - set(first) == {("b", "A4")}
    assert 0 <= second[("b", "A4")] < KEY_RANGE


def test_no_export_holds_the_record_keys(make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "keys_export")
    build_fixture(url)
    buffer = io.BytesIO()
    export(url, Scope.everything(), buffer, indicator_codes=indicator_codes())
    keys = {str(k) for k in _keys(url).values() if k >= 1000}
    from importing.schema import SHEETS
    from importing.template import write_workbook

    assert not [c.name for s in SHEETS for c in s.columns if "key" in c.name.lower()]
    template = io.BytesIO()
    write_workbook(template)
    for payload in (buffer.getvalue(), template.getvalue()):
        _assert_no_keys(payload, keys)
    # and a database the export is imported into has keys of its own, not the source's
    copy = make_database("sqlite", "keys_export_target")
    assert do_import(copy, buffer.getvalue()).ok
    source, target = _keys(url), _keys(copy)
    assert sum(1 for k, v in target.items() if source.get(k) == v) <= 1  # chance: ~1e-5


def _assert_no_keys(payload: bytes, keys: set[str]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(payload), read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells = {str(v) for v in row if v is not None}
            assert not [c for c in cells if "record_key" in c.lower()], sheet.title
            assert not cells & keys, f"{sheet.title}: a record key in {row}"


# --- migration 0009 -----------------------------------------------------------------------

def test_migration_gives_existing_rows_random_keys(backend: str,
                                                   make_database: Callable[[str, str], str]
                                                   ) -> None:
    url = make_database(backend, "keys_migration")
    from alembic import command

    command.downgrade(db.alembic_config(url), "0008")
    with db.get_engine(url).begin() as conn:
        columns = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'beneficiary'" if backend == "postgresql" else
            "SELECT name FROM pragma_table_info('beneficiary')"))}
        assert "record_key" not in columns
        for i in range(1, 201):
            conn.execute(text(
                "INSERT INTO beneficiary (case_number, country, sex, return_date, "
                "registration_date, status, consent_story, created_at, updated_at) VALUES "
                "(:c, 'MA', 'M', '2015-01-01', '2015-01-02', 'registered', false, "
                "'2015-01-02', '2015-01-02')"), {"c": f"M-{i}"})
        conn.execute(text(
            "INSERT INTO capacity_activity (country, activity_date, institution, "
            "institution_type, activity, created_at, updated_at) VALUES ('MA', "
            "'2015-01-01', 'X', 'local_authority', 'training', '2015-01-01', '2015-01-01')"))
    db.dispose_engine(url)
    db.upgrade(url)
    with db.get_engine(url).connect() as conn:
        keys = [int(k) for (k,) in conn.execute(text("SELECT record_key FROM beneficiary"))]
        assert conn.execute(text("SELECT record_key FROM capacity_activity")).scalar() is not None
        cell_columns = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'analytics_cell'" if backend == "postgresql" else
            "SELECT name FROM pragma_table_info('analytics_cell')"))}
    assert len(keys) == 200
    assert all(0 <= k < KEY_RANGE for k in keys)
    assert len(set(keys)) > 190  # random, not a default
    assert max(keys) > KEY_RANGE // 2 > min(keys)
    assert {"k", "k1", "k2", "k3", "k4"} <= cell_columns
    # and new rows get a key from the model default
    with db.session(url, Scope.everything()) as session:
        from data_access.models import Beneficiary
        from data_access.vocab import Sex

        session.add(Beneficiary(case_number="NEW", country="MA", sex=Sex("M"),
                                return_date=D(2015, 1, 1), registration_date=D(2015, 1, 1)))
    with db.get_engine(url).connect() as conn:
        new = conn.execute(text("SELECT record_key FROM beneficiary WHERE case_number = "
                                "'NEW'")).scalar()
    assert new is not None and 0 <= int(new) < KEY_RANGE


# --- the figures that are not indicators (metrics.pipeline and the others) ----------------

def _handed_to_disclosure(url: str, figure: Callable[..., pd.DataFrame], scope: Scope, *,
                          cubes: bool, monkeypatch: pytest.MonkeyPatch) -> list[pd.DataFrame]:
    """The frames ``figure`` hands to disclosure.apply (a spy: apply still runs)."""
    from data_access import disclosure

    seen: list[pd.DataFrame] = []
    original = disclosure.apply

    def spy(frame: pd.DataFrame, *args: Any, **kwargs: Any) -> pd.DataFrame:  # Any: passed on
        frame = frame.copy()
        frame.attrs["kind"] = args[1] if len(args) > 1 else kwargs["kind"]
        seen.append(frame)
        return original(frame, *args, **kwargs)

    monkeypatch.setattr(disclosure, "apply", spy)
    with db.session(url, scope) as session:
        session.info["analytics"] = cubes
        figure(session, Filters(START, END, (), "quarter"))
    monkeypatch.undo()
    return seen


def _figures() -> dict[str, Callable[..., pd.DataFrame]]:
    from metrics import cooperatives, distributions, pipeline

    return {"funnel": pipeline.funnel, "bands": distributions.amount_bands,
            "hosts": distributions.host_countries,
            "route": cooperatives.assisted_by_route,
            "route by country": lambda s, f: cooperatives.assisted_by_route(s, f, ("country",)),
            "status": cooperatives.by_status, "list": cooperatives.cooperative_list}


@pytest.mark.parametrize("name", list(_figures()))
def test_figures_hand_their_key_sums_to_disclosure(fixture_url: str, name: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    donor = Scope.for_countries(["MA", "SN", "TN"], aggregates_only=True)
    frames = {cubes: _handed_to_disclosure(fixture_url, _figures()[name], donor, cubes=cubes,
                                           monkeypatch=monkeypatch)
              for cubes in (False, True)}
    for frame in frames[True]:
        counts = [c for c in COUNT_COLUMNS if c in frame.columns]
        if frame.attrs["kind"] == "count":
            counts.append("value")
        assert counts, name
        for column in counts:
            assert column + "_key" in frame.columns, f"{name}: {column} has no key"
            values = pd.to_numeric(frame[column]).fillna(0)
            assert ((frame[column + "_key"] > 0) == (values > 0)).all(), (name, column)
    # the cubes give the same keys as the case tables
    assert len(frames[True]) == len(frames[False])
    for fast_frame, exact in zip(frames[True], frames[False], strict=True):
        keys = [c for c in exact.columns if str(c).endswith("_key")]
        assert keys == [c for c in fast_frame.columns if str(c).endswith("_key")], name
        pd.testing.assert_frame_equal(fast_frame[keys].reset_index(drop=True).astype("int64"),
                                      exact[keys].reset_index(drop=True).astype("int64"),
                                      obj=name)


def test_funnel_keys_equal_an_independent_computation(fixture_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered: every returnee registered in the range; its key is theirs."""
    from metrics import pipeline

    t = tables(fixture_url)
    want = distinct_cells(people(t), "id", "registration_date", ())
    for cubes in (False, True):
        counts = _handed_to_disclosure(fixture_url, pipeline.funnel, Scope.everything(),
                                       cubes=cubes, monkeypatch=monkeypatch)[0]
        assert int(counts["value"][0]) == int(want["value"][0])
        assert int(counts["value_key"][0]) == int(want["value_key"][0])
