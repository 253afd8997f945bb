"""The benchmark's SQLite → PostgreSQL copy (``benchmarks.copy_db``) gives the same
database: every row, analytics cells that are current (equal to a rebuild on PostgreSQL)
and answer every indicator exactly, and id sequences past the copied ids."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

import demo
from benchmarks import copy_db
from data_access import db
from data_access.models import Base
from tests.test_analytics_exactness import RANGES, compare_all
from tests.test_analytics_incremental import assert_same_cells, cells, rebuilt_cells, state

pytestmark = pytest.mark.postgres


def _counts(url: str) -> dict[str, int]:
    with db.get_engine(url).connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


def test_a_copied_demo_database_is_the_same_and_current(
        make_database: Callable[[str, str], str]) -> None:
    source = make_database("sqlite", "copy_source")
    demo.load(source, demo.generate(300, seed=11), progress=lambda _: None)
    target = make_database("postgresql", "copy_target")
    db.dispose_engine(source)

    copied = copy_db.copy(str(make_url(source).database), target, progress=lambda _: None)

    assert copied == _counts(source) == _counts(target)
    assert copied["beneficiary"] == 300 and copied["analytics_cell"] > 1000
    assert state(target)[0] == 0  # not marked stale: the triggers did not fire
    assert_same_cells(cells(target), cells(source))
    assert_same_cells(cells(target), rebuilt_cells(target))
    assert compare_all(target, RANGES[:1]) > 0  # the cubes answer, exactly
    with db.get_engine(target).connect() as conn:
        for table in ("beneficiary", "assistance", "follow_up", "analytics_cell"):
            sequence = conn.execute(
                text(f"SELECT pg_get_serial_sequence('{table}', 'id')")).scalar_one()
            assert sequence, table
            last = conn.execute(text(f"SELECT last_value FROM {sequence}")).scalar_one()
            assert last >= conn.execute(text(f"SELECT max(id) FROM {table}")).scalar_one()


def test_only_postgresql_is_a_target(tmp_path) -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        copy_db.copy(str(tmp_path / "a.db"), f"sqlite:///{tmp_path / 'b.db'}")
