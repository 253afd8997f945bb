"""The SQL the cube builder and the cube declarations share: the cells' constants, the
dialect helpers (month of a date, month of a date plus days, whole days between), temporary
tables, the first deliveries, and ``Build``, what a cube's ``rows`` works with.

Below ``analytics.cubes`` (the builder) and ``analytics.figure_cubes``, and what the
declarations beside the indicators (``metrics.indicators``) import: no circle.

Typing: ``Any`` stands for SQLAlchemy SQL expressions and FROM clauses of many classes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    cast,
    extract,
    func,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from data_access import followups
from data_access.models import AnalyticsCell, AnalyticsState, Base
from data_access.vocab import AssistanceStatus

ALL = "*"
UNKNOWN = "unknown"
NONE = "none"
NO_PREVIOUS = 0
RETURN_TYPE_CUBE = "registered"  # the cube whose cells keep the return type
NO_NEXT = 999999
REGION, VULNERABILITY, SEXAGE = 1, 2, 4
# The cells' key sums (issue 14): k behind n, k1…k4 behind s1…s4 where those are counts.
KEY_SUMS = ("k", "k1", "k2", "k3", "k4")
STAGING = -1
# The rollups kept (bit 1 region, 2 vulnerability, 4 sex and age group); region and
# vulnerability together are not kept (such a query reads the case tables).
ROLLUPS = (0, REGION, VULNERABILITY, SEXAGE, SEXAGE | REGION, SEXAGE | VULNERABILITY)
CELL = AnalyticsCell.__table__
STATE = AnalyticsState.__table__
T = Base.metadata.tables

DIMS = ("country", "region", "sex", "age_group", "return_type", "vulnerability")
# A cube variant: the assistance or training breakdowns its cells keep.
GROUPS = {"": (), "sector": ("sector",), "modality": ("modality",), "kind": ("kind",),
          "sector_modality_kind": ("sector", "modality", "kind")}


# --- dialect helpers ---------------------------------------------------------------------

class month_plus_days(FunctionElement[int]):  # noqa: N801 - reads like a SQL function
    """year*100+month of (date + n days)."""

    type = Integer()
    inherit_cache = True
    name = "month_plus_days"


@compiles(month_plus_days)
def _mpd_postgresql(element: month_plus_days, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return (f"CAST(to_char({compiler.process(day, **kw)} + {compiler.process(days, **kw)}, "
            f"'YYYYMM') AS INTEGER)")


@compiles(month_plus_days, "sqlite")
def _mpd_sqlite(element: month_plus_days, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return (f"CAST(strftime('%Y%m', {compiler.process(day, **kw)}, "
            f"'+' || {compiler.process(days, **kw)} || ' days') AS INTEGER)")


def month_of(column: Any) -> Any:
    return cast(extract("year", column) * 100 + extract("month", column), Integer)


# Whole days between two dates: the one copy in data_access.followups.
days_between_sql = followups.days_between



def temp(conn: Connection, name: str, query: Any, index: str | None = None) -> Table:
    """CREATE TEMPORARY TABLE name AS query; a Table object to select from."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} AS {sql}")
    if index:
        conn.exec_driver_sql(f"CREATE INDEX {name}_ix ON {name} ({index})")
    return Table(name, MetaData(), *[Column(c.name, c.type) for c in query.selected_columns])


def _first_deliveries(conn: Connection, variant: str, collective: bool,
                      mine: Any = None) -> Table:
    """Per beneficiary (and group value): the first delivered assistance (``mine``: the
    build's restriction to an_ben, see ``build``)."""
    asst = T["assistance"]
    keys = [cast(asst.c[d], String).label(d) for d in GROUPS[variant]]
    conditions = [asst.c.status == AssistanceStatus.DELIVERED.value,
                  asst.c.delivered_date.is_not(None)]
    if mine is not None:
        conditions.append(mine(asst.c.beneficiary_id))
    if collective:
        conditions.append(asst.c.cooperative_id.is_not(None))
    query = (select(asst.c.beneficiary_id.label("bid"), *keys,
                    func.min(asst.c.delivered_date).label("fd"))
             .where(*conditions).group_by(asst.c.beneficiary_id, *keys))
    name = f"an_fd{'c' if collective else ''}_{variant or 'all'}"
    return temp(conn, name, query, "bid")


def _not_closed(fd: Table, mine: Any) -> Any:
    """The first deliveries ``fd`` of the returnees whose case is not closed (closed cases
    are not due a follow-up: data_access.followups)."""
    ben = T["beneficiary"]
    closed = select(ben.c.id).where(cast(ben.c.status, String) == followups.CLOSED,
                                    mine(ben.c.id))
    return (select(fd.c.bid, fd.c.fd).where(fd.c.bid.not_in(closed))
            .subquery("due_fd"))


class Build:
    """What a cube's ``rows`` works with, during one build: ``ben`` (an_ben: the build's
    beneficiaries and their breakdown values), ``mine(column)`` (restricts a source read to
    them before the join: TRUE in a full build), the first deliveries (temporary tables
    shared by the cubes that need them), and the FUP-4 weights and threshold."""

    def __init__(self, conn: Connection, ben: Table, restricted: bool,
                 weights: tuple[float, float, float], threshold: float) -> None:
        self.conn, self.ben, self.restricted = conn, ben, restricted
        self.weights, self.threshold = weights, threshold
        self._firsts: dict[tuple[str, bool], Table] = {}

    def mine(self, column: Any) -> Any:
        return column.in_(select(self.ben.c.id)) if self.restricted else true()

    def joined(self, rows: Any, bid: Any = None) -> Any:
        """``rows`` (a subquery or table with a ``bid`` column) joined to an_ben."""
        return rows.join(self.ben, self.ben.c.id == (rows.c.bid if bid is None else bid))

    def first_deliveries(self, variant: str = "", *, collective: bool = False) -> Table:
        """Per beneficiary (and ``variant``'s group values): the first delivered
        assistance ``fd`` (``collective``: the first to a cooperative)."""
        key = (variant, collective)
        if key not in self._firsts:
            self._firsts[key] = _first_deliveries(self.conn, variant, collective, self.mine)
        return self._firsts[key]

    def not_closed(self, fd: Table) -> Any:
        return _not_closed(fd, self.mine)

    def drop(self) -> None:
        for table in self._firsts.values():
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
