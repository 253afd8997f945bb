"""Who may see what: the one place that applies a user's scope.

Rules (domain.md, "Privacy rules"):

1. A scope names the countries a viewer may see (``None`` = every country). Every session
   the dashboard reads through is opened with a scope (``data_access.db.session``), and a
   ``do_orm_execute`` listener adds ``country IN (…)`` to *every* occurrence of every
   ``CountryScoped`` table in every SELECT, UPDATE and DELETE that session runs — in joins,
   subqueries and CTEs alike (``with_loader_criteria``). Targets follow the same rule, and a
   scoped viewer never sees the programme-wide target rows (country NULL).
2. What the criteria cannot reach fails closed in a restricted session: ``text()`` and
   non-trivial ``literal_column`` fragments, bare case ``Table`` objects or columns anywhere
   in a statement, and anything run on the session's raw connection (an engine-level
   ``before_execute`` guard lets through only statements that passed the listener, and the
   unit of work's writes; a ``before_cursor_execute`` guard refuses driver-level SQL,
   ``exec_driver_sql``, which no ``before_execute`` event sees).
3. ``aggregates_only`` (donors) is enforced twice: no personal column (names, phone, case
   number, birth date) may appear anywhere in the final SQL of such a session (nor a
   ``*`` column, whose content that check cannot see; ``count(*)`` is fine), and every
   indicator result passes through ``data_access.disclosure`` before anyone sees it.

4. A partner scope (issue 21: a ``partner`` user, an implementing partner) sees only what
   its partner delivered or was referred: its own partner row; the referrals to it; the
   assistance, training sessions (and their attendance), follow-up visits and cooperatives
   that name it; and the beneficiaries of those records (and their vulnerability flags).
   It sees no capacity-building activity, no target and no analytics cell (the cubes are
   not kept per partner: its figures are computed from the case tables, and
   ``data_access.db`` switches the fast path off for it). The same listener adds these
   criteria, on top of the country ones, to every occurrence of every table.

Pages and metrics never filter by the viewer's countries themselves; they may narrow
further with the user's filters, which can only ever intersect with the scope.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Delete, Engine, Insert, Update, event, false, select, union
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import functions
from sqlalchemy.sql.elements import ColumnClause, TextClause
from sqlalchemy.sql.selectable import Exists, Join, Select, TableClause

from data_access.models import (
    AnalyticsCell,
    Assistance,
    Attendance,
    Beneficiary,
    BeneficiaryVulnerability,
    CapacityActivity,
    Cooperative,
    CountryScoped,
    FollowUp,
    Partner,
    Referral,
    Target,
    TrainingSession,
)

PERSONAL_COLUMNS = ("first_name", "last_name", "phone", "case_number", "birth_date")


class ScopeError(PermissionError):
    """A query that the viewer's scope does not allow."""


@dataclass(frozen=True)
class Scope:
    """The countries a viewer may see and whether they get aggregates only."""

    countries: frozenset[str] | None = None  # None: every country
    aggregates_only: bool = False
    suppression_threshold: int = 5
    rounding_base: int = 5  # donors' counts: random rounding base (data_access.disclosure)
    partner: int | None = None  # a partner user's partner id: what it delivered only (rule 4)

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    @classmethod
    def for_partner(cls, partner: int, countries: Iterable[str] | None = None) -> Scope:
        """A partner user's scope: its partner's records (within ``countries`` if given)."""
        return cls(None if countries is None else frozenset(c.upper() for c in countries),
                   partner=int(partner))

    @classmethod
    def for_countries(cls, countries: Iterable[str], *, aggregates_only: bool = False,
                      suppression_threshold: int = 5) -> Scope:
        return cls(frozenset(c.upper() for c in countries), aggregates_only,
                   suppression_threshold)

    @property
    def restricted(self) -> bool:
        return self.countries is not None or self.aggregates_only or self.partner is not None

    def allows(self, country: str | None) -> bool:
        return self.countries is None or (country is not None and country in self.countries)

    def narrow(self, requested: Iterable[str]) -> tuple[str, ...]:
        """The requested countries that the scope allows (all allowed ones if none asked)."""
        asked = tuple(sorted({c.upper() for c in requested}))
        if self.countries is None:
            return asked
        if not asked:
            return tuple(sorted(self.countries))
        return tuple(c for c in asked if c in self.countries)

    def key(self) -> str:
        """A short stable text naming the scope (used to key saved report texts)."""
        countries = "ALL" if self.countries is None else ",".join(sorted(self.countries))
        partner = f"/partner={self.partner}" if self.partner is not None else ""
        return f"{countries}{'/agg' if self.aggregates_only else ''}{partner}"


_CASE_TABLES = frozenset(
    mapper.local_table.name for mapper in Beneficiary.registry.mappers
    if (issubclass(mapper.class_, CountryScoped) or mapper.class_ is Target)
    and isinstance(mapper.local_table, TableClause))
_PERSONAL_SQL = re.compile(r"\b({})\b".format("|".join(PERSONAL_COLUMNS)), re.IGNORECASE)
_SAFE_LITERAL = re.compile(r"^[\w*.]*$")
_TRANSACTION_SQL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_APPLIED = "_rrd_scope_applied"
# Connections currently used by a restricted session, and its scope.
_RESTRICTED: weakref.WeakKeyDictionary[Connection, Scope] = weakref.WeakKeyDictionary()
_GUARDED: weakref.WeakSet[Engine] = weakref.WeakSet()


def install(session: Session) -> None:
    """Attach the scope guards to one session (called by ``data_access.db.session``)."""
    if session.info.get("_scope_listener"):
        return
    session.info["_scope_listener"] = True
    event.listen(session, "do_orm_execute", _apply_scope)
    event.listen(session, "after_begin", _remember_connection)
    engine = session.get_bind()
    if isinstance(engine, Engine) and engine not in _GUARDED:
        _GUARDED.add(engine)
        event.listen(engine, "before_execute", _check_execute)
        event.listen(engine, "before_cursor_execute", _check_sql)


# Any below: the walkers take any SQL construct (statement, clause, column, table) and read
# attributes only some have; the event hooks' unused arguments are whatever SQLAlchemy passes.
def _remember_connection(session: Session, _transaction: Any, connection: Connection) -> None:
    scope: Scope | None = session.info.get("scope")
    if scope is not None and scope.restricted:
        _RESTRICTED[connection] = scope


def _orm(element: Any) -> bool:
    """Whether the ORM produced this element (entity or relationship), so criteria apply."""
    annotations = getattr(element, "_annotations", {})
    return "parententity" in annotations or "parentmapper" in annotations


def _walk(statement: Any) -> Iterator[Any]:
    """Every element of a statement, not descending below ORM-annotated ones.

    An ORM column's children include its plain ``Table``; that table is covered by the
    loader criteria, so it must not be mistaken for a bare one.
    """
    stack, seen = [statement], set()
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        yield element
        if not _orm(element):
            stack.extend(element.get_children())


def _unscoped_parts(statement: Any) -> list[str]:
    """Parts of a statement the loader criteria cannot reach: raw SQL, bare case tables.

    The ORM itself writes bare columns (``get()``, lazy loads, ``any()``) of tables that
    are in the statement as ORM entities, which the criteria cover; a bare column is a
    leak only when its table appears nowhere in the statement as an entity.
    """
    found: list[str] = []
    bare_columns: list[tuple[str, str]] = []  # (table, column)
    entity_tables: set[str] = set()
    for element in _walk(statement):
        if _orm(element):
            table = element if isinstance(element, TableClause) else \
                getattr(element, "table", None)
            if isinstance(table, TableClause):
                entity_tables.add(table.name)
        elif isinstance(element, TextClause):
            found.append(f"text({element.text[:40]!r})")
        elif isinstance(element, ColumnClause) and element.is_literal \
                and not _SAFE_LITERAL.match(element.name):
            found.append(f"literal_column({element.name[:40]!r})")
        elif isinstance(element, (Select, Join)):
            # Tables named explicitly (select_from, join); the FROM objects a Select
            # derives from its ORM columns are plain Tables too, and are covered.
            named = element._from_obj if isinstance(element, Select) else \
                (element.left, element.right)
            found += [f"table {t.name}" for t in named
                      if isinstance(t, TableClause) and t.name in _CASE_TABLES
                      and not _orm(t)]
        elif isinstance(element, ColumnClause) and isinstance(element.table, TableClause) \
                and element.table.name in _CASE_TABLES:
            bare_columns.append((element.table.name, element.name))
    found += [f"column {table}.{column}" for table, column in bare_columns
              if table not in entity_tables]
    return found


def _unchecked_columns(statement: Any) -> list[str]:
    """Columns whose content the personal-column check cannot see in the SQL: ``*`` (a
    bare ``SELECT *``, ``beneficiary.*``) anywhere but as the argument of ``count(*)`` or
    inside ``EXISTS (…)``, which returns only true or false (``exists().where(…)`` selects
    ``*``)."""
    counted: set[int] = set()
    found: list[str] = []
    for element in _walk(statement):
        if isinstance(element, Exists):
            counted |= {id(inner) for inner in _walk(element)
                        if isinstance(inner, ColumnClause) and "*" in inner.name}
    for element in _walk(statement):  # a function comes before its arguments
        if isinstance(element, functions.count):
            args = list(element.clauses)
            if len(args) == 1 and isinstance(args[0], ColumnClause) and args[0].name == "*":
                counted.add(id(args[0]))
        elif isinstance(element, ColumnClause) and "*" in element.name \
                and id(element) not in counted:
            found.append(f"column {element.name[:40]!r}")
    return found


def _apply_scope(state: ORMExecuteState) -> None:
    scope: Scope | None = state.session.info.get("scope")
    if scope is None:
        raise ScopeError("a session was opened without a scope")
    if not scope.restricted:
        return
    if not state.is_orm_statement:
        raise ScopeError("restricted sessions run ORM statements only (no text() or bare "
                         "Table queries), so that the country scope can be applied")
    unscoped = _unscoped_parts(state.statement)
    if unscoped:
        raise ScopeError(f"restricted sessions cannot run {', '.join(sorted(set(unscoped)))}: "
                         "query through the ORM entities so the scope applies")
    if scope.aggregates_only:
        unchecked = _unchecked_columns(state.statement)
        if unchecked:
            raise ScopeError(f"aggregate-only viewers cannot select {', '.join(unchecked)}: "
                             "name the columns, so that personal ones can be refused")
    state.update_execution_options(**{_APPLIED: True})
    if scope.partner is not None:
        state.statement = state.statement.options(*_partner_criteria(scope.partner))
    if scope.countries is None:
        return
    allowed = tuple(sorted(scope.countries))
    state.statement = state.statement.options(
        with_loader_criteria(CountryScoped, lambda cls: cls.country.in_(allowed),
                             include_aliases=True, track_closure_variables=False),
        with_loader_criteria(Target, Target.country.in_(allowed), include_aliases=True),
    )


def _partner_criteria(partner: int) -> list[Any]:
    """Rule 4: the loader criteria of a partner scope, one per case table.

    Lambdas, so that they apply to aliases of the tables too (``include_aliases``); the
    partner id is their one closure variable, a bound value of the cached SQL."""
    def only(entity: Any, criterion: Any) -> Any:
        return with_loader_criteria(entity, criterion, include_aliases=True)

    return [
        only(Partner, lambda cls: cls.id == partner),
        only(Referral, lambda cls: cls.partner_id == partner),
        only(Assistance, lambda cls: cls.partner_id == partner),
        only(TrainingSession, lambda cls: cls.partner_id == partner),
        only(Attendance, lambda cls: cls.session_id.in_(
            select(TrainingSession.id).where(TrainingSession.partner_id == partner))),
        only(FollowUp, lambda cls: cls.partner_id == partner),
        only(Cooperative, lambda cls: cls.partner_id == partner),
        only(Beneficiary, lambda cls: cls.id.in_(union(
            select(Referral.beneficiary_id).where(Referral.partner_id == partner),
            select(Assistance.beneficiary_id).where(Assistance.partner_id == partner),
            select(FollowUp.beneficiary_id).where(FollowUp.partner_id == partner),
            select(Attendance.beneficiary_id).join(
                TrainingSession, TrainingSession.id == Attendance.session_id)
            .where(TrainingSession.partner_id == partner)))),
        only(BeneficiaryVulnerability, lambda cls: cls.beneficiary_id.in_(union(
            select(Referral.beneficiary_id).where(Referral.partner_id == partner),
            select(Assistance.beneficiary_id).where(Assistance.partner_id == partner),
            select(FollowUp.beneficiary_id).where(FollowUp.partner_id == partner),
            select(Attendance.beneficiary_id).join(
                TrainingSession, TrainingSession.id == Attendance.session_id)
            .where(TrainingSession.partner_id == partner)))),
        only(CapacityActivity, lambda cls: false()),
        only(Target, lambda cls: false()),
        only(AnalyticsCell, lambda cls: false()),
    ]


def _check_execute(conn: Connection, clause: Any, _multi: Any, _params: Any,
                   options: Any) -> None:
    """Refuse what reaches a restricted connection without passing ``_apply_scope``.

    That is ``Session.connection().execute(...)``. The unit of work's own INSERTs and
    plain UPDATE/DELETE (without RETURNING) read nothing and pass.
    """
    if conn not in _RESTRICTED or options.get(_APPLIED):
        return
    if isinstance(clause, Insert):
        return
    if isinstance(clause, (Update, Delete)) and not clause._returning:
        return
    raise ScopeError("restricted sessions cannot run statements on their raw connection")


def _check_sql(conn: Connection, _cursor: Any, statement: str, _parameters: Any,
               context: Any, _executemany: bool) -> None:
    """Two checks on the SQL a restricted connection sends to the database.

    Driver-level SQL (``exec_driver_sql``) reaches the cursor without any ``before_execute``
    event, so neither the listener nor ``_check_execute`` saw it: a restricted connection
    runs only compiled statements, and transaction control (BEGIN, SAVEPOINT, …).

    Aggregate-only viewers: no personal column may appear anywhere in the SQL. Checked on
    the final SQL text, so labels, expressions, aliases, subqueries, eager loads and
    RETURNING are all covered; the names are unique to the beneficiary table.
    """
    scope = _RESTRICTED.get(conn)
    if scope is None:
        return
    if getattr(context, "compiled", None) is None and not _TRANSACTION_SQL.match(statement):
        raise ScopeError("restricted sessions cannot run driver-level SQL "
                         "(exec_driver_sql): the country scope cannot be applied to it")
    if not scope.aggregates_only:
        return
    if statement.lstrip()[:6].upper() == "INSERT":
        return
    match = _PERSONAL_SQL.search(statement)
    if match:
        raise ScopeError(f"aggregate-only viewers cannot read {match.group(1)}")
