"""The cubes' layout version is a hash of the build's SQL, never a number to bump (issue 17).

A cube changed without a hand-made bump once left stale cells counted as fresh; here any
change of what the build sends (a constant it binds, a label, a measure) changes the
layout, and cells built under another layout are neither read nor merged into.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from analytics import cubes, delta, figure_cubes, staging
from data_access import db, vocab
from data_access.models import Beneficiary
from data_access.scope import Scope
from tests.fixture_db import build_fixture


@pytest.fixture
def fresh_layout() -> Iterator[None]:
    cubes.layout.cache_clear()
    yield
    cubes.layout.cache_clear()


def test_the_layout_is_the_same_for_the_same_code(fresh_layout: None) -> None:
    first = cubes.layout()
    cubes.layout.cache_clear()
    assert cubes.layout() == first
    assert len(first) == 16 and int(first, 16) >= 0


@pytest.mark.parametrize(("module", "name", "value"), [
    (figure_cubes, "NO_NEXT", 999998),  # a constant the build binds as a parameter
    (staging, "ALL", "**"),             # the value of a dropped breakdown in every cell
    (vocab, "AGE_GROUPS", ("<18", "18–24", "25–34", "35–49", "50+ years")),  # a label
    (staging, "UNKNOWN", "n/a"),        # the label of a missing breakdown value
])
def test_any_change_to_what_the_build_sends_changes_the_layout(
        fresh_layout: None, monkeypatch: pytest.MonkeyPatch, module: object, name: str,
        value: object) -> None:
    before = cubes.layout()
    monkeypatch.setattr(module, name, value)
    cubes.layout.cache_clear()
    assert cubes.layout() != before, f"changing {name} left the layout as it was"


def test_a_changed_declared_cube_changes_the_layout(
        fresh_layout: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalogue cube declared beside its indicator (here FUP-3's) counts its jobs
    twice: the layout changes, without anyone bumping anything."""
    import metrics.indicators  # noqa: F401 - declares the cubes
    from analytics import shapes
    from analytics.shapes import Rows

    before = cubes.layout()
    cube = shapes.get("job_visits")
    real = cube.rows

    def doubled(build, variant):
        rows = real(build, variant)
        return Rows(rows.source, rows.month, rows.items, rows.link, rows.days,
                    tuple(s * 2 for s in rows.sums))

    monkeypatch.setitem(shapes._DECLARED, cube.name, dataclasses.replace(cube, rows=doubled))
    cubes.layout.cache_clear()
    assert cubes.layout() != before


def test_a_changed_measure_changes_the_layout(fresh_layout: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = cubes.layout()
    real = staging.insert_cells

    def one_more(conn, stage, cube, variant, source, ben, **kw):
        if cube == "completeness":  # a figure cube (completeness); pretend its measures double
            kw["sums"] = tuple(s * 2 for s in kw.get("sums", ()))
        return real(conn, stage, cube, variant, source, ben, **kw)

    monkeypatch.setattr(staging, "insert_cells", one_more)
    cubes.layout.cache_clear()
    assert cubes.layout() != before


def test_cells_of_another_layout_are_neither_read_nor_merged_into(
        fresh_layout: None, make_database: Callable[[str, str], str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_database("sqlite", "layout")
    build_fixture(url)
    cubes.refresh(url)
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session) is not None
    # The code changes (here: the layout it computes) without anyone bumping anything.
    monkeypatch.setattr(cubes, "layout", lambda: "another-layout!!")
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session) is None, "cells of another layout were read"
    with db.get_engine(url).begin() as conn:
        ids = select(Beneficiary.id).limit(1)
        assert delta.begin(conn, [ids]) is None, "an import would merge into old cells"
    # A rebuild by the new code makes them fresh again.
    cubes.refresh(url)
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session) is not None
