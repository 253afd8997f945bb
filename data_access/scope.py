"""Who may see what: the one place that applies a user's scope.

Rules (domain.md, "Privacy rules"):

1. A scope names the countries a viewer may see (``None`` = every country). Every session
   the dashboard reads through is opened with a scope (``data_access.db.session``), and a
   ``do_orm_execute`` listener adds ``country IN (…)`` to *every* occurrence of every
   ``CountryScoped`` table in every SELECT, UPDATE and DELETE that session runs — in joins,
   subqueries and CTEs alike (``with_loader_criteria``). Targets follow the same rule, and a
   scoped viewer never sees the programme-wide target rows (country NULL).
2. Statements the listener cannot inspect (``text()``, Core selects over bare ``Table``
   objects) are refused in a restricted session: the query fails closed rather than leaking.
3. ``aggregates_only`` (donors) is enforced twice: ``Beneficiary`` personal columns cannot
   be selected in such a session, and every indicator result passes through
   ``data_access.disclosure`` before anyone sees it.

Pages and metrics never filter by the viewer's countries themselves; they may narrow
further with the user's filters, which can only ever intersect with the scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from data_access.models import Beneficiary, CountryScoped, Target

PERSONAL_COLUMNS = ("first_name", "last_name", "phone", "case_number", "birth_date")


class ScopeError(PermissionError):
    """A query that the viewer's scope does not allow."""


@dataclass(frozen=True)
class Scope:
    """The countries a viewer may see and whether they get aggregates only."""

    countries: frozenset[str] | None = None  # None: every country
    aggregates_only: bool = False
    suppression_threshold: int = 5

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    @classmethod
    def for_countries(cls, countries: Iterable[str], *, aggregates_only: bool = False,
                      suppression_threshold: int = 5) -> Scope:
        return cls(frozenset(c.upper() for c in countries), aggregates_only,
                   suppression_threshold)

    @property
    def restricted(self) -> bool:
        return self.countries is not None or self.aggregates_only

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
        return f"{countries}{'/agg' if self.aggregates_only else ''}"


def _personal_columns_selected(state: ORMExecuteState) -> list[str]:
    names = []
    for desc in state.statement.column_descriptions:  # type: ignore[union-attr]
        entity = desc.get("entity")
        expr = desc.get("expr")
        if entity is Beneficiary and expr is Beneficiary:
            return list(PERSONAL_COLUMNS)
        if entity is Beneficiary and desc.get("name") in PERSONAL_COLUMNS:
            names.append(str(desc["name"]))
    return names


def install(session: Session) -> None:
    """Attach the scope listener to one session (called by ``data_access.db.session``)."""
    if session.info.get("_scope_listener"):
        return
    session.info["_scope_listener"] = True
    event.listen(session, "do_orm_execute", _apply_scope)


def _apply_scope(state: ORMExecuteState) -> None:
    scope: Scope | None = state.session.info.get("scope")
    if scope is None:
        raise ScopeError("a session was opened without a scope")
    if not scope.restricted:
        return
    if not state.is_orm_statement:
        raise ScopeError("restricted sessions run ORM statements only (no text() or bare "
                         "Table queries), so that the country scope can be applied")
    if scope.aggregates_only and state.is_select:
        leaked = _personal_columns_selected(state)
        if leaked:
            raise ScopeError(f"aggregate-only viewers cannot read {', '.join(leaked)}")
    if scope.countries is None:
        return
    allowed = tuple(sorted(scope.countries))
    state.statement = state.statement.options(
        with_loader_criteria(CountryScoped, lambda cls: cls.country.in_(allowed),
                             include_aliases=True, track_closure_variables=False),
        with_loader_criteria(Target, Target.country.in_(allowed), include_aliases=True),
    )
