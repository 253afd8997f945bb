"""The scope listener, on SQLite and PostgreSQL: a viewer scoped to SN never reads MA or TN.

One small dataset per backend (MA, SN, TN: beneficiaries with assistance, attendance at
training sessions, follow-ups, vulnerabilities, cooperatives, capacity activities, and
targets including a programme-wide one with country NULL) is written through an
unrestricted session, then read through ``Scope.for_countries(["SN"])`` in every query
shape the dashboard uses or could use.

Two rows are deliberately inconsistent (a writer bug the scope must still contain): an MA
assistance row attached to an SN beneficiary, and an SN assistance row pointing at an MA
cooperative. Rule 1 filters every table on its *own* country, so neither may surface.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    delete,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased, joinedload, selectinload, subqueryload

import metrics
from data_access import db
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
from data_access.scope import Scope, ScopeError
from data_access.vocab import (
    AssistanceKind,
    AssistanceStatus,
    CapacityActivityKind,
    CooperativeStatus,
    InstitutionType,
    Modality,
    Sector,
    Sex,
    TrainingKind,
    Vulnerability,
)
from metrics import Filters

COUNTRIES = ("MA", "SN", "TN")
PER_COUNTRY = {"MA": 3, "SN": 2, "TN": 3}
SCOPED_MODELS = (Beneficiary, BeneficiaryVulnerability, Cooperative, Assistance,
                 TrainingSession, Attendance, FollowUp, CapacityActivity)
SN = Scope.for_countries(["SN"])
AGG = Scope(aggregates_only=True)
DAY = dt.date(2016, 3, 1)


# --- the dataset -----------------------------------------------------------------------

def _populate(s: Session) -> None:
    coops: dict[str, Cooperative] = {}
    for c in COUNTRIES:
        coop = Cooperative(country=c, name=f"Coop {c}", sector=Sector.AGRICULTURE,
                           registration_date=DAY, status=CooperativeStatus.REGISTERED)
        training = TrainingSession(country=c, kind=TrainingKind.BUSINESS_MANAGEMENT,
                                   session_date=DAY, provider=f"Provider {c}")
        coops[c] = coop
        s.add_all([coop, training,
                   CapacityActivity(country=c, activity_date=DAY, institution=f"Inst {c}",
                                    institution_type=InstitutionType.LOCAL_AUTHORITY,
                                    activity=CapacityActivityKind.TRAINING, people_reached=10),
                   Target(indicator="BEN-2", country=c, period_end=dt.date(2016, 12, 31),
                          baseline=0, target=100)])
        s.flush()
        for i in range(PER_COUNTRY[c]):
            ben = Beneficiary(country=c, case_number=f"{c}-{i}", sex=Sex.F if i % 2 else Sex.M,
                              birth_year=1990, return_date=dt.date(2016, 1, 5),
                              registration_date=dt.date(2016, 1, 10), first_name=f"First{c}{i}",
                              last_name=f"Last{c}{i}", phone=f"+000{i}")
            s.add(ben)
            s.flush()
            s.add_all([
                Assistance(country=c, beneficiary_id=ben.id, modality=Modality.COLLECTIVE,
                           kind=AssistanceKind.BUSINESS_GRANT, sector=Sector.AGRICULTURE,
                           amount_eur=Decimal("1000.00"), approved_date=DAY,
                           delivered_date=DAY, status=AssistanceStatus.DELIVERED,
                           cooperative_id=coop.id),
                Attendance(country=c, session_id=training.id, beneficiary_id=ben.id,
                           completed=True),
                FollowUp(country=c, beneficiary_id=ben.id, visit_date=dt.date(2016, 6, 1),
                         business_operating=True, jobs_created=1, score_economic=0.5,
                         score_social=0.5, score_psychosocial=0.5),
            ])
            if i == 0:
                s.add(BeneficiaryVulnerability(country=c, beneficiary_id=ben.id,
                                               vulnerability=Vulnerability.MEDICAL))
    s.add(Target(indicator="BEN-2", country=None, period_end=dt.date(2016, 12, 31),
                 baseline=0, target=300))
    s.flush()
    sn_ben = s.scalars(select(Beneficiary).where(Beneficiary.case_number == "SN-0")).one()
    # The two inconsistent rows (approved, not delivered: indicators are unaffected).
    s.add_all([
        Assistance(country="MA", beneficiary_id=sn_ben.id, modality=Modality.INDIVIDUAL,
                   kind=AssistanceKind.HOUSING, status=AssistanceStatus.APPROVED,
                   amount_eur=Decimal("7.00")),
        Assistance(country="SN", beneficiary_id=sn_ben.id, modality=Modality.COLLECTIVE,
                   kind=AssistanceKind.BUSINESS_GRANT, status=AssistanceStatus.APPROVED,
                   cooperative_id=coops["MA"].id, amount_eur=Decimal("5.00")),
    ])


_built: dict[str, str] = {}


@pytest.fixture
def url(backend: str, make_database: Callable[[str, str], str]) -> str:
    """The populated database on ``backend`` (built once per session; tests only read)."""
    if backend not in _built:
        new = make_database(backend, "scope")
        with db.session(new, Scope.everything()) as s:
            _populate(s)
        _built[backend] = new
    return _built[backend]


@contextmanager
def read(url: str, scope: Scope = SN) -> Iterator[Session]:
    """A session that never writes: rolled back whatever the test did."""
    with db.session(url, scope) as s:
        try:
            yield s
        finally:
            s.rollback()


# Any: the parametrized models are several mapped classes (each with its own columns), and
# the statements and loaders of every shape the scope must handle.
def everything_count(url: str, model: Any, country: str = "SN") -> int:
    with read(url, Scope.everything()) as s:
        return s.scalar(select(func.count()).select_from(model)
                        .where(model.country == country)) or 0


def assert_only_sn(values: Any) -> None:
    values = list(values)
    assert values, "the query returned nothing: the test data or the query is wrong"
    assert set(values) <= {"SN"}, f"rows of other countries leaked: {sorted(set(values))}"


# --- plain selects ---------------------------------------------------------------------

def test_the_unrestricted_session_sees_every_country(url: str) -> None:
    with read(url, Scope.everything()) as s:
        for model in SCOPED_MODELS:
            assert set(s.scalars(select(model.country))) == set(COUNTRIES), model.__name__
        assert None in set(s.scalars(select(Target.country)))


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_entity_select(url: str, model: Any) -> None:
    with read(url) as s:
        countries = [r.country for r in s.scalars(select(model))]
    assert_only_sn(countries)
    assert len(countries) == everything_count(url, model)


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_column_select_and_count(url: str, model: Any) -> None:
    with read(url) as s:
        assert_only_sn(s.scalars(select(model.country)))
        assert s.scalar(select(func.count()).select_from(model)) == everything_count(url, model)
        assert s.scalar(select(func.count(model.country))) == everything_count(url, model)


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_aliased_entity(url: str, model: Any) -> None:
    alias = aliased(model)
    with read(url) as s:
        assert_only_sn(s.scalars(select(alias.country)))


def test_get_by_primary_key_of_another_country(url: str) -> None:
    with read(url, Scope.everything()) as s:
        ma_id = s.scalar(select(Beneficiary.id).where(Beneficiary.country == "MA"))
        sn_id = s.scalar(select(Beneficiary.id).where(Beneficiary.country == "SN"))
    with read(url) as s:
        assert s.get(Beneficiary, ma_id) is None
        assert s.get(Beneficiary, sn_id) is not None


def test_targets_are_the_scoped_countries_only(url: str) -> None:
    with read(url) as s:
        rows = s.scalars(select(Target)).all()
        assert [t.country for t in rows] == ["SN"]
        assert s.scalar(select(func.count()).select_from(Target)) == 1
        assert s.scalar(select(func.sum(Target.target))) == 100
        assert s.scalar(select(func.count()).select_from(Target)
                        .where(Target.country.is_(None))) == 0


# --- joins -----------------------------------------------------------------------------

PAIRS = [(a, b) for i, a in enumerate(SCOPED_MODELS) for b in SCOPED_MODELS[i + 1:]]


@pytest.mark.parametrize(("left", "right"), PAIRS,
                         ids=[f"{a.__name__}-{b.__name__}" for a, b in PAIRS])
def test_cross_join_filters_both_sides(url: str, left: Any, right: Any) -> None:
    """A join on a condition that says nothing about country: each side is filtered."""
    with read(url) as s:
        rows = s.execute(select(left.country, right.country).join(right, true())).all()
    assert_only_sn(c for row in rows for c in row)
    assert len(rows) == everything_count(url, left) * everything_count(url, right)


@pytest.mark.parametrize("model", SCOPED_MODELS[1:], ids=lambda m: m.__name__)
def test_outer_join_filters_the_outer_side(url: str, model: Any) -> None:
    with read(url) as s:
        rows = s.execute(select(Beneficiary.country, model.country)
                         .outerjoin(model, true())).all()
        assert_only_sn(row[0] for row in rows)
        assert_only_sn(row[1] for row in rows)
        rows = s.execute(select(model.country, Beneficiary.country)
                         .outerjoin(Beneficiary, true())).all()
        assert_only_sn(row[0] for row in rows)
        assert_only_sn(row[1] for row in rows)


def test_relationship_join_hides_an_inconsistent_fact_row(url: str) -> None:
    with read(url) as s:
        rows = s.execute(select(Beneficiary.case_number, Assistance.country, Assistance.amount_eur)
                         .join(Beneficiary.assistance)).all()
        assert_only_sn(row[1] for row in rows)
        assert Decimal("7.00") not in {row[2] for row in rows}  # the MA row on SN-0
        linked = s.execute(select(Assistance.id, Cooperative.country)
                           .outerjoin(Assistance.cooperative)).all()
        assert {row[1] for row in linked} <= {"SN", None}


def test_union_of_scoped_selects(url: str) -> None:
    stmt = union_all(*[select(m.country) for m in SCOPED_MODELS])
    with read(url) as s:
        assert_only_sn(s.scalars(stmt))
        sub = stmt.subquery()
        assert_only_sn(s.scalars(select(sub.c.country)))


# --- subqueries, CTEs, EXISTS ----------------------------------------------------------

@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_subquery_in_from(url: str, model: Any) -> None:
    sub = select(model.country.label("country")).subquery()
    with read(url) as s:
        assert_only_sn(s.scalars(select(sub.c.country)))
        assert s.scalar(select(func.count()).select_from(sub)) == everything_count(url, model)


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_scalar_subquery_in_select_list(url: str, model: Any) -> None:
    count = select(func.count()).select_from(model).scalar_subquery()
    with read(url) as s:
        rows = s.execute(select(Cooperative.country, count)).all()
    assert_only_sn(row[0] for row in rows)
    assert {row[1] for row in rows} == {everything_count(url, model)}


def test_in_subquery(url: str) -> None:
    ids = select(Assistance.beneficiary_id).where(Assistance.country == "MA")
    with read(url) as s:
        assert s.scalars(select(Beneficiary.country).where(Beneficiary.id.in_(ids))).all() \
            == []  # MA assistance rows are invisible, even the one on an SN beneficiary


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_cte(url: str, model: Any) -> None:
    cte = select(model.country.label("country")).cte("scoped")
    with read(url) as s:
        assert_only_sn(s.scalars(select(cte.c.country)))
        assert s.scalar(select(func.count()).select_from(cte)) == everything_count(url, model)


def test_recursive_cte_over_a_scoped_table(url: str) -> None:
    base = select(Beneficiary.id.label("id"), Beneficiary.country.label("country"),
                  literal(0).label("depth")).cte("walk", recursive=True)
    walk = base.union_all(select(base.c.id, base.c.country, base.c.depth + 1)
                          .where(base.c.depth < 1))
    with read(url) as s:
        assert_only_sn(s.scalars(select(walk.c.country)))


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_exists_does_not_reveal_other_countries(url: str, model: Any) -> None:
    with read(url) as s:
        # Rows of SN cooperatives come back only if some MA row of `model` were visible.
        leaked = s.scalars(select(Cooperative.country)
                           .where(exists().where(model.country == "MA"))).all()
        assert leaked == []
        assert_only_sn(s.scalars(select(Cooperative.country)
                                 .where(exists().where(model.country == "SN"))))


def test_correlated_exists_and_any(url: str) -> None:
    with read(url) as s:
        assert_only_sn(s.scalars(select(Beneficiary.country).where(
            exists().where(Assistance.beneficiary_id == Beneficiary.id))))
        assert_only_sn(s.scalars(select(Beneficiary.country)
                                 .where(Beneficiary.assistance.any())))
        # SN-0's only MA assistance must not count as "has housing assistance".
        assert s.scalars(select(Beneficiary.country).where(
            Beneficiary.assistance.any(Assistance.kind == AssistanceKind.HOUSING))).all() == []


# --- aggregates ------------------------------------------------------------------------

def test_aggregates(url: str) -> None:
    with read(url, Scope.everything()) as s:
        sn_total = s.scalar(select(func.sum(Assistance.amount_eur))
                            .where(Assistance.country == "SN"))
    with read(url) as s:
        rows = s.execute(select(Beneficiary.country, func.count())
                         .group_by(Beneficiary.country)).all()
        assert rows == [("SN", PER_COUNTRY["SN"])]
        assert s.scalar(select(func.sum(Assistance.amount_eur))) == sn_total
        assert s.scalar(select(func.count(func.distinct(Attendance.beneficiary_id)))) \
            == PER_COUNTRY["SN"]
        assert s.scalar(select(func.max(FollowUp.country))) == "SN"
        having = s.execute(select(Cooperative.country, func.count())
                           .group_by(Cooperative.country).having(func.count() > 0)).all()
        assert_only_sn(row[0] for row in having)


# --- relationship loads ----------------------------------------------------------------

def test_lazy_relationship_loads(url: str) -> None:
    with read(url) as s:
        bens = s.scalars(select(Beneficiary)).all()
        assert_only_sn(a.country for b in bens for a in b.assistance)
        assert_only_sn(v.country for b in bens for v in b.vulnerabilities)
        sn0 = next(b for b in bens if b.case_number == "SN-0")
        assert Decimal("7.00") not in {a.amount_eur for a in sn0.assistance}
        assists = s.scalars(select(Assistance)).all()
        assert {a.cooperative.country if a.cooperative else None for a in assists} \
            <= {"SN", None}  # the SN row pointing at Coop MA sees no cooperative
        assert_only_sn(a.beneficiary.country for a in assists)
        assert_only_sn(att.session.country for att in s.scalars(select(Attendance)))
        assert_only_sn(v.beneficiary.country
                       for v in s.scalars(select(BeneficiaryVulnerability)))


@pytest.mark.parametrize("loader", [selectinload, joinedload, subqueryload],
                         ids=["selectin", "joined", "subquery"])
def test_eager_relationship_loads(url: str, loader: Any) -> None:
    with read(url) as s:
        stmt = select(Beneficiary).options(loader(Beneficiary.assistance),
                                           loader(Beneficiary.vulnerabilities))
        bens = s.scalars(stmt).unique().all()
        assert_only_sn(b.country for b in bens)
        assert_only_sn(a.country for b in bens for a in b.assistance)
        assert_only_sn(v.country for b in bens for v in b.vulnerabilities)
        assists = s.scalars(select(Assistance).options(loader(Assistance.cooperative),
                                                       loader(Assistance.beneficiary))
                            ).unique().all()
        assert {a.cooperative.country if a.cooperative else None for a in assists} \
            <= {"SN", None}
        assert_only_sn(a.beneficiary.country for a in assists)


# --- writes ----------------------------------------------------------------------------

@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_bulk_update_touches_the_scope_only(url: str, model: Any) -> None:
    with read(url) as s:
        # Session.execute is typed Result; an UPDATE's is a CursorResult, with a rowcount.
        updated = s.execute(update(model).values(country=model.country)).rowcount  # type: ignore[attr-defined]
        assert updated == everything_count(url, model)


# Cooperatives are referenced by assistance rows without ON DELETE: not deletable in bulk.
DELETABLE = [m for m in SCOPED_MODELS if m is not Cooperative]


@pytest.mark.parametrize("model", DELETABLE, ids=lambda m: m.__name__)
def test_bulk_delete_touches_the_scope_only(url: str, model: Any) -> None:
    with read(url) as s:
        # As above: a DELETE's Result is a CursorResult.
        deleted = s.execute(delete(model).where(model.country != "XX")).rowcount  # type: ignore[attr-defined]
        assert deleted == everything_count(url, model)


# --- statements the listener cannot inspect --------------------------------------------

@pytest.mark.parametrize("stmt", [
    text("select * from beneficiary"),
    select(Beneficiary.__table__),
    select(literal(1)),
], ids=["text", "bare-table", "no-entity"])
def test_uninspectable_statements_are_refused(url: str, stmt: Any) -> None:
    with pytest.raises(ScopeError), db.session(url, SN) as s:
        s.execute(stmt)


def test_text_is_refused_for_aggregate_only_viewers_too(url: str) -> None:
    with pytest.raises(ScopeError), db.session(url, AGG) as s:
        s.execute(text("select count(*) from beneficiary"))


# --- aggregate-only viewers ------------------------------------------------------------


@pytest.mark.parametrize("stmt", [
    select(Beneficiary),
    select(Beneficiary.first_name),
    select(Beneficiary.last_name),
    select(Beneficiary.phone),
    select(Beneficiary.case_number),
    select(Beneficiary.birth_date),
    select(Beneficiary.id, Beneficiary.first_name, Beneficiary.last_name),
    select(Beneficiary.country, Beneficiary.phone).where(Beneficiary.country == "SN"),
], ids=["entity", "first_name", "last_name", "phone", "case_number", "birth_date",
        "id+names", "country+phone"])
def test_aggregate_only_viewers_cannot_select_personal_data(url: str, stmt: Any) -> None:
    with pytest.raises(ScopeError), db.session(url, AGG) as s:
        s.execute(stmt).all()


@pytest.mark.parametrize("load", [
    lambda s: s.get(Beneficiary, 1),
    lambda s: [a.beneficiary for a in s.scalars(select(Assistance))],
    lambda s: s.query(Beneficiary.first_name).all(),
], ids=["get", "lazy-load", "legacy-query"])
def test_aggregate_only_viewers_cannot_load_beneficiaries(url: str, load: Any) -> None:
    with pytest.raises(ScopeError), read(url, AGG) as s:
        load(s)


def test_aggregate_only_viewers_can_count(url: str) -> None:
    with read(url, AGG) as s:
        assert s.scalar(select(func.count()).select_from(Beneficiary)) == sum(
            PER_COUNTRY.values())
        rows = s.execute(select(Beneficiary.country, func.count())
                         .group_by(Beneficiary.country)).all()
        assert dict(rows) == PER_COUNTRY
        assert s.scalar(select(func.count(literal_column("*"))).select_from(Beneficiary)
                        ) == sum(PER_COUNTRY.values())
        # EXISTS (…) selects * but returns only true or false (BEN-3's "vulnerable"):
        # allowed, while a projected * stays refused (below).
        from sqlalchemy import exists

        from data_access.models import BeneficiaryVulnerability
        flagged = exists().where(BeneficiaryVulnerability.beneficiary_id == Beneficiary.id)
        assert s.scalars(select(func.count()).select_from(Beneficiary).where(flagged)
                         ).one() <= sum(PER_COUNTRY.values())


# --- shapes that once leaked: each must now be refused with ScopeError ----------------
#
# Each shape returned personal data (aggregate-only scope) or other countries' rows (SN
# scope) before the listener walked whole statements and guarded the raw connection.

BEN = Beneficiary.__table__
AGG_LEAKS: dict[str, Callable[[Session], Any]] = {
    "labelled-column": lambda s: s.execute(select(Beneficiary.first_name.label("x"))).all(),
    "expression": lambda s: s.execute(select(Beneficiary.first_name + "")).all(),
    "aggregate-of-personal-column": lambda s: s.execute(select(func.min(Beneficiary.phone))).all(),
    "aliased-entity": lambda s: [b.first_name for b in s.scalars(select(aliased(Beneficiary)))],
    "subquery-column": lambda s: s.execute(
        select(select(Beneficiary.case_number).subquery().c.case_number)).all(),
    "table-column-beside-entity": lambda s: s.execute(select(Beneficiary.id, BEN.c.phone)).all(),
    "joinedload": lambda s: [a.beneficiary.first_name for a in s.scalars(
        select(Assistance).options(joinedload(Assistance.beneficiary))).unique()],
    "update-returning": lambda s: s.execute(
        update(Beneficiary).values(region=None).returning(Beneficiary.phone)).all(),
    # Issue 14: a '*' column names no column, so the personal-column check saw nothing.
    "star": lambda s: s.execute(select(literal_column("*")).select_from(Beneficiary)).all(),
    "table-star": lambda s: s.execute(
        select(literal_column("beneficiary.*")).select_from(Beneficiary)).all(),
    "star-beside-count": lambda s: s.execute(
        select(func.count(), literal_column("*")).select_from(Beneficiary)).all(),
    "driver-sql": lambda s: s.connection().exec_driver_sql(
        "select * from beneficiary").all(),
}


@pytest.mark.parametrize("shape", list(AGG_LEAKS))
def test_aggregate_only_refuses_personal_data(url: str, shape: str) -> None:
    with pytest.raises(ScopeError), read(url, AGG) as s:
        AGG_LEAKS[shape](s)


COUNTRY_LEAKS: dict[str, Callable[[Session], Any]] = {
    # A bare Table inside an ORM statement is neither filtered nor refused.
    "table-join": lambda s: s.scalars(select(BEN.c.country).select_from(Cooperative)
                                      .join(BEN, true())).all(),
    "table-exists": lambda s: ["MA"] * len(s.scalars(select(Cooperative.country).where(
        exists().where(BEN.c.country == "MA"))).all()),
    "table-scalar-subquery": lambda s: ["MA"] * (s.scalar(select(
        select(func.count()).select_from(BEN).where(BEN.c.country == "MA")
        .scalar_subquery()).select_from(Cooperative)) or 0),
    # A text() fragment inside an ORM statement is not refused.
    "text-fragment": lambda s: ["MA"] * len(s.scalars(select(Cooperative.country).where(
        text("exists (select 1 from beneficiary where country = 'MA')"))).all()),
    # The session's own connection runs anything, outside the listener.
    "session-connection": lambda s: s.connection().execute(
        text("select country from beneficiary")).scalars().all(),
    # Issue 14: driver-level SQL reaches the cursor without a before_execute event.
    "driver-sql": lambda s: s.connection().exec_driver_sql(
        "select country from beneficiary").scalars().all(),
}


@pytest.mark.parametrize("shape", list(COUNTRY_LEAKS))
def test_country_scope_refuses_unscoped_shapes(url: str, shape: str) -> None:
    with pytest.raises(ScopeError), read(url) as s:
        COUNTRY_LEAKS[shape](s)


# --- metrics through the scope ---------------------------------------------------------

def test_ben_2_by_country_under_the_sn_scope(url: str) -> None:
    with read(url, Scope.everything()) as s:
        everything = metrics.compute("BEN-2", s, Filters(), ("country",))
    with read(url) as s:
        scoped = metrics.compute("BEN-2", s, Filters(), ("country",))
    assert set(everything["country"]) == set(COUNTRIES)
    assert list(scoped["country"]) == ["SN"]
    sn_value = everything.loc[everything["country"] == "SN", "value"].item()
    assert scoped["value"].item() == sn_value == PER_COUNTRY["SN"]


def test_a_tampered_country_filter_returns_no_other_country(url: str) -> None:
    with read(url) as s:
        by_country = metrics.compute("BEN-2", s, Filters(countries=("MA",)), ("country",))
        total = metrics.compute("BEN-2", s, Filters(countries=("MA",)))
    assert "MA" not in set(by_country.get("country", []))
    assert by_country.empty or (by_country["value"].fillna(0) == 0).all()
    assert (total["value"].fillna(0) == 0).all()
