"""The analytics tables (issue 8): small pre-aggregated tables rebuilt from the case
tables by ``analytics.cubes``; ``metrics`` answers month-aligned queries from them. The
cells are ``CountryScoped``, so the scope listener filters them like the case tables they
summarise."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models.base import Base, CountryScoped


class AnalyticsCell(CountryScoped, Base):
    """One cell of a pre-aggregated cube: counts and sums per breakdown values × month.

    ``cube`` names what is counted (``registered``, ``delivered``, ``first_delivery``, …:
    declared beside their indicators, ``analytics.shapes``); ``variant`` which
    assistance/training breakdown the cube keeps (its cells are per beneficiary and that
    group); ``rollup`` which optional dimensions the cell keeps (bit 1 region, 2
    vulnerability, 4 sex and age group) — a dropped dimension holds ``'*'``. ``month`` is
    ``year*100+month`` of the date that places the event; ``link`` the month of the same
    beneficiary's previous (or, for latest-visit cubes, next) qualifying event, 0 (or
    999999) when there is none; ``days`` a histogram key (time to assistance).
    """

    __tablename__ = "analytics_cell"

    id: Mapped[int] = mapped_column(primary_key=True)
    cube: Mapped[str] = mapped_column(String(32))
    variant: Mapped[str] = mapped_column(String(32))
    rollup: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(16))
    age_group: Mapped[str | None] = mapped_column(String(16))
    vulnerability: Mapped[str | None] = mapped_column(String(200))
    return_type: Mapped[str | None] = mapped_column(String(32))
    sector: Mapped[str | None] = mapped_column(String(32))
    modality: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))
    month: Mapped[int] = mapped_column(Integer)
    link: Mapped[int] = mapped_column(Integer, default=0)
    days: Mapped[int] = mapped_column(Integer, default=0)
    n: Mapped[int] = mapped_column(Integer, default=0)
    s1: Mapped[float | None] = mapped_column(Float)
    s2: Mapped[float | None] = mapped_column(Float)
    s3: Mapped[float | None] = mapped_column(Float)
    s4: Mapped[float | None] = mapped_column(Float)
    # Key sums (issue 14): k the sum of the record keys behind n, k1…k4 behind the
    # counts s1…s4 where those are counts (NULL where they are amounts or scores).
    k: Mapped[int | None] = mapped_column(BigInteger)
    k1: Mapped[int | None] = mapped_column(BigInteger)
    k2: Mapped[int | None] = mapped_column(BigInteger)
    k3: Mapped[int | None] = mapped_column(BigInteger)
    k4: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # Readers ask for cube, variant, rollup and a month range; the incremental refresh
        # finds a cell by its whole key (analytics.delta; migration 0005).
        Index("ix_analytics_cell_key", "cube", "variant", "rollup", "month", "country", "link",
              "days", "region", "sex", "age_group", "vulnerability", "return_type", "sector",
              "modality", "kind"),
    )


class AnalyticsState(Base):
    """Whether the analytics tables match the case tables (one row, id 1).

    Triggers on every case table set ``dirty`` on any write; ``analytics.cubes``
    clears it when it rebuilds, in the same transaction. ``settings`` records the settings
    a cube depends on (FUP-4's weights and threshold) as they were at the build.
    ``version`` is the data version: the same triggers, and any update of this row,
    advance it, so every committed write to the case tables or the cells commits a new
    one (issue 9; ``version_xact`` lets PostgreSQL advance it once per transaction).
    """

    __tablename__ = "analytics_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    dirty: Mapped[int] = mapped_column(Integer, default=1)
    built_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    seconds: Mapped[float | None] = mapped_column(Float)
    settings: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    version_xact: Mapped[int | None] = mapped_column(BigInteger)
